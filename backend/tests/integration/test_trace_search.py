"""The trace list's columns (previews, source, latest score) and its filters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import count_rows, create_traces, trace_body
from tunix_rt_backend.db.models import Score, Trace


async def _list(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/traces", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def _ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    return [t["id"] for t in (await _list(client, **params))["data"]]


def _newest_first(ids: list[str], *picked: int) -> list[str]:
    return [ids[n] for n in sorted(picked, reverse=True)]


async def test_summary_shows_previews_source_and_latest_score(client: httpx.AsyncClient) -> None:
    (trace_id,) = await create_traces(
        client,
        [trace_body(prompt="é" * 170 + " end", final_answer="42" * 100, meta={"source": "gsm8k"})],
    )
    (summary,) = (await _list(client))["data"]
    assert summary["prompt_preview"] == "é" * 160
    assert summary["final_answer_preview"] == ("42" * 100)[:160]
    assert summary["source"] == "gsm8k"
    assert summary["score"] is None

    scored = await client.post(f"/api/traces/{trace_id}/score", json={})
    (summary,) = (await _list(client))["data"]
    assert summary["score"] == pytest.approx(scored.json()["score"])


@pytest.mark.parametrize(
    "meta", [None, {}, {"source": 7}, {"source": ["a"]}, {"model": "x"}], ids=repr
)
async def test_a_source_that_is_not_a_string_is_null(
    client: httpx.AsyncClient, meta: dict[str, Any] | None
) -> None:
    await create_traces(client, [trace_body(meta=meta)])
    assert (await _list(client))["data"][0]["source"] is None


async def test_a_long_source_is_cut_to_200_characters(client: httpx.AsyncClient) -> None:
    await create_traces(client, [trace_body(meta={"source": "s" * 250})])
    assert (await _list(client))["data"][0]["source"] == "s" * 200
    assert len(await _ids(client, source="s" * 200)) == 1


async def test_q_finds_prompts_containing_the_text_ignoring_case(
    client: httpx.AsyncClient,
) -> None:
    ids = await create_traces(
        client,
        [
            trace_body(prompt="What is 27 × 19?"),
            trace_body(prompt="Which CARD wins the duel?"),
            trace_body(prompt="A long prompt " + "x" * 300 + " and a card at the end"),
            trace_body(prompt="Add 2 and 3"),
        ],
    )
    assert await _ids(client, q="card") == _newest_first(ids, 1, 2)
    assert await _ids(client, q="27 × 19") == [ids[0]]
    assert await _ids(client, q="nowhere") == []


@pytest.mark.parametrize(
    ("q", "matches"),
    [("100%", ["sale: 100% off"]), ("a_b", ["a_b"]), ("x/y", ["x/y"]), ("50\\", ["50\\"])],
)
async def test_q_matches_wildcards_and_escapes_literally(
    client: httpx.AsyncClient, q: str, matches: list[str]
) -> None:
    prompts = ["sale: 100% off", "sale: 1000 off", "a_b", "axb", "x/y", "50\\", "50"]
    await create_traces(client, [trace_body(prompt=p) for p in prompts])
    found = (await _list(client, q=q))["data"]
    assert [t["prompt_preview"] for t in found] == matches


async def test_source_filter(client: httpx.AsyncClient) -> None:
    ids = await create_traces(
        client,
        [
            trace_body(meta={"source": "arithmetic"}),
            trace_body(meta={"source": "ungar"}),
            trace_body(meta={"source": "arithmetic"}),
            trace_body(meta=None),
        ],
    )
    assert await _ids(client, source="arithmetic") == _newest_first(ids, 0, 2)
    assert await _ids(client, source="Arithmetic") == []


async def test_scored_filter(client: httpx.AsyncClient) -> None:
    ids = await create_traces(client, [trace_body() for _ in range(4)])
    for n in (1, 2):
        assert (await client.post(f"/api/traces/{ids[n]}/score", json={})).status_code == 201
    assert await _ids(client, scored="true") == _newest_first(ids, 1, 2)
    assert await _ids(client, scored="false") == _newest_first(ids, 0, 3)


async def test_date_range_is_from_inclusive_to_exclusive(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/traces/batch", json=[trace_body() for _ in range(5)])
    created = response.json()["traces"]
    ids = [t["id"] for t in created]
    stamps = [t["created_at"] for t in created]
    assert await _ids(client, created_from=stamps[1], created_to=stamps[3]) == [ids[2], ids[1]]
    assert await _ids(client, created_from=stamps[3]) == [ids[4], ids[3]]
    assert await _ids(client, created_to=stamps[1]) == [ids[0]]
    # Without a zone a date-time is UTC; with one, it is converted.
    naive = stamps[3].removesuffix("Z")
    assert await _ids(client, created_from=naive) == [ids[4], ids[3]]
    assert await _ids(client, created_from="2000-01-01T02:00:00+02:00") == ids[::-1]
    assert await _ids(client, created_to="2000-01-01") == []


async def test_filters_combine(client: httpx.AsyncClient) -> None:
    ids = await create_traces(
        client,
        [
            trace_body(prompt="Sum 1", meta={"source": "arithmetic"}),
            trace_body(prompt="Sum 2", meta={"source": "arithmetic"}),
            trace_body(prompt="Sum 3", meta={"source": "ungar"}),
            trace_body(prompt="Product 4", meta={"source": "arithmetic"}),
        ],
    )
    for n in (0, 2, 3):
        await client.post(f"/api/traces/{ids[n]}/score", json={})
    assert await _ids(client, q="sum", source="arithmetic") == _newest_first(ids, 0, 1)
    assert await _ids(client, q="sum", source="arithmetic", scored="true") == [ids[0]]
    assert await _ids(client, q="sum", scored="false") == [ids[1]]


@pytest.mark.parametrize("filters", [{"source": "a"}, {"q": "even"}, {"scored": "true"}])
async def test_cursor_pages_keep_the_filters(
    client: httpx.AsyncClient, filters: dict[str, str]
) -> None:
    ids = await create_traces(
        client,
        [
            trace_body(prompt="even" if n % 2 == 0 else "odd", meta={"source": "ab"[n % 2]})
            for n in range(11)
        ],
    )
    for n in range(0, 11, 2):
        await client.post(f"/api/traces/{ids[n]}/score", json={})
    wanted = _newest_first(ids, *range(0, 11, 2))
    seen: list[str] = []
    page = await _list(client, limit=2, **filters)
    seen += [t["id"] for t in page["data"]]
    while (cursor := page["pagination"]["next_cursor"]) is not None:
        page = await _list(client, limit=2, cursor=cursor, **filters)
        seen += [t["id"] for t in page["data"]]
    assert seen == wanted


async def test_offset_pages_keep_the_filters(client: httpx.AsyncClient) -> None:
    ids = await create_traces(client, [trace_body(meta={"source": "ab"[n % 2]}) for n in range(9)])
    first = await _list(client, limit=3, source="a")
    second = await _list(client, limit=3, offset=3, source="a")
    assert first["pagination"]["next_offset"] == 3
    assert second["pagination"]["next_offset"] is None
    seen = [t["id"] for t in first["data"] + second["data"]]
    assert seen == _newest_first(ids, 0, 2, 4, 6, 8)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"source": ""}, "source"),
        ({"source": "s" * 201}, "source"),
        ({"scored": "maybe"}, "scored"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_to": "2026-13-01"}, "created_to"),
        ({"created_from": "0001-01-01T00:00:00+01:00"}, "created_from"),
        ({"created_to": "9999-12-31T23:00:00-05:00"}, "created_to"),
        (
            {"created_from": "2026-12-07T00:00:00Z", "created_to": "2026-12-06T00:00:00Z"},
            "created_to",
        ),
    ],
)
async def test_bad_filters_are_422_naming_the_field(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    params: dict[str, str],
    field: str,
) -> None:
    await create_traces(client, [trace_body()])
    response = await client.get("/api/traces", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "ValidationError"
    assert [e["loc"] for e in body["detail"]] == [["query", field]]
    assert await count_rows(sessionmaker, Trace) == 1
    assert await count_rows(sessionmaker, Score) == 0


async def test_sources_lists_each_source_once_in_order(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/traces/sources")).json() == {"sources": [], "truncated": False}
    await create_traces(
        client,
        [trace_body(meta={"source": s}) for s in ("ungar", "arithmetic", "ungar", "gsm8k")]
        + [trace_body(meta=None)],
    )
    response = await client.get("/api/traces/sources")
    assert response.status_code == 200
    assert response.json() == {"sources": ["arithmetic", "gsm8k", "ungar"], "truncated": False}


async def test_sources_stop_at_200(client: httpx.AsyncClient) -> None:
    await create_traces(client, [trace_body(meta={"source": f"s{n:03d}"}) for n in range(201)])
    listed = (await client.get("/api/traces/sources")).json()
    assert listed["sources"] == [f"s{n:03d}" for n in range(200)]
    assert listed["truncated"] is True
