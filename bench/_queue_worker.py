"""One Tunix RT queue worker process for bench/run_queue.py: a QueueWorker whose one job
kind ("train" on the TunixRun table, as `runs.execution.TRAIN`) has a handler that does
nothing, so what is timed is the queue's own machinery: the claim, the job's context
the worker builds (JobOutput, StopWatch) and the guarded finish.

It builds the engine and opens one pooled connection, prints `ready`, and waits for a
line on stdin before `QueueWorker.run()` (so the parent can start several at one
instant). Each run it executes: the wall-clock time the handler was entered, then the
handler returns `{"status": "completed", "exit_code": 0}`, which the worker writes
under the guard through its Finisher (with completed_at; finishes that come together
are written together), as it ends any job; the end time is taken in `on_finish`, which
the worker calls once the end is written. With --report it prints `start <run_id>
<time>` on entering the handler and `end <run_id>` from `on_finish`. SIGTERM stops it
(QueueWorker.stop); it then writes to --results as JSON the runs it executed,
[run_id, start, end, written], and the CPU seconds it used from `go` to the stop.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text
from tunix_rt_backend.db.engine import create_engine, create_sessionmaker
from tunix_rt_backend.db.models import TunixRun
from tunix_rt_backend.jobs.kinds import JobContext, JobKind
from tunix_rt_backend.jobs.worker import Held, QueueWorker
from tunix_rt_backend.metrics import Metrics
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
    started: dict[uuid.UUID, float] = {}
    executions: list[tuple[str, float, float, bool]] = []

    async def no_op(ctx: JobContext) -> dict[str, Any]:
        start = time.time()
        started[ctx.job_id] = start
        if args.report:
            print(f"start {ctx.job_id} {start:.6f}", flush=True)
        return {"status": "completed", "exit_code": 0}

    def on_finish(held: Held, status: str, seconds: float) -> None:
        """Called by the worker after the job's end was written (or found superseded)."""
        end = time.time()
        start = started.pop(held.job_id, end)
        executions.append((str(held.job_id), start, end, status == "completed"))
        if args.report:
            print(f"end {held.job_id}", flush=True)

    kind = JobKind("train", TunixRun, no_op)
    async with engine.connect() as conn:  # the pool's first connection, before `go`
        await conn.execute(text("SELECT 1"))
    metrics = Metrics()  # as `tunix-rt worker` counts and times what it does
    worker = QueueWorker(maker, settings, [kind], metrics=metrics, on_finish=on_finish)
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
