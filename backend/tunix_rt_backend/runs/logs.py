"""A run's output as it happens: `RunLog` stores the lines (and the metrics in the
`metric` events) in batches while the run goes on; `events` streams them to SSE
clients, resumable by `seq`, from short-lived sessions."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncGenerator
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs import repository
from tunix_rt_backend.runs.schemas import TERMINAL_STATES

Maker = async_sessionmaker[AsyncSession]

FLUSH_INTERVAL_S = 0.1
FLUSH_LINES = 2000
POLL_INTERVAL_S = 0.2
HEARTBEAT_S = 10.0
PAGE = 500
METRIC_PREFIX = b'{"event":"metric"'


class RunLog:
    """Collects lines from the run's streams and writes them every FLUSH_INTERVAL_S
    (sooner past FLUSH_LINES): consecutive lines of one stream become one chunk with
    the next `seq`. `line` is called from the reading loop and never waits."""

    def __init__(self, maker: Maker, run_id: uuid.UUID) -> None:
        self.maker = maker
        self.run_id = run_id
        self.seq = 0
        self._lines: list[tuple[str, bytes]] = []
        self._metrics: dict[tuple[str, int], float] = {}
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.lines = 0

    async def __aenter__(self) -> RunLog:
        async with session_scope(self.maker) as session:
            self.seq = await repository.last_log_seq(session, self.run_id)
        self._task = asyncio.create_task(self._flush_loop())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    def line(self, stream: str, data: bytes) -> None:
        self._lines.append((stream, data))
        self.lines += 1
        if stream == "stdout" and data.startswith(METRIC_PREFIX):
            self._metric(data)
        if len(self._lines) >= FLUSH_LINES:
            self._full.set()

    def text(self, stream: str, text: str) -> None:
        for line in text.splitlines(keepends=True):
            self.line(stream, line.encode())

    def _metric(self, data: bytes) -> None:
        with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            event = orjson.loads(data)
            if event["step"] is not None:
                self._metrics[(str(event["name"])[:64], int(event["step"]))] = float(event["value"])

    async def _flush_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), FLUSH_INTERVAL_S)
            self._full.clear()
            await self.flush()

    async def flush(self) -> None:
        lines, self._lines = self._lines, []
        metrics, self._metrics = self._metrics, {}
        if not lines and not metrics:
            return
        now = utcnow()
        chunks: list[dict[str, Any]] = []
        for stream, data in lines:
            if chunks and chunks[-1]["stream"] == stream:
                chunks[-1]["parts"].append(data)
                continue
            self.seq += 1
            chunks.append({"seq": self.seq, "stream": stream, "parts": [data]})
        rows = [
            {
                "run_id": self.run_id,
                "seq": c["seq"],
                "stream": c["stream"],
                "chunk": b"".join(c["parts"]).decode("utf-8", "replace"),
                "created_at": now,
            }
            for c in chunks
        ]
        metric_rows = [
            {"run_id": self.run_id, "name": name, "step": step, "value": value}
            for (name, step), value in metrics.items()
        ]
        async with session_scope(self.maker) as session:
            await repository.insert_log_chunks(session, rows)
            await repository.upsert_metrics(session, metric_rows)


def _event(kind: str, last_seq: int, data: Any) -> dict[str, str]:
    return {"event": kind, "id": str(last_seq), "data": orjson.dumps(data).decode()}


async def events(
    maker: Maker,
    run_id: uuid.UUID,
    after_seq: int,
    *,
    poll_s: float = POLL_INTERVAL_S,
    heartbeat_s: float = HEARTBEAT_S,
) -> AsyncGenerator[dict[str, str], None]:
    """SSE events of a run from `after_seq` on: `status` first and when it changes,
    `log` (id = its seq), `metric` for each stored point, `heartbeat` when idle, and `end` once the
    run is over and every chunk was sent. Every event's id is the last seq sent, so a
    client resuming from Last-Event-ID misses nothing and sees nothing twice."""
    last_seq, last_metric, status = after_seq, 0, None
    beat = time.monotonic()
    while True:
        async with session_scope(maker) as session:
            # The run first: once it reads as ended, its last chunks were committed
            # before (the runner flushes, then writes the end), so the next read has them.
            run = await repository.get_run(session, run_id)
            chunks = await repository.log_chunks_after(session, run_id, last_seq, PAGE)
            points = await repository.metrics_after(session, run_id, last_metric)
        if run is None:  # deleted while streaming
            yield _event("end", last_seq, {"status": None})
            return
        if run.status != status:
            status = run.status
            yield _event("status", last_seq, {"status": status, "attempt": run.attempt})
        for chunk in chunks:
            last_seq = chunk.seq
            yield _event(
                "log", last_seq, {"seq": chunk.seq, "stream": chunk.stream, "text": chunk.chunk}
            )
        for point in points:
            last_metric = max(last_metric, point.id)
            yield _event(
                "metric", last_seq, {"name": point.name, "step": point.step, "value": point.value}
            )
        if len(chunks) == PAGE:
            continue  # more is waiting: no sleep
        if status in TERMINAL_STATES:
            yield _event("end", last_seq, {"status": status})
            return
        if chunks or points:
            beat = time.monotonic()
        elif time.monotonic() - beat >= heartbeat_s:
            beat = time.monotonic()
            yield _event("heartbeat", last_seq, {"time": utcnow().isoformat()})
        await asyncio.sleep(poll_s)
