"""The training process's event protocol: one JSON object per stdout line, written
with `emit` by the trainer and read back with `parse` by whoever runs it. This module
is the only place that knows the format (the server stores what `parse` returns; the
browser reads the stored rows, never the lines).

    {"event": "log", "time": ..., "message": ...}
    {"event": "metric", "time": ..., "step": 10, "name": "train/loss", "value": 1.5}
    {"event": "checkpoint", "time": ..., "step": 60, "path": ".../checkpoints/60"}
    {"event": "generation", "time": ..., "index": 0, "step": 60, "prompt": ...,
     "expected": ..., "output": ..., "correct": true}
    {"event": "answer", "time": ..., "index": 3, "output": ..., "output_tokens": 41,
     "reasoning_tokens": 30, "latency_ms": 12.5}
    {"event": "done", "time": ..., "status": "completed", "summary": {...}}

Imports nothing heavy: the server parses with it, the trainer emits with it.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson


@dataclass(frozen=True)
class Log:
    kind: ClassVar[str] = "log"
    message: str


@dataclass(frozen=True)
class Metric:
    kind: ClassVar[str] = "metric"
    step: int | None
    name: str
    value: float


@dataclass(frozen=True)
class Checkpoint:
    kind: ClassVar[str] = "checkpoint"
    step: int
    path: str


@dataclass(frozen=True)
class Generation:
    """A held-out prompt answered greedily: `index` is its place among them."""

    kind: ClassVar[str] = "generation"
    index: int
    step: int | None
    prompt: str
    expected: str | None
    output: str
    correct: bool | None


@dataclass(frozen=True)
class Answer:
    """An evaluation's answer to the item at `index` of its dataset split: the tokens
    it wrote (`reasoning_tokens`: those before its answer line) and its share of its
    batch's wall time."""

    kind: ClassVar[str] = "answer"
    index: int
    output: str
    output_tokens: int
    reasoning_tokens: int
    latency_ms: float


@dataclass(frozen=True)
class Done:
    kind: ClassVar[str] = "done"
    status: str
    summary: dict[str, Any]


Event = Log | Metric | Checkpoint | Generation | Answer | Done


def encode(event: Event) -> bytes:
    fields = dataclasses.asdict(event)
    return orjson.dumps({"event": event.kind, "time": round(time.time(), 3), **fields})


def emit(event: Event) -> None:
    sys.stdout.write(encode(event).decode() + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    emit(Log(message))


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an integer")
    return int(value)


def _opt_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _opt_bool(value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    return float(value)


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value


def _decode(kind: Any, data: dict[str, Any]) -> Event | None:
    if kind == "metric":
        return Metric(_opt_int(data.get("step")), _str(data["name"]), _float(data["value"]))
    if kind == "log":
        return Log(_str(data["message"]))
    if kind == "checkpoint":
        return Checkpoint(_int(data["step"]), _str(data["path"]))
    if kind == "generation":
        return Generation(
            index=_int(data["index"]),
            step=_opt_int(data.get("step")),
            prompt=_str(data["prompt"]),
            expected=_opt_str(data.get("expected")),
            output=_str(data["output"]),
            correct=_opt_bool(data.get("correct")),
        )
    if kind == "answer":
        return Answer(
            index=_int(data["index"]),
            output=_str(data["output"]),
            output_tokens=_int(data["output_tokens"]),
            reasoning_tokens=_int(data["reasoning_tokens"]),
            latency_ms=_float(data["latency_ms"]),
        )
    if kind == "done":
        return Done(_str(data["status"]), _dict(data.get("summary") or {}))
    return None


def as_dict(event: Event) -> dict[str, Any]:
    """An event as plain data, named by `kind` (what the live log sends a browser)."""
    return {"kind": event.kind, **dataclasses.asdict(event)}


def describe_lines(text: str) -> list[dict[str, Any] | None]:
    """For each line of stdout `text` (the last one cut at its final newline), its
    event as `as_dict` gives it, or None for a plain line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [None if (e := parse(line)) is None else as_dict(e) for line in lines]


def parse(line: bytes | str) -> Event | None:
    """The event on a stdout line; None for anything else (a stray print, a line cut
    short, an unknown event, a field of the wrong type)."""
    try:
        data = orjson.loads(line)
        if not isinstance(data, dict):
            return None
        return _decode(data.get("event"), data)
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
