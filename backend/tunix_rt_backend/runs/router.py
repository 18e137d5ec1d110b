from __future__ import annotations

from fastapi import APIRouter, Depends, status

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.deps import SessionMakerDep, SettingsDep
from tunix_rt_backend.errors import (
    Forbidden,
    NotAvailable,
    NotFound,
    Unauthorized,
    responses,
)
from tunix_rt_backend.runs import service
from tunix_rt_backend.runs.schemas import RunRequest, RunResult, TunixStatus
from tunix_rt_backend.runs.status import tunix_status

router = APIRouter(
    prefix="/api/tunix",
    tags=["tunix"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)


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
async def run_tunix(maker: SessionMakerDep, settings: SettingsDep, body: RunRequest) -> RunResult:
    """Validate a run (`dry_run`, the default: each check with what it found, token
    counts and a step estimate) or train now and wait for the end (bounded by
    TUNIX_RUN_TIMEOUT_SECONDS). The run is recorded either way. 501 when training is
    asked for and Tunix is not installed."""
    return await service.run(maker, settings, body)
