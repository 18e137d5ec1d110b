"""`tunix-rt dataset build|list|show|export|delete`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.datasets import service
from tunix_rt_backend.datasets.schemas import DatasetBuildRequest, DatasetFilters
from tunix_rt_backend.kit.pagination import PageParams
from tunix_rt_backend.settings import Settings

T = TypeVar("T")
Maker = async_sessionmaker[AsyncSession]
RunWithMaker = Callable[[Settings, Callable[[Maker], Awaitable[Any]]], Any]


def add_commands(sub: Any, run: RunWithMaker) -> None:
    """Register the commands; `run(settings, work)` runs `work(sessionmaker)`."""
    dataset = sub.add_parser("dataset", help="datasets").add_subparsers(required=True)

    build = dataset.add_parser("build", help="build the next version of a dataset")
    build.add_argument("--name", required=True)
    build.add_argument("--strategy", choices=["latest", "random"], default="latest")
    build.add_argument("--seed", type=int, default=42)
    build.add_argument("--limit", type=int, default=1000)
    build.add_argument("--eval-ratio", type=float, default=0.1)
    build.add_argument("--source", help="only traces whose meta.source is this")
    build.add_argument("--min-score", type=float, help="only traces with a baseline score ≥ this")
    build.add_argument("--after", type=datetime.fromisoformat, help="created at/after (ISO)")
    build.add_argument("--before", type=datetime.fromisoformat, help="created before (ISO)")
    build.add_argument("--description")
    build.set_defaults(handler=lambda s, a: _print(run(s, lambda m: _build(m, s, a))))

    listing = dataset.add_parser("list", help="list datasets, newest first")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(handler=lambda s, a: run(s, lambda m: _list(m, a.limit)))

    show = dataset.add_parser("show", help="print a dataset's manifest (JSON)")
    show.add_argument("dataset_key")
    show.set_defaults(handler=lambda s, a: _print(run(s, lambda m: _show(m, a.dataset_key))))

    export = dataset.add_parser("export", help="write a dataset as NDJSON")
    export.add_argument("dataset_key")
    export.add_argument(
        "--format", choices=["trace", "tunix_sft", "training_example"], default="trace"
    )
    export.add_argument("--split", choices=["all", "train", "eval"], default="all")
    export.add_argument("--output", "-o", type=Path, help="file to write (default stdout)")
    export.set_defaults(handler=lambda s, a: run(s, lambda m: _export(m, a)))

    delete = dataset.add_parser("delete", help="delete a dataset (not while a run uses it)")
    delete.add_argument("dataset_key")
    delete.set_defaults(handler=lambda s, a: run(s, lambda m: _delete(m, a.dataset_key)))


def _print(manifest: Any) -> None:
    print(manifest.model_dump_json(indent=2))


async def _in_session(maker: Maker, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with maker() as session:
        result = await work(session)
        await session.commit()
        return result


async def _build(maker: Maker, settings: Settings, args: argparse.Namespace) -> Any:
    request = DatasetBuildRequest(
        name=args.name,
        strategy=args.strategy,
        seed=args.seed,
        limit=args.limit,
        eval_ratio=args.eval_ratio,
        description=args.description,
        filters=DatasetFilters(
            source=args.source,
            min_score=args.min_score,
            created_after=args.after,
            created_before=args.before,
        ),
    )
    return await _in_session(
        maker, lambda s: service.build(s, request, settings.dataset_max_traces)
    )


async def _list(maker: Maker, limit: int) -> None:
    params = PageParams(limit=limit, offset=0, cursor=None)
    page = await _in_session(maker, lambda s: service.list_datasets(s, params, None))
    print(f"{'DATASET':32}  {'TRACES':>7}  {'TRAIN':>6}  {'EVAL':>5}  {'CREATED':20}  SHA256")
    for d in page.data:
        created = d.created_at.strftime("%Y-%m-%d %H:%M:%SZ")
        print(
            f"{d.dataset_key:32}  {d.trace_count:>7}  {d.train_count:>6}  {d.eval_count:>5}  "
            f"{created:20}  {d.content_sha256[:16]}"
        )


async def _show(maker: Maker, dataset_key: str) -> Any:
    return await _in_session(maker, lambda s: service.get_manifest(s, dataset_key))


async def _export(maker: Maker, args: argparse.Namespace) -> None:
    dataset = await _in_session(maker, lambda s: service.get_dataset(s, args.dataset_key))
    out: BinaryIO = args.output.open("wb") if args.output else sys.stdout.buffer
    try:
        async for chunk in service.export_lines(maker, dataset.id, args.format, args.split):
            out.write(chunk)
    finally:
        if args.output:
            out.close()
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr)


async def _delete(maker: Maker, dataset_key: str) -> None:
    await _in_session(maker, lambda s: service.delete_dataset(s, dataset_key))
    print(f"deleted {dataset_key}")
