from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, PortableJSON, UTCDateTime


class TunixRun(Base):
    """A training run (the seed's M14 table). Datasets check it before deletion;
    the training and run-registry work fills it."""

    __tablename__ = "tunix_runs"

    run_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dataset_key: Mapped[str] = mapped_column(String(256), nullable=False, index=True)
    model_id: Mapped[str] = mapped_column(String(256), nullable=False)
    mode: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(64), nullable=False)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    stdout: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    stderr: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    config: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
