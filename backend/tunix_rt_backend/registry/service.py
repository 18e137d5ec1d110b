"""Business rules of the model registry's models and versions: registering a model,
promoting a completed run's final checkpoint into an immutable, content-addressed
version (the checkpoint is found from the run's record, never from a client's path),
and reading them back. Raises AppError; never commits (the request's session does).
Aliases are in registry/aliases.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import ModelArtifact, ModelVersion, TunixRun
from tunix_rt_backend.errors import Conflict, NotFound, ValidationFailed
from tunix_rt_backend.evaluation import service as evaluation_service
from tunix_rt_backend.kit.pagination import Page, offset_pagination
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.registry import repository, storage
from tunix_rt_backend.registry.moves import rollback_target
from tunix_rt_backend.registry.schemas import (
    Alias,
    Model,
    ModelCreate,
    PromoteRequest,
    VersionRef,
)
from tunix_rt_backend.registry.schemas import ModelVersion as VersionOut
from tunix_rt_backend.runs.paths import output_path
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.webhooks import service as webhooks

# The run's summary figures a version keeps beside its evaluations.
_TRAINING_FIGURES = ("steps", "initial_loss", "final_loss", "eval_loss", "exact_match")


class ModelNotFound(NotFound):
    pass


class VersionNotFound(NotFound):
    pass


class RunNotFound(NotFound):
    pass


class ModelNameTaken(Conflict):
    pass


class VersionLabelTaken(Conflict):
    pass


class AlreadyPromoted(Conflict):
    """The checkpoint is a version of the model already, under another label."""


class RunNotPromotable(Conflict):
    """The run did not complete, or left no checkpoint to promote."""


# --- models ----------------------------------------------------------------------------


async def create_model(session: AsyncSession, settings: Settings, request: ModelCreate) -> Model:
    now = utcnow()
    row = ModelArtifact(
        id=uuid.uuid4(),
        name=request.name,
        description=request.description,
        task_type=request.task_type,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise ModelNameTaken(f"a model named {request.name!r} exists already") from None
    return (await _models(session, [row], settings))[0]


async def get_model(session: AsyncSession, settings: Settings, model_id: uuid.UUID) -> Model:
    return (await _models(session, [await get_artifact(session, model_id)], settings))[0]


async def get_artifact(session: AsyncSession, model_id: uuid.UUID) -> ModelArtifact:
    row = await repository.artifact(session, model_id)
    if row is None:
        raise ModelNotFound(f"no model {model_id}")
    return row


async def find_model(session: AsyncSession, name_or_id: str) -> ModelArtifact:
    """A model by name, or by id (the CLI takes either)."""
    row = await repository.artifact_by_name(session, name_or_id)
    if row is None:
        try:
            row = await repository.artifact(session, uuid.UUID(name_or_id))
        except ValueError:
            row = None
    if row is None:
        raise ModelNotFound(f"no model named {name_or_id!r}")
    return row


async def find_version(
    session: AsyncSession, artifact: ModelArtifact, label_or_id: str
) -> ModelVersion:
    """A version of the model by label, or by id."""
    row = await repository.version_by_label(session, artifact.id, label_or_id)
    if row is None:
        try:
            row = await repository.version(session, uuid.UUID(label_or_id))
        except ValueError:
            row = None
    if row is None or row.artifact_id != artifact.id:
        raise VersionNotFound(f"{artifact.name} has no version {label_or_id!r}")
    return row


async def list_models(
    session: AsyncSession, settings: Settings, limit: int, offset: int
) -> Page[Model]:
    rows = await repository.artifacts(session, limit, offset)
    return Page[Model](
        data=await _models(session, rows[:limit], settings),
        pagination=offset_pagination(limit, offset, len(rows) > limit),
    )


async def _models(
    session: AsyncSession, rows: Sequence[ModelArtifact], settings: Settings
) -> list[Model]:
    """Models with their newest version, version count and aliases: three queries for
    the page, not three per model."""
    ids = [r.id for r in rows]
    counts = await repository.version_counts(session, ids)
    aliases = await repository.aliases(session, ids)
    events = await repository.events_of(session, ids)
    back_to = {
        (a.artifact_id, a.alias): rollback_target(
            [e for e in events if e.artifact_id == a.artifact_id and e.alias == a.alias]
        )
        for a in aliases
    }
    targets = await repository.versions_by_id(
        session, [a.version_id for a in aliases] + [v for v in back_to.values() if v is not None]
    )
    protected = settings.protected_alias_names
    out = []
    for row in rows:
        count, latest = counts.get(row.id, (0, None))
        out.append(
            Model(
                id=row.id,
                name=row.name,
                description=row.description,
                task_type=row.task_type,
                latest_version=_ref(latest) if latest is not None else None,
                version_count=count,
                protected_aliases=sorted(protected),
                aliases=[
                    Alias(
                        alias=a.alias,
                        version=_ref(targets[a.version_id]),
                        protected=a.alias in protected,
                        updated_at=a.updated_at,
                        rollback_to=_ref_of(targets, back_to[(a.artifact_id, a.alias)]),
                    )
                    for a in aliases
                    if a.artifact_id == row.id
                ],
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
        )
    return out


def _ref(row: ModelVersion) -> VersionRef:
    return VersionRef(id=row.id, version=row.version)


def _ref_of(rows: dict[uuid.UUID, ModelVersion], version_id: uuid.UUID | None) -> VersionRef | None:
    row = rows.get(version_id) if version_id is not None else None
    return _ref(row) if row is not None else None


# --- versions --------------------------------------------------------------------------


async def promote(
    session: AsyncSession, settings: Settings, model_id: uuid.UUID, request: PromoteRequest
) -> tuple[VersionOut, bool]:
    """A version of the model from the run's final checkpoint; returns it and whether it
    is new (the same checkpoint promoted again returns its existing version)."""
    name = (await get_artifact(session, model_id)).name
    run = await session.get(TunixRun, request.source_run_id)
    if run is None:
        raise RunNotFound(f"no run {request.source_run_id}")
    step = _final_step(run)
    try:
        run_dir = output_path(settings, run)
    except ValidationFailed:  # a record from before output_dir was checked
        raise RunNotPromotable(
            f"run {run.run_id}'s directory is outside the artifact root"
        ) from None
    label = request.version_label
    if label is not None and await repository.version_by_label(session, model_id, label):
        raise VersionLabelTaken(f"{name} has a version {label!r} already")
    # Copied before the model is locked: a checkpoint of gigabytes takes seconds, and
    # the lock holds every alias move of the model (a rollback too) meanwhile. The blob
    # is named by its content, so a promotion that loses a race below wrote nothing new.
    blob, manifest = await asyncio.to_thread(_store, settings.registry_root, run_dir, step)
    artifact = await repository.artifact_for_update(session, model_id)
    if artifact is None:  # deleted meanwhile
        raise ModelNotFound(f"no model {model_id}")
    existing = await repository.version_by_sha256(session, artifact.id, blob.sha256)
    if existing is not None:
        if label is not None and label != existing.version:
            raise AlreadyPromoted(
                f"this checkpoint is {name} {existing.version} already (a version is its "
                f"content): use that label, or promote without one"
            )
        return await version_out(session, existing), False
    if label is not None and await repository.version_by_label(session, artifact.id, label):
        raise VersionLabelTaken(f"{name} has a version {label!r} already")
    row = ModelVersion(
        id=uuid.uuid4(),
        artifact_id=artifact.id,
        version=label or await _next_label(session, artifact.id),
        description=request.description,
        source_run_id=run.run_id,
        status="ready",
        metrics_json=await _metrics(session, run),
        config_json=run.config or {},
        provenance_json=_provenance(run, manifest, step),
        storage_uri=blob.storage_uri,
        sha256=blob.sha256,
        size_bytes=blob.size_bytes,
        created_at=utcnow(),
    )
    session.add(row)
    artifact.updated_at = row.created_at
    await session.flush()
    created = await version_out(session, row)
    await webhooks.enqueue(
        session,
        settings,
        "model_version.created",
        {
            "model": {"id": str(artifact.id), "name": artifact.name},
            "version": created.model_dump(mode="json"),
        },
    )
    return created, True


def _final_step(run: TunixRun) -> int:
    if run.status != "completed":
        raise RunNotPromotable(
            f"run {run.run_id} is {run.status}: only a completed run can be promoted"
        )
    step = (run.summary or {}).get("latest_checkpoint")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise RunNotPromotable(
            f"run {run.run_id} saved no checkpoint (a dry run, or one stopped before its "
            "first): nothing to promote"
        )
    return step


def _store(root: Path, run_dir: Path, step: int) -> tuple[storage.StoredBlob, dict[str, Any]]:
    try:
        entries = storage.checkpoint_entries(run_dir, step)
        manifest = yaml.safe_load((run_dir / "manifest.yaml").read_text())
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise RunNotPromotable(
            f"the run's checkpoint at step {step} cannot be read from its directory: {exc}"
        ) from None
    return storage.store(root, entries), manifest if isinstance(manifest, dict) else {}


async def _next_label(session: AsyncSession, artifact_id: uuid.UUID) -> str:
    taken = await repository.labels(session, artifact_id)
    number = len(taken) + 1
    while f"v{number}" in taken:
        number += 1
    return f"v{number}"


async def _metrics(session: AsyncSession, run: TunixRun) -> dict[str, Any]:
    summary = run.summary or {}
    return {
        "training": {key: summary.get(key) for key in _TRAINING_FIGURES},
        "evaluations": await evaluation_service.completed_records(session, run.run_id),
    }


def _provenance(run: TunixRun, manifest: dict[str, Any], step: int) -> dict[str, Any]:
    """Where the weights came from, as the run's manifest and summary recorded it."""
    summary = run.summary or {}
    training = manifest.get("training") or {}
    dataset = manifest.get("dataset") or {}
    template = manifest.get("template") or {}
    return {
        "run_id": str(run.run_id),
        "dataset_key": dataset.get("key", run.dataset_key),
        "dataset_sha256": dataset.get("content_sha256"),
        "template": template.get("name"),
        "template_sha256": template.get("sha256"),
        "base_model": (manifest.get("model") or {}).get("id", run.model_id),
        "method": training.get("method", "full"),
        "seed": training.get("seed"),
        "checkpoint_step": step,
        "params_sha256": summary.get("params_sha256"),
        "versions": summary.get("versions"),
    }


async def get_version(session: AsyncSession, version_id: uuid.UUID) -> VersionOut:
    return await version_out(session, await get_version_row(session, version_id))


async def get_version_row(session: AsyncSession, version_id: uuid.UUID) -> ModelVersion:
    row = await repository.version(session, version_id)
    if row is None:
        raise VersionNotFound(f"no model version {version_id}")
    return row


async def versions_of_run(session: AsyncSession, run_id: uuid.UUID) -> list[VersionOut]:
    """Every version promoted from the run, in any model, oldest first."""
    return await versions_out(session, await repository.versions_of_runs(session, [run_id]))


async def list_versions(
    session: AsyncSession, model_id: uuid.UUID, limit: int, offset: int
) -> Page[VersionOut]:
    await get_artifact(session, model_id)
    rows = await repository.versions(session, model_id, limit, offset)
    return Page[VersionOut](
        data=await versions_out(session, rows[:limit]),
        pagination=offset_pagination(limit, offset, len(rows) > limit),
    )


async def version_out(session: AsyncSession, row: ModelVersion) -> VersionOut:
    return (await versions_out(session, [row]))[0]


async def versions_out(session: AsyncSession, rows: Sequence[ModelVersion]) -> list[VersionOut]:
    """The versions with their models' names and their aliases: two queries for all."""
    artifacts = await repository.artifacts_by_id(session, {r.artifact_id for r in rows})
    aliases = await repository.aliases_of_versions(session, [r.id for r in rows])
    return [
        VersionOut(
            id=row.id,
            model_id=row.artifact_id,
            model_name=artifacts[row.artifact_id].name,
            version=row.version,
            description=row.description,
            source_run_id=row.source_run_id,
            status="ready",
            metrics=row.metrics_json,
            config=row.config_json,
            provenance=row.provenance_json,
            sha256=row.sha256,
            size_bytes=row.size_bytes,
            aliases=aliases[row.id],
            created_at=row.created_at,
        )
        for row in rows
    ]


async def blob_of(
    session: AsyncSession, settings: Settings, version_id: uuid.UUID
) -> tuple[Path, str, ModelVersion]:
    """The version's stored archive, and the file name to download it as."""
    row = await get_version_row(session, version_id)
    artifact = await get_artifact(session, row.artifact_id)
    path = storage.blob_path(settings.registry_root, row.storage_uri)
    if not path.is_file():
        raise VersionNotFound(
            f"the stored archive of {artifact.name} {row.version} is missing from "
            f"{settings.registry_root} (was the registry directory moved?)"
        )
    return path, f"{artifact.name}-{row.version}.tar", row
