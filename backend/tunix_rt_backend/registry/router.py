from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from tunix_rt_backend.auth.deps import TokenIdDep, require_access
from tunix_rt_backend.deps import OffsetQuery, SessionDep, SettingsDep
from tunix_rt_backend.errors import Conflict, Forbidden, NotFound, Unauthorized, responses
from tunix_rt_backend.kit.json_input import CheckedRoute
from tunix_rt_backend.kit.pagination import MAX_LIMIT, Page
from tunix_rt_backend.registry import aliases, lineage, service
from tunix_rt_backend.registry.aliases import Caller
from tunix_rt_backend.registry.schemas import (
    ALIAS_PATTERN,
    AliasEvent,
    AliasMove,
    AliasRequest,
    DatasetLineage,
    GateRefusedBody,
    Model,
    ModelCreate,
    ModelVersion,
    PromoteRequest,
    RollbackRequest,
    VersionLineage,
)
from tunix_rt_backend.runs.artifacts import file_chunks
from tunix_rt_backend.runs.router import attachment

router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/models",
    tags=["models"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
AliasInPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=ALIAS_PATTERN, examples=["prod"])
]
_GATE_REFUSED: dict[int | str, Any] = {
    409: {"model": GateRefusedBody, "description": "Conflict (GateRefused: with the check)"}
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Model,
    responses=responses(Conflict, validation=True),
)
async def create_model(session: SessionDep, settings: SettingsDep, body: ModelCreate) -> Model:
    """Register a model: a name that versions are promoted into. 409 for a name taken."""
    return await service.create_model(session, settings, body)


@router.get("", response_model=Page[Model], responses=responses(validation=True))
async def list_models(
    session: SessionDep, settings: SettingsDep, limit: Limit = 50, offset: OffsetQuery = 0
) -> Page[Model]:
    """Models by name, each with its newest version and its aliases."""
    return await service.list_models(session, settings, limit, offset)


# Before /{model_id}: "versions" is not a model id.
@router.get("/versions", response_model=list[ModelVersion], responses=responses(validation=True))
async def versions_of_run(
    session: SessionDep,
    source_run_id: Annotated[uuid.UUID, Query(description="The run promoted")],
) -> list[ModelVersion]:
    """The versions promoted from a run, in any model, oldest first ([] for none)."""
    return await service.versions_of_run(session, source_run_id)


@router.get(
    "/versions/{version_id}",
    response_model=ModelVersion,
    responses=responses(NotFound, validation=True),
)
async def get_version(session: SessionDep, version_id: uuid.UUID) -> ModelVersion:
    """A version: its metrics, config and provenance as at promotion, sha256, size."""
    return await service.get_version(session, version_id)


@router.get(
    "/versions/{version_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-tar": {}}},
        **responses(NotFound, validation=True),
    },
)
async def download_version(
    session: SessionDep, settings: SettingsDep, version_id: uuid.UUID
) -> StreamingResponse:
    """The version's archive, as stored (its sha256 is the version's `sha256`, also
    sent as `X-Content-SHA256`): `manifest.yaml` and `checkpoints/<step>/...`, the
    layout `python -m tunix_rt_backend.training.restore` loads."""
    path, filename, row = await service.blob_of(session, settings, version_id)
    return StreamingResponse(
        file_chunks(path),
        media_type="application/x-tar",
        headers={
            "Content-Disposition": attachment(filename),
            "Content-Length": str(row.size_bytes),
            "X-Content-SHA256": row.sha256,
            "ETag": f'"{row.sha256}"',
        },
    )


@router.get(
    "/versions/{version_id}/lineage",
    response_model=VersionLineage,
    responses=responses(NotFound, validation=True),
)
async def version_lineage(session: SessionDep, version_id: uuid.UUID) -> VersionLineage:
    """Where the version came from: its dataset's traces (count, a sample), the dataset
    version (key, the sha256 trained on and now), the run and its config, its
    evaluations and regression checks, the version and the aliases on it."""
    return await lineage.of_version(session, version_id)


@router.get("/{model_id}", response_model=Model, responses=responses(NotFound, validation=True))
async def get_model(session: SessionDep, settings: SettingsDep, model_id: uuid.UUID) -> Model:
    """The model, its newest version and its aliases."""
    return await service.get_model(session, settings, model_id)


@router.post(
    "/{model_id}/versions/promote",
    status_code=status.HTTP_201_CREATED,
    response_model=ModelVersion,
    responses={200: {"model": ModelVersion}, **responses(NotFound, Conflict, validation=True)},
)
async def promote(
    session: SessionDep, settings: SettingsDep, model_id: uuid.UUID, body: PromoteRequest
) -> Any:
    """A new version from a completed run's final checkpoint, copied into the registry
    (201). The same checkpoint promoted again is the same content: its existing version
    is answered (200). 409 for a run that did not complete or saved no checkpoint, or a
    label taken."""
    version, created = await service.promote(session, settings, model_id, body)
    if created:
        return version
    return JSONResponse(version.model_dump(mode="json"), status_code=status.HTTP_200_OK)


@router.get(
    "/{model_id}/versions",
    response_model=Page[ModelVersion],
    responses=responses(NotFound, validation=True),
)
async def list_versions(
    session: SessionDep, model_id: uuid.UUID, limit: Limit = 50, offset: OffsetQuery = 0
) -> Page[ModelVersion]:
    """The model's versions, newest first."""
    return await service.list_versions(session, model_id, limit, offset)


@router.put(
    "/{model_id}/aliases/{alias}",
    response_model=AliasMove,
    responses={**responses(NotFound, Forbidden, Conflict, validation=True), **_GATE_REFUSED},
)
async def set_alias(
    session: SessionDep,
    settings: SettingsDep,
    token_id: TokenIdDep,
    model_id: uuid.UUID,
    alias: AliasInPath,
    body: AliasRequest,
) -> AliasMove:
    """Point the alias at a version of the model. A protected alias (PROTECTED_ALIASES,
    default `prod`) needs a token, and moves to a version it never held only when the
    version's run passes a regression check against `baseline_name`: otherwise 409 with
    the check (`GateRefused`), the refusal kept in the alias's history. Back to a
    version it held before: a rollback, no new check."""
    move = await aliases.set_alias(session, settings, model_id, alias, body, Caller(token_id))
    refused = aliases.refusal(move)
    if refused is not None:
        # The refusal is part of the history: kept, though the answer is an error.
        await session.commit()
        raise refused
    return move


@router.post(
    "/{model_id}/aliases/{alias}/rollback",
    response_model=AliasMove,
    responses=responses(NotFound, Forbidden, Conflict, validation=True),
)
async def rollback_alias(
    session: SessionDep,
    settings: SettingsDep,
    token_id: TokenIdDep,
    model_id: uuid.UUID,
    alias: AliasInPath,
    body: RollbackRequest | None = None,
) -> AliasMove:
    """Back to the version the alias pointed at before its last move (no new check).
    409 when it pointed nowhere else before."""
    reason = body.reason if body is not None else None
    return await aliases.rollback(session, settings, model_id, alias, reason, Caller(token_id))


@router.delete(
    "/{model_id}/aliases/{alias}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(NotFound, Forbidden, validation=True),
)
async def delete_alias(
    session: SessionDep,
    settings: SettingsDep,
    token_id: TokenIdDep,
    model_id: uuid.UUID,
    alias: AliasInPath,
) -> Response:
    """Remove the alias (its history stays)."""
    await aliases.delete_alias(session, settings, model_id, alias, Caller(token_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{model_id}/aliases/{alias}/history",
    response_model=Page[AliasEvent],
    responses=responses(NotFound, validation=True),
)
async def alias_history(
    session: SessionDep,
    model_id: uuid.UUID,
    alias: AliasInPath,
    limit: Limit = 50,
    offset: OffsetQuery = 0,
) -> Page[AliasEvent]:
    """Every move of the alias, newest first: from and to which version, who, when,
    the check that decided it, why; refused moves too."""
    return await aliases.history(session, model_id, alias, limit, offset)


dataset_router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/datasets",
    tags=["datasets"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)


@dataset_router.get(
    "/{dataset_key}/lineage",
    response_model=DatasetLineage,
    responses=responses(NotFound, validation=True),
)
async def dataset_lineage(
    session: SessionDep, dataset_key: Annotated[str, Path(min_length=1, max_length=256)]
) -> DatasetLineage:
    """What was built on the dataset: its training runs (the newest 100) and the model
    versions promoted from them, with their aliases."""
    return await lineage.of_dataset(session, dataset_key)
