from __future__ import annotations

from pathlib import Path

from sqlalchemy.pool import QueuePool

from tunix_rt_backend.db.engine import create_engine
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
