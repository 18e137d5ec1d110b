from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.deps import SessionDep, SettingsDep
from tunix_rt_backend.errors import Forbidden, NotFound, Unauthorized, responses
from tunix_rt_backend.generators import service
from tunix_rt_backend.generators.schemas import (
    GenerateRequest,
    GenerateResult,
    GeneratorInfo,
    HighCardDuelRequest,
    NoParams,
    UngarStatus,
)
from tunix_rt_backend.kit.body import NDJSON
from tunix_rt_backend.kit.json_input import CheckedRoute

router = APIRouter(
    route_class=CheckedRoute,
    tags=["generators"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)


@router.get("/api/generators", response_model=list[GeneratorInfo])
async def list_generators() -> list[GeneratorInfo]:
    """The trace generators, each with the JSON schema of its `params`."""
    return service.list_generators()


@router.post(
    "/api/generators/{name}/generate",
    status_code=status.HTTP_201_CREATED,
    response_model=GenerateResult,
    responses=responses(NotFound, validation=True),
)
async def generate(
    session: SessionDep, settings: SettingsDep, name: str, body: GenerateRequest
) -> GenerateResult:
    """Generate `count` traces (deterministic for a seed) and store them, unless
    `persist` is false. `params` are the generator's own (see GET /api/generators)."""
    generator = service.get_generator(name)
    service.check_count(body.count, settings.generator_max_count)
    params = service.parse_params(generator, body.params)
    return await service.generate(
        session,
        generator,
        count=body.count,
        seed=body.seed,
        params=params,
        persist=body.persist,
        max_payload_bytes=settings.trace_max_bytes,
    )


@router.get("/api/ungar/status", response_model=UngarStatus)
async def ungar_status() -> UngarStatus:
    """Whether High Card Duel deals with the `ungar` package or the built-in rules."""
    return service.ungar_status()


@router.post(
    "/api/ungar/high-card-duel/generate",
    status_code=status.HTTP_201_CREATED,
    response_model=GenerateResult,
    responses=responses(validation=True),
)
async def generate_high_card_duel(
    session: SessionDep, settings: SettingsDep, body: HighCardDuelRequest
) -> GenerateResult:
    """Play `count` High Card Duel games and store each as a reasoning trace."""
    service.check_count(body.count, settings.generator_max_count)
    return await service.generate(
        session,
        service.get_generator("high_card_duel"),
        count=body.count,
        seed=body.seed,
        params=NoParams(),
        persist=body.persist,
        max_payload_bytes=settings.trace_max_bytes,
    )


@router.get(
    "/api/ungar/high-card-duel/export.jsonl",
    response_class=Response,
    responses={
        200: {"content": {NDJSON: {}}, "description": "One game per line"},
        **responses(validation=True),
    },
)
async def export_high_card_duel(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> Response:
    """Stored High Card Duel traces, newest first: `prompts`, `trace_steps`,
    `final_answer`, `metadata`."""
    body = await service.high_card_duel_export(session, limit)
    return Response(body, media_type=NDJSON)
