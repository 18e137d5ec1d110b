"""`tunix-rt generate NAME`: reasoning traces from a generator, stored."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.generators import service
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]
RunWithMaker = Callable[[Settings, Callable[[Maker], Awaitable[Any]]], Any]


def add_commands(sub: Any, run: RunWithMaker) -> None:
    """Register the command; `run(settings, work)` runs `work(sessionmaker)`."""
    generate = sub.add_parser("generate", help="generate reasoning traces and store them")
    generate.add_argument("generator", help="high-card-duel or arithmetic")
    generate.add_argument("--count", type=int, default=100)
    generate.add_argument(
        "--seed", type=int, help="fixes the traces (default: a fresh seed, printed)"
    )
    generate.add_argument("--difficulty", type=int, help="arithmetic: 1 (easy) to 5")
    generate.set_defaults(handler=lambda s, a: run(s, lambda m: _generate(m, s, a)))


async def _generate(maker: Maker, settings: Settings, args: argparse.Namespace) -> None:
    generator = service.get_generator(args.generator.replace("-", "_"))
    service.check_count(args.count, settings.generator_max_count)
    raw = {} if args.difficulty is None else {"difficulty": args.difficulty}
    params = service.parse_params(generator, raw)
    async with session_scope(maker) as session:
        result = await service.generate(
            session,
            generator,
            count=args.count,
            seed=args.seed,
            params=params,
            persist=True,
            max_payload_bytes=settings.trace_max_bytes,
        )
    print(f"generated {result.created} {generator.name} traces (seed {result.seed})")
    if result.repeated:
        print(
            f"{result.repeated} of them repeat a prompt already stored or earlier in this run: "
            "a dataset of them can ask the same question in train and eval"
        )
