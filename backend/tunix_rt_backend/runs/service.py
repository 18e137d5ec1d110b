"""Business rules of runs: submitting (synchronous, or queued for a worker), executing
(shared by both paths), reading the registry. Raises AppError; commits only through
`session_scope`, one unit of work at a time, because a run spans minutes to hours and
must be visible while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.datasets.schemas import DatasetManifest
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import TunixRun
from tunix_rt_backend.errors import BadRequest, Conflict, NotAvailable, NotFound, field_error
from tunix_rt_backend.kit.pagination import Page, PageParams, keyset_page
from tunix_rt_backend.kit.paths import resolve_under
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs import executor, repository
from tunix_rt_backend.runs.checks import dry_run_checks
from tunix_rt_backend.runs.logs import RunLog
from tunix_rt_backend.runs.repository import Owner
from tunix_rt_backend.runs.schemas import (
    Check,
    MetricSeries,
    RunDetail,
    RunFilters,
    RunMetrics,
    RunRequest,
    RunResult,
    RunStatus,
    RunSummary,
)
from tunix_rt_backend.runs.status import tunix_available
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.training.manifest import TrainingSection, manifest_yaml

Maker = async_sessionmaker[AsyncSession]
# Writes a run's end state under its owner's guard; whether it was written.
Finish = Callable[[uuid.UUID, Owner, dict[str, Any]], Awaitable[bool]]
# How soon a running run notices a cancel request.
CANCEL_POLL_S = 0.5


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


@dataclass
class Execution:
    """What executing a run produced: its end state (written only if its owner still
    held it), the dry-run checks and the training summary."""

    values: dict[str, Any]
    checks: list[Check]
    summary: dict[str, Any] | None
    message: str
    written: bool
    requeued: bool = False


def _output_path(settings: Settings, name: str) -> Path:
    try:
        return resolve_under(settings.artifacts_root, name)
    except ValueError as exc:
        raise RequestValidationError(
            [field_error(("body", "output_dir"), str(exc), "value_error")]
        ) from None


async def submit(
    maker: Maker,
    settings: Settings,
    request: RunRequest,
    *,
    queue: bool = False,
    wake: Callable[[], None] | None = None,
) -> RunResult:
    """Validate, record and then run now (the request waits) or queue for a worker
    (`queue`: the run is returned `pending` at once; `wake` nudges an in-process
    worker). Bad input changes nothing."""
    run_id = uuid.uuid4()
    output_name = request.output_dir or f"runs/{run_id}"
    _output_path(settings, output_name)
    if not request.dry_run and not tunix_available():
        raise TunixNotAvailable(
            "Tunix is not installed here, so dry_run=false cannot train: install the "
            "`tunix` extra (pip install -e 'backend[tunix]'), or use dry_run=true."
        )
    now = utcnow()
    row = TunixRun(
        run_id=run_id,
        dataset_key=request.dataset_key,
        model_id=request.model_id,
        mode="dry-run" if request.dry_run else "local",
        status="pending" if queue else "running",
        started_at=now,
        stdout="",
        stderr="",
        config={**request.model_dump(mode="json"), "output_dir": output_name},
        created_at=now,
        attempt=0 if queue else 1,
        max_attempts=settings.run_max_attempts,
        queued_at=now if queue else None,
    )
    async with session_scope(maker) as session:
        await datasets_service.get_manifest(session, request.dataset_key)  # 404 first
        if queue:
            await repository.enqueue(session, row)
        else:
            await repository.insert_run(session, row)
    if queue:
        if wake is not None:
            wake()
        return _result(row, "Run queued: a worker will start it.", [], None)
    done = await execute(maker, settings, row, Owner(None, 1))
    return _result(row, done.message, done.checks, done.summary)


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
    return await submit(maker, settings, request, queue=True, wake=wake)


async def execute(
    maker: Maker,
    settings: Settings,
    row: TunixRun,
    owner: Owner,
    shutdown: asyncio.Event | None = None,
    finish: Finish | None = None,
) -> Execution:
    """Executes a running run held by `owner` (checks, then training unless a dry run)
    and writes its end state under that guard. Its output is stored as it comes (log
    chunks, metrics). A cancel request stops the trainer (it checkpoints) and ends
    the run `cancelled`; `shutdown` (its worker stopping) stops it the same way and
    returns the run to pending, to resume. `finish` writes the end state (a worker's
    batches them); by default, a transaction of its own."""
    request = RunRequest.model_validate(row.config or {})
    output_path = _output_path(settings, str((row.config or {})["output_dir"]))
    clock = time.perf_counter()
    async with RunLog(maker, row.run_id) as run_log:
        async with session_scope(maker) as session:
            dataset = await datasets_service.get_manifest(session, request.dataset_key)
            checks = await dry_run_checks(
                session,
                request,
                dataset,
                settings.models_root,
                output_path,
                resuming=owner.attempt > 1,
            )
        failed = [c for c in checks if not c.ok]
        summary: dict[str, Any] | None = None
        if request.dry_run or failed:
            values, message = _checked(checks, request.dry_run)
            run_log.text("stdout", values["stdout"] + "\n")
        else:
            stop = _Stop(maker, row.run_id, shutdown)
            async with stop.watching():
                outcome = await _train(
                    maker, settings, row, owner, dataset, request, output_path, stop.event, run_log
                )
            if stop.reason == "shutdown":
                await run_log.flush()
                async with session_scope(maker) as session:
                    requeued = await repository.requeue(session, row.run_id, owner, utcnow())
                message = "The worker stopped: the run checkpointed and returned to the queue."
                return Execution({}, checks, None, message, requeued, requeued=requeued)
            status, summary = _status(outcome)
            if stop.reason == "cancel":
                status = "cancelled"
            values = {
                "status": status,
                "exit_code": outcome.exit_code,
                "stdout": outcome.stdout,
                "stderr": outcome.stderr,
            }
            message = _message(status, summary, _timeout(settings, request), stop)
            if status in ("failed", "timeout", "cancelled"):
                values["error"] = message
    values["completed_at"] = utcnow()
    values["duration_seconds"] = round(time.perf_counter() - clock, 3)
    values["checks"] = [c.model_dump() for c in checks]
    values["summary"] = summary
    values["message"] = message
    if finish is None:
        async with session_scope(maker) as session:
            written = await repository.finish_run(session, row.run_id, owner, values)
    else:
        written = await finish(row.run_id, owner, values)
    if written:
        for name, value in values.items():
            setattr(row, name, value)
    return Execution(values, checks, summary, message, written)


def _checked(checks: list[Check], dry_run: bool) -> tuple[dict[str, Any], str]:
    """The end of a run that stops at its checks: a dry run, or failed checks."""
    failed = [c for c in checks if not c.ok]
    values: dict[str, Any] = {
        "status": "failed" if failed else "completed",
        "exit_code": 1 if failed else 0,
        "stdout": "\n".join(f"[{'ok' if c.ok else 'FAILED'}] {c.name}: {c.detail}" for c in checks),
    }
    if not failed:
        return values, "Dry-run completed successfully. Configuration is valid."
    names = ", ".join(c.name for c in failed)
    message = f"{'Dry-run' if dry_run else 'Run'} failed its checks: {names}."
    values["error"] = message
    return values, message


class _Stop:
    """Why a training run is asked to stop: a cancel request (polled from the run's
    row every CANCEL_POLL_S) or its worker's shutdown."""

    def __init__(self, maker: Maker, run_id: uuid.UUID, shutdown: asyncio.Event | None) -> None:
        self.maker = maker
        self.run_id = run_id
        self.shutdown = shutdown
        self.event = asyncio.Event()
        self.reason: str | None = None
        self.requested_at: datetime | None = None
        self.stopped_at: datetime | None = None

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._watch())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.stopped_at = utcnow()

    async def _watch(self) -> None:
        while True:
            if self.shutdown is not None and self.shutdown.is_set():
                self.reason = "shutdown"
                break
            async with session_scope(self.maker) as session:
                self.requested_at = await repository.cancel_requested_at(session, self.run_id)
            if self.requested_at is not None:
                self.reason = "cancel"
                break
            if self.shutdown is None:
                await asyncio.sleep(CANCEL_POLL_S)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.shutdown.wait(), CANCEL_POLL_S)
        self.event.set()


def _timeout(settings: Settings, request: RunRequest) -> int:
    return request.timeout_seconds or settings.tunix_run_timeout_seconds


async def _train(
    maker: Maker,
    settings: Settings,
    row: TunixRun,
    owner: Owner,
    dataset: DatasetManifest,
    request: RunRequest,
    output_path: Path,
    stop: asyncio.Event,
    run_log: RunLog,
) -> executor.ProcessOutcome:
    """Writes the run's manifest and dataset export, then runs the training process;
    a later attempt resumes from the latest checkpoint."""
    output_path.mkdir(parents=True, exist_ok=True)
    manifest_path, dataset_path = output_path / "manifest.yaml", output_path / "dataset.jsonl"
    stop_file = output_path / executor.STOP_FILE
    stop_file.unlink(missing_ok=True)  # left by the stop that ended an earlier attempt
    training = TrainingSection.of(request)
    output_name = str((row.config or {})["output_dir"])
    manifest_path.write_text(manifest_yaml(dataset, request.model_id, training, output_name))
    with dataset_path.open("wb") as out:
        async for chunk in datasets_service.export_lines(maker, dataset.id, "tunix_sft", "all"):
            out.write(chunk)
    command = executor.training_command(manifest_path, dataset_path, output_path)
    if owner.attempt > 1:
        command.append("--resume")
    outcome = await executor.run_training(
        command,
        timeout_s=_timeout(settings, request),
        env={"MODEL_DIR": str(settings.models_root)},
        stop=stop,
        stop_file=stop_file,
        stop_grace_s=settings.worker_shutdown_grace_seconds,
        on_line=run_log.line,
    )
    stop_file.unlink(missing_ok=True)  # it did its job; a resumed attempt starts clean
    return outcome


def _status(outcome: executor.ProcessOutcome) -> tuple[str, dict[str, Any] | None]:
    if outcome.timed_out:
        return "timeout", outcome.done["summary"] if outcome.done else None
    if outcome.done is None:
        return "failed", {"error": f"the training process exited with {outcome.exit_code}"}
    status = outcome.done.get("status")
    summary = outcome.done.get("summary")
    if status not in ("completed", "cancelled") or outcome.exit_code != 0:
        status = "failed"
    return str(status), summary if isinstance(summary, dict) else None


def _message(
    status: str, summary: dict[str, Any] | None, timeout_s: int, stop: _Stop | None = None
) -> str:
    if status == "cancelled" and stop is not None and stop.requested_at and stop.stopped_at:
        after = (stop.stopped_at - stop.requested_at).total_seconds()
        step = f" at step {summary['steps']}" if summary and summary.get("steps") else ""
        return f"Cancelled: the trainer stopped{step}, {after:.1f} s after the request."
    if status == "completed" and summary:
        first, last = summary.get("initial_loss"), summary.get("final_loss")
        loss = f", loss {first:.4g} -> {last:.4g}" if first is not None and last is not None else ""
        return f"Training completed: {summary.get('steps')} steps{loss}."
    if status == "timeout":
        return f"Training stopped at its timeout ({timeout_s} s)."
    if summary and "error" in summary:
        return f"Training {status}: {summary['error']}"
    return f"Training {status}."


def _result(
    row: TunixRun, message: str, checks: list[Check], summary: dict[str, Any] | None
) -> RunResult:
    return RunResult(
        **_detail_fields(row),
        message=message,
        checks=checks,
        summary=summary,
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


# --- the registry --------------------------------------------------------------------


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
    )


async def get_status(session: AsyncSession, run_id: uuid.UUID) -> RunStatus:
    row = await _get(session, run_id)
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
    rows = await repository.list_runs(
        session, params, status=filters.status, dataset_key=filters.dataset_key, mode=filters.mode
    )
    data, pagination = keyset_page(rows, params, _summary, key=lambda r: (r.created_at, r.run_id))
    return Page[RunSummary](data=data, pagination=pagination)


def _summary(row: TunixRun) -> RunSummary:
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
    )


async def cancel(maker: Maker, run_id: uuid.UUID) -> RunStatus:
    """Pending: cancelled at once. Running: flagged; whoever runs it asks the trainer to
    stop (it checkpoints), then signals its process group. Ended: 409."""
    now = utcnow()
    async with session_scope(maker) as session:
        row = await _get(session, run_id)
        acted = row.status == "pending" and await repository.cancel_pending(session, run_id, now)
        # Running, or claimed since it was read: flag it.
        acted = acted or await repository.request_cancel(session, run_id, now)
    async with session_scope(maker) as session:
        status = await get_status(session, run_id)
    if not acted:
        raise RunNotCancellable(
            f"run {run_id} is {status.status}: only a pending or running run can be cancelled"
        )
    return status


async def metrics(
    session: AsyncSession, run_id: uuid.UUID, names: list[str], max_points: int
) -> RunMetrics:
    """Each series by step; past `max_points` every k-th point, always with the last."""
    await _get(session, run_id)
    series: dict[str, list[tuple[int, float]]] = {}
    for point in await repository.metrics_after(session, run_id, 0, names):
        series.setdefault(point.name, []).append((point.step, point.value))
    return RunMetrics(
        run_id=run_id,
        series=[
            MetricSeries(name=name, points=_downsample(points, max_points), total=len(points))
            for name, points in sorted(series.items())
        ],
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
    row = await _get(session, run_id)
    return _output_path(settings, str((row.config or {}).get("output_dir", f"runs/{run_id}")))


def artifact_path(directory: Path, name: str) -> Path:
    """`name` inside the run's directory, or InvalidArtifactPath/ArtifactNotFound."""
    try:
        path = resolve_under(directory, name)
    except ValueError as exc:
        raise InvalidArtifactPath(f"invalid artifact name: {exc}") from None
    if path == directory or not (path.is_file() or path.is_dir()):
        raise ArtifactNotFound(f"no artifact {name!r} in this run")
    return path
