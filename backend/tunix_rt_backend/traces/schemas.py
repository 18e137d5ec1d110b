from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, with_config
from typing_extensions import TypedDict

# Trace bodies validate into TypedDicts, not models: pydantic-core then builds plain
# dicts (ready to store as the payload) without creating thousands of model objects
# per batch, about three times faster on POST /api/traces/batch.
_Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]
_LongText = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]


@with_config(ConfigDict(extra="forbid"))
class TraceStep(TypedDict):
    i: Annotated[int, Field(ge=0, le=2**63 - 1, description="Step index, unique within the trace.")]
    type: _Label
    content: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


@with_config(
    ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "trace_version": "1.0",
                    "prompt": "What is 27 × 19?",
                    "final_answer": "513",
                    "steps": [
                        {"i": 0, "type": "parse", "content": "Parse the multiplication task"},
                        {"i": 1, "type": "compute", "content": "27 × 19 = 27 × (20 - 1)"},
                        {"i": 2, "type": "result", "content": "Final: 513"},
                    ],
                    "meta": {"source": "example"},
                }
            ]
        },
    )
)
class ReasoningTrace(TypedDict):
    """A reasoning trace: the prompt, the steps taken and the final answer. Step
    indices must be unique (checked by `duplicate_step_indices`)."""

    trace_version: _Label
    prompt: _LongText
    final_answer: _LongText
    steps: Annotated[list[TraceStep], Field(min_length=1, max_length=1000)]
    meta: NotRequired[dict[str, Any] | None]


TRACE_ADAPTER = TypeAdapter(ReasoningTrace)
# A batch holds at least one trace; its upper bound is a setting (TRACE_BATCH_MAX_ITEMS).
TraceBatch = Annotated[list[ReasoningTrace], Field(min_length=1)]
TRACE_BATCH_ADAPTER: TypeAdapter[list[ReasoningTrace]] = TypeAdapter(TraceBatch)


def duplicate_step_indices(trace: ReasoningTrace) -> list[int]:
    counts = Counter(step["i"] for step in trace["steps"])
    return sorted(i for i, n in counts.items() if n > 1)


class TraceCreated(BaseModel):
    id: uuid.UUID
    created_at: datetime
    trace_version: str


class TraceSummary(TraceCreated):
    prompt_preview: str = Field(description="The prompt's first 160 characters.")
    final_answer_preview: str = Field(description="The final answer's first 160 characters.")
    source: str | None = Field(
        description="`meta.source` when it is a string (its first 200 characters)."
    )
    score: float | None = Field(description="The latest score; null while the trace has none.")


class TraceSources(BaseModel):
    sources: list[str] = Field(description="The stored traces' sources, in order.")
    truncated: bool = Field(description="More sources exist than the 200 listed.")


@dataclass(frozen=True, slots=True)
class TraceFilters:
    """What a trace list is narrowed to; None is no filter. Checked already (by the
    query's bounds and `trace_filters`): a plain record."""

    q: str | None = None
    source: str | None = None
    scored: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class TraceDetail(TraceCreated):
    payload: dict[str, Any]


class TraceBatchCreated(BaseModel):
    created: int
    traces: list[TraceCreated]


class ScoreRequest(BaseModel):
    criteria: Literal["baseline"] = "baseline"


class ScoreDetails(BaseModel):
    step_count: int
    avg_step_length: float
    total_chars: int
    step_score: float
    length_score: float
    criteria: str
    scored_at: datetime


class ScoreResult(BaseModel):
    trace_id: uuid.UUID
    score: float
    details: ScoreDetails


class ComparedTrace(TraceDetail):
    score: float


class TraceComparison(BaseModel):
    base: ComparedTrace
    other: ComparedTrace
