"""The `train` job kind: how a worker executes a run. Checks first (a dry run stops
there), then the training process, whose events (training/events.py) become the run's
metric points and stored generations as they come."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.datasets.schemas import DatasetManifest
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import RunGeneration, TunixRun
from tunix_rt_backend.errors import AppError
from tunix_rt_backend.jobs import process
from tunix_rt_backend.jobs import service as jobs
from tunix_rt_backend.jobs.kinds import JobContext, JobKind
from tunix_rt_backend.jobs.output import JobOutput
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs.checks import dry_run_checks
from tunix_rt_backend.runs.paths import output_path
from tunix_rt_backend.runs.schemas import Check, RunRequest
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.training import events
from tunix_rt_backend.training.manifest import TrainingSection, manifest_yaml


async def execute(ctx: JobContext) -> dict[str, Any]:
    """A claimed run, to its end state: the values `jobs/` writes under the worker's
    guard (or `{"status": "pending"}` when its worker is stopping: re-queued)."""
    row: TunixRun = ctx.row
    request = RunRequest.model_validate(row.config or {})
    clock = time.perf_counter()
    try:
        checks, dataset = await _checks(ctx, request)
    except AppError as exc:  # the dataset went away after the run was queued
        return _ended({"status": "failed", "exit_code": 1, "error": exc.detail}, clock, [], None)
    if request.dry_run or not all(c.ok for c in checks):
        values = _checked(checks, request.dry_run)
        ctx.output.text("stdout", values["stdout"] + "\n")
        return _ended(values, clock, checks, None)
    # Shown while it trains: the steps it plans (a run without max_steps) among them.
    await jobs.record(ctx, {"checks": [c.model_dump() for c in checks]})
    trainer = TrainerEvents(ctx.output, row.run_id)
    outcome = await _train(ctx, dataset, request, trainer)
    if ctx.stop.reason == "shutdown":
        return {"status": "pending"}
    status, summary = _status(outcome, trainer.done)
    if ctx.stop.reason in ("cancel", EARLY_STOP, PAUSE):
        status = "cancelled"
    values = {
        "status": status,
        "exit_code": outcome.exit_code,
        "stdout": outcome.stdout,
        "stderr": outcome.stderr,
        "message": _message(status, summary, timeout_s(ctx.settings, request), ctx),
    }
    if status in ("failed", "timeout", "cancelled"):
        values["error"] = values["message"]
    return _ended(values, clock, checks, summary)


TRAIN = JobKind("train", TunixRun, execute)
# Why a tuning trial's run is stopped when its study's scheduler drops it (ASHA), and
# when its study stops with its worker (to be resumed): the run ends `cancelled`,
# saying which, with its final checkpoint.
EARLY_STOP = "early-stop"
PAUSE = "study-paused"


async def _checks(ctx: JobContext, request: RunRequest) -> tuple[list[Check], DatasetManifest]:
    async with session_scope(ctx.maker) as session:
        dataset = await datasets_service.get_manifest(session, request.dataset_key)
        checks = await dry_run_checks(
            session,
            request,
            dataset,
            ctx.settings.models_root,
            output_path(ctx.settings, ctx.row),
            ctx.settings.artifacts_root,
            resuming=ctx.owner.attempt > 1,
        )
    return checks, dataset


def _ended(
    values: dict[str, Any], clock: float, checks: list[Check], summary: dict[str, Any] | None
) -> dict[str, Any]:
    values.setdefault("message", values.get("error") or "")
    values["completed_at"] = utcnow()
    values["duration_seconds"] = round(time.perf_counter() - clock, 3)
    values["checks"] = [c.model_dump() for c in checks]
    values["summary"] = summary
    return values


def _checked(checks: list[Check], dry_run: bool) -> dict[str, Any]:
    """The end of a run that stops at its checks: a dry run, or failed checks."""
    failed = [c for c in checks if not c.ok]
    values: dict[str, Any] = {
        "status": "failed" if failed else "completed",
        "exit_code": 1 if failed else 0,
        "stdout": "\n".join(f"[{'ok' if c.ok else 'FAILED'}] {c.name}: {c.detail}" for c in checks),
    }
    if not failed:
        values["message"] = "Dry-run completed successfully. Configuration is valid."
        return values
    names = ", ".join(c.name for c in failed)
    values["message"] = values["error"] = (
        f"{'Dry-run' if dry_run else 'Run'} failed its checks: {names}."
    )
    return values


class TrainerEvents:
    """Reads the training process's lines as they come: each is stored as log output,
    and its event (if it is one) lands where it belongs: metric points, generation
    rows, the closing `done`."""

    def __init__(self, output: JobOutput, run_id: Any) -> None:
        self.output = output
        self.run_id = run_id
        self.done: events.Done | None = None

    def __call__(self, stream: str, line: bytes) -> None:
        self.output.line(stream, line)
        if stream != "stdout":
            return
        event = events.parse(line)
        if isinstance(event, events.Metric):
            if event.step is not None:
                self.output.metric(event.name, event.step, event.value)
        elif isinstance(event, events.Generation):
            self.output.row(RunGeneration, GENERATION_KEY, self._generation(event))
        elif isinstance(event, events.Done):
            self.done = event

    def _generation(self, event: events.Generation) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "index": event.index,
            "step": event.step,
            "prompt": event.prompt,
            "expected": event.expected,
            "output": event.output,
            "correct": event.correct,
        }


GENERATION_KEY = ("run_id", "index")


def timeout_s(settings: Settings, request: RunRequest) -> int:
    return request.timeout_seconds or settings.tunix_run_timeout_seconds


def training_command(manifest: Path, dataset: Path, output_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tunix_rt_backend.training",
        "--manifest",
        str(manifest),
        "--dataset",
        str(dataset),
        "--output-dir",
        str(output_dir),
        "--stop-file",
        str(output_dir / process.STOP_FILE),
    ]


async def _train(
    ctx: JobContext, dataset: DatasetManifest, request: RunRequest, on_line: TrainerEvents
) -> process.ProcessOutcome:
    """Writes the run's manifest and dataset export, then runs the training process;
    a later attempt resumes from the latest checkpoint."""
    row: TunixRun = ctx.row
    out = output_path(ctx.settings, row)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path, dataset_path = out / "manifest.yaml", out / "dataset.jsonl"
    stop_file = out / process.STOP_FILE
    stop_file.unlink(missing_ok=True)  # left by the stop that ended an earlier attempt
    training = TrainingSection.of(request)
    output_name = str((row.config or {})["output_dir"])
    manifest_path.write_text(manifest_yaml(dataset, request.model_id, training, output_name))
    with dataset_path.open("wb") as export:
        async for chunk in datasets_service.export_lines(ctx.maker, dataset.id, "tunix_sft", "all"):
            export.write(chunk)
    command = training_command(manifest_path, dataset_path, out)
    if ctx.owner.attempt > 1:
        command.append("--resume")
    outcome = await process.run_process(
        command,
        timeout_s=timeout_s(ctx.settings, request),
        env={"MODEL_DIR": str(ctx.settings.models_root)},
        stop=ctx.stop.event,
        stop_file=stop_file,
        stop_grace_s=ctx.settings.worker_shutdown_grace_seconds,
        on_line=on_line,
    )
    stop_file.unlink(missing_ok=True)  # it did its job; a resumed attempt starts clean
    return outcome


def _status(
    outcome: process.ProcessOutcome, done: events.Done | None
) -> tuple[str, dict[str, Any] | None]:
    if outcome.timed_out:
        return "timeout", done.summary if done else None
    if done is None:
        return "failed", {"error": f"the training process exited with {outcome.exit_code}"}
    status = done.status
    if status not in ("completed", "cancelled") or outcome.exit_code != 0:
        status = "failed"
    return status, done.summary


def _message(status: str, summary: dict[str, Any] | None, timeout: int, ctx: JobContext) -> str:
    stop = ctx.stop
    step = f" at step {summary['steps']}" if summary and summary.get("steps") else ""
    if status == "cancelled" and stop.reason == EARLY_STOP:
        return f"Stopped early by its tuning study's scheduler{step} (a final checkpoint kept)."
    if status == "cancelled" and stop.reason == PAUSE:
        return (
            f"Paused{step} with its tuning study, whose worker stopped: it resumes from its "
            "final checkpoint when the study does."
        )
    if status == "cancelled" and stop.requested_at is not None:
        after = (utcnow() - stop.requested_at).total_seconds()
        return f"Cancelled: the trainer stopped{step}, {after:.1f} s after the request."
    if status == "completed" and summary:
        first, last = summary.get("initial_loss"), summary.get("final_loss")
        loss = f", loss {first:.4g} -> {last:.4g}" if first is not None and last is not None else ""
        return f"Training completed: {summary.get('steps')} steps{loss}."
    if status == "timeout":
        return f"Training stopped at its timeout ({timeout} s)."
    if summary and "error" in summary:
        return f"Training {status}: {summary['error']}"
    return f"Training {status}."
