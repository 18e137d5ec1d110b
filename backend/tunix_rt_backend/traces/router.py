from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from tunix_rt_backend.auth.deps import require_access
from tunix_rt_backend.db.models.trace import SOURCE_MAX_CHARS
from tunix_rt_backend.deps import PageParamsDep, SessionDep, SettingsDep
from tunix_rt_backend.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    responses,
)
from tunix_rt_backend.idempotency import service as idempotency
from tunix_rt_backend.kit.body import json_body_openapi, parse_json_body, read_body_limited
from tunix_rt_backend.kit.json_input import CheckedRoute
from tunix_rt_backend.kit.pagination import Page
from tunix_rt_backend.traces import service
from tunix_rt_backend.traces.schemas import (
    TRACE_ADAPTER,
    TRACE_BATCH_ADAPTER,
    ReasoningTrace,
    ScoreRequest,
    ScoreResult,
    TraceBatchCreated,
    TraceComparison,
    TraceCreated,
    TraceDetail,
    TraceFilters,
    TraceSources,
    TraceSummary,
)

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID): a retry with it gets the first answer",
    ),
]

router = APIRouter(
    route_class=CheckedRoute,
    prefix="/api/traces",
    tags=["traces"],
    dependencies=[Depends(require_access)],
    responses=responses(Unauthorized, Forbidden),
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TraceCreated,
    responses=responses(PayloadTooLarge, Conflict, validation=True),
    openapi_extra=json_body_openapi(ReasoningTrace),
)
async def create_trace(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Store one reasoning trace. The body is limited to TRACE_MAX_BYTES, checked
    before it is parsed. With an `Idempotency-Key`, a retry gets the first answer."""
    raw = await read_body_limited(request, settings.trace_max_bytes)

    async def create() -> idempotency.Answer:
        trace = parse_json_body(raw, TRACE_ADAPTER)
        (row,) = await service.create_traces(
            session, [trace], max_payload_bytes=settings.trace_max_bytes, batch=False
        )
        body = TraceCreated.model_validate(row).model_dump_json().encode()
        return idempotency.Answer(status.HTTP_201_CREATED, body)

    answer, replayed = await idempotency.once(session, "traces", idempotency_key, raw, create)
    return _json(answer, replayed)


@router.post(
    "/batch",
    status_code=status.HTTP_201_CREATED,
    response_model=TraceBatchCreated,
    responses=responses(PayloadTooLarge, Conflict, validation=True),
    openapi_extra=json_body_openapi(ReasoningTrace, array=True),
)
async def create_trace_batch(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Store a JSON array of traces, all or nothing, in one INSERT. At most
    TRACE_BATCH_MAX_ITEMS traces and TRACE_BATCH_MAX_BYTES bytes. With an
    `Idempotency-Key`, a retry (the response was lost) gets the first answer and
    inserts nothing again."""
    raw = await read_body_limited(request, settings.trace_batch_max_bytes)

    async def create() -> idempotency.Answer:
        traces = parse_json_body(raw, TRACE_BATCH_ADAPTER)
        service.check_batch_size(traces, settings.trace_batch_max_items)
        rows = await service.create_traces(
            session, traces, max_payload_bytes=settings.trace_max_bytes, batch=True
        )
        # Serialised directly (the shape of TraceBatchCreated): re-validating a
        # thousand freshly made rows against the response model would only cost time.
        created = [
            {"id": r["id"], "created_at": r["created_at"], "trace_version": r["trace_version"]}
            for r in rows
        ]
        body = orjson.dumps({"created": len(created), "traces": created}, option=orjson.OPT_UTC_Z)
        return idempotency.Answer(status.HTTP_201_CREATED, body)

    answer, replayed = await idempotency.once(session, "traces.batch", idempotency_key, raw, create)
    return _json(answer, replayed)


def _json(answer: idempotency.Answer, replayed: bool) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(
        answer.body, status_code=answer.status_code, media_type="application/json", headers=headers
    )


CreatedQuery = Annotated[
    datetime | None,
    Query(description="ISO 8601 date-time; one without a time zone is taken as UTC."),
]


async def trace_filters(
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=service.QUERY_MAX_CHARS,
            description="Only traces whose prompt contains this text, ignoring case.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=SOURCE_MAX_CHARS,
            description="Only traces whose source (`meta.source`) is exactly this.",
        ),
    ] = None,
    scored: Annotated[
        bool | None, Query(description="true: only scored traces; false: only unscored ones.")
    ] = None,
    created_from: Annotated[CreatedQuery, Query(description="Created at or after.")] = None,
    created_to: Annotated[CreatedQuery, Query(description="Created before (exclusive).")] = None,
) -> TraceFilters:
    return service.filters_of(q, source, scored, created_from, created_to)


TraceFiltersDep = Annotated[TraceFilters, Depends(trace_filters)]


@router.get("", response_model=Page[TraceSummary], responses=responses(validation=True))
async def list_traces(
    session: SessionDep, page: PageParamsDep, filters: TraceFiltersDep
) -> Page[TraceSummary]:
    """Traces newest first, without payloads: the prompt's and the final answer's first
    160 characters, the source and the latest score. Narrowed by any of `q`, `source`,
    `scored`, `created_from` and `created_to` together. Page with `limit`/`offset`, or
    with `cursor` (each page's `next_cursor`, under the same filters), which costs the
    same at any depth."""
    return await service.list_traces(session, page, filters)


@router.get("/sources", response_model=TraceSources)
async def list_trace_sources(session: SessionDep) -> TraceSources:
    """The distinct `source` values of stored traces (the list's `source` filter), in
    order, at most 200."""
    return await service.list_sources(session)


@router.get(
    "/compare", response_model=TraceComparison, responses=responses(NotFound, validation=True)
)
async def compare_traces(
    session: SessionDep, base: Annotated[uuid.UUID, Query()], other: Annotated[uuid.UUID, Query()]
) -> TraceComparison:
    """Two traces side by side, each with its baseline score computed now."""
    base_trace, other_trace = await service.compare_traces(session, base, other)
    return TraceComparison(base=base_trace, other=other_trace)


@router.get(
    "/{trace_id}", response_model=TraceDetail, responses=responses(NotFound, validation=True)
)
async def get_trace(session: SessionDep, trace_id: uuid.UUID) -> TraceDetail:
    return await service.get_trace(session, trace_id)


@router.post(
    "/{trace_id}/score",
    status_code=status.HTTP_201_CREATED,
    response_model=ScoreResult,
    responses=responses(NotFound, validation=True),
)
async def score_trace(session: SessionDep, trace_id: uuid.UUID, body: ScoreRequest) -> ScoreResult:
    """Score a trace with the given criteria and store the score."""
    return await service.score_trace(session, trace_id, body.criteria)
