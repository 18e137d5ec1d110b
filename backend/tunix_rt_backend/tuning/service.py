"""Hyperparameter studies: made (`created`), started (queued as a `tune` job), watched
and cancelled. Bad input and conflicts change nothing. Ray is never imported here: the
driver (tuning/driver.py) runs in a process of its own on a worker."""

from __future__ import annotations

import functools
import importlib.util
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import TuningJob as TuningJobRow
from tunix_rt_backend.db.models import TuningTrial as TuningTrialRow
from tunix_rt_backend.errors import Conflict, NotAvailable, NotFound, ValidationFailed, field_error
from tunix_rt_backend.jobs import service as jobs
from tunix_rt_backend.jobs.kinds import Maker
from tunix_rt_backend.kit.pagination import Page, offset_pagination
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs.runtime import tunix_available
from tunix_rt_backend.runs.service import TunixNotAvailable
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.training.catalog import ModelNotAvailable, is_builtin, local_checkpoint_dir
from tunix_rt_backend.training.manifest import TrainingSection
from tunix_rt_backend.tuning.execution import TUNE
from tunix_rt_backend.tuning.schemas import (
    EVALUATED,
    TuningJob,
    TuningJobCreate,
    TuningJobDetail,
    TuningTrial,
    space_errors,
)


class TuningJobNotFound(NotFound):
    pass


class TuningModelNotFound(NotFound):
    pass


class TuningNotAvailable(NotAvailable):
    pass


class TuningJobConflict(Conflict):
    pass


@functools.cache
def tuning_available() -> bool:
    """Whether the `tuning` extra (Ray Tune and Optuna) is installed; asked once."""
    return all(importlib.util.find_spec(name) is not None for name in ("ray", "optuna"))


def _require_tuning() -> None:
    if not tuning_available():
        raise TuningNotAvailable(
            "Ray Tune is not installed here: install the `tuning` extra "
            "(pip install -e 'backend[tuning]'; make run and make test do)."
        )


def _check(request: TuningJobCreate) -> dict[str, Any]:
    """The cross-field rules the schema cannot state: 422 naming each field. Returns the
    shared training settings, checked."""
    errors = [
        field_error(("body", "search_space", key), message, "value_error")
        for key, message in space_errors(request.search_space)
    ]
    for key in request.training:
        if key in request.search_space:
            errors.append(
                field_error(
                    ("body", "training", key),
                    "varied by the search space: leave it out of `training`",
                    "value_error",
                )
            )
    try:
        training = TrainingSection.model_validate(request.training)
    except ValidationError as exc:
        errors += [
            field_error(("body", "training", *e["loc"]), e["msg"], e["type"]) for e in exc.errors()
        ]
        training = None
    if errors:
        raise ValidationFailed(errors)
    assert training is not None
    return training.model_dump(include=set(request.training))


async def create(session: AsyncSession, settings: Settings, request: TuningJobCreate) -> TuningJob:
    training = _check(request)
    if request.metric_name == EVALUATED and request.scheduler == "asha":
        raise ValidationFailed.field(
            ("body", "scheduler"),
            "asha compares trials as they train, and primary_score exists only once a "
            "trial's evaluation has ended: use fifo, or tune on eval_loss",
            "value_error",
        )
    dataset = await datasets_service.get_manifest(session, request.dataset_key)
    if request.metric_name in ("eval_loss", EVALUATED) and dataset.split.eval == 0:
        raise ValidationFailed.field(
            ("body", "metric_name"),
            f"dataset {request.dataset_key!r} holds no eval split, so trials report no "
            f"{request.metric_name}: build it with an eval_ratio, or tune on train_loss",
            "value_error",
        )
    try:
        if not is_builtin(request.base_model_id):
            local_checkpoint_dir(request.base_model_id, settings.models_root)
    except ModelNotAvailable as exc:
        raise TuningModelNotFound(str(exc)) from None
    _require_tuning()
    now = utcnow()
    row = TuningJobRow(
        id=uuid.uuid4(),
        name=request.name,
        status="created",
        dataset_key=request.dataset_key,
        base_model_id=request.base_model_id,
        mode="local",
        metric_name=request.metric_name,
        metric_mode=request.metric_mode,
        num_samples=request.num_samples,
        max_concurrent_trials=request.max_concurrent_trials,
        search_alg=request.search_alg,
        scheduler=request.scheduler,
        seed=request.seed,
        search_space_json={
            k: v.model_dump(exclude_none=True) for k, v in request.search_space.items()
        },
        training_json=training,
        started_at=now,
        created_at=now,
        attempt=0,
        max_attempts=3,
    )
    session.add(row)
    await session.flush()
    return job_of(row)


async def start(maker: Maker, settings: Settings, job_id: uuid.UUID) -> TuningJob:
    """created -> pending (a worker's driver runs it). 409 unless created; 501 without
    Ray or Tunix; 503 without a live worker."""
    async with session_scope(maker) as session:
        row = await _get(session, job_id)
        _require_tuning()
        if not tunix_available():
            raise TunixNotAvailable(
                "Tunix is not installed here, so trials cannot train: install the `tunix` extra"
            )
        if row.status != "created":
            raise TuningJobConflict(f"tuning job {job_id} is {row.status}: it was started already")
        await jobs.require_live_worker(session, settings, "a tuning job")
        if not await jobs.queue_created(session, TUNE, job_id):
            raise TuningJobConflict(f"tuning job {job_id} was started already")
    async with session_scope(maker) as session:
        return job_of(await _get(session, job_id))


async def cancel(maker: Maker, job_id: uuid.UUID) -> TuningJob:
    """Created or pending: cancelled at once; running: its driver stops every trial
    (each run checkpoints and ends `cancelled`). 409 once ended."""
    row = await jobs.cancel(maker, TUNE, job_id, TuningJobNotFound, TuningJobConflict)
    return job_of(row)


async def get(session: AsyncSession, job_id: uuid.UUID) -> TuningJobDetail:
    row = await _get(session, job_id)
    trials = await session.scalars(
        select(TuningTrialRow)
        .where(TuningTrialRow.tuning_job_id == job_id)
        .order_by(*_best_first(row), TuningTrialRow.created_at)
    )
    return TuningJobDetail(**job_of(row).model_dump(), trials=[trial_of(t) for t in trials])


async def list_jobs(session: AsyncSession, limit: int, offset: int) -> Page[TuningJob]:
    rows = list(
        await session.scalars(
            select(TuningJobRow)
            .order_by(TuningJobRow.created_at.desc(), TuningJobRow.id)
            .limit(limit + 1)
            .offset(offset)
        )
    )
    data = [job_of(r) for r in rows[:limit]]
    return Page[TuningJob](
        data=data, pagination=offset_pagination(limit, offset, len(rows) > limit)
    )


async def list_trials(
    session: AsyncSession, job_id: uuid.UUID, sort: str, limit: int, offset: int
) -> Page[TuningTrial]:
    """A study's trials: by the metric (best first, unmeasured last) or as created."""
    job = await _get(session, job_id)
    order = _best_first(job) if sort == "metric" else []
    rows = list(
        await session.scalars(
            select(TuningTrialRow)
            .where(TuningTrialRow.tuning_job_id == job_id)
            .order_by(*order, TuningTrialRow.created_at, TuningTrialRow.id)
            .limit(limit + 1)
            .offset(offset)
        )
    )
    data = [trial_of(t) for t in rows[:limit]]
    return Page[TuningTrial](
        data=data, pagination=offset_pagination(limit, offset, len(rows) > limit)
    )


def _best_first(job: TuningJobRow) -> list[Any]:
    value = TuningTrialRow.metric_value
    return [value.is_(None), value.desc() if job.metric_mode == "max" else value.asc()]


async def _get(session: AsyncSession, job_id: uuid.UUID) -> TuningJobRow:
    row = await session.get(TuningJobRow, job_id)
    if row is None:
        raise TuningJobNotFound(f"no tuning job {job_id}")
    return row


def job_of(row: TuningJobRow) -> TuningJob:
    return TuningJob(
        id=row.id,
        name=row.name,
        status=row.status,
        dataset_key=row.dataset_key,
        base_model_id=row.base_model_id,
        mode=row.mode,
        metric_name=row.metric_name,
        metric_mode=row.metric_mode,
        num_samples=row.num_samples,
        max_concurrent_trials=row.max_concurrent_trials,
        search_alg=row.search_alg,
        scheduler=row.scheduler,
        seed=row.seed,
        search_space=row.search_space_json,
        training=row.training_json,
        best_run_id=row.best_run_id,
        best_params=row.best_params_json,
        best_metric_value=row.best_metric_value,
        message=row.message,
        error=row.error,
        created_at=row.created_at,
        queued_at=row.queued_at,
        completed_at=row.completed_at,
        attempt=row.attempt,
    )


def trial_of(row: TuningTrialRow) -> TuningTrial:
    return TuningTrial(
        id=row.id,
        trial_key=row.trial_key,
        run_id=row.run_id,
        params=row.params_json,
        metric_value=row.metric_value,
        status=row.status,
        stopped_step=row.stopped_step,
        error=row.error,
        created_at=row.created_at,
        completed_at=row.completed_at,
    )
