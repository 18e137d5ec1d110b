from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import count_rows, trace_body
from tunix_rt_backend.db.models import Trace


async def test_batch_creates_every_trace_in_order(client: httpx.AsyncClient) -> None:
    bodies = [trace_body(prompt=f"question {n}") for n in range(25)]
    response = await client.post("/api/traces/batch", json=bodies)
    assert response.status_code == 201
    result = response.json()
    assert result["created"] == 25
    ids = [t["id"] for t in result["traces"]]
    assert len(set(ids)) == 25

    listed = (await client.get("/api/traces?limit=100")).json()["data"]
    # Newest first: the batch's last trace heads the list.
    assert [t["id"] for t in listed] == ids[::-1]
    detail = (await client.get(f"/api/traces/{ids[7]}")).json()
    assert detail["payload"]["prompt"] == "question 7"


async def test_batch_with_one_invalid_trace_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    bodies = [trace_body(), trace_body(), trace_body(steps=[])]
    response = await client.post("/api/traces/batch", json=bodies)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", 2]
    assert await count_rows(sessionmaker, Trace) == 0


async def test_empty_batch_is_422(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/api/traces/batch", json=[])
    assert response.status_code == 422
    assert await count_rows(sessionmaker, Trace) == 0


async def test_batch_body_must_be_an_array(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/traces/batch", json=trace_body())
    assert response.status_code == 422


async def test_batch_is_written_in_one_statement(
    app_and_client: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = app_and_client
    inserts: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO TRACES"):
            inserts.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
    try:
        response = await client.post("/api/traces/batch", json=[trace_body()] * 500)
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", record)
    assert response.status_code == 201
    assert len(inserts) == 1
