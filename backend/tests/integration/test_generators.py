"""Trace generators over HTTP: generic, High Card Duel (UNGAR) and their export."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import count_rows, ndjson
from tunix_rt_backend.db.models import Trace
from tunix_rt_backend.generators import arithmetic, high_card_duel


async def test_list_generators_with_param_schemas(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/generators")
    assert response.status_code == 200
    by_name = {g["name"]: g for g in response.json()}
    assert set(by_name) == {"high_card_duel", "arithmetic"}
    difficulty = by_name["arithmetic"]["params_schema"]["properties"]["difficulty"]
    assert (difficulty["minimum"], difficulty["maximum"]) == (1, 5)


async def test_generate_arithmetic_stores_the_traces(client: httpx.AsyncClient) -> None:
    body = {"count": 12, "seed": 5, "params": {"difficulty": 4}}
    response = await client.post("/api/generators/arithmetic/generate", json=body)
    assert response.status_code == 201
    result = response.json()
    assert result["generator"] == "arithmetic"
    assert result["created"] == 12
    assert len(result["trace_ids"]) == 12
    assert result["preview"] == arithmetic.generate(3, 5, 4)
    stored = (await client.get(f"/api/traces/{result['trace_ids'][4]}")).json()["payload"]
    assert stored == arithmetic.problem_trace(4, 9)
    assert stored["meta"]["operator"] == "*"


async def test_generate_without_persist_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = {"count": 5, "persist": False}
    response = await client.post("/api/generators/high_card_duel/generate", json=body)
    assert response.status_code == 201
    assert response.json()["created"] == 0
    assert len(response.json()["preview"]) == 3
    assert await count_rows(sessionmaker, Trace) == 0


@pytest.mark.parametrize(
    ("name", "body", "status", "loc"),
    [
        ("arithmetic", {"count": 10_001}, 422, ["body", "count"]),
        ("arithmetic", {"count": 0}, 422, ["body", "count"]),
        ("arithmetic", {"params": {"difficulty": 6}}, 422, ["body", "params", "difficulty"]),
        ("arithmetic", {"params": {"digits": 2}}, 422, ["body", "params", "digits"]),
        ("high_card_duel", {"params": {"jokers": 0}}, 422, ["body", "params", "jokers"]),
        ("arithmetic", {"seed": -1}, 422, ["body", "seed"]),
        ("poker", {}, 404, None),
    ],
)
async def test_bad_generate_request_writes_nothing(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
    body: dict[str, Any],
    status: int,
    loc: list[str] | None,
) -> None:
    response = await client.post(f"/api/generators/{name}/generate", json=body)
    assert response.status_code == status
    if loc is not None:
        assert response.json()["detail"][0]["loc"] == loc
    else:
        assert response.json()["error"] == "GeneratorNotFound"
        assert "high_card_duel, arithmetic" in response.json()["detail"]
    assert await count_rows(sessionmaker, Trace) == 0


async def test_ungar_status_names_the_engine(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/ungar/status")
    assert response.status_code == 200
    status = response.json()
    assert status["available"] is True
    expected = "builtin" if high_card_duel.ungar_version() is None else "ungar"
    assert status["engine"] == expected


async def test_high_card_duel_generate_then_export(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/ungar/high-card-duel/generate", json={"count": 4, "seed": 100}
    )
    assert response.status_code == 201
    ids = response.json()["trace_ids"]
    await client.post("/api/generators/arithmetic/generate", json={"count": 3})

    export = await client.get("/api/ungar/high-card-duel/export.jsonl?limit=3")
    assert export.status_code == 200
    assert export.headers["content-type"] == "application/x-ndjson"
    lines = ndjson(export.text)
    assert [line["id"] for line in lines] == ids[::-1][:3]
    newest = high_card_duel.game_trace(103)
    assert lines[0]["prompts"] == newest["prompt"]
    assert lines[0]["final_answer"] == newest["final_answer"]
    assert lines[0]["trace_steps"] == [step["content"] for step in newest["steps"]]
    assert lines[0]["metadata"]["game"] == "high_card_duel"


async def test_high_card_duel_bad_count_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/api/ungar/high-card-duel/generate", json={"count": 10_001})
    assert response.status_code == 422
    assert await count_rows(sessionmaker, Trace) == 0
    response = await client.get("/api/ungar/high-card-duel/export.jsonl?limit=0")
    assert response.status_code == 422
