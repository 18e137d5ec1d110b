"""A trial of a study, inside Ray: a real training run, executed here as a short-lived
worker would (its own database engine and sessions, its heartbeat, its cancel watch,
its end written under the owner's guard; closed at the end). Its metric points, as
the trainer stores them, are reported to Ray Tune as results.

The trainable is a class (`tune.Trainable`) rather than a function calling
`tune.report`: Tune calls `cleanup()` when its scheduler drops a trial or the study
stops, and that is where the run is asked to stop and is waited for, so it ends with
its final checkpoint (a function trainable's thread is abandoned there)."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ray import tune
from sqlalchemy import select, update

from tunix_rt_backend.db.engine import create_engine, create_sessionmaker, session_scope
from tunix_rt_backend.db.models import Evaluation as EvaluationRow
from tunix_rt_backend.db.models import TuningJob as TuningJobRow
from tunix_rt_backend.db.models import TuningTrial as TuningTrialRow
from tunix_rt_backend.db.models import TunixRun
from tunix_rt_backend.errors import AppError
from tunix_rt_backend.jobs import repository as jobs_repository
from tunix_rt_backend.jobs.service import Stop
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs.execution import EARLY_STOP, PAUSE
from tunix_rt_backend.runs.schemas import RunRequest
from tunix_rt_backend.settings import load_settings
from tunix_rt_backend.tuning.execution import study_dir

POLL_S = 0.3
STOP_WAIT_S = 120.0
_END = object()


@dataclass(frozen=True)
class StudySpec:
    """What every trial of a study shares (picklable: sent to Ray's workers)."""

    job_id: str
    name: str
    dataset_key: str
    model_id: str
    training: dict[str, Any]
    metric_name: str  # the study's name for it: eval_loss
    metric_key: str | None  # the trainer's: eval/loss; None: the run's evaluation's score


@dataclass
class _Runner:
    """The trial's run, executed in a thread with its own event loop."""

    spec: StudySpec
    params: dict[str, Any]
    trial_key: str
    run_id: uuid.UUID | None = None
    points: queue.Queue[Any] = field(default_factory=queue.Queue)
    stop: Stop = field(default_factory=Stop)
    loop: asyncio.AbstractEventLoop | None = None
    status: str | None = None
    error: str | None = None
    last: tuple[int, float] | None = None
    max_steps: int | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    stop_file: Path | None = None  # the study's: touched when the study stops
    evaluation: str | None = None  # how its evaluation ended (primary_score), if it ran

    @property
    def trained_out(self) -> bool:
        """Whether it has reported its last step (it is saving and ending)."""
        return bool(self.max_steps and self.last and self.last[0] >= self.max_steps)

    def main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # told to Ray through step()
            self.error = self.error or f"{type(exc).__name__}: {exc}"
            self.status = "failed"
        finally:
            self.ready.set()
            self.points.put(_END)

    def request_stop(self, reason: str) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.stop.request, reason)

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        settings = load_settings()
        self.stop_file = study_dir(settings, self.spec.job_id) / "STOP"
        if self.stop_file.exists():  # started as its study stops: no run
            self.status = "cancelled"
            return
        engine = create_engine(settings)
        maker = create_sessionmaker(engine)
        try:
            train = _train_kind(evaluates=self.spec.metric_key is None)
            worker = QueueWorker(maker, settings, [train], concurrency=1)
            row, trial_id = await self._insert(maker, worker.worker_id)
            self.ready.set()
            watcher = asyncio.create_task(self._watch_metrics(maker))
            try:
                self.status = await worker.run_own(train, row, self.stop)
                if self.spec.metric_key is None and self.status == "completed":
                    await self._evaluate(maker, settings)
            finally:
                watcher.cancel()
                await self._report_new(maker)  # its output is all stored by now
            await self._finish(maker, trial_id)
        finally:
            await engine.dispose()

    async def _insert(self, maker: Any, worker_id: str) -> tuple[TunixRun, uuid.UUID]:
        """This trial's run and row: new ones, or, for a trial of a resumed study that
        had begun (its row exists), its own run taken over to resume from its latest
        checkpoint."""
        async with session_scope(maker) as session:
            trial = await session.scalar(
                select(TuningTrialRow).where(
                    TuningTrialRow.tuning_job_id == uuid.UUID(self.spec.job_id),
                    TuningTrialRow.trial_key == self.trial_key,
                )
            )
            if trial is not None and trial.run_id is not None:
                return await self._take_over(session, trial, worker_id)
        return await self._insert_new(maker, worker_id)

    async def _take_over(
        self, session: Any, trial: TuningTrialRow, worker_id: str
    ) -> tuple[TunixRun, uuid.UUID]:
        """The run of a trial whose study's driver was lost: owned by this trial now,
        as its next attempt (the trainer resumes from its latest checkpoint; what the
        lost attempt might still write is refused by the owner's guard). Its stored
        points are not reported again."""
        run = await session.get(TunixRun, trial.run_id)
        assert run is not None
        now = utcnow()
        attempt = run.attempt + 1
        await session.execute(
            update(TunixRun)
            .where(TunixRun.run_id == run.run_id)
            .values(
                status="running",
                worker_id=worker_id,
                attempt=attempt,
                max_attempts=attempt,
                claimed_at=now,
                completed_at=None,
                error=None,
                cancel_requested_at=None,
            )
        )
        trial.status, trial.updated_at, trial.completed_at, trial.error = "running", now, None, None
        if self.spec.metric_key is not None:
            points = await jobs_repository.metrics(session, run.run_id, [self.spec.metric_key])
            if points:
                self.last = (points[-1].step, points[-1].value)
        self.run_id = run.run_id
        self.max_steps = RunRequest.model_validate(run.config or {}).max_steps
        await session.flush()
        await session.refresh(run)
        session.expunge(run)
        return run, trial.id

    async def _insert_new(self, maker: Any, worker_id: str) -> tuple[TunixRun, uuid.UUID]:
        """The run, as this trial's own job (running, attempt 1, never re-queued: a
        lost trial is Ray's to retry), and the trial's row, in one transaction."""
        run_id = uuid.uuid4()
        request = RunRequest.model_validate(
            {
                **self.spec.training,
                **self.params,
                "dataset_key": self.spec.dataset_key,
                "model_id": self.spec.model_id,
                "dry_run": False,
                "name": f"{self.spec.name}: trial {self.trial_key}"[:200],
                "tags": ["tuning", f"tuning-{self.spec.job_id[:8]}"],
            }
        )
        self.max_steps = request.max_steps
        now = utcnow()
        row = TunixRun(
            run_id=run_id,
            dataset_key=request.dataset_key,
            model_id=request.model_id,
            mode="local",
            status="running",
            config={
                **request.model_dump(mode="json", exclude={"name", "notes", "tags"}),
                "output_dir": f"runs/{run_id}",
            },
            name=request.name,
            tags=request.tags,
            started_at=now,
            created_at=now,
            queued_at=now,
            claimed_at=now,
            worker_id=worker_id,
            attempt=1,
            max_attempts=1,
            stdout="",
            stderr="",
        )
        trial_id = uuid.uuid4()
        trial = TuningTrialRow(
            id=trial_id,
            tuning_job_id=uuid.UUID(self.spec.job_id),
            trial_key=self.trial_key,
            run_id=run_id,
            params_json=self.params,
            status="running",
            created_at=now,
            updated_at=now,
        )
        async with session_scope(maker) as session:
            session.add(row)
            await session.flush()
            session.add(trial)
        self.run_id = run_id
        return row, trial_id

    async def _watch_metrics(self, maker: Any) -> None:
        """Its new points, and the study's stop: the run stops with its checkpoint,
        as cancelled (the study was) or paused (its worker is stopping: resumed
        later), while Ray Tune still holds the trial (see `TrialRun.step`)."""
        while True:
            await asyncio.sleep(POLL_S)
            await self._report_new(maker)
            if self.stopping and not self.stop.event.is_set():
                async with session_scope(maker) as session:
                    job = await session.get(TuningJobRow, uuid.UUID(self.spec.job_id))
                    cancelled = job is None or job.cancel_requested_at is not None
                self.stop.request("cancel" if cancelled else PAUSE)

    @property
    def stopping(self) -> bool:
        """Whether its study is stopping (cancelled, or its worker stopping)."""
        return self.stop_file is not None and self.stop_file.exists()

    async def _report_new(self, maker: Any) -> None:
        assert self.run_id is not None
        if self.spec.metric_key is None:
            return  # reported once, from its evaluation
        async with session_scope(maker) as session:
            points = await jobs_repository.metrics(session, self.run_id, [self.spec.metric_key])
        for point in points:
            if self.last is None or point.step > self.last[0]:
                self.last = (point.step, point.value)
                self.points.put(self.last)

    async def _evaluate(self, maker: Any, settings: Any) -> None:
        """primary_score: the trial evaluates its completed run itself, as its own job
        (the default judge on the eval split; no automatic evaluation is queued for
        it). An evaluation that does not complete leaves the trial without a metric:
        failed, or cancelled with its study."""
        from tunix_rt_backend.evaluation import service as evaluations
        from tunix_rt_backend.evaluation.execution import EVALUATE

        assert self.run_id is not None
        worker = QueueWorker(maker, settings, [EVALUATE], concurrency=1)
        try:
            async with session_scope(maker) as session:
                row = await evaluations.own_for_run(
                    session, settings, self.run_id, worker.worker_id
                )
        except AppError as exc:
            self.evaluation, self.error = "failed", f"its run cannot be evaluated: {exc.detail}"
            return
        status = await worker.run_own(EVALUATE, row, self.stop)
        async with session_scope(maker) as session:
            done = await session.get(EvaluationRow, row.id)
            run = await session.get(TunixRun, self.run_id)
        score = done.primary_score if done is not None else None
        if status == "completed" and score is not None:
            steps = (run.summary or {}).get("steps") if run is not None else None
            self.last = (int(steps or self.max_steps or 0), float(score))
            self.evaluation = "completed"
        elif status == "cancelled":
            self.evaluation = "cancelled"
        else:
            why = (done.error if done is not None else None) or "no score"
            self.evaluation, self.error = "failed", f"its evaluation {status}: {why}"

    async def _finish(self, maker: Any, trial_id: uuid.UUID) -> None:
        """The trial's end, from its run's: completed; early_stopped (the scheduler);
        cancelled (the study was); failed (never the best)."""
        async with session_scope(maker) as session:
            run = await session.get(TunixRun, self.run_id)
            job = await session.get(TuningJobRow, uuid.UUID(self.spec.job_id))
            status = run.status if run is not None else "failed"
            if status == "cancelled" and self.stop.reason == EARLY_STOP:
                status = "early_stopped"
            elif status not in ("completed", "cancelled"):
                status = "failed"
                self.error = (run.error if run is not None else None) or "the run failed"
            elif status == "completed" and self.evaluation in ("cancelled", "failed"):
                status = self.evaluation  # no score: never the best
            if job is not None and job.cancel_requested_at is not None and status != "completed":
                status = "cancelled"
            self.status = status
            trial = await session.get(TuningTrialRow, trial_id)
            assert trial is not None
            now = utcnow()
            trial.status = status
            trial.metric_value = self.last[1] if self.last and status != "failed" else None
            trial.stopped_step = self.last[0] if self.last else None
            trial.error = self.error if status == "failed" else None
            trial.updated_at = trial.completed_at = now


def _train_kind(*, evaluates: bool) -> Any:
    """`train` as the workers run it (a completed run queues its evaluation), or, for
    a trial that evaluates its run itself, without that."""
    from tunix_rt_backend.evaluation.service import after_training
    from tunix_rt_backend.runs.execution import TRAIN

    return TRAIN if evaluates else TRAIN.followed_by(after_training)


class TrialRun(tune.Trainable):
    """Ray Tune's view of a trial: each stored point of the study's metric is a result
    (`step`: the training step); the run's end is the last one."""

    def setup(self, config: dict[str, Any], spec: StudySpec) -> None:  # type: ignore[override]
        self.spec = spec
        self._start(config)

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        """This actor, reused for the next trial (a study whose trials end by
        themselves: their runs have ended when Ray hands the actor on)."""
        self.cleanup()
        self._start(new_config)
        return True

    def _start(self, config: dict[str, Any]) -> None:
        self.runner = _Runner(self.spec, dict(config), self.trial_id)
        self.thread = threading.Thread(target=self.runner.main, daemon=True)
        self.thread.start()
        self.runner.ready.wait()

    def step(self) -> dict[str, Any]:
        item = self.runner.points.get()
        if item is _END:
            if self.runner.status != "completed" and self.runner.stopping:
                # Its study is stopping: its driver waits for every trial's run to end,
                # then stops Ray Tune, which saves the study with this trial unfinished
                # (a paused study resumes it) and ends this actor. Ending the trial
                # here would let Ray start another in its place.
                threading.Event().wait()
            if self.runner.status != "completed" or self.runner.last is None:
                raise RuntimeError(self.runner.error or f"the trial's run {self.runner.status}")
            step, value = self.runner.last
            return {"step": step, self.spec.metric_name: value, "done": True}
        step, value = item
        return {"step": step, self.spec.metric_name: value}

    def cleanup(self) -> None:
        """Stopped by the scheduler (or the study, should its driver not have waited
        for the run): the run is asked to stop (it saves a final checkpoint) and
        waited for, so no process outlives the trial."""
        if self.thread.is_alive():
            cancelled = self._study_cancelled()
            if self.runner.trained_out and not cancelled:
                pass  # stopped at its last step (ASHA's max_t): it completes
            elif cancelled:
                self.runner.request_stop("cancel")
            elif self.runner.stopping:
                self.runner.request_stop(PAUSE)
            else:
                self.runner.request_stop(EARLY_STOP)
            self.thread.join(STOP_WAIT_S)

    def _study_cancelled(self) -> bool:
        async def flagged() -> bool:
            settings = load_settings()
            engine = create_engine(settings)
            try:
                async with session_scope(create_sessionmaker(engine)) as session:
                    job = await session.get(TuningJobRow, uuid.UUID(self.spec.job_id))
                    return job is None or job.cancel_requested_at is not None
            finally:
                await engine.dispose()

        return asyncio.run(flagged())

    def save_checkpoint(self, checkpoint_dir: str) -> dict[str, Any]:
        state = {"run_id": str(self.runner.run_id), "last": self.runner.last}
        Path(checkpoint_dir, "trial.json").write_text(json.dumps(state))
        return state
