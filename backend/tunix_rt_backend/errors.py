"""Domain errors and the one error body shape: `{"error": "<Name>", "detail": "..."}`.

Services raise `AppError` subclasses, and nothing of a web framework: the CLI and the
workers call them too. `error_handlers.install_error_handlers` maps them (and the
framework's own errors) to status codes. A 422 keeps the list of field errors in
`detail` (FastAPI's shape) so clients can show them field by field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    error: str
    detail: str


class ValidationErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    error: str = "ValidationError"
    detail: list[ValidationErrorItem]


class AppError(Exception):
    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def name(self) -> str:
        return type(self).__name__

    def body_extra(self) -> dict[str, object]:
        """Fields of the error body beside `error` and `detail` (a report, say)."""
        return {}


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class BadRequest(AppError):
    status_code = 400


class PayloadTooLarge(AppError):
    status_code = 413


class NotAvailable(AppError):
    """An optional runtime (an extra) is not installed."""

    status_code = 501


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class ValidationFailed(AppError):
    """Input that passed its schema but not a rule checked later (a path outside the
    artifact root, a count over a limit): a 422 with field errors, as the schema's own."""

    status_code = 422

    def __init__(self, errors: Sequence[dict[str, Any]]) -> None:
        super().__init__("; ".join(str(e.get("msg", "")) for e in errors))
        self.errors = list(errors)

    @classmethod
    def field(cls, loc: tuple[str | int, ...], msg: str, type_: str) -> ValidationFailed:
        return cls([field_error(loc, msg, type_)])


def responses(*errors: type[AppError], validation: bool = False) -> dict[int | str, Any]:
    """OpenAPI `responses` for a route: every error it can return, declared."""
    out: dict[int | str, Any] = {
        err.status_code: {"model": ErrorBody, "description": err.__name__} for err in errors
    }
    if validation:
        out[422] = {"model": ValidationErrorBody, "description": "Validation error"}
    return out


HTTP_ERROR_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
}


def field_error(loc: tuple[str | int, ...], msg: str, type_: str) -> dict[str, Any]:
    """One entry of a 422's `detail`, for checks made outside pydantic."""
    return {"loc": loc, "msg": msg, "type": type_}


_NAME = "letters, digits, '.', '_' and '-', starting with a letter or a digit"
# What each pattern of the API allows, in words: a 422 says this, not the expression.
PATTERN_WORDS = {
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$": _NAME,
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$": _NAME,
    r"^[A-Za-z0-9][A-Za-z0-9._:-]*$": (
        "letters, digits, '.', '_', ':' and '-', starting with a letter or a digit"
    ),
    r"^[a-z][a-z0-9_-]*$": "lowercase letters, digits, '_' and '-', starting with a letter",
    r"^[\x21-\x7e]+$": "printable ASCII characters, no spaces",
}


def clean_validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Field errors without the offending input (which may be megabytes) or doc URLs;
    a pattern the value does not match is said in words."""
    return [{"loc": list(err["loc"]), "msg": _message(err), "type": err["type"]} for err in errors]


def _message(err: Any) -> str:
    if err["type"] == "string_pattern_mismatch":
        words = PATTERN_WORDS.get(str((err.get("ctx") or {}).get("pattern")))
        if words is not None:
            return f"Use only {words}"
    return str(err["msg"])
