"""Following a run from the command line, with a progress bar (kit/terminal.py) drawn
from the steps it reports, until it ends."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.kit.terminal import WaitBar
from tunix_rt_backend.runs import service
from tunix_rt_backend.runs.schemas import RunResult

POLL_INTERVAL_S = 0.5
_ENDED = frozenset({"completed", "failed", "timeout", "cancelled"})


async def follow(
    maker: async_sessionmaker[AsyncSession], run_id: uuid.UUID, total_steps: int
) -> RunResult:
    """Wait for the run's end, drawing its progress; the run as it ended."""
    with WaitBar("steps", total_steps) as bar:
        while True:
            async with session_scope(maker) as session:
                run, step = await service.progress(session, run_id)
            bar.update(run.status, step)
            if run.status in _ENDED:
                return run
            await asyncio.sleep(POLL_INTERVAL_S)
