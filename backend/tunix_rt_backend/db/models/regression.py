from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, PortableJSON, UTCDateTime


class PinnedEvaluation:
    """What a baseline pins of its evaluation: a check is comparable only against the
    same dataset content, split and judge version."""

    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tunix_runs.run_id", ondelete="CASCADE"), nullable=False
    )
    evaluation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tunix_run_evaluations.id", ondelete="CASCADE"), nullable=False
    )
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    lower_is_better: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # Absolute, in the metric's units; `margin_set` false: 5% of the baseline's value.
    margin: Mapped[float] = mapped_column(Float, nullable=False)
    margin_set: Mapped[bool] = mapped_column(Boolean, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    judge: Mapped[str] = mapped_column(String(64), nullable=False)
    judge_version: Mapped[str] = mapped_column(String(32), nullable=False)
    judge_config_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    dataset_key: Mapped[str] = mapped_column(String(256), nullable=False)
    dataset_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    split: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class RegressionBaseline(PinnedEvaluation, Base):
    """A named baseline (the seed's M18 table): the run, and the evaluation of it, that
    later runs are checked against. Setting it again under its name changes it; each
    setting is kept in `regression_baseline_history`."""

    __tablename__ = "regression_baselines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RegressionBaselineVersion(PinnedEvaluation, Base):
    """Each setting of a baseline, append-only: what it pinned from when."""

    __tablename__ = "regression_baseline_history"
    __table_args__ = (UniqueConstraint("baseline_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    baseline_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("regression_baselines.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RegressionCheck(Base):
    """A run checked against a baseline, kept with its full report (`report`), so a
    team can see what passed when. It outlives the baseline: its name and version are
    copied, not referenced."""

    __tablename__ = "regression_checks"
    __table_args__ = (
        Index("ix_regression_checks_baseline_name_created_at", "baseline_name", "created_at"),
        Index("ix_regression_checks_run_id_created_at", "run_id", "created_at"),
        CheckConstraint("verdict IN ('pass', 'fail', 'inconclusive')", name="verdict"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    baseline_name: Mapped[str] = mapped_column(String(128), nullable=False)
    baseline_version: Mapped[int] = mapped_column(Integer, nullable=False)
    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tunix_runs.run_id", ondelete="CASCADE"), nullable=False
    )
    evaluation_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    baseline_run_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    baseline_evaluation_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)
    baseline_value: Mapped[float] = mapped_column(Float, nullable=False)
    current_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    report: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
