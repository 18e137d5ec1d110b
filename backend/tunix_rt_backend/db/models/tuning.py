from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, PortableJSON, UTCDateTime
from tunix_rt_backend.db.models.job import JobColumns, job_indexes


class TuningJob(JobColumns, Base):
    """A hyperparameter study (the seed's M19 table), and a job of kind `tune`: its
    driver runs Ray Tune on a worker. `status`: created (not started), then the job
    states (pending, running, completed, failed, cancelled). `training_json` holds the
    settings every trial shares; `search_space_json` what the study varies."""

    __tablename__ = "tunix_tuning_jobs"
    __table_args__ = (*job_indexes("tunix_tuning_jobs"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    dataset_key: Mapped[str] = mapped_column(String(256), nullable=False, index=True)
    base_model_id: Mapped[str] = mapped_column(String(256), nullable=False)
    mode: Mapped[str] = mapped_column(String(16), nullable=False)
    metric_name: Mapped[str] = mapped_column(String(64), nullable=False)
    metric_mode: Mapped[str] = mapped_column(String(8), nullable=False)
    num_samples: Mapped[int] = mapped_column(Integer, nullable=False)
    max_concurrent_trials: Mapped[int] = mapped_column(Integer, nullable=False)
    search_alg: Mapped[str] = mapped_column(String(16), nullable=False)
    scheduler: Mapped[str] = mapped_column(String(16), nullable=False)
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    search_space_json: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    training_json: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    best_run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("tunix_runs.run_id", ondelete="SET NULL"), nullable=True
    )
    best_params_json: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON, nullable=True)
    best_metric_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)


class TuningTrial(Base):
    """One trial of a study: a real training run (`run_id`) with the parameters it was
    given, the metric it reached and how it ended: completed, early_stopped (by the
    scheduler), failed (never the best) or cancelled; `stopped_step` the last step it
    reported."""

    __tablename__ = "tunix_tuning_trials"
    __table_args__ = (
        Index("ix_tunix_tuning_trials_job_metric", "tuning_job_id", "metric_value"),
        Index("ix_tunix_tuning_trials_job_trial", "tuning_job_id", "trial_key", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tuning_job_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tunix_tuning_jobs.id", ondelete="CASCADE"), nullable=False
    )
    trial_key: Mapped[str] = mapped_column(String(128), nullable=False)  # Ray's trial id
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("tunix_runs.run_id", ondelete="SET NULL"), nullable=True, index=True
    )
    params_json: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    metric_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    stopped_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
