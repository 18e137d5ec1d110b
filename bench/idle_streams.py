"""Live output streams at rest and on replay: what open SSE streams cost the server.

In a throw-away, migrated SQLite database it inserts a `running` run with no output
(no worker runs it: its streams stay idle) and a `completed` run with --chunks log
chunks of 10 lines each, then starts `tunix-rt serve` with no embedded worker:

  idle    --streams SSE clients on the running run (`GET /api/tunix/runs/{id}/logs`),
          each past its first `status` event; the server's CPU seconds (utime + stime
          from /proc) over --seconds, as a share of one core. Target: < 5%.
  replay  --streams clients on the completed run at once: each must receive every
          chunk, in seq order, and `end`; the wall time until the last one ended.

Run from the repository root:

    .venv/bin/python bench/idle_streams.py

Figures are printed and written to bench/results/idle_streams.json (other options:
idle_streams.json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from _support import serve_process, write_results
from tunix_rt_backend.db.engine import create_engine, create_sessionmaker, session_scope
from tunix_rt_backend.db.migrate import upgrade
from tunix_rt_backend.db.models import JobLogChunk, TunixRun
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings

TARGET_IDLE_CORE_SHARE = 0.05
DEFAULTS = {"streams": 100, "seconds": 20.0, "chunks": 2000}


async def insert_runs(db_url: str, workdir: Path, chunks: int) -> tuple[uuid.UUID, uuid.UUID]:
    engine = create_engine(Settings(database_url=db_url, data_dir=workdir))
    maker = create_sessionmaker(engine)
    idle, done, now = uuid.uuid4(), uuid.uuid4(), utcnow()
    try:
        async with session_scope(maker) as session:
            for run_id, status in ((idle, "running"), (done, "completed")):
                session.add(
                    TunixRun(
                        run_id=run_id,
                        dataset_key="bench-streams",
                        model_id="tunix-rt/tiny-gemma3",
                        mode="local",
                        status=status,
                        started_at=now,
                        created_at=now,
                        attempt=1,
                        worker_id="bench" if status == "running" else None,
                        config={"output_dir": f"runs/{run_id}"},
                    )
                )
            await session.flush()
            text = "".join(f"step {n} loss 0.5\n" for n in range(10))
            for seq in range(1, chunks + 1):
                session.add(
                    JobLogChunk(job_id=done, seq=seq, stream="stdout", chunk=text, created_at=now)
                )
    finally:
        await engine.dispose()
    return idle, done


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def stream(client: httpx.AsyncClient, url: str, opened: asyncio.Event | None) -> list[Any]:
    """The events of one SSE stream: (event, id) pairs, until `end`."""
    events: list[Any] = []
    name, seq = None, None
    async with client.stream("GET", url) as response:
        assert response.status_code == 200, response.status_code
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("id:"):
                seq = int(line.split(":", 1)[1])
            elif not line and name is not None:  # the event is complete
                events.append((name, seq))
                if opened is not None:
                    opened.set()
                if name == "end":
                    return events
                name, seq = None, None
    return events


async def measure(
    base_url: str, pid: int, runs: tuple[uuid.UUID, uuid.UUID], args: Any
) -> dict[str, Any]:
    idle, done = runs
    limits = httpx.Limits(max_connections=args.streams + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=None, limits=limits) as client:
        opened = [asyncio.Event() for _ in range(args.streams)]
        tasks = [
            asyncio.create_task(stream(client, f"/api/tunix/runs/{idle}/logs", event))
            for event in opened
        ]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), 60)
        await asyncio.sleep(1.0)
        before, clock = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(args.seconds)
        idle_share = (cpu_seconds(pid) - before) / (time.monotonic() - clock)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

        clock = time.monotonic()
        replays = await asyncio.wait_for(
            asyncio.gather(
                *(stream(client, f"/api/tunix/runs/{done}/logs", None) for _ in range(args.streams))
            ),
            600,
        )
        replay_s = time.monotonic() - clock
    complete = sum(
        1
        for events in replays
        if [seq for name, seq in events if name == "log"] == list(range(1, args.chunks + 1))
        and events[-1][0] == "end"
    )
    return {"idle_core_share": idle_share, "replay_s": replay_s, "replays_complete": complete}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=DEFAULTS["streams"])
    parser.add_argument("--seconds", type=float, default=DEFAULTS["seconds"])
    parser.add_argument("--chunks", type=int, default=DEFAULTS["chunks"])
    args = parser.parse_args()
    standard = all(getattr(args, k) == v for k, v in DEFAULTS.items())
    with tempfile.TemporaryDirectory(prefix="tunix-rt-bench-streams-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        upgrade(db_url)
        runs = asyncio.run(insert_runs(db_url, workdir, args.chunks))
        env = {"EMBEDDED_WORKER": "false", "REDIAI_MODE": "mock"}
        with serve_process(db_url, workdir, env) as (base_url, server):
            figures = asyncio.run(measure(base_url, server.pid, runs, args))
    share = figures["idle_core_share"]
    print(
        f"{args.streams} idle streams: the server used {share:.1%} of a core over "
        f"{args.seconds:g} s (target < {TARGET_IDLE_CORE_SHARE:.0%})"
    )
    print(
        f"{args.streams} streams replaying a finished run of {args.chunks} chunks: "
        f"{figures['replays_complete']} complete, in order, in {figures['replay_s']:.1f} s"
    )
    path = write_results(
        "idle_streams",
        {
            "options": vars(args),
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()},
            "target_idle_core_share": TARGET_IDLE_CORE_SHARE,
        },
        scratch=not standard,
    )
    print(f"written to {path}")
    sys.exit(0 if figures["replays_complete"] == args.streams else 1)


if __name__ == "__main__":
    main()
