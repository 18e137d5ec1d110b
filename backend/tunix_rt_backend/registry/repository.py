"""All SQL of the model registry: models, their versions, aliases and alias events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import ModelAlias, ModelAliasEvent, ModelArtifact, ModelVersion


async def artifact(session: AsyncSession, artifact_id: uuid.UUID) -> ModelArtifact | None:
    return await session.get(ModelArtifact, artifact_id)


async def artifact_for_update(
    session: AsyncSession, artifact_id: uuid.UUID
) -> ModelArtifact | None:
    """The model, locked until commit: promotions and alias moves of one model happen one
    after the other (labels numbered in turn, aliases moved from where they really
    pointed, each event recorded from the state the one before left). PostgreSQL locks
    the row; SQLite has no row locks, so the transaction takes the database's write lock
    before it reads anything (BEGIN IMMEDIATE): a second writer waits for the first to
    commit, then reads what it wrote."""
    if session.bind.dialect.name == "sqlite":
        await begin_immediate(session)
    row: ModelArtifact | None = await session.scalar(
        select(ModelArtifact).where(ModelArtifact.id == artifact_id).with_for_update()
    )
    return row


async def artifact_by_name(session: AsyncSession, name: str) -> ModelArtifact | None:
    row: ModelArtifact | None = await session.scalar(
        select(ModelArtifact).where(ModelArtifact.name == name)
    )
    return row


async def begin_immediate(session: AsyncSession) -> None:
    """Open the session's SQLite transaction with the write lock, unless one is open
    (then it wrote already, and holds the lock)."""
    connection = await (await session.connection()).get_raw_connection()
    if not connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        await session.execute(text("BEGIN IMMEDIATE"))


async def artifacts(session: AsyncSession, limit: int, offset: int) -> Sequence[ModelArtifact]:
    """A page by name (one more row than asked: is there a next page)."""
    rows = await session.scalars(
        select(ModelArtifact).order_by(ModelArtifact.name).limit(limit + 1).offset(offset)
    )
    return rows.all()


async def version(session: AsyncSession, version_id: uuid.UUID) -> ModelVersion | None:
    return await session.get(ModelVersion, version_id)


async def versions_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ModelVersion]:
    if not ids:
        return {}
    rows = await session.scalars(select(ModelVersion).where(ModelVersion.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def versions(
    session: AsyncSession, artifact_id: uuid.UUID, limit: int, offset: int
) -> Sequence[ModelVersion]:
    """A page of the model's versions, newest first (one more row than asked)."""
    rows = await session.scalars(
        select(ModelVersion)
        .where(ModelVersion.artifact_id == artifact_id)
        .order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    return rows.all()


async def version_by_label(
    session: AsyncSession, artifact_id: uuid.UUID, label: str
) -> ModelVersion | None:
    row: ModelVersion | None = await session.scalar(
        select(ModelVersion).where(
            ModelVersion.artifact_id == artifact_id, ModelVersion.version == label
        )
    )
    return row


async def version_by_sha256(
    session: AsyncSession, artifact_id: uuid.UUID, sha256: str
) -> ModelVersion | None:
    row: ModelVersion | None = await session.scalar(
        select(ModelVersion)
        .where(ModelVersion.artifact_id == artifact_id, ModelVersion.sha256 == sha256)
        .order_by(ModelVersion.created_at)
        .limit(1)
    )
    return row


async def version_counts(
    session: AsyncSession, artifact_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, ModelVersion | None]]:
    """Per model: how many versions, and the newest."""
    if not artifact_ids:
        return {}
    result = await session.execute(
        select(ModelVersion.artifact_id, func.count())
        .where(ModelVersion.artifact_id.in_(artifact_ids))
        .group_by(ModelVersion.artifact_id)
    )
    counts = {artifact_id: count for artifact_id, count in result.tuples()}
    newest = (
        select(ModelVersion)
        .where(ModelVersion.artifact_id.in_(artifact_ids))
        .order_by(ModelVersion.artifact_id, ModelVersion.created_at.desc(), ModelVersion.id.desc())
    )
    latest: dict[uuid.UUID, ModelVersion] = {}
    for row in await session.scalars(newest):
        latest.setdefault(row.artifact_id, row)
    return {a: (counts.get(a, 0), latest.get(a)) for a in artifact_ids}


async def labels(session: AsyncSession, artifact_id: uuid.UUID) -> set[str]:
    rows = await session.scalars(
        select(ModelVersion.version).where(ModelVersion.artifact_id == artifact_id)
    )
    return set(rows)


async def aliases(session: AsyncSession, artifact_ids: Sequence[uuid.UUID]) -> Sequence[ModelAlias]:
    if not artifact_ids:
        return []
    rows = await session.scalars(
        select(ModelAlias)
        .where(ModelAlias.artifact_id.in_(artifact_ids))
        .order_by(ModelAlias.alias)
    )
    return rows.all()


async def alias(session: AsyncSession, artifact_id: uuid.UUID, name: str) -> ModelAlias | None:
    return await session.get(ModelAlias, (artifact_id, name))


async def events(
    session: AsyncSession, artifact_id: uuid.UUID, name: str, limit: int, offset: int
) -> Sequence[ModelAliasEvent]:
    """The alias's events, newest first (one more row than asked)."""
    rows = await session.scalars(
        select(ModelAliasEvent)
        .where(ModelAliasEvent.artifact_id == artifact_id, ModelAliasEvent.alias == name)
        .order_by(ModelAliasEvent.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    return rows.all()


async def last_move_to(
    session: AsyncSession, artifact_id: uuid.UUID, name: str, version_id: uuid.UUID
) -> ModelAliasEvent | None:
    """The newest event that moved the alias to this version (None: it never held it)."""
    row: ModelAliasEvent | None = await session.scalar(
        select(ModelAliasEvent)
        .where(
            ModelAliasEvent.artifact_id == artifact_id,
            ModelAliasEvent.alias == name,
            ModelAliasEvent.to_version_id == version_id,
            ModelAliasEvent.action.in_(("set", "rollback")),
        )
        .order_by(ModelAliasEvent.id.desc())
        .limit(1)
    )
    return row


async def versions_of_runs(
    session: AsyncSession, run_ids: Sequence[uuid.UUID]
) -> Sequence[ModelVersion]:
    """The versions promoted from these runs, oldest first."""
    if not run_ids:
        return []
    rows = await session.scalars(
        select(ModelVersion)
        .where(ModelVersion.source_run_id.in_(run_ids))
        .order_by(ModelVersion.created_at, ModelVersion.id)
    )
    return rows.all()


async def artifacts_by_id(
    session: AsyncSession, ids: set[uuid.UUID]
) -> dict[uuid.UUID, ModelArtifact]:
    if not ids:
        return {}
    rows = await session.scalars(select(ModelArtifact).where(ModelArtifact.id.in_(ids)))
    return {row.id: row for row in rows}


async def events_of(
    session: AsyncSession, artifact_ids: Sequence[uuid.UUID], alias: str | None = None
) -> Sequence[ModelAliasEvent]:
    """Every event of the models' aliases (or of one alias), oldest first."""
    if not artifact_ids:
        return []
    query = select(ModelAliasEvent).where(ModelAliasEvent.artifact_id.in_(artifact_ids))
    if alias is not None:
        query = query.where(ModelAliasEvent.alias == alias)
    rows = await session.scalars(query.order_by(ModelAliasEvent.id))
    return rows.all()


async def aliases_of_versions(
    session: AsyncSession, version_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The aliases on each version, by name."""
    out: dict[uuid.UUID, list[str]] = {v: [] for v in version_ids}
    if not version_ids:
        return out
    rows = await session.execute(
        select(ModelAlias.version_id, ModelAlias.alias)
        .where(ModelAlias.version_id.in_(version_ids))
        .order_by(ModelAlias.alias)
    )
    for version_id, name in rows.tuples():
        out[version_id].append(name)
    return out
