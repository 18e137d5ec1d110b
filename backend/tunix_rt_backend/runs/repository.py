"""All SQL of the runs domain that is not the queue's (jobs/ owns that): the run
history and the stored generations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import RunGeneration, TunixRun
from tunix_rt_backend.kit.pagination import PageParams


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


async def generations(session: AsyncSession, run_id: uuid.UUID) -> Sequence[RunGeneration]:
    rows = await session.scalars(
        select(RunGeneration).where(RunGeneration.run_id == run_id).order_by(RunGeneration.index)
    )
    return rows.all()
