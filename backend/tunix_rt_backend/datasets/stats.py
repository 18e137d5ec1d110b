"""Length statistics and the content hash of a dataset, computed in one pass."""

from __future__ import annotations

import hashlib
import statistics
import uuid
from collections import Counter
from typing import Any

from tunix_rt_backend.datasets.formats import trace_line


class DatasetDigest:
    """Feed members in dataset order; `stats()` and `sha256` describe the whole."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._prompt_chars: list[int] = []
        self._answer_chars: list[int] = []
        self._steps: list[int] = []
        self._total_chars: list[int] = []
        self._sources: Counter[str] = Counter()

    def add(self, trace_id: uuid.UUID, split: str, payload: dict[str, Any]) -> None:
        self._hash.update(trace_line(trace_id, split, payload))
        prompt, answer = len(payload["prompt"]), len(payload["final_answer"])
        step_chars = sum(len(step["content"]) for step in payload["steps"])
        self._prompt_chars.append(prompt)
        self._answer_chars.append(answer)
        self._steps.append(len(payload["steps"]))
        self._total_chars.append(prompt + answer + step_chars)
        source = (payload.get("meta") or {}).get("source")
        self._sources[str(source) if source is not None else "(none)"] += 1

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def stats(self) -> dict[str, Any]:
        return {
            "prompt_chars": _summary(self._prompt_chars),
            "final_answer_chars": _summary(self._answer_chars),
            "steps": _summary(self._steps),
            "total_chars": _summary(self._total_chars),
            "sources": dict(self._sources.most_common()),
        }


def _summary(values: list[int]) -> dict[str, float]:
    return {
        "min": min(values),
        "max": max(values),
        "mean": round(statistics.fmean(values), 2),
        "p50": statistics.median(values),
    }
