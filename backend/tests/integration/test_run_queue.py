"""The run registry and queue on both databases: async submission, the registry's
endpoints, claims, guarded updates, the reaper, an in-process worker, /metrics."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import _empty_tables, make_settings
from tests.factories import count_rows, sums_dataset
from tunix_rt_backend.app import create_app
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import TunixRun, Worker
from tunix_rt_backend.job_kinds import job_kinds
from tunix_rt_backend.jobs import queues, repository
from tunix_rt_backend.jobs.kinds import JobContext, JobKind
from tunix_rt_backend.jobs.repository import Owner
from tunix_rt_backend.jobs.worker import Finisher, Held, QueueWorker
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs.execution import TRAIN
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "dataset_key": "sums-v1",
        "model_id": "tunix-rt/tiny-gemma3",
        "max_seq_length": 160,
        **overrides,
    }


async def _queue(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/tunix/run?mode=async", json=_body(**overrides))
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


async def _row(maker: Maker, run_id: str | uuid.UUID) -> TunixRun:
    async with maker() as session:
        row = await session.get(TunixRun, uuid.UUID(str(run_id)))
        assert row is not None
        return row


async def _register(maker: Maker, worker_id: str, heartbeat_age_s: float = 0) -> None:
    now = utcnow()
    async with session_scope(maker) as session:
        await repository.register_worker(
            session,
            Worker(
                worker_id=worker_id,
                hostname="test",
                pid=1,
                concurrency=1,
                started_at=now,
                heartbeat_at=now - timedelta(seconds=heartbeat_age_s),
            ),
        )


async def _claim_many(maker: Maker, worker_id: str, limit: int) -> list[TunixRun]:
    """A claim as a worker makes it (on PostgreSQL, its DriverQueue's)."""
    queue = queues.queue_for(maker)
    try:
        return await queue.claim(TRAIN, worker_id, utcnow(), limit)
    finally:
        await queue.close()


async def _claim(maker: Maker, worker_id: str) -> TunixRun | None:
    claimed = await _claim_many(maker, worker_id, 1)
    assert len(claimed) <= 1
    return claimed[0] if claimed else None


# --- submission ----------------------------------------------------------------------


async def test_async_run_is_pending_at_once_and_queued(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    result = await _queue(client, dry_run=False)
    assert (result["status"], result["mode"]) == ("pending", "local")
    assert result["message"] == "Run queued: a worker will start it."
    row = await _row(sessionmaker, result["run_id"])
    assert (row.status, row.attempt, row.worker_id) == ("pending", 0, None)
    assert row.queued_at is not None and row.max_attempts == 3
    status = (await client.get(f"/api/tunix/runs/{result['run_id']}/status")).json()
    assert status == {
        "run_id": result["run_id"],
        "status": "pending",
        "attempt": 0,
        "started_at": status["started_at"],
        "completed_at": None,
        "duration_seconds": None,
        "error": None,
        "cancel_requested_at": None,
    }


@pytest.mark.parametrize(
    ("query", "body", "code"),
    [
        ("mode=async", _body(dataset_key="nope-v1"), 404),
        ("mode=async", _body(output_dir="../x"), 422),
        ("mode=later", _body(), 422),
        ("mode=async", _body(timeout_seconds=0), 422),
    ],
)
async def test_bad_async_submission_is_refused_and_queues_nothing(
    client: httpx.AsyncClient, sessionmaker: Maker, query: str, body: dict[str, Any], code: int
) -> None:
    await sums_dataset(client, 24)
    response = await client.post(f"/api/tunix/run?{query}", json=body)
    assert response.status_code == code
    assert set(response.json()) == {"error", "detail"}
    assert await count_rows(sessionmaker, TunixRun) == 0


# --- the registry --------------------------------------------------------------------


async def test_list_filters_combine_and_paginate(client: httpx.AsyncClient) -> None:
    await sums_dataset(client, 24)
    for _ in range(3):
        assert (await client.post("/api/tunix/run", json=_body())).status_code == 202
    failed = await client.post("/api/tunix/run", json=_body(max_seq_length=16))
    assert failed.json()["status"] == "failed"
    queued = await _queue(client, dry_run=False)

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/api/tunix/runs?{query}")
        assert response.status_code == 200, response.text
        return [r["run_id"] for r in response.json()["data"]]

    assert len(await ids("")) == 5
    assert await ids("status=pending") == [queued["run_id"]]
    assert await ids("status=failed&mode=dry-run") == [failed.json()["run_id"]]
    assert await ids("status=pending&mode=dry-run") == []
    assert len(await ids("dataset_key=sums-v1&mode=dry-run")) == 4
    assert await ids("dataset_key=other-v1") == []

    first = (await client.get("/api/tunix/runs?limit=2")).json()
    assert first["pagination"] == {
        "limit": 2,
        "offset": 0,
        "next_offset": 2,
        "next_cursor": first["pagination"]["next_cursor"],
    }
    second = (await client.get("/api/tunix/runs?limit=2&offset=2")).json()
    by_cursor = (
        await client.get(f"/api/tunix/runs?limit=2&cursor={first['pagination']['next_cursor']}")
    ).json()
    assert [r["run_id"] for r in by_cursor["data"]] == [r["run_id"] for r in second["data"]]
    newest_first = [r["created_at"] for r in first["data"] + second["data"]]
    assert newest_first == sorted(newest_first, reverse=True)
    assert first["data"][0]["run_id"] == queued["run_id"]


@pytest.mark.parametrize(
    "query", ["limit=101", "limit=0", "offset=-1", "status=done", "mode=remote", "cursor=!!"]
)
async def test_bad_list_query_is_422(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/api/tunix/runs?{query}")
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"


async def test_run_detail_and_its_errors(client: httpx.AsyncClient) -> None:
    await sums_dataset(client, 24)
    done = (await client.post("/api/tunix/run", json=_body())).json()
    detail = (await client.get(f"/api/tunix/runs/{done['run_id']}")).json()
    assert detail["status"] == "completed" and detail["attempt"] == 1
    assert detail["config"]["max_seq_length"] == 160
    assert detail["config"]["output_dir"] == f"runs/{done['run_id']}"
    assert "[ok] dataset" in detail["stdout"]
    assert detail["message"] == "Dry-run completed successfully. Configuration is valid."
    assert [c["name"] for c in detail["checks"]] == [c["name"] for c in done["checks"]]
    listed = (await client.get("/api/tunix/runs")).json()["data"][0]
    assert (listed["max_attempts"], listed["error"]) == (3, None)
    assert detail["queued_at"] is None and detail["worker_id"] is None
    assert detail["completed_at"] >= detail["started_at"]

    missing = await client.get(f"/api/tunix/runs/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()["error"]) == (404, "RunNotFound")
    for path in ("not-a-uuid", "not-a-uuid/status"):
        response = await client.get(f"/api/tunix/runs/{path}")
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "run_id"]


async def test_rerun_queues_a_new_run_with_the_same_config(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    first = (await client.post("/api/tunix/run", json=_body(learning_rate=0.02))).json()
    response = await client.post(f"/api/tunix/runs/{first['run_id']}/rerun")
    assert response.status_code == 202
    again = response.json()
    assert again["status"] == "pending" and again["run_id"] != first["run_id"]
    assert again["output_dir"] == f"runs/{again['run_id']}"
    row = await _row(sessionmaker, again["run_id"])
    assert row.config is not None and row.config["learning_rate"] == 0.02
    assert row.mode == "dry-run"

    missing = await client.post(f"/api/tunix/runs/{uuid.uuid4()}/rerun")
    assert missing.status_code == 404
    assert await count_rows(sessionmaker, TunixRun) == 2


# --- claims, guards and the reaper ----------------------------------------------------


async def test_claims_take_the_oldest_pending_run_once(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    first, second = await _queue(client), await _queue(client)
    await _register(sessionmaker, "w1")
    a, b = await _claim(sessionmaker, "w1"), await _claim(sessionmaker, "w1")
    assert a is not None and b is not None
    assert [str(a.run_id), str(b.run_id)] == [first["run_id"], second["run_id"]]
    assert (a.status, a.attempt, a.worker_id) == ("running", 1, "w1")
    assert a.claimed_at is not None and a.started_at == a.claimed_at
    assert await _claim(sessionmaker, "w1") is None


async def test_concurrent_claims_never_share_a_run(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    queued = {(await _queue(client))["run_id"] for _ in range(12)}
    claimed = await asyncio.gather(*(_claim(sessionmaker, f"w{n}") for n in range(16)))
    got = [str(run.run_id) for run in claimed if run is not None]
    assert sorted(got) == sorted(queued)


async def test_batched_claims_take_the_oldest_runs_in_order_and_never_share_one(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    queued = [(await _queue(client))["run_id"] for _ in range(7)]
    first = await _claim_many(sessionmaker, "w1", 3)
    assert [str(r.run_id) for r in first] == queued[:3]
    assert {(r.status, r.attempt, r.worker_id) for r in first} == {("running", 1, "w1")}
    rest = await asyncio.gather(*(_claim_many(sessionmaker, f"w{n}", 3) for n in range(2, 6)))
    got = [str(r.run_id) for batch in rest for r in batch]
    assert sorted(got) == sorted(queued[3:])
    for batch in rest:  # each batch oldest first
        assert [str(r.run_id) for r in batch] == [
            q for q in queued if q in {str(r.run_id) for r in batch}
        ]
    assert await _claim_many(sessionmaker, "w1", 3) == []


async def test_finishes_that_come_together_commit_together_under_their_guards(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    for _ in range(6):
        await _queue(client)
    claimed = await _claim_many(sessionmaker, "w1", 6)
    statements: list[str] = []
    commits: list[object] = []

    def executed(*args: Any) -> None:
        statements.append(args[2])

    def committed(connection: object) -> None:
        commits.append(connection)

    engine = sessionmaker.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    driver_writes: list[str] = []
    queue = queues.queue_for(sessionmaker, lambda verb, _: driver_writes.append(verb))
    finish = Finisher(queue)
    owners = [Owner("w1", r.attempt) for r in claimed]
    owners[-1] = Owner("w1", 2)  # a superseded attempt: refused, the others written
    ended = utcnow()

    def values(n: int) -> dict[str, Any]:  # every kind of column a finish writes
        return {
            "status": "completed",
            "exit_code": n,
            "completed_at": ended,
            "duration_seconds": n / 2,
            "checks": [{"name": "model", "ok": True, "detail": f"check {n}"}],
            "summary": {"steps": n, "loss": None} if n % 2 else None,
            "message": f"run {n}",
            "error": None,
        }

    try:
        written = await asyncio.gather(
            *(
                finish(TRAIN, r.run_id, o, values(n))
                for n, (r, o) in enumerate(zip(claimed, owners, strict=True))
            )
        )
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "commit", committed)
        await queue.close()
    assert written == [True] * 5 + [False]
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    if engine.dialect.name == "postgresql":
        assert driver_writes == ["UPDATE"]  # one statement for the six, on the driver
        assert updates == []
    else:
        assert (len(updates), len(commits)) == (6, 1)  # one transaction
    rows = [await _row(sessionmaker, str(r.run_id)) for r in claimed]
    assert [r.status for r in rows] == ["completed"] * 5 + ["running"]
    for n, row in enumerate(rows[:5]):
        stored = {k: getattr(row, k) for k in values(n)}
        assert stored == values(n)
    assert rows[5].exit_code is None and rows[5].summary is None


async def test_a_bad_finish_fails_alone(client: httpx.AsyncClient, sessionmaker: Maker) -> None:
    await sums_dataset(client, 24)
    for _ in range(3):
        await _queue(client)
    claimed = await _claim_many(sessionmaker, "w1", 3)
    queue = queues.queue_for(sessionmaker)
    finish = Finisher(queue)
    bad = {"status": None}  # NOT NULL: the database refuses it
    values: list[dict[str, Any]] = [{"status": "completed"}, bad, {"status": "failed"}]
    try:
        results = await asyncio.gather(
            *(
                finish(TRAIN, r.run_id, Owner("w1", 1), v)
                for r, v in zip(claimed, values, strict=True)
            ),
            return_exceptions=True,
        )
    finally:
        await queue.close()
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], Exception) and "null" in str(results[1]).lower()
    rows = [await _row(sessionmaker, str(r.run_id)) for r in claimed]
    assert [r.status for r in rows] == ["completed", "running", "failed"]


async def test_a_superseded_attempt_cannot_complete_the_run(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    queued = await _queue(client)
    await _register(sessionmaker, "old")
    assert await _claim(sessionmaker, "old") is not None
    async with session_scope(sessionmaker) as session:  # "old" goes silent
        await session.execute(update(Worker).values(heartbeat_at=utcnow() - timedelta(minutes=5)))
    async with session_scope(sessionmaker) as session:
        reaped = await repository.reap(session, [TRAIN], utcnow(), timedelta(seconds=30))
    assert [(str(r.job_id), r.status) for r in reaped] == [(queued["run_id"], "pending")]
    row = await _row(sessionmaker, queued["run_id"])
    assert (row.status, row.worker_id) == ("pending", None)
    assert row.error is not None and row.error.startswith("worker lost (old) at attempt 1")
    await _register(sessionmaker, "new")
    again = await _claim(sessionmaker, "new")
    assert again is not None and again.attempt == 2

    async with session_scope(sessionmaker) as session:
        stale = await repository.finish(
            session, TRAIN, again.run_id, Owner("old", 1), {"status": "completed"}
        )
    assert stale is False
    row = await _row(sessionmaker, queued["run_id"])
    assert (row.status, row.worker_id, row.attempt) == ("running", "new", 2)
    async with session_scope(sessionmaker) as session:
        assert await repository.finish(
            session, TRAIN, again.run_id, Owner("new", 2), {"status": "completed"}
        )
    assert (await _row(sessionmaker, queued["run_id"])).status == "completed"


async def test_a_lost_worker_at_its_last_attempt_fails_the_run(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    queued = await _queue(client)
    async with session_scope(sessionmaker) as session:
        await session.execute(update(TunixRun).values(max_attempts=1))
    await _register(sessionmaker, "lost", heartbeat_age_s=120)
    await _register(sessionmaker, "alive")
    assert await _claim(sessionmaker, "lost") is not None
    async with session_scope(sessionmaker) as session:
        reaped = await repository.reap(session, [TRAIN], utcnow(), timedelta(seconds=30))
    assert [r.status for r in reaped] == ["failed"]
    row = await _row(sessionmaker, queued["run_id"])
    assert (row.status, row.attempt) == ("failed", 1)
    assert row.error is not None and row.error.startswith("worker lost: lost stopped")
    assert row.completed_at is not None
    async with sessionmaker() as session:
        workers = set(await session.scalars(select(Worker.worker_id)))
    assert workers == {"alive"}


async def test_a_fresh_worker_keeps_its_runs(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    await _queue(client)
    await _register(sessionmaker, "busy")
    run = await _claim(sessionmaker, "busy")
    assert run is not None
    async with session_scope(sessionmaker) as session:
        assert await repository.reap(session, [TRAIN], utcnow(), timedelta(seconds=30)) == []
        held = await repository.heartbeat(
            session, "busy", utcnow(), {TRAIN: [run.run_id, uuid.uuid4()]}
        )
    assert held == {run.run_id}
    async with session_scope(sessionmaker) as session:
        assert await repository.heartbeat(session, "gone", utcnow(), {}) is None


# --- an in-process worker and /metrics --------------------------------------------------


async def test_worker_executes_queued_runs_and_metrics_report_them(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    await sums_dataset(client, 24)
    queued = [(await _queue(client))["run_id"] for _ in range(5)]
    fast = settings.model_copy(
        update={"worker_poll_seconds": 0.05, "worker_heartbeat_seconds": 0.1}
    )
    ended: list[str] = []
    all_ended = asyncio.Event()

    def on_finish(_: Held, status: str, __: float) -> None:
        ended.append(status)
        if len(ended) == 5:
            all_ended.set()

    worker = QueueWorker(sessionmaker, fast, job_kinds(), concurrency=2, on_finish=on_finish)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(all_ended.wait(), 60)
    worker.stop()
    await asyncio.wait_for(task, 10)
    assert ended == ["completed"] * 5
    for run_id in queued:
        row = await _row(sessionmaker, run_id)
        assert (row.status, row.attempt, row.worker_id) == ("completed", 1, worker.worker_id)
        assert "[ok] runtime" in row.stdout
    assert await count_rows(sessionmaker, Worker) == 0  # deregistered on stop

    await _queue(client)
    text = (await client.get("/metrics")).text
    assert 'tunix_jobs{kind="train",status="completed"} 5.0' in text
    assert 'tunix_job_queue_depth{kind="train"} 1.0' in text
    assert (
        'tunix_http_requests_total{method="POST",route="/api/tunix/run",status="202"} 6.0' in text
    )
    assert 'tunix_db_write_seconds_count{statement="INSERT"}' in text


async def test_a_worker_stops_a_run_handed_on_to_a_newer_attempt(
    client: httpx.AsyncClient, sessionmaker: Maker, settings: Settings
) -> None:
    """A worker presumed lost (a long pause) whose run the reaper handed on must stop
    its own copy: its heartbeat sees the run is no longer its, and stops it."""
    await sums_dataset(client, 24)
    run_id = uuid.UUID((await _queue(client))["run_id"])
    fast = settings.model_copy(
        update={"worker_poll_seconds": 0.05, "worker_heartbeat_seconds": 0.1}
    )
    started, stopped = asyncio.Event(), asyncio.Event()

    async def execute(ctx: JobContext) -> dict[str, Any]:
        started.set()
        await ctx.stop.event.wait()
        stopped.set()
        return {"status": "failed"}

    # The train kind's table with a handler that waits for its stop.
    worker = QueueWorker(sessionmaker, fast, [JobKind("train", TunixRun, execute)])
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(started.wait(), 30)
        await asyncio.sleep(0.6)  # six heartbeats: a run it holds is left alone
        assert not stopped.is_set()
        await _register(sessionmaker, "newer")  # alive: the reaper leaves its runs be
        async with session_scope(sessionmaker) as session:  # another worker's now
            await session.execute(
                update(TunixRun)
                .where(TunixRun.run_id == run_id)
                .values(worker_id="newer", attempt=2)
            )
        await asyncio.wait_for(stopped.wait(), 10)
    finally:
        worker.stop()
        await asyncio.wait_for(task, 10)
    row = await _row(sessionmaker, run_id)
    assert (row.status, row.worker_id, row.attempt) == ("running", "newer", 2)


async def test_a_training_runs_checks_are_shown_while_it_trains(
    client: httpx.AsyncClient, sessionmaker: Maker, worker: QueueWorker
) -> None:
    """Its checks are written once they pass, under the worker's guard: a run without
    max_steps says the steps it plans before it ends."""
    await sums_dataset(client, 24)
    run_id = (await _queue(client, dry_run=False, num_epochs=400, batch_size=8))["run_id"]
    detail: dict[str, Any] = {}
    for _ in range(300):
        detail = (await client.get(f"/api/tunix/runs/{run_id}")).json()
        if detail["status"] != "pending" and detail["checks"]:
            break
        await asyncio.sleep(0.1)
    assert detail["status"] == "running", detail["status"]
    checks = {c["name"]: c for c in detail["checks"]}
    assert all(c["ok"] for c in checks.values())
    assert checks["steps"]["detail"].startswith("800 steps of batch 8")  # 400 epochs x 16 // 8
    assert (await client.post(f"/api/tunix/runs/{run_id}/cancel")).status_code == 202
    for _ in range(300):
        if (await _row(sessionmaker, run_id)).status == "cancelled":
            break
        await asyncio.sleep(0.1)
    assert [c["name"] for c in (await _row(sessionmaker, run_id)).checks or []] == list(checks)


async def test_a_run_past_its_timeout_ends_as_timeout(
    client: httpx.AsyncClient, sessionmaker: Maker, worker: QueueWorker
) -> None:
    await sums_dataset(client, 24)
    response = await client.post(
        "/api/tunix/run", json=_body(dry_run=False, timeout_seconds=1, max_steps=10_000)
    )
    result = response.json()
    assert (result["status"], result["message"]) == (
        "timeout",
        "Training stopped at its timeout (1 s).",
    )
    row = await _row(sessionmaker, result["run_id"])
    assert (row.status, row.error) == ("timeout", "Training stopped at its timeout (1 s).")
    assert row.duration_seconds is not None and row.duration_seconds < 30


async def test_the_driver_queue_starts_afresh_after_losing_its_connection(
    postgres_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(postgres_url, tmp_path))
    maker: Maker = app.state.sessionmaker
    queue = queues.queue_for(maker)
    assert isinstance(queue, queues.DriverQueue)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await sums_dataset(client, 24)
            first, second = (await _queue(client))["run_id"], (await _queue(client))["run_id"]
        [run] = await queue.claim(TRAIN, "w1", utcnow(), 1)
        assert str(run.run_id) == first
        pid = queue._driver.get_server_pid()
        async with maker() as session:  # the server drops the worker's connection
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(Exception):  # noqa: B017 (asyncpg's error depends on timing)
            await queue.claim(TRAIN, "w1", utcnow(), 1)
        [again] = await queue.claim(TRAIN, "w1", utcnow(), 1)  # a new connection
        assert str(again.run_id) == second
        assert queue._driver.get_server_pid() != pid
    finally:
        await queue.close()
        await _empty_tables(maker)
        await app.state.engine.dispose()


async def _listen_pid(maker: Maker, other_than: int | None = None) -> int:
    """The backend of a worker's LISTEN connection, once it has one (not `other_than`)."""
    query = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND query LIKE 'LISTEN%' AND pid IS DISTINCT FROM :other"
    )
    async with asyncio.timeout(10):
        while True:
            async with maker() as session:
                pid = await session.scalar(query, {"other": other_than})
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.05)


async def test_a_worker_listens_again_after_losing_its_listen_connection(
    postgres_url: str, tmp_path: Path
) -> None:
    # Polls a minute apart: only a NOTIFY on a live LISTEN connection claims sooner.
    settings = make_settings(postgres_url, tmp_path, worker_poll_seconds=60)
    app = create_app(settings)
    maker: Maker = app.state.sessionmaker
    ended = asyncio.Event()
    worker = QueueWorker(maker, settings, job_kinds(), on_finish=lambda *_: ended.set())
    task = asyncio.create_task(worker.run())
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await sums_dataset(client, 24)
            first = await _listen_pid(maker)
            async with maker() as session:  # as a server restart drops it
                await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            await _listen_pid(maker, other_than=first)  # listening again
            await _queue(client)
            await asyncio.wait_for(ended.wait(), 10)  # claimed on the NOTIFY, not the poll
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)
        await _empty_tables(maker)
        await app.state.engine.dispose()


async def test_a_sync_training_run_with_no_live_worker_is_refused_at_once(
    client: httpx.AsyncClient, sessionmaker: Maker
) -> None:
    await sums_dataset(client, 24)
    await _register(sessionmaker, "stale", heartbeat_age_s=600)  # dead, not yet reaped
    response = await client.post("/api/tunix/run", json=_body(dry_run=False))
    assert response.status_code == 503
    assert response.json()["error"] == "NoWorker"
    assert "tunix-rt worker" in response.json()["detail"]
    assert await count_rows(sessionmaker, TunixRun) == 0
    # Queued instead, it waits for a worker to come.
    assert (await _queue(client, dry_run=False))["status"] == "pending"


async def test_a_sync_training_run_is_executed_by_a_worker_and_answered(
    client: httpx.AsyncClient, sessionmaker: Maker, worker: QueueWorker
) -> None:
    await sums_dataset(client, 24)
    # Fails its checks on the worker (a sequence too short for any example).
    response = await client.post("/api/tunix/run", json=_body(dry_run=False, max_seq_length=16))
    result = response.json()
    assert (response.status_code, result["status"]) == (202, "failed")
    assert result["message"] == "Run failed its checks: tokens."
    row = await _row(sessionmaker, result["run_id"])
    assert (row.worker_id, row.attempt) == (worker.worker_id, 1)
