"""Datasets: build (selection, versions, splits), manifest, list, delete."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import build_dataset, count_rows, create_traces, ndjson, trace_body
from tunix_rt_backend.db.models import Dataset, DatasetTrace, TunixRun


def _bodies(n: int, source: str = "example") -> list[dict[str, Any]]:
    return [trace_body(prompt=f"question {i}", meta={"source": source}) for i in range(n)]


async def _members(client: httpx.AsyncClient, key: str, split: str = "all") -> list[str]:
    response = await client.get(f"/api/datasets/{key}/export.jsonl?split={split}")
    assert response.status_code == 200
    return [line["id"] for line in ndjson(response.text)]


async def test_build_latest_takes_newest_traces_as_version_1(client: httpx.AsyncClient) -> None:
    ids = await create_traces(client, _bodies(10))
    manifest = await build_dataset(client, name="math", limit=4, eval_ratio=0.25)

    assert manifest["dataset_key"] == "math-v1"
    assert (manifest["name"], manifest["version"]) == ("math", 1)
    assert manifest["trace_count"] == 4
    assert manifest["split"] == {"train": 3, "eval": 1}
    assert manifest["build"]["strategy"] == "latest"
    assert await _members(client, "math-v1") == ids[::-1][:4]


async def test_rebuilding_a_name_makes_the_next_version(client: httpx.AsyncClient) -> None:
    await create_traces(client, _bodies(3))
    first = await build_dataset(client, name="math")
    await create_traces(client, _bodies(2))
    second = await build_dataset(client, name="math")

    assert second["dataset_key"] == "math-v2"
    assert (first["trace_count"], second["trace_count"]) == (3, 5)
    # v1 is unchanged by the traces added since.
    again = (await client.get("/api/datasets/math-v1")).json()
    assert again["trace_count"] == 3
    assert again["content_sha256"] == first["content_sha256"]


async def test_random_strategy_is_deterministic_per_seed(client: httpx.AsyncClient) -> None:
    await create_traces(client, _bodies(40))
    a = await build_dataset(client, name="a", strategy="random", seed=7, limit=10)
    b = await build_dataset(client, name="b", strategy="random", seed=7, limit=10)
    c = await build_dataset(client, name="c", strategy="random", seed=8, limit=10)

    members_a = await _members(client, a["dataset_key"])
    assert members_a == await _members(client, b["dataset_key"])
    assert members_a != await _members(client, c["dataset_key"])
    assert len(set(members_a)) == 10
    assert a["content_sha256"] == b["content_sha256"] != c["content_sha256"]


async def test_split_is_seeded_and_partitions_the_members(client: httpx.AsyncClient) -> None:
    await create_traces(client, _bodies(20))
    a = await build_dataset(client, name="a", eval_ratio=0.3, seed=1)
    b = await build_dataset(client, name="b", eval_ratio=0.3, seed=1)

    train = await _members(client, a["dataset_key"], "train")
    evals = await _members(client, a["dataset_key"], "eval")
    assert (len(train), len(evals)) == (14, 6)
    assert set(train).isdisjoint(evals)
    assert sorted(train + evals) == sorted(await _members(client, a["dataset_key"]))
    assert evals == await _members(client, b["dataset_key"], "eval")


async def test_filter_by_meta_source(client: httpx.AsyncClient) -> None:
    wanted = await create_traces(client, _bodies(3, source="ungar"))
    await create_traces(client, _bodies(5, source="other"))
    manifest = await build_dataset(client, filters={"source": "ungar"})

    assert sorted(await _members(client, manifest["dataset_key"])) == sorted(wanted)
    assert manifest["stats"]["sources"] == {"ungar": 3}


async def test_filter_by_minimum_baseline_score(client: httpx.AsyncClient) -> None:
    short, long = await create_traces(
        client,
        [
            trace_body(steps=[{"i": 0, "type": "x", "content": "a"}]),
            trace_body(steps=[{"i": n, "type": "x", "content": "b" * 400} for n in range(10)]),
        ],
    )
    for trace_id in (short, long):
        assert (await client.post(f"/api/traces/{trace_id}/score", json={})).status_code == 201
    manifest = await build_dataset(client, filters={"min_score": 50})

    assert await _members(client, manifest["dataset_key"]) == [long]


async def test_filter_by_date_range(client: httpx.AsyncClient) -> None:
    (old,) = await create_traces(client, _bodies(1))
    created = datetime.fromisoformat((await client.get(f"/api/traces/{old}")).json()["created_at"])
    (new,) = await create_traces(client, _bodies(1))
    cut = (created + timedelta(microseconds=1)).isoformat()

    before = await build_dataset(client, name="before", filters={"created_before": cut})
    after = await build_dataset(client, name="after", filters={"created_after": cut})
    assert await _members(client, before["dataset_key"]) == [old]
    assert await _members(client, after["dataset_key"]) == [new]


async def test_a_source_at_the_length_limit_matches_exactly(client: httpx.AsyncClient) -> None:
    """The list keeps a source cut to 200 characters; a build's filter is still equality
    with the trace's own `meta.source`."""
    limit = "s" * 200
    await create_traces(client, _bodies(2, source=limit + "x"))
    wanted = await create_traces(client, _bodies(1, source=limit))
    manifest = await build_dataset(client, filters={"source": limit})
    assert await _members(client, manifest["dataset_key"]) == wanted


async def test_preview_counts_matches_without_writing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await create_traces(client, _bodies(6, source="ungar") + _bodies(2, source="other"))
    response = await client.post(
        "/api/datasets/preview", json={"limit": 4, "filters": {"source": "ungar"}}
    )
    assert response.status_code == 200
    assert response.json() == {"matching": 6, "selected": 4}
    assert await count_rows(sessionmaker, Dataset) == 0


async def test_manifest_records_stats_hash_and_template(client: httpx.AsyncClient) -> None:
    await create_traces(client, [trace_body(prompt="abc", final_answer="12345")])
    manifest = await build_dataset(client)

    stats = manifest["stats"]
    assert stats["prompt_chars"] == {"min": 3, "max": 3, "mean": 3.0, "p50": 3}
    assert stats["final_answer_chars"]["max"] == 5
    assert stats["steps"]["mean"] == 3.0
    template = manifest["template"]
    assert template["name"] == "gemma-reasoning-v1"
    assert len(template["sha256"]) == 64
    assert template["sample"]["prompt"].startswith("<start_of_turn>user\nabc<end_of_turn>")
    assert template["sample"]["completion"].endswith("Answer: 12345<end_of_turn>")
    assert (await client.get("/api/datasets/ds-v1")).json() == manifest


async def test_content_hash_is_the_sha256_of_the_trace_export(client: httpx.AsyncClient) -> None:
    await create_traces(client, _bodies(30))
    manifest = await build_dataset(client, eval_ratio=0.2)
    export = await client.get("/api/datasets/ds-v1/export.jsonl?format=trace&split=all")
    assert hashlib.sha256(export.content).hexdigest() == manifest["content_sha256"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "bad name!"}, ["body", "name"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "ok", "strategy": "oldest"}, ["body", "strategy"]),
        ({"name": "ok", "eval_ratio": 0.9}, ["body", "eval_ratio"]),
        ({"name": "ok", "limit": 0}, ["body", "limit"]),
        ({"name": "ok", "limit": 100_001}, ["body", "limit"]),
        ({"name": "ok", "filters": {"min_score": 101}}, ["body", "filters", "min_score"]),
        ({"name": "ok", "filters": {"colour": "red"}}, ["body", "filters", "colour"]),
        ({"name": "ok", "filters": {"source": "nobody"}}, ["body", "filters"]),
        (
            {
                "name": "ok",
                "filters": {
                    "created_after": "2026-02-01T00:00:00Z",
                    "created_before": "2026-01-01T00:00:00Z",
                },
            },
            ["body", "filters", "created_before"],
        ),
        (
            {"name": "ok", "filters": {"created_after": "2026-02-01T00:00:00"}},
            ["body", "filters", "created_after"],
        ),
    ],
)
async def test_bad_build_is_422_and_writes_nothing(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    body: dict[str, Any],
    loc: list[str],
) -> None:
    await create_traces(client, _bodies(2))
    response = await client.post("/api/datasets/build", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"
    assert response.json()["detail"][0]["loc"] == loc
    assert await count_rows(sessionmaker, Dataset) == 0
    assert await count_rows(sessionmaker, DatasetTrace) == 0


async def test_list_is_newest_first_and_pages(client: httpx.AsyncClient) -> None:
    await create_traces(client, _bodies(1))
    for name in ("a", "b", "c"):
        await build_dataset(client, name=name)

    first = (await client.get("/api/datasets?limit=2")).json()
    assert [d["dataset_key"] for d in first["data"]] == ["c-v1", "b-v1"]
    assert first["pagination"]["next_offset"] == 2
    second = (await client.get("/api/datasets?limit=2&offset=2")).json()
    assert [d["dataset_key"] for d in second["data"]] == ["a-v1"]
    assert second["pagination"]["next_offset"] is None
    by_cursor = (
        await client.get(f"/api/datasets?limit=2&cursor={first['pagination']['next_cursor']}")
    ).json()
    assert [d["dataset_key"] for d in by_cursor["data"]] == ["a-v1"]
    named = (await client.get("/api/datasets?name=b")).json()
    assert [d["dataset_key"] for d in named["data"]] == ["b-v1"]


async def test_unknown_dataset_is_404(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/api/datasets/nope-v1"),
        await client.get("/api/datasets/nope-v1/export.jsonl"),
        await client.delete("/api/datasets/nope-v1"),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "error": "DatasetNotFound",
            "detail": "Dataset 'nope-v1' not found.",
        }


async def test_delete_removes_dataset_but_keeps_traces(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await create_traces(client, _bodies(3))
    await build_dataset(client)
    response = await client.delete("/api/datasets/ds-v1")
    assert response.status_code == 204
    assert (await client.get("/api/datasets/ds-v1")).status_code == 404
    assert await count_rows(sessionmaker, DatasetTrace) == 0
    assert (await client.get("/api/traces")).json()["data"] != []


async def test_delete_of_a_dataset_a_run_uses_is_409_and_keeps_it(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await create_traces(client, _bodies(3))
    await build_dataset(client)
    now = datetime.now(UTC)
    async with sessionmaker() as session:
        session.add(
            TunixRun(
                run_id=uuid.uuid4(),
                dataset_key="ds-v1",
                model_id="tunix-rt/tiny-gemma3",
                mode="dry-run",
                status="completed",
                started_at=now,
                created_at=now,
            )
        )
        await session.commit()

    response = await client.delete("/api/datasets/ds-v1")
    assert response.status_code == 409
    assert response.json()["error"] == "DatasetInUse"
    assert "1 run" in response.json()["detail"]
    assert (await client.get("/api/datasets/ds-v1")).status_code == 200
    assert await count_rows(sessionmaker, DatasetTrace) == 3
