"""Regression gates on both databases: baselines set, set again (with their history) and
deleted; runs checked item by item against them, every check stored; evaluations that
cannot be compared; the pipeline command's exit codes; every bad input (nothing
written). The evaluations here are recorded as a worker leaves them; the gate on
really trained runs and their real evaluations is checked in test_evaluations.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.models import (
    EvaluationItem,
    RegressionBaseline,
    RegressionBaselineVersion,
    RegressionCheck,
)
from tunix_rt_backend.settings import Settings

from ..factories import RECORDED_TRACES, count_rows, record_evaluation, record_run

Maker = async_sessionmaker[AsyncSession]
N = 160
TRACES = RECORDED_TRACES
# The baseline's answers: items 0-127 right, 128-159 wrong (80%).
BASELINE = [i < 128 for i in range(N)]
_run = record_run
_evaluation = record_evaluation


async def _baseline(client: httpx.AsyncClient, run_id: uuid.UUID, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/regression/baselines", json={"name": "main", "run_id": str(run_id), **body}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _check(client: httpx.AsyncClient, run_id: uuid.UUID, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/regression/check", json={"run_id": str(run_id), "baseline_name": "main", **body}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_baseline_is_set_set_again_with_its_history_and_deleted(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    run_id = await _run(sessionmaker)
    older = await _evaluation(sessionmaker, run_id, [True] * 10, age_s=60)
    pinned = await _evaluation(sessionmaker, run_id, BASELINE)

    created = await client.post(
        "/api/regression/baselines", json={"name": "main", "run_id": str(run_id)}
    )
    assert created.status_code == 201, created.text
    first = created.json()
    # The default metric, its newest evaluation, 5% of its value as the margin.
    assert first["metric"] == "primary_score" and first["lower_is_better"] is False
    assert first["evaluation_id"] == str(pinned) and first["value"] == pytest.approx(0.8)
    assert first["margin"] == pytest.approx(0.04) and first["margin_default"] is True
    assert first["version"] == 1
    assert first["judge"] == {"name": "exact_match", "version": "1", "config_hash": "c" * 64}
    assert (first["dataset_key"], first["dataset_sha256"], first["split"]) == (
        "hcd-v1", "a" * 64, "eval"
    )  # fmt: skip

    again = await client.post(
        "/api/regression/baselines",
        json={"name": "main", "run_id": str(run_id), "margin": 0.1, "description": "v2"},
    )
    assert again.status_code == 201, again.text
    assert (again.json()["version"], again.json()["margin"]) == (2, 0.1)
    assert again.json()["margin_default"] is False

    # An evaluation asked for by id, not the newest.
    third = await _baseline(client, run_id, evaluation_id=str(older))
    assert (third["version"], third["evaluation_id"], third["value"]) == (3, str(older), 1.0)

    detail = (await client.get("/api/regression/baselines/main")).json()
    assert [h["version"] for h in detail["history"]] == [3, 2, 1]
    assert [h["margin"] for h in detail["history"]] == [0.05, 0.1, pytest.approx(0.04)]
    assert detail["history"][1]["description"] == "v2"
    listed = (await client.get("/api/regression/baselines")).json()
    assert [b["name"] for b in listed["data"]] == ["main"]
    assert listed["pagination"]["next_offset"] is None

    # A check made against it outlives it.
    await _check(client, run_id)
    assert (await client.delete("/api/regression/baselines/main")).status_code == 204
    gone = await client.get("/api/regression/baselines/main")
    assert (gone.status_code, gone.json()["error"]) == (404, "BaselineNotFound")
    assert await count_rows(sessionmaker, RegressionBaselineVersion) == 0
    checks = (await client.get("/api/regression/checks", params={"baseline": "main"})).json()
    assert [c["baseline_version"] for c in checks["data"]] == [3]


async def test_a_run_is_checked_item_by_item_and_every_check_is_kept(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    good, same, worse = [await _run(sessionmaker) for _ in range(3)]
    baseline_evaluation = await _evaluation(sessionmaker, good, BASELINE)
    await _evaluation(sessionmaker, same, BASELINE)
    # 40 of the right answers now wrong, 4 wrong ones now right: 80% -> 57.5%.
    worse_answers = [(r and not 20 <= i < 60) or (128 <= i < 132) for i, r in enumerate(BASELINE)]
    worse_evaluation = await _evaluation(sessionmaker, worse, worse_answers)
    await _baseline(client, good)

    passed = await _check(client, same)
    assert (passed["verdict"], passed["comparable"], passed["n"]) == ("pass", True, N)
    assert (passed["b"], passed["c"], passed["flipped"]) == (0, 0, [])
    assert passed["test"] == "mcnemar_exact" and passed["p_value"] == 1.0
    assert passed["delta"] == 0 and passed["interval"]["low"] > -passed["margin"]

    failed = await _check(client, worse)
    # The seed's fields.
    assert failed["run_id"] == str(worse) and failed["baseline_run_id"] == str(good)
    assert (failed["baseline_name"], failed["metric_name"]) == ("main", "primary_score")
    assert failed["baseline_value"] == pytest.approx(0.8)
    assert failed["current_value"] == pytest.approx(92 / 160)
    assert failed["delta"] == pytest.approx(92 / 160 - 0.8)
    assert failed["delta_percent"] == pytest.approx((92 / 160 - 0.8) / 0.8 * 100)
    assert failed["verdict"] == "fail"
    # The paired report.
    assert (failed["n"], failed["b"], failed["c"], failed["n_excluded"]) == (N, 40, 4, 0)
    assert failed["p_value"] < 1e-6 and failed["interval"]["high"] < 0
    assert failed["evaluation_id"] == str(worse_evaluation)
    assert failed["baseline_evaluation_id"] == str(baseline_evaluation)
    assert 0 < failed["minimum_detectable_difference"] < 0.2
    assert "significantly worse" in failed["reasons"][0]
    flipped = failed["flipped"]
    assert [f["direction"] for f in flipped] == ["worse"] * 40 + ["better"] * 4
    assert [f["index"] for f in flipped[:2]] == [20, 21]
    assert flipped[0]["trace_id"] == str(TRACES[20])
    assert (flipped[0]["baseline_value"], flipped[0]["current_value"]) == (1.0, 0.0)
    assert (flipped[0]["baseline_extracted"], flipped[0]["current_extracted"]) == ("0", "x")

    # Every check is kept, newest first, with its full report.
    history = (await client.get("/api/regression/checks")).json()
    assert [c["verdict"] for c in history["data"]] == ["fail", "pass"]
    assert "flipped" not in history["data"][0]
    by_run = (await client.get("/api/regression/checks", params={"run_id": str(same)})).json()
    assert [c["id"] for c in by_run["data"]] == [passed["id"]]
    stored = (await client.get(f"/api/regression/checks/{failed['id']}")).json()
    assert stored == failed
    page = (await client.get("/api/regression/checks", params={"limit": 1})).json()
    assert len(page["data"]) == 1 and page["pagination"]["next_offset"] == 1


async def test_unscored_items_are_left_out_and_graded_scores_are_bootstrapped(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    good, graded = await _run(sessionmaker), await _run(sessionmaker)
    await _evaluation(sessionmaker, good, [0.8] * N, judge="llm_judge")
    await _baseline(client, good)
    lower = [None if i < 10 else 0.6 + 0.2 * (i % 2) for i in range(N)]
    await _evaluation(sessionmaker, graded, lower, judge="llm_judge")
    report = await _check(client, graded)
    assert report["test"] == "paired_bootstrap"
    assert (report["n"], report["n_excluded"]) == (N - 10, 10)
    assert (report["resamples"], report["seed"]) == (10_000, 20_261_130)
    assert report["verdict"] == "fail"
    assert report["interval"]["low"] < -0.1 < report["interval"]["high"] < 0


async def test_evaluations_that_differ_are_inconclusive_and_say_how(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    good = await _run(sessionmaker)
    await _evaluation(sessionmaker, good, BASELINE)
    await _baseline(client, good)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"dataset_key": "hcd-v2", "dataset_sha256": "b" * 64}, "the datasets differ"),
        ({"split": "train"}, "the splits differ"),
        ({"judge_version": "2"}, "the judges differ"),
        ({"decoding": {"template_sha256": "f" * 64}}, "the chat templates differ"),
    ]
    for overrides, reason in cases:
        other = await _run(sessionmaker)
        await _evaluation(sessionmaker, other, BASELINE, **overrides)
        report = await _check(client, other)
        assert (report["verdict"], report["comparable"]) == ("inconclusive", False), overrides
        assert reason in report["reasons"][0]
        assert report["n"] == 0 and report["p_value"] is None and report["flipped"] == []
    # Too few items to tell at the margin.
    few = await _run(sessionmaker)
    await _evaluation(sessionmaker, few, BASELINE[:12] + [None] * (N - 12))
    report = await _check(client, few)
    assert (report["verdict"], report["n"]) == ("inconclusive", 12)
    assert "more items are needed" in report["reasons"][0]


async def test_a_check_prefers_a_comparable_evaluation_and_takes_one_asked_for(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    good, run = await _run(sessionmaker), await _run(sessionmaker)
    await _evaluation(sessionmaker, good, BASELINE)
    await _baseline(client, good)
    comparable = await _evaluation(sessionmaker, run, BASELINE, age_s=60)
    newer = await _evaluation(sessionmaker, run, BASELINE, split="train")
    assert (await _check(client, run))["evaluation_id"] == str(comparable)
    asked = await _check(client, run, evaluation_id=str(newer))
    assert (asked["evaluation_id"], asked["verdict"]) == (str(newer), "inconclusive")


async def test_lower_is_better_metrics_turn_the_direction(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    good, longer = await _run(sessionmaker), await _run(sessionmaker)
    await _evaluation(sessionmaker, good, BASELINE)
    baseline = await _baseline(client, good, metric="output_tokens")
    assert (baseline["lower_is_better"], baseline["value"]) == (True, 8.0)
    evaluation_id = await _evaluation(sessionmaker, longer, BASELINE)
    async with sessionmaker() as session, session.begin():  # every answer 4 tokens longer
        await session.execute(
            update(EvaluationItem)
            .where(EvaluationItem.evaluation_id == evaluation_id)
            .values(output_tokens=EvaluationItem.output_tokens + 4)
        )
    report = await _check(client, longer)
    assert (report["verdict"], report["b"], report["c"]) == ("fail", N, 0)
    assert report["delta"] == 4.0 and report["test"] == "paired_bootstrap"


async def test_bad_input_gets_a_clear_error_and_writes_nothing(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    good, unevaluated, running = [await _run(sessionmaker) for _ in range(3)]
    await _evaluation(sessionmaker, good, BASELINE)
    in_flight = await _evaluation(sessionmaker, running, BASELINE, status="running")
    await _baseline(client, good)
    other_run_evaluation = await _evaluation(sessionmaker, unevaluated, BASELINE, status="failed")
    tables = (RegressionBaseline, RegressionBaselineVersion, RegressionCheck)
    before = [await count_rows(sessionmaker, t) for t in tables]
    unknown = str(uuid.uuid4())
    set_ = {"name": "other", "run_id": str(good)}
    check = {"run_id": str(good), "baseline_name": "main"}
    invalid = "ValidationError"
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", "/api/regression/baselines", {}, 422, invalid),
        ("POST", "/api/regression/baselines", {**set_, "name": ""}, 422, invalid),
        ("POST", "/api/regression/baselines", {**set_, "name": "x" * 129}, 422, invalid),
        ("POST", "/api/regression/baselines", {**set_, "name": "a b/c"}, 422, invalid),
        ("POST", "/api/regression/baselines", {**set_, "metric": "accuracy"}, 422, invalid),
        ("POST", "/api/regression/baselines", {**set_, "margin": 0}, 422, invalid),
        ("POST", "/api/regression/baselines", {**set_, "margin": -0.1}, 422, invalid),
        ("POST", "/api/regression/baselines", {**set_, "run_id": "x"}, 422, invalid),
        ("POST", "/api/regression/baselines", {**set_, "extra": 1}, 422, invalid),
        ("POST", "/api/regression/baselines", {**set_, "judge": ""}, 422, invalid),
        (
            "POST", "/api/regression/baselines",
            {**set_, "judge": "exact_match", "evaluation_id": unknown}, 422, invalid,
        ),
        (
            "POST", "/api/regression/baselines", {**set_, "evaluation_id": unknown},
            404, "EvaluationNotFound",
        ),
        (
            "POST", "/api/regression/baselines",
            {**set_, "run_id": str(unevaluated), "evaluation_id": str(other_run_evaluation)},
            409, "NoCompletedEvaluation",
        ),
        ("POST", "/api/regression/baselines", {**set_, "run_id": unknown}, 404, "RunNotFound"),
        (
            "POST", "/api/regression/baselines", {**set_, "run_id": str(unevaluated)},
            409, "NoCompletedEvaluation",
        ),
        (
            "POST", "/api/regression/baselines", {**set_, "judge": "llm_judge"},
            409, "NoCompletedEvaluation",
        ),
        ("POST", "/api/regression/check", {}, 422, invalid),
        ("POST", "/api/regression/check", {**check, "baseline_name": ""}, 422, invalid),
        ("POST", "/api/regression/check", {**check, "run_id": "x"}, 422, invalid),
        (
            "POST", "/api/regression/check", {**check, "baseline_name": "nope"},
            404, "BaselineNotFound",
        ),
        ("POST", "/api/regression/check", {**check, "run_id": unknown}, 404, "RunNotFound"),
        (
            "POST", "/api/regression/check", {**check, "run_id": str(unevaluated)},
            409, "NoCompletedEvaluation",
        ),
        (
            "POST", "/api/regression/check", {**check, "evaluation_id": str(in_flight)},
            404, "EvaluationNotFound",
        ),
        (
            "POST", "/api/regression/check",
            {**check, "run_id": str(unevaluated), "evaluation_id": str(other_run_evaluation)},
            409, "NoCompletedEvaluation",
        ),
        ("GET", "/api/regression/baselines/nope", None, 404, "BaselineNotFound"),
        ("DELETE", "/api/regression/baselines/nope", None, 404, "BaselineNotFound"),
        ("GET", f"/api/regression/baselines/{'x' * 129}", None, 422, invalid),
        ("GET", f"/api/regression/checks/{unknown}", None, 404, "CheckNotFound"),
        ("GET", "/api/regression/checks/not-a-uuid", None, 422, invalid),
        ("GET", "/api/regression/checks?limit=0", None, 422, invalid),
        ("GET", "/api/regression/checks?offset=-1", None, 422, invalid),
        ("GET", "/api/regression/checks?run_id=x", None, 422, invalid),
        ("GET", "/api/regression/baselines?limit=101", None, 422, invalid),
    ]  # fmt: skip
    for method, path, body, status, error in cases:
        response = await client.request(method, path, json=body)
        assert response.status_code == status, (method, path, body, response.text)
        assert response.json()["error"] == error, (method, path, body)
        assert response.json()["detail"]
    assert [await count_rows(sessionmaker, t) for t in tables] == before


async def test_the_pipeline_command_exits_with_the_verdict(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    good, worse, other = [await _run(sessionmaker) for _ in range(3)]
    await _evaluation(sessionmaker, good, BASELINE)
    await _evaluation(sessionmaker, worse, [r and i % 2 == 0 for i, r in enumerate(BASELINE)])
    await _evaluation(sessionmaker, other, BASELINE, split="train")
    await _baseline(client, good)

    def gate(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": settings.db_url, "REDIAI_MODE": "mock"}
        env["DATA_DIR"] = str(settings.data_dir)
        command = [sys.executable, "-m", "tunix_rt_backend.cli", "regression", "check", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    passed, failed, unclear, unknown, as_json = await asyncio.gather(
        asyncio.to_thread(gate, "--baseline", "main", "--run", str(good)),
        asyncio.to_thread(gate, "--baseline", "main", "--run", str(worse)),
        asyncio.to_thread(gate, "--baseline", "main", "--run", str(other)),
        asyncio.to_thread(gate, "--baseline", "nope", "--run", str(good)),
        asyncio.to_thread(gate, "--baseline", "main", "--run", str(worse), "--json"),
    )
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.startswith(f"PASS: run {good} against baseline main (version 1")
    assert failed.returncode == 1, failed.stderr
    assert "64 worse, 0 better; mcnemar_exact p = " in failed.stdout
    assert "flipped items (64):" in failed.stdout and "… 54 more (--json for all)" in failed.stdout
    assert unclear.returncode == 2 and "the splits differ" in unclear.stdout
    assert unknown.returncode == 3 and "no baseline named 'nope'" in unknown.stderr
    report = orjson.loads(as_json.stdout)
    assert (as_json.returncode, report["verdict"], report["b"]) == (1, "fail", 64)
    checks = (await client.get("/api/regression/checks")).json()["data"]
    assert sorted(c["verdict"] for c in checks) == ["fail", "fail", "inconclusive", "pass"]


async def test_a_name_set_by_many_requests_at_once_gets_versions_in_turn(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    run_id = await _run(sessionmaker)
    await _evaluation(sessionmaker, run_id, BASELINE)
    body = {"name": "race", "run_id": str(run_id)}
    responses = await asyncio.gather(
        *(client.post("/api/regression/baselines", json=body) for _ in range(8))
    )
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {201, 409} and codes.count(201) >= 1, codes
    for response in responses:
        if response.status_code == 409:  # both creating it: the later is told to retry
            assert response.json()["error"] == "BaselineConflict"
    detail = (await client.get("/api/regression/baselines/race")).json()
    versions = [h["version"] for h in detail["history"]]
    assert versions == list(range(len(versions), 0, -1)) == list(range(detail["version"], 0, -1))
    assert detail["version"] == codes.count(201)
