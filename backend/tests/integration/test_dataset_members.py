"""A dataset's member traces, listed by split: GET /api/datasets/{key}/traces."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import build_dataset, count_rows, create_traces, ndjson, trace_body
from tunix_rt_backend.db.models import Dataset, DatasetTrace, Trace


async def _dataset(client: httpx.AsyncClient, n: int = 6) -> list[str]:
    """`ds-v1` of n traces (q0..q{n-1}, answers 0..n-1); its ids in dataset order."""
    bodies = [trace_body(prompt=f"q{i}", final_answer=str(i)) for i in range(n)]
    await create_traces(client, bodies)
    await build_dataset(client, eval_ratio=0.34)
    return await _export_ids(client)


async def _export_ids(client: httpx.AsyncClient, split: str = "all") -> list[str]:
    response = await client.get(f"/api/datasets/ds-v1/export.jsonl?split={split}")
    return [line["id"] for line in ndjson(response.text)]


async def _members(client: httpx.AsyncClient, query: str = "") -> dict[str, Any]:
    response = await client.get(f"/api/datasets/ds-v1/traces?{query}")
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_members_are_listed_in_dataset_order_with_previews(
    client: httpx.AsyncClient,
) -> None:
    ids = await _dataset(client)
    page = await _members(client)
    assert [m["trace_id"] for m in page["data"]] == ids
    assert [m["position"] for m in page["data"]] == list(range(6))
    # The newest trace (q5) comes first in a `latest` build.
    assert page["data"][0]["prompt_preview"] == "q5"
    assert page["data"][0]["final_answer"] == "5"
    assert page["pagination"] == {
        "limit": 50,
        "offset": 0,
        "next_offset": None,
        "next_cursor": None,
    }


async def test_split_filter_lists_only_that_split(client: httpx.AsyncClient) -> None:
    await _dataset(client)
    for split in ("train", "eval"):
        members = (await _members(client, f"split={split}"))["data"]
        assert [m["trace_id"] for m in members] == await _export_ids(client, split)
        assert {m["split"] for m in members} == {split}
        positions = [m["position"] for m in members]
        assert positions == sorted(positions)
    eval_members = (await _members(client, "split=eval"))["data"]
    assert len(eval_members) == 2


async def test_members_page_by_limit_and_offset(client: httpx.AsyncClient) -> None:
    ids = await _dataset(client)
    first = await _members(client, "limit=4")
    assert [m["trace_id"] for m in first["data"]] == ids[:4]
    assert first["pagination"]["next_offset"] == 4
    second = await _members(client, "limit=4&offset=4")
    assert [m["trace_id"] for m in second["data"]] == ids[4:]
    assert second["pagination"]["next_offset"] is None
    train = await _members(client, "split=train&limit=3&offset=1")
    assert [m["trace_id"] for m in train["data"]] == (await _export_ids(client, "train"))[1:4]
    for offset in (100, 2**63 - 1):
        past_the_end = await _members(client, f"offset={offset}")
        assert past_the_end["data"] == []
        assert past_the_end["pagination"]["next_offset"] is None


async def test_long_texts_are_cut_by_characters(client: httpx.AsyncClient) -> None:
    await create_traces(client, [trace_body(prompt="×" * 500, final_answer="é" * 201)])
    await build_dataset(client)
    (member,) = (await _members(client))["data"]
    assert member["prompt_preview"] == "×" * 200 + "…"
    assert member["final_answer"] == "é" * 200 + "…"


async def test_a_page_is_one_query(app_and_client: tuple[Any, httpx.AsyncClient]) -> None:
    app, client = app_and_client
    await _dataset(client)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
    try:
        await _members(client, "split=eval")
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", record)
    assert len([s for s in statements if "dataset_traces" in s]) == 1
    assert not [s for s in statements if "FROM datasets" in s and "dataset_traces" not in s]


async def test_members_of_an_unknown_dataset_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/datasets/nope-v1/traces")
    assert response.status_code == 404
    assert response.json() == {"error": "DatasetNotFound", "detail": "Dataset 'nope-v1' not found."}


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("split=test", ["query", "split"]),
        ("limit=0", ["query", "limit"]),
        ("limit=101", ["query", "limit"]),
        ("offset=-1", ["query", "offset"]),
    ],
)
async def test_bad_member_parameters_are_422_and_change_nothing(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    query: str,
    loc: list[str],
) -> None:
    await _dataset(client)
    response = await client.get(f"/api/datasets/ds-v1/traces?{query}")
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"
    assert response.json()["detail"][0]["loc"] == loc
    assert await count_rows(sessionmaker, Dataset) == 1
    assert await count_rows(sessionmaker, DatasetTrace) == 6
    assert await count_rows(sessionmaker, Trace) == 6
