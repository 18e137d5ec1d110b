"""The tuning API's shapes. A study's search space is checked whole at create: every
key a training setting a trial can be given, every value one that setting accepts,
every range possible, so that a study that is stored can run."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tunix_rt_backend.kit.paths import ModelId
from tunix_rt_backend.training.manifest import TrainingSection

TuningState = Literal["created", "pending", "running", "completed", "failed", "cancelled"]
TrialState = Literal["running", "completed", "early_stopped", "failed", "cancelled"]
# What a trial reports while it trains (the trainer's metric names), by the study's name.
METRICS = {"eval_loss": "eval/loss", "train_loss": "train/loss"}
# What a trial reports once, at its end: its run's evaluation (the default judge, the
# dataset's eval split), made by the trial itself.
EVALUATED = "primary_score"
MetricName = Literal["eval_loss", "train_loss", "primary_score"]

# The training settings a study may vary, by kind of value.
FLOAT_KEYS = ("learning_rate", "lora_alpha")
INT_KEYS = (
    "batch_size",
    "warmup_steps",
    "max_steps",
    "lora_rank",
    "num_epochs",
    "max_seq_length",
    "seed",
)
CHOICE_KEYS = ("method", "lr_schedule")
TUNABLE = (*FLOAT_KEYS, *INT_KEYS, *CHOICE_KEYS)
MAX_PARAMETERS = 12
MAX_CHOICES = 64

Scalar = float | int | str | bool


class SearchParameter(BaseModel):
    """One dimension: `choice` of `values`; `uniform` or `loguniform` (a float between
    `min` and `max`; loguniform needs min > 0); `randint` (an integer, min and max
    included)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["choice", "uniform", "loguniform", "randint"]
    values: Annotated[list[Scalar] | None, Field(max_length=MAX_CHOICES)] = None
    min: float | None = Field(None, allow_inf_nan=False)
    max: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if self.type == "choice":
            if not self.values:
                raise ValueError("a choice needs at least one value in `values`")
            if self.min is not None or self.max is not None:
                raise ValueError("a choice takes `values`, not `min`/`max`")
            return self
        if self.values is not None:
            raise ValueError(f"{self.type} takes `min` and `max`, not `values`")
        if self.min is None or self.max is None:
            raise ValueError(f"{self.type} needs both `min` and `max`")
        if self.min >= self.max:
            raise ValueError(f"min ({self.min:g}) must be less than max ({self.max:g})")
        if self.type == "loguniform" and self.min <= 0:
            raise ValueError("loguniform needs min > 0")
        if self.type == "randint" and (self.min != int(self.min) or self.max != int(self.max)):
            raise ValueError("randint needs whole numbers for min and max")
        return self

    def samples(self) -> list[Scalar]:
        """The values whose validity stands for the whole dimension's: every choice,
        or both ends of a range."""
        if self.type == "choice":
            return list(self.values or [])
        low, high = float(self.min or 0), float(self.max or 0)
        return [int(low), int(high)] if self.type == "randint" else [low, high]


def space_errors(space: dict[str, SearchParameter]) -> list[tuple[str, str]]:
    """(key, what is wrong) for each dimension a trial could not be given: a key that
    is no tunable setting, a type of parameter its values do not fit, or a value the
    setting refuses (checked by the setting's own rules, at every choice and at both
    ends of a range)."""
    errors: list[tuple[str, str]] = []
    for key, param in space.items():
        if key not in TUNABLE:
            known = ", ".join(TUNABLE)
            errors.append((key, f"not a training setting a study can vary ({known})"))
        elif key in CHOICE_KEYS and param.type != "choice":
            errors.append((key, f"takes a choice of values, not {param.type}"))
        elif key in INT_KEYS and param.type in ("uniform", "loguniform"):
            errors.append((key, f"a whole number: use randint or choice, not {param.type}"))
        elif key in FLOAT_KEYS and param.type == "randint":
            errors.append((key, "a real number: use uniform, loguniform or choice"))
        else:
            for value in param.samples():
                try:
                    TrainingSection.model_validate({key: value})
                except ValidationError as exc:
                    errors.append((key, f"{value!r}: {exc.errors()[0]['msg']}"))
                    break
    return errors


class TuningJobCreate(BaseModel):
    """`POST /api/tuning/jobs`: a study, stored as `created` until started."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    dataset_key: Annotated[str, Field(min_length=1, max_length=256)]
    base_model_id: ModelId
    metric_name: MetricName = Field(
        "eval_loss",
        description="What the trials report: eval_loss or train_loss as they train, or "
        "primary_score, their evaluation's (the default judge on the eval split) at their end",
    )
    metric_mode: Literal["min", "max"] = Field(
        "min", description="Default: max for primary_score, min for a loss"
    )
    num_samples: int = Field(8, ge=1, le=64, description="Trials in all")
    max_concurrent_trials: int = Field(2, ge=1, le=16)
    search_alg: Literal["random", "optuna"] = Field(
        "random", description="random search, or Optuna's TPE"
    )
    scheduler: Literal["fifo", "asha"] = Field(
        "asha",
        description="asha stops trials that fall behind early; fifo runs each to its end "
        "(the default, and the only choice, for primary_score)",
    )
    seed: int = Field(0, ge=0, lt=2**31, description="The search's seed")
    search_space: Annotated[
        dict[str, SearchParameter], Field(min_length=1, max_length=MAX_PARAMETERS)
    ]
    training: dict[str, Any] = Field(
        default_factory=dict,
        description="Training settings every trial shares (those the space varies are the space's)",
    )

    @field_validator("max_concurrent_trials")
    @classmethod
    def _concurrency(cls, value: int, info: ValidationInfo) -> int:
        samples = info.data.get("num_samples")
        if samples is not None and value > samples:
            raise ValueError(f"more than num_samples ({samples}): at most that many run at once")
        return value

    @model_validator(mode="after")
    def _evaluated_metric(self) -> Self:
        """primary_score is known only once a trial's evaluation has ended: higher is
        better, and no scheduler compares trials while they train on it."""
        if self.metric_name != EVALUATED:
            return self
        if "metric_mode" not in self.model_fields_set:
            self.metric_mode = "max"
        if "scheduler" not in self.model_fields_set:
            self.scheduler = "fifo"  # asha: refused by the service, naming the field
        return self


class TuningTrial(BaseModel):
    id: uuid.UUID
    trial_key: str = Field(description="Ray Tune's id of the trial")
    run_id: uuid.UUID | None = Field(description="The training run it is")
    params: dict[str, Any]
    metric_value: float | None = Field(description="The study's metric as last reported")
    status: TrialState
    stopped_step: int | None = Field(description="The last step it reported")
    error: str | None
    created_at: datetime
    completed_at: datetime | None


class TuningJob(BaseModel):
    id: uuid.UUID
    name: str
    status: TuningState
    dataset_key: str
    base_model_id: str
    mode: str
    metric_name: MetricName
    metric_mode: Literal["min", "max"]
    num_samples: int
    max_concurrent_trials: int
    search_alg: str
    scheduler: str
    seed: int
    search_space: dict[str, Any]
    training: dict[str, Any]
    best_run_id: uuid.UUID | None
    best_params: dict[str, Any] | None
    best_metric_value: float | None
    message: str | None
    error: str | None
    created_at: datetime
    queued_at: datetime | None
    completed_at: datetime | None
    attempt: int


class TuningJobDetail(TuningJob):
    trials: list[TuningTrial] = Field(description="Every trial so far, best first")
