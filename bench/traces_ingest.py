"""Trace ingest throughput: the HTTP batch endpoint against a raw bulk INSERT.

For PostgreSQL and SQLite, each in a throw-away, migrated database, it times:

  core  one SQLAlchemy Core `insert(Trace)` of 1,000 traces in one transaction,
        through the service's own engine settings (the floor the API can reach);
  http  `POST /api/traces/batch` of the same 1,000 traces (body serialised
        beforehand) over real HTTP to `tunix-rt serve` (one uvicorn worker,
        a subprocess), from before sending to the whole response. For
        information it also times until the rows are visible to another
        connection, polled after the response (the server may commit late).

One warm-up round, then ROUNDS measured rounds, core then http in each; the table
is emptied (and its row count checked) after every insert. It reports the median
traces/s of each and their ratio http/core; the target is a ratio >= 0.5 on
PostgreSQL.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres):

    .venv/bin/python bench/traces_ingest.py

Figures are printed and written to bench/results/traces_ingest.json.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from _support import pg_database, print_table, serve, write_results
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from tunix_rt_backend.db.engine import create_engine
from tunix_rt_backend.db.migrate import upgrade
from tunix_rt_backend.db.models import Trace
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.traces.service import trace_row

TRACES_PER_BATCH = 1_000
STEPS_PER_TRACE = 5
STEP_CHARS_MIN, STEP_CHARS_MAX = 150, 250
WARMUP_ROUNDS = 1
ROUNDS = 9
HTTP_TIMEOUT_S = 120.0
TARGET_RATIO_PG = 0.5
RANDOM_SEED = 20261122

WORDS = (
    "the", "sum", "of", "both", "sides", "gives", "carry", "digit", "multiply", "divide",
    "check", "result", "factor", "prime", "remainder", "so", "therefore", "we", "need",
    "compute", "term", "next", "equation", "value", "unknown", "solve", "for", "verify",
)  # fmt: skip
STEP_TYPES = ("parse", "plan", "compute", "check", "result")


def _text(rng: random.Random, min_chars: int, max_chars: int) -> str:
    target = rng.randint(min_chars, max_chars)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < target:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:target].strip()


def make_traces(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Realistic traces: a prompt, STEPS_PER_TRACE steps of ~200 chars, meta."""
    return [
        {
            "trace_version": "1.0",
            "prompt": f"Problem {n}: " + _text(rng, 60, 240),
            "final_answer": str(rng.randint(0, 10**6)),
            "steps": [
                {
                    "i": i,
                    "type": STEP_TYPES[i % len(STEP_TYPES)],
                    "content": _text(rng, STEP_CHARS_MIN, STEP_CHARS_MAX),
                }
                for i in range(STEPS_PER_TRACE)
            ],
            "meta": {
                "source": "bench",
                "model": rng.choice(("gemma-2b", "gemma-7b")),
                "tags": rng.sample(["math", "arith", "word", "easy", "hard"], 2),
            },
        }
        for n in range(count)
    ]


def core_rows(traces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the service builds them (new ids, consecutive microseconds)."""
    now = utcnow()
    return [trace_row(t, now + timedelta(microseconds=n)) for n, t in enumerate(traces)]


async def core_insert_s(engine: AsyncEngine, rows: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(insert(Trace), rows)
    return time.perf_counter() - start


async def clear_traces(engine: AsyncEngine) -> None:
    """Empty the table (outside the timings), checking one batch was stored."""
    count = await count_traces(engine)
    async with engine.begin() as conn:
        assert count == TRACES_PER_BATCH, f"expected {TRACES_PER_BATCH} rows, found {count}"
        sql = "DELETE FROM traces" if engine.dialect.name == "sqlite" else "TRUNCATE traces CASCADE"
        await conn.execute(text(sql))


async def count_traces(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM traces"))).scalar_one())


def http_batch_s(
    client: httpx.Client, body: bytes, runner: asyncio.Runner, engine: AsyncEngine
) -> tuple[float, float]:
    """Seconds until the response, and until the rows are visible to another
    connection (the server may commit after it has responded)."""
    start = time.perf_counter()
    response = client.post(
        "/api/traces/batch", content=body, headers={"content-type": "application/json"}
    )
    responded = time.perf_counter() - start
    assert response.status_code == 201, f"{response.status_code}: {response.text[:500]}"
    while runner.run(count_traces(engine)) < TRACES_PER_BATCH:
        assert time.perf_counter() - start < HTTP_TIMEOUT_S, "rows never became visible"
    committed = time.perf_counter() - start
    assert response.json()["created"] == TRACES_PER_BATCH
    return responded, committed


def bench_backend(db_url: str, workdir: Path, traces: list[dict[str, Any]]) -> dict[str, Any]:
    body = orjson.dumps(traces)
    engine = create_engine(Settings(database_url=db_url, data_dir=workdir))
    seconds: dict[str, list[float]] = {"core": [], "http": [], "http_until_visible": []}
    with (
        asyncio.Runner() as runner,
        serve(db_url, workdir) as base_url,
        httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S) as client,
    ):
        try:
            for round_no in range(WARMUP_ROUNDS + ROUNDS):
                core = runner.run(core_insert_s(engine, core_rows(traces)))
                runner.run(clear_traces(engine))
                http, visible = http_batch_s(client, body, runner, engine)
                runner.run(clear_traces(engine))
                if round_no >= WARMUP_ROUNDS:
                    for key, took in zip(seconds, (core, http, visible), strict=True):
                        seconds[key].append(took)
        finally:
            runner.run(engine.dispose())
    tps = {key: TRACES_PER_BATCH / statistics.median(values) for key, values in seconds.items()}
    return {
        **{f"{key}_traces_per_s": round(value) for key, value in tps.items()},
        "ratio_http_core": round(tps["http"] / tps["core"], 3),
        **{f"{key}_batch_ms": [round(s * 1000, 1) for s in v] for key, v in seconds.items()},
        "body_bytes": len(body),
    }


def table_row(backend: str, r: dict[str, Any]) -> list[str]:
    target = "-"
    if "target_ratio" in r:
        target = f">= {r['target_ratio']} ({'met' if r['target_met'] else 'MISSED'})"
    return [
        backend,
        *(f"{r[f'{key}_traces_per_s']:,}" for key in ("core", "http")),
        f"{r['ratio_http_core']:.2f}",
        target,
        f"{r['http_until_visible_traces_per_s']:,}",
    ]


def main() -> None:
    traces = make_traces(TRACES_PER_BATCH, random.Random(RANDOM_SEED))
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        with pg_database("ingest") as pg_url:
            results["postgresql"] = bench_backend(pg_url, workdir, traces)
        sqlite_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        upgrade(sqlite_url)
        results["sqlite"] = bench_backend(sqlite_url, workdir, traces)
    pg = results["postgresql"]
    pg["target_ratio"] = TARGET_RATIO_PG
    pg["target_met"] = pg["ratio_http_core"] >= TARGET_RATIO_PG

    print(
        f"\nTrace ingest: batches of {TRACES_PER_BATCH} traces ({pg['body_bytes'] / 1e6:.2f} MB"
        f" of JSON), median of {ROUNDS} rounds after {WARMUP_ROUNDS} warm-up\n"
    )
    headers = ["backend", "core traces/s", "http traces/s", "ratio http/core", "target"]
    print_table(
        [*headers, "http until visible traces/s"],
        [table_row(backend, r) for backend, r in results.items()],
    )
    meta = {"traces_per_batch": TRACES_PER_BATCH, "steps_per_trace": STEPS_PER_TRACE}
    runs = {"warmup_rounds": WARMUP_ROUNDS, "rounds": ROUNDS}
    path = write_results("traces_ingest", {**meta, **runs, "results": results})
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
