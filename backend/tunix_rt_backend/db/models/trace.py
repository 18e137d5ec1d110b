from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, PortableJSON, UTCDateTime


class Trace(Base):
    __tablename__ = "traces"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    trace_version: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)

    # (created_at, id) rather than created_at alone: the list is ordered by both (id
    # breaks ties between traces of one batch), so one index serves the first page,
    # offsets and keyset cursors without a sort.
    __table_args__ = (Index("ix_traces_created_at", "created_at", "id"),)
