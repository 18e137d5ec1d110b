from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, UTCDateTime


class JobColumns:
    """The columns that make a table a queue of jobs (see jobs/): a domain's table of
    long tasks (`tunix_runs` for training) takes them, and `jobs/` claims, guards and
    ends its rows. Its primary key is the job's id.

    `started_at` is when the job last started (its claim; until then the time it was
    queued); `attempt` counts claims, and every change a worker makes is guarded by
    (status, worker_id, attempt), so a worker presumed dead can never overwrite a newer
    attempt. A table that takes these columns also needs the index
    (status, queued_at) that claims read (`job_indexes`)."""

    status: Mapped[str] = mapped_column(String(64), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
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


def job_indexes(table: str) -> tuple[Index]:
    """The index a claim reads: the oldest pending jobs first."""
    return (Index(f"ix_{table}_status_queued_at", "status", "queued_at"),)


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


class JobLogChunk(Base):
    """Lines of a job's stdout or stderr, in order (the seed's M16 table, for jobs of
    every kind): one chunk per stream per flush; `seq` runs on across attempts. Kept
    with no foreign key: a job's id is unique across the kinds' tables."""

    __tablename__ = "job_log_chunks"
    __table_args__ = (Index("ix_job_log_chunks_job_id_seq", "job_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(_RowId, primary_key=True, autoincrement=True)
    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    stream: Mapped[str] = mapped_column(String(16), nullable=False)
    chunk: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class JobMetric(Base):
    """One scalar of a job at a step (train/loss, eval/loss...), numbered in the job's
    output `seq` (shared with its log chunks). A step reported again (a resumed attempt)
    replaces its value and takes a new seq, so a live stream resuming after seq N sends
    exactly the points written since."""

    __tablename__ = "job_metrics"
    __table_args__ = (
        Index("ix_job_metrics_job_id_name_step", "job_id", "name", "step", unique=True),
        Index("ix_job_metrics_job_id_seq", "job_id", "seq"),
    )

    id: Mapped[int] = mapped_column(_RowId, primary_key=True, autoincrement=True)
    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
