from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import count_rows, trace_body
from tunix_rt_backend.db.models import Trace


async def test_create_trace_returns_201_and_round_trips_payload(
    client: httpx.AsyncClient,
) -> None:
    body = trace_body()
    created = await client.post("/api/traces", json=body)
    assert created.status_code == 201
    info = created.json()
    assert set(info) == {"id", "created_at", "trace_version"}
    assert info["trace_version"] == "1.0"
    assert info["created_at"].endswith("Z")

    fetched = await client.get(f"/api/traces/{info['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == {**info, "payload": body}


async def test_create_trace_without_meta_stores_no_meta(client: httpx.AsyncClient) -> None:
    body = trace_body()
    del body["meta"]
    trace_id = (await client.post("/api/traces", json=body)).json()["id"]
    assert (await client.get(f"/api/traces/{trace_id}")).json()["payload"] == body


def _long(n: int) -> str:
    return "x" * n


BAD_TRACES: dict[str, Any] = {
    "missing prompt": {k: v for k, v in trace_body().items() if k != "prompt"},
    "missing final_answer": {k: v for k, v in trace_body().items() if k != "final_answer"},
    "missing steps": {k: v for k, v in trace_body().items() if k != "steps"},
    "missing trace_version": {k: v for k, v in trace_body().items() if k != "trace_version"},
    "empty prompt": trace_body(prompt=""),
    "prompt too long": trace_body(prompt=_long(50_001)),
    "empty final_answer": trace_body(final_answer=""),
    "final_answer too long": trace_body(final_answer=_long(50_001)),
    "trace_version too long": trace_body(trace_version=_long(65)),
    "no steps": trace_body(steps=[]),
    "too many steps": trace_body(
        steps=[{"i": n, "type": "t", "content": "c"} for n in range(1001)]
    ),
    "duplicate step indices": trace_body(
        steps=[{"i": 0, "type": "a", "content": "x"}, {"i": 0, "type": "b", "content": "y"}]
    ),
    "negative step index": trace_body(steps=[{"i": -1, "type": "a", "content": "x"}]),
    "empty step type": trace_body(steps=[{"i": 0, "type": "", "content": "x"}]),
    "step type too long": trace_body(steps=[{"i": 0, "type": _long(65), "content": "x"}]),
    "empty step content": trace_body(steps=[{"i": 0, "type": "a", "content": ""}]),
    "step content too long": trace_body(steps=[{"i": 0, "type": "a", "content": _long(20_001)}]),
    "unknown field": trace_body(answer="typo"),
    "prompt not a string": trace_body(prompt=["a"]),
    "not an object": [1, 2, 3],
}


@pytest.mark.parametrize("body", BAD_TRACES.values(), ids=BAD_TRACES.keys())
async def test_invalid_trace_is_422_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], body: Any
) -> None:
    response = await client.post("/api/traces", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "ValidationError"
    assert payload["detail"] and all({"loc", "msg", "type"} <= set(e) for e in payload["detail"])
    assert payload["detail"][0]["loc"][0] == "body"
    assert await count_rows(sessionmaker, Trace) == 0


async def test_duplicate_step_indices_error_names_them(client: httpx.AsyncClient) -> None:
    body = BAD_TRACES["duplicate step indices"]
    detail = (await client.post("/api/traces", json=body)).json()["detail"]
    assert "duplicated: [0]" in detail[0]["msg"]


async def test_malformed_json_is_422_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post(
        "/api/traces", content=b'{"prompt": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert await count_rows(sessionmaker, Trace) == 0


async def test_get_unknown_trace_is_404_with_error_body(client: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()
    response = await client.get(f"/api/traces/{missing}")
    assert response.status_code == 404
    assert response.json() == {"error": "TraceNotFound", "detail": f"Trace {missing} not found."}


async def test_get_malformed_trace_id_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/traces/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "trace_id"]


async def test_unknown_route_uses_error_body(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "error": "NotFound",
        "detail": "No API route /api/nothing-here.",
    }
