"""All SQL of the jobs domain: claims and guarded updates on a kind's table, the
workers table (heartbeats, the reaper), cancel requests, and live output (log chunks,
metric points).

Claiming takes pending jobs in one statement. PostgreSQL: the pick locks its rows
`FOR UPDATE SKIP LOCKED`, so concurrent claims pass over each other. SQLite: the
statement runs under `BEGIN IMMEDIATE`, which takes the database's one write lock
first. Every later change names (status, worker_id, attempt) in its WHERE clause, so
a worker presumed dead can never overwrite a newer attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningUpdate

from tunix_rt_backend.db.engine import session_scope
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
def _statements(kind: JobKind) -> _Statements:
    return _Statements(_claim_statement(kind, True), _claim_statement(kind, False))


def _in_queue_order(kind: JobKind, rows: list[Any]) -> list[Any]:
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
        statement = _statements(kind).claim_postgres
    else:
        await session.execute(text("BEGIN IMMEDIATE"))
        statement = _statements(kind).claim_sqlite
    params = {"worker_id": worker_id, "now": now, "limit": limit}
    return _in_queue_order(kind, list((await session.execute(statement, params)).scalars()))


async def finish(
    session: AsyncSession, kind: JobKind, job_id: uuid.UUID, owner: Owner, values: dict[str, Any]
) -> bool:
    """The end state of a job, written only while `owner` still holds it; False when
    something else (a cancel, the reaper, a newer attempt) changed it meanwhile."""
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


@functools.cache
def _json_columns(kind: JobKind) -> frozenset[str]:
    return frozenset(c.name for c in kind.table.__table__.c if isinstance(c.type, JSON))  # type: ignore[attr-defined]


def _finish_many_statement(kind: JobKind, keys: tuple[str, ...]) -> ReturningUpdate[Any]:
    """PostgreSQL: one UPDATE for many jobs of one kind and worker, setting the columns
    `keys` from arrays (one element per job) unnested into rows; JSON goes as text."""
    table, key = kind.table, kind.id_column
    columns = table.__table__.c  # type: ignore[attr-defined]
    json_columns = _json_columns(kind)
    names = ("job_id", "attempt", *keys)

    def array(name: str) -> ARRAY[Any]:
        if name == "job_id":
            return ARRAY(key.type)
        return ARRAY(Text if name in json_columns else columns[name].type)

    rows = (
        func.unnest(*(bindparam(f"a_{n}", type_=array(n)) for n in names))
        .table_valued(*names)
        .render_derived(name="v")
    )
    return (
        update(table)
        .where(
            key == rows.c.job_id,
            table.status == "running",
            table.worker_id == bindparam("owner_id", type_=table.worker_id.type),
            table.attempt == rows.c.attempt,
        )
        .values({k: cast(rows.c[k], JSONB) if k in json_columns else rows.c[k] for k in keys})
        .returning(key)
    )


class SessionQueue:
    """A worker's claims and finishes through pooled sessions: a transaction each
    (SQLite, where the claim takes the write lock with BEGIN IMMEDIATE)."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker

    async def claim(self, kind: JobKind, worker_id: str, now: datetime, limit: int) -> list[Any]:
        async with session_scope(self.maker) as session:
            return await claim(session, kind, worker_id, now, limit)

    async def finish(self, items: Sequence[Finishing]) -> list[bool]:
        async with session_scope(self.maker) as session:
            return await finish_many(session, items)

    async def close(self) -> None:
        pass


class _DriverStatement:
    """A Core statement compiled once for asyncpg, run on the driver's connection with
    parameters it takes as they are (UUIDs, aware datetimes, numbers, text, arrays)."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.names = list(compiled.positiontup or ())
        self.literals = compiled.construct_params(_check=False)  # e.g. status = 'pending'

    def args(self, params: dict[str, Any]) -> list[Any]:
        return [params[n] if n in params else self.literals[n] for n in self.names]


class DriverQueue:
    """PostgreSQL: a worker's claims and finishes on a connection of its own, one
    operation at a time, each statement committing on its own (a single statement is
    atomic, and each job's end stands alone). The statements are the Core ones above,
    compiled once and sent through asyncpg: a session, a pool checkout and
    SQLAlchemy's execution cost the client ten times what the database spends on a
    claim (ADR 005). The finishes of jobs of one kind that set the same columns share
    one UPDATE over unnested arrays. After an error the connection is dropped; the
    next operation opens another.
    `on_write(verb, seconds)` times each statement (the engine's events see none)."""

    def __init__(
        self, engine: AsyncEngine, on_write: Callable[[str, float], None] | None = None
    ) -> None:
        self.engine = engine
        self.on_write = on_write
        self._claims: dict[JobKind, _DriverStatement] = {}
        self._finishes: dict[tuple[JobKind, tuple[str, ...]], _DriverStatement] = {}
        self._lock = asyncio.Lock()
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    async def claim(self, kind: JobKind, worker_id: str, now: datetime, limit: int) -> list[Any]:
        statement = self._claims.get(kind)
        if statement is None:
            statement = self._claims[kind] = _DriverStatement(
                _statements(kind).claim_postgres, self.engine.dialect
            )
        params = {"worker_id": worker_id, "now": now, "limit": limit}
        # The claimed rows' values as plain attributes, not ORM instances: a detached
        # TunixRun costs 23 us to build (its instrumented attributes), a sixth of a
        # no-op job's client CPU, and a handler only reads a claimed row's values.
        rows = [SimpleNamespace(**row) for row in await self._fetch(statement, params)]
        return _in_queue_order(kind, rows)

    async def finish(self, items: Sequence[Finishing]) -> list[bool]:
        groups: dict[tuple[JobKind, str | None, tuple[str, ...]], list[Finishing]] = {}
        for item in items:
            kind, _, owner, values = item
            groups.setdefault((kind, owner.worker_id, tuple(sorted(values))), []).append(item)
        written: set[uuid.UUID] = set()
        for (kind, worker_id, keys), group in groups.items():
            if worker_id is None:  # not a worker's job: the guard is `IS NULL`
                raise ValueError("DriverQueue finishes only jobs that a worker holds")
            statement = self._finishes.get((kind, keys))
            if statement is None:
                statement = self._finishes[kind, keys] = _DriverStatement(
                    _finish_many_statement(kind, keys), self.engine.dialect
                )
            json_columns = _json_columns(kind)
            params: dict[str, Any] = {"owner_id": worker_id}
            params["a_job_id"] = [job_id for _, job_id, _, _ in group]
            params["a_attempt"] = [owner.attempt for _, _, owner, _ in group]
            for key in keys:
                column = [values[key] for _, _, _, values in group]
                if key in json_columns:
                    column = [_json_text(v) for v in column]
                params[f"a_{key}"] = column
            written.update(row[0] for row in await self._fetch(statement, params))
        return [job_id in written for _, job_id, _, _ in items]

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = self._driver = None

    async def _fetch(self, statement: _DriverStatement, params: dict[str, Any]) -> list[Any]:
        args = statement.args(params)
        async with self._lock:
            if self._conn is None:
                self._conn = await self.engine.connect()
                self._driver = (await self._conn.get_raw_connection()).driver_connection
            started = time.perf_counter()
            try:
                rows: list[Any] = await self._driver.fetch(statement.sql, *args)
            except Exception:
                # A lost connection can fail in ways that leave it looking open: after
                # any error, start afresh (a statement's own errors are rare, and a
                # new connection costs milliseconds).
                with contextlib.suppress(Exception):
                    await self._conn.invalidate()
                self._conn = self._driver = None
                raise
            if self.on_write is not None:
                self.on_write("UPDATE", time.perf_counter() - started)
            return rows


def queue_for(
    maker: async_sessionmaker[AsyncSession], on_write: Callable[[str, float], None] | None = None
) -> SessionQueue | DriverQueue:
    """How a worker claims and finishes on this database."""
    engine = maker.kw["bind"]
    if engine.dialect.name == "postgresql":
        return DriverQueue(engine, on_write)
    return SessionQueue(maker)


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


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
