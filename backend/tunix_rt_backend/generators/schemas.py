from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tunix_rt_backend.traces.schemas import ReasoningTrace


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArithmeticParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    difficulty: int = Field(2, ge=1, le=5, description="1: a+b (1 digit) … 5: a×b (2 digits each)")


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(10, ge=1, description="How many traces (GENERATOR_MAX_COUNT)")
    seed: int = Field(42, ge=0, le=2**31 - 1)
    params: dict[str, Any] = Field(default_factory=dict, description="The generator's own")
    persist: bool = Field(True, description="Store the traces (else only preview them)")


class HighCardDuelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(10, ge=1, description="How many games (GENERATOR_MAX_COUNT)")
    seed: int = Field(42, ge=0, le=2**31 - 1)
    persist: bool = True


class GenerateResult(BaseModel):
    generator: str
    created: int
    trace_ids: list[uuid.UUID]
    preview: list[ReasoningTrace] = Field(description="The first few traces")


class GeneratorInfo(BaseModel):
    name: str
    description: str
    params_schema: dict[str, Any]


class UngarStatus(BaseModel):
    available: bool
    engine: str = Field(description="'ungar' when the package is installed, else 'builtin'")
    version: str | None
    message: str
