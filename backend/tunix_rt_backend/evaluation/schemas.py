from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tunix_rt_backend.jobs.schemas import JobState
from tunix_rt_backend.kit.paths import ModelId

EvaluationState = JobState
SplitName = Literal["train", "eval"]
Outcome = Literal["correct", "wrong", "unscored"]
JudgeName = Annotated[str, Field(min_length=1, max_length=64)]


class EvaluateRequest(BaseModel):
    """`POST /api/tunix/runs/{id}/evaluate`."""

    model_config = ConfigDict(extra="forbid")

    judge_override: JudgeName | None = Field(None, description="Default EVAL_DEFAULT_JUDGE")
    split: SplitName = Field(
        "eval", description="The dataset split answered; `train` only when asked for"
    )
    batch_size: int | None = Field(None, ge=1, le=1024, description="Default EVAL_BATCH_SIZE")
    max_new_tokens: int | None = Field(
        None, ge=1, le=32_768, description="Default: the longest expected answer + 16 tokens"
    )
    temperature: float = Field(
        0.0, ge=0, le=2, allow_inf_nan=False, description="0 (the default): greedy decoding"
    )
    top_p: float | None = Field(
        None, gt=0, le=1, allow_inf_nan=False, description="Nucleus sampling (temperature > 0)"
    )
    seed: int | None = Field(
        None, ge=0, lt=2**31, description="Sampling seed; default: a fresh one, recorded"
    )


class BaseModelEvaluationRequest(BaseModel):
    """`POST /api/evaluations`: a model as it is (no run), e.g. the baseline a
    fine-tune must beat."""

    model_config = ConfigDict(extra="forbid")

    model_id: ModelId
    dataset_key: Annotated[str, Field(min_length=1, max_length=256)]
    judge: JudgeName | None = Field(None, description="Default EVAL_DEFAULT_JUDGE")
    split: SplitName = "eval"
    batch_size: int | None = Field(None, ge=1, le=1024)
    max_new_tokens: int | None = Field(None, ge=1, le=32_768)
    temperature: float = Field(0.0, ge=0, le=2, allow_inf_nan=False)
    top_p: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    seed: int | None = Field(None, ge=0, lt=2**31)


class Interval(BaseModel):
    low: float
    high: float
    method: Literal["wilson", "normal"] = Field(
        description="Wilson for right/wrong scores, normal approximation for graded ones"
    )


class JudgeRef(BaseModel):
    name: str
    version: str
    config_hash: str
    mock: bool = Field(description="A mock judge: no model graded these answers")


class Progress(BaseModel):
    done: int
    total: int


class EvaluationDetail(BaseModel):
    id: uuid.UUID
    run_id: uuid.UUID | None = Field(description="None: a base model scored without a run")
    model_id: str
    dataset_key: str
    dataset_sha256: str | None
    split: SplitName
    judge: JudgeRef
    checkpoint_step: int | None = Field(description="The run's checkpoint that answered")
    decoding: dict[str, Any]
    status: EvaluationState
    score: float | None = Field(description="primary_score x 100 (the seed's 0-100 score)")
    primary_score: float | None = Field(description="Mean item score, 0-1 (accuracy)")
    interval: Interval | None = Field(description="95% interval of primary_score")
    verdict: Literal["pass", "fail"] | None
    n_items: int
    n_scored: int
    n_unscored: int
    details: dict[str, Any]
    progress: Progress
    message: str
    error: str | None
    attempt: int
    cancel_requested_at: datetime | None = Field(
        None, description="When a cancel was asked for (a running one stops at its next batch)"
    )
    created_at: datetime
    started_at: datetime
    completed_at: datetime | None


class ItemResult(BaseModel):
    index: int = Field(description="The item's place in the split (export order)")
    trace_id: uuid.UUID | None
    prompt: str
    expected: str | None
    output: str
    extracted: str | None = Field(description="The final answer read from the output")
    correct: bool | None
    score: float | None
    format_ok: bool
    reasoning_steps: int
    reasoning_tokens: int
    output_tokens: int
    latency_ms: float
    judge_reasoning: str | None
    judge_raw: str | None
    judge_attempts: int
    unscored_reason: str | None


class LeaderboardRow(BaseModel):
    evaluation_id: uuid.UUID
    run_id: uuid.UUID | None
    model_id: str
    dataset_key: str
    split: SplitName
    judge: str
    judge_version: str
    score: float = Field(description="0-100")
    primary_score: float
    interval: Interval | None
    n_scored: int
    n_unscored: int
    verdict: Literal["pass", "fail"] | None
    created_at: datetime


class JudgeInfo(BaseModel):
    name: str
    version: str
    kind: Literal["rule", "llm", "mock"]
    description: str
    config: dict[str, Any]
    config_hash: str
    mock: bool
    available: bool
    unavailable_reason: str | None
    default: bool = Field(description="The judge EVAL_DEFAULT_JUDGE names")


class LeaderboardFilters(BaseModel):
    dataset_key: str | None = None
    model_id: str | None = None
    judge: str | None = None
    split: SplitName = "eval"
    date_from: AwareDatetime | None = None
    date_to: AwareDatetime | None = None
