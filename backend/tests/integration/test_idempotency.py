"""Idempotent trace creates on both databases: a retry with the same Idempotency-Key
and body gets the first answer and writes nothing again; the key with another body is a
409; a bad key a 422; keys last a day."""

from __future__ import annotations

from datetime import timedelta

import httpx
import orjson
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.models import IdempotencyKey, Trace
from tunix_rt_backend.kit.time import utcnow

from ..factories import count_rows, trace_body

Maker = async_sessionmaker[AsyncSession]
JSON = {"content-type": "application/json"}
BATCH = orjson.dumps([trace_body(prompt=f"q{i}") for i in range(3)])


def _keyed(key: str) -> dict[str, str]:
    return {**JSON, "idempotency-key": key}


async def test_a_retried_batch_gets_the_first_answer_and_inserts_nothing_again(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    first = await client.post("/api/traces/batch", content=BATCH, headers=_keyed("k-1"))
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = await client.post("/api/traces/batch", content=BATCH, headers=_keyed("k-1"))
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await count_rows(sessionmaker, Trace) == 3

    # Without a key, or with another one, it is a new request.
    assert (await client.post("/api/traces/batch", content=BATCH, headers=JSON)).status_code == 201
    other = await client.post("/api/traces/batch", content=BATCH, headers=_keyed("k-2"))
    assert other.json() != first.json()
    assert await count_rows(sessionmaker, Trace) == 9


async def test_one_trace_is_idempotent_too_and_keys_are_per_route(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    one = orjson.dumps(trace_body())
    first = await client.post("/api/traces", content=one, headers=_keyed("same"))
    again = await client.post("/api/traces", content=one, headers=_keyed("same"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    # The same key on the batch route is that route's own.
    batch = await client.post("/api/traces/batch", content=BATCH, headers=_keyed("same"))
    assert batch.status_code == 201 and "idempotent-replayed" not in batch.headers
    assert await count_rows(sessionmaker, Trace) == 4


async def test_a_key_reused_with_another_body_or_malformed_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await client.post("/api/traces/batch", content=BATCH, headers=_keyed("k"))
    other = orjson.dumps([trace_body(prompt="something else")])
    reused = await client.post("/api/traces/batch", content=other, headers=_keyed("k"))
    assert reused.status_code == 409
    assert reused.json()["error"] == "IdempotencyKeyReused"
    for key in ("x" * 256, "has space", "tab\there"):
        bad = await client.post("/api/traces/batch", content=other, headers=_keyed(key))
        assert bad.status_code == 422, key
        assert bad.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await count_rows(sessionmaker, Trace) == 3
    assert await count_rows(sessionmaker, IdempotencyKey) == 1
    # A request that fails its checks is not remembered: fixed, it goes in.
    invalid = orjson.dumps([{"prompt": "no steps"}])
    assert (
        await client.post("/api/traces/batch", content=invalid, headers=_keyed("v"))
    ).status_code == 422
    assert await count_rows(sessionmaker, IdempotencyKey) == 1


async def test_a_key_lasts_a_day(client: httpx.AsyncClient, sessionmaker: Maker) -> None:
    await client.post("/api/traces/batch", content=BATCH, headers=_keyed("old"))
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(IdempotencyKey).values(created_at=utcnow() - timedelta(days=1, seconds=1))
        )
    later = await client.post("/api/traces/batch", content=BATCH, headers=_keyed("old"))
    assert later.status_code == 201 and "idempotent-replayed" not in later.headers
    assert await count_rows(sessionmaker, Trace) == 6
    assert await count_rows(sessionmaker, IdempotencyKey) == 1  # the expired one is gone
