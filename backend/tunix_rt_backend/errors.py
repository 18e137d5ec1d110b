"""Domain errors and the one error body shape: `{"error": "<Name>", "detail": "..."}`.

Services raise `AppError` subclasses; `install_error_handlers` maps them (and the
framework's own errors) to status codes. 422 keeps FastAPI's list of field errors in
`detail` so clients can show them field by field.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


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


def error_response(status_code: int, error: str, detail: str, **kw: Any) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status_code, **kw)


def responses(*errors: type[AppError], validation: bool = False) -> dict[int | str, Any]:
    """OpenAPI `responses` for a route: every error it can return, declared."""
    out: dict[int | str, Any] = {
        err.status_code: {"model": ErrorBody, "description": err.__name__} for err in errors
    }
    if validation:
        out[422] = {"model": ValidationErrorBody, "description": "Validation error"}
    return out


_HTTP_ERROR_NAMES = {
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


def clean_validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Field errors without the offending input (which may be megabytes) or doc URLs."""
    return [{"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in errors]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return error_response(exc.status_code, exc.name, exc.detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        body = {"error": "ValidationError", "detail": clean_validation_errors(exc.errors())}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = _HTTP_ERROR_NAMES.get(exc.status_code, "HTTPError")
        return error_response(exc.status_code, name, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "InternalError", "An unexpected error occurred.")
