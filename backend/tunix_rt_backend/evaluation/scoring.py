"""An evaluation's numbers from its items: the primary score (the mean item score of
the scored items; unscored ones count for nothing either way), its 95% interval, the
verdict against the majority-class baseline, and the reasoning metrics. Pure
functions: the judge's verdicts in, plain data out."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tunix_rt_backend.templates.gemma_reasoning import normalize_answer

Z95 = 1.959963984540054
LENGTH_BUCKETS = 4


@dataclass(frozen=True)
class Scored:
    """What the summary reads of one item."""

    expected: str | None
    score: float | None
    correct: bool | None
    format_ok: bool
    reasoning_steps: int
    reasoning_tokens: int
    output_tokens: int
    latency_ms: float
    judge_attempts: int


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion: sound at 0 or n successes and small n,
    where the normal approximation gives [1, 1] or bounds past 0 and 1."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(scores: Sequence[float], z: float = Z95) -> tuple[float, float]:
    """Normal-approximation interval of a mean of graded scores, within [0, 1]."""
    n = len(scores)
    mean = sum(scores) / n
    if n < 2:
        return 0.0, 1.0
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1))
    half = z * sd / math.sqrt(n)
    return max(0.0, mean - half), min(1.0, mean + half)


def majority_baseline(expected: Sequence[str | None]) -> dict[str, Any] | None:
    """The score of always answering the split's commonest expected answer."""
    answers = Counter(normalize_answer(e) for e in expected if e is not None)
    if not answers:
        return None
    answer, count = answers.most_common(1)[0]
    return {"answer": answer, "share": count / sum(answers.values())}


def summarize(items: Sequence[Scored], n_items: int) -> dict[str, Any]:
    """The evaluation's columns (primary_score, score, ci_low, ci_high, verdict,
    n_scored, n_unscored) and `details`."""
    scored = [i for i in items if i.score is not None]
    baseline = majority_baseline([i.expected for i in items])
    details: dict[str, Any] = {
        "answered": len(items),
        "correct": sum(1 for i in scored if i.correct),
        "wrong": sum(1 for i in scored if i.correct is False),
        "majority_baseline": baseline,
        "verdict_rule": (
            "pass when the 95% interval's lower bound is above the majority baseline "
            "(the score of always giving the split's commonest answer)"
        ),
        **_reasoning_metrics(items),
    }
    values: dict[str, Any] = {
        "n_items": n_items,
        "n_scored": len(scored),
        "n_unscored": n_items - len(scored),
        "primary_score": None,
        "score": None,
        "ci_low": None,
        "ci_high": None,
        "verdict": None,
        "details": details,
    }
    if not scored:
        return values
    scores = [float(i.score) for i in scored if i.score is not None]
    primary = sum(scores) / len(scores)
    binary = all(s in (0.0, 1.0) for s in scores)
    low, high = wilson(int(sum(scores)), len(scores)) if binary else mean_interval(scores)
    details["interval_method"] = "wilson" if binary else "normal"
    values |= {
        "primary_score": primary,
        "score": round(primary * 100, 4),
        "ci_low": low,
        "ci_high": high,
        "verdict": "pass" if baseline is not None and low > baseline["share"] else "fail",
    }
    return values


def _reasoning_metrics(items: Sequence[Scored]) -> dict[str, Any]:
    if not items:
        return {}
    n = len(items)
    return {
        "format_adherence": sum(1 for i in items if i.format_ok) / n,
        "mean_output_tokens": sum(i.output_tokens for i in items) / n,
        "mean_reasoning_tokens": sum(i.reasoning_tokens for i in items) / n,
        "mean_reasoning_steps": sum(i.reasoning_steps for i in items) / n,
        "mean_latency_ms": sum(i.latency_ms for i in items) / n,
        "judge_calls": sum(i.judge_attempts for i in items),
        "accuracy_by_reasoning_length": by_reasoning_length(items),
    }


def by_reasoning_length(items: Sequence[Scored]) -> list[dict[str, Any]]:
    """Accuracy of the scored items in (up to) four buckets of reasoning length in
    tokens, split at the quartiles: does the model do better when it reasons longer?"""
    scored = sorted((i for i in items if i.score is not None), key=lambda i: i.reasoning_tokens)
    if not scored:
        return []
    cuts = sorted({scored[len(scored) * q // LENGTH_BUCKETS].reasoning_tokens for q in range(1, 4)})
    edges = [scored[0].reasoning_tokens, *[c for c in cuts if c > scored[0].reasoning_tokens]]
    buckets = []
    for n, low in enumerate(edges):
        high = edges[n + 1] - 1 if n + 1 < len(edges) else scored[-1].reasoning_tokens
        members = [i for i in scored if low <= i.reasoning_tokens <= high]
        if members:
            buckets.append(
                {
                    "min_tokens": low,
                    "max_tokens": high,
                    "n": len(members),
                    "accuracy": sum(float(i.score or 0) for i in members) / len(members),
                }
            )
    return buckets
