"""create_app(): settings, database, routers, error handlers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Response
from fastapi.openapi.utils import get_openapi

from tunix_rt_backend import __version__
from tunix_rt_backend.auth.cache import AuthCache
from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.auth.router import router as auth_router
from tunix_rt_backend.browser import BrowserGuard, default_allowed_hosts
from tunix_rt_backend.datasets.router import router as datasets_router
from tunix_rt_backend.datasets.router import sft_router
from tunix_rt_backend.db.engine import create_engine, create_sessionmaker, session_scope
from tunix_rt_backend.deps import SessionMakerDep
from tunix_rt_backend.error_handlers import install_error_handlers
from tunix_rt_backend.errors import Forbidden, Unauthorized, responses
from tunix_rt_backend.evaluation.router import router as evaluations_router
from tunix_rt_backend.evaluation.router import run_router as run_evaluations_router
from tunix_rt_backend.generators.router import router as generators_router
from tunix_rt_backend.health.rediai import RediHealthProbe
from tunix_rt_backend.health.router import router as health_router
from tunix_rt_backend.job_kinds import job_kinds
from tunix_rt_backend.jobs.service import add_queue_metrics
from tunix_rt_backend.jobs.watch import JobWatch
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.kit.body import body_component_schemas
from tunix_rt_backend.metrics import HttpMetrics, Metrics
from tunix_rt_backend.registry.router import dataset_router as dataset_lineage_router
from tunix_rt_backend.registry.router import router as registry_router
from tunix_rt_backend.regression.router import router as regression_router
from tunix_rt_backend.runs.router import router as runs_router
from tunix_rt_backend.serving.pool import ModelPool
from tunix_rt_backend.serving.router import router as serving_router
from tunix_rt_backend.serving.router import status_router as serving_status_router
from tunix_rt_backend.settings import Settings, load_settings
from tunix_rt_backend.traces.router import router as traces_router
from tunix_rt_backend.tuning.router import router as tuning_router
from tunix_rt_backend.ui import mount_ui
from tunix_rt_backend.webhooks.router import router as webhooks_router
from tunix_rt_backend.webhooks.sender import WebhookSender

log = logging.getLogger("tunix_rt")


def create_app(settings: Settings | None = None, *, worker: bool = False) -> FastAPI:
    """The application; `worker`: with an embedded queue worker (`tunix-rt serve`)."""
    settings = settings or load_settings()
    engine = create_engine(settings)
    metrics = Metrics()
    metrics.watch_writes(engine)
    kinds = job_kinds()
    add_queue_metrics(metrics, kinds)
    maker = create_sessionmaker(engine)
    embedded = QueueWorker(maker, settings, kinds, metrics=metrics) if worker else None
    webhooks = WebhookSender(maker, settings)
    model_pool = ModelPool(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far lives as long as the process: move it out of the
        # collector's reach, so full collections (triggered by parsing large batches)
        # stop rescanning it. Cuts 75-100 ms pauses to a few ms.
        gc.freeze()
        task = asyncio.create_task(embedded.run()) if embedded is not None else None
        if task is not None:
            task.add_done_callback(_report_worker_end)
        sending = asyncio.create_task(webhooks.run()) if webhooks.enabled else None
        yield
        await model_pool.close()
        if sending is not None:
            webhooks.stop()
            with contextlib.suppress(Exception):
                await sending
        if embedded is not None and task is not None:
            embedded.stop()
            with contextlib.suppress(Exception):
                await task
        await engine.dispose()

    # /docs is served from the built UI's pinned Swagger UI (ui.py), not FastAPI's CDN page.
    app = FastAPI(
        title="Tunix RT", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = maker
    app.state.job_watch = JobWatch(maker)
    app.state.metrics = metrics
    app.state.worker = embedded
    app.state.redi_probe = RediHealthProbe(settings)
    app.state.auth_cache = AuthCache(settings.auth_cache_seconds)
    app.state.model_pool = model_pool

    install_error_handlers(app)
    # The UI calls the API on its own origin: built, from this server; in development,
    # through Vite's proxy (vite.config.ts). No CORS is needed; the development server's
    # pages may change data.
    dev_origins = [f"http://{host}:{settings.frontend_port}" for host in ("localhost", "127.0.0.1")]
    app.add_middleware(
        BrowserGuard,
        allowed_hosts=default_allowed_hosts(settings.backend_host, settings.allowed_hosts),
        trusted_origins=dev_origins,
    )
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(traces_router)
    app.include_router(datasets_router)
    app.include_router(sft_router)
    app.include_router(generators_router)
    app.include_router(runs_router)
    app.include_router(run_evaluations_router)
    app.include_router(evaluations_router)
    app.include_router(regression_router)
    app.include_router(registry_router)
    app.include_router(dataset_lineage_router)
    app.include_router(webhooks_router)
    app.include_router(serving_router)
    app.include_router(serving_status_router)
    app.include_router(tuning_router)
    _install_metrics(app, metrics)
    mount_ui(app, settings.ui_dir)
    _install_openapi(app)
    return app


def _report_worker_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the embedded worker stopped", exc_info=task.exception())


def _install_metrics(app: FastAPI, metrics: Metrics) -> None:
    app.add_middleware(HttpMetrics, metrics=metrics)

    @app.get(
        "/metrics",
        tags=["health"],
        dependencies=[Depends(require_access)],
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}, **responses(Unauthorized, Forbidden)},
    )
    async def prometheus_metrics(maker: SessionMakerDep) -> Response:
        """Prometheus text format: jobs by kind and status, queue depth, job durations,
        enqueue-to-start latency, database write latency, HTTP requests."""
        async with session_scope(maker) as session:
            body = await metrics.exposition(session)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


def _install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(body_component_schemas())
            _openai_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _openai_errors(schema: dict[str, Any]) -> None:
    """Under /v1 a bad parameter is OpenAI's 400, never FastAPI's 422."""
    for path, operations in schema.get("paths", {}).items():
        if path.startswith("/v1/"):
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
