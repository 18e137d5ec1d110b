"""The API's CPU per request in one process: `tunix-rt serve`'s app against the bare
reference (bench/_bare_api.py), with no network, client or uvicorn in the way.

Both apps run in this process on one SQLite (or PostgreSQL) database holding PREFILL
traces; each request is a raw ASGI call. For every operation (as in api_hot_path.py:
`post`, `first page`, `one`) the two apps take turns in blocks of BLOCK requests, the
order flipping every block, so that the machine's drift falls on both alike; what is
timed is this thread's CPU (`time.thread_time`: the event loop's work, not aiosqlite's
thread nor the database server). It prints each app's microseconds per request, the
difference and their ratio. Made to find and check costs (with py-spy on top, for
instance); bench/api_hot_path.py gives the figures the targets are about.

    .venv/bin/python bench/api_cpu_per_request.py
    .venv/bin/python bench/api_cpu_per_request.py --db postgresql --requests 4000
    .venv/bin/py-spy record -f raw -o page.txt -- .venv/bin/python \\
        bench/api_cpu_per_request.py --op "first page"
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import orjson
from _support import pg_database
from api_hot_path import OPS, TRACE

from tunix_rt_backend.db.migrate import upgrade

BLOCK = 50
PREFILL = 300
REQUESTS = 10_000
App = Callable[..., Awaitable[None]]


async def call(app: App, method: str, path: str, query: bytes = b"", body: bytes = b"") -> Any:
    """One request as uvicorn would hand it over: (status, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def started(app: Any) -> None:
    """Runs the app's lifespan startup (the tunix app opens its engine there)."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    app.state.lifespan_task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    message = await outbox.get()
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"startup failed: {message}")


@contextmanager
def database(kind: str) -> Iterator[str]:
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cpu-per-request-")))
        os.environ["DATA_DIR"] = str(work)
        if kind == "postgresql":
            url = stack.enter_context(pg_database("cpu_per_request"))
        else:
            url = f"sqlite+aiosqlite:///{work / 'a.db'}"
            upgrade(url)
        os.environ["DATABASE_URL"] = url
        yield url


async def measure(ops: list[str], requests: int) -> None:
    import _bare_api  # reads DATABASE_URL as it is imported

    from tunix_rt_backend.app import create_app
    from tunix_rt_backend.settings import Settings

    tunix = create_app(Settings(database_url=os.environ["DATABASE_URL"]))
    await started(tunix)
    body = orjson.dumps(TRACE)
    ids = []
    for n in range(PREFILL):
        traced = orjson.dumps({**TRACE, "prompt": f"Prefill {n}"})
        status, answer = await call(tunix, "POST", "/api/traces", body=traced)
        assert status == 201, answer
        ids.append(orjson.loads(answer)["id"])
    requests_of = {
        "post": ("POST", "/api/traces", b"", body, 201),
        "first page": ("GET", "/api/traces", b"limit=20", b"", 200),
        "one": ("GET", f"/api/traces/{ids[PREFILL // 2]}", b"", b"", 200),
    }
    apps = {"bare": _bare_api.app, "tunix": tunix}
    print(f"{'op':10}  {'bare µs':>8}  {'tunix µs':>8}  {'gap µs':>7}  x bare")
    for op in ops:
        method, path, query, sent, expected = requests_of[op]
        for app in apps.values():  # warm-up
            for _ in range(BLOCK):
                await call(app, method, path, query, sent)
        spent = dict.fromkeys(apps, 0.0)
        blocks = max(1, requests // BLOCK // 2)
        for block in range(blocks):
            for name in list(apps) if block % 2 else list(apps)[::-1]:
                start = time.thread_time()
                for _ in range(BLOCK):
                    status, answer = await call(apps[name], method, path, query, sent)
                spent[name] += time.thread_time() - start
                assert status == expected, (name, status, answer[:300])
        bare, mine = (spent[name] / (blocks * BLOCK) * 1e6 for name in ("bare", "tunix"))
        print(f"{op:10}  {bare:8.0f}  {mine:8.0f}  {mine - bare:7.0f}  {bare / mine:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--op", choices=OPS, action="append", help="default: all")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="per app and op")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    with database(args.db):
        asyncio.run(measure(args.op or list(OPS), args.requests))


if __name__ == "__main__":
    main()
