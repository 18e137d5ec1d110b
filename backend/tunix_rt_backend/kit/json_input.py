"""Input no database can store the same way, refused with a 422 before any route runs:
`NaN`, `Infinity` and numbers that overflow a double (JSON has none of them; Python's
parser accepts them, and they were stored as null), integers beyond 64 bits (the JSON
columns' encoder fails on them: a 500), and the NUL character in a string, a key, the
path or the query (PostgreSQL cannot store it, SQLite does: the two must agree).

Bodies FastAPI parses (small) pay a few byte scans in CheckedRoute, and only one with
a suspect token is parsed again. The trace batches (up to 32 MB, read by hand) pay one
scan for NUL (kit/body.py); their schema bounds the integers and the service walks
their free-form `meta` (kit/json_values.py)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from tunix_rt_backend.kit.json_values import BadNumber, field_error, walk

# The body's shape for the scan: digits as "d", exponent marks as "e", "+" kept,
# everything else ".": 19 digits in a row or a 3-digit exponent is worth a closer look.
_SHAPE = bytearray(b"." * 256)
for _digit in b"0123456789":
    _SHAPE[_digit] = ord("d")
_SHAPE[ord("e")] = _SHAPE[ord("E")] = ord("e")
_SHAPE[ord("+")] = ord("+")
_SHAPE_TABLE = bytes(_SHAPE)


def _suspect(raw: bytes) -> bool:
    """Whether `raw` may hold a refused value: a few C-speed scans (a regex over a
    1.5 MB batch costs more than validating it)."""
    if b"NaN" in raw or b"Infinity" in raw or b"\\u0000" in raw:
        return True
    shape = raw.translate(_SHAPE_TABLE)
    return b"d" * 19 in shape or b"eddd" in shape or b"e+ddd" in shape


def check_json(raw: bytes) -> None:
    """Raise a 422 (FastAPI's shape, `loc` from "body") for refused values in the JSON
    `raw`. Not JSON at all is left to the route's own parsing to report."""
    if not _suspect(raw):
        return
    try:
        document = json.loads(raw, parse_constant=BadNumber, parse_float=_float)
    except ValueError:
        return
    errors: list[dict[str, Any]] = []
    walk(document, ("body",), errors)
    if errors:
        raise RequestValidationError(errors)


def check_nul(raw: bytes) -> None:
    """The cheap check of a large hand-read body: a NUL (one byte scan; the body is
    parsed again only when one may be there)."""
    if b"\\u0000" in raw:
        check_json(raw)


def check_utf8(raw: bytes) -> None:
    """JSON is UTF-8 (RFC 8259): anything else is a 422 (FastAPI's own parsing answers
    some such bodies with a bare 400)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"the body is not UTF-8 (byte {exc.start})"
        error = {"loc": ("body",), "msg": msg, "type": "json_invalid"}
        raise RequestValidationError([error]) from None


def check_target(request: Request) -> None:
    """A NUL in the path or the query string: 422."""
    where = "path" if "\x00" in request.scope["path"] else None
    if b"%00" in request.scope.get("query_string", b""):
        where = "query"
    if where is not None:
        raise RequestValidationError([field_error((where,), "the NUL character is not allowed")])


def _float(text: str) -> float | BadNumber:
    value = float(text)
    return BadNumber(text) if math.isinf(value) else value


class CheckedRoute(APIRoute):
    """A route whose target, and JSON body when FastAPI parses one, are checked first.
    Routes that read their body by hand (with a size limit) check it themselves
    (kit/body.py)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        parses_body = self.body_field is not None

        async def checked(request: Request) -> Response:
            check_target(request)
            if parses_body:
                raw = await request.body()
                check_utf8(raw)
                check_json(raw)
            return await handler(request)

        return checked
