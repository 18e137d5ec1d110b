from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, PortableJSON, UTCDateTime


class TunixRun(Base):
    """A training run (the seed's M14 table) and its place in the queue.

    `started_at` is when the run last started (its claim, for a queued run; until then
    the time it was queued); `attempt` counts claims, and every change a worker makes
    is guarded by (status, worker_id, attempt), so a worker presumed dead can never
    overwrite a newer attempt."""

    __tablename__ = "tunix_runs"
    __table_args__ = (Index("ix_tunix_runs_status_queued_at", "status", "queued_at"),)

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
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(
        Integer, nullable=False, default=3, server_default="3"
    )
    worker_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checks: Mapped[list[dict[str, Any]] | None] = mapped_column(PortableJSON, nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)


class Worker(Base):
    """A worker process, alive while its heartbeat is fresh."""

    __tablename__ = "tunix_workers"

    worker_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(256), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    concurrency: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


# SQLite's rowid alias must be INTEGER; PostgreSQL gets 64 bits.
_RowId = BigInteger().with_variant(Integer(), "sqlite")


class RunLogChunk(Base):
    """Lines of a run's stdout or stderr, in order (the seed's M16 table): one chunk
    per stream per flush; `seq` runs on across attempts."""

    __tablename__ = "tunix_run_log_chunks"
    __table_args__ = (Index("ix_tunix_run_log_chunks_run_id_seq", "run_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(_RowId, primary_key=True, autoincrement=True)
    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tunix_runs.run_id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    stream: Mapped[str] = mapped_column(String(16), nullable=False)
    chunk: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RunMetric(Base):
    """One scalar of a run at a step (train/loss, eval/loss, train/learning_rate...);
    a resumed attempt that logs a step again replaces its value."""

    __tablename__ = "tunix_run_metrics"
    __table_args__ = (
        Index("ix_tunix_run_metrics_run_id_name_step", "run_id", "name", "step", unique=True),
    )

    id: Mapped[int] = mapped_column(_RowId, primary_key=True, autoincrement=True)
    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tunix_runs.run_id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
