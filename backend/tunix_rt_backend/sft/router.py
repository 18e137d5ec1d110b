from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import StreamingResponse

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.deps import SessionDep, SessionMakerDep, SettingsDep
from tunix_rt_backend.errors import BadRequest, Forbidden, NotFound, Unauthorized, responses
from tunix_rt_backend.kit.body import NDJSON
from tunix_rt_backend.sft import service
from tunix_rt_backend.sft.schemas import SftExportRequest, SftManifestRequest, SftManifestResponse

router = APIRouter(
    prefix="/api/tunix/sft",
    tags=["tunix"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)


@router.post(
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
    service.check_export_request(body, settings.dataset_max_traces)
    if body.trace_ids is not None:
        data = await service.trace_ids_export(session, body.trace_ids, body.limit)
        return Response(data, media_type=NDJSON)
    assert body.dataset_key is not None
    dataset = await datasets_service.get_dataset(session, body.dataset_key)
    lines = datasets_service.export_lines(maker, dataset.id, "tunix_sft", "all", body.limit)
    return StreamingResponse(lines, media_type=NDJSON)


@router.post(
    "/manifest",
    status_code=status.HTTP_201_CREATED,
    response_model=SftManifestResponse,
    responses=responses(NotFound, validation=True),
)
async def sft_manifest(session: SessionDep, body: SftManifestRequest) -> SftManifestResponse:
    """A Tunix SFT run manifest (YAML): model, dataset (with its content hash), the
    chat template's hash and a rendered sample, hyperparameters and output name."""
    manifest_yaml = await service.build_manifest(session, body)
    return SftManifestResponse(
        manifest_yaml=manifest_yaml,
        dataset_key=body.dataset_key,
        model_id=body.model_id,
        format="tunix_sft",
        message="Manifest generated. Save it as YAML, or start a run with POST /api/tunix/run.",
    )
