"""All SQL of the runs domain: the registry, the queue (claims, guarded updates) and
the workers table (heartbeats, the reaper).

Claiming takes one pending run in one statement. PostgreSQL: the subquery locks its
row `FOR UPDATE SKIP LOCKED`, so concurrent claims pass over each other. SQLite: the
statement runs under `BEGIN IMMEDIATE`, which takes the database's one write lock
first. Every later change names (status, worker_id, attempt) in its WHERE clause, so
a worker presumed dead can never overwrite a newer attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Select,
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
    # A CTE, evaluated once: as `run_id IN (subquery)` PostgreSQL may re-run the
    # subquery during the join, and with SKIP LOCKED each run picks new rows.
    picked = pick.cte("picked")
    return (
        update(TunixRun)
        .where(TunixRun.run_id == picked.c.run_id, TunixRun.status == "pending")
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
    .limit(bindparam("limit", type_=Integer))
)
_CLAIM_POSTGRES = _claim_statement(_OLDEST_PENDING.with_for_update(skip_locked=True))
_CLAIM_SQLITE = _claim_statement(_OLDEST_PENDING)


async def claim(
    session: AsyncSession, worker_id: str, now: datetime, limit: int = 1
) -> list[TunixRun]:
    """Up to `limit` of the oldest pending runs, oldest first, now running under
    `worker_id` with attempt + 1. Takes a fresh session, which the caller commits at
    once (the claim is its own transaction). A worker on PostgreSQL claims through its
    DriverQueue instead."""
    if _is_postgres(session):
        statement = _CLAIM_POSTGRES
    else:
        await session.execute(text("BEGIN IMMEDIATE"))
        statement = _CLAIM_SQLITE
    params = {"worker_id": worker_id, "now": now, "limit": limit}
    runs = list((await session.execute(statement, params)).scalars())
    runs.sort(key=lambda r: (r.queued_at or r.created_at, r.run_id))  # RETURNING: any order
    return runs


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


# Sent to PostgreSQL as text in the finishes' arrays, and cast back.
_JSON_COLUMNS = frozenset(c.name for c in TunixRun.__table__.c if isinstance(c.type, JSON))


def _finish_many_statement(keys: tuple[str, ...]) -> ReturningUpdate[tuple[uuid.UUID]]:
    """PostgreSQL: one UPDATE for many runs of one worker, setting the columns `keys`
    from arrays (one element per run) unnested into rows; JSON goes as text."""
    columns = TunixRun.__table__.c
    names = ("run_id", "attempt", *keys)

    def array(name: str) -> ARRAY[Any]:
        return ARRAY(Text if name in _JSON_COLUMNS else columns[name].type)

    rows = (
        func.unnest(*(bindparam(f"a_{n}", type_=array(n)) for n in names))
        .table_valued(*names)
        .render_derived(name="v")
    )
    return (
        update(TunixRun)
        .where(
            TunixRun.run_id == rows.c.run_id,
            TunixRun.status == "running",
            TunixRun.worker_id == bindparam("owner_id", type_=TunixRun.worker_id.type),
            TunixRun.attempt == rows.c.attempt,
        )
        .values({k: cast(rows.c[k], JSONB) if k in _JSON_COLUMNS else rows.c[k] for k in keys})
        .returning(TunixRun.run_id)
    )


Finishing = tuple[uuid.UUID, Owner, dict[str, Any]]  # run, owner, end-state values


async def finish_runs(session: AsyncSession, items: Sequence[Finishing]) -> list[bool]:
    """`finish_run` for many runs in the session's transaction; for each, whether it
    was written."""
    return [await finish_run(session, run_id, owner, values) for run_id, owner, values in items]


class SessionQueue:
    """A worker's claims and finishes through pooled sessions: a transaction each
    (SQLite, where the claim takes the write lock with BEGIN IMMEDIATE)."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker

    async def claim(self, worker_id: str, now: datetime, limit: int) -> list[TunixRun]:
        async with session_scope(self.maker) as session:
            return await claim(session, worker_id, now, limit)

    async def finish(self, items: Sequence[Finishing]) -> list[bool]:
        async with session_scope(self.maker) as session:
            return await finish_runs(session, items)

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
    atomic, and each run's end stands alone). The statements are the Core ones above,
    compiled once and sent through asyncpg: a session, a pool checkout and
    SQLAlchemy's execution cost the client ten times what the database spends on a
    claim (ADR 005). The finishes of runs that set the same columns share one UPDATE
    over unnested arrays. After an error the connection is dropped; the next operation
    opens another.
    `on_write(verb, seconds)` times each statement (the engine's events see none)."""

    def __init__(
        self, engine: AsyncEngine, on_write: Callable[[str, float], None] | None = None
    ) -> None:
        self.engine = engine
        self.on_write = on_write
        self._claim = _DriverStatement(_CLAIM_POSTGRES, engine.dialect)
        self._finish: dict[tuple[str, ...], _DriverStatement] = {}
        self._lock = asyncio.Lock()
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    async def claim(self, worker_id: str, now: datetime, limit: int) -> list[TunixRun]:
        params = {"worker_id": worker_id, "now": now, "limit": limit}
        runs = [TunixRun(**dict(row)) for row in await self._fetch(self._claim, params)]
        runs.sort(key=lambda r: (r.queued_at or r.created_at, r.run_id))
        return runs

    async def finish(self, items: Sequence[Finishing]) -> list[bool]:
        groups: dict[tuple[str | None, tuple[str, ...]], list[Finishing]] = {}
        for item in items:
            groups.setdefault((item[1].worker_id, tuple(sorted(item[2]))), []).append(item)
        written: set[uuid.UUID] = set()
        for (worker_id, keys), group in groups.items():
            if worker_id is None:  # not a worker's run: the guard is `IS NULL`
                raise ValueError("DriverQueue finishes only runs that a worker holds")
            statement = self._finish.get(keys)
            if statement is None:
                statement = self._finish[keys] = _DriverStatement(
                    _finish_many_statement(keys), self.engine.dialect
                )
            params: dict[str, Any] = {"owner_id": worker_id}
            params["a_run_id"] = [run_id for run_id, _, _ in group]
            params["a_attempt"] = [owner.attempt for _, owner, _ in group]
            for key in keys:
                column = [values[key] for _, _, values in group]
                if key in _JSON_COLUMNS:
                    column = [_json_text(v) for v in column]
                params[f"a_{key}"] = column
            written.update(row[0] for row in await self._fetch(statement, params))
        return [run_id in written for run_id, _, _ in items]

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
