"""A study's driver: `python -m tunix_rt_backend.tuning.driver --job-id ID`, started by
the `tune` job kind. It runs Ray Tune (local Ray, or the cluster at RAY_ADDRESS) with
the study's search algorithm and scheduler; each trial is a `trial.TrialRun`. Its last
stdout line, `tunix-rt-tuning-done {...}`, gives the outcome: the best completed trial
(failed, cancelled and early-stopped ones never are). A touched STOP file in the
study's directory stops the study (Ray Tune's graceful stop: every trial's run is
stopped, with its checkpoint)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tunix_rt_backend.db.engine import create_engine, create_sessionmaker, session_scope
from tunix_rt_backend.db.models import TuningJob, TuningTrial
from tunix_rt_backend.settings import Settings, load_settings
from tunix_rt_backend.tuning.execution import (
    DONE,
    TRIALS_END_TIMEOUT_S,
    driver_env,
    study_dir,
)
from tunix_rt_backend.tuning.schemas import METRICS

UNBOUNDED_STEPS = 10**9


def _read(settings: Settings, job_id: uuid.UUID) -> TuningJob:
    async def read() -> TuningJob:
        engine = create_engine(settings)
        try:
            async with session_scope(create_sessionmaker(engine)) as session:
                row = await session.get(TuningJob, job_id)
                if row is None:
                    raise SystemExit(f"no tuning job {job_id}")
                session.expunge(row)
                return row
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _best(settings: Settings, job: TuningJob) -> dict[str, Any]:
    async def best() -> dict[str, Any]:
        engine = create_engine(settings)
        try:
            async with session_scope(create_sessionmaker(engine)) as session:
                rows = list(
                    await session.scalars(
                        select(TuningTrial).where(
                            TuningTrial.tuning_job_id == job.id,
                            TuningTrial.status == "completed",
                            TuningTrial.metric_value.is_not(None),
                        )
                    )
                )
                counts: dict[str, int] = {}
                for trial in await session.scalars(
                    select(TuningTrial).where(TuningTrial.tuning_job_id == job.id)
                ):
                    counts[trial.status] = counts.get(trial.status, 0) + 1
        finally:
            await engine.dispose()
        if not rows:
            return {"counts": counts}
        pick = max if job.metric_mode == "max" else min
        top = pick(rows, key=lambda t: float(t.metric_value or 0.0))
        return {
            "best_run_id": str(top.run_id) if top.run_id else None,
            "best_params": top.params_json,
            "best_metric_value": top.metric_value,
            "counts": counts,
        }

    return asyncio.run(best())


def _wait_for_trials(settings: Settings, job_id: uuid.UUID, timeout_s: float) -> None:
    async def wait() -> None:
        engine = create_engine(settings)
        try:
            maker = create_sessionmaker(engine)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                async with session_scope(maker) as session:
                    running = await session.scalar(
                        select(TuningTrial.id).where(
                            TuningTrial.tuning_job_id == job_id, TuningTrial.status == "running"
                        )
                    )
                if running is None:
                    return
                await asyncio.sleep(0.5)
        finally:
            await engine.dispose()

    asyncio.run(wait())


def _space(space: dict[str, Any]) -> dict[str, Any]:
    from ray import tune

    out: dict[str, Any] = {}
    for key, p in space.items():
        if p["type"] == "choice":
            out[key] = tune.choice(p["values"])
        elif p["type"] == "uniform":
            out[key] = tune.uniform(p["min"], p["max"])
        elif p["type"] == "loguniform":
            out[key] = tune.loguniform(p["min"], p["max"])
        else:  # randint, both ends included
            out[key] = tune.randint(int(p["min"]), int(p["max"]) + 1)
    return out


def _steps(job: TuningJob) -> tuple[int, int]:
    """(the most steps a trial trains, the first rung of ASHA): from max_steps (given,
    or the largest the space can draw) and how often the metric is reported."""
    space, training = job.search_space_json, job.training_json
    most = training.get("max_steps")
    if "max_steps" in space:
        p = space["max_steps"]
        most = max(p["values"]) if p["type"] == "choice" else int(p["max"])
    most = int(most) if most else UNBOUNDED_STEPS
    if job.metric_name == "eval_loss":
        every = int(training.get("eval_every_n_steps", 50))
    else:
        every = max(1, most // 8) if most != UNBOUNDED_STEPS else 50
    return most, max(1, min(every, most))


def _watch_stop(stop_file: Path, settings: Settings, job_id: uuid.UUID) -> None:
    """A touched stop file stops the study. Each trial sees it and stops its run
    (cancelled, or paused when the study's worker is stopping); once every trial's run
    has ended (with its checkpoint, its row written), Ray Tune is stopped as Ctrl-C
    would (its graceful stop saves the study; it gives a trial's actor only 10 s to
    end, too little for a run's final checkpoint, which is why it comes last)."""
    while not stop_file.exists():
        time.sleep(0.5)
    print("stop requested: stopping every trial's run", flush=True)
    _wait_for_trials(settings, job_id, TRIALS_END_TIMEOUT_S)
    print("every trial's run has ended: stopping Ray Tune", flush=True)
    os.kill(os.getpid(), signal.SIGINT)


def run(job_id: uuid.UUID) -> dict[str, Any]:
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler
    from ray.tune.search import BasicVariantGenerator

    from tunix_rt_backend.tuning.trial import StudySpec, TrialRun

    settings = load_settings()
    job = _read(settings, job_id)
    out = study_dir(settings, job_id)
    out.mkdir(parents=True, exist_ok=True)
    threading.Thread(target=_watch_stop, args=(out / "STOP", settings, job_id), daemon=True).start()
    spec = StudySpec(
        job_id=str(job.id),
        name=job.name,
        dataset_key=job.dataset_key,
        model_id=job.base_model_id,
        training=job.training_json,
        metric_name=job.metric_name,
        metric_key=METRICS.get(job.metric_name),  # None: primary_score, once, at the end
    )
    ray.init(
        address=os.environ.get("RAY_ADDRESS") or None,
        include_dashboard=False,
        runtime_env={"env_vars": driver_env(settings)},
        log_to_driver=True,
    )
    gpus = ray.cluster_resources().get("GPU", 0)  # type: ignore[no-untyped-call]
    resources: dict[str, float] = {"cpu": 1.0, "gpu": 1.0} if gpus else {"cpu": 1.0}
    trainable = tune.with_resources(tune.with_parameters(TrialRun, spec=spec), resources)
    most, rung = _steps(job)
    scheduler: Any
    if job.scheduler == "asha":
        # A trial told to stop at max_t (its last point) completes: trial.py lets a run
        # that has trained all its steps finish.
        scheduler = ASHAScheduler(
            time_attr="step", max_t=most, grace_period=rung, reduction_factor=2
        )
    else:
        scheduler = FIFOScheduler()  # type: ignore[no-untyped-call]
    if job.search_alg == "optuna":
        from ray.tune.search.optuna import OptunaSearch

        search: Any = OptunaSearch(seed=job.seed)
    else:
        search = BasicVariantGenerator(
            random_state=job.seed, max_concurrent=job.max_concurrent_trials
        )
    experiment = out / "ray"
    if tune.Tuner.can_restore(str(experiment / "study")):
        print("resuming the study where its last driver left it", flush=True)
        tuner = tune.Tuner.restore(
            str(experiment / "study"), trainable, resume_unfinished=True, resume_errored=False
        )
    else:
        tuner = tune.Tuner(
            trainable,
            param_space=_space(job.search_space_json),
            tune_config=tune.TuneConfig(
                metric=job.metric_name,
                mode=job.metric_mode,
                num_samples=job.num_samples,
                max_concurrent_trials=job.max_concurrent_trials
                if job.search_alg == "optuna"
                else None,
                search_alg=search,
                scheduler=scheduler,
                # A trial's actor (a process that has imported Ray Tune and Tunix RT:
                # ~2 s here) serves the next trial when trials end by themselves. Not
                # under ASHA: Ray keeps a stopped trial's actor for reuse without telling
                # it, and its run must stop at once, as `cleanup()` does.
                reuse_actors=job.scheduler != "asha",
            ),
            run_config=tune.RunConfig(
                name="study",
                storage_path=str(experiment),
                failure_config=tune.FailureConfig(max_failures=0),
                verbose=1,
            ),
        )
    interrupted = False
    try:
        tuner.fit()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        # Ray Tune stops trials without waiting for them: wait for each trial's run
        # to end (and its row to say so) before Ray's processes go.
        _wait_for_trials(settings, job.id, TRIALS_END_TIMEOUT_S)
        ray.shutdown()
    best = _best(settings, job)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(best.pop("counts", {}).items()))
    if interrupted or (out / "STOP").exists():
        return {"status": "cancelled", "message": f"Stopped: {counts}.", **best}
    if "best_run_id" not in best:
        return {"status": "failed", "message": f"no trial completed ({counts or 'none ran'})"}
    message = (
        f"Best {job.metric_name} {best['best_metric_value']:.4g} "
        f"with {json.dumps(best['best_params'])}; trials: {counts}."
    )
    return {"status": "completed", "message": message, **best}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tunix_rt_backend.tuning.driver")
    parser.add_argument("--job-id", type=uuid.UUID, required=True)
    args = parser.parse_args(argv)
    try:
        outcome = run(args.job_id)
    except Exception as exc:
        outcome = {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}
        print(f"the study failed: {exc}", file=sys.stderr, flush=True)
    sys.stdout.write(DONE.decode() + json.dumps(outcome, default=str) + "\n")
    sys.stdout.flush()
    return 0 if outcome["status"] != "failed" else 1


if __name__ == "__main__":
    sys.exit(main())
