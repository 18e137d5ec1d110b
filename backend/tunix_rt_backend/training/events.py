"""The training process's only output channel: one JSON object per stdout line.

`log` {message}, `metric` {step, name, value}, `checkpoint` {step, path},
`generation` {prompt, expected, output, correct}, `done` {status, summary}.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import orjson


def emit(event: str, **fields: Any) -> None:
    line = orjson.dumps({"event": event, "time": round(time.time(), 3), **fields})
    sys.stdout.write(line.decode() + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    emit("log", message=message)
