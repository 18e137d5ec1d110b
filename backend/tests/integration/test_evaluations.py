"""Evaluations on both databases: a really trained run scored on its held-out split
as soon as it completes, base models as baselines, the leaderboard, the LLM judge
through a real HTTP server, and every bad input and state conflict (with no row
written)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.models import Evaluation, EvaluationItem, JobMetric, TunixRun
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings

from ..factories import build_dataset, count_rows, ndjson, sums_dataset
from ..judge_stub import StubJudge, serve_stub

Maker = async_sessionmaker[AsyncSession]
TINY = "tunix-rt/tiny-gemma3"
# The demo's task and settings (README, "The demo"), a little shorter.
TRAINING = {
    "model_id": "tunix-rt/tiny-gemma3",
    "max_steps": 250,
    "batch_size": 8,
    "learning_rate": 5e-3,
    "warmup_steps": 50,
    "max_seq_length": 240,
    "eval_every_n_steps": 250,
    "checkpoint_every_n_steps": 250,
    "num_generations": 0,
}
ENDED = ("completed", "failed", "timeout", "cancelled")


@pytest.fixture(scope="module")
def judge_url() -> Iterator[str]:
    """The LLM judge's endpoint: in the e2e test, HCD questions with an ace get prose
    (unscored), those where Player 1 holds hearts pass, the others fail."""

    def behaviour(question: str) -> str:
        if " ace " in question:
            return "invalid"
        return "valid" if question.split(", ")[0].endswith("hearts") else "wrong"

    with serve_stub(behaviour) as url:
        yield url


@pytest.fixture
def settings_overrides(judge_url: str) -> dict[str, Any]:
    return {"eval_auto": True, "judge_base_url": judge_url, "judge_timeout_seconds": 5}


async def _hcd_dataset(client: httpx.AsyncClient, games: int = 1600) -> dict[str, Any]:
    body = {"count": games, "seed": 0}
    assert (await client.post("/api/ungar/high-card-duel/generate", json=body)).status_code == 201
    return await build_dataset(client, name="hcd", limit=games, filters={"source": "ungar"})


async def _wait(client: httpx.AsyncClient, path: str, timeout_s: float = 900) -> dict[str, Any]:
    """GET `path` until its `status` has ended (a 404 while nothing exists yet)."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = await client.get(path)
        if response.status_code == 200 and response.json()["status"] in ENDED:
            result: dict[str, Any] = response.json()
            return result
        assert time.monotonic() < deadline, f"{path} did not end: {response.text[:500]}"
        await asyncio.sleep(0.5)


async def _all_items(client: httpx.AsyncClient, evaluation_id: str, **query: Any) -> list[Any]:
    items: list[Any] = []
    offset: int | None = 0
    while offset is not None:
        params = {"limit": 100, "offset": offset, **query}
        page = (await client.get(f"/api/evaluations/{evaluation_id}/items", params=params)).json()
        items += page["data"]
        offset = page["pagination"]["next_offset"]
    return items


# A real 250-step run, on one database: what it checks of learning does not depend on
# it, and the demo's test trains, evaluates and releases on SQLite (the tests below
# cover the evaluation's storage on both).
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_trained_run_is_evaluated_on_its_held_out_split_and_ranked(
    client: httpx.AsyncClient, worker: QueueWorker, sessionmaker: Maker
) -> None:
    dataset = await _hcd_dataset(client)
    body = {"dataset_key": dataset["dataset_key"], "dry_run": False, **TRAINING}
    queued = await client.post("/api/tunix/run?mode=async", json=body)
    run_id = queued.json()["run_id"]
    run = await _wait(client, f"/api/tunix/runs/{run_id}")
    assert run["status"] == "completed", run["message"]

    # Queued by the run's completion, with the default judge, on the eval split only.
    evaluation = await _wait(client, f"/api/tunix/runs/{run_id}/evaluation")
    assert evaluation["status"] == "completed", evaluation["message"]
    assert evaluation["split"] == "eval" and evaluation["run_id"] == run_id
    assert evaluation["judge"]["name"] == "exact_match" and not evaluation["judge"]["mock"]
    assert evaluation["dataset_sha256"] == dataset["content_sha256"]
    assert evaluation["checkpoint_step"] == 250
    assert evaluation["decoding"]["temperature"] == 0.0
    n = dataset["split"]["eval"]
    assert (evaluation["n_items"], evaluation["n_scored"], evaluation["n_unscored"]) == (n, n, 0)
    assert evaluation["progress"] == {"done": n, "total": n}

    # Every held-out trace once, no training trace; the score is the items' mean.
    export = await client.get(
        f"/api/datasets/{dataset['dataset_key']}/export.jsonl", params={"format": "trace"}
    )
    held_out = {t["id"] for t in ndjson(export.text) if t["split"] == "eval"}
    items = await _all_items(client, evaluation["id"])
    assert sorted(i["trace_id"] for i in items) == sorted(held_out)
    mean = sum(i["score"] for i in items) / len(items)
    assert evaluation["primary_score"] == pytest.approx(mean)
    assert evaluation["score"] == pytest.approx(100 * mean)
    # Wrong answers first.
    first_right = next(k for k, i in enumerate(items) if i["correct"])
    assert all(i["correct"] for i in items[first_right:])
    assert evaluation["details"]["wrong"] == first_right
    wrong = await _all_items(client, evaluation["id"], outcome="wrong")
    assert len(wrong) == first_right and not any(i["correct"] for i in wrong)

    # Trained, it beats always answering the commonest winner, and knows it.
    baseline = evaluation["details"]["majority_baseline"]["share"]
    interval = evaluation["interval"]
    assert evaluation["primary_score"] >= baseline + 0.08, (evaluation["score"], baseline)
    assert interval["method"] == "wilson" and interval["low"] > baseline
    assert evaluation["verdict"] == "pass"
    assert evaluation["details"]["format_adherence"] > 0.9
    buckets = evaluation["details"]["accuracy_by_reasoning_length"]
    assert sum(b["n"] for b in buckets) == n

    # Progress was reported live, batch by batch.
    async with sessionmaker() as session:
        points = (
            await session.scalars(
                select(JobMetric.value)
                .where(JobMetric.job_id == uuid.UUID(evaluation["id"]))
                .order_by(JobMetric.step)
            )
        ).all()
    assert points[-1] == n and len(points) == evaluation["details"]["generation"]["batches"]
    assert evaluation["details"]["generation"]["compiled_shapes"] == 1

    # Again, synchronously: 201, the same answers (greedy), the same score.
    again = await client.post(f"/api/tunix/runs/{run_id}/evaluate", json={})
    assert again.status_code == 201, again.text
    assert again.json()["primary_score"] == evaluation["primary_score"]

    # The regression gate on these real evaluations: the run pinned as a baseline by its
    # first evaluation; the greedy second one passes with no item flipped.
    pin = {"name": "hcd-main", "run_id": run_id, "evaluation_id": evaluation["id"]}
    assert (await client.post("/api/regression/baselines", json=pin)).status_code == 201
    gate = {"run_id": run_id, "baseline_name": "hcd-main"}
    report = (await client.post("/api/regression/check", json=gate)).json()
    assert report["evaluation_id"] == again.json()["id"]
    assert (report["verdict"], report["n"], report["b"], report["c"]) == ("pass", n, 0, 0)
    assert report["flipped"] == [] and report["test"] == "mcnemar_exact"
    # A run trained for a handful of steps fails it, its lost items listed.
    short = {**body, "max_steps": 5, "warmup_steps": 0}
    worse = await client.post("/api/tunix/run", json=short)
    assert worse.json()["status"] == "completed", worse.text
    worse_id = worse.json()["run_id"]
    assert (await _wait(client, f"/api/tunix/runs/{worse_id}/evaluation"))["status"] == "completed"
    report = (await client.post("/api/regression/check", json={**gate, "run_id": worse_id})).json()
    assert report["verdict"] == "fail", report["reasons"]
    assert report["b"] > 2 * report["c"] and report["p_value"] < 1e-6
    assert {f["trace_id"] for f in report["flipped"] if f["direction"] == "worse"} <= held_out

    # A base model as a baseline: the untrained tiny model, on the same items.
    base = await client.post(
        "/api/evaluations",
        json={"model_id": "tunix-rt/tiny-gemma3", "dataset_key": dataset["dataset_key"]},
    )
    assert base.status_code == 201, base.text
    assert base.json()["run_id"] is None and base.json()["checkpoint_step"] is None
    assert base.json()["primary_score"] < baseline

    # The mock judge: marked mock, never ranked.
    mocked = await client.post(
        f"/api/tunix/runs/{run_id}/evaluate", json={"judge_override": "mock"}
    )
    assert mocked.status_code == 201 and mocked.json()["judge"]["mock"] is True

    board = (await client.get("/api/tunix/evaluations")).json()
    ranked = [(r["run_id"], r["judge"]) for r in board["data"]]
    assert ranked[0] == (run_id, "exact_match")  # its newest evaluation only
    assert set(ranked[1:]) == {(None, "exact_match"), (worse_id, "exact_match")}
    assert board["data"][0]["evaluation_id"] == again.json()["id"]
    assert board["data"][0]["interval"]["low"] > board["data"][1]["score"] / 100
    assert board["pagination"] == {
        "limit": 50, "offset": 0, "next_offset": None, "next_cursor": None
    }  # fmt: skip
    page = (await client.get("/api/tunix/evaluations", params={"limit": 1})).json()
    assert len(page["data"]) == 1 and page["pagination"]["next_offset"] == 1
    for query, count in (
        ({"dataset_key": dataset["dataset_key"]}, 3),
        ({"dataset_key": "other-v1"}, 0),
        ({"judge": "mock"}, 0),
        ({"model_id": "tunix-rt/small-gemma3"}, 0),
        ({"date_from": utcnow().replace(year=2100).isoformat()}, 0),
        ({"date_to": utcnow().isoformat()}, 3),
    ):
        rows = (await client.get("/api/tunix/evaluations", params=query)).json()["data"]
        assert len(rows) == count, query


async def test_the_llm_judge_scores_a_base_model_and_counts_unscored_replies(
    client: httpx.AsyncClient, worker: QueueWorker, judge_url: str
) -> None:
    dataset = await _hcd_dataset(client, games=200)
    StubJudge.calls.clear()
    response = await client.post(
        "/api/evaluations",
        json={
            "model_id": "tunix-rt/tiny-gemma3",
            "dataset_key": dataset["dataset_key"],
            "judge": "llm_judge",
            "max_new_tokens": 8,
        },
    )
    assert response.status_code == 201, response.text
    evaluation = response.json()
    assert evaluation["status"] == "completed", evaluation["message"]
    items = await _all_items(client, evaluation["id"])
    questions = [i["prompt"].split("\n")[1] for i in items]
    aces = [" ace " in q for q in questions]
    hearts = [q.split(", ")[0].endswith("hearts") for q in questions]
    n_unscored = sum(aces)
    passing = sum(1 for a, h in zip(aces, hearts, strict=True) if h and not a)
    assert 0 < n_unscored < len(items)
    assert (evaluation["n_scored"], evaluation["n_unscored"]) == (
        len(items) - n_unscored, n_unscored
    )  # fmt: skip
    # A pass scores 0.75 here, a fail 0: a graded mean, with a normal interval.
    assert evaluation["primary_score"] == pytest.approx(0.75 * passing / (len(items) - n_unscored))
    assert evaluation["interval"]["method"] == "normal"
    for item, ace in zip(items, aces, strict=True):
        if ace:  # asked again once, then unscored: never counted wrong
            assert (item["correct"], item["score"], item["judge_attempts"]) == (None, None, 2)
            assert "not the JSON asked for" in item["unscored_reason"]
        else:
            assert item["judge_attempts"] == 1 and item["judge_raw"].startswith("{")
            assert item["judge_reasoning"] in ("the answer matches", "wrong winner")
    assert sum(StubJudge.calls.values()) == len(items) + n_unscored
    assert evaluation["details"]["judge_calls"] == len(items) + n_unscored


async def _run_row(maker: Maker, settings: Settings, dataset_key: str, **values: Any) -> str:
    """A run recorded as a worker would have left it (the states these tests need
    without training)."""
    run_id = uuid.uuid4()
    now = utcnow()
    fields: dict[str, Any] = {
        "run_id": run_id,
        "dataset_key": dataset_key,
        "model_id": "tunix-rt/tiny-gemma3",
        "mode": "local",
        "status": "completed",
        "started_at": now,
        "created_at": now,
        "config": {"output_dir": f"runs/{run_id}"},
        "summary": {"latest_checkpoint": 5},
        **values,
    }
    async with maker() as session, session.begin():
        session.add(TunixRun(**fields))
    if fields["summary"].get("latest_checkpoint") == 5:
        (settings.artifacts_root / "runs" / str(run_id) / "checkpoints" / "5").mkdir(parents=True)
    return str(run_id)


async def test_bad_requests_and_conflicts_write_nothing(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    dataset = await sums_dataset(client)
    key = dataset["dataset_key"]
    dry = await client.post(
        "/api/tunix/run", json={"dataset_key": key, "model_id": "tunix-rt/tiny-gemma3"}
    )
    assert dry.status_code == 202, dry.text
    failed = await _run_row(sessionmaker, settings, key, status="failed", summary={})
    no_checkpoint = await _run_row(sessionmaker, settings, key, summary={"latest_checkpoint": None})
    ready = await _run_row(sessionmaker, settings, key)
    unknown = str(uuid.uuid4())
    ev, invalid = f"/api/tunix/runs/{ready}/evaluate", "ValidationError"
    base = {"model_id": TINY, "dataset_key": key}

    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", f"/api/tunix/runs/{unknown}/evaluate", {}, 404, "RunNotFound"),
        ("POST", "/api/tunix/runs/not-a-uuid/evaluate", {}, 422, "ValidationError"),
        ("POST", f"/api/tunix/runs/{dry.json()['run_id']}/evaluate", {}, 409, "NotEvaluable"),
        ("POST", f"/api/tunix/runs/{failed}/evaluate", {}, 409, "NotEvaluable"),
        ("POST", f"/api/tunix/runs/{no_checkpoint}/evaluate", {}, 409, "NotEvaluable"),
        ("POST", ev, {"judge_override": "nope"}, 422, invalid),
        ("POST", ev, {"judge_override": "gemma-judge"}, 422, invalid),  # REDIAI_MODE=mock
        ("POST", ev, {"split": "test"}, 422, invalid),
        ("POST", ev, {"batch_size": 0}, 422, invalid),
        ("POST", ev, {"extra": 1}, 422, invalid),
        ("POST", ev, {"temperature": 2.5}, 422, invalid),
        ("POST", ev, {"temperature": -1}, 422, invalid),
        ("POST", ev, {"temperature": 1, "top_p": 0}, 422, invalid),
        ("POST", ev, {"temperature": 1, "seed": -1}, 422, invalid),
        ("POST", "/api/evaluations", {**base, "seed": 2**31}, 422, invalid),
        # Synchronous with no worker alive: refused at once rather than left hanging.
        ("POST", ev, {}, 503, "NoWorker"),
        ("POST", "/api/evaluations", {**base, "dataset_key": "nope-v1"}, 404, "DatasetNotFound"),
        ("POST", "/api/evaluations", {**base, "model_id": "no/such-model"}, 404, "ModelNotFound"),
        ("POST", "/api/evaluations", {**base, "model_id": "tunix-rt/huge"}, 404, "ModelNotFound"),
        ("POST", "/api/evaluations", {**base, "model_id": ""}, 422, invalid),
        ("POST", "/api/evaluations", {**base, "judge": "x"}, 422, invalid),
        ("GET", f"/api/tunix/runs/{ready}/evaluation", None, 404, "EvaluationNotFound"),
        ("GET", f"/api/tunix/runs/{unknown}/evaluation", None, 404, "RunNotFound"),
        ("GET", f"/api/evaluations/{unknown}", None, 404, "EvaluationNotFound"),
        ("GET", f"/api/evaluations/{unknown}/items", None, 404, "EvaluationNotFound"),
        ("POST", f"/api/evaluations/{unknown}/cancel", None, 404, "EvaluationNotFound"),
        ("GET", "/api/tunix/evaluations?limit=0", None, 422, "ValidationError"),
        ("GET", "/api/tunix/evaluations?limit=101", None, 422, "ValidationError"),
        ("GET", "/api/tunix/evaluations?date_from=yesterday", None, 422, "ValidationError"),
        ("GET", "/api/tunix/evaluations?date_from=2026-01-01T00:00:00", None, 422, invalid),
        ("GET", "/api/tunix/evaluations?split=test", None, 422, invalid),
    ]  # fmt: skip
    for method, path, body, status, error in cases:
        response = await client.request(method, path, json=body)
        assert (response.status_code, response.json()["error"]) == (status, error), (
            path, body, response.text
        )  # fmt: skip
        assert response.json()["detail"]
    assert await count_rows(sessionmaker, Evaluation) == 0
    assert await count_rows(sessionmaker, EvaluationItem) == 0

    # A split the dataset does not have is a conflict; the other split is fine.
    empty = await build_dataset(client, name="alltrain", eval_ratio=0)
    no_eval = await _run_row(sessionmaker, settings, empty["dataset_key"])
    response = await client.post(f"/api/tunix/runs/{no_eval}/evaluate?mode=async", json={})
    assert response.status_code == 409 and "no eval split" in response.json()["detail"]
    assert await count_rows(sessionmaker, Evaluation) == 0
    train = await client.post(
        f"/api/tunix/runs/{no_eval}/evaluate?mode=async", json={"split": "train"}
    )
    assert train.status_code == 202 and train.json()["split"] == "train"

    # Sampled: a fresh seed unless one is given, recorded with the decoding settings.
    sampled = await client.post(f"{ev}?mode=async", json={"temperature": 0.7})
    decoding = sampled.json()["decoding"]
    assert (decoding["temperature"], decoding["top_p"]) == (0.7, None)
    assert isinstance(decoding["seed"], int) and 0 <= decoding["seed"] < 2**31
    fixed = await client.post(
        f"{ev}?mode=async", json={"temperature": 0.7, "seed": 5, "top_p": 0.9}
    )
    assert (fixed.json()["decoding"]["seed"], fixed.json()["decoding"]["top_p"]) == (5, 0.9)
    for evaluation in (sampled, fixed):
        await client.post(f"/api/evaluations/{evaluation.json()['id']}/cancel")

    # Queued without a worker: pending, then cancelled at once; a second cancel is a 409.
    queued = await client.post(f"/api/tunix/runs/{ready}/evaluate?mode=async", json={})
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "pending"
    assert queued.json()["progress"] == {"done": 0, "total": dataset["split"]["eval"]}
    evaluation_id = queued.json()["id"]
    cancelled = await client.post(f"/api/evaluations/{evaluation_id}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (202, "cancelled")
    again = await client.post(f"/api/evaluations/{evaluation_id}/cancel")
    assert (again.status_code, again.json()["error"]) == (409, "EvaluationNotCancellable")
    latest = await client.get(f"/api/tunix/runs/{ready}/evaluation")
    assert latest.json()["id"] == evaluation_id
    board = await client.get("/api/tunix/evaluations")
    assert board.json()["data"] == []  # nothing completed, nothing ranked


async def test_judges_are_listed_with_what_they_need(client: httpx.AsyncClient) -> None:
    judges = {j["name"]: j for j in (await client.get("/api/judges")).json()}
    assert set(judges) == {"exact_match", "llm_judge", "gemma-judge", "mock"}
    assert judges["exact_match"]["default"] and judges["exact_match"]["available"]
    assert judges["llm_judge"]["available"]  # JUDGE_BASE_URL is the stub here
    assert judges["llm_judge"]["config"]["rubric_version"] == "1"
    assert not judges["gemma-judge"]["available"]
    assert "REDIAI_MODE=real" in judges["gemma-judge"]["unavailable_reason"]
    assert judges["mock"]["mock"] and judges["mock"]["available"]
    assert len({j["config_hash"] for j in judges.values()}) == 4


async def test_a_running_evaluation_is_cancelled_and_keeps_no_score(
    client: httpx.AsyncClient, worker: QueueWorker, sessionmaker: Maker
) -> None:
    dataset = await _hcd_dataset(client, games=400)
    body = {"model_id": TINY, "dataset_key": dataset["dataset_key"], "batch_size": 1}
    # Long enough (80 items one at a time, 512 tokens each: a minute or more) that the
    # cancel always lands before the end, however fast the machine.
    queued = await client.post("/api/evaluations?mode=async", json={**body, "max_new_tokens": 512})
    evaluation_id = queued.json()["id"]
    deadline = time.monotonic() + 300
    while (await client.get(f"/api/evaluations/{evaluation_id}")).json()["progress"]["done"] < 2:
        assert time.monotonic() < deadline, "no progress"
        await asyncio.sleep(0.2)
    asked = await client.post(f"/api/evaluations/{evaluation_id}/cancel")
    assert asked.status_code == 202, asked.text
    assert asked.json()["cancel_requested_at"] is not None
    ended = await _wait(client, f"/api/evaluations/{evaluation_id}", timeout_s=120)
    assert ended["status"] == "cancelled"
    assert ended["score"] is None and ended["primary_score"] is None
    assert 2 <= ended["progress"]["done"] < ended["n_items"]
    board = await client.get("/api/tunix/evaluations")
    assert board.json()["data"] == []
    async with sessionmaker() as session:
        row = await session.get(Evaluation, uuid.UUID(evaluation_id))
    assert row is not None and row.worker_id is not None  # a worker ran it, then stopped it
