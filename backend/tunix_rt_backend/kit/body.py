"""Request bodies read with a byte limit that is enforced before any parsing."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from tunix_rt_backend.errors import PayloadTooLarge
from tunix_rt_backend.kit.json_input import check_nul

M = TypeVar("M")
# Exports and streamed lists: one JSON object per line.
NDJSON = "application/x-ndjson"


async def read_body_limited(request: Request, max_bytes: int) -> bytes:
    """The raw body, or 413 as soon as it is known to exceed `max_bytes`: from
    Content-Length when the client sends one, else while it streams in, so an
    oversized body is never buffered whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body exceeds the limit of {max_bytes} bytes.")


def parse_json_body(raw: bytes, adapter: TypeAdapter[M]) -> M:
    """Validate JSON bytes in one pass (pydantic-core), errors as FastAPI's 422. A NUL
    anywhere is refused first (one byte scan); the schema must bound its integers and
    the caller check free-form values (`kit.json_input.free_json_errors`)."""
    check_nul(raw)
    try:
        return adapter.validate_json(raw)
    except ValidationError as exc:
        errors = [{**err, "loc": ("body", *err["loc"])} for err in exc.errors()]
        raise RequestValidationError(errors) from None


# Models of hand-read bodies; `body_component_schemas` adds them to the OpenAPI document.
_BODY_MODELS: list[Any] = []


def json_body_openapi(model: Any, *, array: bool = False) -> dict[str, Any]:
    """`openapi_extra` declaring the JSON body (a model or TypedDict) of a route that
    reads it by hand."""
    _BODY_MODELS.append(model)
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{model.__name__}"}
    if array:
        schema = {"type": "array", "items": schema}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def body_component_schemas() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model in _BODY_MODELS:
        schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out
