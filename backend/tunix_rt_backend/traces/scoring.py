"""Trace scorers. `baseline` is the seed's formula: up to 50 points for having up to
ten steps and up to 50 for an average step length of up to 500 characters."""

from __future__ import annotations

from typing import Any, TypedDict

IDEAL_STEP_COUNT = 10
IDEAL_AVG_STEP_CHARS = 500.0
MAX_PART_SCORE = 50.0


class BaselineBreakdown(TypedDict):
    step_count: int
    avg_step_length: float
    total_chars: int
    step_score: float
    length_score: float


def baseline_score(payload: dict[str, Any]) -> tuple[float, BaselineBreakdown]:
    steps = payload.get("steps") or []
    step_count = len(steps)
    total_chars = sum(len(step["content"]) for step in steps)
    avg_step_length = total_chars / step_count if step_count else 0.0
    step_score = min(step_count / IDEAL_STEP_COUNT, 1.0) * MAX_PART_SCORE
    length_score = min(avg_step_length / IDEAL_AVG_STEP_CHARS, 1.0) * MAX_PART_SCORE
    breakdown: BaselineBreakdown = {
        "step_count": step_count,
        "avg_step_length": round(avg_step_length, 4),
        "total_chars": total_chars,
        "step_score": round(step_score, 4),
        "length_score": round(length_score, 4),
    }
    return round(step_score + length_score, 4), breakdown
