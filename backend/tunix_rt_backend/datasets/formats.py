"""Export formats: one JSON object per line (NDJSON) for each member trace.

- `trace`: the stored trace with its id and split, keys sorted (the dataset's
  `content_sha256` is the sha256 of this export, so it must not depend on the
  database's key order: JSONB reorders keys).
- `tunix_sft`: Gemma chat-template `prompt` and `completion` (see
  templates/gemma_reasoning.py), the input of the training process.
- `training_example`: the plain prompt and response, with metadata.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Literal

import orjson

from tunix_rt_backend.templates.gemma_reasoning import END_TURN, render_prompt, render_response

ExportFormat = Literal["trace", "tunix_sft", "training_example"]
SplitName = Literal["train", "eval"]
SplitFilter = Literal["all", "train", "eval"]

LineRenderer = Callable[[uuid.UUID, str | None, dict[str, Any]], bytes]
_NL = orjson.OPT_APPEND_NEWLINE


def trace_line(trace_id: uuid.UUID, split: str | None, payload: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {**payload, "id": str(trace_id), "split": split}, option=_NL | orjson.OPT_SORT_KEYS
    )


def tunix_sft_line(trace_id: uuid.UUID, split: str | None, payload: dict[str, Any]) -> bytes:
    response = render_response(payload["steps"], payload["final_answer"])
    line = {
        "id": str(trace_id),
        "split": split,
        "prompt": render_prompt(payload["prompt"]),
        "completion": response + END_TURN,
        "final_answer": payload["final_answer"],
    }
    return orjson.dumps(line, option=_NL)


def training_example_line(trace_id: uuid.UUID, split: str | None, payload: dict[str, Any]) -> bytes:
    meta = payload.get("meta") or {}
    line = {
        "id": str(trace_id),
        "split": split,
        "prompt": payload["prompt"],
        "response": render_response(payload["steps"], payload["final_answer"]),
        "final_answer": payload["final_answer"],
        "metadata": {
            "trace_id": str(trace_id),
            "trace_version": payload["trace_version"],
            "source": meta.get("source"),
            "step_count": len(payload["steps"]),
            "meta": meta,
        },
    }
    return orjson.dumps(line, option=_NL)


RENDERERS: dict[str, LineRenderer] = {
    "trace": trace_line,
    "tunix_sft": tunix_sft_line,
    "training_example": training_example_line,
}
