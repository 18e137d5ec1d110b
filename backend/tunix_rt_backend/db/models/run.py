from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, PortableJSON
from tunix_rt_backend.db.models.job import JobColumns, job_indexes


class TunixRun(JobColumns, Base):
    """A training run (the seed's M14 table), and a job of kind `train`: the queue's
    columns come from JobColumns."""

    __tablename__ = "tunix_runs"
    __table_args__ = job_indexes("tunix_runs")

    run_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dataset_key: Mapped[str] = mapped_column(String(256), nullable=False, index=True)
    model_id: Mapped[str] = mapped_column(String(256), nullable=False)
    mode: Mapped[str] = mapped_column(String(64), nullable=False)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    stdout: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    stderr: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    config: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON, nullable=True)
    checks: Mapped[list[dict[str, Any]] | None] = mapped_column(PortableJSON, nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Labels a person gives a run (editable; the results above are not).
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    tags: Mapped[list[str]] = mapped_column(
        PortableJSON, nullable=False, default=list, server_default=text("'[]'")
    )


# SQLite's rowid alias must be INTEGER; PostgreSQL gets 64 bits.
_RowId = BigInteger().with_variant(Integer(), "sqlite")


class RunGeneration(Base):
    """One held-out prompt the trainer answered greedily at the end of a run (its
    `generation` event): the trainer's own quick check, shown on the run page (the
    run's evaluation, in evaluation/, scores the whole held-out split). A resumed
    attempt that answers again replaces its rows (unique by run and index)."""

    __tablename__ = "tunix_run_generations"
    __table_args__ = (
        Index("ix_tunix_run_generations_run_id_index", "run_id", "index", unique=True),
    )

    id: Mapped[int] = mapped_column(_RowId, primary_key=True, autoincrement=True)
    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tunix_runs.run_id", ondelete="CASCADE"), nullable=False
    )
    index: Mapped[int] = mapped_column(Integer, nullable=False)
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    expected: Mapped[str | None] = mapped_column(Text, nullable=True)
    output: Mapped[str] = mapped_column(Text, nullable=False)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
