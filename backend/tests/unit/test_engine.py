from __future__ import annotations

from pathlib import Path

import aiosqlite
from sqlalchemy import text
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from tunix_rt_backend.db.engine import create_engine, create_sessionmaker, session_scope
from tunix_rt_backend.settings import Settings


async def test_pool_settings_are_applied_on_postgres() -> None:
    settings = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://u@db.invalid/x",
        db_pool_size=7,
        db_max_overflow=3,
        db_pool_timeout=12,
    )
    engine = create_engine(settings)
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.size() == 7
    assert pool._max_overflow == 3
    assert pool._timeout == 12
    await engine.dispose()


async def test_sqlite_engine_creates_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "new" / "dir")
    engine = create_engine(settings)
    assert (tmp_path / "new" / "dir").is_dir()
    assert engine.url.database == str((tmp_path / "new" / "dir" / "tunix-rt.db").resolve())
    await engine.dispose()


async def test_a_sqlite_connection_back_in_the_pool_is_rolled_back_only_when_it_must_be(
    tmp_path: Path,
) -> None:
    """After a commit there is nothing to roll back, and no hop to aiosqlite's thread
    is spent on it; a connection given back inside a write transaction is rolled back,
    its write gone and its lock released for the next writer."""
    engine = create_engine(Settings(_env_file=None, data_dir=tmp_path))
    driver_rollbacks = 0
    real = aiosqlite.Connection.rollback

    async def counted(self: aiosqlite.Connection) -> None:
        nonlocal driver_rollbacks
        driver_rollbacks += 1
        await real(self)

    def leave_a_write_open() -> None:  # given back to the pool inside its transaction
        raw = engine.sync_engine.raw_connection()
        cursor = raw.cursor()
        cursor.execute("INSERT INTO t VALUES (2)")
        cursor.close()
        driver = raw.driver_connection
        assert driver is not None and driver.in_transaction
        raw.close()

    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    maker = create_sessionmaker(engine)
    aiosqlite.Connection.rollback = counted  # type: ignore[method-assign]
    try:
        async with session_scope(maker) as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
        async with session_scope(maker) as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 1
        assert driver_rollbacks == 0

        await greenlet_spawn(leave_a_write_open)
        assert driver_rollbacks == 1
        async with session_scope(maker) as session:  # the lock is free, the row gone
            await session.execute(text("INSERT INTO t VALUES (3)"))
            rows = (await session.execute(text("SELECT n FROM t ORDER BY n"))).scalars()
            assert list(rows) == [1, 3]
    finally:
        aiosqlite.Connection.rollback = real  # type: ignore[method-assign]
        await engine.dispose()
