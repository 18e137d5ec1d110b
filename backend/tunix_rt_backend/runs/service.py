"""Business rules of runs: dry-run checks and synchronous local runs. Raises
AppError; commits only through `session_scope`, one unit of work at a time, because a
local run spans minutes to hours and must be visible while it runs."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.datasets.schemas import DatasetManifest
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import TunixRun
from tunix_rt_backend.errors import NotAvailable, field_error
from tunix_rt_backend.kit.paths import resolve_under
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs import executor, repository
from tunix_rt_backend.runs.checks import dry_run_checks
from tunix_rt_backend.runs.schemas import Check, RunRequest, RunResult
from tunix_rt_backend.runs.status import tunix_available
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.sft.service import manifest_yaml
from tunix_rt_backend.training.manifest import TrainingSection

Maker = async_sessionmaker[AsyncSession]


class TunixNotAvailable(NotAvailable):
    pass


def _output_path(settings: Settings, name: str) -> Path:
    try:
        return resolve_under(settings.artifacts_root, name)
    except ValueError as exc:
        raise RequestValidationError(
            [field_error(("body", "output_dir"), str(exc), "value_error")]
        ) from None


async def run(maker: Maker, settings: Settings, request: RunRequest) -> RunResult:
    run_id = uuid.uuid4()
    output_name = request.output_dir or f"runs/{run_id}"
    output_path = _output_path(settings, output_name)
    if not request.dry_run and not tunix_available():
        raise TunixNotAvailable(
            "Tunix is not installed here, so dry_run=false cannot train: install the "
            "`tunix` extra (pip install -e 'backend[tunix]'), or use dry_run=true."
        )
    started = utcnow()
    async with session_scope(maker) as session:
        dataset = await datasets_service.get_manifest(session, request.dataset_key)
        checks = await dry_run_checks(session, request, dataset, settings.models_root, output_path)
    started = utcnow()
    row = TunixRun(
        run_id=run_id,
        dataset_key=request.dataset_key,
        model_id=request.model_id,
        mode="dry-run" if request.dry_run else "local",
        status="running",
        started_at=started,
        stdout="",
        stderr="",
        config={**request.model_dump(mode="json"), "output_dir": output_name},
        created_at=started,
    )
    failed = [c for c in checks if not c.ok]
    if request.dry_run or failed:
        return await _finish_without_training(maker, row, checks, request.dry_run)
    return await _train(maker, settings, row, dataset, request, output_path, checks)


async def _finish_without_training(
    maker: Maker, row: TunixRun, checks: list[Check], dry_run: bool
) -> RunResult:
    failed = [c for c in checks if not c.ok]
    row.status = "failed" if failed else "completed"
    row.exit_code = 1 if failed else 0
    row.stdout = "\n".join(f"[{'ok' if c.ok else 'FAILED'}] {c.name}: {c.detail}" for c in checks)
    row.completed_at = utcnow()
    row.duration_seconds = (row.completed_at - row.started_at).total_seconds()
    async with session_scope(maker) as session:
        await repository.insert_run(session, row)
    if failed:
        names = ", ".join(c.name for c in failed)
        message = f"{'Dry-run' if dry_run else 'Run'} failed its checks: {names}."
    else:
        message = "Dry-run completed successfully. Configuration is valid."
    return _result(row, message, checks, None)


async def _train(
    maker: Maker,
    settings: Settings,
    row: TunixRun,
    dataset: DatasetManifest,
    request: RunRequest,
    output_path: Path,
    checks: list[Check],
) -> RunResult:
    output_path.mkdir(parents=True, exist_ok=True)
    manifest_path, dataset_path = output_path / "manifest.yaml", output_path / "dataset.jsonl"
    training = TrainingSection.of(request)
    manifest_path.write_text(
        manifest_yaml(dataset, request.model_id, training, str(row.config["output_dir"]))  # type: ignore[index]
    )
    with dataset_path.open("wb") as out:
        async for chunk in datasets_service.export_lines(maker, dataset.id, "tunix_sft", "all"):
            out.write(chunk)
    async with session_scope(maker) as session:
        await repository.insert_run(session, row)

    clock = time.perf_counter()
    outcome = await executor.run_training(
        executor.training_command(manifest_path, dataset_path, output_path),
        timeout_s=settings.tunix_run_timeout_seconds,
        env={"MODEL_DIR": str(settings.models_root)},
    )
    status, summary = _status(outcome)
    values: dict[str, Any] = {
        "status": status,
        "exit_code": outcome.exit_code,
        "stdout": outcome.stdout,
        "stderr": outcome.stderr,
        "completed_at": utcnow(),
        "duration_seconds": round(time.perf_counter() - clock, 3),
    }
    async with session_scope(maker) as session:
        await repository.finish_run(session, row.run_id, values)
    for name, value in values.items():
        setattr(row, name, value)
    return _result(row, _message(status, summary, settings), checks, summary)


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


def _message(status: str, summary: dict[str, Any] | None, settings: Settings) -> str:
    if status == "completed" and summary:
        first, last = summary.get("initial_loss"), summary.get("final_loss")
        loss = f", loss {first:.4g} -> {last:.4g}" if first is not None and last is not None else ""
        return f"Training completed: {summary.get('steps')} steps{loss}."
    if status == "timeout":
        limit = settings.tunix_run_timeout_seconds
        return f"Training stopped after TUNIX_RUN_TIMEOUT_SECONDS={limit}."
    if summary and "error" in summary:
        return f"Training {status}: {summary['error']}"
    return f"Training {status}."


def _result(
    row: TunixRun, message: str, checks: list[Check], summary: dict[str, Any] | None
) -> RunResult:
    return RunResult(
        run_id=row.run_id,
        status=row.status,
        mode=row.mode,
        dataset_key=row.dataset_key,
        model_id=row.model_id,
        output_dir=str((row.config or {})["output_dir"]),
        exit_code=row.exit_code,
        stdout=row.stdout,
        stderr=row.stderr,
        duration_seconds=row.duration_seconds,
        started_at=row.started_at,
        completed_at=row.completed_at,
        message=message,
        checks=checks,
        summary=summary,
    )
