"""All SQL of the runs domain."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import TunixRun


async def insert_run(session: AsyncSession, run: TunixRun) -> None:
    session.add(run)
    await session.flush()


async def finish_run(session: AsyncSession, run_id: uuid.UUID, values: dict[str, Any]) -> None:
    """The end state of a running run. Guarded on status, so a run that something
    else ended meanwhile (a cancel, later) keeps that end."""
    await session.execute(
        update(TunixRun)
        .where(TunixRun.run_id == run_id, TunixRun.status == "running")
        .values(**values)
    )
