"""Values no database stores alike, found in parsed JSON: NaN and infinities, integers
beyond 64 bits, the NUL character (PostgreSQL cannot store it, SQLite does). Pure: the
services use it on free-form JSON (a trace's `meta`), kit/json_input.py on bodies."""

from __future__ import annotations

import math
from typing import Any

# 64 bits, signed or unsigned: what the JSON columns' encoder (orjson) takes.
INT64_MIN, INT64_MAX = -(2**63), 2**64 - 1
MAX_ERRORS = 10


class BadNumber:
    """What a refused number parses to, so that the walk can say where it was."""

    def __init__(self, text: str) -> None:
        self.text = text


def free_json_errors(value: Any, loc: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """The refused values in free-form JSON already parsed (NaN and infinities as
    floats, 65-bit integers, NUL), as 422 field errors under `loc`."""
    errors: list[dict[str, Any]] = []
    walk(value, loc, errors)
    return errors


def walk(value: Any, loc: tuple[str | int, ...], errors: list[dict[str, Any]]) -> None:
    if len(errors) >= MAX_ERRORS:
        return
    if isinstance(value, BadNumber):
        errors.append(field_error(loc, f"{value.text} is not a finite number"))
    elif isinstance(value, bool):
        return
    elif isinstance(value, float) and not math.isfinite(value):
        name = "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "Infinity"
        errors.append(field_error(loc, f"{name} is not a finite number"))
    elif isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        errors.append(field_error(loc, "integers must fit in 64 bits"))
    elif isinstance(value, str) and "\x00" in value:
        errors.append(field_error(loc, "the NUL character is not allowed"))
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                errors.append(field_error(loc, "the NUL character is not allowed in a key"))
            walk(item, (*loc, key), errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            walk(item, (*loc, index), errors)


def field_error(loc: tuple[str | int, ...], msg: str) -> dict[str, Any]:
    """A 422 field error (FastAPI's shape)."""
    return {"loc": loc, "msg": msg, "type": "value_error"}
