"""The queue with real processes: `tunix-rt serve` and `tunix-rt worker` as a user runs
them, over HTTP, on PostgreSQL (several workers) and SQLite (the embedded worker)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.processes import (
    CLAIMED,
    CLI,
    ServerProcess,
    WorkerProcess,
    cli_env,
    serve,
    wait_for,
)

# Fast liveness for the tests: a heartbeat every 0.5 s, presumed lost after 2 s.
FAST_WORKERS = {
    "WORKER_POLL_SECONDS": "0.5",
    "WORKER_HEARTBEAT_SECONDS": "0.5",
    "WORKER_STALE_SECONDS": "2",
    "WORKER_SHUTDOWN_GRACE_SECONDS": "30",
}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # Runs here are about workers: no evaluation follows them (test_evaluations.py).
    return cli_env(EVAL_AUTO="false", DATA_DIR=str(tmp_path / "data"), **extra)


@pytest.fixture
def pg_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    url = create_pg_database()
    try:
        migrate = [*CLI, "db", "upgrade"]
        subprocess.run(migrate, env=_env(tmp_path, DATABASE_URL=url), check=True, timeout=60)
        yield _env(tmp_path, DATABASE_URL=url, **FAST_WORKERS)
    finally:
        WorkerProcess.kill_all()
        drop_pg_database(url)


def _sums_dataset(client: httpx.Client, count: int = 48) -> None:
    body = {"count": count, "params": {"difficulty": 1}}
    assert client.post("/api/generators/arithmetic/generate", json=body).status_code == 201
    built = client.post("/api/datasets/build", json={"name": "sums"})
    assert built.status_code == 201, built.text


def _queue(client: httpx.Client, **body: Any) -> str:
    request = {"dataset_key": "sums-v1", "model_id": "tunix-rt/tiny-gemma3", **body}
    response = client.post("/api/tunix/run?mode=async", json={"max_seq_length": 160, **request})
    assert response.status_code == 202, response.text
    run_id: str = response.json()["run_id"]
    return run_id


def _runs(client: httpx.Client, status: str) -> list[dict[str, Any]]:
    """Every run with `status`, page by page (cursor)."""
    runs: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = client.get(f"/api/tunix/runs?status={status}&limit=100{cursor}").json()
        runs += page["data"]
        if not page["pagination"]["next_cursor"]:
            return runs
        cursor = f"&cursor={page['pagination']['next_cursor']}"


def _drained(client: httpx.Client) -> bool:
    return not _runs(client, "pending") and not _runs(client, "running")


def test_four_workers_execute_every_run_exactly_once(
    pg_env: dict[str, str], tmp_path: Path
) -> None:
    with serve(pg_env, tmp_path / "serve.log", "--no-worker") as client:
        _sums_dataset(client, count=24)
        queued = {_queue(client) for _ in range(200)}
        # Live workers only: a window past any CPU starvation of a loaded machine (2 s
        # once lost a worker there, rightly re-queuing its runs: another test's case).
        env = {**pg_env, "WORKER_STALE_SECONDS": "30"}
        workers = [WorkerProcess(env, tmp_path / f"w{n}.log", concurrency=2) for n in range(4)]
        try:
            wait_for(lambda: _drained(client), 240, "the queue did not drain")
        finally:
            codes = [w.stop() for w in workers]
        assert codes == [0, 0, 0, 0], [w.log.read_text()[-2000:] for w in workers]
        claims = [claim for w in workers for claim in w.claims()]
        executed = Counter(run_id for run_id, _ in claims)
        assert set(executed) == queued
        assert max(executed.values()) == 1  # never twice
        assert {attempt for _, attempt in claims} == {1}
        assert sum(1 for w in workers if w.claims()) >= 2  # they really competed
        completed = _runs(client, "completed")
        assert {r["run_id"] for r in completed} == queued
        assert {r["attempt"] for r in completed} == {1}
        metrics = client.get("/metrics").text
        assert 'tunix_jobs{kind="train",status="completed"} 200.0' in metrics
        assert 'tunix_job_queue_depth{kind="train"} 0.0' in metrics


def test_embedded_worker_drains_the_queue_on_sqlite(tmp_path: Path) -> None:
    env = _env(tmp_path, WORKER_POLL_SECONDS="5")  # the enqueue wakes it, not the poll
    with serve(env, tmp_path / "serve.log") as client:
        _sums_dataset(client, count=24)
        queued = [_queue(client) for _ in range(20)]
        wait_for(lambda: len(_runs(client, "completed")) == 20, 60, "the queue did not drain")
        for run_id in queued:
            detail = client.get(f"/api/tunix/runs/{run_id}").json()
            assert (detail["status"], detail["attempt"]) == ("completed", 1)
            assert detail["worker_id"] and detail["claimed_at"] >= detail["queued_at"]
    # The server's log says what its worker did, as `tunix-rt worker`'s does.
    claimed = {m[1] for m in CLAIMED.finditer((tmp_path / "serve.log").read_text())}
    assert claimed == set(queued)


def _trainer_pids(output_dir: Path) -> list[int]:
    """Training processes writing into `output_dir`."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"tunix_rt_backend.training" in cmdline and str(output_dir).encode() in cmdline:
            pids.append(int(proc.name))
    return pids


def _latest_checkpoint(output_dir: Path) -> int:
    root = output_dir / "checkpoints"
    steps = [int(p.name) for p in root.glob("[0-9]*") if (p / "commit_success.txt").exists()]
    return max(steps, default=0)


def _run(client: httpx.Client, run_id: str) -> dict[str, Any]:
    detail: dict[str, Any] = client.get(f"/api/tunix/runs/{run_id}").json()
    return detail


def _finished_by(worker: WorkerProcess, client: httpx.Client, run_id: str) -> dict[str, Any]:
    """The run, once it has ended on `worker` (then stopped)."""
    try:
        wait_for(
            lambda: _run(client, run_id)["status"] not in ("pending", "running"),
            240,
            "the run did not finish",
        )
    finally:
        assert worker.stop() == 0
    return _run(client, run_id)


@pytest.mark.training
def test_lost_and_stopped_workers_hand_the_run_on_and_it_resumes(
    pg_env: dict[str, str], tmp_path: Path
) -> None:
    """SIGKILL a worker mid-run: its trainer stops too (it dies with its worker), the
    reaper re-queues the run once the heartbeat is stale, and another worker resumes it
    from the checkpoint. SIGTERM that worker: the run checkpoints and returns to
    pending. A third worker finishes it, at the last allowed attempt."""
    with serve(pg_env, tmp_path / "serve.log", "--no-worker") as client:
        _sums_dataset(client)
        run_id = _queue(
            client,
            dry_run=False,
            max_steps=120,
            batch_size=8,
            learning_rate=3e-3,
            checkpoint_every_n_steps=10,
            eval_every_n_steps=60,
            num_generations=0,
        )
        out = Path(pg_env["DATA_DIR"]) / "artifacts" / "runs" / run_id

        first = WorkerProcess(pg_env, tmp_path / "first.log")
        wait_for(lambda: _latest_checkpoint(out) >= 10, 180, "no first checkpoint")
        trainers = _trainer_pids(out)
        assert len(trainers) == 1
        first.stop(signal.SIGKILL)
        wait_for(lambda: not _trainer_pids(out), 60, "the trainer outlived its worker")
        lost_at = _latest_checkpoint(out)

        second = WorkerProcess(pg_env, tmp_path / "second.log")
        wait_for(lambda: _run(client, run_id)["attempt"] == 2, 60, "the run was not reclaimed")
        detail = _run(client, run_id)
        assert detail["status"] == "running"
        assert detail["error"].startswith("worker lost")
        wait_for(lambda: _latest_checkpoint(out) > lost_at, 180, "no checkpoint at attempt 2")
        assert second.stop(signal.SIGTERM) == 0  # graceful: checkpoint, back to pending
        assert not _trainer_pids(out)
        detail = _run(client, run_id)
        assert (detail["status"], detail["worker_id"], detail["attempt"]) == ("pending", None, 2)
        stopped_at = _latest_checkpoint(out)
        assert stopped_at > lost_at

        third = WorkerProcess(pg_env, tmp_path / "third.log")
        detail = _finished_by(third, client, run_id)
        assert (detail["status"], detail["attempt"]) == ("completed", 3), detail["stderr"]
        done = orjson.loads(detail["stdout"].strip().splitlines()[-1])
        assert done["event"] == "done"
        assert done["summary"]["start_step"] == stopped_at
        assert done["summary"]["steps"] == 120
        assert [c[0] for c in second.claims()] == [run_id]
        assert [c[1] for c in third.claims()] == [3]


@pytest.mark.training
def test_a_sync_run_outlives_the_server_that_accepted_it(
    pg_env: dict[str, str], tmp_path: Path
) -> None:
    """A synchronous run is a queued run that the request waits for: SIGKILL the server
    (and its embedded worker) mid-run, and a worker elsewhere takes the run over from
    its checkpoint and ends it. The waiting request is lost; the run is not."""
    server = ServerProcess(pg_env, tmp_path / "serve.log")
    try:
        with server.client() as client:
            _sums_dataset(client)
        body = {
            "dataset_key": "sums-v1",
            "model_id": "tunix-rt/tiny-gemma3",
            "max_seq_length": 160,
            "dry_run": False,
            "max_steps": 60,
            "learning_rate": 3e-3,
            "checkpoint_every_n_steps": 10,
            "num_generations": 0,
        }
        url = f"{server.base}/api/tunix/run"
        waiting = subprocess.Popen(  # the client that waits, in a process of its own
            [sys.executable, "-c", _POST, url, orjson.dumps(body).decode()],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        runs = Path(pg_env["DATA_DIR"]) / "artifacts" / "runs"
        out = wait_for(
            lambda: next((p for p in runs.glob("*") if _latest_checkpoint(p) >= 10), None),
            180,
            "no checkpoint",
        )
        run_id = out.name
        server.kill()  # the server and its worker, mid-run
        waiting.communicate(timeout=30)  # its request ended with the connection
        wait_for(lambda: not _trainer_pids(out), 60, "the trainer outlived its server")
    finally:
        server.kill()
    with serve(pg_env, tmp_path / "after.log", "--no-worker") as client:
        assert _run(client, run_id)["status"] == "running"  # held by a dead worker
        detail = _finished_by(WorkerProcess(pg_env, tmp_path / "rescuer.log"), client, run_id)
        assert (detail["status"], detail["attempt"]) == ("completed", 2), detail["stderr"]
        assert detail["error"] is None or detail["error"].startswith("worker lost")
        done = orjson.loads(detail["stdout"].strip().splitlines()[-1])
        assert done["summary"]["start_step"] >= 10 and done["summary"]["steps"] == 60


_POST = """
import sys, httpx
try:
    httpx.post(sys.argv[1], content=sys.argv[2],
               headers={"content-type": "application/json"}, timeout=600)
except httpx.TransportError as exc:
    print("connection lost:", exc)
"""
