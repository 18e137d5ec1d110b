from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.deps import OffsetQuery, SessionDep, SessionMakerDep, SettingsDep
from tunix_rt_backend.errors import (
    Conflict,
    Forbidden,
    NotAvailable,
    NotFound,
    Unauthorized,
    responses,
)
from tunix_rt_backend.jobs.service import NoWorker
from tunix_rt_backend.kit.json_input import CheckedRoute
from tunix_rt_backend.kit.pagination import MAX_LIMIT, Page
from tunix_rt_backend.tuning import service
from tunix_rt_backend.tuning.schemas import (
    TuningJob,
    TuningJobCreate,
    TuningJobDetail,
    TuningTrial,
)

router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/tuning/jobs",
    tags=["tuning"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TuningJob,
    responses=responses(NotFound, NotAvailable, validation=True),
)
async def create_tuning_job(
    session: SessionDep, settings: SettingsDep, body: TuningJobCreate
) -> TuningJob:
    """A study, stored as `created`: the search space, the metric the trials report
    (eval_loss or train_loss), the search algorithm (random or Optuna's TPE), the
    scheduler (ASHA or FIFO) and the training settings every trial shares. 422 naming
    the field for anything a trial could not be given; 404 unknown dataset or model;
    501 `TuningNotAvailable` without the `tuning` extra."""
    return await service.create(session, settings, body)


@router.get("", response_model=Page[TuningJob])
async def list_tuning_jobs(
    session: SessionDep, limit: Limit = 20, offset: OffsetQuery = 0
) -> Page[TuningJob]:
    """Studies, newest first, as `{data, pagination}` (the seed's bare array is not)."""
    return await service.list_jobs(session, limit, offset)


@router.get("/{job_id}", response_model=TuningJobDetail, responses=responses(NotFound))
async def get_tuning_job(session: SessionDep, job_id: uuid.UUID) -> TuningJobDetail:
    """A study with its trials, best first."""
    return await service.get(session, job_id)


@router.get("/{job_id}/trials", response_model=Page[TuningTrial], responses=responses(NotFound))
async def list_tuning_trials(
    session: SessionDep,
    job_id: uuid.UUID,
    sort: Literal["metric", "created"] = "metric",
    limit: Limit = 50,
    offset: OffsetQuery = 0,
) -> Page[TuningTrial]:
    """A study's trials: best metric first (unmeasured last), or in the order they began."""
    return await service.list_trials(session, job_id, sort, limit, offset)


@router.post(
    "/{job_id}/start",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TuningJob,
    responses=responses(NotFound, Conflict, NotAvailable, NoWorker),
)
async def start_tuning_job(
    maker: SessionMakerDep, settings: SettingsDep, job_id: uuid.UUID
) -> TuningJob:
    """Queue a `created` study for a worker, which runs its driver (Ray Tune); 409 once
    started; 501 without Ray Tune or Tunix; 503 `NoWorker` when no worker is alive."""
    return await service.start(maker, settings, job_id)


@router.post("/{job_id}/cancel", response_model=TuningJob, responses=responses(NotFound, Conflict))
async def cancel_tuning_job(maker: SessionMakerDep, job_id: uuid.UUID) -> TuningJob:
    """Created or queued: cancelled at once. Running: every trial's run is stopped
    (a final checkpoint each) and ends `cancelled`. 409 once ended."""
    return await service.cancel(maker, job_id)
