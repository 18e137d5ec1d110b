from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, PortableJSON, UTCDateTime


class Dataset(Base):
    """A versioned, immutable selection of traces: `dataset_key` is `<name>-v<N>`."""

    __tablename__ = "datasets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dataset_key: Mapped[str] = mapped_column(String(256), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    # strategy, seed, limit, eval_ratio and filters: enough to explain the selection.
    build: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    trace_count: Mapped[int] = mapped_column(Integer, nullable=False)
    train_count: Mapped[int] = mapped_column(Integer, nullable=False)
    eval_count: Mapped[int] = mapped_column(Integer, nullable=False)
    # sha256 of the dataset's `trace` export (format=trace, split=all).
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    stats: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)

    # Two concurrent builds of one name cannot both take version N.
    __table_args__ = (UniqueConstraint("name", "version"),)


class DatasetTrace(Base):
    """A member trace of a dataset, at its position, in the train or eval split."""

    __tablename__ = "dataset_traces"

    dataset_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    # RESTRICT: a trace that a dataset holds cannot vanish from under its hash.
    trace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("traces.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    split: Mapped[str] = mapped_column(String(8), nullable=False)
