"""A job's output as it happens: `JobOutput` stores its log lines, metric points and
the kind's own rows in batches while the job goes on; `events` streams them to SSE
clients, resumable by `seq`, from short-lived sessions.

Log chunks and metric points share one `seq` per job: each flush numbers its chunks,
then its points. An event's id is its seq, so a stream that resumes after seq N sends
exactly what was written after N: no line and no point twice, none missed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any

import anyio
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import JobLogChunk, JobMetric
from tunix_rt_backend.jobs import repository
from tunix_rt_backend.jobs.kinds import JobKind
from tunix_rt_backend.jobs.schemas import TERMINAL_STATES
from tunix_rt_backend.jobs.watch import POLL_INTERVAL_S, JobWatch
from tunix_rt_backend.kit.time import utcnow

log = logging.getLogger("tunix_rt.jobs")

Maker = async_sessionmaker[AsyncSession]

FLUSH_INTERVAL_S = 0.1
FLUSH_LINES = 2000
HEARTBEAT_S = 10.0
PAGE = 500


class JobOutput:
    """Collects a job's lines, metric points and rows, and writes them every
    FLUSH_INTERVAL_S (sooner past FLUSH_LINES) in one transaction: consecutive lines
    of one stream become one chunk with the next `seq`. `line`, `metric` and `row`
    are called from reading loops and never wait."""

    def __init__(self, maker: Maker, job_id: uuid.UUID) -> None:
        self.maker = maker
        self.job_id = job_id
        # Read at the first flush: a job that writes nothing costs no query.
        self.seq: int | None = None
        self.lines = 0
        self._lines: list[tuple[str, bytes]] = []
        self._metrics: dict[tuple[str, int], float] = {}
        self._rows: dict[tuple[Any, tuple[str, ...]], list[dict[str, Any]]] = {}
        self._full = asyncio.Event()
        self._closing = False
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> JobOutput:
        return self

    async def __aexit__(self, *_: object) -> None:
        # The loop is asked to stop, never cancelled: cancelled in the middle of a
        # write, it would drop the lines it had taken.
        self._closing = True
        self._full.set()
        if self._task is not None:
            await self._task
        await self.flush()

    def _started(self) -> None:
        # The flush loop starts with the first output: a job that writes none (most
        # dry runs, a no-op) costs no task.
        if self._task is None and not self._closing:
            self._task = asyncio.get_running_loop().create_task(self._flush_loop())

    def line(self, stream: str, data: bytes) -> None:
        self._started()
        self._lines.append((stream, data))
        self.lines += 1
        if len(self._lines) >= FLUSH_LINES:
            self._full.set()

    def text(self, stream: str, text: str) -> None:
        for line in text.splitlines(keepends=True):
            self.line(stream, line.encode())

    def metric(self, name: str, step: int, value: float) -> None:
        """A scalar at a step; the same (name, step) again replaces it."""
        self._started()
        self._metrics[(name[:64], step)] = value

    def row(self, table: Any, unique: Sequence[str], values: dict[str, Any]) -> None:
        """A row of the kind's own table, written with the next flush (replacing the
        one with the same `unique` values)."""
        self._started()
        self._rows.setdefault((table, tuple(unique)), []).append(values)

    async def _flush_loop(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_INTERVAL_S):
                    await self._full.wait()
            self._full.clear()
            try:
                await self.flush()
            except Exception:  # the database went away: the output waits for the next try
                log.warning("job %s: storing output failed; retrying", self.job_id, exc_info=True)

    async def flush(self) -> None:
        # One flush at a time: seqs must commit in order, or a stream reading between
        # two commits could pass over the earlier one.
        async with self._lock:
            await self._flush()

    async def _flush(self) -> None:
        lines, self._lines = self._lines, []
        metrics, self._metrics = self._metrics, {}
        rows, self._rows = self._rows, {}
        if not lines and not metrics and not rows:
            return
        seq = self.seq
        try:
            await self._write(lines, metrics, rows)
        except BaseException:
            # Kept for the next flush, in order, under the same numbers.
            self.seq = seq
            self._lines[:0] = lines
            self._metrics = {**metrics, **self._metrics}
            for key, values in rows.items():
                self._rows.setdefault(key, [])[:0] = values
            raise

    async def _write(
        self,
        lines: list[tuple[str, bytes]],
        metrics: dict[tuple[str, int], float],
        rows: dict[tuple[Any, tuple[str, ...]], list[dict[str, Any]]],
    ) -> None:
        async with session_scope(self.maker) as session:
            if self.seq is None:  # an earlier attempt's output goes on
                self.seq = await repository.last_log_seq(session, self.job_id)
            chunks = self._chunks(lines)
            metric_rows = []
            for (name, step), value in metrics.items():
                self.seq += 1
                metric_rows.append(
                    {
                        "job_id": self.job_id,
                        "name": name,
                        "step": step,
                        "value": value,
                        "seq": self.seq,
                    }
                )
            await repository.insert_log_chunks(session, chunks)
            await repository.upsert_metrics(session, metric_rows)
            for (table, unique), values in rows.items():
                await repository.upsert_rows(session, table, _last_of_each(values, unique), unique)

    def _chunks(self, lines: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
        """Consecutive lines of one stream as one chunk, each with the next seq."""
        assert self.seq is not None
        now = utcnow()
        chunks: list[dict[str, Any]] = []
        parts: list[list[bytes]] = []
        for stream, data in lines:
            if chunks and chunks[-1]["stream"] == stream:
                parts[-1].append(data)
                continue
            self.seq += 1
            chunks.append({"job_id": self.job_id, "seq": self.seq, "stream": stream})
            parts.append([data])
        for chunk, pieces in zip(chunks, parts, strict=True):
            chunk["chunk"] = b"".join(pieces).decode("utf-8", "replace")
            chunk["created_at"] = now
        return chunks


def _last_of_each(rows: list[dict[str, Any]], unique: Sequence[str]) -> list[dict[str, Any]]:
    # One statement cannot touch a row twice (PostgreSQL refuses ON CONFLICT then).
    return list({tuple(r[u] for u in unique): r for r in rows}.values())


def _event(kind: str, last_seq: int, data: Any) -> dict[str, str]:
    return {"event": kind, "id": str(last_seq), "data": orjson.dumps(data).decode()}


# What each line of a stdout chunk is, in the kind's own terms (None: plain text).
DescribeLines = Callable[[str], list[dict[str, Any] | None]]


async def events(
    maker: Maker,
    kind: JobKind,
    job_id: uuid.UUID,
    after_seq: int,
    *,
    describe: DescribeLines | None = None,
    watch: JobWatch | None = None,
    allowed: Callable[[AsyncSession], Awaitable[bool]] | None = None,
    poll_s: float = POLL_INTERVAL_S,
    heartbeat_s: float = HEARTBEAT_S,
) -> AsyncGenerator[dict[str, str], None]:
    """SSE events of a job from `after_seq` on: `status` first and when it changes,
    `log` ({seq, stream, text, events}: `events` one entry per line, what `describe`
    makes of a stdout line, else None) and `metric` ({name, step, value}) in the order
    they were written, `heartbeat` when idle, and `end` once the job is over and
    everything was sent. Every event's id is the last seq sent, so a client resuming from
    Last-Event-ID misses nothing and is sent nothing twice. Between reads it waits for
    `watch` (the process's JobWatch; a private one polling every `poll_s` if none) to
    say the job moved, or for the next heartbeat. With `allowed` (is the client's token
    still active?), asked at every read, the stream stops, sending nothing more, once it
    says no."""
    watch = watch or JobWatch(maker, poll_s)
    async with watch.watching(kind, job_id) as moved:
        stream = _events(maker, kind, job_id, after_seq, describe, allowed, moved, heartbeat_s)
        async for event in stream:
            yield event


async def _events(
    maker: Maker,
    kind: JobKind,
    job_id: uuid.UUID,
    after_seq: int,
    describe: DescribeLines | None,
    allowed: Callable[[AsyncSession], Awaitable[bool]] | None,
    moved: asyncio.Event,
    heartbeat_s: float,
) -> AsyncGenerator[dict[str, str], None]:
    last_seq, status = after_seq, None
    beat = time.monotonic()
    while True:
        moved.clear()  # before reading: a move after the read wakes the wait below
        # A client that leaves mid-read cancels this task, and sse-starlette's cancel
        # scope cancels every await after it, the pool's rollback of the connection
        # too. The read (milliseconds) is finished first; the cancel lands after it.
        with anyio.CancelScope(shield=True):
            async with session_scope(maker) as session:
                if allowed is not None and not await allowed(session):
                    return  # its token was revoked
                # The job first: once it reads as ended, its last output was committed
                # before (the runner flushes, then writes the end), so the reads below
                # have it. Then a bound: a seq that is committed, so every flush up to
                # it is (flushes commit in order), and both reads stop there.
                job = await repository.get_job(session, kind, job_id)
                bound = await repository.last_log_seq(session, job_id)
                chunks = await repository.log_chunks_after(session, job_id, last_seq, PAGE)
                chunks = [c for c in chunks if c.seq <= bound]
                if len(chunks) == PAGE:
                    bound = chunks[-1].seq
                points = await repository.metrics_between(session, job_id, last_seq, bound)
        if job is None:  # deleted while streaming
            yield _event("end", last_seq, {"status": None})
            return
        if job.status != status:
            status = job.status
            yield _event("status", last_seq, {"status": status, "attempt": job.attempt})
        items: list[JobLogChunk | JobMetric] = sorted([*chunks, *points], key=_seq)
        for item in items:
            if isinstance(item, JobMetric):
                data = {"name": item.name, "step": item.step, "value": item.value}
                yield _event("metric", item.seq, data)
            else:
                yield _event("log", item.seq, _log_data(item, describe))
            last_seq = item.seq
        if len(chunks) == PAGE:
            continue  # more is waiting: no sleep
        last_seq = max(last_seq, bound)
        if status in TERMINAL_STATES:
            yield _event("end", last_seq, {"status": status})
            return
        if chunks or points:
            beat = time.monotonic()
        elif time.monotonic() - beat >= heartbeat_s:
            beat = time.monotonic()
            yield _event("heartbeat", last_seq, {"time": utcnow().isoformat()})
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, beat + heartbeat_s - time.monotonic())):
                await moved.wait()


def _log_data(chunk: JobLogChunk, describe: DescribeLines | None) -> dict[str, Any]:
    if describe is not None and chunk.stream == "stdout":
        described = describe(chunk.chunk)
    else:
        described = [None] * _line_count(chunk.chunk)
    return {"seq": chunk.seq, "stream": chunk.stream, "text": chunk.chunk, "events": described}


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _seq(item: JobLogChunk | JobMetric) -> int:
    return item.seq
