"""All SQL of the traces domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Uuid, bindparam, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.base import UTCDateTime
from tunix_rt_backend.db.models import Score, Trace

_SUMMARY_COLUMNS = (Trace.id, Trace.created_at, Trace.trace_version)


async def insert_traces(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One INSERT for all rows (SQLAlchemy batches them into multi-row VALUES)."""
    if rows:
        await session.execute(insert(Trace), list(rows))


async def get_trace(session: AsyncSession, trace_id: uuid.UUID) -> Trace | None:
    return await session.get(Trace, trace_id)


async def get_traces(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Trace]:
    result = await session.scalars(select(Trace).where(Trace.id.in_(ids)))
    return {trace.id: trace for trace in result}


async def list_trace_summaries(
    session: AsyncSession,
    *,
    limit: int,
    offset: int = 0,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> Sequence[Row[tuple[uuid.UUID, datetime, str]]]:
    """Newest first. `before` is a keyset position: rows strictly after it in list
    order, found through ix_traces_created_at at any depth."""
    query = select(*_SUMMARY_COLUMNS).order_by(Trace.created_at.desc(), Trace.id.desc())
    if before is not None:
        position = tuple_(
            bindparam("before_ts", before[0], type_=UTCDateTime),
            bindparam("before_id", before[1], type_=Uuid),
        )
        query = query.where(tuple_(Trace.created_at, Trace.id) < position)
    result = await session.execute(query.limit(limit).offset(offset))
    return result.all()


# Prompts per query: under both databases' limit on bound parameters (32,766), so a
# generation up to the default GENERATOR_MAX_COUNT is one query, and a larger one works.
_PROMPTS_PER_QUERY = 10_000


async def stored_prompts(session: AsyncSession, source: str, prompts: Sequence[str]) -> set[str]:
    """Which of `prompts` a stored trace of `source` (its `meta.source`) already has."""
    prompt = Trace.payload["prompt"].as_string()
    of_source = Trace.payload["meta"]["source"].as_string() == source
    stored: set[str] = set()
    for start in range(0, len(prompts), _PROMPTS_PER_QUERY):
        chunk = prompts[start : start + _PROMPTS_PER_QUERY]
        query = select(prompt).distinct().where(of_source, prompt.in_(chunk))
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
