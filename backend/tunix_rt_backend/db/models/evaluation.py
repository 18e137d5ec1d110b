from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tunix_rt_backend.db.base import Base, PortableJSON
from tunix_rt_backend.db.models.job import JobColumns, job_indexes


class Evaluation(JobColumns, Base):
    """A model's answers to a dataset split, scored by a judge (the seed's M17 table),
    and a job of kind `evaluate`. What makes its score checkable is kept with it: the
    judge's name, version and config hash, the dataset's content hash and split, the
    decoding settings and the checkpoint step. `score` (0-100) and `primary_score`
    (0-1) stay null until it completes: a score is never invented."""

    __tablename__ = "tunix_run_evaluations"
    __table_args__ = (
        *job_indexes("tunix_run_evaluations"),
        Index("ix_tunix_run_evaluations_score", "score"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("tunix_runs.run_id", ondelete="CASCADE"), nullable=True, index=True
    )
    model_id: Mapped[str] = mapped_column(String(256), nullable=False)
    dataset_key: Mapped[str] = mapped_column(String(256), nullable=False, index=True)
    dataset_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    split: Mapped[str] = mapped_column(String(16), nullable=False)
    judge: Mapped[str] = mapped_column(String(64), nullable=False)
    judge_version: Mapped[str] = mapped_column(String(32), nullable=False)
    judge_config_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    mock: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    checkpoint_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decoding: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    primary_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(32), nullable=True)
    n_items: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    n_scored: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    n_unscored: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)


# SQLite's rowid alias must be INTEGER; PostgreSQL gets 64 bits.
_RowId = BigInteger().with_variant(Integer(), "sqlite")


class EvaluationItem(Base):
    """One example of an evaluation: what the model was asked and wrote, and what the
    judge made of it. `correct`/`score` are null when it could not be scored
    (`unscored_reason` says why): an unscored item is never counted as wrong."""

    __tablename__ = "tunix_evaluation_items"
    __table_args__ = (
        Index(
            "ix_tunix_evaluation_items_evaluation_id_index", "evaluation_id", "index", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(_RowId, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tunix_run_evaluations.id", ondelete="CASCADE"), nullable=False
    )
    index: Mapped[int] = mapped_column(Integer, nullable=False)
    trace_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    expected: Mapped[str | None] = mapped_column(Text, nullable=True)
    output: Mapped[str] = mapped_column(Text, nullable=False)
    extracted: Mapped[str | None] = mapped_column(Text, nullable=True)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    format_ok: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reasoning_steps: Mapped[int] = mapped_column(Integer, nullable=False)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    output_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    latency_ms: Mapped[float] = mapped_column(Float, nullable=False)
    judge_reasoning: Mapped[str | None] = mapped_column(Text, nullable=True)
    judge_raw: Mapped[str | None] = mapped_column(Text, nullable=True)
    judge_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unscored_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
