from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from tunix_rt_backend.kit.paths import ModelId, RelativeName
from tunix_rt_backend.training.manifest import TrainingSection

DatasetName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
]


class DatasetFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Annotated[str | None, Field(max_length=200, description="meta.source equals")] = None
    min_score: Annotated[
        float | None, Field(ge=0, le=100, description="A baseline score at least this")
    ] = None
    created_after: datetime | None = Field(None, description="Created at or after (inclusive)")
    created_before: datetime | None = Field(None, description="Created before (exclusive)")

    @field_validator("created_after", "created_before")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone (e.g. 2026-01-01T00:00:00Z)")
        return value

    @field_validator("created_before")
    @classmethod
    def _after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        after = info.data.get("created_after")
        if value is not None and after is not None and value <= after:
            raise ValueError("must be later than created_after")
        return value


class DatasetSelection(BaseModel):
    """Which traces a dataset takes: the filters, how to choose among the matches,
    and how many."""

    model_config = ConfigDict(extra="forbid")

    strategy: Literal["latest", "random"] = "latest"
    seed: int = Field(42, ge=0, le=2**32 - 1, description="Seed of `random` and of the split")
    limit: int = Field(1000, ge=1, description="At most this many traces (DATASET_MAX_TRACES)")
    filters: DatasetFilters = Field(default_factory=DatasetFilters)


class DatasetBuildRequest(DatasetSelection):
    name: DatasetName
    eval_ratio: float = Field(0.1, ge=0, le=0.5, description="Share of traces held out")
    description: Annotated[str | None, Field(max_length=2000)] = None


class DatasetPreview(BaseModel):
    matching: int = Field(description="Traces that match the filters")
    selected: int = Field(description="Traces a build would take (at most `limit`)")


class DatasetSummary(BaseModel):
    dataset_key: str
    name: str
    version: int
    description: str | None
    created_at: datetime
    trace_count: int
    train_count: int
    eval_count: int
    content_sha256: str


class SplitSizes(BaseModel):
    train: int
    eval: int


class TemplateInfo(BaseModel):
    name: str
    sha256: str
    sample: dict[str, str] | None = Field(
        description="The first member rendered in tunix_sft: prompt and completion"
    )


class DatasetManifest(DatasetSummary):
    id: uuid.UUID
    build: dict[str, Any]
    split: SplitSizes
    stats: dict[str, Any]
    template: TemplateInfo


class DatasetMember(BaseModel):
    """A member trace of a dataset, with the start of its prompt and final answer."""

    trace_id: uuid.UUID
    position: int = Field(description="0-based place in dataset order")
    split: Literal["train", "eval"]
    prompt_preview: str = Field(description="The prompt's start; `…` ends a cut one")
    final_answer: str = Field(description="The final answer's start; `…` ends a cut one")


# The seed's SFT endpoints (`/api/tunix/sft/...`). The class names are the schema names
# in the OpenAPI document, which the frontend's generated client is built from.


class SftExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_key: Annotated[str | None, Field(max_length=256)] = None
    trace_ids: Annotated[list[uuid.UUID] | None, Field(max_length=1000)] = None
    limit: int = Field(100, ge=1, description="At most this many traces (DATASET_MAX_TRACES)")


class SftManifestRequest(TrainingSection):
    model_config = ConfigDict(extra="forbid")

    dataset_key: Annotated[str, Field(min_length=1, max_length=256)]
    model_id: ModelId
    output_dir: Annotated[
        RelativeName, Field(max_length=512, description="A name under the artifact root")
    ]


class SftManifestResponse(BaseModel):
    manifest_yaml: str
    dataset_key: str
    model_id: str
    format: str
    message: str
