from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tunix_rt_backend.jobs.schemas import JobState
from tunix_rt_backend.kit.paths import ModelId, RelativeName
from tunix_rt_backend.training.manifest import TrainingSection

RunName = Annotated[str, Field(min_length=1, max_length=200)]
RunNotes = Annotated[str, Field(max_length=10_000)]
TagName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="Letters, digits, '.', '_', ':' and '-'",
        examples=["baseline", "lr-sweep"],
    ),
]
RunTags = Annotated[list[TagName], Field(max_length=20, description="At most 20, no repeats")]
# A run's labels: not part of its configuration (a rerun starts without them).
LABEL_FIELDS = {"name", "notes", "tags"}


def _unique(tags: list[str]) -> list[str]:
    if len(set(tags)) != len(tags):
        raise ValueError("a tag is repeated")
    return tags


class RunRequest(TrainingSection):
    model_config = ConfigDict(extra="forbid")

    dataset_key: Annotated[str, Field(min_length=1, max_length=256)]
    model_id: ModelId
    output_dir: Annotated[
        RelativeName | None,
        Field(max_length=512, description="A name under ARTIFACTS_DIR (default runs/<run_id>)"),
    ] = None
    dry_run: bool = Field(True, description="Validate only (true) or train (false)")
    timeout_seconds: Annotated[
        int | None,
        Field(ge=1, le=7 * 24 * 3600, description="Default TUNIX_RUN_TIMEOUT_SECONDS"),
    ] = None
    name: RunName | None = Field(None, description="A label for people (editable later)")
    notes: RunNotes | None = None
    tags: RunTags = Field(default_factory=list)

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[str]) -> list[str]:
        return _unique(tags)


class RunLabelsUpdate(BaseModel):
    """`PATCH /api/tunix/runs/{id}`: the fields given are set (null clears name or
    notes); the others stay."""

    model_config = ConfigDict(extra="forbid")

    name: RunName | None = None
    notes: RunNotes | None = None
    tags: RunTags | None = None

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[str] | None) -> list[str] | None:
        return None if tags is None else _unique(tags)


RunState = JobState
# The seed's `mode` column: what the run does. (The `mode` query parameter of
# POST /api/tunix/run is another thing: whether the request waits, `sync`/`async`.)
RunMode = Literal["dry-run", "local"]


class Check(BaseModel):
    name: str
    ok: bool
    detail: str


class RunResult(BaseModel):
    run_id: uuid.UUID
    status: RunState
    mode: RunMode
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


class RunDetail(RunResult):
    name: str | None
    notes: str | None
    tags: list[str]
    created_at: datetime
    queued_at: datetime | None = Field(description="When it last joined the queue")
    claimed_at: datetime | None = Field(description="When a worker last claimed it")
    attempt: int = Field(description="Claims so far (a lost worker's run is claimed again)")
    max_attempts: int
    worker_id: str | None = Field(description="The worker running it, or that ran it last")
    error: str | None = Field(description="Why it failed, timed out or was re-queued")
    cancel_requested_at: datetime | None
    config: dict[str, Any]


class RunStatus(BaseModel):
    run_id: uuid.UUID
    status: RunState
    attempt: int
    started_at: datetime
    completed_at: datetime | None
    duration_seconds: float | None
    error: str | None
    cancel_requested_at: datetime | None = None


class MetricSeries(BaseModel):
    name: str
    points: list[tuple[int, float]] = Field(description="[step, value], by step")
    total: int = Field(description="Points stored; `points` may hold fewer (downsampled)")


class RunMetrics(BaseModel):
    run_id: uuid.UUID
    series: list[MetricSeries]


class TrainingProgress(BaseModel):
    """How far a running training run is, as stored so far (its loss points)."""

    step: int | None = Field(description="The latest step trained (null before the first)")
    points: int = Field(description="Training loss points stored")
    elapsed_seconds: float = Field(description="Since its latest attempt started, as of the answer")
    steps_per_second: float | None = Field(
        description="Steps trained per second over its latest steps, as the trainer "
        "measures them (null before its second step)"
    )
    tokens_per_second: float | None = Field(
        description="Tokens trained per second over its latest steps (null before its second step)"
    )


class RunSummary(BaseModel):
    run_id: uuid.UUID
    dataset_key: str
    model_id: str
    mode: RunMode
    status: RunState
    started_at: datetime
    completed_at: datetime | None
    duration_seconds: float | None
    attempt: int
    max_attempts: int
    error: str | None
    created_at: datetime
    name: str | None
    tags: list[str]
    learning_rate: float | None = Field(description="From its configuration")
    max_steps: int | None = Field(description="From its configuration")
    steps: int | None = Field(description="Steps trained (its summary)")
    final_loss: float | None
    eval_loss: float | None
    exact_match: float | None = Field(description="The trainer's own held-out check")
    progress: TrainingProgress | None = Field(
        description="A running training run's progress; null for any other run"
    )


class Generation(BaseModel):
    index: int = Field(description="Its place among the held-out prompts answered")
    step: int | None = Field(description="The training step after which it was answered")
    prompt: str
    expected: str | None = Field(description="The trace's final answer")
    output: str = Field(description="What the model wrote (greedy)")
    correct: bool | None = Field(description="Whether its final answer matches")


class RunGenerations(BaseModel):
    run_id: uuid.UUID
    generations: list[Generation]
    total: int
    correct: int
    exact_match: float | None = Field(description="correct / answered, when any was scored")


class RunFilters(BaseModel):
    status: RunState | None = None
    dataset_key: Annotated[str | None, Field(max_length=256)] = None
    mode: RunMode | None = None
    tag: str | None = None
    q: str | None = None


class LocalModel(BaseModel):
    """A checkpoint under MODEL_DIR that runs, evaluations and serving can name."""

    model_id: str = Field(description="The name to give as model_id (org/name)")
    model_type: str | None = Field(description="config.json's model_type")
    parameters: int | None = Field(description="From the weights' headers")
    size_bytes: int = Field(description="The weights on disk")
    description: str
    note: str | None = Field(description="What to know before training it here (speed, memory)")


class TunixStatus(BaseModel):
    available: bool
    version: str | None
    runtime_required: bool
    message: str
    jax_version: str | None
    devices: list[str]
    builtin_models: dict[str, str]
    local_models: list[LocalModel] = Field(
        description="Checkpoints under MODEL_DIR (e.g. `tunix-rt model import gemma-3-270m`); "
        "a run on one defaults to LoRA"
    )
