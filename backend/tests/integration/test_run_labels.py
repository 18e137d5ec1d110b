"""A run's labels on both databases: a name, notes and tags given at submission or
later, never part of its configuration; the run list filtered by tag and name, with
the figures a list compares; every bad edit refused with nothing changed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.models import TunixRun

from ..factories import record_run, sums_dataset

Maker = async_sessionmaker[AsyncSession]


async def _dry_run(client: httpx.AsyncClient, **labels: Any) -> dict[str, Any]:
    body = {"dataset_key": "sums-v1", "model_id": "tunix-rt/tiny-gemma3", **labels}
    response = await client.post("/api/tunix/run", json=body)
    assert response.status_code == 202, response.text
    run: dict[str, Any] = (await client.get(f"/api/tunix/runs/{response.json()['run_id']}")).json()
    return run


async def test_labels_are_set_at_submission_edited_later_and_not_configuration(
    client: httpx.AsyncClient,
) -> None:
    await sums_dataset(client)
    run = await _dry_run(client, name="lr 3e-3, warm-up", notes="first try", tags=["sweep"])
    assert (run["name"], run["notes"], run["tags"]) == ("lr 3e-3, warm-up", "first try", ["sweep"])
    assert not {"name", "notes", "tags"} & set(run["config"])
    path = f"/api/tunix/runs/{run['run_id']}"

    edited = await client.patch(path, json={"tags": ["sweep", "keep"], "name": "best so far"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.json()["tags"]) == ("best so far", ["sweep", "keep"])
    assert edited.json()["notes"] == "first try"  # not given: kept
    cleared = (await client.patch(path, json={"notes": None})).json()
    assert (cleared["notes"], cleared["name"]) == (None, "best so far")
    assert cleared["config"] == run["config"] and cleared["checks"] == run["checks"]

    # A rerun repeats the configuration, not the labels.
    again = await client.post(f"{path}/rerun")
    rerun = (await client.get(f"/api/tunix/runs/{again.json()['run_id']}")).json()
    assert (rerun["name"], rerun["notes"], rerun["tags"]) == (None, None, [])


async def test_the_list_filters_by_tag_and_name_and_shows_the_figures(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    summary = {"steps": 300, "final_loss": 0.01, "eval_loss": 0.02, "exact_match": 0.75}
    config = {"learning_rate": 5e-3, "max_steps": 300}
    best = await record_run(
        sessionmaker, name="Best_100%", tags=["keep", "hcd"], summary=summary, config=config
    )
    other = await record_run(sessionmaker, name="best guess", tags=["hcd"])
    await record_run(sessionmaker, name="dry", mode="dry-run", tags=["keep"])

    async def ids(**query: Any) -> list[str]:
        page = await client.get("/api/tunix/runs", params=query)
        assert page.status_code == 200, page.text
        return [r["run_id"] for r in page.json()["data"]]

    assert await ids(tag="hcd") == [str(other), str(best)]
    assert await ids(tag="keep", mode="local") == [str(best)]
    assert await ids(q="BEST") == [str(other), str(best)]
    assert await ids(q="100%") == [str(best)]  # % is a character here, not a wildcard
    assert await ids(q="best_") == [str(best)]  # so is _
    assert await ids(tag="nope") == []
    (row,) = [
        r for r in (await client.get("/api/tunix/runs")).json()["data"] if r["run_id"] == str(best)
    ]
    figures = ("learning_rate", "max_steps", "steps", "final_loss", "eval_loss", "exact_match")
    assert [row[f] for f in figures] == [5e-3, 300, 300, 0.01, 0.02, 0.75]
    assert (row["name"], row["tags"]) == ("Best_100%", ["keep", "hcd"])


async def test_bad_edits_are_refused_and_change_nothing(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    run_id = await record_run(sessionmaker, name="kept", notes="n", tags=["a"])
    path = f"/api/tunix/runs/{run_id}"
    cases: list[tuple[Any, int]] = [
        ({}, 422),
        ({"name": ""}, 422),
        ({"name": "x" * 201}, 422),
        ({"notes": "x" * 10_001}, 422),
        ({"tags": ["a", "a"]}, 422),
        ({"tags": ["has space"]}, 422),
        ({"tags": [""]}, 422),
        ({"tags": [f"t{i}" for i in range(21)]}, 422),
        ({"tags": "a"}, 422),
        ({"learning_rate": 1.0}, 422),  # results and configuration never change
        ({"status": "completed"}, 422),
    ]
    for body, status in cases:
        response = await client.patch(path, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"] == "ValidationError"
    unknown = await client.patch(f"/api/tunix/runs/{uuid.uuid4()}", json={"name": "x"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "RunNotFound"
    for query in ({"tag": "has space"}, {"q": ""}, {"q": "x" * 201}):
        assert (await client.get("/api/tunix/runs", params=query)).status_code == 422
    async with sessionmaker() as session:
        row = await session.get(TunixRun, run_id)
        assert row is not None and (row.name, row.notes, row.tags) == ("kept", "n", ["a"])
