"""Trace list search and filters on 1,000,000 traces, PostgreSQL and SQLite.

For each database it fills a throw-away, migrated database with 1,000,000 traces by
server-side SQL (created_at one second apart, oldest first), as bench/traces_list.py
does, with what the filters tell apart:

  prompt   "Problem <n>: what is <a> times <b>? (topic-<n mod 1000>.)"
  source   arithmetic 50%, ungar 30%, gsm8k 19%, rare 1%
  score    1% of the traces are scored

PostgreSQL then gets VACUUM (ANALYZE), the steady state autovacuum keeps; SQLite gets
nothing (the server never runs ANALYZE there, so its planner has no statistics). It
serves it with `tunix-rt serve` (one uvicorn worker, a subprocess) and times, over one
keep-alive HTTP connection, GET /api/traces?limit=20 with each filter below, on the
first page and at depth (with the cursor of the row 900,000 deep in list order, so the
page holds the matches older than it), checking each answer is a 200 with the pages
it expects. A search rotates through SEARCH_VARIANTS terms of its kind, so a database
cannot answer from one cached plan or page:

  no filter                      every trace (the reference: traces_list.py's page)
  q=times                        every prompt
  q=topic-042.                   0.1% of the prompts
  q=Problem 123457:              one prompt
  q=no such words                none (the worst case: nothing stops the search early)
  source=arithmetic / rare       50% / 1%
  scored=true / false            1% / 99%
  created_from..created_to       one day (8.6%)
  q=topic-042. & source=ungar & scored=false

Each is timed REQUESTS times after WARMUP_REQUESTS, or for at most
MAX_SECONDS_PER_QUERY (at least MIN_REQUESTS). It prints p50/p99 in ms.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres):

    .venv/bin/python bench/traces_search.py                          # both, 1,000,000 rows
    .venv/bin/python bench/traces_search.py --db sqlite --rows 50000  # a quick run

Figures are printed and written to bench/results/traces_search.json (a run with
other --rows or one database: .json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from _support import percentile, pg_database, print_table, serve, write_results
from tunix_rt_backend.db.migrate import upgrade
from tunix_rt_backend.kit.pagination import encode_cursor

DEFAULT_ROWS = 1_000_000
DEPTH_FRACTION = 0.9
PAGE_LIMIT = 20
WARMUP_REQUESTS = 5
REQUESTS = 200
MIN_REQUESTS = 20
MAX_SECONDS_PER_QUERY = 20.0
SEARCH_VARIANTS = 50
HTTP_TIMEOUT_S = 60.0
DAY_S = 86_400

# One row per trace n (1..rows); the same columns on both databases.
PG_FILL_SQL = """
INSERT INTO traces (id, created_at, trace_version, payload, prompt, prompt_preview,
                    final_answer_preview, source, score)
SELECT gen_random_uuid(), to_timestamp($2::bigint + n), '1.0',
  jsonb_build_object('trace_version', '1.0', 'prompt', prompt, 'final_answer', answer,
    'steps', jsonb_build_array(
      jsonb_build_object('i', 0, 'type', 'parse', 'content', 'Read: ' || md5(n::text)),
      jsonb_build_object('i', 1, 'type', 'result', 'content', 'Final: ' || answer)),
    'meta', jsonb_build_object('source', source)),
  prompt, left(prompt, 160), answer, source,
  CASE WHEN n % 100 = 7 THEN (n % 1000) / 10.0 END
FROM generate_series(1, $1::bigint) AS n,
  LATERAL (SELECT
    'Problem ' || n || ': what is ' || (n % 977) || ' times ' || (n % 89)
      || '? (topic-' || lpad((n % 1000)::text, 3, '0') || '.)' AS prompt,
    ((n % 977) * (n % 89))::text AS answer,
    CASE WHEN n % 100 < 50 THEN 'arithmetic' WHEN n % 100 < 80 THEN 'ungar'
         WHEN n % 100 < 99 THEN 'gsm8k' ELSE 'rare' END AS source) AS t
"""

SQLITE_FILL_SQL = """
WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < :rows),
t AS (SELECT n,
    'Problem ' || n || ': what is ' || (n % 977) || ' times ' || (n % 89)
      || '? (topic-' || substr('00' || (n % 1000), -3) || '.)' AS prompt,
    CAST((n % 977) * (n % 89) AS TEXT) AS answer,
    CASE WHEN n % 100 < 50 THEN 'arithmetic' WHEN n % 100 < 80 THEN 'ungar'
         WHEN n % 100 < 99 THEN 'gsm8k' ELSE 'rare' END AS source
  FROM n)
INSERT INTO traces (id, created_at, trace_version, payload, prompt, prompt_preview,
                    final_answer_preview, source, score)
SELECT lower(hex(randomblob(16))),
  strftime('%Y-%m-%d %H:%M:%S', :start + n, 'unixepoch') || '.000000', '1.0',
  json_object('trace_version', '1.0', 'prompt', prompt, 'final_answer', answer,
    'steps', json_array(
      json_object('i', 0, 'type', 'parse', 'content', 'Read: ' || hex(randomblob(16))),
      json_object('i', 1, 'type', 'result', 'content', 'Final: ' || answer)),
    'meta', json_object('source', source)),
  prompt, substr(prompt, 1, 160), answer, source,
  CASE WHEN n % 100 = 7 THEN (n % 1000) / 10.0 END
FROM t
"""

POSITION_SQL = "SELECT created_at, id FROM traces ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET "


Filters = Callable[[int], dict[str, Any]]


def queries(rows: int, start: int) -> list[tuple[str, Filters, set[int], set[int]]]:
    """(label, the i-th request's filters, page sizes expected first and deep at the
    default size); a search varies its term with i."""
    middle = start + rows // 2
    full, one = {PAGE_LIMIT}, {0, 1}

    def day(i: int) -> dict[str, str]:
        first = middle + (i % SEARCH_VARIANTS) * 3_600
        return {"created_from": _iso(first), "created_to": _iso(first + DAY_S)}

    def prompt_of(i: int) -> str:  # one prompt: the colon ends its number
        return f"Problem {(rows // 3 + i * 7919) % rows + 1}:"

    def topic(i: int) -> str:  # 0.1% of the prompts, all of them from ungar, unscored
        return f"topic-{(i % 10) * 100 + 50 + i % 30:03d}."

    return [
        ("no filter", lambda i: {}, full, full),
        ("q, every prompt", lambda i: {"q": ["times", "TIMES", "what is"][i % 3]}, full, full),
        ("q, 0.1%", lambda i: {"q": topic(i)}, full, full),
        (
            "q, one prompt",
            lambda i: {"q": f"Problem {(rows // 3 + i * 7919) % rows + 1}:"},
            {1},
            one,
        ),
        ("q, none", lambda i: {"q": f"no such words {i % SEARCH_VARIANTS}"}, {0}, {0}),
        ("source, 50%", lambda i: {"source": "arithmetic"}, full, full),
        ("source, 1%", lambda i: {"source": "rare"}, full, full),
        ("scored, 1%", lambda i: {"scored": "true"}, full, full),
        ("unscored, 99%", lambda i: {"scored": "false"}, full, full),
        ("one day, 8.6%", day, full, {0}),
        (
            "q 0.1% + source + unscored",
            lambda i: {"q": topic(i), "source": "ungar", "scored": "false"},
            full,
            full,
        ),
    ]


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat()


async def fill_postgres(dsn: str, rows: int, start: int, depth: int) -> tuple[str, dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        began = time.perf_counter()
        await conn.execute(PG_FILL_SQL, rows, start)
        fill_s = time.perf_counter() - began
        await conn.execute("VACUUM (ANALYZE) traces")
        record = await conn.fetchrow(POSITION_SQL + str(depth - 1))
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('traces'))")
        trgm = await conn.fetchval(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_traces_prompt_trgm'"
        )
    finally:
        await conn.close()
    info = {"fill_s": round(fill_s, 1), "table_size": size, "prompt_trgm_index": trgm == 1}
    return encode_cursor(record["created_at"], record["id"]), info


def fill_sqlite(path: Path, rows: int, start: int, depth: int) -> tuple[str, dict[str, Any]]:
    conn = sqlite3.connect(path)
    try:
        began = time.perf_counter()
        with conn:
            conn.execute(SQLITE_FILL_SQL, {"rows": rows, "start": start})
        fill_s = time.perf_counter() - began
        stamp, row_id = conn.execute(POSITION_SQL + str(depth - 1)).fetchone()
    finally:
        conn.close()
    created_at = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
    info = {"fill_s": round(fill_s, 1), "table_size": f"{path.stat().st_size / 2**20:.0f} MB"}
    return encode_cursor(created_at, uuid.UUID(hex=row_id)), info


def get_ms(client: httpx.Client, params: dict[str, Any]) -> tuple[float, int]:
    """One request's milliseconds to the whole response, and the traces it held."""
    began = time.perf_counter()
    response = client.get("/api/traces", params={"limit": PAGE_LIMIT, **params})
    elapsed_ms = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
    return elapsed_ms, len(response.json()["data"])


def measure(client: httpx.Client, filters: Filters, extra: dict[str, Any]) -> dict[str, Any]:
    for i in range(WARMUP_REQUESTS):
        get_ms(client, {**filters(i), **extra})
    samples: list[float] = []
    counts: set[int] = set()
    began = time.monotonic()
    for i in range(REQUESTS):
        if len(samples) >= MIN_REQUESTS and time.monotonic() - began > MAX_SECONDS_PER_QUERY:
            break
        ms, count = get_ms(client, {**filters(WARMUP_REQUESTS + i), **extra})
        samples.append(ms)
        counts.add(count)
    return {
        "p50_ms": round(percentile(samples, 50), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "requests": len(samples),
        "page_sizes": sorted(counts),
    }


def run_database(db: str, rows: int) -> dict[str, Any]:
    depth = int(rows * DEPTH_FRACTION)
    start = int(time.time()) - rows - DAY_S
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        print(f"\n{db}: filling traces with {rows:,} rows ...", flush=True)
        if db == "postgresql":
            with pg_database("search") as url:
                dsn = url.replace("postgresql+asyncpg://", "postgresql://")
                cursor, info = asyncio.run(fill_postgres(dsn, rows, start, depth))
                return {**info, "results": serve_and_time(url, Path(tmp), rows, start, cursor)}
        path = Path(tmp) / "search.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        cursor, info = fill_sqlite(path, rows, start, depth)
        return {**info, "results": serve_and_time(url, Path(tmp), rows, start, cursor)}


@contextmanager
def _server_log_on_failure(workdir: Path) -> Iterator[None]:
    """The server's own log when a request finds it gone (it is deleted with `workdir`)."""
    try:
        yield
    except httpx.TransportError:
        for log in workdir.glob("server-*.log"):
            tail = "\n".join(log.read_text().splitlines()[-40:])
            print(f"--- {log.name} (last 40 lines)\n{tail}")
        raise


def serve_and_time(
    url: str, workdir: Path, rows: int, start: int, cursor: str
) -> dict[str, dict[str, Any]]:
    print("filled; measuring ...", flush=True)
    results: dict[str, dict[str, Any]] = {}
    with (
        _server_log_on_failure(workdir),
        serve(url, workdir) as base_url,
        httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S) as client,
    ):
        for label, filters, first_sizes, deep_sizes in queries(rows, start):
            first = measure(client, filters, {})
            deep = measure(client, filters, {"cursor": cursor})
            results[label] = {"first": first, "deep": deep}
            if rows == DEFAULT_ROWS:  # what the filters find depends on the rows
                assert set(first["page_sizes"]) <= first_sizes, (label, first["page_sizes"])
                assert set(deep["page_sizes"]) <= deep_sizes, (label, deep["page_sizes"])
            print(
                f"  {label}: first p50 {first['p50_ms']} ms, deep p50 {deep['p50_ms']} ms",
                flush=True,
            )
    return results


def print_results(db: str, rows: int, measured: dict[str, Any]) -> None:
    print(
        f"\nTrace search on {db}: {rows:,} rows, limit={PAGE_LIMIT}, deep = the page after "
        f"the row {int(rows * DEPTH_FRACTION):,} deep; ms to the whole response\n"
    )
    print_table(
        ["filter", "first p50", "first p99", "deep p50", "deep p99", "requests", "page sizes"],
        [
            [
                label,
                f"{r['first']['p50_ms']:.2f}",
                f"{r['first']['p99_ms']:.2f}",
                f"{r['deep']['p50_ms']:.2f}",
                f"{r['deep']['p99_ms']:.2f}",
                f"{r['first']['requests']}/{r['deep']['requests']}",
                f"{r['first']['page_sizes']}/{r['deep']['page_sizes']}",
            ]
            for label, r in measured["results"].items()
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in traces")
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    args = parser.parse_args()
    databases = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    measured = {db: run_database(db, args.rows) for db in databases}
    for db, result in measured.items():
        print_results(db, args.rows, result)
    path = write_results(
        "traces_search",
        {
            "rows": args.rows,
            "depth_rows": int(args.rows * DEPTH_FRACTION),
            "page_limit": PAGE_LIMIT,
            "warmup_requests": WARMUP_REQUESTS,
            **measured,
        },
        scratch=args.rows != DEFAULT_ROWS or args.db != "both",
    )
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
