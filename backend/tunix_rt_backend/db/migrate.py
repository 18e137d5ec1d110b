"""Alembic driven from code: `tunix-rt db ...`, `serve` on SQLite, and the tests."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

BACKEND_DIR = Path(__file__).resolve().parents[2]


def alembic_config(db_url: str) -> Config:
    cfg = Config(str(BACKEND_DIR / "alembic.ini"), stdout=io.StringIO())
    cfg.set_main_option("script_location", str(BACKEND_DIR / "migrations"))
    cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(db_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(db_url), revision)


def downgrade(db_url: str, revision: str = "-1") -> None:
    command.downgrade(alembic_config(db_url), revision)


def head_revision(db_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()


def current_revision(db_url: str) -> str | None:
    """The database's revision, or None when it has none."""

    async def read() -> str | None:
        engine = create_async_engine(db_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


def check(db_url: str) -> None:
    """Raise if the models and the migrated schema differ (`alembic check`)."""
    command.check(alembic_config(db_url))
