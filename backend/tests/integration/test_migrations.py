"""Migrations on a fresh database of each backend: up, no drift, down, up again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import create_pg_database, drop_pg_database, in_thread
from tunix_rt_backend.db import migrate


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return in_thread(asyncio.run, read())


def test_upgrade_check_downgrade_upgrade(fresh_db_url: str) -> None:
    in_thread(migrate.upgrade, fresh_db_url)
    assert in_thread(migrate.current_revision, fresh_db_url) == migrate.head_revision(fresh_db_url)
    assert {"traces", "scores", "api_tokens"} <= _tables(fresh_db_url)
    in_thread(migrate.check, fresh_db_url)  # raises on drift between models and migrations

    in_thread(migrate.downgrade, fresh_db_url, "base")
    assert in_thread(migrate.current_revision, fresh_db_url) is None
    assert _tables(fresh_db_url) <= {"alembic_version"}

    in_thread(migrate.upgrade, fresh_db_url)
    in_thread(migrate.check, fresh_db_url)


def test_constraints_follow_the_naming_convention(fresh_db_url: str) -> None:
    in_thread(migrate.upgrade, fresh_db_url)

    async def read() -> dict[str, object]:
        engine = create_async_engine(fresh_db_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: {
                        "fks": inspect(c).get_foreign_keys("scores"),
                        "indexes": {i["name"] for i in inspect(c).get_indexes("traces")},
                    }
                )
        finally:
            await engine.dispose()

    found = in_thread(asyncio.run, read())
    assert "ix_traces_created_at" in found["indexes"]
    fk = found["fks"][0]
    assert fk["name"] == "fk_scores_trace_id_traces"
    assert fk["options"].get("ondelete") == "CASCADE"
