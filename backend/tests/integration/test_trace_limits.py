"""TRACE_MAX_BYTES and the batch limits: checked before parsing, nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import count_rows, trace_body
from tunix_rt_backend.db.models import Trace

MAX_BYTES = 4096


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "trace_max_bytes": MAX_BYTES,
        "trace_batch_max_items": 5,
        "trace_batch_max_bytes": 3 * MAX_BYTES,
    }


async def test_trace_over_max_bytes_is_413_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = orjson.dumps(trace_body(prompt="p" * MAX_BYTES))
    response = await client.post(
        "/api/traces", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"
    assert str(MAX_BYTES) in response.json()["detail"]
    assert await count_rows(sessionmaker, Trace) == 0


async def test_oversized_body_is_413_even_when_it_is_not_json(client: httpx.AsyncClient) -> None:
    # The limit is checked before parsing: garbage this large never reaches the parser.
    response = await client.post("/api/traces", content=b"{" * (MAX_BYTES + 1))
    assert response.status_code == 413


async def test_chunked_body_over_limit_is_413(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1024  # no Content-Length: counted as it streams in

    response = await client.post("/api/traces", content=chunks())
    assert response.status_code == 413
    assert await count_rows(sessionmaker, Trace) == 0


async def test_trace_at_limit_is_accepted(client: httpx.AsyncClient) -> None:
    base = len(orjson.dumps(trace_body(prompt="")))
    body = orjson.dumps(trace_body(prompt="p" * (MAX_BYTES - base)))
    assert len(body) == MAX_BYTES
    response = await client.post(
        "/api/traces", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201


async def test_batch_over_max_items_is_422_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/api/traces/batch", json=[trace_body()] * 6)
    assert response.status_code == 422
    assert "TRACE_BATCH_MAX_ITEMS" in response.json()["detail"][0]["msg"]
    assert await count_rows(sessionmaker, Trace) == 0


async def test_batch_over_max_bytes_is_413_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    big = trace_body(prompt="p" * 3000)  # 5 of these exceed 3 * MAX_BYTES
    response = await client.post("/api/traces/batch", json=[big] * 5)
    assert response.status_code == 413
    assert await count_rows(sessionmaker, Trace) == 0


async def test_batch_item_over_trace_max_bytes_is_422_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post(
        "/api/traces/batch", json=[trace_body(), trace_body(prompt="p" * (MAX_BYTES + 10))]
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 1]
    assert await count_rows(sessionmaker, Trace) == 0
