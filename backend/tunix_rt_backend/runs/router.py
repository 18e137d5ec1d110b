from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.deps import SessionDep, SessionMakerDep, SettingsDep
from tunix_rt_backend.errors import (
    Forbidden,
    NotAvailable,
    NotFound,
    Unauthorized,
    responses,
)
from tunix_rt_backend.kit.pagination import Page, PageParamsDep
from tunix_rt_backend.runs import service
from tunix_rt_backend.runs.schemas import (
    RunDetail,
    RunFilters,
    RunMode,
    RunRequest,
    RunResult,
    RunState,
    RunStatus,
    RunSummary,
    TunixStatus,
)
from tunix_rt_backend.runs.status import tunix_status

router = APIRouter(
    prefix="/api/tunix",
    tags=["tunix"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)


def _wake(request: Request) -> Callable[[], None] | None:
    """Nudges this process's embedded worker, if it has one."""
    worker = getattr(request.app.state, "worker", None)
    return worker.wake if worker is not None else None


@router.get("/status", response_model=TunixStatus)
async def get_tunix_status() -> TunixStatus:
    """Whether the Tunix runtime is installed, its version, JAX's devices and the
    built-in models."""
    return await tunix_status()


@router.post(
    "/run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunResult,
    responses=responses(NotFound, NotAvailable, validation=True),
)
async def run_tunix(
    request: Request,
    maker: SessionMakerDep,
    settings: SettingsDep,
    body: RunRequest,
    mode: Annotated[
        Literal["sync", "async"],
        Query(description="sync: wait for the end; async: queue for a worker, at once"),
    ] = "sync",
) -> RunResult:
    """Validate a run (`dry_run`, the default: each check with what it found, token
    counts and a step estimate) or train. `mode=sync` waits for the end (bounded by
    the run's timeout); `mode=async` answers at once with the run `pending` and a
    worker executes it. The run is recorded either way. 501 when training is asked
    for and Tunix is not installed."""
    return await service.submit(maker, settings, body, queue=mode == "async", wake=_wake(request))


@router.get("/runs", response_model=Page[RunSummary], responses=responses(validation=True))
async def list_runs(
    session: SessionDep,
    page: PageParamsDep,
    status: Annotated[RunState | None, Query()] = None,
    dataset_key: Annotated[str | None, Query(max_length=256)] = None,
    mode: Annotated[RunMode | None, Query()] = None,
) -> Page[RunSummary]:
    """Runs newest first, filtered by status, dataset and mode (all that are given);
    `limit`/`offset`, or `cursor` for deep pages."""
    filters = RunFilters(status=status, dataset_key=dataset_key, mode=mode)
    return await service.list_runs(session, page, filters)


@router.get(
    "/runs/{run_id}", response_model=RunDetail, responses=responses(NotFound, validation=True)
)
async def get_run(session: SessionDep, run_id: uuid.UUID) -> RunDetail:
    """One run: its configuration, timings, attempts, worker, and output tails."""
    return await service.get_run(session, run_id)


@router.get(
    "/runs/{run_id}/status",
    response_model=RunStatus,
    responses=responses(NotFound, validation=True),
)
async def get_run_status(session: SessionDep, run_id: uuid.UUID) -> RunStatus:
    """Just the state of a run, for polling."""
    return await service.get_status(session, run_id)


@router.post(
    "/runs/{run_id}/rerun",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunResult,
    responses=responses(NotFound, NotAvailable, validation=True),
)
async def rerun(
    request: Request, maker: SessionMakerDep, settings: SettingsDep, run_id: uuid.UUID
) -> RunResult:
    """A new run with the same configuration, queued for a worker."""
    return await service.rerun(maker, settings, run_id, _wake(request))
