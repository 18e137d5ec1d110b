from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
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


class ModelArtifact(Base):
    """A registered model (the seed's M20 `ModelArtifact`): a name that versions are
    promoted into and aliases (`prod`, `staging`) point within."""

    __tablename__ = "model_artifacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    task_type: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ModelVersion(Base):
    """An immutable version of a model (the seed's M20 `ModelVersion`): a run's final
    checkpoint copied into content-addressed storage (`sha256` is the stored archive's),
    with the run's evaluations, config and provenance as they were at promotion. It
    outlives its run: the run's id is kept, not required."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("artifact_id", "version"),
        Index("ix_model_versions_artifact_id_created_at", "artifact_id", "created_at"),
        # One version per content in a model (a second promotion returns the first).
        Index("ix_model_versions_artifact_id_sha256", "artifact_id", "sha256", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    artifact_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("model_artifacts.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[str] = mapped_column(String(64), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    metrics_json: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    config_json: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    provenance_json: Mapped[dict[str, Any]] = mapped_column(PortableJSON, nullable=False)
    storage_uri: Mapped[str] = mapped_column(String(512), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ModelAlias(Base):
    """Where an alias of a model points now; how it got there is in `model_alias_events`."""

    __tablename__ = "model_aliases"

    artifact_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("model_artifacts.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    version_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("model_versions.id", ondelete="CASCADE"), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


# SQLite's rowid alias must be INTEGER; PostgreSQL gets 64 bits.
_RowId = BigInteger().with_variant(Integer(), "sqlite")


class ModelAliasEvent(Base):
    """Every move of an alias, append-only (what MLflow's registry never kept): from
    which version to which (null: set for the first time, or deleted), who (the token's
    name; null with auth off), when, the regression check that decided it, and why. A
    move a protected alias's gate refused is kept too (`refused`: it did not move)."""

    __tablename__ = "model_alias_events"
    __table_args__ = (
        Index("ix_model_alias_events_artifact_id_alias_id", "artifact_id", "alias", "id"),
        CheckConstraint("action IN ('set', 'rollback', 'delete', 'refused')", name="action"),
    )

    id: Mapped[int] = mapped_column(_RowId, primary_key=True, autoincrement=True)
    artifact_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("model_artifacts.id", ondelete="CASCADE"), nullable=False
    )
    alias: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    from_version_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    to_version_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    check_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
