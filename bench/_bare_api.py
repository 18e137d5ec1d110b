"""The bare reference of bench/api_hot_path.py: the same INSERT of a trace and the same
SELECT of the first page as `tunix-rt serve`, on the same engine (driver, pool and
SQLite pragmas), in a minimal FastAPI app with no middleware, auth, validation beyond
JSON, or error layers: the floor that the framework and the driver set.

    DATABASE_URL=... .venv/bin/uvicorn --app-dir bench _bare_api:app --port 8001
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy import select
from tunix_rt_backend.db.engine import create_engine, create_sessionmaker
from tunix_rt_backend.db.models import Trace
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.traces.service import trace_row

settings = Settings(database_url=os.environ["DATABASE_URL"], data_dir=Path(os.environ["DATA_DIR"]))
maker = create_sessionmaker(create_engine(settings))
app = FastAPI()


@app.get("/api/health")
async def health() -> dict[str, str]:
    return {"status": "healthy"}


@app.post("/api/traces", status_code=201)
async def create(body: dict[str, Any]) -> dict[str, Any]:
    row = trace_row(body, datetime.now(UTC))
    async with maker() as session, session.begin():
        session.add(Trace(**row))
    return {k: row[k] for k in ("id", "created_at", "trace_version")}


@app.get("/api/traces")
async def page(limit: int = 20) -> dict[str, Any]:
    query = select(
        Trace.id,
        Trace.created_at,
        Trace.trace_version,
        Trace.prompt_preview,
        Trace.final_answer_preview,
        Trace.source,
        Trace.score,
    )
    query = query.order_by(Trace.created_at.desc(), Trace.id.desc()).limit(limit)
    async with maker() as session:
        rows = (await session.execute(query)).all()
    return {"data": [row._asdict() for row in rows]}


@app.get("/api/traces/{trace_id}")
async def one(trace_id: uuid.UUID) -> dict[str, Any]:
    async with maker() as session:
        trace = await session.get(Trace, trace_id)
    if trace is None:
        raise HTTPException(404)
    return {"id": trace.id, "created_at": trace.created_at, "payload": trace.payload}
