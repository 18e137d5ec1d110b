"""All SQL of the runs domain: the registry, the queue (claims, guarded updates) and
the workers table (heartbeats, the reaper).

Claiming takes one pending run in one statement. PostgreSQL: the subquery locks its
row `FOR UPDATE SKIP LOCKED`, so concurrent claims pass over each other. SQLite: the
statement runs under `BEGIN IMMEDIATE`, which takes the database's one write lock
first. Every later change names (status, worker_id, attempt) in its WHERE clause, so
a worker presumed dead can never overwrite a newer attempt.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningUpdate

from tunix_rt_backend.db.models import RunLogChunk, RunMetric, TunixRun, Worker
from tunix_rt_backend.kit.pagination import PageParams

NOTIFY_CHANNEL = "tunix_runs_queue"
WORKER_LOST = "worker lost"


@dataclass(frozen=True)
class Owner:
    """Who may change a running run: the worker that claimed it (None for a
    synchronous run, which the API process runs) and the attempt it claimed."""

    worker_id: str | None
    attempt: int

    def conditions(self) -> list[ColumnElement[bool]]:
        held = (
            TunixRun.worker_id.is_(None)
            if self.worker_id is None
            else TunixRun.worker_id == self.worker_id
        )
        return [TunixRun.status == "running", held, TunixRun.attempt == self.attempt]


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def insert_run(session: AsyncSession, run: TunixRun) -> None:
    session.add(run)
    await session.flush()


async def enqueue(session: AsyncSession, run: TunixRun) -> None:
    """Insert a pending run; on PostgreSQL, wake the listening workers when the
    transaction commits (NOTIFY is delivered at commit, never before)."""
    session.add(run)
    await session.flush()
    if _is_postgres(session):
        await session.execute(
            text("SELECT pg_notify(:channel, :run_id)"),
            {"channel": NOTIFY_CHANNEL, "run_id": str(run.run_id)},
        )


def _claim_statement(pick: Select[tuple[uuid.UUID]]) -> ReturningUpdate[tuple[TunixRun]]:
    return (
        update(TunixRun)
        .where(TunixRun.run_id == pick.scalar_subquery(), TunixRun.status == "pending")
        .values(
            status="running",
            worker_id=bindparam("worker_id", type_=TunixRun.worker_id.type),
            attempt=TunixRun.attempt + 1,
            claimed_at=bindparam("now", type_=TunixRun.claimed_at.type),
            started_at=bindparam("now", type_=TunixRun.started_at.type),
        )
        .returning(TunixRun)
        .execution_options(synchronize_session=False)
    )


# Built once: building and cache-keying this statement on every claim cost more client
# CPU than the database spends running it.
_OLDEST_PENDING = (
    select(TunixRun.run_id)
    .where(TunixRun.status == "pending")
    .order_by(TunixRun.queued_at, TunixRun.run_id)
    .limit(1)
)
_CLAIM_POSTGRES = _claim_statement(_OLDEST_PENDING.with_for_update(skip_locked=True))
_CLAIM_SQLITE = _claim_statement(_OLDEST_PENDING)


async def claim(session: AsyncSession, worker_id: str, now: datetime) -> TunixRun | None:
    """The oldest pending run, now running under `worker_id` with attempt + 1. Takes a
    fresh session, which the caller commits at once (the claim is its own transaction).

    On PostgreSQL the one UPDATE runs in autocommit: a single statement is atomic, its
    row lock lasts until it ends, and it saves the BEGIN and COMMIT round trips."""
    if _is_postgres(session):
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        statement = _CLAIM_POSTGRES
    else:
        await session.execute(text("BEGIN IMMEDIATE"))
        statement = _CLAIM_SQLITE
    result = await session.execute(statement, {"worker_id": worker_id, "now": now})
    return result.scalars().first()


async def finish_run(
    session: AsyncSession, run_id: uuid.UUID, owner: Owner, values: dict[str, Any]
) -> bool:
    """The end state of a run, written only while `owner` still holds it; False when
    something else (a cancel, the reaper, a newer attempt) changed it meanwhile."""
    result = await session.execute(
        update(TunixRun)
        .where(TunixRun.run_id == run_id, *owner.conditions())
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def requeue(session: AsyncSession, run_id: uuid.UUID, owner: Owner, now: datetime) -> bool:
    """Back to pending (a worker shutting down); the next claim resumes it."""
    return await finish_run(
        session, run_id, owner, {"status": "pending", "worker_id": None, "queued_at": now}
    )


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> TunixRun | None:
    return await session.get(TunixRun, run_id)


async def list_runs(
    session: AsyncSession,
    params: PageParams,
    *,
    status: str | None,
    dataset_key: str | None,
    mode: str | None,
) -> Sequence[TunixRun]:
    """`limit + 1` runs, newest first (created_at, run_id), filters ANDed."""
    query = select(TunixRun)
    if status is not None:
        query = query.where(TunixRun.status == status)
    if dataset_key is not None:
        query = query.where(TunixRun.dataset_key == dataset_key)
    if mode is not None:
        query = query.where(TunixRun.mode == mode)
    if params.cursor is not None:
        created_at, run_id = params.cursor
        query = query.where(
            (TunixRun.created_at < created_at)
            | ((TunixRun.created_at == created_at) & (TunixRun.run_id < run_id))
        )
    query = query.order_by(TunixRun.created_at.desc(), TunixRun.run_id.desc())
    rows = await session.scalars(query.offset(params.offset).limit(params.limit + 1))
    return rows.all()


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(TunixRun.status, func.count()).group_by(TunixRun.status))
    return {status: count for status, count in rows.tuples()}


# --- workers -------------------------------------------------------------------------


async def register_worker(session: AsyncSession, worker: Worker) -> None:
    session.add(worker)
    await session.flush()


async def heartbeat(
    session: AsyncSession, worker_id: str, now: datetime, running: Sequence[uuid.UUID]
) -> set[uuid.UUID] | None:
    """Refresh the heartbeat; the subset of `running` this worker still holds (the
    others were cancelled or handed to a newer attempt). None when the worker's row is
    gone: it was presumed lost, and holds nothing."""
    result = await session.execute(
        update(Worker).where(Worker.worker_id == worker_id).values(heartbeat_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    if not running:
        return set()
    held = await session.scalars(
        select(TunixRun.run_id).where(
            TunixRun.run_id.in_(running),
            TunixRun.worker_id == worker_id,
            TunixRun.status == "running",
        )
    )
    return set(held.all())


async def deregister_worker(session: AsyncSession, worker_id: str) -> None:
    await session.execute(delete(Worker).where(Worker.worker_id == worker_id))


@dataclass(frozen=True)
class Reaped:
    run_id: uuid.UUID
    worker_id: str
    attempt: int
    status: str  # "pending" (re-queued) or "failed"


async def reap(session: AsyncSession, now: datetime, stale_after: timedelta) -> list[Reaped]:
    """Runs held by workers without a fresh heartbeat (or with no row at all) go back
    to pending to resume, with attempt + 1 at their next claim, until `max_attempts`
    claims; then they fail as "worker lost". The stale workers' rows are deleted."""
    stale = select(Worker.worker_id).where(Worker.heartbeat_at < now - stale_after)
    no_row = ~exists().where(Worker.worker_id == TunixRun.worker_id)
    lost = await session.execute(
        select(TunixRun.run_id, TunixRun.worker_id, TunixRun.attempt, TunixRun.max_attempts)
        .where(TunixRun.status == "running", TunixRun.worker_id.is_not(None))
        .where(TunixRun.worker_id.in_(stale) | no_row)
    )
    reaped: list[Reaped] = []
    for run_id, worker_id, attempt, max_attempts in lost.tuples():
        owner = Owner(worker_id, attempt)
        if attempt < max_attempts:
            values: dict[str, Any] = {
                "status": "pending",
                "worker_id": None,
                "queued_at": now,
                "error": f"{WORKER_LOST} ({worker_id}) at attempt {attempt}; re-queued to resume",
            }
        else:
            values = {
                "status": "failed",
                "completed_at": now,
                "error": f"{WORKER_LOST}: {worker_id} stopped heartbeating at attempt "
                f"{attempt} of {max_attempts}",
            }
        if await finish_run(session, run_id, owner, values):
            reaped.append(Reaped(run_id, str(worker_id), attempt, values["status"]))
    await session.execute(delete(Worker).where(Worker.heartbeat_at < now - stale_after))
    return reaped


# --- logs, metrics, cancel requests ---------------------------------------------------


async def last_log_seq(session: AsyncSession, run_id: uuid.UUID) -> int:
    seq = await session.scalar(
        select(func.max(RunLogChunk.seq)).where(RunLogChunk.run_id == run_id)
    )
    return int(seq or 0)


async def insert_log_chunks(session: AsyncSession, chunks: list[dict[str, Any]]) -> None:
    if chunks:
        await session.execute(insert(RunLogChunk), chunks)


async def upsert_metrics(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """(run_id, name, step) -> value; a step logged again (a resumed attempt) wins."""
    if not rows:
        return
    dialect_insert = pg_insert if _is_postgres(session) else sqlite_insert
    statement = dialect_insert(RunMetric)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["run_id", "name", "step"],
            set_={"value": statement.excluded.value},
        ),
        rows,
    )


async def log_chunks_after(
    session: AsyncSession, run_id: uuid.UUID, after_seq: int, limit: int
) -> Sequence[RunLogChunk]:
    rows = await session.scalars(
        select(RunLogChunk)
        .where(RunLogChunk.run_id == run_id, RunLogChunk.seq > after_seq)
        .order_by(RunLogChunk.seq)
        .limit(limit)
    )
    return rows.all()


async def metrics_after(
    session: AsyncSession, run_id: uuid.UUID, after_id: int, names: Sequence[str] | None = None
) -> Sequence[RunMetric]:
    query = select(RunMetric).where(RunMetric.run_id == run_id, RunMetric.id > after_id)
    if names:
        query = query.where(RunMetric.name.in_(names))
    rows = await session.scalars(query.order_by(RunMetric.name, RunMetric.step))
    return rows.all()


async def cancel_pending(session: AsyncSession, run_id: uuid.UUID, now: datetime) -> bool:
    """A pending run is cancelled by this one conditional UPDATE (a claim racing it
    either wins, and the run is running, or finds nothing to claim)."""
    result = await session.execute(
        update(TunixRun)
        .where(TunixRun.run_id == run_id, TunixRun.status == "pending")
        .values(
            status="cancelled",
            cancel_requested_at=now,
            completed_at=now,
            error="cancelled before it started",
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def request_cancel(session: AsyncSession, run_id: uuid.UUID, now: datetime) -> bool:
    """Flags a running run; whoever runs it notices and stops it."""
    result = await session.execute(
        update(TunixRun)
        .where(TunixRun.run_id == run_id, TunixRun.status == "running")
        .values(cancel_requested_at=func.coalesce(TunixRun.cancel_requested_at, now))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel_requested_at(session: AsyncSession, run_id: uuid.UUID) -> datetime | None:
    stamp: datetime | None = await session.scalar(
        select(TunixRun.cancel_requested_at).where(TunixRun.run_id == run_id)
    )
    return stamp
