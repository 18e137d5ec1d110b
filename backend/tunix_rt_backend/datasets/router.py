from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import StreamingResponse

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.datasets import service
from tunix_rt_backend.datasets.formats import ExportFormat, SplitFilter
from tunix_rt_backend.datasets.schemas import (
    DatasetBuildRequest,
    DatasetManifest,
    DatasetMember,
    DatasetPreview,
    DatasetSelection,
    DatasetSummary,
    SftExportRequest,
    SftManifestRequest,
    SftManifestResponse,
)
from tunix_rt_backend.deps import (
    OffsetQuery,
    PageParamsDep,
    SessionDep,
    SessionMakerDep,
    SettingsDep,
)
from tunix_rt_backend.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    responses,
)
from tunix_rt_backend.kit.body import NDJSON
from tunix_rt_backend.kit.json_input import CheckedRoute
from tunix_rt_backend.kit.pagination import MAX_LIMIT, Page

router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/datasets",
    tags=["datasets"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)
# The seed's SFT endpoints keep their paths and tag (the generated client calls them):
# a second router of this domain, since `tunix_sft` is one of its export formats and
# a run manifest describes one of its datasets.
sft_router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/tunix/sft",
    tags=["tunix"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)


@router.post(
    "/build",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetManifest,
    responses=responses(Conflict, validation=True),
)
async def build_dataset(
    session: SessionDep, settings: SettingsDep, body: DatasetBuildRequest
) -> DatasetManifest:
    """Select traces (filters, then `latest` or a seeded `random` sample, up to `limit`),
    split them into train/eval with the seed, and store them as `<name>-v<N>`, the next
    version of that name. A dataset never changes once built."""
    return await service.build(session, body, settings.dataset_max_traces)


@router.post("/preview", response_model=DatasetPreview, responses=responses(validation=True))
async def preview_dataset(
    session: SessionDep, settings: SettingsDep, body: DatasetSelection
) -> DatasetPreview:
    """How many traces match a selection, and how many a build would take."""
    return await service.preview(session, body, settings.dataset_max_traces)


@router.get("", response_model=Page[DatasetSummary], responses=responses(validation=True))
async def list_datasets(
    session: SessionDep,
    page: PageParamsDep,
    name: Annotated[str | None, Query(max_length=200, description="Only this name")] = None,
) -> Page[DatasetSummary]:
    """Datasets newest first; `limit`/`offset` or `cursor` as for traces."""
    return await service.list_datasets(session, page, name)


@router.get(
    "/{dataset_key}",
    response_model=DatasetManifest,
    responses=responses(NotFound, validation=True),
)
async def get_dataset(session: SessionDep, dataset_key: str) -> DatasetManifest:
    """The manifest: build parameters, content hash, stats, split sizes and the
    tunix_sft template with a rendered sample."""
    return await service.get_manifest(session, dataset_key)


@router.delete(
    "/{dataset_key}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(NotFound, Conflict, validation=True),
)
async def delete_dataset(session: SessionDep, dataset_key: str) -> Response:
    """Delete a dataset (its traces stay). 409 while a run uses it."""
    await service.delete_dataset(session, dataset_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{dataset_key}/traces",
    response_model=Page[DatasetMember],
    responses=responses(NotFound, validation=True),
)
async def list_dataset_traces(
    session: SessionDep,
    dataset_key: str,
    split: SplitFilter = "all",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: OffsetQuery = 0,
) -> Page[DatasetMember]:
    """The dataset's member traces in dataset order (`split`: all, train or eval), each
    with its position, split, and the first 200 characters of its prompt and answer."""
    return await service.list_members(session, dataset_key, split, limit, offset)


@router.get(
    "/{dataset_key}/export.jsonl",
    response_class=StreamingResponse,
    responses={
        200: {"content": {NDJSON: {}}, "description": "One JSON object per line"},
        **responses(NotFound, validation=True),
    },
)
async def export_dataset(
    session: SessionDep,
    maker: SessionMakerDep,
    dataset_key: str,
    format: ExportFormat = "trace",
    split: SplitFilter = "all",
) -> StreamingResponse:
    """Stream the dataset as NDJSON in dataset order: `trace` (its sha256 is the
    manifest's `content_sha256` when `split=all`), `tunix_sft` or `training_example`."""
    dataset = await service.get_dataset(session, dataset_key)
    filename = f"{dataset_key}.{format}.{split}.jsonl"
    return StreamingResponse(
        service.export_lines(maker, dataset.id, format, split),
        media_type=NDJSON,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@sft_router.post(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {NDJSON: {}}, "description": "tunix_sft lines"},
        **responses(BadRequest, NotFound, validation=True),
    },
)
async def export_sft(
    session: SessionDep, maker: SessionMakerDep, settings: SettingsDep, body: SftExportRequest
) -> Response:
    """Traces in the `tunix_sft` format (Gemma chat template with reasoning steps):
    the first `limit` members of a dataset, or the listed `trace_ids` in their order."""
    service.check_sft_export(body, settings.dataset_max_traces)
    if body.trace_ids is not None:
        data = await service.sft_export_of_traces(session, body.trace_ids, body.limit)
        return Response(data, media_type=NDJSON)
    assert body.dataset_key is not None
    dataset = await service.get_dataset(session, body.dataset_key)
    lines = service.export_lines(maker, dataset.id, "tunix_sft", "all", body.limit)
    return StreamingResponse(lines, media_type=NDJSON)


@sft_router.post(
    "/manifest",
    status_code=status.HTTP_201_CREATED,
    response_model=SftManifestResponse,
    responses=responses(NotFound, validation=True),
)
async def sft_manifest(session: SessionDep, body: SftManifestRequest) -> SftManifestResponse:
    """A Tunix SFT run manifest (YAML): model, dataset (with its content hash), the
    chat template's hash and a rendered sample, hyperparameters and output name."""
    manifest_yaml = await service.run_manifest(session, body)
    return SftManifestResponse(
        manifest_yaml=manifest_yaml,
        dataset_key=body.dataset_key,
        model_id=body.model_id,
        format="tunix_sft",
        message="Manifest generated. Save it as YAML, or start a run with POST /api/tunix/run.",
    )
