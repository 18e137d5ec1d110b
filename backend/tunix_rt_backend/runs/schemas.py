from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tunix_rt_backend.kit.paths import RelativeName
from tunix_rt_backend.training.manifest import TrainingSection


class RunRequest(TrainingSection):
    model_config = ConfigDict(extra="forbid")

    dataset_key: Annotated[str, Field(min_length=1, max_length=256)]
    model_id: Annotated[str, Field(min_length=1, max_length=256)]
    output_dir: Annotated[
        RelativeName | None,
        Field(max_length=512, description="A name under ARTIFACTS_DIR (default runs/<run_id>)"),
    ] = None
    dry_run: bool = Field(True, description="Validate only (true) or train now (false)")


class Check(BaseModel):
    name: str
    ok: bool
    detail: str


class RunResult(BaseModel):
    run_id: uuid.UUID
    status: Literal["pending", "running", "completed", "failed", "timeout", "cancelled"]
    mode: Literal["dry-run", "local"]
    dataset_key: str
    model_id: str
    output_dir: str
    exit_code: int | None
    stdout: str
    stderr: str
    duration_seconds: float | None
    started_at: datetime
    completed_at: datetime | None
    message: str
    checks: list[Check] = Field(default_factory=list)
    summary: dict[str, Any] | None = Field(None, description="The training process's summary")


class TunixStatus(BaseModel):
    available: bool
    version: str | None
    runtime_required: bool
    message: str
    jax_version: str | None
    devices: list[str]
    builtin_models: dict[str, str]
