"""Dataset export throughput and memory: `tunix_sft` NDJSON over HTTP.

In a throw-away, migrated database (SQLite by default, or PostgreSQL), it inserts
max(--sizes) arithmetic traces (`generators/arithmetic.py`, difficulties 1 to 5,
one SQLAlchemy Core INSERT in one transaction, distinct created_at), then builds a
dataset of each size, plus a 1,000-trace warm-up one, with
`POST /api/datasets/build` (the latest N traces, eval_ratio 0.1) on a set-up
`tunix-rt serve`, which is then stopped. On PostgreSQL it then runs VACUUM (ANALYZE),
so the planner sees the steady state autovacuum keeps the tables in.

Each size is then exported by its own, fresh `tunix-rt serve` (one uvicorn worker,
a subprocess): one export of the warm-up dataset, then ROUNDS exports of
`GET /api/datasets/{key}/export.jsonl?format=tunix_sft`, streamed with httpx and
timed from the request to the last byte; each must be a 200 whose line count is
the dataset's size and whose first line is a tunix_sft record. It reports the
median traces/s of each size against the target (>= 20,000 traces/s on SQLite at
the largest size), and the server's memory, read from /proc/<pid>/status:

  before   VmRSS after the warm-up export, just before the measured ones;
  peak     VmHWM after the measured exports: the process's resident high-water
           mark since it started (hence one fresh process per size: a peak can only
           be compared with a peak of a process that did the same before it);
  sampled  the largest VmRSS read every 5 ms during the measured exports (a check
           of `peak` that does not rely on the kernel's high-water mark).

The target is that the peak does not grow with the dataset: with sizes 10x apart,
a peak that grew with the size would grow by about 10x the small size's growth over
`before`; the check is peak(largest) - peak(smallest) <= FLAT_TOLERANCE_MIB, each
peak the larger of `peak` and `sampled` (the kernel's counters lag a little, so
either can be a fraction of a MiB above the other).

Run from the repository root:

    .venv/bin/python bench/export.py                          # SQLite, 10,000 and 100,000
    .venv/bin/python bench/export.py --backend postgresql     # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python bench/export.py --sizes 2000 20000       # a quick run

Figures are printed and written to bench/results/export-<backend>.json (a run with
--sizes other than the default writes export-<backend>.json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from _support import pg_database, print_table, serve, serve_process, write_results
from sqlalchemy import insert
from tunix_rt_backend.db.engine import create_engine
from tunix_rt_backend.db.migrate import upgrade
from tunix_rt_backend.db.models import Trace
from tunix_rt_backend.generators import arithmetic
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.traces.service import trace_row

DEFAULT_SIZES = (10_000, 100_000)
WARMUP_SIZE = 1_000
ROUNDS = 3
EVAL_RATIO = 0.1
INSERT_CHUNK = 5_000
TARGET_TRACES_PER_S_SQLITE = 20_000
FLAT_TOLERANCE_MIB = 16.0
RSS_SAMPLE_S = 0.005
HTTP_TIMEOUT_S = 300.0
FORMAT = "tunix_sft"
SFT_KEYS = {"id", "split", "prompt", "completion", "final_answer"}
MIB = 1024 * 1024


def make_traces(count: int) -> list[dict[str, Any]]:
    """`count` distinct arithmetic traces, the five difficulties in turn."""
    per, extra = divmod(count, 5)
    return [
        trace
        for difficulty in range(1, 6)
        for trace in arithmetic.generate(per + (difficulty <= extra), 0, difficulty)
    ]


async def insert_traces(db_url: str, workdir: Path, traces: list[dict[str, Any]]) -> None:
    """One Core INSERT of every trace, one transaction; created_at one microsecond
    apart so `latest` has one order."""
    engine = create_engine(Settings(database_url=db_url, data_dir=workdir))
    now = utcnow()
    rows = [trace_row(t, now + timedelta(microseconds=n)) for n, t in enumerate(traces)]
    try:
        async with engine.begin() as conn:
            for start in range(0, len(rows), INSERT_CHUNK):
                await conn.execute(insert(Trace), rows[start : start + INSERT_CHUNK])
    finally:
        await engine.dispose()


def build_datasets(
    db_url: str, workdir: Path, sizes: list[int], env: dict[str, str]
) -> tuple[dict[int, str], dict[int, float]]:
    """`POST /api/datasets/build` of each size; its dataset_key and seconds."""
    keys: dict[int, str] = {}
    seconds: dict[int, float] = {}
    with (
        serve(db_url, workdir, env) as base_url,
        httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S) as client,
    ):
        for size in sizes:
            body = {"name": f"bench-{size}", "limit": size, "eval_ratio": EVAL_RATIO}
            start = time.perf_counter()
            response = client.post("/api/datasets/build", json={**body, "filters": {}})
            seconds[size] = time.perf_counter() - start
            assert response.status_code == 201, f"{response.status_code}: {response.text[:500]}"
            manifest = response.json()
            assert manifest["trace_count"] == size, f"built {manifest['trace_count']}, not {size}"
            keys[size] = manifest["dataset_key"]
    return keys, seconds


async def vacuum_analyze(db_url: str) -> None:
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


def export_once(client: httpx.Client, key: str, size: int) -> dict[str, float]:
    """One streamed export: seconds to the first and to the last byte, and bytes;
    checks the status, the line count and the first line."""
    lines = size_bytes = 0
    head = b""
    start = time.perf_counter()
    first_byte = None
    params = {"format": FORMAT}
    with client.stream("GET", f"/api/datasets/{key}/export.jsonl", params=params) as response:
        assert response.status_code == 200, f"{response.status_code}: {response.read()[:500]!r}"
        for chunk in response.iter_raw():
            if first_byte is None:
                first_byte = time.perf_counter() - start
            if len(head) < 64 * 1024:
                head += chunk
            lines += chunk.count(b"\n")
            size_bytes += len(chunk)
            last = chunk
    elapsed = time.perf_counter() - start
    assert lines == size, f"export of {key}: {lines} lines, expected {size}"
    assert last.endswith(b"\n"), "export does not end with a newline"
    first = orjson.loads(head.split(b"\n", 1)[0])
    assert set(first) == SFT_KEYS, f"not a {FORMAT} line: {sorted(first)}"
    assert first["completion"].endswith("<end_of_turn>"), first["completion"][-40:]
    return {"seconds": elapsed, "first_byte_s": first_byte or elapsed, "bytes": size_bytes}


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024  # kB
    return fields


@contextmanager
def rss_sampler(pid: int) -> Iterator[list[int]]:
    """VmRSS of `pid` every RSS_SAMPLE_S in a thread, while the block runs."""
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(proc_status(pid)["VmRSS"])
            stop.wait(RSS_SAMPLE_S)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()
        samples.append(proc_status(pid)["VmRSS"])


def measure_size(
    db_url: str, workdir: Path, env: dict[str, str], keys: dict[int, str], size: int
) -> dict[str, Any]:
    """Exports of `size` by a fresh server: throughput and its memory."""
    with (
        serve_process(db_url, workdir, env) as (base_url, proc),
        httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S) as client,
    ):
        idle = proc_status(proc.pid)["VmRSS"]
        export_once(client, keys[WARMUP_SIZE], WARMUP_SIZE)
        before = proc_status(proc.pid)["VmRSS"]
        with rss_sampler(proc.pid) as samples:
            rounds = [export_once(client, keys[size], size) for _ in range(ROUNDS)]
        status = proc_status(proc.pid)
    median_s = statistics.median(r["seconds"] for r in rounds)
    return {
        "traces": size,
        "traces_per_s": round(size / median_s),
        "mb_per_s": round(rounds[0]["bytes"] / median_s / 1e6, 1),
        "export_bytes": int(rounds[0]["bytes"]),
        "seconds": [round(r["seconds"], 3) for r in rounds],
        "first_byte_ms": [round(r["first_byte_s"] * 1000, 1) for r in rounds],
        "rss_idle_mib": round(idle / MIB, 1),
        "rss_before_mib": round(before / MIB, 1),
        "rss_peak_mib": round(status["VmHWM"] / MIB, 1),
        "rss_sampled_peak_mib": round(max(samples) / MIB, 1),
        "rss_after_mib": round(status["VmRSS"] / MIB, 1),
        "rss_samples": len(samples),
    }


def peak_mib(r: dict[str, Any]) -> float:
    return float(max(r["rss_peak_mib"], r["rss_sampled_peak_mib"]))


def bench_backend(db_url: str, workdir: Path, sizes: list[int]) -> dict[str, Any]:
    env = {"DATASET_MAX_TRACES": str(max(sizes))}
    start = time.perf_counter()
    traces = make_traces(max(sizes))
    asyncio.run(insert_traces(db_url, workdir, traces))
    fill_s = time.perf_counter() - start
    del traces
    print(f"inserted {max(sizes):,} traces in {fill_s:.1f} s; building datasets ...", flush=True)
    keys, build_s = build_datasets(db_url, workdir, [WARMUP_SIZE, *sizes], env)
    if db_url.startswith("postgresql"):
        asyncio.run(vacuum_analyze(db_url))
    by_size: dict[str, Any] = {}
    for size in sizes:
        print(f"exporting {size:,} traces ({ROUNDS} rounds, fresh server) ...", flush=True)
        by_size[str(size)] = {
            **measure_size(db_url, workdir, env, keys, size),
            "build_s": round(build_s[size], 2),
        }
    small, large = by_size[str(min(sizes))], by_size[str(max(sizes))]
    growth = peak_mib(large) - peak_mib(small)
    return {
        "fill_s": round(fill_s, 1),
        "sizes": by_size,
        "peak_growth_mib": round(growth, 1),
        "peak_flat": growth <= FLAT_TOLERANCE_MIB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), default="sqlite", help="database"
    )
    parser.add_argument(
        "--sizes", type=int, nargs=2, default=DEFAULT_SIZES, metavar=("SMALL", "LARGE"),
        help="dataset sizes, in traces",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    if sizes[0] <= WARMUP_SIZE or sizes[0] == sizes[1]:
        parser.error(f"--sizes: two different sizes above {WARMUP_SIZE}")

    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        workdir = Path(tmp)
        pg = pg_database("export") if args.backend == "postgresql" else nullcontext(None)
        with pg as pg_url:
            db_url = pg_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
            if pg_url is None:
                upgrade(db_url)
            results = bench_backend(db_url, workdir, sizes)

    largest = results["sizes"][str(sizes[1])]
    target: dict[str, Any] = {"target_peak_growth_mib": FLAT_TOLERANCE_MIB}
    if args.backend == "sqlite":
        target["target_traces_per_s"] = TARGET_TRACES_PER_S_SQLITE
        target["target_met"] = (
            largest["traces_per_s"] >= TARGET_TRACES_PER_S_SQLITE and results["peak_flat"]
        )
    else:
        target["target_met"] = results["peak_flat"]

    print(
        f"\nDataset export on {args.backend}: GET /api/datasets/{{key}}/export.jsonl?"
        f"format={FORMAT}, median of {ROUNDS} exports per size, each size on a fresh "
        f"server after a {WARMUP_SIZE:,}-trace warm-up export\n"
    )
    rows = []
    for size in sizes:
        r = results["sizes"][str(size)]
        speed = f"{r['traces_per_s']:,}"
        if size == sizes[1] and "target_traces_per_s" in target:
            met = r["traces_per_s"] >= TARGET_TRACES_PER_S_SQLITE
            speed += f" (>= {TARGET_TRACES_PER_S_SQLITE:,}: {'met' if met else 'MISSED'})"
        rows.append(
            [
                f"{size:,}",
                speed,
                f"{r['mb_per_s']}",
                f"{statistics.median(r['first_byte_ms']):.0f}",
                f"{r['rss_before_mib']}",
                f"{r['rss_peak_mib']}",
                f"{r['rss_sampled_peak_mib']}",
                f"{r['rss_after_mib']}",
            ]
        )
    print_table(
        [
            "traces",
            "traces/s",
            "MB/s",
            "first byte ms",
            "RSS before MiB",
            "peak (VmHWM) MiB",
            "sampled peak MiB",
            "after MiB",
        ],
        rows,
    )
    flat = "flat" if results["peak_flat"] else "GROWS"
    print(
        f"\npeak RSS {sizes[1]:,} vs {sizes[0]:,} traces: {results['peak_growth_mib']:+.1f} MiB "
        f"(<= {FLAT_TOLERANCE_MIB:g} MiB: {flat}); peak = VmHWM of a fresh server per size, "
        f"sampled = max VmRSS every {RSS_SAMPLE_S * 1000:g} ms during the exports"
    )
    document = {
        "backend": args.backend,
        "format": FORMAT,
        "rounds": ROUNDS,
        "warmup_traces": WARMUP_SIZE,
        "eval_ratio": EVAL_RATIO,
        **target,
        **results,
    }
    path = write_results(f"export-{args.backend}", document, scratch=tuple(sizes) != DEFAULT_SIZES)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
