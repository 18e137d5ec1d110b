"""Which model a `/v1` request names, and what a model process must load for it.

Names (as `GET /v1/models` lists them):
- `<model>:<alias>`: the registered version an alias points to now (`hcd:prod`);
- `<model>@<version>`: a registered version by its label (`hcd@v3`, or `hcd@3`);
- `run-<run id>`: a completed training run's final checkpoint;
- a built-in model (`tunix-rt/tiny-gemma3`) or a checkpoint under MODEL_DIR, as it is.

A name resolves to a `Target`, keyed by what it loads (a version's sha256, a run, a
base model): `hcd:prod` and `hcd@v3` share one model process, and an alias that moves
is followed at the next request. A registered version is unpacked once from its blob
under `REGISTRY_DIR/unpacked/<sha256>/`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import ModelAlias, ModelArtifact, ModelVersion, TunixRun
from tunix_rt_backend.errors import BadRequest, NotFound
from tunix_rt_backend.registry import repository as registry
from tunix_rt_backend.registry.storage import blob_path
from tunix_rt_backend.runs.paths import output_path
from tunix_rt_backend.settings import Settings
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_NAME, TEMPLATE_SHA256
from tunix_rt_backend.training.catalog import (
    BUILTIN_MODELS,
    ModelNotAvailable,
    is_builtin,
    local_checkpoint_dir,
    local_checkpoints,
)
from tunix_rt_backend.training.manifest import TrainingSection

RUN_PREFIX = "run-"
UNPACKED = "unpacked"
_ALIAS = re.compile(r"^(?P<model>[^:@]+):(?P<alias>[^:@]+)$")
_VERSION = re.compile(r"^(?P<model>[^:@]+)@(?P<version>[^:@]+)$")


class ModelNotFound(NotFound):
    """No model is served under this name."""

    code = "model_not_found"
    param = "model"


class ModelNotServable(BadRequest):
    """The name is known but cannot be served (the message says why)."""

    code = "model_not_servable"
    param = "model"


class TemplateMismatch(BadRequest):
    """The model was trained on another chat template than the one this server renders:
    its answers would be garbage."""

    code = "template_mismatch"
    param = "model"


@dataclass(frozen=True)
class Target:
    """What a model process loads: `key` names it among the loaded ones."""

    key: str
    model_id: str
    training: TrainingSection | None
    checkpoint_root: Path | None


def is_base_name(name: str) -> bool:
    """A built-in model or a checkpoint's name: resolved without the database."""
    return not name.startswith(RUN_PREFIX) and not _ALIAS.match(name) and not _VERSION.match(name)


async def resolve(session: AsyncSession, settings: Settings, name: str) -> Target:
    if name.startswith(RUN_PREFIX):
        return await _run(session, settings, name)
    if match := _ALIAS.match(name):
        artifact = await _artifact(session, match["model"], name)
        alias = await registry.alias(session, artifact.id, match["alias"])
        if alias is None:
            raise ModelNotFound(f"model {artifact.name!r} has no alias {match['alias']!r}")
        version = await registry.version(session, alias.version_id)
        assert version is not None  # a foreign key
        return await _version(settings, artifact, version)
    if match := _VERSION.match(name):
        artifact = await _artifact(session, match["model"], name)
        label = match["version"]
        version = await registry.version_by_label(session, artifact.id, label)
        if version is None and label.isdigit():
            version = await registry.version_by_label(session, artifact.id, f"v{label}")
        if version is None:
            raise ModelNotFound(f"model {artifact.name!r} has no version {label!r}")
        return await _version(settings, artifact, version)
    return resolve_base(settings, name)


async def _artifact(session: AsyncSession, model: str, name: str) -> ModelArtifact:
    artifact = await registry.artifact_by_name(session, model)
    if artifact is None:
        raise ModelNotFound(f"the model {name!r} does not exist: no registered model {model!r}")
    return artifact


def resolve_base(settings: Settings, name: str) -> Target:
    """A built-in model, or a checkpoint under MODEL_DIR (never a path elsewhere: no
    `~`, `..`, or absolute names), keyed by its directory (`org/name` and `org--name`
    are one model)."""
    try:
        if is_builtin(name):
            return Target(f"base:{name}", name, None, None)
        parts = Path(name).parts
        if name.startswith(("~", ".", "/", "\\")) or ".." in parts or "\\" in name:
            raise ModelNotAvailable("not a model name")
        root = settings.models_root
        found = local_checkpoint_dir(name, root).resolve()
        if not found.is_relative_to(root):
            raise ModelNotAvailable("outside MODEL_DIR")
    except ModelNotAvailable:
        raise ModelNotFound(
            f"the model {name!r} does not exist. Names: <model>:<alias>, <model>@<version>, "
            f"run-<id>, a built-in model ({', '.join(BUILTIN_MODELS)}) or a checkpoint "
            "under MODEL_DIR; GET /v1/models lists them"
        ) from None
    relative = found.relative_to(root).as_posix()
    return Target(f"base:{relative}", relative, None, None)


async def _run(session: AsyncSession, settings: Settings, name: str) -> Target:
    try:
        run_id = uuid.UUID(name.removeprefix(RUN_PREFIX))
    except ValueError:
        raise ModelNotFound(f"the model {name!r} does not exist: not a run id") from None
    run = await session.get(TunixRun, run_id)
    if run is None:
        raise ModelNotFound(f"the model {name!r} does not exist: no such run")
    if run.mode != "local" or run.status != "completed":
        raise ModelNotServable(
            f"run {run_id} cannot be served: only a completed training run has a final "
            f"checkpoint (this one is a {run.mode} run, {run.status})"
        )
    run_dir = output_path(settings, run)
    return _loaded_from(f"run:{run_id}", run_dir, f"run {run_id}")


async def _version(settings: Settings, artifact: ModelArtifact, version: ModelVersion) -> Target:
    what = f"{artifact.name}@{version.version}"
    recorded = (version.provenance_json or {}).get("template_sha256")
    _check_template(recorded, what)
    directory = await asyncio.to_thread(unpack, settings, version)
    return _loaded_from(f"version:{version.sha256}", directory, what)


def _loaded_from(key: str, directory: Path, what: str) -> Target:
    """A run's model as its manifest says it was trained (and its checkpoints beside)."""
    try:
        manifest: Any = yaml.safe_load((directory / "manifest.yaml").read_text())
        training = TrainingSection.model_validate(manifest["training"])
        model_id = str(manifest["model"]["id"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
        raise ModelNotServable(f"{what} has no readable manifest.yaml: {exc}") from None
    _check_template((manifest.get("template") or {}).get("sha256"), what)
    if not (directory / "checkpoints").is_dir():
        raise ModelNotServable(f"{what} has no checkpoints")
    return Target(key, model_id, training, directory / "checkpoints")


def _check_template(recorded: str | None, what: str) -> None:
    if recorded is not None and recorded != TEMPLATE_SHA256:
        raise TemplateMismatch(
            f"{what} was trained with a chat template (sha256 {recorded[:12]}...) other than "
            f"the one this server renders ({TEMPLATE_NAME}, sha256 {TEMPLATE_SHA256[:12]}...): "
            "its answers would not be what it learned. Serve it with the Tunix RT version "
            "that trained it, or retrain it here."
        )


def unpack(settings: Settings, version: ModelVersion) -> Path:
    """The version's files (`manifest.yaml`, `checkpoints/<step>/...`), unpacked from its
    blob once: into a private directory, then renamed into place. Blocking."""
    root = settings.registry_root
    target = root / UNPACKED / version.sha256
    if target.is_dir():
        return target
    try:
        blob = blob_path(root, version.storage_uri)
    except ValueError:
        raise ModelNotServable(
            f"version {version.version}'s blob is outside the registry"
        ) from None
    if not blob.is_file():
        raise ModelNotServable(f"version {version.version}'s blob is missing from the registry")
    part = root / UNPACKED / f".{uuid.uuid4().hex}.part"
    part.mkdir(parents=True)
    try:
        with tarfile.open(blob) as tar:
            tar.extractall(part, filter="data")  # regular files inside `part` only
        os.replace(part, target)
    except tarfile.TarError as exc:
        raise ModelNotServable(f"version {version.version}'s blob cannot be read: {exc}") from None
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(part, ignore_errors=True)
    return target


@dataclass(frozen=True)
class Listed:
    id: str
    created: float
    source: Literal["registry", "run", "builtin", "checkpoint"]


async def listed(session: AsyncSession, settings: Settings, run_limit: int) -> list[Listed]:
    """Every name `resolve` answers, for `GET /v1/models`: registered aliases and
    versions, the latest completed training runs, built-in models, local checkpoints."""
    out: list[Listed] = []
    rows = await session.execute(
        select(ModelArtifact.name, ModelVersion.version, ModelVersion.created_at)
        .join(ModelVersion, ModelVersion.artifact_id == ModelArtifact.id)
        .order_by(ModelArtifact.name, ModelVersion.created_at)
    )
    out += [Listed(f"{n}@{v}", at.timestamp(), "registry") for n, v, at in rows]
    rows = await session.execute(
        select(ModelArtifact.name, ModelAlias.alias, ModelAlias.updated_at)
        .join(ModelAlias, ModelAlias.artifact_id == ModelArtifact.id)
        .order_by(ModelArtifact.name, ModelAlias.alias)
    )
    out += [Listed(f"{n}:{a}", at.timestamp(), "registry") for n, a, at in rows]
    runs = await session.execute(
        select(TunixRun.run_id, TunixRun.completed_at)
        .where(TunixRun.mode == "local", TunixRun.status == "completed")
        .order_by(func.coalesce(TunixRun.completed_at, TunixRun.created_at).desc())
        .limit(run_limit)
    )
    out += [
        Listed(f"{RUN_PREFIX}{run_id}", at.timestamp() if at else 0.0, "run") for run_id, at in runs
    ]
    out += [Listed(name, 0.0, "builtin") for name in BUILTIN_MODELS]
    out += [Listed(c.model_id, 0.0, "checkpoint") for c in local_checkpoints(settings.models_root)]
    return out
