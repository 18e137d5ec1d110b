"""Business rules of evaluations: what may be evaluated (a completed run with a
checkpoint, or a base model), queuing one (a synchronous request waits for its end),
reading one with its items, the leaderboard and the judges. Raises AppError; commits
through `session_scope`. How a worker executes one is evaluation/execution.py."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.datasets.schemas import DatasetManifest
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import Evaluation, TunixRun
from tunix_rt_backend.errors import AppError, Conflict, NotFound
from tunix_rt_backend.evaluation import repository
from tunix_rt_backend.evaluation.execution import EVALUATE, PROGRESS_METRIC
from tunix_rt_backend.evaluation.judges import JUDGES, check_judge, make_judge, unavailable_reason
from tunix_rt_backend.evaluation.schemas import (
    BaseModelEvaluationRequest,
    EvaluateRequest,
    EvaluationDetail,
    Interval,
    ItemResult,
    JudgeInfo,
    JudgeRef,
    LeaderboardFilters,
    LeaderboardRow,
    Outcome,
    Progress,
    SplitName,
)
from tunix_rt_backend.jobs import service as jobs
from tunix_rt_backend.kit.pagination import Page, offset_pagination
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs.paths import output_path
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_SHA256
from tunix_rt_backend.training.catalog import ModelNotAvailable, is_builtin, local_checkpoint_dir

log = logging.getLogger("tunix_rt.evaluations")

Maker = async_sessionmaker[AsyncSession]
# A synchronous request waits for the evaluation's timeout plus this; then it answers
# with the evaluation as it is.
WAIT_MARGIN_S = 60


class RunNotFound(NotFound):
    pass


class EvaluationNotFound(NotFound):
    pass


class NotEvaluable(Conflict):
    """The run (or dataset) has nothing to score: a dry run, a run that did not
    complete, no checkpoint, an empty split."""


class EvaluationNotCancellable(Conflict):
    pass


class ModelNotFound(NotFound):
    pass


# --- queuing ---------------------------------------------------------------------------


async def evaluate_run(
    maker: Maker,
    settings: Settings,
    run_id: uuid.UUID,
    request: EvaluateRequest,
    *,
    wait: bool,
    wake: Callable[[], None] | None = None,
) -> EvaluationDetail:
    """Queue an evaluation of the run's final checkpoint; with `wait`, answer once it
    has ended. Bad input and conflicts change nothing."""
    judge = request.judge_override or settings.eval_default_judge
    check_judge(settings, judge, ("body", "judge_override"))
    async with session_scope(maker) as session:
        run = await session.get(TunixRun, run_id)
        if run is None:
            raise RunNotFound(f"no run {run_id}")
        _check_evaluable(settings, run)
        dataset = await datasets_service.get_manifest(session, run.dataset_key)
        row = _new_row(settings, dataset, run.model_id, run_id, judge, request)
        if wait:
            await jobs.require_live_worker(session, settings, "a synchronous evaluation")
        await jobs.enqueue(session, row)
    return await _after_enqueue(maker, settings, row, wait, wake)


async def evaluate_model(
    maker: Maker,
    settings: Settings,
    request: BaseModelEvaluationRequest,
    *,
    wait: bool,
    wake: Callable[[], None] | None = None,
) -> EvaluationDetail:
    """Queue an evaluation of a model as it is (no run): the baseline a fine-tune is
    measured against."""
    judge = request.judge or settings.eval_default_judge
    check_judge(settings, judge, ("body", "judge"))
    try:
        if not is_builtin(request.model_id):
            local_checkpoint_dir(request.model_id, settings.models_root)
    except ModelNotAvailable as exc:
        raise ModelNotFound(str(exc)) from None
    async with session_scope(maker) as session:
        dataset = await datasets_service.get_manifest(session, request.dataset_key)
        decoding = EvaluateRequest(
            **request.model_dump(
                include={"split", "batch_size", "max_new_tokens", "temperature", "top_p", "seed"}
            )
        )
        row = _new_row(settings, dataset, request.model_id, None, judge, decoding)
        if wait:
            await jobs.require_live_worker(session, settings, "a synchronous evaluation")
        await jobs.enqueue(session, row)
    return await _after_enqueue(maker, settings, row, wait, wake)


async def own_for_run(
    session: AsyncSession, settings: Settings, run_id: uuid.UUID, worker_id: str
) -> Evaluation:
    """An evaluation of the run with the default judge, inserted as the given worker's
    own job (running, attempt 1 of 1): a tuning trial's, whose metric it gives."""
    run = await session.get(TunixRun, run_id)
    if run is None:
        raise RunNotFound(f"no run {run_id}")
    _check_evaluable(settings, run)
    dataset = await datasets_service.get_manifest(session, run.dataset_key)
    row = _new_row(
        settings, dataset, run.model_id, run_id, settings.eval_default_judge, EvaluateRequest()
    )
    now = utcnow()
    row.status, row.worker_id, row.attempt, row.max_attempts = "running", worker_id, 1, 1
    row.queued_at = row.claimed_at = now
    session.add(row)
    await session.flush()
    return row


async def queue_for_run(maker: Maker, settings: Settings, run_id: uuid.UUID) -> None:
    """The evaluation a completed training run gets (EVAL_AUTO), with the default
    judge; a run that cannot be evaluated is logged, not raised."""
    try:
        await evaluate_run(maker, settings, run_id, EvaluateRequest(), wait=False)
    except AppError as exc:
        log.warning("run %s: no automatic evaluation: %s", run_id, exc.detail)
    else:
        log.info("run %s: evaluation queued (%s)", run_id, settings.eval_default_judge)


async def after_training(
    maker: Maker, settings: Settings, run: Any, values: dict[str, Any]
) -> None:
    """The train kind's `after_end`: a run that trained and completed is evaluated with
    the default judge (EVAL_AUTO)."""
    if settings.eval_auto and values.get("status") == "completed" and run.mode == "local":
        await queue_for_run(maker, settings, run.run_id)


def _check_evaluable(settings: Settings, run: TunixRun) -> None:
    if run.mode == "dry-run":
        raise NotEvaluable(f"run {run.run_id} is a dry run: it trained nothing to evaluate")
    if run.status != "completed":
        raise NotEvaluable(
            f"run {run.run_id} is {run.status}: only a completed run is evaluated "
            "(no score is made up for one that did not finish)"
        )
    step = (run.summary or {}).get("latest_checkpoint")
    if step is None or not (output_path(settings, run) / "checkpoints" / str(step)).is_dir():
        raise NotEvaluable(f"run {run.run_id} has no checkpoint to evaluate")


def _new_row(
    settings: Settings,
    dataset: DatasetManifest,
    model_id: str,
    run_id: uuid.UUID | None,
    judge_name: str,
    request: EvaluateRequest,
) -> Evaluation:
    size = _split_size(dataset, request.split)
    if size == 0:
        other = "train" if request.split == "eval" else "eval"
        raise NotEvaluable(
            f"dataset {dataset.dataset_key} has no {request.split} split (build it with an "
            f"eval_ratio, or ask for split={other!r})"
        )
    judge = make_judge(settings, judge_name)
    now = utcnow()
    return Evaluation(
        id=uuid.uuid4(),
        run_id=run_id,
        model_id=model_id,
        dataset_key=dataset.dataset_key,
        dataset_sha256=dataset.content_sha256,
        split=request.split,
        judge=judge.name,
        judge_version=judge.version,
        judge_config_hash=judge.config_hash,
        mock=judge.mock,
        decoding={
            "batch_size": request.batch_size or settings.eval_batch_size,
            "max_new_tokens": request.max_new_tokens,
            **_sampling(request),
            # The prompts' template: scores under two templates are not comparable.
            "template_sha256": TEMPLATE_SHA256,
        },
        n_items=size,
        n_scored=0,
        n_unscored=0,
        details={},
        status="pending",
        started_at=now,
        created_at=now,
        attempt=0,
        max_attempts=settings.run_max_attempts,
    )


def _sampling(request: EvaluateRequest) -> dict[str, Any]:
    """Greedy, or sampling with a recorded seed (a fresh one unless the request fixes it)."""
    if request.temperature == 0:
        return {"temperature": 0.0}
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    return {"temperature": request.temperature, "top_p": request.top_p, "seed": seed}


def _split_size(dataset: DatasetManifest, split: SplitName) -> int:
    return dataset.split.eval if split == "eval" else dataset.split.train


async def _after_enqueue(
    maker: Maker,
    settings: Settings,
    row: Evaluation,
    wait: bool,
    wake: Callable[[], None] | None,
) -> EvaluationDetail:
    if wake is not None:
        wake()
    if wait:
        limit = (
            settings.tunix_run_timeout_seconds
            + settings.worker_shutdown_grace_seconds
            + WAIT_MARGIN_S
        )
        row = await jobs.wait_for_end(maker, EVALUATE, row.id, limit)
    async with session_scope(maker) as session:
        return await _detail(session, row)


# --- reading ---------------------------------------------------------------------------


async def get(session: AsyncSession, evaluation_id: uuid.UUID) -> EvaluationDetail:
    return await _detail(session, await _get(session, evaluation_id))


async def _get(session: AsyncSession, evaluation_id: uuid.UUID) -> Evaluation:
    row = await repository.get(session, evaluation_id)
    if row is None:
        raise EvaluationNotFound(f"no evaluation {evaluation_id}")
    return row


async def latest_for_run(
    session: AsyncSession, run_id: uuid.UUID, judge: str | None
) -> EvaluationDetail:
    if await session.get(TunixRun, run_id) is None:
        raise RunNotFound(f"no run {run_id}")
    row = await repository.latest_for_run(session, run_id, judge)
    if row is None:
        by = f" by {judge}" if judge else ""
        raise EvaluationNotFound(f"run {run_id} has no evaluation{by} yet")
    return await _detail(session, row)


async def completed_records(session: AsyncSession, run_id: uuid.UUID) -> list[dict[str, Any]]:
    """The run's completed evaluations as a version of a model keeps them: score, judge,
    data and split (JSON values), oldest first."""
    return [
        {
            "evaluation_id": str(row.id),
            "judge": row.judge,
            "judge_version": row.judge_version,
            "judge_config_hash": row.judge_config_hash,
            "mock": row.mock,
            "dataset_key": row.dataset_key,
            "dataset_sha256": row.dataset_sha256,
            "split": row.split,
            "checkpoint_step": row.checkpoint_step,
            "primary_score": row.primary_score,
            "score": row.score,
            "n_items": row.n_items,
            "n_scored": row.n_scored,
            "created_at": row.created_at.isoformat(),
        }
        for row in await repository.completed_for_run(session, run_id)
    ]


async def items(
    session: AsyncSession,
    evaluation_id: uuid.UUID,
    outcome: Outcome | None,
    limit: int,
    offset: int,
) -> Page[ItemResult]:
    await _get(session, evaluation_id)
    rows, total = await repository.items(session, evaluation_id, outcome, limit, offset)
    more = offset + len(rows) < total
    return Page[ItemResult](
        data=[ItemResult.model_validate(r, from_attributes=True) for r in rows],
        pagination=offset_pagination(limit, offset, more),
    )


async def cancel(maker: Maker, evaluation_id: uuid.UUID) -> EvaluationDetail:
    row = await jobs.cancel(
        maker, EVALUATE, evaluation_id, EvaluationNotFound, EvaluationNotCancellable
    )
    async with session_scope(maker) as session:
        return await _detail(session, row)


async def _detail(session: AsyncSession, row: Evaluation) -> EvaluationDetail:
    if row.status == "completed":
        done = int((row.details or {}).get("answered", row.n_items))
    else:
        done = await repository.items_done(session, row.id, PROGRESS_METRIC)
    return EvaluationDetail(
        id=row.id,
        run_id=row.run_id,
        model_id=row.model_id,
        dataset_key=row.dataset_key,
        dataset_sha256=row.dataset_sha256,
        split=row.split,
        judge=_judge_ref(row),
        checkpoint_step=row.checkpoint_step,
        decoding=row.decoding,
        status=row.status,
        score=row.score,
        primary_score=row.primary_score,
        interval=_interval(row),
        verdict=row.verdict,
        n_items=row.n_items,
        n_scored=row.n_scored,
        n_unscored=row.n_unscored,
        details=row.details,
        progress=Progress(done=done, total=row.n_items),
        message=row.message or row.error or _waiting_message(row),
        error=row.error,
        attempt=row.attempt,
        cancel_requested_at=row.cancel_requested_at,
        created_at=row.created_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
    )


def _waiting_message(row: Evaluation) -> str:
    if row.status == "pending":
        return "Queued: a worker will start it."
    return "Answering the prompts." if row.status == "running" else ""


def _judge_ref(row: Evaluation) -> JudgeRef:
    return JudgeRef(
        name=row.judge, version=row.judge_version, config_hash=row.judge_config_hash, mock=row.mock
    )


def _interval(row: Evaluation) -> Interval | None:
    if row.ci_low is None or row.ci_high is None:
        return None
    method = (row.details or {}).get("interval_method", "wilson")
    return Interval(low=row.ci_low, high=row.ci_high, method=method)


# --- the leaderboard and the judges -----------------------------------------------------


async def leaderboard(
    session: AsyncSession, filters: LeaderboardFilters, limit: int, offset: int
) -> Page[LeaderboardRow]:
    rows = await repository.leaderboard(session, filters, limit, offset)
    more = len(rows) > limit
    return Page[LeaderboardRow](
        data=[_leaderboard_row(r) for r in rows[:limit]],
        pagination=offset_pagination(limit, offset, more),
    )


def _leaderboard_row(row: Evaluation) -> LeaderboardRow:
    assert row.primary_score is not None and row.score is not None
    fields: dict[str, Any] = {
        "evaluation_id": row.id,
        "run_id": row.run_id,
        "model_id": row.model_id,
        "dataset_key": row.dataset_key,
        "split": row.split,
        "judge": row.judge,
        "judge_version": row.judge_version,
        "score": row.score,
        "primary_score": row.primary_score,
        "interval": _interval(row),
        "n_scored": row.n_scored,
        "n_unscored": row.n_unscored,
        "verdict": row.verdict,
        "created_at": row.created_at,
    }
    return LeaderboardRow(**fields)


def judges(settings: Settings) -> list[JudgeInfo]:
    infos = []
    for name in JUDGES:
        judge = make_judge(settings, name)
        reason = unavailable_reason(settings, name)
        infos.append(
            JudgeInfo(
                name=judge.name,
                version=judge.version,
                kind=judge.kind,
                description=judge.description,
                config=judge.config(),
                config_hash=judge.config_hash,
                mock=judge.mock,
                available=reason is None,
                unavailable_reason=reason,
                default=name == settings.eval_default_judge,
            )
        )
    return infos
