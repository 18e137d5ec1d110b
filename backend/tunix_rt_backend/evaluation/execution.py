"""The `evaluate` job kind: how a worker executes an evaluation. The evaluation
process (training/evaluate.py) answers the split's prompts; each answer is judged as
it arrives and stored as an item; the summary is computed from the items once all are
judged."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import Evaluation, EvaluationItem, TunixRun
from tunix_rt_backend.errors import AppError
from tunix_rt_backend.evaluation import repository
from tunix_rt_backend.evaluation.judges import (
    Item,
    Judge,
    Verdict,
    make_judge,
    unavailable_reason,
)
from tunix_rt_backend.evaluation.schemas import SplitName
from tunix_rt_backend.evaluation.scoring import Scored, summarize
from tunix_rt_backend.jobs import process
from tunix_rt_backend.jobs.kinds import JobContext, JobKind
from tunix_rt_backend.jobs.output import JobOutput
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.runs.paths import output_path
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.templates.gemma_reasoning import parse_completion
from tunix_rt_backend.training import events
from tunix_rt_backend.training.manifest import EvaluationSpec, RunManifest

ITEM_KEY = ("evaluation_id", "index")
PROGRESS_METRIC = "eval/items_done"


class EvaluationFailed(Exception):
    """The evaluation cannot be made; the message is for the user."""


def evaluation_dir(settings: Settings, evaluation_id: uuid.UUID) -> Path:
    return settings.artifacts_root / "evaluations" / str(evaluation_id)


async def execute(ctx: JobContext) -> dict[str, Any]:
    row: Evaluation = ctx.row
    clock = time.perf_counter()
    out = evaluation_dir(ctx.settings, row.id)
    try:
        records = await _prepare(ctx, row, out)
    except (EvaluationFailed, AppError) as exc:
        message = str(exc.detail if isinstance(exc, AppError) else exc)
        ctx.output.text("stderr", message + "\n")
        return _failed(message, clock)
    judge = make_judge(ctx.settings, row.judge)
    problem = _judge_problem(ctx.settings, row, judge)
    if problem is not None:
        await judge.aclose()
        ctx.output.text("stderr", problem + "\n")
        return _failed(problem, clock)
    answers = Answers(ctx.output, row.id, records, judge)
    limit = ctx.settings.tunix_run_timeout_seconds
    deadline = time.monotonic() + limit
    try:
        outcome = await process.run_process(
            evaluation_command(out),
            timeout_s=limit,
            env={"MODEL_DIR": str(ctx.settings.models_root)},
            stop=ctx.stop.event,
            stop_file=out / process.STOP_FILE,
            stop_grace_s=ctx.settings.worker_shutdown_grace_seconds,
            on_line=answers,
        )
        # The last answers may still be with the judge: wait for them, within the same
        # time limit, and no longer than until a stop is asked for.
        judged = await answers.judged(ctx.stop.event, deadline - time.monotonic())
    finally:
        await answers.cancel()
        await judge.aclose()
    done = answers.done
    generated = done is not None and done.status == "completed" and outcome.exit_code == 0
    if generated and judged:  # all there is: a stop that came after it changes nothing
        return _completed(row, answers, done.summary if done else {}, clock)
    if ctx.stop.reason == "shutdown":
        return {"status": "pending"}
    if ctx.stop.reason == "cancel":
        return {
            **_ended(clock),
            "status": "cancelled",
            "message": "Cancelled.",
            "error": "cancelled",
        }
    if outcome.timed_out or generated:  # generated, but not judged in time
        return _failed(f"stopped at its timeout ({limit} s)", clock, status="timeout")
    error = (done.summary.get("error") if done else None) or (
        f"the evaluation process exited with {outcome.exit_code}: {outcome.stderr[-500:]}"
    )
    return _failed(str(error), clock)


def _judge_problem(settings: Settings, row: Evaluation, judge: Judge) -> str | None:
    """Why this worker cannot score as the evaluation was queued: the judge is not
    usable here, or is configured otherwise than where it was queued (its stored hash
    would describe another judge)."""
    reason = unavailable_reason(settings, row.judge)
    if reason is not None:
        return f"judge {row.judge} is not available on this worker: {reason}"
    if judge.config_hash != row.judge_config_hash:
        return (
            f"judge {row.judge} is configured differently on this worker (config "
            f"{judge.config_hash[:12]}, queued with {row.judge_config_hash[:12]}): give the "
            "API and the workers the same JUDGE_* settings"
        )
    return None


EVALUATE = JobKind("evaluate", Evaluation, execute)


async def _prepare(ctx: JobContext, row: Evaluation, out: Path) -> list[dict[str, Any]]:
    """Writes the process's spec and the split's items; returns the items."""
    spec = EvaluationSpec(
        model_id=row.model_id,
        batch_size=int(row.decoding.get("batch_size") or ctx.settings.eval_batch_size),
        max_new_tokens=row.decoding.get("max_new_tokens"),
        temperature=row.decoding.get("temperature", 0.0),
        top_p=row.decoding.get("top_p"),
        seed=row.decoding.get("seed"),
    )
    async with session_scope(ctx.maker) as session:
        if ctx.owner.attempt > 1:  # a lost worker's attempt: its progress is no guide
            await repository.clear_attempt(session, row.id, PROGRESS_METRIC)
        dataset = await datasets_service.get_manifest(session, row.dataset_key)
        run = await session.get(TunixRun, row.run_id) if row.run_id else None
    if row.run_id is not None:
        if run is None:
            raise EvaluationFailed(f"run {row.run_id} no longer exists")
        run_dir = output_path(ctx.settings, run)
        try:
            manifest = RunManifest.load(run_dir / "manifest.yaml")
        except (OSError, ValueError) as exc:
            raise EvaluationFailed(f"cannot read the run's manifest: {exc}") from None
        spec.training = manifest.training
        spec.checkpoint_root = str(run_dir / "checkpoints")
    out.mkdir(parents=True, exist_ok=True)
    (out / process.STOP_FILE).unlink(missing_ok=True)
    (out / "spec.json").write_text(spec.model_dump_json(indent=2))
    items = out / "items.jsonl"
    with items.open("wb") as export:
        split: SplitName = "train" if row.split == "train" else "eval"
        async for chunk in datasets_service.export_lines(ctx.maker, dataset.id, "tunix_sft", split):
            export.write(chunk)
    records = read_items(items)
    if not records:
        raise EvaluationFailed(f"dataset {row.dataset_key} has no {row.split} split to answer")
    return records


def read_items(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as lines:
        return [orjson.loads(line) for line in lines if line.strip()]


def evaluation_command(out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tunix_rt_backend.training.evaluate",
        "--spec",
        str(out / "spec.json"),
        "--dataset",
        str(out / "items.jsonl"),
        "--stop-file",
        str(out / process.STOP_FILE),
    ]


class Answers:
    """Reads the evaluation process's lines: each `answer` is judged (concurrently,
    as the judge allows) and stored as an item; `eval/items_done` is live progress."""

    def __init__(
        self,
        output: JobOutput,
        evaluation_id: uuid.UUID,
        records: list[dict[str, Any]],
        judge: Judge,
    ) -> None:
        self.output = output
        self.evaluation_id = evaluation_id
        self.records = records
        self.judge = judge
        self.done: events.Done | None = None
        self.items: dict[int, Scored] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, stream: str, line: bytes) -> None:
        event = events.parse(line) if stream == "stdout" else None
        if isinstance(event, events.Answer):
            if 0 <= event.index < len(self.records):
                task = asyncio.get_running_loop().create_task(self._judge(event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return  # items are stored as rows, not as log lines
        self.output.line(stream, line)
        if isinstance(event, events.Metric) and event.step is not None:
            self.output.metric(event.name, event.step, event.value)
        elif isinstance(event, events.Done):
            self.done = event

    async def judged(self, stop: asyncio.Event, timeout_s: float) -> bool:
        """Waits for every answer's judging; False when `stop` is set or `timeout_s`
        passes first."""
        stopping = asyncio.ensure_future(stop.wait())
        try:
            async with asyncio.timeout(max(timeout_s, 0)):
                while self._tasks and not stop.is_set():
                    await asyncio.wait([*self._tasks, stopping], return_when="FIRST_COMPLETED")
        except TimeoutError:
            return False
        finally:
            stopping.cancel()
        return not self._tasks

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _judge(self, answer: events.Answer) -> None:
        record = self.records[answer.index]
        item = Item(answer.index, record["prompt"], record.get("final_answer"), answer.output)
        try:
            verdict = await self.judge.judge(item)
        except Exception as exc:  # a judge's bug: this item is unscored, not the run failed
            verdict = Verdict(None, None, unscored_reason=f"the judge failed: {exc!r}")
        parsed = parse_completion(answer.output)
        self.items[answer.index] = Scored(
            expected=item.expected,
            score=verdict.score,
            correct=verdict.correct,
            format_ok=parsed.format_ok,
            reasoning_steps=parsed.steps,
            reasoning_tokens=answer.reasoning_tokens,
            output_tokens=answer.output_tokens,
            latency_ms=answer.latency_ms,
            judge_attempts=verdict.attempts,
        )
        self.output.row(
            EvaluationItem,
            ITEM_KEY,
            {
                "evaluation_id": self.evaluation_id,
                "index": answer.index,
                "trace_id": _uuid(record.get("id")),
                "prompt": record["prompt"],
                "expected": item.expected,
                "output": answer.output,
                "extracted": parsed.answer,
                "correct": verdict.correct,
                "score": verdict.score,
                "format_ok": parsed.format_ok,
                "reasoning_steps": parsed.steps,
                "reasoning_tokens": answer.reasoning_tokens,
                "output_tokens": answer.output_tokens,
                "latency_ms": answer.latency_ms,
                "judge_reasoning": verdict.reasoning,
                "judge_raw": verdict.raw,
                "judge_attempts": verdict.attempts,
                "unscored_reason": verdict.unscored_reason,
            },
        )


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _ended(clock: float) -> dict[str, Any]:
    return {"completed_at": utcnow(), "details": {"duration_seconds": _seconds(clock)}}


def _seconds(clock: float) -> float:
    return round(time.perf_counter() - clock, 3)


def _failed(error: str, clock: float, status: str = "failed") -> dict[str, Any]:
    return {
        **_ended(clock),
        "status": status,
        "error": error,
        "message": f"Evaluation {status}: {error}",
    }


def _completed(
    row: Evaluation, answers: Answers, summary: dict[str, Any], clock: float
) -> dict[str, Any]:
    items = [answers.items[i] for i in sorted(answers.items)]
    values = summarize(items, len(answers.records))
    values["details"] |= {
        "duration_seconds": _seconds(clock),
        "generation": {k: v for k, v in summary.items() if k != "decoding"},
    }
    missing = len(answers.records) - len(items)
    if missing:
        values["details"]["unanswered"] = missing
    if values["primary_score"] is None:
        message = f"No item could be scored ({values['n_unscored']} unscored)."
    else:
        message = (
            f"{values['score']:.1f}% on {values['n_scored']} {row.split} items "
            f"({row.judge} v{row.judge_version})"
        )
    return {
        **values,
        "status": "completed",
        "checkpoint_step": summary.get("checkpoint_step"),
        "decoding": row.decoding | (summary.get("decoding") or {}),
        "message": message,
        "completed_at": utcnow(),
    }
