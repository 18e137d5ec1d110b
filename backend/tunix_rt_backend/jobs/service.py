"""Business rules of jobs that every kind shares: running a kind's handler, cancel,
waiting for a job's end, whether any worker is alive, and the stop a running job is
asked for. Raises
AppError; commits through `session_scope`, one unit of work at a time (a job spans
minutes to hours, and must be visible while it runs)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.errors import AppError, Conflict, NotFound
from tunix_rt_backend.jobs import repository
from tunix_rt_backend.jobs.kinds import JobContext, JobKind
from tunix_rt_backend.jobs.output import JobOutput
from tunix_rt_backend.jobs.repository import Owner
from tunix_rt_backend.jobs.schemas import JOB_STATES, TERMINAL_STATES
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings

if TYPE_CHECKING:
    from tunix_rt_backend.metrics import Metrics

Maker = async_sessionmaker[AsyncSession]
log = logging.getLogger("tunix_rt.jobs")

# How often a request waiting for a job's end looks at it.
WAIT_POLL_S = 0.25


class JobNotFound(NotFound):
    pass


class JobNotCancellable(Conflict):
    pass


class NoWorker(AppError):
    """Nothing would execute the job: refused rather than left waiting forever."""

    status_code = 503


async def get(
    session: AsyncSession, kind: JobKind, job_id: uuid.UUID, error: type[NotFound]
) -> Any:
    row = await repository.get_job(session, kind, job_id)
    if row is None:
        raise error(f"no {kind.name} job {job_id}")
    return row


async def enqueue(session: AsyncSession, row: Any) -> None:
    """A new job, pending: a worker claims it once the session commits (which is when
    PostgreSQL's listening workers are told)."""
    await repository.enqueue(session, row)


async def queue_created(session: AsyncSession, kind: JobKind, job_id: uuid.UUID) -> bool:
    """A job made as `created` joins the queue; False when it was not `created`."""
    return await repository.queue_created(session, kind, job_id, utcnow())


async def insert_inline(session: AsyncSession, row: Any) -> None:
    """A new job that this process executes at once (`execute_inline`): running, held
    by no worker, attempt 1."""
    await repository.insert_job(session, row)


async def execute_inline(maker: Maker, settings: Settings, kind: JobKind, row: Any) -> Any:
    """Executes a job inserted by `insert_inline` here, through its kind's handler, and
    writes its end state under the same guard a worker's would have. For jobs that
    start no process and end in moments (a dry run): anything longer goes to a worker,
    which survives this process."""
    owner, job_id = Owner(None, 1), kind.id_of(row)
    values = await run_handler(maker, settings, kind, row, owner, Stop())
    async with session_scope(maker) as session:
        written = await repository.finish(session, kind, job_id, owner, values)
    if written:
        for name, value in values.items():
            setattr(row, name, value)
        await after_end(maker, settings, kind, row, values)
    return row


async def record(ctx: JobContext, values: dict[str, Any]) -> bool:
    """Fields of a running job that its handler learned on the way (a run's checks,
    shown while it trains), written only while the handler's owner still holds it;
    False when it no longer does (cancelled meanwhile, lost to the reaper)."""
    async with session_scope(ctx.maker) as session:
        return await repository.finish(session, ctx.kind, ctx.job_id, ctx.owner, values)


async def after_end(
    maker: Maker, settings: Settings, kind: JobKind, row: Any, values: dict[str, Any]
) -> None:
    """The kind's `after_end`, once a job's end state is written; its failure is
    logged: the job has ended either way."""
    if kind.after_end is None:
        return
    try:
        await kind.after_end(maker, settings, row, values)
    except Exception:
        log.exception("%s job %s: what follows its end failed", kind.name, kind.id_of(row))


async def run_handler(
    maker: Maker, settings: Settings, kind: JobKind, row: Any, owner: Owner, stop: Stop
) -> dict[str, Any]:
    """The kind's handler on a job `owner` holds, its output all stored when it returns;
    the values of the job's end (`completed_at` now, unless the handler set it)."""
    async with JobOutput(maker, kind.id_of(row)) as output:
        values = await kind.handler(JobContext(maker, settings, kind, row, owner, stop, output))
    values.setdefault("completed_at", utcnow())
    return values


async def last_step(session: AsyncSession, job_id: uuid.UUID, name: str) -> int | None:
    return await repository.last_step(session, job_id, name)


async def last_steps(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], name: str
) -> dict[uuid.UUID, tuple[int, int]]:
    """(highest step, points) of metric `name` per job that has any."""
    return await repository.last_steps(session, job_ids, name) if job_ids else {}


async def latest_values(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], names: Sequence[str]
) -> dict[tuple[uuid.UUID, str], float]:
    """The value of each metric of `names` at its highest step, per job that has any."""
    return await repository.latest_values(session, job_ids, names) if job_ids else {}


async def metric_points(
    session: AsyncSession, job_id: uuid.UUID, names: Sequence[str]
) -> dict[str, list[tuple[int, float]]]:
    """Each metric series of a job: [(step, value)] by step."""
    series: dict[str, list[tuple[int, float]]] = {}
    for point in await repository.metrics(session, job_id, names):
        series.setdefault(point.name, []).append((point.step, point.value))
    return series


async def require_live_worker(session: AsyncSession, settings: Settings, what: str) -> None:
    """NoWorker unless a worker's heartbeat is fresh."""
    stale_after = timedelta(seconds=settings.worker_stale_seconds)
    if not await repository.live_workers(session, utcnow(), stale_after):
        raise NoWorker(
            f"No worker is running, so {what} would wait forever. Start one with "
            "`tunix-rt worker` (or run `tunix-rt serve` with its embedded worker), "
            "or queue it with ?mode=async to start when a worker comes."
        )


async def cancel(
    maker: Maker,
    kind: JobKind,
    job_id: uuid.UUID,
    not_found: type[NotFound] = JobNotFound,
    not_cancellable: type[Conflict] = JobNotCancellable,
) -> Any:
    """Created (never started) or pending: cancelled at once. Running: flagged; the
    worker that runs it stops it (its process is asked to stop, then signalled). Ended:
    `not_cancellable`. Returns the job's row after the change."""
    now = utcnow()
    async with session_scope(maker) as session:
        row = await get(session, kind, job_id, not_found)
        acted = row.status == "created" and await repository.cancel_created(
            session, kind, job_id, now
        )
        acted = acted or (
            row.status == "pending" and await repository.cancel_pending(session, kind, job_id, now)
        )
        # Running, or claimed since it was read: flag it.
        acted = acted or await repository.request_cancel(session, kind, job_id, now)
    async with session_scope(maker) as session:
        row = await get(session, kind, job_id, not_found)
    if not acted:
        raise not_cancellable(
            f"{kind.name} job {job_id} is {row.status}: only a created, pending or running "
            "one can be cancelled"
        )
    return row


async def wait_for_end(maker: Maker, kind: JobKind, job_id: uuid.UUID, timeout_s: float) -> Any:
    """The job's row once it has ended, or as it is after `timeout_s`. Waiting is
    all it does: the job runs on a worker whether or not anyone waits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        async with session_scope(maker) as session:
            row = await repository.get_job(session, kind, job_id)
        if row is None or row.status in TERMINAL_STATES or loop.time() >= deadline:
            return row
        await asyncio.sleep(min(WAIT_POLL_S, max(deadline - loop.time(), 0)))


class Stop:
    """Whether, and why, a running job is asked to stop: "cancel" (its row was flagged;
    its worker reads the flags of all the jobs it runs every CANCEL_POLL_S) or
    "shutdown" (its worker is stopping, or no longer holds it). `event` is set then.
    Passive: a job costs no task and no query of its own to be stoppable."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.reason: str | None = None
        self.requested_at: datetime | None = None

    def request(self, reason: str, requested_at: datetime | None = None) -> None:
        if not self.event.is_set():  # the first reason stands
            self.reason, self.requested_at = reason, requested_at
            self.event.set()


def add_queue_metrics(metrics: Metrics, kinds: Sequence[JobKind]) -> None:
    """`tunix_jobs{kind, status}` and `tunix_job_queue_depth{kind}`, read from the
    database at each scrape."""
    jobs = Gauge(
        "tunix_jobs", "Jobs by kind and status", ["kind", "status"], registry=metrics.registry
    )
    depth = Gauge(
        "tunix_job_queue_depth",
        "Jobs waiting for a worker, by kind",
        ["kind"],
        registry=metrics.registry,
    )

    async def collect(session: AsyncSession) -> None:
        for kind in kinds:
            counts = await repository.count_by_status(session, kind)
            for state in JOB_STATES:
                jobs.labels(kind.name, state).set(counts.get(state, 0))
            depth.labels(kind.name).set(counts.get("pending", 0))

    metrics.add_collector(collect)
