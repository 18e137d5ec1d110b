"""`tunix-rt demo`: the whole loop on the built-in tiny model, offline, in one command:
games, a dataset, a training run (with a progress bar), its evaluation, a regression
check against the previous demo run, a model version, the `prod` alias moved to it
when the gate passes, and serving: the released model loaded in a model process and
asked a held-out game, then the playground URL and how to ask it with curl or the
openai client. Each stage says how long it took."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.datasets.schemas import DatasetBuildRequest, DatasetFilters
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.db.models import EvaluationItem, Trace
from tunix_rt_backend.evaluation import service as evaluations_service
from tunix_rt_backend.evaluation.schemas import EvaluationDetail
from tunix_rt_backend.generators import service as generators_service
from tunix_rt_backend.generators.schemas import NoParams
from tunix_rt_backend.job_kinds import job_kinds
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.kit.pagination import page_of
from tunix_rt_backend.kit.terminal import WaitBar
from tunix_rt_backend.registry.release import release
from tunix_rt_backend.runs import service
from tunix_rt_backend.runs.follow import follow
from tunix_rt_backend.runs.schemas import RunRequest
from tunix_rt_backend.serving import service as serving
from tunix_rt_backend.serving.pool import ModelPool
from tunix_rt_backend.serving.resolve import resolve
from tunix_rt_backend.serving.schemas import ChatCompletion, ChatCompletionRequest, ChatMessage
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]
RunWithMaker = Callable[[Settings, Callable[[Maker], Awaitable[Any]]], Any]

# High Card Duel on tunix-rt/tiny-gemma3: about 80% held-out exact match (chance ~47%)
# after 300 steps, about a minute on 2 idle CPUs (see README, "The demo"). The score is
# the run's evaluation (every held-out game, exact_match), not the trainer's own check.
DEMO_GAMES = 1600
EVALUATION_QUEUED_WITHIN_S = 30.0
DEMO_TRAINING: dict[str, Any] = {
    "model_id": "tunix-rt/tiny-gemma3",
    "max_steps": 300,
    "batch_size": 8,
    "learning_rate": 5e-3,
    "lr_schedule": "cosine",
    "warmup_steps": 50,
    "max_seq_length": 240,
    "eval_every_n_steps": 100,
    "checkpoint_every_n_steps": 100,
    "num_generations": 0,
}


def add_commands(sub: Any, run: RunWithMaker) -> None:
    demo = sub.add_parser(
        "demo", help="generate High Card Duel games, build a dataset and train the tiny model"
    )
    demo.add_argument("--steps", type=int, default=DEMO_TRAINING["max_steps"])
    demo.add_argument("--seed", type=int, default=0, help="seed of the games")
    demo.set_defaults(handler=lambda s, a: run(s, lambda m: _demo(m, s, a)))


async def _demo(maker: Maker, settings: Settings, args: argparse.Namespace) -> None:
    clock = Stages()
    dataset_key = await _dataset(maker, settings, args.seed)
    clock.done("data")
    print(f"training tunix-rt/tiny-gemma3 for {args.steps} steps (about a minute on 2 idle CPUs)")
    training = {**DEMO_TRAINING, "max_steps": args.steps}
    request = RunRequest(dataset_key=dataset_key, dry_run=False, name="tunix-rt demo", **training)
    # Jobs are always executed by a worker: this one lives as long as the command (another
    # on the same database may take them instead). A completed run queues its evaluation.
    kinds = job_kinds()
    async with QueueWorker(maker, settings, kinds, concurrency=1).running() as worker:
        queued = await service.submit(maker, settings, request, wait=False, wake=worker.wake)
        result = await follow(maker, queued.run_id, args.steps)
        print(result.message)
        clock.done("training")
        evaluation = (
            await _evaluation(maker, settings, result.run_id)
            if result.status == "completed"
            else None
        )
    summary = result.summary or {}
    print(
        f"{summary.get('steps_per_second')} steps/s; artifacts in "
        f"{settings.artifacts_root / result.output_dir}"
    )
    if evaluation is not None:
        print(_score_line(evaluation))
        clock.done("evaluation")
    released = None
    if evaluation is not None and evaluation.status == "completed":
        released = await release(maker, settings, result.run_id, evaluation.verdict == "pass")
        clock.done("release")
    base = f"http://{settings.backend_host}:{settings.backend_port}"
    question = None
    if released is not None and evaluation is not None:
        question = await _held_out_question(maker, evaluation.id)
        await _serve_once(maker, settings, released.served_as, question)
        clock.done("serving")
    print(f"the run: {base}/runs/{result.run_id} (with `tunix-rt serve` running)")
    if released is not None:
        print(f"the model: {base}/models/{released.model_id}")
        print(f"the playground: {base}/playground?model={released.served_as}")
        print(_snippets(base, released.served_as, question or "Who wins?"))
    print(clock.line())


async def _held_out_question(maker: Maker, evaluation_id: uuid.UUID) -> str | None:
    """The question of the evaluation's first item (a held-out game)."""
    async with session_scope(maker) as session:
        trace = await session.scalar(
            select(Trace)
            .join(EvaluationItem, EvaluationItem.trace_id == Trace.id)
            .where(EvaluationItem.evaluation_id == evaluation_id)
            .order_by(EvaluationItem.index)
            .limit(1)
        )
    return str(trace.payload["prompt"]) if trace is not None else None


async def _serve_once(maker: Maker, settings: Settings, name: str, question: str | None) -> None:
    """The released model loaded in a model process, as `tunix-rt serve` loads it, and
    asked a held-out question through the same code as /v1/chat/completions."""
    if question is None:
        return
    pool = ModelPool(settings)
    try:
        async with session_scope(maker) as session:
            target = await resolve(session, settings, name)
        body = ChatCompletionRequest(
            model=name, messages=[ChatMessage(role="user", content=question)], temperature=0
        )
        answer = await serving.chat(pool, settings, target, body)
    finally:
        await pool.close()
    assert isinstance(answer, ChatCompletion)
    message = answer.choices[0].message
    print(f"served {name}, asked a held-out game: {question}")
    for line in (message.reasoning_content or "").splitlines():
        print(f"  {line}")
    print(f"  answer: {message.content} ({answer.usage.completion_tokens} tokens)")


def _snippets(base: str, name: str, question: str) -> str:
    """How to ask it the same, once `tunix-rt serve` runs: curl and the openai client."""
    body = {"model": name, "messages": [{"role": "user", "content": question}], "temperature": 0}
    return (
        "ask it (with `tunix-rt serve` running):\n"
        f"  curl {base}/v1/chat/completions -H 'Content-Type: application/json' "
        f"-d '{json.dumps(body)}'\n"
        f'  python -c \'import openai; print(openai.OpenAI(base_url="{base}/v1", '
        f'api_key="-").chat.completions.create(model="{name}", temperature=0, '
        f'messages=[{{"role": "user", "content": {json.dumps(question)}}}])'
        ".choices[0].message)'"
    )


class Stages:
    """How long each stage took, for the last line."""

    def __init__(self) -> None:
        self._start = self._last = time.monotonic()
        self._times: list[tuple[str, float]] = []

    def done(self, stage: str) -> None:
        now = time.monotonic()
        self._times.append((stage, now - self._last))
        self._last = now

    def line(self) -> str:
        parts = ", ".join(f"{stage} {seconds:.0f} s" for stage, seconds in self._times)
        return f"done in {time.monotonic() - self._start:.0f} s: {parts}"


async def _dataset(maker: Maker, settings: Settings, seed: int) -> str:
    """The demo's dataset: the newest `hcd_demo` built from the same seed when there is
    one (so a later demo run is checked against an earlier one on the same held-out
    games), else new games and a new version."""
    async with session_scope(maker) as session:
        page = await datasets_service.list_datasets(session, page_of(100, 0, None), "hcd_demo")
        for summary in page.data:
            dataset = await datasets_service.get_dataset(session, summary.dataset_key)
            if dataset.build.get("seed") == seed:
                split = f"{dataset.train_count} train, {dataset.eval_count} eval"
                print(f"using {dataset.dataset_key}: {split}")
                return dataset.dataset_key
    generator = generators_service.get_generator("high_card_duel")
    async with session_scope(maker) as session:
        await generators_service.generate(
            session,
            generator,
            count=DEMO_GAMES,
            seed=seed,
            params=NoParams(),
            persist=True,
            max_payload_bytes=settings.trace_max_bytes,
        )
        built = await datasets_service.build(
            session,
            DatasetBuildRequest(
                name="hcd_demo", limit=DEMO_GAMES, seed=seed, filters=DatasetFilters(source="ungar")
            ),
            settings.dataset_max_traces,
        )
    print(f"built {built.dataset_key}: {built.train_count} train, {built.eval_count} eval")
    return built.dataset_key


async def _evaluation(maker: Maker, settings: Settings, run_id: Any) -> EvaluationDetail | None:
    """The run's evaluation, once it has ended. The worker queues it just after it
    writes the run's end, which the request may see first: a moment's grace for that."""
    queued_by = asyncio.get_running_loop().time() + EVALUATION_QUEUED_WITHIN_S
    with WaitBar("items", None) as bar:
        while True:
            async with session_scope(maker) as session:
                try:
                    evaluation = await evaluations_service.latest_for_run(session, run_id, None)
                except evaluations_service.EvaluationNotFound:
                    evaluation = None
            if evaluation is None:
                if not settings.eval_auto or asyncio.get_running_loop().time() > queued_by:
                    return None
            else:
                progress = evaluation.progress
                bar.update(f"evaluation {evaluation.status}", progress.done, progress.total)
                if evaluation.status not in ("pending", "running"):
                    return evaluation
            await asyncio.sleep(0.5)


def _score_line(evaluation: EvaluationDetail) -> str:
    if evaluation.primary_score is None or evaluation.interval is None:
        return f"evaluation {evaluation.status}: {evaluation.message}"
    baseline = (evaluation.details.get("majority_baseline") or {}).get("share")
    chance = f", always answering the commonest winner {baseline:.0%}" if baseline else ""
    return (
        f"held-out exact match: {evaluation.primary_score:.0%} of {evaluation.n_scored} "
        f"{evaluation.split} games (95% interval {evaluation.interval.low:.0%}-"
        f"{evaluation.interval.high:.0%}{chance}): {evaluation.verdict}; "
        f"evaluation {evaluation.id}"
    )
