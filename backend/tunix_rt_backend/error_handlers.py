"""Maps errors to responses in the one body shape (see errors.py)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tunix_rt_backend.errors import (
    HTTP_ERROR_NAMES,
    AppError,
    ValidationFailed,
    clean_validation_errors,
)

log = logging.getLogger("tunix_rt_backend.errors")


def error_response(status_code: int, error: str, detail: str, **kw: Any) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status_code, **kw)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _failed(_: Request, exc: ValidationFailed) -> JSONResponse:
        body = {"error": "ValidationError", "detail": clean_validation_errors(exc.errors)}
        return JSONResponse(body, status_code=422)

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
        name = HTTP_ERROR_NAMES.get(exc.status_code, "HTTPError")
        return error_response(exc.status_code, name, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        # The server closes the connection after an unhandled error: say so, or a
        # client reusing the connection fails its next request too.
        return error_response(
            500, "InternalError", "An unexpected error occurred.", headers={"Connection": "close"}
        )
