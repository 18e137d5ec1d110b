from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, PortableJSON, UTCDateTime

PREVIEW_CHARS = 160
SOURCE_MAX_CHARS = 200
# GIN (pg_trgm) on `prompt`, made by the migration only where the server has pg_trgm.
PROMPT_TRGM_INDEX = "ix_traces_prompt_trgm"


class Trace(Base):
    """A stored trace: its payload as posted, and what the list shows and filters on,
    copied out of the payload when it is stored (reading them out of JSON would cost
    every list request a parse of each row's payload)."""

    __tablename__ = "traces"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    trace_version: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    # The whole prompt, for the search (`q`): a plain column is scanned three times
    # faster than the payload's JSON on SQLite, and is what pg_trgm indexes.
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    prompt_preview: Mapped[str] = mapped_column(String(PREVIEW_CHARS), nullable=False)
    final_answer_preview: Mapped[str] = mapped_column(String(PREVIEW_CHARS), nullable=False)
    # `meta.source` when it is a string (cut to SOURCE_MAX_CHARS), else null.
    source: Mapped[str | None] = mapped_column(String(SOURCE_MAX_CHARS), nullable=True)
    # The latest score (the `scores` table keeps them all): written with each score,
    # so the list needs no join to show it or filter on it.
    score: Mapped[float | None] = mapped_column(Float, nullable=True)

    # (created_at, id) rather than created_at alone: the list is ordered by both (id
    # breaks ties between traces of one batch), so one index serves the first page,
    # offsets and keyset cursors without a sort. The filtered lists get the same order
    # from an index each: one source, or the scored traces (a partial index: scored
    # traces can be few, and a walk of all traces would pass over the rest).
    # The prompt's trigram index (PostgreSQL, pg_trgm) is made by the migration
    # alone, when the server has the extension: see migrations/env.py.
    __table_args__ = (
        Index("ix_traces_created_at", "created_at", "id"),
        Index("ix_traces_source", "source", "created_at", "id"),
        Index(
            "ix_traces_scored",
            "created_at",
            "id",
            postgresql_where=text("score IS NOT NULL"),
            sqlite_where=text("score IS NOT NULL"),
        ),
    )
