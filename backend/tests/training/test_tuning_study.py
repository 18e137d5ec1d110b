"""Real studies on local Ray, through a real `tunix-rt serve` and its embedded worker:
every trial a real training run of the tiny model. ASHA stops the trials that fall
behind (their runs end with a final checkpoint, their processes gone), the best
completed trial is stored, and cancelling a study stops every trial's run."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import ServerProcess, cli_env, untraced, wait_for

pytestmark = pytest.mark.training

TRAINING = {
    "max_steps": 40,
    "batch_size": 8,
    "max_seq_length": 320,
    "eval_every_n_steps": 10,
    "checkpoint_every_n_steps": 20,
    "num_generations": 0,
}
ENDED = ("completed", "failed", "cancelled")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    tmp = tmp_path_factory.mktemp("tuning")
    log = tmp / "server.log"
    proc = ServerProcess(untraced(cli_env(DATA_DIR=str(tmp / "data"), EVAL_AUTO="false")), log)
    try:
        with proc.client(timeout=60) as http:
            _sums(http)
            yield http
    except BaseException:
        proc.kill()
        print(log.read_text()[-8000:])
        raise
    proc.stop()


def _sums(http: httpx.Client) -> None:
    """The studies' dataset, `sums-v1`: 96 sums, a tenth held out."""
    body = {"count": 96, "seed": 0, "params": {"difficulty": 1}}
    _ok(http.post("/api/generators/arithmetic/generate", json=body))
    _ok(http.post("/api/datasets/build", json={"name": "sums", "eval_ratio": 0.1}))


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def _study(http: httpx.Client, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "lr sweep",
        "dataset_key": "sums-v1",
        "base_model_id": "tunix-rt/tiny-gemma3",
        "num_samples": 4,
        "max_concurrent_trials": 2,
        "scheduler": "asha",
        "seed": 0,
        "search_space": {"learning_rate": {"type": "loguniform", "min": 1e-5, "max": 1e-1}},
        "training": TRAINING,
        **overrides,
    }
    job = _ok(http.post("/api/tuning/jobs", json=body))
    assert job["status"] == "created"
    return _ok(http.post(f"/api/tuning/jobs/{job['id']}/start"))  # type: ignore[no-any-return]


def _ended(http: httpx.Client, job_id: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        job = _ok(http.get(f"/api/tuning/jobs/{job_id}"))
        return job if job["status"] in ENDED else None

    result: dict[str, Any] = wait_for(ended, 600, f"tuning job {job_id} did not end")
    return result


def _processes_of(run_id: str) -> str:
    """Command lines of live processes that name the run (its training process does)."""
    found = subprocess.run(["pgrep", "-af", run_id], capture_output=True, text=True)
    return found.stdout.strip()


def test_a_study_stops_laggards_early_and_keeps_the_best(server: httpx.Client) -> None:
    job = _ended(server, _study(server)["id"])
    assert job["status"] == "completed", job["message"] or job["error"]
    trials = job["trials"]
    assert len(trials) == 4
    statuses = [t["status"] for t in trials]
    why = [(t["status"], t["stopped_step"], t["error"]) for t in trials]
    assert "early_stopped" in statuses, why
    assert set(statuses) <= {"completed", "early_stopped"}, why

    completed = [t for t in trials if t["status"] == "completed"]
    best = min(completed, key=lambda t: t["metric_value"])
    assert job["best_run_id"] == best["run_id"]
    assert job["best_params"] == best["params"]
    assert job["best_metric_value"] == pytest.approx(best["metric_value"])
    assert trials[0] == best  # best first

    for trial in trials:
        run = _ok(server.get(f"/api/tunix/runs/{trial['run_id']}"))
        assert run["config"]["learning_rate"] == pytest.approx(trial["params"]["learning_rate"])
        assert run["tags"][0] == "tuning"
        metrics = _ok(server.get(f"/api/tunix/runs/{trial['run_id']}/metrics"))
        assert any(s["name"] == "eval/loss" and s["points"] for s in metrics["series"])
        assert _processes_of(trial["run_id"]) == ""
        if trial["status"] == "early_stopped":
            assert run["status"] == "cancelled"
            assert run["message"].startswith("Stopped early by its tuning study's scheduler")
            assert trial["stopped_step"] < TRAINING["max_steps"]
            # Its final checkpoint was kept.
            assert run["summary"]["latest_checkpoint"] is not None
        else:
            assert run["status"] == "completed"
            assert trial["stopped_step"] == TRAINING["max_steps"]


def test_cancelling_a_study_stops_every_trials_run(server: httpx.Client) -> None:
    training = {**TRAINING, "max_steps": 2000, "checkpoint_every_n_steps": 500}
    job = _study(server, name="long", scheduler="fifo", num_samples=2, training=training)

    def running_trials() -> list[dict[str, Any]] | None:
        trials = _ok(server.get(f"/api/tuning/jobs/{job['id']}"))["trials"]
        live = [t for t in trials if t["status"] == "running" and t["run_id"]]
        return live if len(live) == 2 else None

    trials = wait_for(running_trials, 300, "the trials did not start")
    # Both trials train: their runs have stored a point.
    for trial in trials:
        path = f"/api/tunix/runs/{trial['run_id']}/metrics"

        def measured(path: str = path) -> Any:
            return _ok(server.get(path))["series"]

        wait_for(measured, 300, "no metric yet")
    cancelled_at = time.monotonic()
    assert _ok(server.post(f"/api/tuning/jobs/{job['id']}/cancel"))["id"] == job["id"]
    ended = _ended(server, job["id"])
    assert ended["status"] == "cancelled", ended
    assert time.monotonic() - cancelled_at < 120
    assert ended["best_run_id"] is None
    for trial in ended["trials"]:
        assert trial["status"] == "cancelled", trial
        run = _ok(server.get(f"/api/tunix/runs/{trial['run_id']}"))
        assert run["status"] == "cancelled", run["message"]
        assert run["summary"]["steps"] < training["max_steps"]
        assert _processes_of(trial["run_id"]) == ""
    again = server.post(f"/api/tuning/jobs/{job['id']}/cancel")
    assert again.status_code == 409


def test_a_study_whose_worker_dies_is_resumed_by_another(tmp_path: Path) -> None:
    """The worker running the driver is killed mid-study: another worker re-queues the
    study, its driver restores it, the completed trial is kept (not run again) and the
    unfinished one's run resumes from its latest checkpoint. The study tunes on
    primary_score: each trial evaluates its run at its end, and that is its metric."""
    env = untraced(
        cli_env(
            DATA_DIR=str(tmp_path / "data"),
            EVAL_AUTO="false",
            WORKER_HEARTBEAT_SECONDS="1",
            WORKER_STALE_SECONDS="4",
        )
    )
    first = ServerProcess(env, tmp_path / "first.log")
    try:
        with first.client(timeout=60) as http:
            _sums(http)
            training = {**TRAINING, "max_steps": 80, "checkpoint_every_n_steps": 20}
            job = _study(
                http,
                metric_name="primary_score",
                scheduler="fifo",
                num_samples=2,
                max_concurrent_trials=1,
                training=training,
            )
            assert job["metric_mode"] == "max"

            def second_trial_checkpointed() -> dict[str, Any] | None:
                trials = _ok(http.get(f"/api/tuning/jobs/{job['id']}"))["trials"]
                done = [t for t in trials if t["status"] == "completed"]
                live = [t for t in trials if t["status"] == "running" and t["run_id"]]
                if not (done and live):
                    return None
                series = _ok(http.get(f"/api/tunix/runs/{live[0]['run_id']}/metrics"))["series"]
                steps = [p[0] for s in series if s["name"] == "eval/loss" for p in s["points"]]
                return {"done": done[0], "live": live[0]} if max(steps, default=0) >= 30 else None

            before = wait_for(second_trial_checkpointed, 400, "no trial completed and checkpointed")
    finally:
        first.kill()  # SIGKILL: the worker holding the study is gone

    second = ServerProcess(env, tmp_path / "second.log")
    try:
        with second.client(timeout=60) as http:
            ended = _ended(http, job["id"])
            assert ended["status"] == "completed", ended["message"] or ended["error"]
            assert ended["attempt"] == 2
            trials = {t["trial_key"]: t for t in ended["trials"]}
            assert len(trials) == 2, trials  # nothing run twice
            kept = trials[before["done"]["trial_key"]]
            assert kept["run_id"] == before["done"]["run_id"]
            assert kept["status"] == "completed"
            resumed = trials[before["live"]["trial_key"]]
            assert resumed["run_id"] == before["live"]["run_id"], "a new run instead of resuming"
            assert resumed["status"] == "completed", resumed
            run = _ok(http.get(f"/api/tunix/runs/{resumed['run_id']}"))
            assert run["status"] == "completed"
            assert run["attempt"] == 2
            assert run["summary"]["start_step"] >= 20  # from its checkpoint, not from scratch
            assert run["summary"]["steps"] == training["max_steps"]
            # Each trial's metric is its run's evaluation's score (exact match on the
            # eval split), and the best is the higher.
            for trial in trials.values():
                evaluation = _ok(http.get(f"/api/tunix/runs/{trial['run_id']}/evaluation"))
                assert (evaluation["status"], evaluation["split"]) == ("completed", "eval")
                assert trial["metric_value"] == evaluation["primary_score"], evaluation
            best = max(trials.values(), key=lambda t: t["metric_value"])
            assert ended["best_metric_value"] == best["metric_value"]
    except BaseException:
        print((tmp_path / "first.log").read_text()[-4000:])
        print((tmp_path / "second.log").read_text()[-8000:])
        second.kill()
        raise
    second.stop()


def test_a_study_whose_worker_stops_is_paused_for_later(tmp_path: Path) -> None:
    """The server (its embedded worker holding the study) is stopped: the trial's run
    stops with its checkpoint and says it is paused (not cancelled by anyone, not
    stopped by the scheduler), the study goes back to the queue, and no process is
    left. (Resuming a study is the test above.)"""
    data = tmp_path / "data"
    env = untraced(cli_env(DATA_DIR=str(data), EVAL_AUTO="false"))
    server = ServerProcess(env, tmp_path / "server.log")
    try:
        with server.client(timeout=60) as http:
            _sums(http)
            training = {**TRAINING, "max_steps": 2000, "checkpoint_every_n_steps": 500}
            job = _study(
                http, scheduler="fifo", num_samples=1, max_concurrent_trials=1, training=training
            )

            def training_trial() -> dict[str, Any] | None:
                trials = _ok(http.get(f"/api/tuning/jobs/{job['id']}"))["trials"]
                if not trials or not trials[0]["run_id"]:
                    return None
                series = _ok(http.get(f"/api/tunix/runs/{trials[0]['run_id']}/metrics"))
                return trials[0] if series["series"] else None

            trial = wait_for(training_trial, 300, "the trial did not train")
        server.stop()  # SIGTERM: its worker stops, and the study's driver with it
    except BaseException:
        server.kill()
        print(server.log.read_text()[-8000:])
        raise
    with sqlite3.connect(data / "tunix-rt.db") as db:
        study = db.execute("SELECT status FROM tunix_tuning_jobs").fetchone()
        run = db.execute("SELECT status, message FROM tunix_runs").fetchone()
        stored = db.execute("SELECT status FROM tunix_tuning_trials").fetchone()
    assert study == ("pending",), server.log.read_text()[-8000:]
    assert run[0] == "cancelled"
    assert run[1].startswith("Paused at step "), run[1]
    assert stored == ("cancelled",)
    assert _processes_of(trial["run_id"]) == ""
