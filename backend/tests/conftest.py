"""Fixtures shared by every test.

Integration tests run once on SQLite and once on PostgreSQL (the `db_url` fixture is
parametrised). Each backend gets one database per test run, created here, built with
`alembic upgrade head` and dropped at the end; tables are emptied after each test.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from sqlalchemy import delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.app import create_app
from tunix_rt_backend.db import migrate
from tunix_rt_backend.db.base import Base
from tunix_rt_backend.job_kinds import job_kinds
from tunix_rt_backend.jobs.worker import QueueWorker
from tunix_rt_backend.settings import Settings

T = TypeVar("T")

PG_ADMIN_URL = os.environ.get(
    "TUNIX_RT_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(PG_ADMIN_URL))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking code that calls asyncio.run() (Alembic's env.py does) off the
    test event loop's thread, where asyncio.run() would unset that loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def create_pg_database() -> str:
    name = f"tunix_rt_test_{uuid.uuid4().hex[:12]}"
    in_thread(asyncio.run, _pg_admin(f'CREATE DATABASE "{name}"'))
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    in_thread(asyncio.run, _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "test.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(migrate.upgrade, url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = create_pg_database()
    try:
        in_thread(migrate.upgrade, url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


def make_settings(db_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "data_dir": data_dir,
        "rediai_mode": "mock",
        # A completed run queues no evaluation unless a test asks (test_evaluations.py
        # does): most tests that train are about something else.
        "eval_auto": False,
        # The in-process client addresses the app as http://test.
        "allowed_hosts": "test,localhost,127.0.0.1",
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the app's settings."""
    return {}


@pytest.fixture
def settings(db_url: str, tmp_path: Path, settings_overrides: dict[str, object]) -> Settings:
    return make_settings(db_url, tmp_path / "data", **settings_overrides)


@pytest.fixture
async def app_and_client(
    settings: Settings,
) -> AsyncIterator[tuple[object, httpx.AsyncClient]]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        try:
            yield app, client
        finally:
            await _empty_tables(app.state.sessionmaker)
            await app.state.engine.dispose()


@pytest.fixture
def client(app_and_client: tuple[object, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_and_client[1]


@pytest.fixture
def sessionmaker(
    app_and_client: tuple[object, httpx.AsyncClient],
) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app_and_client[0].state.sessionmaker  # type: ignore[attr-defined]
    return maker


@pytest.fixture
async def worker(
    app_and_client: tuple[object, httpx.AsyncClient], settings: Settings
) -> AsyncIterator[QueueWorker]:
    """A queue worker on the app's database, as `tunix-rt serve` embeds one: training
    runs need one (the app under test is built without it)."""
    app = app_and_client[0]
    queue_worker = QueueWorker(app.state.sessionmaker, settings, job_kinds())  # type: ignore[attr-defined]
    app.state.worker = queue_worker  # type: ignore[attr-defined]  # the API's nudges reach it
    async with queue_worker.running():
        yield queue_worker


async def _empty_tables(maker: async_sessionmaker[AsyncSession]) -> None:
    async with maker() as session:
        if session.bind.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            await session.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await session.execute(delete(table))
        await session.commit()
