"""PgQueuer's side of bench/run_queue.py, run by a separate venv that holds PgQueuer
(it is no dependency of Tunix RT). Three commands:

  install   PgQueuer's schema, as `pgq install` creates it (durable: logged tables);
  enqueue   N jobs of the entrypoint `noop`, one batched `Queries.enqueue`;
  consume   one consumer: a QueueManager over one asyncpg connection (the
            AsyncpgDriver, as PgQueuer's README sets up a consumer) with a `noop`
            entrypoint that records the job and returns. It connects, prints
            `ready`, waits for a line on stdin, then runs in drain mode with
            PgQueuer's defaults (batch_size 10, unlimited concurrent tasks;
            --batch-size sets the jobs one dequeue may take): `run`
            returns once the queue is empty and its buffered completions are
            written. Then it prints `done` and waits for another line (so the
            parent can read its server process's CPU time while it is connected)
            and writes to --results as JSON the jobs it executed, [job_id, start],
            the wall-clock time `run` returned and the CPU seconds it used from
            `go` until then.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import asyncpg
from pgqueuer import QueueManager
from pgqueuer.db import AsyncpgDriver
from pgqueuer.domain.types import QueueExecutionMode
from pgqueuer.models import Job
from pgqueuer.queries import Queries

ENTRYPOINT = "noop"


async def install(args: argparse.Namespace) -> None:
    connection = await asyncpg.connect(args.dsn)
    try:
        await Queries(AsyncpgDriver(connection)).install()
    finally:
        await connection.close()


async def enqueue(args: argparse.Namespace) -> None:
    connection = await asyncpg.connect(args.dsn)
    try:
        queries = Queries(AsyncpgDriver(connection))
        ids = await queries.enqueue([ENTRYPOINT] * args.jobs, [None] * args.jobs, [0] * args.jobs)
        assert len(ids) == args.jobs, len(ids)
    finally:
        await connection.close()


async def consume(args: argparse.Namespace) -> None:
    connection = await asyncpg.connect(args.dsn)
    qm = QueueManager(Queries(AsyncpgDriver(connection)))
    executions: list[tuple[int, float]] = []

    @qm.entrypoint(ENTRYPOINT)
    async def noop(job: Job) -> None:
        executions.append((int(job.id), time.time()))

    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    cpu = time.process_time()
    try:
        await qm.run(mode=QueueExecutionMode.drain, batch_size=args.batch_size)
    finally:
        ended, cpu = time.time(), time.process_time() - cpu
        print("done", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        await connection.close()
        document = {"executions": executions, "ended": ended, "cpu_s": cpu}
        Path(args.results).write_text(json.dumps(document))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("install", "enqueue", "consume"))
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--jobs", type=int, default=0, help="enqueue: how many")
    parser.add_argument("--results", help="consume: where to write what it executed")
    parser.add_argument("--batch-size", type=int, default=10, help="consume: PgQueuer's default")
    args = parser.parse_args()
    asyncio.run({"install": install, "enqueue": enqueue, "consume": consume}[args.command](args))
