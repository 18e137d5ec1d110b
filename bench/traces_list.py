"""Trace list latency on PostgreSQL: the first page and a page 900,000 rows deep.

It fills a throw-away, migrated database with 1,000,000 traces by server-side SQL
(distinct created_at, one millisecond apart, inserted oldest first; small
realistic payloads), then VACUUM (ANALYZE) so the table is in the steady state
autovacuum keeps it in. It serves it with `tunix-rt serve` (one uvicorn worker, a
subprocess) and, over one keep-alive HTTP connection, after a warm-up, times
REQUESTS sequential requests of each, interleaved:

  first  GET /api/traces?limit=20
  deep   GET /api/traces?limit=20&cursor=C, C the cursor of the row 900,000 deep
         in list order (created_at DESC, id DESC), read from the database

checking each is a 200 with 20 traces. It reports p50/p99/max in ms against the
target p99 <= 15 ms, and, for information, the p50 of the same depth reached
with `offset` (which makes the database walk every row before it).

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres):

    .venv/bin/python bench/traces_list.py              # 1,000,000 rows
    .venv/bin/python bench/traces_list.py --rows 50000 # a quick run

Figures are printed and written to bench/results/traces_list.json (a run with
--rows other than the default writes bench/results/traces_list.json.tmp, ignored by git).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from _support import percentile, pg_database, print_table, serve, write_results
from tunix_rt_backend.kit.pagination import encode_cursor

DEFAULT_ROWS = 1_000_000
DEPTH_FRACTION = 0.9  # 900,000 rows deep in 1,000,000
PAGE_LIMIT = 20
WARMUP_REQUESTS = 50
REQUESTS = 1_000
OFFSET_REQUESTS = 20
TARGET_P99_MS = 15.0
HTTP_TIMEOUT_S = 30.0

FILL_SQL = """
INSERT INTO traces (id, created_at, trace_version, payload,
                    prompt, prompt_preview, final_answer_preview, source)
SELECT gen_random_uuid(), now() - ($1::bigint - n) * interval '1 millisecond', '1.0',
  jsonb_build_object(
    'trace_version', '1.0',
    'prompt', prompt,
    'final_answer', answer,
    'steps', jsonb_build_array(
      jsonb_build_object('i', 0, 'type', 'parse', 'content', 'Read: ' || md5(n::text)),
      jsonb_build_object('i', 1, 'type', 'compute',
                         'content', md5((n + 1)::text) || md5((n + 2)::text)),
      jsonb_build_object('i', 2, 'type', 'result', 'content', 'Final: ' || answer)),
    'meta', jsonb_build_object('source', 'bench',
                               'model', CASE WHEN n % 2 = 0 THEN 'gemma-2b' ELSE 'gemma-7b' END)),
  prompt, left(prompt, 160), answer, 'bench'
FROM generate_series(1, $1::bigint) AS n,
  LATERAL (SELECT 'Problem ' || n || ': what is ' || n % 977 || ' times ' || n % 89 || '?'
                  AS prompt,
                  ((n % 977) * (n % 89))::text AS answer) AS t
"""

POSITION_SQL = """
SELECT created_at, id FROM traces ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1
"""


async def fill(dsn: str, rows: int, depth: int) -> tuple[str, dict[str, Any]]:
    """Fill the table; returns the cursor of the row `depth` deep, and fill figures."""
    conn = await asyncpg.connect(dsn)
    try:
        start = time.perf_counter()
        await conn.execute(FILL_SQL, rows)
        fill_s = time.perf_counter() - start
        await conn.execute("VACUUM (ANALYZE) traces")
        record = await conn.fetchrow(POSITION_SQL, depth - 1)
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('traces'))")
    finally:
        await conn.close()
    info = {"fill_s": round(fill_s, 1), "table_size": size}
    return encode_cursor(record["created_at"], record["id"]), info


def get_ms(client: httpx.Client, params: dict[str, Any]) -> float:
    """One request's milliseconds, to the whole response; checks it is a full page."""
    start = time.perf_counter()
    response = client.get("/api/traces", params=params)
    elapsed_ms = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
    count = len(response.json()["data"])
    assert count == PAGE_LIMIT, f"expected {PAGE_LIMIT} traces, got {count} for {params}"
    return elapsed_ms


def stats(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples, 50), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "max_ms": round(max(samples), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in traces")
    rows = parser.parse_args().rows
    depth = int(rows * DEPTH_FRACTION)
    if rows - depth < PAGE_LIMIT:
        parser.error(f"--rows too small: need {PAGE_LIMIT} rows after the deep position")

    with tempfile.TemporaryDirectory(prefix="bench-list-") as tmp, pg_database("list") as url:
        print(f"filling traces with {rows:,} rows ...", flush=True)
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        cursor, fill_info = asyncio.run(fill(dsn, rows, depth))
        print(
            f"filled in {fill_info['fill_s']} s ({fill_info['table_size']}); measuring ...",
            flush=True,
        )
        first = {"limit": PAGE_LIMIT}
        deep = {"limit": PAGE_LIMIT, "cursor": cursor}
        by_offset = {"limit": PAGE_LIMIT, "offset": depth}
        with (
            serve(url, Path(tmp)) as base_url,
            httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S) as client,
        ):
            for _ in range(WARMUP_REQUESTS):
                get_ms(client, first)
                get_ms(client, deep)
            first_ms: list[float] = []
            deep_ms: list[float] = []
            for _ in range(REQUESTS):
                first_ms.append(get_ms(client, first))
                deep_ms.append(get_ms(client, deep))
            offset_ms = [get_ms(client, by_offset) for _ in range(OFFSET_REQUESTS)]

    results = {
        "first_page": {**stats(first_ms), "requests": REQUESTS},
        "deep_page_cursor": {**stats(deep_ms), "requests": REQUESTS},
        "deep_page_offset": {
            "p50_ms": round(percentile(offset_ms, 50), 2),
            "requests": OFFSET_REQUESTS,
        },
    }
    met = {k: results[k]["p99_ms"] <= TARGET_P99_MS for k in ("first_page", "deep_page_cursor")}

    print(
        f"\nTrace list on PostgreSQL: {rows:,} rows, limit={PAGE_LIMIT}, deep = {depth:,} rows "
        f"in; {REQUESTS} requests each after {WARMUP_REQUESTS} warm-up\n"
    )
    print_table(
        ["page", "p50 ms", "p99 ms", "max ms", "target"],
        [
            [
                label,
                f"{r['p50_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                f"{r['max_ms']:.2f}",
                f"p99 <= {TARGET_P99_MS:g} ({'met' if met[key] else 'MISSED'})",
            ]
            for key, label in (("first_page", "first"), ("deep_page_cursor", "deep (cursor)"))
            for r in [results[key]]
        ]
        + [
            [
                "deep (offset), info",
                f"{results['deep_page_offset']['p50_ms']:.2f}",
                "-",
                "-",
                f"{OFFSET_REQUESTS} requests, not a target",
            ]
        ],
    )
    path = write_results(
        "traces_list",
        {
            "rows": rows,
            "depth_rows": depth,
            "page_limit": PAGE_LIMIT,
            "warmup_requests": WARMUP_REQUESTS,
            **fill_info,
            "target_p99_ms": TARGET_P99_MS,
            "target_met": all(met.values()),
            "results": results,
        },
        scratch=rows != DEFAULT_ROWS,
    )
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
