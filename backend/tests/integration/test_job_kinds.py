"""A kind of job that `jobs/` has never heard of, added the way a domain adds one: its
own table (with JobColumns) and a handler. It sleeps in a real process, logs, reports
a metric, streams over SSE and is cancelled, with no change inside `jobs/`."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import MetaData, String, Uuid
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models.job import JobColumns
from tunix_rt_backend.jobs import output, process
from tunix_rt_backend.jobs import service as jobs
from tunix_rt_backend.jobs.kinds import JobContext, JobKind
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]


class _TestBase(DeclarativeBase):
    metadata = MetaData()  # not the app's: created and dropped by this module


class Nap(JobColumns, _TestBase):
    __tablename__ = "test_naps"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)


# Prints a line and a metric a step, sleeping between, for `steps` steps.
_NAPPER = """
import sys, time
for step in range(int(sys.argv[1])):
    print(f"nap {step}", flush=True)
    print(f"metric {step} {step * 0.5}", flush=True)
    time.sleep(0.05)
"""


async def nap(ctx: JobContext) -> dict[str, Any]:
    def on_line(stream: str, line: bytes) -> None:
        ctx.output.line(stream, line)
        words = line.split()
        if words[:1] == [b"metric"]:
            ctx.output.metric("nap/depth", int(words[1]), float(words[2]))

    assert ctx.job_id == ctx.row.id
    steps = int(ctx.row.note or "0")
    outcome = await process.run_process(
        [sys.executable, "-c", _NAPPER, str(steps)],
        timeout_s=60,
        env={},
        stop=ctx.stop.event,
        stop_grace_s=0.1,
        on_line=on_line,
    )
    if ctx.stop.reason == "cancel":
        return {"status": "cancelled", "error": "cancelled while napping"}
    status = "completed" if outcome.exit_code == 0 else "failed"
    return {"status": status, "note": f"exit {outcome.exit_code}"}


NAP = JobKind("nap", Nap, nap)


@pytest.fixture
async def naps(sessionmaker: Maker) -> AsyncIterator[Maker]:
    engine = sessionmaker.kw["bind"]
    async with engine.begin() as conn:
        await conn.run_sync(_TestBase.metadata.create_all)
    try:
        yield sessionmaker
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(_TestBase.metadata.drop_all)


async def _queue_nap(maker: Maker, steps: int) -> uuid.UUID:
    now = utcnow()
    row = Nap(
        id=uuid.uuid4(),
        note=str(steps),
        status="pending",
        started_at=now,
        created_at=now,
        queued_at=now,
    )
    async with session_scope(maker) as session:
        await jobs.enqueue(session, row)
    return row.id


@pytest.fixture
async def nap_worker(naps: Maker, settings: Settings) -> AsyncIterator[QueueWorker]:
    fast = settings.model_copy(update={"worker_poll_seconds": 0.05})
    worker = QueueWorker(naps, fast, [NAP])
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)


async def _events(maker: Maker, job_id: uuid.UUID, after: int = 0) -> list[dict[str, Any]]:
    stream = output.events(maker, NAP, job_id, after, poll_s=0.02)
    return [event async for event in stream]


async def test_a_new_kind_runs_logs_reports_metrics_and_streams(
    naps: Maker, nap_worker: QueueWorker
) -> None:
    job_id = await _queue_nap(naps, 4)
    ended = await jobs.wait_for_end(naps, NAP, job_id, 60)
    assert (ended.status, ended.attempt, ended.note) == ("completed", 1, "exit 0")
    assert ended.worker_id == nap_worker.worker_id and ended.completed_at is not None

    events = await _events(naps, job_id)
    text = "".join(e["data"] for e in events if e["event"] == "log")
    assert [f"nap {n}" in text for n in range(4)] == [True] * 4
    async with session_scope(naps) as session:
        series = await jobs.metric_points(session, job_id, [])
    assert series == {"nap/depth": [(0, 0.0), (1, 0.5), (2, 1.0), (3, 1.5)]}
    assert events[-1]["event"] == "end"


async def test_a_new_kind_is_cancelled_with_its_process_group(
    naps: Maker, nap_worker: QueueWorker
) -> None:
    job_id = await _queue_nap(naps, 100_000)
    async with asyncio.timeout(30):
        while True:  # until it has reported a metric
            async with session_scope(naps) as session:
                if await jobs.metric_points(session, job_id, []):
                    break
            await asyncio.sleep(0.05)
    row = await jobs.cancel(naps, NAP, job_id)
    assert row.status == "running" and row.cancel_requested_at is not None
    ended = await jobs.wait_for_end(naps, NAP, job_id, 30)
    assert (ended.status, ended.error) == ("cancelled", "cancelled while napping")
    with pytest.raises(jobs.JobNotCancellable):
        await jobs.cancel(naps, NAP, job_id)


async def test_a_new_kind_pending_is_cancelled_at_once(naps: Maker) -> None:
    job_id = await _queue_nap(naps, 1)
    row = await jobs.cancel(naps, NAP, job_id)
    assert (row.status, row.error) == ("cancelled", "cancelled before it started")
    with pytest.raises(jobs.JobNotFound):
        await jobs.cancel(naps, NAP, uuid.uuid4())
