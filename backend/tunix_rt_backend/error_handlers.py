"""Maps errors to responses in the one body shape (see errors.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from asyncpg import PostgresError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from tunix_rt_backend.errors import (
    HTTP_ERROR_NAMES,
    AppError,
    ValidationFailed,
    clean_validation_errors,
)
from tunix_rt_backend.ui import UI_ROUTE_NAME, is_api_path

log = logging.getLogger("tunix_rt_backend.errors")


def error_response(status_code: int, error: str, detail: str, **kw: Any) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status_code, **kw)


OPENAI_PREFIX = "/v1"
# OpenAI's error `type` by status (its clients branch on the status, people read these).
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def openai_error(
    status_code: int,
    message: str,
    *,
    code: str | None,
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The error body OpenAI's API answers with (and its clients parse), for /v1."""
    kind = _OPENAI_TYPES.get(status_code, "server_error" if status_code >= 500 else "api_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _is_openai(request: Request) -> bool:
    path = request.url.path
    return path == OPENAI_PREFIX or path.startswith(OPENAI_PREFIX + "/")


def _validation_message(errors: list[dict[str, Any]]) -> tuple[str, str | None]:
    """OpenAI-style: one sentence per field error, and the first field's name."""
    parts, param = [], None
    for err in errors:
        loc = []
        for part in err["loc"][1:] if err["loc"][:1] == ["body"] else err["loc"]:
            if isinstance(part, str) and not part.isidentifier():
                break  # a union's member (`constrained-str`, `list[int]`): not a field
            loc.append(str(part))
        name = ".".join(loc) or "body"
        param = param or name
        parts.append(f"{name}: {err['msg']}")
    return "; ".join(parts) or "invalid request", param


# A restart of PostgreSQL takes seconds: ask clients to come back after this many.
DATABASE_RETRY_AFTER_S = 5
# What the drivers say when the database is away or restarting (asyncpg's connection
# errors, PostgreSQL's 57P01-57P03 and 08xxx states) or SQLite's file is busy.
_UNAVAILABLE_NAMES = (
    "ConnectionDoesNotExistError",
    "CannotConnectNowError",
    "AdminShutdownError",
    "CrashShutdownError",
    "TooManyConnectionsError",
    "ConnectionFailureError",
)


def database_trouble(exc: Exception) -> tuple[int, str, str] | None:
    """(status, error, detail) for a database that is away (503) or full (507); None
    for anything else (a bug: 500)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).lower()
    if "database or disk is full" in text or "no space left on device" in text:
        return (
            507,
            "InsufficientStorage",
            (
                "The database's disk is full: nothing was written. Reads still work; free "
                "some space and send it again."
            ),
        )
    away = (
        isinstance(exc, ConnectionError | SQLAlchemyTimeout)
        or isinstance(orig, ConnectionError)
        or getattr(exc, "connection_invalidated", False)
        # The driver's error: raw from opening a connection (PostgreSQL starting up or
        # shutting down), else wrapped by SQLAlchemy.
        or type(exc).__name__ in _UNAVAILABLE_NAMES
        or type(orig).__name__ in _UNAVAILABLE_NAMES
        or "database is locked" in text
    )
    if away:
        return (
            503,
            "DatabaseUnavailable",
            (
                "The database is not answering (down, restarting or busy): nothing was "
                f"written. Try again in {DATABASE_RETRY_AFTER_S} s."
            ),
        )
    return None


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on the request's path (asked of the routes
    themselves, included routers too). Under /api, the UI's catch-all page route does
    not count: it answers no API path."""
    routes = request.app.router.routes
    if is_api_path(request.url.path):
        routes = [r for r in routes if getattr(r, "name", None) != UI_ROUTE_NAME]
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    def invalid(request: Request, errors: list[dict[str, Any]]) -> JSONResponse:
        if _is_openai(request):  # OpenAI answers bad parameters with a 400
            message, param = _validation_message(errors)
            return openai_error(400, message, code="invalid_value", param=param)
        return JSONResponse({"error": "ValidationError", "detail": errors}, status_code=422)

    @app.exception_handler(ValidationFailed)
    async def _failed(request: Request, exc: ValidationFailed) -> JSONResponse:
        return invalid(request, clean_validation_errors(exc.errors))

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if _is_openai(request):
            return openai_error(
                exc.status_code,
                exc.detail,
                code=getattr(exc, "code", None) or _snake(exc.name),
                param=getattr(exc, "param", None),
                headers=headers,
            )
        body = {"error": exc.name, "detail": exc.detail, **exc.body_extra()}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid(request, clean_validation_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = HTTP_ERROR_NAMES.get(exc.status_code, "HTTPError")
        headers = exc.headers
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path only.
            allowed = allowed_methods(request)
            if not allowed:  # only the UI's page route matched: no such API path
                return error_response(404, "NotFound", f"No API route {request.url.path}.")
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        if _is_openai(request):
            return openai_error(
                exc.status_code, str(exc.detail), code=_snake(name), headers=headers
            )
        return error_response(exc.status_code, name, str(exc.detail), headers=headers)

    @app.exception_handler(ConnectionError)
    @app.exception_handler(SQLAlchemyTimeout)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(PostgresError)  # raw, from opening a connection
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        trouble = database_trouble(exc)
        if trouble is None:
            return await _unexpected(request, exc)
        status, error, detail = trouble
        log.warning("database trouble (%s): %s", error, exc)
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER_S)} if status == 503 else None
        if _is_openai(request):
            return openai_error(status, detail, code=_snake(error), headers=headers)
        return error_response(status, error, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        # The server closes the connection after an unhandled error: say so, or a
        # client reusing the connection fails its next request too.
        headers = {"Connection": "close"}
        message = "An unexpected error occurred."
        if _is_openai(request):
            return openai_error(500, message, code="internal_error", headers=headers)
        return error_response(500, "InternalError", message, headers=headers)
