"""All SQL of the jobs domain: claims and guarded updates on a kind's table, the
workers table (heartbeats, the reaper), cancel requests, and live output (log chunks,
metric points). How a worker sends its claims and finishes (through sessions, or
straight through the driver) is queues.py.

Claiming takes pending jobs in one statement. PostgreSQL: the pick locks its rows
`FOR UPDATE SKIP LOCKED`, so concurrent claims pass over each other. SQLite: the
statement runs under `BEGIN IMMEDIATE`, which takes the database's one write lock
first. Every later change names (status, worker_id, attempt) in its WHERE clause, so
a worker presumed dead can never overwrite a newer attempt.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
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

from tunix_rt_backend.db.models import JobLogChunk, JobMetric, Worker
from tunix_rt_backend.jobs.kinds import JobKind, JobTable

NOTIFY_CHANNEL = "tunix_jobs_queue"
WORKER_LOST = "worker lost"


@dataclass(frozen=True)
class Owner:
    """Who may change a running job: the worker that claimed it (None for a job the
    API process runs inline, a dry run) and the attempt it claimed."""

    worker_id: str | None
    attempt: int

    def conditions(self, table: JobTable) -> list[ColumnElement[bool]]:
        held = (
            table.worker_id.is_(None)
            if self.worker_id is None
            else table.worker_id == self.worker_id
        )
        return [table.status == "running", held, table.attempt == self.attempt]


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def insert_job(session: AsyncSession, row: Any) -> None:
    session.add(row)
    await session.flush()


async def enqueue(session: AsyncSession, row: Any) -> None:
    """Insert a pending job; on PostgreSQL, wake the listening workers when the
    transaction commits (NOTIFY is delivered at commit, never before)."""
    session.add(row)
    await session.flush()
    if _is_postgres(session):
        await session.execute(
            text("SELECT pg_notify(:channel, :table)"),
            {"channel": NOTIFY_CHANNEL, "table": row.__tablename__},
        )


async def queue_created(
    session: AsyncSession, kind: JobKind, job_id: uuid.UUID, now: datetime
) -> bool:
    """A job stored as `created` (made, not started) joins the queue: one conditional
    UPDATE, so two starts racing queue it once; workers are woken at commit."""
    table = kind.table
    result = await session.execute(
        update(table)
        .where(kind.id_column == job_id, table.status == "created")
        .values(status="pending", queued_at=now, started_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    if _is_postgres(session):
        await session.execute(
            text("SELECT pg_notify(:channel, :table)"),
            {"channel": NOTIFY_CHANNEL, "table": table.__table__.name},  # type: ignore[attr-defined]
        )
    return True


async def cancel_created(
    session: AsyncSession, kind: JobKind, job_id: uuid.UUID, now: datetime
) -> bool:
    """A job never started is cancelled as it is."""
    table = kind.table
    result = await session.execute(
        update(table)
        .where(kind.id_column == job_id, table.status == "created")
        .values(status="cancelled", cancel_requested_at=now, completed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Statements:
    """A kind's queue statements, built once: building and cache-keying them on every
    claim cost more client CPU than the database spends running them."""

    claim_postgres: ReturningUpdate[Any]
    claim_sqlite: ReturningUpdate[Any]


def _claim_statement(kind: JobKind, skip_locked: bool) -> ReturningUpdate[Any]:
    table, key = kind.table, kind.id_column
    pick = (
        select(key)
        .where(table.status == "pending")
        .order_by(table.queued_at, key)
        .limit(bindparam("limit", type_=Integer))
    )
    if skip_locked:
        pick = pick.with_for_update(skip_locked=True)
    # A CTE, evaluated once: as `id IN (subquery)` PostgreSQL may re-run the subquery
    # during the join, and with SKIP LOCKED each run picks new rows.
    picked = pick.cte("picked")
    return (
        update(table)
        .where(key == picked.c[key.key], table.status == "pending")
        .values(
            status="running",
            worker_id=bindparam("worker_id", type_=table.worker_id.type),
            attempt=table.attempt + 1,
            claimed_at=bindparam("now", type_=table.claimed_at.type),
            started_at=bindparam("now", type_=table.started_at.type),
        )
        .returning(table)
        .execution_options(synchronize_session=False)
    )


@functools.cache
def claim_statements(kind: JobKind) -> _Statements:
    return _Statements(_claim_statement(kind, True), _claim_statement(kind, False))


def in_queue_order(kind: JobKind, rows: list[Any]) -> list[Any]:
    # RETURNING comes in any order.
    return sorted(rows, key=lambda r: (r.queued_at or r.created_at, kind.id_of(r)))


async def claim(
    session: AsyncSession, kind: JobKind, worker_id: str, now: datetime, limit: int = 1
) -> list[Any]:
    """Up to `limit` of the kind's oldest pending jobs, oldest first, now running under
    `worker_id` with attempt + 1. Takes a fresh session, which the caller commits at
    once (the claim is its own transaction). A worker on PostgreSQL claims through its
    DriverQueue instead."""
    if _is_postgres(session):
        statement = claim_statements(kind).claim_postgres
    else:
        await session.execute(text("BEGIN IMMEDIATE"))
        statement = claim_statements(kind).claim_sqlite
    params = {"worker_id": worker_id, "now": now, "limit": limit}
    return in_queue_order(kind, list((await session.execute(statement, params)).scalars()))


async def finish(
    session: AsyncSession, kind: JobKind, job_id: uuid.UUID, owner: Owner, values: dict[str, Any]
) -> bool:
    """A job's values (its end state, or what its handler records on the way), written
    only while `owner` still holds it; False when something else (a cancel, the
    reaper, a newer attempt) changed it meanwhile."""
    result = await session.execute(
        update(kind.table)
        .where(kind.id_column == job_id, *owner.conditions(kind.table))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# A job's end state: its kind, id, owner and the values to write.
Finishing = tuple[JobKind, uuid.UUID, Owner, dict[str, Any]]


async def finish_many(session: AsyncSession, items: Sequence[Finishing]) -> list[bool]:
    """`finish` for many jobs in the session's transaction; for each, whether it was
    written."""
    return [await finish(session, *item) for item in items]


async def requeue(
    session: AsyncSession, kind: JobKind, job_id: uuid.UUID, owner: Owner, now: datetime
) -> bool:
    """Back to pending (a worker shutting down); the next claim resumes it."""
    values = {"status": "pending", "worker_id": None, "queued_at": now}
    return await finish(session, kind, job_id, owner, values)


async def get_job(session: AsyncSession, kind: JobKind, job_id: uuid.UUID) -> Any:
    return await session.get(kind.table, job_id)


async def count_by_status(session: AsyncSession, kind: JobKind) -> dict[str, int]:
    table = kind.table
    rows = await session.execute(select(table.status, func.count()).group_by(table.status))
    return {status: count for status, count in rows.tuples()}


# --- workers -------------------------------------------------------------------------


async def register_worker(session: AsyncSession, worker: Worker) -> None:
    session.add(worker)
    await session.flush()


async def live_workers(session: AsyncSession, now: datetime, stale_after: timedelta) -> int:
    count = await session.scalar(
        select(func.count()).where(Worker.heartbeat_at >= now - stale_after)
    )
    return int(count or 0)


async def heartbeat(
    session: AsyncSession,
    worker_id: str,
    now: datetime,
    running: dict[JobKind, list[uuid.UUID]],
) -> set[uuid.UUID] | None:
    """Refresh the heartbeat; the jobs in `running` this worker still holds (the
    others were cancelled or handed to a newer attempt). None when the worker's row is
    gone: it was presumed lost, and holds nothing."""
    result = await session.execute(
        update(Worker).where(Worker.worker_id == worker_id).values(heartbeat_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    held: set[uuid.UUID] = set()
    for kind, ids in running.items():
        if ids:
            table = kind.table
            rows = await session.scalars(
                select(kind.id_column).where(
                    kind.id_column.in_(ids),
                    table.worker_id == worker_id,
                    table.status == "running",
                )
            )
            held.update(rows.all())
    return held


async def deregister_worker(session: AsyncSession, worker_id: str) -> None:
    await session.execute(delete(Worker).where(Worker.worker_id == worker_id))


@dataclass(frozen=True)
class Reaped:
    kind: str
    job_id: uuid.UUID
    worker_id: str
    attempt: int
    status: str  # "pending" (re-queued) or "failed"


async def reap(
    session: AsyncSession, kinds: Sequence[JobKind], now: datetime, stale_after: timedelta
) -> list[Reaped]:
    """Jobs held by workers without a fresh heartbeat (or with no row at all) go back
    to pending to resume, with attempt + 1 at their next claim, until `max_attempts`
    claims; then they fail as "worker lost". The stale workers' rows are deleted."""
    stale = select(Worker.worker_id).where(Worker.heartbeat_at < now - stale_after)
    reaped: list[Reaped] = []
    for kind in kinds:
        table = kind.table
        no_row = ~exists().where(Worker.worker_id == table.worker_id)
        lost = await session.execute(
            select(kind.id_column, table.worker_id, table.attempt, table.max_attempts)
            .where(table.status == "running", table.worker_id.is_not(None))
            .where(table.worker_id.in_(stale) | no_row)
        )
        for job_id, worker_id, attempt, max_attempts in lost.tuples():
            values = _lost(str(worker_id), attempt, max_attempts, now)
            if await finish(session, kind, job_id, Owner(worker_id, attempt), values):
                reaped.append(Reaped(kind.name, job_id, str(worker_id), attempt, values["status"]))
    await session.execute(delete(Worker).where(Worker.heartbeat_at < now - stale_after))
    return reaped


def _lost(worker_id: str, attempt: int, max_attempts: int, now: datetime) -> dict[str, Any]:
    if attempt < max_attempts:
        return {
            "status": "pending",
            "worker_id": None,
            "queued_at": now,
            "error": f"{WORKER_LOST} ({worker_id}) at attempt {attempt}; re-queued to resume",
        }
    return {
        "status": "failed",
        "completed_at": now,
        "error": f"{WORKER_LOST}: {worker_id} stopped heartbeating at attempt "
        f"{attempt} of {max_attempts}",
    }


# --- cancel requests ------------------------------------------------------------------


async def cancel_pending(
    session: AsyncSession, kind: JobKind, job_id: uuid.UUID, now: datetime
) -> bool:
    """A pending job is cancelled by this one conditional UPDATE (a claim racing it
    either wins, and the job is running, or finds nothing to claim)."""
    table = kind.table
    result = await session.execute(
        update(table)
        .where(kind.id_column == job_id, table.status == "pending")
        .values(
            status="cancelled",
            cancel_requested_at=now,
            completed_at=now,
            error="cancelled before it started",
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def request_cancel(
    session: AsyncSession, kind: JobKind, job_id: uuid.UUID, now: datetime
) -> bool:
    """Flags a running job; whoever runs it notices and stops it."""
    table = kind.table
    result = await session.execute(
        update(table)
        .where(kind.id_column == job_id, table.status == "running")
        .values(cancel_requested_at=func.coalesce(table.cancel_requested_at, now))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel_requests(
    session: AsyncSession, running: dict[JobKind, list[uuid.UUID]]
) -> dict[uuid.UUID, datetime]:
    """Of the jobs in `running`, those flagged for cancel, and when they were."""
    flagged: dict[uuid.UUID, datetime] = {}
    for kind, ids in running.items():
        if ids:
            table = kind.table
            rows = await session.execute(
                select(kind.id_column, table.cancel_requested_at).where(
                    kind.id_column.in_(ids), table.cancel_requested_at.is_not(None)
                )
            )
            flagged.update((job_id, at) for job_id, at in rows.tuples())
    return flagged


# --- live output ----------------------------------------------------------------------


async def job_states(
    session: AsyncSession, kind: JobKind, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, int]]:
    """(status, attempt) of each of `ids` that exists."""
    table = kind.table
    rows = await session.execute(
        select(kind.id_column, table.status, table.attempt).where(kind.id_column.in_(ids))
    )
    return {job_id: (status, attempt) for job_id, status, attempt in rows.tuples()}


async def last_seqs(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The last seq each job's output used, for many jobs at once (two indexed scans)."""
    seqs: dict[uuid.UUID, int] = {}
    for model in (JobLogChunk, JobMetric):
        rows = await session.execute(
            select(model.job_id, func.max(model.seq))
            .where(model.job_id.in_(ids))
            .group_by(model.job_id)
        )
        for job_id, seq in rows.tuples():
            seqs[job_id] = max(seqs.get(job_id, 0), int(seq or 0))
    return seqs


async def last_log_seq(session: AsyncSession, job_id: uuid.UUID) -> int:
    """The last seq this job's output used (log chunks and metric points share it)."""
    chunks = await session.scalar(
        select(func.max(JobLogChunk.seq)).where(JobLogChunk.job_id == job_id)
    )
    points = await session.scalar(select(func.max(JobMetric.seq)).where(JobMetric.job_id == job_id))
    return max(int(chunks or 0), int(points or 0))


async def insert_log_chunks(session: AsyncSession, chunks: list[dict[str, Any]]) -> None:
    if chunks:
        await session.execute(insert(JobLogChunk), chunks)


async def upsert_metrics(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """(job_id, name, step) -> value, seq; a step reported again (a resumed attempt)
    takes the new value and seq."""
    if not rows:
        return
    dialect_insert = pg_insert if _is_postgres(session) else sqlite_insert
    statement = dialect_insert(JobMetric)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["job_id", "name", "step"],
            set_={"value": statement.excluded.value, "seq": statement.excluded.seq},
        ),
        rows,
    )


async def upsert_rows(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], unique: Sequence[str]
) -> None:
    """A kind's own output rows, written with its log chunks; a row whose `unique`
    columns match one already there (a resumed attempt's) replaces it."""
    if not rows:
        return
    dialect_insert = pg_insert if _is_postgres(session) else sqlite_insert
    statement = dialect_insert(table)
    replaced = {name: statement.excluded[name] for name in rows[0] if name not in unique}
    await session.execute(
        statement.on_conflict_do_update(index_elements=list(unique), set_=replaced), rows
    )


async def log_chunks_after(
    session: AsyncSession, job_id: uuid.UUID, after_seq: int, limit: int
) -> Sequence[JobLogChunk]:
    rows = await session.scalars(
        select(JobLogChunk)
        .where(JobLogChunk.job_id == job_id, JobLogChunk.seq > after_seq)
        .order_by(JobLogChunk.seq)
        .limit(limit)
    )
    return rows.all()


async def metrics_between(
    session: AsyncSession, job_id: uuid.UUID, after_seq: int, up_to_seq: int | None
) -> Sequence[JobMetric]:
    """Points written after `after_seq` (up to `up_to_seq`), in write order."""
    query = select(JobMetric).where(JobMetric.job_id == job_id, JobMetric.seq > after_seq)
    if up_to_seq is not None:
        query = query.where(JobMetric.seq <= up_to_seq)
    rows = await session.scalars(query.order_by(JobMetric.seq, JobMetric.name, JobMetric.step))
    return rows.all()


async def metrics(
    session: AsyncSession, job_id: uuid.UUID, names: Sequence[str] | None = None
) -> Sequence[JobMetric]:
    query = select(JobMetric).where(JobMetric.job_id == job_id)
    if names:
        query = query.where(JobMetric.name.in_(names))
    rows = await session.scalars(query.order_by(JobMetric.name, JobMetric.step))
    return rows.all()


async def last_step(session: AsyncSession, job_id: uuid.UUID, name: str) -> int | None:
    """The highest step of the job's metric `name` (None: no point yet)."""
    step: int | None = await session.scalar(
        select(func.max(JobMetric.step)).where(JobMetric.job_id == job_id, JobMetric.name == name)
    )
    return step


async def last_steps(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], name: str
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per job of `job_ids` that has points of metric `name`: its highest step and how
    many points it has. One grouped query for a whole page of jobs (never one per job)."""
    rows = await session.execute(
        select(JobMetric.job_id, func.max(JobMetric.step), func.count())
        .where(JobMetric.job_id.in_(job_ids), JobMetric.name == name)
        .group_by(JobMetric.job_id)
    )
    return {job_id: (step, points) for job_id, step, points in rows.tuples()}


async def latest_values(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], names: Sequence[str]
) -> dict[tuple[uuid.UUID, str], float]:
    """Per job of `job_ids` and metric of `names` that has points: the value at its
    highest step. One query for a whole page of jobs."""
    latest = (
        select(JobMetric.job_id, JobMetric.name, func.max(JobMetric.step).label("step"))
        .where(JobMetric.job_id.in_(job_ids), JobMetric.name.in_(names))
        .group_by(JobMetric.job_id, JobMetric.name)
        .subquery()
    )
    rows = await session.execute(
        select(JobMetric.job_id, JobMetric.name, JobMetric.value).join(
            latest,
            (JobMetric.job_id == latest.c.job_id)
            & (JobMetric.name == latest.c.name)
            & (JobMetric.step == latest.c.step),
        )
    )
    return {(job_id, name): value for job_id, name, value in rows.tuples()}
