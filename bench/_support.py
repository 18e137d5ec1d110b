"""Shared helpers of the benchmarks: throw-away databases, a `tunix-rt serve`
subprocess, percentiles, the printed table and the JSON results file."""

from __future__ import annotations

import asyncio
import os
import platform
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from tunix_rt_backend.db.migrate import upgrade

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
TUNIX_RT_BIN = REPO_ROOT / ".venv" / "bin" / "tunix-rt"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVER_START_TIMEOUT_S = 30.0


@contextmanager
def pg_database(name: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database; yields its SQLAlchemy URL and drops it
    on exit, even on error."""
    db_name = f"bench_{name}_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{db_name}"'))
    try:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db_name}"
        upgrade(url)
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(db_url: str, workdir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`tunix-rt serve` (one uvicorn worker) on a free port of 127.0.0.1, run in
    `workdir` (so no `.env` of the checkout applies); yields its base URL."""
    with serve_process(db_url, workdir, env) as (base_url, _):
        yield base_url


@contextmanager
def serve_process(
    db_url: str, workdir: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`serve`, yielding the process too (its pid is the server's own: the
    `tunix-rt` script execs Python, and uvicorn serves in that process). `env`
    adds variables (settings) to the server's environment."""
    port = free_port()
    command = [str(TUNIX_RT_BIN), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with server_process(command, port, db_url, workdir, env) as served:
        yield served


@contextmanager
def server_process(
    command: list[str], port: int, db_url: str, workdir: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`command`, a server listening on `port` of 127.0.0.1 with an /api/health, run in
    `workdir` on `db_url`; yields its base URL and process once it is healthy, and stops it."""
    env = {**os.environ, **(env or {}), "DATABASE_URL": db_url, "DATA_DIR": str(workdir)}
    log_path = workdir / f"server-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base_url, log_path)
        yield base_url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready after {SERVER_START_TIMEOUT_S}s:\n{log_path.read_text()}")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p100 is the max)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    print("\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]]))


def write_results(name: str, results: dict[str, Any], *, scratch: bool = False) -> Path:
    """`bench/results/<name>.json`, with the machine the figures were taken on; a
    scratch run (not the standard one) goes to `<name>.json.tmp`, which git ignores."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json{'.tmp' if scratch else ''}"
    document = {
        "benchmark": name,
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **results,
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return path


def json_of(response: httpx.Response, *codes: int) -> dict[str, Any]:
    """The response's JSON object, or RuntimeError naming the URL, status and body."""
    if response.status_code not in codes:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:800]}")
    result: dict[str, Any] = response.json()
    return result
