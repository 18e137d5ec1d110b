"""The `tune` job kind: a worker runs a study's driver (tuning/driver.py) as a process
of its own, which runs Ray Tune; each trial is a training run executed inside Ray
(tuning/trial.py). Cancel touches the driver's stop file: Ray Tune stops every trial,
each run checkpoints and ends `cancelled`. A worker that stops re-queues the study."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from pydantic import SecretStr

from tunix_rt_backend.db.models import TuningJob
from tunix_rt_backend.jobs import process
from tunix_rt_backend.jobs.kinds import JobContext, JobKind
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings

DONE = b"tunix-rt-tuning-done "
# How long a stopped study's driver waits for its trials' runs to checkpoint and end;
# the worker gives the driver that long, and a margin, before signalling it.
TRIALS_END_TIMEOUT_S = 150.0


def study_dir(settings: Settings, job_id: Any) -> Path:
    return settings.artifacts_root / "tuning" / str(job_id)


def driver_env(settings: Settings) -> dict[str, str]:
    """The settings a driver and its trials run with: every one the claiming worker was
    given (its environment or `.env`: EVAL_AUTO, the judge's, the timeouts...), and the
    paths as it resolved them, absolute. Ray's workers run elsewhere (another directory,
    another machine, a cluster started with another environment)."""
    given: dict[str, str] = {}
    for name in settings.model_fields_set:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None:
            given[name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
    return {
        **given,
        "DATABASE_URL": settings.db_url,
        "DATA_DIR": str(settings.data_dir.resolve()),
        "ARTIFACTS_DIR": str(settings.artifacts_root),
        "MODEL_DIR": str(settings.models_root),
    }


async def execute(ctx: JobContext) -> dict[str, Any]:
    row: TuningJob = ctx.row
    clock = time.perf_counter()
    out = study_dir(ctx.settings, row.id)
    out.mkdir(parents=True, exist_ok=True)
    stop_file = out / "STOP"
    stop_file.unlink(missing_ok=True)
    done: dict[str, Any] = {}

    def on_line(stream: str, line: bytes) -> None:
        if stream == "stdout" and line.startswith(DONE):
            done.update(orjson.loads(line[len(DONE) :]))
        ctx.output.line(stream, line)

    command = [sys.executable, "-m", "tunix_rt_backend.tuning.driver", "--job-id", str(row.id)]
    outcome = await process.run_process(
        command,
        timeout_s=ctx.settings.tunix_run_timeout_seconds * row.num_samples,
        env=driver_env(ctx.settings),
        stop=ctx.stop.event,
        stop_file=stop_file,
        stop_grace_s=TRIALS_END_TIMEOUT_S + 30,
        on_line=on_line,
    )
    if ctx.stop.reason == "shutdown":
        return {"status": "pending"}
    values: dict[str, Any] = {
        "completed_at": utcnow(),
        "best_run_id": uuid.UUID(done["best_run_id"]) if done.get("best_run_id") else None,
        "best_params_json": done.get("best_params"),
        "best_metric_value": done.get("best_metric_value"),
    }
    seconds = time.perf_counter() - clock
    if ctx.stop.reason == "cancel":
        values["status"] = "cancelled"
        values["message"] = values["error"] = (
            f"Cancelled after {seconds:.0f} s: every trial's run was stopped."
        )
    elif done.get("status") == "completed":
        values["status"] = "completed"
        values["message"] = done.get("message")
    else:
        values["status"] = "failed"
        reason = done.get("message")
        if reason is None:  # it crashed before saying why: its last words
            how = "timed out" if outcome.timed_out else f"exited with {outcome.exit_code}"
            reason = f"the driver {how}\n{outcome.stderr[-2000:]}"
        values["message"] = values["error"] = f"The study failed: {reason}"
    return values


TUNE = JobKind("tune", TuningJob, execute)
