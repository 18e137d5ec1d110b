"""All SQL of the runs domain that is not the queue's (jobs/ owns that): the run
history and the stored generations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, cast, exists, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import RunGeneration, TunixRun
from tunix_rt_backend.kit.pagination import PageParams
from tunix_rt_backend.runs.schemas import RunFilters


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> TunixRun | None:
    return await session.get(TunixRun, run_id)


async def list_runs(
    session: AsyncSession, params: PageParams, filters: RunFilters
) -> Sequence[TunixRun]:
    """`limit + 1` runs, newest first (created_at, run_id), filters ANDed."""
    query = select(TunixRun)
    if filters.status is not None:
        query = query.where(TunixRun.status == filters.status)
    if filters.dataset_key is not None:
        query = query.where(TunixRun.dataset_key == filters.dataset_key)
    if filters.mode is not None:
        query = query.where(TunixRun.mode == filters.mode)
    if filters.q is not None:
        # Case-insensitive on both databases; % and _ in the text are matched as such.
        pattern = f"%{_escaped(filters.q.lower())}%"
        query = query.where(func.lower(TunixRun.name).like(pattern, escape="\\"))
    if filters.tag is not None:
        query = query.where(_has_tag(session, filters.tag))
    if params.cursor is not None:
        created_at, run_id = params.cursor
        query = query.where(
            (TunixRun.created_at < created_at)
            | ((TunixRun.created_at == created_at) & (TunixRun.run_id < run_id))
        )
    query = query.order_by(TunixRun.created_at.desc(), TunixRun.run_id.desc())
    rows = await session.scalars(query.offset(params.offset).limit(params.limit + 1))
    return rows.all()


async def generations(session: AsyncSession, run_id: uuid.UUID) -> Sequence[RunGeneration]:
    rows = await session.scalars(
        select(RunGeneration).where(RunGeneration.run_id == run_id).order_by(RunGeneration.index)
    )
    return rows.all()


def _has_tag(session: AsyncSession, tag: str) -> ColumnElement[bool]:
    """The run's `tags` (a JSON array) holds `tag`: JSONB containment on PostgreSQL,
    json_each on SQLite."""
    if session.bind.dialect.name == "postgresql":
        return TunixRun.tags.op("@>")(cast([tag], JSONB))
    members = func.json_each(TunixRun.tags).table_valued("value")
    return exists(select(1).select_from(members).where(members.c.value == tag))


def _escaped(text: str) -> str:
    """`text` for a LIKE pattern with "\\" as its escape: its wildcards match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
