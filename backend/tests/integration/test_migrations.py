"""Migrations on a fresh database of each backend: up, no drift, down, up again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Float, String, Uuid, column, inspect, table, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import create_pg_database, drop_pg_database, in_thread
from tests.factories import trace_body
from tunix_rt_backend.db import migrate
from tunix_rt_backend.db.base import PortableJSON, UTCDateTime
from tunix_rt_backend.db.models.trace import PROMPT_TRGM_INDEX
from tunix_rt_backend.kit.time import utcnow


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


_BEFORE_TRACE_COLUMNS = "02605cc4f561"


def test_trace_list_columns_are_filled_from_existing_rows(fresh_db_url: str) -> None:
    in_thread(migrate.upgrade, fresh_db_url, _BEFORE_TRACE_COLUMNS)
    now = utcnow()
    payloads = {
        "long": trace_body(prompt="é" * 170, final_answer="7" * 200, meta={"source": "gsm8k"}),
        "numeric source": trace_body(meta={"source": 7}),
        "no meta": {k: v for k, v in trace_body().items() if k != "meta"},
        "null meta": trace_body(meta=None),
    }
    ids = {name: uuid.uuid4() for name in payloads}
    traces = table(
        "traces",
        column("id", Uuid()),
        column("created_at", UTCDateTime()),
        column("trace_version", String()),
        column("payload", PortableJSON),
    )
    scores = table(
        "scores",
        column("id", Uuid()),
        column("trace_id", Uuid()),
        column("criteria", String()),
        column("score", Float()),
        column("created_at", UTCDateTime()),
    )
    trace_rows = [
        {"id": ids[name], "created_at": now, "trace_version": "1.0", "payload": payload}
        for name, payload in payloads.items()
    ]
    # Two scores of one trace: the later one is its latest, though inserted first.
    score_rows = [
        {"id": uuid.uuid4(), "trace_id": ids["long"], "criteria": "baseline", "score": score,
         "created_at": now + timedelta(seconds=delay)}
        for score, delay in ((80.0, 2), (20.0, 1))
    ]  # fmt: skip

    async def fill_and_read() -> dict[uuid.UUID, Any]:
        engine = create_async_engine(fresh_db_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(traces.insert(), trace_rows)
                await conn.execute(scores.insert(), score_rows)
            await asyncio.to_thread(migrate.upgrade, fresh_db_url)
            async with engine.connect() as conn:
                query = text(
                    "SELECT id, prompt, prompt_preview, final_answer_preview, source, score"
                    " FROM traces"
                )
                rows = (await conn.execute(query)).all()
                return {uuid.UUID(str(r.id)): r for r in rows}
        finally:
            await engine.dispose()

    found = in_thread(asyncio.run, fill_and_read())
    long = found[ids["long"]]
    assert long.prompt == "é" * 170
    assert long.prompt_preview == "é" * 160
    assert long.final_answer_preview == "7" * 160
    assert long.source == "gsm8k"
    assert long.score == 80.0
    for name in ("numeric source", "no meta", "null meta"):
        assert found[ids[name]].source is None
        assert found[ids[name]].score is None
        assert found[ids[name]].prompt_preview == trace_body()["prompt"]
    in_thread(migrate.check, fresh_db_url)


@pytest.mark.parametrize("fresh_db_url", ["postgresql"], indirect=True)  # pg_trgm is PostgreSQL's
def test_the_prompt_gets_a_trigram_index_on_postgresql(fresh_db_url: str) -> None:
    in_thread(migrate.upgrade, fresh_db_url)

    async def indexes() -> set[str]:
        engine = create_async_engine(fresh_db_url)
        try:
            async with engine.connect() as conn:
                query = text("SELECT indexname FROM pg_indexes WHERE tablename = 'traces'")
                return set((await conn.execute(query)).scalars())
        finally:
            await engine.dispose()

    assert PROMPT_TRGM_INDEX in in_thread(asyncio.run, indexes())
