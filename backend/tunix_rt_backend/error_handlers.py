"""Maps errors to responses in the one body shape (see errors.py)."""

from __future__ import annotations

import logging
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
from tunix_rt_backend.ui import UI_ROUTE_NAME

log = logging.getLogger("tunix_rt_backend.errors")


def error_response(status_code: int, error: str, detail: str, **kw: Any) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status_code, **kw)


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
    if request.url.path == "/api" or request.url.path.startswith("/api/"):
        routes = [r for r in routes if getattr(r, "name", None) != UI_ROUTE_NAME]
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _failed(_: Request, exc: ValidationFailed) -> JSONResponse:
        body = {"error": "ValidationError", "detail": clean_validation_errors(exc.errors)}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        body = {"error": exc.name, "detail": exc.detail, **exc.body_extra()}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        body = {"error": "ValidationError", "detail": clean_validation_errors(exc.errors())}
        return JSONResponse(body, status_code=422)

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
        return error_response(exc.status_code, name, str(exc.detail), headers=headers)

    @app.exception_handler(ConnectionError)
    @app.exception_handler(SQLAlchemyTimeout)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(PostgresError)  # raw, from opening a connection
    async def _database(_: Request, exc: Exception) -> JSONResponse:
        trouble = database_trouble(exc)
        if trouble is None:
            return await _unexpected(_, exc)
        status, error, detail = trouble
        log.warning("database trouble (%s): %s", error, exc)
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER_S)} if status == 503 else None
        return error_response(status, error, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        # The server closes the connection after an unhandled error: say so, or a
        # client reusing the connection fails its next request too.
        return error_response(
            500, "InternalError", "An unexpected error occurred.", headers={"Connection": "close"}
        )
