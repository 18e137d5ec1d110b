"""One Tunix RT queue worker process for bench/run_queue.py: a QueueWorker whose executor
does nothing but the guarded finish, so what is timed is the queue's own machinery.

It builds the engine and opens one pooled connection, prints `ready`, and waits for a
line on stdin before `QueueWorker.run()` (so the parent can start several at one
instant). Each run it executes: the wall-clock time the executor was entered, then the
guarded finish (status completed) through the worker's `finish`, as `service.execute`
ends a run in a worker (finishes that come together are written together). With
--report it prints `start <run_id> <time>` on entering and `end <run_id>` after the
finish commits. SIGTERM stops it (QueueWorker.stop); it then writes to --results as JSON the runs it
executed, [run_id, start, end, written], and the CPU seconds it used from `go` to
the stop.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from pathlib import Path

import orjson
from sqlalchemy import text
from tunix_rt_backend.db.engine import create_engine, create_sessionmaker
from tunix_rt_backend.db.models import TunixRun
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.metrics import Metrics
from tunix_rt_backend.runs.repository import Owner
from tunix_rt_backend.runs.worker import QueueWorker
from tunix_rt_backend.settings import Settings


async def main(args: argparse.Namespace) -> None:
    overrides = {"worker_concurrency": args.concurrency, "worker_poll_seconds": args.poll_seconds}
    settings = Settings(
        database_url=args.db_url,
        data_dir=Path(args.data_dir),
        **{k: v for k, v in overrides.items() if v is not None},
    )
    engine = create_engine(settings, pre_ping=False)  # as `tunix-rt worker`
    maker = create_sessionmaker(engine)
    executions: list[tuple[str, float, float, bool]] = []

    async def finish_only(run: TunixRun, owner: Owner, stop: asyncio.Event) -> str:
        start = time.time()
        if args.report:
            print(f"start {run.run_id} {start:.6f}", flush=True)
        values = {"status": "completed", "exit_code": 0, "completed_at": utcnow()}
        written = await worker.finish(run.run_id, owner, values)
        executions.append((str(run.run_id), start, time.time(), written))
        if args.report:
            print(f"end {run.run_id}", flush=True)
        return "completed" if written else "superseded"

    async with engine.connect() as conn:  # the pool's first connection, before `go`
        await conn.execute(text("SELECT 1"))
    metrics = Metrics()  # as `tunix-rt worker` counts and times what it does
    worker = QueueWorker(maker, settings, execute=finish_only, metrics=metrics)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, worker.stop)
    print("ready", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    cpu = time.process_time()
    try:
        await worker.run()
    finally:
        cpu = time.process_time() - cpu
        await engine.dispose()
        document = {"executions": executions, "cpu_s": cpu}
        Path(args.results).write_bytes(orjson.dumps(document))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--concurrency", type=int, help="default: WORKER_CONCURRENCY")
    parser.add_argument("--poll-seconds", type=float, help="default: WORKER_POLL_SECONDS")
    parser.add_argument("--report", action="store_true")
    asyncio.run(main(parser.parse_args()))
