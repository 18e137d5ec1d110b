"""How a worker claims and finishes: through pooled sessions (SQLite, where a claim
takes the write lock with BEGIN IMMEDIATE) or, on PostgreSQL, on a connection of its
own straight through asyncpg, with the statements of repository.py compiled once
(ADR 005)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import JSON, Text, bindparam, cast, func, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningUpdate

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.jobs.kinds import JobKind
from tunix_rt_backend.jobs.repository import (
    Finishing,
    claim,
    claim_statements,
    finish_many,
    in_queue_order,
)


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
                claim_statements(kind).claim_postgres, self.engine.dialect
            )
        params = {"worker_id": worker_id, "now": now, "limit": limit}
        # The claimed rows' values as plain attributes, not ORM instances: a detached
        # TunixRun costs 23 us to build (its instrumented attributes), a sixth of a
        # no-op job's client CPU, and a handler only reads a claimed row's values.
        rows = [SimpleNamespace(**row) for row in await self._fetch(statement, params)]
        return in_queue_order(kind, rows)

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
