from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tunix_rt_backend.traces.schemas import ReasoningTrace

MAX_SEED = 2**31 - 1
SEED_DESCRIPTION = "Fixes the traces; none: a fresh seed, reported in the answer"


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArithmeticParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    difficulty: int = Field(2, ge=1, le=5, description="1: a+b (1 digit) … 5: a×b (2 digits each)")


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(10, ge=1, description="How many traces (GENERATOR_MAX_COUNT)")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description=SEED_DESCRIPTION)
    params: dict[str, Any] = Field(default_factory=dict, description="The generator's own")
    persist: bool = Field(True, description="Store the traces (else only preview them)")


class HighCardDuelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(10, ge=1, description="How many games (GENERATOR_MAX_COUNT)")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description=SEED_DESCRIPTION)
    persist: bool = True


class GenerateResult(BaseModel):
    generator: str
    seed: int = Field(description="The seed used: the same seed, count and params repeat them")
    created: int
    repeated: int = Field(
        description="Traces whose prompt is already stored (same source) or comes earlier in "
        "this request: a dataset of them can ask the same question in train and eval"
    )
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
