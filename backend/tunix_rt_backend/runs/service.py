"""Business rules of runs: submitting (a dry run checked in the request, anything else
queued for a worker, which a synchronous request waits for), the run history, cancel,
metrics, generations and artifacts. Raises AppError; commits only through
`session_scope`, one unit of work at a time, because a run spans minutes to hours and
must be visible while it runs. How a worker executes a run is runs/execution.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import TunixRun
from tunix_rt_backend.errors import BadRequest, Conflict, NotAvailable, NotFound, ValidationFailed
from tunix_rt_backend.jobs import service as jobs
from tunix_rt_backend.kit.pagination import Page, PageParams, keyset_page
from tunix_rt_backend.kit.paths import resolve_under
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs import repository
from tunix_rt_backend.runs.execution import TRAIN, timeout_s
from tunix_rt_backend.runs.paths import checked_output_path, output_path
from tunix_rt_backend.runs.runtime import tunix_available
from tunix_rt_backend.runs.schemas import (
    LABEL_FIELDS,
    Check,
    Generation,
    MetricSeries,
    RunDetail,
    RunFilters,
    RunGenerations,
    RunLabelsUpdate,
    RunMetrics,
    RunRequest,
    RunResult,
    RunStatus,
    RunSummary,
    TrainingProgress,
)
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]
# A synchronous request waits for the run's timeout, plus this for the queue and the
# set-up around the training process; then it answers with the run as it is.
WAIT_MARGIN_S = 60
# The metric whose points count a run's steps trained.
TRAIN_LOSS = "train/loss"
# The trainer's pace over its latest steps (training/trainer.py, which this process
# never imports).
STEPS_PER_SECOND = "train/steps_per_second"
TOKENS_PER_SECOND = "train/tokens_per_second"


class TunixNotAvailable(NotAvailable):
    pass


class RunNotFound(NotFound):
    pass


class RunNotCancellable(Conflict):
    pass


class ArtifactNotFound(NotFound):
    pass


class InvalidArtifactPath(BadRequest):
    pass


async def submit(
    maker: Maker,
    settings: Settings,
    request: RunRequest,
    *,
    wait: bool = True,
    wake: Callable[[], None] | None = None,
) -> RunResult:
    """Validate, record, and then:
    - a dry run with `wait`: checked here, at once (it starts no process);
    - anything else: queued for a worker (`wake` nudges one in this process). With
      `wait`, the request then waits for the run's end, bounded by its timeout: the
      run does not depend on this process, which may die meanwhile. With no live
      worker a waited-for training run is refused (NoWorker, 503) instead of hanging.
    Bad input changes nothing."""
    run_id = uuid.uuid4()
    output_name = request.output_dir or f"runs/{run_id}"
    checked_output_path(settings, output_name)
    if not request.dry_run and not tunix_available():
        raise TunixNotAvailable(
            "Tunix is not installed here, so dry_run=false cannot train: install the "
            "`tunix` extra (pip install -e 'backend[tunix]'), or use dry_run=true."
        )
    inline = request.dry_run and wait
    now = utcnow()
    row = TunixRun(
        run_id=run_id,
        dataset_key=request.dataset_key,
        model_id=request.model_id,
        mode="dry-run" if request.dry_run else "local",
        status="running" if inline else "pending",
        started_at=now,
        stdout="",
        stderr="",
        config={**request.model_dump(mode="json", exclude=LABEL_FIELDS), "output_dir": output_name},
        name=request.name,
        notes=request.notes,
        tags=request.tags,
        created_at=now,
        attempt=1 if inline else 0,
        max_attempts=settings.run_max_attempts,
        queued_at=None if inline else now,
    )
    async with session_scope(maker) as session:
        await datasets_service.get_manifest(session, request.dataset_key)  # 404 first
        if inline:
            await jobs.insert_inline(session, row)
        else:
            if wait:
                await jobs.require_live_worker(session, settings, "a synchronous training run")
            await jobs.enqueue(session, row)
    if inline:
        return _result(await jobs.execute_inline(maker, settings, TRAIN, row))
    if wake is not None:
        wake()
    if not wait:
        return _result(row, "Run queued: a worker will start it.")
    limit = timeout_s(settings, request) + settings.worker_shutdown_grace_seconds + WAIT_MARGIN_S
    ended = await jobs.wait_for_end(maker, TRAIN, run_id, limit)
    if ended.status in ("pending", "running"):
        return _result(
            ended,
            f"Still {ended.status} after {limit} s of waiting; it goes on without this "
            f"request: follow it at /api/tunix/runs/{run_id}.",
        )
    return _result(ended)


async def rerun(
    maker: Maker, settings: Settings, run_id: uuid.UUID, wake: Callable[[], None] | None
) -> RunResult:
    """A new queued run with the same configuration (and a new output directory,
    unless the original named one: then it resumes nothing, and the trainer refuses a
    directory that already holds checkpoints)."""
    async with session_scope(maker) as session:
        original = await _get(session, run_id)
    config = dict(original.config or {})
    if str(config.get("output_dir", "")) == f"runs/{original.run_id}":
        config.pop("output_dir")
    request = RunRequest.model_validate(config)
    return await submit(maker, settings, request, wait=False, wake=wake)


def _result(row: TunixRun, message: str | None = None) -> RunResult:
    return RunResult(
        **_detail_fields(row),
        message=message if message is not None else row.message or row.error or "",
        checks=[Check.model_validate(c) for c in row.checks or []],
        summary=row.summary,
    )


def _detail_fields(row: TunixRun) -> dict[str, Any]:
    return {
        "run_id": row.run_id,
        "status": row.status,
        "mode": row.mode,
        "dataset_key": row.dataset_key,
        "model_id": row.model_id,
        "output_dir": str((row.config or {}).get("output_dir", "")),
        "exit_code": row.exit_code,
        "stdout": row.stdout,
        "stderr": row.stderr,
        "duration_seconds": row.duration_seconds,
        "started_at": row.started_at,
        "completed_at": row.completed_at,
    }


# --- the run history -------------------------------------------------------------------


async def _get(session: AsyncSession, run_id: uuid.UUID) -> TunixRun:
    row = await repository.get_run(session, run_id)
    if row is None:
        raise RunNotFound(f"no run {run_id}")
    return row


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> RunDetail:
    row = await _get(session, run_id)
    return RunDetail(
        **_detail_fields(row),
        message=row.message or row.error or "",
        checks=[Check.model_validate(c) for c in row.checks or []],
        summary=row.summary,
        created_at=row.created_at,
        queued_at=row.queued_at,
        claimed_at=row.claimed_at,
        attempt=row.attempt,
        max_attempts=row.max_attempts,
        worker_id=row.worker_id,
        error=row.error,
        cancel_requested_at=row.cancel_requested_at,
        config=row.config or {},
        name=row.name,
        notes=row.notes,
        tags=row.tags or [],
    )


async def get_status(session: AsyncSession, run_id: uuid.UUID) -> RunStatus:
    return _status(await _get(session, run_id))


def _status(row: TunixRun) -> RunStatus:
    return RunStatus(
        run_id=row.run_id,
        status=row.status,
        attempt=row.attempt,
        started_at=row.started_at,
        completed_at=row.completed_at,
        duration_seconds=row.duration_seconds,
        error=row.error,
        cancel_requested_at=row.cancel_requested_at,
    )


async def list_runs(
    session: AsyncSession, params: PageParams, filters: RunFilters
) -> Page[RunSummary]:
    rows = await repository.list_runs(session, params, filters)
    progress = await _progress(session, rows)
    data, pagination = keyset_page(
        rows,
        params,
        lambda row: _summary(row, progress.get(row.run_id)),
        key=lambda r: (r.created_at, r.run_id),
    )
    return Page[RunSummary](data=data, pagination=pagination)


async def _progress(
    session: AsyncSession, rows: Sequence[TunixRun]
) -> dict[uuid.UUID, TrainingProgress]:
    """The progress of the listed runs that train now, from one query for the page."""
    running = [r for r in rows if r.status == "running" and r.mode == "local"]
    ids = [r.run_id for r in running]
    steps = await jobs.last_steps(session, ids, TRAIN_LOSS)
    paces = await jobs.latest_values(session, ids, (STEPS_PER_SECOND, TOKENS_PER_SECOND))
    # The server's clock, not the browser's: the elapsed time and the ETA built on it do
    # not drift with a client whose clock is off.
    now = utcnow()
    return {
        r.run_id: TrainingProgress(
            step=steps[r.run_id][0] if r.run_id in steps else None,
            points=steps[r.run_id][1] if r.run_id in steps else 0,
            elapsed_seconds=max(0.0, (now - r.started_at).total_seconds()),
            steps_per_second=paces.get((r.run_id, STEPS_PER_SECOND)),
            tokens_per_second=paces.get((r.run_id, TOKENS_PER_SECOND)),
        )
        for r in running
    }


def _summary(row: TunixRun, progress: TrainingProgress | None) -> RunSummary:
    config, summary = row.config or {}, row.summary or {}
    return RunSummary(
        run_id=row.run_id,
        dataset_key=row.dataset_key,
        model_id=row.model_id,
        mode=row.mode,
        status=row.status,
        started_at=row.started_at,
        completed_at=row.completed_at,
        duration_seconds=row.duration_seconds,
        attempt=row.attempt,
        max_attempts=row.max_attempts,
        error=row.error,
        created_at=row.created_at,
        name=row.name,
        tags=row.tags or [],
        learning_rate=_number(config.get("learning_rate")),
        max_steps=_integer(config.get("max_steps")),
        steps=_integer(summary.get("steps")),
        final_loss=_number(summary.get("final_loss")),
        eval_loss=_number(summary.get("eval_loss")),
        exact_match=_number(summary.get("exact_match")),
        progress=progress,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def update_labels(
    session: AsyncSession, run_id: uuid.UUID, update: RunLabelsUpdate
) -> RunDetail:
    """Set the labels given (a run's results never change; its labels may)."""
    given = update.model_fields_set
    if not given:
        raise ValidationFailed.field(("body",), "give name, notes or tags", "missing")
    row = await _get(session, run_id)
    if "name" in given:
        row.name = update.name
    if "notes" in given:
        row.notes = update.notes
    if "tags" in given:
        row.tags = update.tags or []
    await session.flush()
    return await get_run(session, run_id)


async def cancel(maker: Maker, run_id: uuid.UUID) -> RunStatus:
    """Pending: cancelled at once. Running: flagged; its worker asks the trainer to
    stop (it checkpoints), then signals its process group. Ended: 409."""
    row = await jobs.cancel(maker, TRAIN, run_id, RunNotFound, RunNotCancellable)
    return _status(row)


async def progress(session: AsyncSession, run_id: uuid.UUID) -> tuple[RunResult, int]:
    """The run as it stands and the last step it reported (0 before its first)."""
    row = await _get(session, run_id)
    step = await jobs.last_step(session, run_id, TRAIN_LOSS)
    return _result(row), step or 0


async def metrics(
    session: AsyncSession, run_id: uuid.UUID, names: list[str], max_points: int
) -> RunMetrics:
    """Each series by step; past `max_points` every k-th point, always with the last."""
    await _get(session, run_id)
    series = await jobs.metric_points(session, run_id, names)
    return RunMetrics(
        run_id=run_id,
        series=[
            MetricSeries(name=name, points=_downsample(points, max_points), total=len(points))
            for name, points in sorted(series.items())
        ],
    )


async def generations(session: AsyncSession, run_id: uuid.UUID) -> RunGenerations:
    """The held-out prompts the trainer answered at the end of the run, in order."""
    await _get(session, run_id)
    rows = await repository.generations(session, run_id)
    answered = [Generation.model_validate(r, from_attributes=True) for r in rows]
    scored = [g for g in answered if g.correct is not None]
    correct = sum(1 for g in scored if g.correct)
    return RunGenerations(
        run_id=run_id,
        generations=answered,
        total=len(answered),
        correct=correct,
        exact_match=correct / len(scored) if scored else None,
    )


def _downsample(points: list[tuple[int, float]], max_points: int) -> list[tuple[int, float]]:
    if len(points) <= max_points:
        return points
    every = -(-len(points) // max_points)
    kept = points[::every]
    if kept[-1] != points[-1]:
        kept = [*kept[: max_points - 1], points[-1]]
    return kept


async def run_dir(session: AsyncSession, settings: Settings, run_id: uuid.UUID) -> Path:
    return output_path(settings, await _get(session, run_id))


def artifact_path(directory: Path, name: str) -> Path:
    """`name` inside the run's directory, or InvalidArtifactPath/ArtifactNotFound."""
    try:
        path = resolve_under(directory, name)
        found = path != directory and (path.is_file() or path.is_dir())
    except ValueError as exc:
        raise InvalidArtifactPath(f"invalid artifact name: {exc}") from None
    except (OSError, RuntimeError) as exc:  # a name too long, a symlink loop
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "symlink loop"
        raise InvalidArtifactPath(f"invalid artifact name: {reason}") from None
    if not found:
        raise ArtifactNotFound(f"no artifact {name!r} in this run")
    return path
