from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tunix_rt_backend.evaluation.schemas import JudgeName, SplitName

# What a gate can compare, item by item, and whether less is better by default.
MetricName = Literal["primary_score", "score", "format_rate", "output_tokens"]
LOWER_IS_BETTER: dict[str, bool] = {
    "primary_score": False,
    "score": False,
    "format_rate": False,
    "output_tokens": True,
}
# The seed's rule was a 5% relative drop: the default margin is 5% of the baseline's value.
DEFAULT_RELATIVE_MARGIN = 0.05

BaselineName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Letters, digits, '.', '_' and '-' (it is part of a URL)",
        examples=["gemma-v1-baseline"],
    ),
]
Verdict = Literal["pass", "fail", "inconclusive"]


class BaselineRequest(BaseModel):
    """`POST /api/regression/baselines`: set a baseline (again, under the same name)."""

    model_config = ConfigDict(extra="forbid")

    name: BaselineName
    run_id: uuid.UUID
    metric: MetricName = "primary_score"
    lower_is_better: bool | None = Field(
        None, description="Default: true for output_tokens, false for the others"
    )
    margin: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="The largest drop that still passes, in the metric's units. "
        "Default: 5% of the baseline's value (the seed's relative tolerance)",
    )
    judge: JudgeName | None = Field(
        None, description="Pin the run's newest completed evaluation by this judge"
    )
    evaluation_id: uuid.UUID | None = Field(
        None, description="Pin this completed evaluation of the run (not with `judge`)"
    )
    description: Annotated[str, Field(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _one_way_to_pin(self) -> BaselineRequest:
        if self.judge is not None and self.evaluation_id is not None:
            raise ValueError("give judge or evaluation_id, not both")
        return self


class PinnedJudge(BaseModel):
    name: str
    version: str
    config_hash: str


class BaselineSetting(BaseModel):
    """What a baseline pins, as set at `version`."""

    version: int
    run_id: uuid.UUID
    evaluation_id: uuid.UUID
    metric: MetricName
    lower_is_better: bool
    margin: float
    margin_default: bool = Field(description="True: 5% of `value`, not set by hand")
    value: float = Field(description="The metric on the pinned evaluation")
    judge: PinnedJudge
    dataset_key: str
    dataset_sha256: str | None
    split: SplitName
    description: str | None
    created_at: datetime


class Baseline(BaselineSetting):
    name: str
    updated_at: datetime = Field(description="When it was last set")


class BaselineDetail(Baseline):
    history: list[BaselineSetting] = Field(description="Every setting, newest first")


class CheckRequest(BaseModel):
    """`POST /api/regression/check`."""

    model_config = ConfigDict(extra="forbid")

    run_id: uuid.UUID
    baseline_name: BaselineName
    evaluation_id: uuid.UUID | None = Field(
        None,
        description="The run's evaluation to check (default: its newest completed one by "
        "the baseline's judge, preferring one comparable with the baseline)",
    )


class DifferenceInterval(BaseModel):
    low: float
    high: float
    level: float = 0.95


class FlippedItem(BaseModel):
    index: int = Field(description="The item's place in the split (its evaluation item)")
    trace_id: uuid.UUID | None
    direction: Literal["worse", "better"]
    expected: str | None
    baseline_value: float
    current_value: float
    baseline_extracted: str | None
    current_extracted: str | None


class CheckSummary(BaseModel):
    """A stored check, as listed (`GET /api/regression/checks`)."""

    id: uuid.UUID
    run_id: uuid.UUID
    baseline_name: str
    baseline_version: int
    baseline_run_id: uuid.UUID
    metric_name: MetricName
    baseline_value: float
    current_value: float | None
    delta: float | None = Field(description="current_value - baseline_value")
    delta_percent: float | None = Field(description="delta as % of baseline_value")
    verdict: Verdict
    p_value: float | None
    created_at: datetime


class CheckReport(CheckSummary):
    """A run checked against a baseline: the seed's fields and the paired report."""

    evaluation_id: uuid.UUID
    baseline_evaluation_id: uuid.UUID
    comparable: bool = Field(description="False: the reasons say what differs (inconclusive)")
    reasons: list[str] = Field(description="Why the verdict is what it is")
    lower_is_better: bool
    n: int = Field(description="Items scored in both evaluations")
    n_excluded: int = Field(description="Items unscored in one of them, left out")
    b: int | None = Field(description="Items that got worse")
    c: int | None = Field(description="Items that got better")
    test: Literal["mcnemar_exact", "paired_bootstrap"] | None
    interval: DifferenceInterval | None = Field(
        description="95% interval of current - baseline over the paired items"
    )
    margin: float
    alpha: float
    minimum_detectable_difference: float | None = Field(
        description="The change this n detects 80% of the time at alpha"
    )
    resamples: int | None = Field(description="Bootstrap resamples (graded scores)")
    seed: int | None = Field(description="Bootstrap seed (graded scores)")
    flipped: list[FlippedItem] = Field(description="Items whose result changed, worse first")
    details: dict[str, Any]
