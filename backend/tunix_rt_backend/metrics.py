"""Prometheus metrics (`GET /metrics`, and `tunix-rt worker --metrics-port`).

What the database knows (jobs by kind and status, the queue's depth) is read at each
scrape by the collectors that domains add, so every process reports the same truth.
What only one process sees (HTTP requests, its database writes, the jobs its worker
executed) is counted in that process. Imports no domain.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Seconds: jobs last from a second (a dry run) to days.
JOB_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 48 * 3600)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_WRITES = ("INSERT", "UPDATE", "DELETE")
# Reads the database at a scrape and sets the gauges it made in `Metrics.registry`.
Collector = Callable[[AsyncSession], Awaitable[None]]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.job_duration = Histogram(
            "tunix_job_duration_seconds",
            "Job duration on a worker, from its claim to its end, by kind and end status",
            ["kind", "status"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.enqueue_to_start = Histogram(
            "tunix_job_enqueue_to_start_seconds",
            "From a job's queueing to a worker's claim",
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
        self._collectors: list[Collector] = []

    def add_collector(self, collect: Collector) -> None:
        self._collectors.append(collect)

    def job_claimed(self, queued_at: Any, claimed_at: Any) -> None:
        if queued_at is not None and claimed_at is not None:
            self.enqueue_to_start.observe(max((claimed_at - queued_at).total_seconds(), 0.0))

    def job_ended(self, kind: str, status: str, seconds: float) -> None:
        if status != "superseded":  # another attempt owns the job's end
            self.job_duration.labels(kind, status).observe(seconds)

    async def exposition(self, session: AsyncSession | None) -> bytes:
        if session is not None:
            for collect in self._collectors:
                await collect(session)
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
        # The labelled children, looked up once per (method, route, status): a label
        # lookup validates and locks, twice per request. Routes and statuses are few.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

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
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            key = (scope["method"], getattr(route, "path", None) or "unmatched", code)
            children = self._children.get(key)
            if children is None:
                method, template, _ = key
                children = self._children[key] = (
                    self.metrics.http_requests.labels(method, template, str(code)),
                    self.metrics.http_latency.labels(method, template),
                )
            count, latency = children
            count.inc()
            latency.observe(elapsed)
