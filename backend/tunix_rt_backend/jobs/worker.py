"""A worker: claims queued jobs of its kinds and executes them, up to `concurrency`
at a time, each through its kind's handler.

- Wake-ups: on PostgreSQL a LISTEN connection (the enqueue's NOTIFY), in the API's
  own process a direct nudge, and polling every WORKER_POLL_SECONDS as the fallback.
- Liveness: a `tunix_workers` row whose heartbeat it refreshes; the same beat checks
  that it still holds its jobs (a job handed to a newer attempt is stopped here), and
  reaps the jobs of workers whose heartbeat went stale.
- Shutdown (SIGTERM, `stop()`): no more claims; running jobs are asked to stop (a
  trainer checkpoints) and return to pending within the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import Worker
from tunix_rt_backend.jobs import repository
from tunix_rt_backend.jobs.kinds import JobKind, by_name
from tunix_rt_backend.jobs.queues import DriverQueue, SessionQueue, queue_for
from tunix_rt_backend.jobs.repository import NOTIFY_CHANNEL, Finishing, Owner
from tunix_rt_backend.jobs.service import Stop, after_end, run_handler
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings

if TYPE_CHECKING:
    from tunix_rt_backend.metrics import Metrics

log = logging.getLogger("tunix_rt.worker")

Maker = async_sessionmaker[AsyncSession]
# How soon a running job notices a cancel request.
CANCEL_POLL_S = 0.5
# The most end states one write of a Finisher takes.
MAX_FINISH_BATCH = 100
# A lost LISTEN connection is opened again after this, doubling up to the poll interval.
LISTEN_RETRY_MIN_S = 0.2
LISTEN_CLOSE_TIMEOUT_S = 2.0


class Finisher:
    """A worker's guarded end-state writes, written together: a finish that comes while
    a batch is being written joins the next batch. An idle worker's finish is written
    at once; under load many runs share one statement (PostgreSQL) or one transaction
    (SQLite), and so one WAL flush: the costs that bound a queue's throughput (ADR
    005). Awaiting it returns what `repository.finish` would: whether the owner still
    held the job."""

    def __init__(self, queue: SessionQueue | DriverQueue) -> None:
        self.queue = queue
        self._waiting: list[tuple[Finishing, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(
        self, kind: JobKind, job_id: uuid.UUID, owner: Owner, values: dict[str, Any]
    ) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(((kind, job_id, owner, values), future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._waiting:
            batch = self._waiting[:MAX_FINISH_BATCH]
            del self._waiting[:MAX_FINISH_BATCH]
            results: list[bool | BaseException]
            try:
                results = list(await self.queue.finish([item for item, _ in batch]))
            except Exception:
                # One bad write must not fail the others: each on its own.
                log.warning("%d finishes failed together; writing each alone", len(batch))
                results = [await self._finish_one(item) for item, _ in batch]
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def _finish_one(self, item: Finishing) -> bool | BaseException:
        try:
            return (await self.queue.finish([item]))[0]
        except Exception as exc:
            return exc


@dataclass
class Held:
    """A job this worker is executing."""

    kind: JobKind
    row: Any
    owner: Owner
    stop: Stop = field(default_factory=Stop)
    task: asyncio.Task[None] | None = None

    @property
    def job_id(self) -> uuid.UUID:
        return self.kind.id_of(self.row)


class QueueWorker:
    def __init__(
        self,
        maker: Maker,
        settings: Settings,
        kinds: Sequence[JobKind],
        *,
        concurrency: int | None = None,
        metrics: Metrics | None = None,
        on_finish: Callable[[Held, str, float], None] | None = None,
    ) -> None:
        """`kinds`: the kinds of job it claims; `metrics`: where its claims, jobs and
        queue writes are counted and timed; `on_finish(held, status, seconds)`: told
        each time a job ends here."""
        self.maker = maker
        self.settings = settings
        self.kinds = list(by_name(kinds).values())
        self.concurrency = concurrency or settings.worker_concurrency
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.metrics = metrics
        self._on_finish = on_finish
        self.queue = queue_for(maker, metrics.observe_write if metrics else None)
        self.finish = Finisher(self.queue)
        self.held: dict[uuid.UUID, Held] = {}
        self._suspects: set[uuid.UUID] = set()
        self._next_kind = 0
        self.executed = 0
        self.started = asyncio.Event()  # set once registered: it counts as a live worker
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()

    # --- control ---------------------------------------------------------------------

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[QueueWorker]:
        """The worker, run in this process's loop until the block ends (then a clean
        stop); registered, so live to other processes, when the block starts."""
        task = asyncio.create_task(self.run())
        started = asyncio.create_task(self.started.wait())
        try:
            await asyncio.wait({task, started}, return_when="FIRST_COMPLETED")
            if task.done():
                task.result()  # it failed to start: say why
            yield self
        finally:
            started.cancel()
            self.stop()
            await task

    async def run_own(self, kind: JobKind, row: Any, stop: Stop) -> str:
        """Executes one job this process inserted as this worker's own (running,
        `worker_id` ours, attempt 1): a tuning trial's run, executed inside its Ray
        trial. It gets what a claimed job gets (heartbeats, so it is not reaped; the
        cancel watch; the end written under the owner's guard) and nothing is claimed
        from the queue. `stop` stops it from outside; the status written is returned."""
        await self._register()
        self.started.set()
        held = Held(kind, row, Owner(self.worker_id, row.attempt), stop)
        self.held[held.job_id] = held
        tasks = [asyncio.create_task(self._beat()), asyncio.create_task(self._watch_cancels())]
        try:
            return await self._execute(held)
        finally:
            self.held.pop(held.job_id, None)
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.queue.close()
            async with session_scope(self.maker) as session:
                await repository.deregister_worker(session, self.worker_id)

    # --- the loop --------------------------------------------------------------------

    async def run(self) -> None:
        await self._register()
        self.started.set()
        names = ", ".join(k.name for k in self.kinds)
        log.info("worker %s started (concurrency %d; %s)", self.worker_id, self.concurrency, names)
        beat = asyncio.create_task(self._beat())
        cancels = asyncio.create_task(self._watch_cancels())
        listener = asyncio.create_task(self._listen())
        try:
            await self._claim_loop()
            await self._drain()
        finally:
            for task in (beat, cancels, listener):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.queue.close()
            async with session_scope(self.maker) as session:
                await repository.deregister_worker(session, self.worker_id)
            log.info("worker %s stopped after %d jobs", self.worker_id, self.executed)

    async def _register(self) -> None:
        now = utcnow()
        worker = Worker(
            worker_id=self.worker_id,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            concurrency=self.concurrency,
            started_at=now,
            heartbeat_at=now,
        )
        async with session_scope(self.maker) as session:
            await repository.register_worker(session, worker)

    async def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                while len(self.held) < self.concurrency and not self._stopping.is_set():
                    if not await self._claim(self.concurrency - len(self.held)):
                        break
            except Exception:  # the database went away: try again at the next poll
                log.exception("worker %s: claiming failed", self.worker_id)
            await self._sleep(self.settings.worker_poll_seconds)

    async def _sleep(self, seconds: float) -> None:
        """Until a wake-up (a job queued, a slot freed, a stop) or the poll interval."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wakeup.wait()

    async def _claim(self, slots: int) -> int:
        """Claims up to `slots` jobs, each kind in turn (one statement a kind), and
        starts them; how many."""
        claimed = 0
        for n in range(len(self.kinds)):
            if claimed >= slots:
                break
            kind = self.kinds[(self._next_kind + n) % len(self.kinds)]
            rows = await self.queue.claim(kind, self.worker_id, utcnow(), slots - claimed)
            for row in rows:
                self._start(Held(kind, row, Owner(self.worker_id, row.attempt)))
            claimed += len(rows)
        self._next_kind = (self._next_kind + 1) % len(self.kinds)  # no kind starves
        return claimed

    def _start(self, held: Held) -> None:
        self.held[held.job_id] = held
        if self.metrics is not None:
            self.metrics.job_claimed(held.row.queued_at, held.row.claimed_at)
        log.info("%s job %s claimed (attempt %d)", held.kind.name, held.job_id, held.owner.attempt)
        held.task = asyncio.create_task(self._run_one(held))

    async def _run_one(self, held: Held) -> None:
        clock = time.perf_counter()
        status = "failed"
        try:
            status = await self._execute(held)
        except Exception:
            log.exception("%s job %s failed in the worker", held.kind.name, held.job_id)
            values = {"status": "failed", "completed_at": utcnow(), "error": "worker error"}
            await self.finish(held.kind, held.job_id, held.owner, values)
        finally:
            self.held.pop(held.job_id, None)
            self.executed += 1
            self.wake()  # a slot is free
        log.info("%s job %s ended: %s", held.kind.name, held.job_id, status)
        seconds = time.perf_counter() - clock
        if self.metrics is not None:
            self.metrics.job_ended(held.kind.name, status, seconds)
        if self._on_finish is not None:
            self._on_finish(held, status, seconds)

    async def _execute(self, held: Held) -> str:
        """Runs the kind's handler with the job's output and stop watch, then writes
        the end state it returns under the owner's guard (or re-queues the job when
        the handler gave it back); the status written, or "superseded"."""
        kind, job_id, owner = held.kind, held.job_id, held.owner
        values = await run_handler(self.maker, self.settings, kind, held.row, owner, held.stop)
        if values.get("status") == "pending":
            async with session_scope(self.maker) as session:
                requeued = await repository.requeue(session, kind, job_id, owner, utcnow())
            return "pending" if requeued else "superseded"
        written = await self.finish(kind, job_id, owner, values)
        if not written:
            return "superseded"
        await after_end(self.maker, self.settings, kind, held.row, values)
        return str(values["status"])

    async def _drain(self) -> None:
        """Stop claiming; ask running jobs to stop (a trainer checkpoints, and its run
        returns to pending); wait for them within the grace period."""
        tasks = [h.task for h in self.held.values() if h.task is not None]
        for held in self.held.values():
            held.stop.request("shutdown")
        if tasks:
            log.info("worker %s: stopping %d running jobs", self.worker_id, len(tasks))
            grace = self.settings.worker_shutdown_grace_seconds + 15
            await asyncio.wait(tasks, timeout=grace)

    # --- cancel requests, heartbeats, ownership and the reaper ----------------------------

    async def _watch_cancels(self) -> None:
        """Every CANCEL_POLL_S, one look at the cancel flags of all the jobs it runs;
        a flagged job is asked to stop."""
        while True:
            await asyncio.sleep(CANCEL_POLL_S)
            running: dict[JobKind, list[uuid.UUID]] = {}
            for job_id, job in self.held.items():
                if not job.stop.event.is_set():
                    running.setdefault(job.kind, []).append(job_id)
            if not running:
                continue
            try:
                async with session_scope(self.maker) as session:
                    flagged = await repository.cancel_requests(session, running)
            except Exception:  # a database hiccup: the next look tries again
                log.exception("worker %s: reading cancel requests failed", self.worker_id)
                continue
            for job_id, requested_at in flagged.items():
                if (flagged_job := self.held.get(job_id)) is not None:
                    flagged_job.stop.request("cancel", requested_at)

    async def _beat(self) -> None:
        interval = self.settings.worker_heartbeat_seconds
        stale_after = timedelta(seconds=self.settings.worker_stale_seconds)
        while True:
            await asyncio.sleep(interval)
            try:
                await self._beat_once(stale_after)
            except Exception:  # a database hiccup: the next beat tries again
                log.exception("worker %s: heartbeat failed", self.worker_id)

    async def _beat_once(self, stale_after: timedelta) -> None:
        now = utcnow()
        running: dict[JobKind, list[uuid.UUID]] = {}
        for job_id, h in self.held.items():
            running.setdefault(h.kind, []).append(job_id)
        async with session_scope(self.maker) as session:
            held = await repository.heartbeat(session, self.worker_id, now, running)
        if held is None:
            # Presumed lost (a long pause?): its jobs were re-queued. Stop them here and
            # come back as a live worker.
            log.warning("worker %s was presumed lost; rejoining", self.worker_id)
            held = set()
            await self._register()
        # A job that just ended here also reads as not held: act on the second beat.
        suspects, self._suspects = self._suspects, set()
        for job_id, job in list(self.held.items()):
            if job_id in held or job.stop.event.is_set():
                continue
            if job_id in suspects:
                log.warning(
                    "%s job %s is no longer held by this worker: stopping it", job.kind.name, job_id
                )
                job.stop.request("shutdown")
            else:
                self._suspects.add(job_id)
        async with session_scope(self.maker) as session:
            reaped = await repository.reap(session, self.kinds, now, stale_after)
        for r in reaped:
            log.warning(
                "%s job %s of lost worker %s (attempt %d): %s",
                r.kind,
                r.job_id,
                r.worker_id,
                r.attempt,
                "re-queued" if r.status == "pending" else "failed",
            )
        if any(r.status == "pending" for r in reaped):
            self.wake()

    async def _listen(self) -> None:
        """PostgreSQL: a LISTEN connection that wakes the loop on each enqueue, opened
        again whenever it is lost (a server restart drops it): without it a worker
        would see new jobs only at its next poll."""
        if not self.settings.db_url.startswith("postgresql"):
            return
        import asyncpg

        dsn = make_url(self.settings.db_url).set(drivername="postgresql")
        retry_s = LISTEN_RETRY_MIN_S
        while True:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("worker %s: LISTEN failed (%s); polling meanwhile", self.worker_id, exc)
            else:
                try:
                    conn.add_termination_listener(lambda *_, lost=lost: lost.set())
                    await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self.wake())
                    retry_s = LISTEN_RETRY_MIN_S
                    self.wake()  # what was queued while it was away
                    await lost.wait()
                    log.warning(
                        "worker %s: LISTEN connection lost; opening another", self.worker_id
                    )
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("worker %s: LISTEN failed (%s)", self.worker_id, exc)
                finally:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), LISTEN_CLOSE_TIMEOUT_S)
            await asyncio.sleep(retry_s)
            retry_s = min(retry_s * 2, self.settings.worker_poll_seconds)


async def serve_worker(
    settings: Settings, kinds: Sequence[JobKind], concurrency: int | None, metrics_port: int | None
) -> None:
    """`tunix-rt worker`: one QueueWorker until SIGTERM/SIGINT, then a clean stop."""
    from tunix_rt_backend.db.engine import create_engine, create_sessionmaker
    from tunix_rt_backend.metrics import Metrics

    engine = create_engine(settings, pre_ping=False)
    metrics = Metrics()
    metrics.watch_writes(engine)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.registry)
    worker = QueueWorker(
        create_sessionmaker(engine), settings, kinds, concurrency=concurrency, metrics=metrics
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    try:
        await worker.run()
    finally:
        await engine.dispose()
