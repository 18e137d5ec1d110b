"""`tunix-rt demo`: the whole loop on the built-in tiny model, offline, in one command."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.datasets.schemas import DatasetBuildRequest, DatasetFilters
from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.generators import service as generators_service
from tunix_rt_backend.generators.schemas import NoParams
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.runs import service
from tunix_rt_backend.runs.execution import TRAIN
from tunix_rt_backend.runs.schemas import RunRequest
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]
RunWithMaker = Callable[[Settings, Callable[[Maker], Awaitable[Any]]], Any]

# High Card Duel on tunix-rt/tiny-gemma3: about 80% held-out exact match (chance ~47%)
# after 300 steps, about a minute on 2 idle CPUs (see README, "The demo").
DEMO_GAMES = 1600
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
    "num_generations": 100,
}


def add_commands(sub: Any, run: RunWithMaker) -> None:
    demo = sub.add_parser(
        "demo", help="generate High Card Duel games, build a dataset and train the tiny model"
    )
    demo.add_argument("--steps", type=int, default=DEMO_TRAINING["max_steps"])
    demo.add_argument("--seed", type=int, default=0, help="seed of the games")
    demo.set_defaults(handler=lambda s, a: run(s, lambda m: _demo(m, s, a)))


async def _demo(maker: Maker, settings: Settings, args: argparse.Namespace) -> None:
    generator = generators_service.get_generator("high_card_duel")
    async with session_scope(maker) as session:
        await generators_service.generate(
            session,
            generator,
            count=DEMO_GAMES,
            seed=args.seed,
            params=NoParams(),
            persist=True,
            max_payload_bytes=settings.trace_max_bytes,
        )
        dataset = await datasets_service.build(
            session,
            DatasetBuildRequest(
                name="hcd_demo",
                limit=DEMO_GAMES,
                seed=args.seed,
                filters=DatasetFilters(source="ungar"),
            ),
            settings.dataset_max_traces,
        )
    print(f"built {dataset.dataset_key}: {dataset.train_count} train, {dataset.eval_count} eval")
    print("training tunix-rt/tiny-gemma3 (about a minute on 2 idle CPUs)...")
    training = {**DEMO_TRAINING, "max_steps": args.steps}
    request = RunRequest(dataset_key=dataset.dataset_key, dry_run=False, **training)
    # Runs are always executed by a worker: this one lives as long as the command (another
    # on the same database may take the run instead).
    async with QueueWorker(maker, settings, [TRAIN], concurrency=1).running() as worker:
        result = await service.submit(maker, settings, request, wake=worker.wake)
    print(result.message)
    summary = result.summary or {}
    if summary.get("exact_match") is not None:
        prompts = DEMO_TRAINING["num_generations"]
        print(
            f"held-out exact match: {summary['exact_match']:.0%} of {prompts} prompts "
            f"(chance ~47%); {summary.get('steps_per_second')} steps/s; "
            f"artifacts in {settings.artifacts_root / result.output_dir}"
        )
