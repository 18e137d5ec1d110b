from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tunix_rt_backend.errors import ErrorBody
from tunix_rt_backend.regression.schemas import BaselineName, CheckReport

# Names that go into addresses such as `name:alias` and `name@version` (serving), so
# none of ':', '@' or '/'.
ModelName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Letters, digits, '.', '_' and '-', starting with a letter or digit",
        examples=["hcd-reasoner"],
    ),
]
VersionLabel = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Letters, digits, '.', '_' and '-'",
        examples=["v3", "2026-12-07"],
    ),
]
# Lower-case letters, digits, '_' and '-', starting with a letter (a path segment).
ALIAS_PATTERN = r"^[a-z][a-z0-9_-]*$"
# `latest` means the newest version wherever a model is addressed by alias.
RESERVED_ALIASES = frozenset({"latest"})
VersionState = Literal["ready"]
AliasAction = Literal["set", "rollback", "delete", "refused"]


class ModelCreate(BaseModel):
    """`POST /api/models`."""

    model_config = ConfigDict(extra="forbid")

    name: ModelName
    description: Annotated[str, Field(max_length=2000)] | None = None
    task_type: Annotated[str, Field(min_length=1, max_length=64)] = "reasoning"


class PromoteRequest(BaseModel):
    """`POST /api/models/{id}/versions/promote`."""

    model_config = ConfigDict(extra="forbid")

    source_run_id: uuid.UUID
    version_label: VersionLabel | None = Field(
        None, description="Default: v1, v2, ... (the next number free in this model)"
    )
    description: Annotated[str, Field(max_length=2000)] | None = None


class AliasRequest(BaseModel):
    """`PUT /api/models/{id}/aliases/{alias}`."""

    model_config = ConfigDict(extra="forbid")

    version_id: uuid.UUID
    baseline_name: BaselineName | None = Field(
        None,
        description="A protected alias moves to a version it never held only when the "
        "version's run passes a regression check against this baseline",
    )
    reason: Annotated[str, Field(max_length=2000)] | None = None


class RollbackRequest(BaseModel):
    """`POST /api/models/{id}/aliases/{alias}/rollback`."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(max_length=2000)] | None = None


class ModelVersion(BaseModel):
    id: uuid.UUID
    model_id: uuid.UUID
    model_name: str
    version: str
    description: str | None
    source_run_id: uuid.UUID | None
    status: VersionState
    metrics: dict[str, Any] = Field(
        description="The run's training figures and completed evaluations at promotion"
    )
    config: dict[str, Any] = Field(description="The run's configuration")
    provenance: dict[str, Any] = Field(
        description="Dataset key and sha256, template sha256, base model, method, seed, "
        "library versions, checkpoint step and the weights' params_sha256"
    )
    sha256: str = Field(description="sha256 of the stored archive (the download)")
    size_bytes: int
    aliases: list[str] = Field(description="Aliases pointing at it now")
    created_at: datetime


class VersionRef(BaseModel):
    id: uuid.UUID
    version: str


class Alias(BaseModel):
    alias: str
    version: VersionRef
    protected: bool
    updated_at: datetime
    rollback_to: VersionRef | None = Field(
        description="Where POST .../rollback would take it (null: nowhere)"
    )


class Model(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    task_type: str
    latest_version: VersionRef | None
    version_count: int
    aliases: list[Alias]
    protected_aliases: list[str] = Field(
        description="The server's protected alias names (PROTECTED_ALIASES), set or not"
    )
    created_at: datetime
    updated_at: datetime


class AliasEvent(BaseModel):
    id: int
    alias: str
    action: AliasAction = Field(
        description="set; rollback (to a version it held before, no new check); delete; "
        "refused (a protected alias's gate said no: it did not move)"
    )
    from_version: VersionRef | None
    to_version: VersionRef | None
    actor: str | None = Field(description="The token's name; null with auth off")
    check_id: uuid.UUID | None = Field(description="The regression check that decided it")
    reason: str | None
    created_at: datetime


class AliasMove(BaseModel):
    """What a move did: where the alias points now, and the event recorded."""

    alias: Alias | None = Field(description="null once deleted")
    event: AliasEvent | None = Field(description="null when it pointed there already")
    check: CheckReport | None = Field(description="The gate's check, for a protected alias")


class GateRefusedBody(ErrorBody):
    """409 from a protected alias's gate: the check's full report."""

    check: CheckReport


# --- lineage ---------------------------------------------------------------------------


class LineageTraces(BaseModel):
    count: int
    train: int
    eval: int
    sample_ids: list[uuid.UUID] = Field(description="The first few member traces")


class LineageDataset(BaseModel):
    key: str
    sha256: str | None = Field(description="The content the run trained on (its manifest)")
    sha256_now: str | None = Field(description="The stored dataset's; null: it was deleted")
    traces: LineageTraces | None = Field(description="null once the dataset was deleted")


class LineageRun(BaseModel):
    run_id: uuid.UUID
    status: str
    base_model: str
    created_at: datetime
    completed_at: datetime | None
    config: dict[str, Any]


class LineageEvaluation(BaseModel):
    id: uuid.UUID
    judge: str
    split: str
    primary_score: float | None
    mock: bool
    created_at: datetime


class LineageCheck(BaseModel):
    id: uuid.UUID
    baseline_name: str
    verdict: str
    created_at: datetime


class LineageVersion(BaseModel):
    model_id: uuid.UUID
    model_name: str
    id: uuid.UUID
    version: str
    sha256: str
    aliases: list[str]
    created_at: datetime


class VersionLineage(BaseModel):
    """traces -> dataset version -> run -> evaluations and checks -> model version ->
    aliases."""

    dataset: LineageDataset
    run: LineageRun | None = Field(description="null once the run was deleted")
    evaluations: list[LineageEvaluation] = Field(description="The run's completed ones")
    checks: list[LineageCheck] = Field(description="Regression checks of the run, newest first")
    version: LineageVersion


class DatasetRunLineage(BaseModel):
    run_id: uuid.UUID
    status: str
    base_model: str
    created_at: datetime
    versions: list[LineageVersion] = Field(description="Model versions promoted from it")


class DatasetLineage(BaseModel):
    """What was built on a dataset: its runs (newest first) and their model versions."""

    key: str
    sha256: str
    traces: LineageTraces
    runs: list[DatasetRunLineage]
    runs_truncated: bool = Field(description="More runs than listed (the newest are)")
