"""Database trouble is named, not a bare 500: PostgreSQL away (down, restarting) is a
503 with Retry-After; a full SQLite disk is a 507 that writes nothing, reads keep
working, and writes resume once there is space again."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import event

from tunix_rt_backend.app import create_app
from tunix_rt_backend.db import migrate
from tunix_rt_backend.db.engine import create_engine, create_sessionmaker
from tunix_rt_backend.jobs.watch import JobWatch
from tunix_rt_backend.runs.execution import TRAIN

from ..conftest import in_thread, make_settings
from ..factories import trace_body

JSON = {"content-type": "application/json"}


async def _client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await app.state.engine.dispose()


@pytest.fixture
async def unreachable(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # Nothing listens on port 1: as PostgreSQL down or between restarts.
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/tunix"
    app = create_app(make_settings(url, tmp_path / "data", db_pool_timeout=2))
    async for client in _client(app):
        yield client


async def test_postgresql_away_is_a_503_with_retry_after(unreachable: httpx.AsyncClient) -> None:
    for method, path, body in (
        ("GET", "/api/traces", None),
        ("POST", "/api/traces", orjson.dumps(trace_body())),
        ("GET", "/api/tunix/runs", None),
    ):
        response = await unreachable.request(method, path, content=body, headers=JSON)
        assert response.status_code == 503, (path, response.text)
        assert response.json()["error"] == "DatabaseUnavailable"
        assert response.headers["retry-after"] == "5"
    # Liveness does not need the database.
    assert (await unreachable.get("/api/health")).status_code == 200


class _PageLimit:
    """SQLite's PRAGMA max_page_count on every connection: a disk that fills up."""

    def __init__(self, pages: int) -> None:
        self.pages = pages

    def __call__(self, connection: Any, _: Any) -> None:
        cursor = connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {self.pages}")
        cursor.close()


async def test_a_full_sqlite_disk_is_a_507_reads_go_on_and_writes_resume(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'full.db'}"
    in_thread(migrate.upgrade, url)
    settings = make_settings(url, tmp_path / "data", allowed_hosts="test")
    app = create_app(settings)
    limit = _PageLimit(pages=100_000)
    event.listen(app.state.engine.sync_engine, "connect", limit)
    async for client in _client(app):
        first = await client.post("/api/traces", content=orjson.dumps(trace_body()), headers=JSON)
        assert first.status_code == 201, first.text
        # Now the file may not grow: a big batch does not fit.
        limit.pages = 1
        await app.state.engine.dispose()  # new connections, with the new limit
        batch = orjson.dumps([trace_body(prompt="x" * 40_000) for _ in range(50)])
        full = await client.post("/api/traces/batch", content=batch, headers=JSON)
        assert full.status_code == 507, full.text
        assert full.json()["error"] == "InsufficientStorage"
        listed = await client.get("/api/traces")
        assert listed.status_code == 200 and len(listed.json()["data"]) == 1  # nothing half written
        # Space again: the same batch goes in.
        limit.pages = 100_000
        await app.state.engine.dispose()
        again = await client.post("/api/traces/batch", content=batch, headers=JSON)
        assert again.status_code == 201, again.text


async def test_live_streams_wait_out_an_outage_and_say_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings("postgresql+asyncpg://postgres@127.0.0.1:1/tunix", tmp_path)
    engine = create_engine(settings)
    watch = JobWatch(create_sessionmaker(engine), poll_s=0.02)
    caplog.set_level(logging.INFO, logger="tunix_rt.jobs")
    try:
        async with watch.watching(TRAIN, uuid.uuid4()) as moved:
            await asyncio.sleep(0.5)  # about 25 polls, every one failing
            assert not moved.is_set()
    finally:
        await engine.dispose()
    failures = [r for r in caplog.records if "watching job output failed" in r.getMessage()]
    assert len(failures) == 1
