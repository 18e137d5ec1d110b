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


async def test_without_a_seed_each_generation_draws_a_fresh_one_and_reports_it(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.post("/api/generators/arithmetic/generate", json={"count": 3})).json()
    second = (await client.post("/api/generators/arithmetic/generate", json={"count": 3})).json()
    assert first["seed"] != second["seed"]  # 1 in 2**31 of a false alarm
    assert first["preview"] == arithmetic.generate(3, first["seed"], 2)  # the seed repeats them
    stored = (await client.get(f"/api/traces/{first['trace_ids'][0]}")).json()["payload"]
    assert stored["meta"]["seed"] == first["seed"]


async def test_generating_the_same_traces_again_is_reported(client: httpx.AsyncClient) -> None:
    body = {"count": 6, "seed": 1234, "params": {"difficulty": 5}}
    expected = arithmetic.generate(6, 1234, 5)
    within = 6 - len({t["prompt"] for t in expected})
    first = await client.post("/api/generators/arithmetic/generate", json=body)
    assert first.status_code == 201
    assert (first.json()["repeated"], first.json()["seed"]) == (within, 1234)
    again = await client.post("/api/generators/arithmetic/generate", json=body)
    assert again.status_code == 201
    assert (again.json()["created"], again.json()["repeated"]) == (6, 6)
    preview = await client.post(
        "/api/generators/arithmetic/generate", json={**body, "count": 7, "persist": False}
    )
    assert preview.json()["repeated"] == 6  # the 7th is new; nothing stored by a preview
    # Another source's traces with the same prompts are not this generator's repeats.
    duel = await client.post("/api/ungar/high-card-duel/generate", json={"count": 2, "seed": 1234})
    assert duel.json()["repeated"] == 0


async def test_repeats_within_one_request_are_counted(client: httpx.AsyncClient) -> None:
    """Difficulty 1 has at most 100 distinct sums: 300 of them must repeat."""
    body = {"count": 300, "seed": 9, "params": {"difficulty": 1}}
    response = await client.post("/api/generators/arithmetic/generate", json=body)
    distinct = len({t["prompt"] for t in arithmetic.generate(300, 9, 1)})
    assert response.json()["created"] == 300
    assert response.json()["repeated"] == 300 - distinct >= 200


@pytest.mark.parametrize("settings_overrides", [{"generator_max_count": 40_000}])
async def test_repeats_are_counted_past_the_databases_parameter_limit(
    client: httpx.AsyncClient,
) -> None:
    """38,375 distinct prompts: more than one query may bind (32,766)."""
    body = {"count": 40_000, "seed": 1, "params": {"difficulty": 3}, "persist": False}
    response = await client.post("/api/generators/arithmetic/generate", json=body)
    assert response.status_code == 201
    assert response.json()["repeated"] == 40_000 - 38_375
