from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import count_rows, trace_body
from tunix_rt_backend.db.models import Score


async def _create(client: httpx.AsyncClient, **overrides: object) -> str:
    response = await client.post("/api/traces", json=trace_body(**overrides))
    trace_id: str = response.json()["id"]
    return trace_id


def _steps(count: int, length: int) -> list[dict[str, object]]:
    return [{"i": n, "type": "think", "content": "a" * length} for n in range(count)]


async def test_score_trace_returns_201_and_stores_the_score(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    trace_id = await _create(client, steps=_steps(5, 300))
    response = await client.post(f"/api/traces/{trace_id}/score", json={"criteria": "baseline"})
    assert response.status_code == 201
    result = response.json()
    # step_score = 5/10 * 50 = 25; length_score = 300/500 * 50 = 30
    assert result["trace_id"] == trace_id
    assert result["score"] == pytest.approx(55.0)
    details = result["details"]
    assert details["step_count"] == 5
    assert details["avg_step_length"] == pytest.approx(300.0)
    assert details["total_chars"] == 1500
    assert details["step_score"] == pytest.approx(25.0)
    assert details["length_score"] == pytest.approx(30.0)
    assert details["criteria"] == "baseline"

    async with sessionmaker() as session:
        stored = (await session.scalars(select(Score))).one()
    assert str(stored.trace_id) == trace_id
    assert stored.criteria == "baseline"
    assert stored.score == pytest.approx(55.0)
    assert stored.details is not None and stored.details["total_chars"] == 1500


async def test_score_defaults_to_baseline(client: httpx.AsyncClient) -> None:
    trace_id = await _create(client)
    response = await client.post(f"/api/traces/{trace_id}/score", json={})
    assert response.status_code == 201
    assert response.json()["details"]["criteria"] == "baseline"


async def test_score_caps_at_100(client: httpx.AsyncClient) -> None:
    trace_id = await _create(client, steps=_steps(12, 800))
    response = await client.post(f"/api/traces/{trace_id}/score", json={"criteria": "baseline"})
    assert response.json()["score"] == pytest.approx(100.0)


async def test_score_unknown_trace_is_404_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post(f"/api/traces/{uuid.uuid4()}/score", json={})
    assert response.status_code == 404
    assert response.json()["error"] == "TraceNotFound"
    assert await count_rows(sessionmaker, Score) == 0


async def test_score_unknown_criteria_is_422_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    trace_id = await _create(client)
    response = await client.post(f"/api/traces/{trace_id}/score", json={"criteria": "vibes"})
    assert response.status_code == 422
    assert await count_rows(sessionmaker, Score) == 0


async def test_compare_returns_both_traces_with_scores(client: httpx.AsyncClient) -> None:
    base = await _create(client, steps=_steps(1, 50))
    other = await _create(client, steps=_steps(3, 500))
    response = await client.get("/api/traces/compare", params={"base": base, "other": other})
    assert response.status_code == 200
    result = response.json()
    assert result["base"]["id"] == base
    assert result["other"]["id"] == other
    assert result["base"]["score"] == pytest.approx(5.0 + 5.0)
    assert result["other"]["score"] == pytest.approx(15.0 + 50.0)
    assert result["base"]["payload"]["steps"] == _steps(1, 50)
    assert {"created_at", "trace_version"} <= set(result["other"])


async def test_compare_with_a_missing_trace_is_404(client: httpx.AsyncClient) -> None:
    base = await _create(client)
    missing = str(uuid.uuid4())
    response = await client.get("/api/traces/compare", params={"base": base, "other": missing})
    assert response.status_code == 404
    assert missing in response.json()["detail"]


# A fixed id: a test's id must be the same in every collection (pytest-xdist compares them).
UNKNOWN = "9a6d0b6e-3f0c-4e4e-8d47-2b1f4c5e7a10"


@pytest.mark.parametrize("query", ["", "base=x&other=y", f"base={UNKNOWN}"])
async def test_compare_bad_parameters_are_422(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/api/traces/compare?{query}")
    assert response.status_code == 422
