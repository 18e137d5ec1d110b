"""The API's per-request overhead: `tunix-rt serve` against a bare reference.

The bare reference (bench/_bare_api.py) is a few lines of FastAPI on the same Python,
uvicorn, driver, pool and SQLite pragmas that perform the same INSERT of a trace and the
same SELECT of the first page, with no middleware, auth or error layers: the floor.
Three servers run at once, each one uvicorn worker with its access log on:

  bare      the reference, on database A
  tunix     `tunix-rt serve` on database A, auth off (no token exists)
  tunix+auth  `tunix-rt serve` on database B, where a token exists, sent with every request

Each starts with PREFILL traces. For every operation, in ROUNDS rounds whose order of
servers rotates, 8 concurrent clients (one keep-alive connection each) send
REQUESTS / ROUNDS requests to each server after a warm-up:

  post        POST /api/traces (a small valid trace)
  first page  GET /api/traces?limit=20
  one         GET /api/traces/{id}

It reports requests/s (the median of the rounds) and p50/p99 latency (all rounds) per
server, and the ratios of tunix to bare: throughput (target >= 0.8) and p50 (target <=
1.25), on PostgreSQL and SQLite.

    .venv/bin/python bench/api_hot_path.py                  # both databases
    .venv/bin/python bench/api_hot_path.py --db sqlite --requests 400   # a quick run

Figures are printed and written to bench/results/api_hot_path.json (a quick run:
.json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
from _support import (
    REPO_ROOT,
    TUNIX_RT_BIN,
    free_port,
    json_of,
    percentile,
    pg_database,
    print_table,
    serve,
    server_process,
    write_results,
)
from tunix_rt_backend.db.migrate import upgrade

CLIENTS = 8
REQUESTS = 3000
ROUNDS = 10
WARMUP = 100
PREFILL = 1000
TARGET_THROUGHPUT = 0.8
TARGET_P50 = 1.25
OPS = ("post", "first page", "one")
TRACE = {
    "trace_version": "1.0",
    "prompt": "What is 27 times 19?",
    "final_answer": "513",
    "steps": [
        {"i": 0, "type": "parse", "content": "Multiply 27 by 19."},
        {"i": 1, "type": "compute", "content": "27 x 19 = 27 x 20 - 27 = 540 - 27 = 513"},
    ],
    "meta": {"source": "bench"},
}
BODY = orjson.dumps(TRACE)
JSON = {"content-type": "application/json"}


@contextmanager
def bare_server(db_url: str, workdir: Path) -> Iterator[str]:
    port = free_port()
    uvicorn = str(REPO_ROOT / ".venv" / "bin" / "uvicorn")
    command = [uvicorn, "--app-dir", str(REPO_ROOT / "bench"), "_bare_api:app"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with server_process(command, port, db_url, workdir) as (base_url, _):
        yield base_url


def create_token(db_url: str, workdir: Path) -> str:
    env = {**os.environ, "DATABASE_URL": db_url, "DATA_DIR": str(workdir)}
    made = subprocess.run(
        [str(TUNIX_RT_BIN), "token", "create", "--name", "bench", "--scope", "write"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    return made.stdout.strip()


def prefill(base: str, headers: dict[str, str]) -> list[str]:
    """PREFILL traces through the product's batch import; returns some of their ids."""
    body = orjson.dumps([{**TRACE, "prompt": f"Prefill {n}"} for n in range(PREFILL)])
    with httpx.Client(base_url=base, headers={**headers, **JSON}, timeout=120) as client:
        json_of(client.post("/api/traces/batch", content=body), 201)
        page = json_of(client.get("/api/traces?limit=100"), 200)
    return [row["id"] for row in page["data"]]


def _request(client: httpx.AsyncClient, op: str, ids: list[str], n: int) -> Any:
    if op == "post":
        return client.post("/api/traces", content=BODY, headers=JSON)
    if op == "first page":
        return client.get("/api/traces?limit=20")
    return client.get(f"/api/traces/{ids[n % len(ids)]}")


async def load(
    base: str, op: str, count: int, ids: list[str], headers: dict[str, str]
) -> tuple[list[float], float]:
    """`count` requests from CLIENTS concurrent clients; (latencies in ms, requests/s)."""
    latencies: list[float] = []
    issued = iter(range(count))
    expected = 201 if op == "post" else 200

    async def client_loop() -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:
            for n in issued:
                start = time.perf_counter()
                response = await _request(client, op, ids, n)
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code != expected:
                    raise RuntimeError(f"{op}: {response.status_code} {response.text[:300]}")

    start = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(CLIENTS)))
    return latencies, count / (time.perf_counter() - start)


def measure(
    servers: dict[str, tuple[str, dict[str, str], list[str]]], requests: int, rounds: int
) -> dict[str, dict[str, dict[str, float]]]:
    names = list(servers)
    figures: dict[str, dict[str, dict[str, float]]] = {name: {} for name in names}
    for op in OPS:
        for base, headers, ids in servers.values():
            asyncio.run(load(base, op, WARMUP, ids, headers))
        latencies: dict[str, list[float]] = {name: [] for name in names}
        rates: dict[str, list[float]] = {name: [] for name in names}
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                base, headers, ids = servers[name]
                lat, rate = asyncio.run(load(base, op, requests // rounds, ids, headers))
                latencies[name] += lat
                rates[name].append(rate)
        for name in names:
            figures[name][op] = {
                "rps": round(statistics.median(rates[name]), 1),
                "p50_ms": round(percentile(latencies[name], 50), 2),
                "p99_ms": round(percentile(latencies[name], 99), 2),
            }
    return figures


def run_database(kind: str, requests: int, rounds: int) -> dict[str, Any]:
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hot-path-")))
        if kind == "postgresql":
            url_a = stack.enter_context(pg_database("hot_a"))
            url_b = stack.enter_context(pg_database("hot_b"))
        else:
            url_a = f"sqlite+aiosqlite:///{work / 'a.db'}"
            url_b = f"sqlite+aiosqlite:///{work / 'b.db'}"
            upgrade(url_a)
            upgrade(url_b)
        (work / "a").mkdir()
        (work / "b").mkdir()
        token = create_token(url_b, work / "b")
        auth = {"Authorization": f"Bearer {token}"}
        tunix = stack.enter_context(serve(url_a, work / "a"))
        tunix_auth = stack.enter_context(serve(url_b, work / "b"))
        bare = stack.enter_context(bare_server(url_a, work / "a"))
        ids_a = prefill(tunix, {})
        ids_b = prefill(tunix_auth, auth)
        servers = {
            "bare": (bare, {}, ids_a),
            "tunix": (tunix, {}, ids_a),
            "tunix+auth": (tunix_auth, auth, ids_b),
        }
        return measure(servers, requests, rounds)


def report(kind: str, figures: dict[str, dict[str, dict[str, float]]]) -> dict[str, Any]:
    rows, ratios = [], {}
    bare = figures["bare"]
    for name in ("tunix", "tunix+auth"):
        for op in OPS:
            mine = figures[name][op]
            throughput = mine["rps"] / bare[op]["rps"]
            p50 = mine["p50_ms"] / bare[op]["p50_ms"]
            ratios[f"{name} {op}"] = {"throughput": round(throughput, 2), "p50": round(p50, 2)}
            ok = throughput >= TARGET_THROUGHPUT and p50 <= TARGET_P50
            rows.append(
                [
                    name,
                    op,
                    bare[op]["rps"],
                    mine["rps"],
                    f"{throughput:.2f}",
                    bare[op]["p50_ms"],
                    mine["p50_ms"],
                    f"{p50:.2f}",
                    bare[op]["p99_ms"],
                    mine["p99_ms"],
                    "ok" if ok else "MISSED",
                ]
            )
    print(f"\n{kind}: {CLIENTS} clients")
    print_table(
        [
            "server",
            "op",
            "bare rps",
            "rps",
            "x bare",
            "bare p50",
            "p50 ms",
            "x bare",
            "bare p99",
            "p99 ms",
            "target",
        ],
        rows,
    )
    return {"figures": figures, "ratios": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    results: dict[str, Any] = {
        "clients": CLIENTS,
        "requests": args.requests,
        "rounds": args.rounds,
        "prefill": PREFILL,
        "targets": {"throughput": TARGET_THROUGHPUT, "p50": TARGET_P50},
    }
    for kind in kinds:
        results[kind] = report(kind, run_database(kind, args.requests, args.rounds))
    standard = args.db == "both" and args.requests == REQUESTS and args.rounds == ROUNDS
    path = write_results("api_hot_path", results, scratch=not standard)
    print(f"\nwritten to {path.relative_to(REPO_ROOT)}")
    met = all(
        r["throughput"] >= TARGET_THROUGHPUT and r["p50"] <= TARGET_P50
        for kind in kinds
        for r in results[kind]["ratios"].values()
    )
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
