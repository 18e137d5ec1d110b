"""Prometheus metrics (`GET /metrics`, and `tunix-rt worker --metrics-port`).

Run counts by status and the queue depth are read from the database at each scrape,
so every process reports the same truth. What only one process sees (HTTP requests,
its database writes, the runs its worker executed) is counted in that process.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tunix_rt_backend.runs import repository
from tunix_rt_backend.runs.schemas import RunState

RUN_STATES: tuple[RunState, ...] = (
    "pending",
    "running",
    "completed",
    "failed",
    "timeout",
    "cancelled",
)
# Seconds: runs last from a second (a dry run) to days.
RUN_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 48 * 3600)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_WRITES = ("INSERT", "UPDATE", "DELETE")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Gauge("tunix_runs", "Runs in the registry, by status", ["status"], registry=r)
        self.queue_depth = Gauge("tunix_run_queue_depth", "Runs waiting for a worker", registry=r)
        self.run_duration = Histogram(
            "tunix_run_duration_seconds",
            "Run duration, from start to end, by mode and end status",
            ["mode", "status"],
            buckets=RUN_BUCKETS,
            registry=r,
        )
        self.enqueue_to_start = Histogram(
            "tunix_run_enqueue_to_start_seconds",
            "From a run's queueing to a worker's claim",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.db_write = Histogram(
            "tunix_db_write_seconds",
            "Database write statements, by statement",
            ["statement"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.http_requests = Counter(
            "tunix_http_requests",
            "HTTP requests, by method, route and status code",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_latency = Histogram(
            "tunix_http_request_duration_seconds",
            "HTTP request latency, by method and route",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def run_claimed(self, queued_at: Any, claimed_at: Any) -> None:
        if queued_at is not None and claimed_at is not None:
            self.enqueue_to_start.observe(max((claimed_at - queued_at).total_seconds(), 0.0))

    def run_ended(self, mode: str, status: str, seconds: float | None) -> None:
        if seconds is not None and status in RUN_STATES:
            self.run_duration.labels(mode, status).observe(seconds)

    async def exposition(self, session: AsyncSession | None) -> bytes:
        if session is not None:
            counts = await repository.count_by_status(session)
            for state in RUN_STATES:
                self.runs.labels(state).set(counts.get(state, 0))
            self.queue_depth.set(counts.get("pending", 0))
        return generate_latest(self.registry)

    def observe_write(self, verb: str, seconds: float) -> None:
        """A statement's time, if it writes (a worker's DriverQueue reports its own)."""
        if verb in _WRITES:
            self.db_write.labels(verb).observe(seconds)

    def watch_writes(self, engine: AsyncEngine) -> None:
        """Times every INSERT/UPDATE/DELETE the engine sends."""

        def before(conn: Any, _c: Any, statement: str, *_: Any) -> None:
            conn.info.setdefault("metrics_t0", []).append(time.perf_counter())

        def after(conn: Any, _c: Any, statement: str, *_: Any) -> None:
            started = conn.info.get("metrics_t0")
            if not started:
                return
            t0 = started.pop()
            self.observe_write(statement.lstrip()[:6].upper(), time.perf_counter() - t0)

        event.listen(engine.sync_engine, "before_cursor_execute", before)
        event.listen(engine.sync_engine, "after_cursor_execute", after)


class HttpMetrics:
    """ASGI middleware: counts and times requests by route template (never the raw
    path, which would make a label per run id)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        code = 500

        async def send_status(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.http_requests.labels(method, template, str(code)).inc()
            self.metrics.http_latency.labels(method, template).observe(
                time.perf_counter() - started
            )
