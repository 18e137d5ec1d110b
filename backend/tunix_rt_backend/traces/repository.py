"""All SQL of the traces domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Uuid,
    bindparam,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.base import UTCDateTime
from tunix_rt_backend.db.models import Score, Trace
from tunix_rt_backend.traces.schemas import TraceFilters

_SUMMARY_COLUMNS = (
    Trace.id,
    Trace.created_at,
    Trace.trace_version,
    Trace.prompt_preview,
    Trace.final_answer_preview,
    Trace.source,
    Trace.score,
)
_LIKE_ESCAPE = "/"
# The list's one statement, built once: a request adds only its filters and keyset
# position, and binds its limit and offset (building it again per request was a tenth
# of a page's CPU).
_PAGE = (
    select(*_SUMMARY_COLUMNS)
    .order_by(Trace.created_at.desc(), Trace.id.desc())
    .limit(bindparam("page_limit"))
    .offset(bindparam("page_offset"))
)


_INSERT = insert(Trace)


async def insert_traces(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One INSERT for all rows (SQLAlchemy batches them into multi-row VALUES)."""
    if rows:
        await session.execute(_INSERT, list(rows))


# A trace as its detail shows it: the four columns it returns, never the whole entity.
_DETAIL = select(Trace.id, Trace.created_at, Trace.trace_version, Trace.payload).where(
    Trace.id == bindparam("trace_id")
)


async def get_trace(session: AsyncSession, trace_id: uuid.UUID) -> Row[Any] | None:
    """(id, created_at, trace_version, payload), or None."""
    result = await session.execute(_DETAIL, {"trace_id": trace_id})
    return result.first()


async def get_traces(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Trace]:
    result = await session.scalars(select(Trace).where(Trace.id.in_(ids)))
    return {trace.id: trace for trace in result}


async def list_trace_summaries(
    session: AsyncSession,
    *,
    filters: TraceFilters,
    limit: int,
    offset: int = 0,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> Sequence[Row[Any]]:
    """Newest first. `before` is a keyset position: rows strictly after it in list
    order, found through ix_traces_created_at at any depth (ix_traces_source and
    ix_traces_scored keep the same order for their filters). A position stays right
    under any filters: it is a place in the one order, not a count of rows."""
    conditions = _conditions(session, filters)
    if before is not None:
        position = tuple_(
            bindparam("before_ts", before[0], type_=UTCDateTime),
            bindparam("before_id", before[1], type_=Uuid),
        )
        conditions.append(tuple_(Trace.created_at, Trace.id) < position)
    query = _PAGE.where(*conditions) if conditions else _PAGE
    result = await session.execute(query, {"page_limit": limit, "page_offset": offset})
    return result.all()


def _conditions(session: AsyncSession, filters: TraceFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q is not None:
        conditions.append(_prompt_contains(session, filters.q))
    if filters.source is not None:
        conditions.append(Trace.source == filters.source)
    if filters.scored is not None:
        conditions.append(Trace.score.is_not(None) if filters.scored else Trace.score.is_(None))
    if filters.created_from is not None:
        conditions.append(Trace.created_at >= filters.created_from)
    if filters.created_to is not None:
        conditions.append(Trace.created_at < filters.created_to)
    return conditions


def _prompt_contains(session: AsyncSession, q: str) -> ColumnElement[bool]:
    """Case-insensitive substring. The pattern is one parameter, not `'%' || ? || '%'`,
    so PostgreSQL plans with its value: ILIKE, which the trigram index serves. SQLite's
    LIKE ignores case already (ASCII letters only: SQLite folds no other case), and its
    ILIKE would be `lower(prompt) LIKE lower(?)`, a second pass over every prompt."""
    escaped = "".join(_LIKE_ESCAPE + c if c in "%_" + _LIKE_ESCAPE else c for c in q)
    pattern = f"%{escaped}%"
    if session.get_bind().dialect.name == "postgresql":
        return Trace.prompt.ilike(pattern, escape=_LIKE_ESCAPE)
    return Trace.prompt.like(pattern, escape=_LIKE_ESCAPE)


# Each step finds the next source through ix_traces_source: one index probe per
# source, where SELECT DISTINCT would read every trace's index entry.
_SOURCES_SQL = text("""
WITH RECURSIVE found(source, n) AS (
  SELECT min(source), 1 FROM traces
  UNION ALL
  SELECT (SELECT min(t.source) FROM traces AS t WHERE t.source > found.source), n + 1
  FROM found WHERE found.source IS NOT NULL AND n < :limit
)
SELECT source FROM found WHERE source IS NOT NULL ORDER BY source
""")


async def distinct_sources(session: AsyncSession, limit: int) -> list[str]:
    """The sources of stored traces, in order, at most `limit` of them."""
    return list((await session.scalars(_SOURCES_SQL, {"limit": limit})).all())


# Prompts per query: under both databases' limit on bound parameters (32,766), so a
# generation up to the default GENERATOR_MAX_COUNT is one query, and a larger one works.
_PROMPTS_PER_QUERY = 10_000


async def stored_prompts(session: AsyncSession, source: str, prompts: Sequence[str]) -> set[str]:
    """Which of `prompts` a stored trace of `source` (its `meta.source`) already has."""
    stored: set[str] = set()
    for start in range(0, len(prompts), _PROMPTS_PER_QUERY):
        chunk = prompts[start : start + _PROMPTS_PER_QUERY]
        query = select(Trace.prompt).distinct().where(Trace.source == source)
        query = query.where(Trace.prompt.in_(chunk))
        stored.update((await session.scalars(query)).all())
    return stored


async def insert_score(
    session: AsyncSession,
    *,
    score_id: uuid.UUID,
    trace_id: uuid.UUID,
    criteria: str,
    score: float,
    details: dict[str, Any],
    created_at: datetime,
) -> None:
    session.add(
        Score(
            id=score_id,
            trace_id=trace_id,
            criteria=criteria,
            score=score,
            details=details,
            created_at=created_at,
        )
    )
    await session.flush()


async def set_latest_score(session: AsyncSession, trace_id: uuid.UUID, score: float) -> None:
    """The trace's `score` column, which the list shows and filters on."""
    await session.execute(
        update(Trace).where(Trace.id == trace_id).values(score=score),
        execution_options={"synchronize_session": False},
    )
