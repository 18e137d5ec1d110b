from __future__ import annotations

import httpx
import pytest

from tests.factories import trace_body


async def _create(client: httpx.AsyncClient, n: int) -> list[str]:
    response = await client.post(
        "/api/traces/batch", json=[trace_body(prompt=f"q{i}") for i in range(n)]
    )
    assert response.status_code == 201
    return [t["id"] for t in response.json()["traces"]][::-1]  # newest first


async def test_list_defaults_to_20_newest_first_without_payload(
    client: httpx.AsyncClient,
) -> None:
    ids = await _create(client, 25)
    page = (await client.get("/api/traces")).json()
    assert [t["id"] for t in page["data"]] == ids[:20]
    summary = {
        "id",
        "created_at",
        "trace_version",
        "prompt_preview",
        "final_answer_preview",
        "source",
        "score",
    }
    assert all(set(t) == summary for t in page["data"])
    assert page["pagination"]["limit"] == 20
    assert page["pagination"]["offset"] == 0
    assert page["pagination"]["next_offset"] == 20


async def test_offset_pages_end_with_null_next_offset(client: httpx.AsyncClient) -> None:
    ids = await _create(client, 25)
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = (await client.get(f"/api/traces?limit=10&offset={offset}")).json()
        seen += [t["id"] for t in page["data"]]
        offset = page["pagination"]["next_offset"]
    assert seen == ids


async def test_exactly_full_last_page_has_null_next_offset(client: httpx.AsyncClient) -> None:
    await _create(client, 10)
    page = (await client.get("/api/traces?limit=10")).json()
    assert len(page["data"]) == 10
    assert page["pagination"]["next_offset"] is None
    assert page["pagination"]["next_cursor"] is None


async def test_empty_list(client: httpx.AsyncClient) -> None:
    page = (await client.get("/api/traces")).json()
    assert page == {
        "data": [],
        "pagination": {"limit": 20, "offset": 0, "next_offset": None, "next_cursor": None},
    }


async def test_cursor_pages_visit_every_trace_once_in_order(client: httpx.AsyncClient) -> None:
    ids = await _create(client, 23)
    first = (await client.get("/api/traces?limit=5")).json()
    seen = [t["id"] for t in first["data"]]
    cursor = first["pagination"]["next_cursor"]
    while cursor is not None:
        page = (await client.get("/api/traces", params={"limit": 5, "cursor": cursor})).json()
        assert page["pagination"]["next_offset"] is None
        seen += [t["id"] for t in page["data"]]
        cursor = page["pagination"]["next_cursor"]
    assert seen == ids


async def test_cursor_is_stable_when_new_traces_arrive(client: httpx.AsyncClient) -> None:
    ids = await _create(client, 6)
    first = (await client.get("/api/traces?limit=3")).json()
    await _create(client, 4)  # newer traces must not shift the next page
    cursor = first["pagination"]["next_cursor"]
    page = (await client.get("/api/traces", params={"limit": 3, "cursor": cursor})).json()
    assert [t["id"] for t in page["data"]] == ids[3:]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=abc", "offset=-1", "cursor=not-a-cursor", "cursor=e30"],
)
async def test_bad_list_parameters_are_422(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/api/traces?{query}")
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"


async def test_cursor_with_offset_is_422(client: httpx.AsyncClient) -> None:
    await _create(client, 3)
    cursor = (await client.get("/api/traces?limit=1")).json()["pagination"]["next_cursor"]
    response = await client.get("/api/traces", params={"cursor": cursor, "offset": 1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]
