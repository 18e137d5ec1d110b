"""Following a run from the command line: a progress bar (step / total, steps/s, elapsed
and time left) drawn from the steps it reports, until it ends. On a terminal only; in
a log (not a terminal) nothing is drawn and the command's own lines say what happened."""

from __future__ import annotations

import asyncio
import uuid

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.runs import service
from tunix_rt_backend.runs.schemas import RunResult

POLL_INTERVAL_S = 0.5
_ENDED = frozenset({"completed", "failed", "timeout", "cancelled"})


async def follow(
    maker: async_sessionmaker[AsyncSession], run_id: uuid.UUID, total_steps: int
) -> RunResult:
    """Wait for the run's end, drawing its progress; the run as it ended."""
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("pending", total=total_steps, rate="")
        while True:
            async with session_scope(maker) as session:
                run, step = await service.progress(session, run_id)
            speed = bar.tasks[0].speed
            rate = f"{speed:.1f} steps/s" if speed else ""
            bar.update(task, completed=step, description=run.status, rate=rate)
            if run.status in _ENDED:
                return run
            await asyncio.sleep(POLL_INTERVAL_S)
