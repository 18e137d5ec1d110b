"""Business rules of traces and their scores. Raises AppError; never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models.trace import PREVIEW_CHARS, SOURCE_MAX_CHARS
from tunix_rt_backend.errors import NotFound, ValidationFailed, field_error
from tunix_rt_backend.kit.json_values import free_json_errors
from tunix_rt_backend.kit.pagination import Page, PageParams, keyset_page
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.traces import repository
from tunix_rt_backend.traces.schemas import (
    ComparedTrace,
    ReasoningTrace,
    ScoreDetails,
    ScoreResult,
    TraceDetail,
    TraceFilters,
    TraceSources,
    TraceSummary,
    duplicate_step_indices,
)
from tunix_rt_backend.traces.scoring import baseline_score

# The search text's bound: a pattern is matched against every prompt it may scan.
QUERY_MAX_CHARS = 200
# Sources a list of them holds at most: the UI's filter is a select, not a search.
SOURCES_MAX = 200


class TraceNotFound(NotFound):
    pass


async def create_traces(
    session: AsyncSession,
    traces: list[ReasoningTrace],
    *,
    max_payload_bytes: int,
    batch: bool,
) -> list[dict[str, Any]]:
    """Insert all traces or none; returns the inserted rows. Traces of one call get
    consecutive microsecond timestamps, so the newest-first list keeps their order."""
    _check_step_indices(traces, batch)
    payloads: list[dict[str, Any]] = [dict(trace) for trace in traces]
    _check_payloads(payloads, max_payload_bytes, batch)
    now = utcnow()
    rows = [trace_row(p, now + timedelta(microseconds=n)) for n, p in enumerate(payloads)]
    await repository.insert_traces(session, rows)
    return rows


def trace_row(payload: dict[str, Any], created_at: datetime) -> dict[str, Any]:
    """The `traces` row of a valid trace: a new id, the payload as given, and the
    columns the list shows and filters on, copied out of it."""
    meta = payload.get("meta")
    source = meta.get("source") if isinstance(meta, dict) else None
    return {
        "id": uuid.uuid4(),
        "created_at": created_at,
        "trace_version": payload["trace_version"],
        "payload": payload,
        "prompt": payload["prompt"],
        "prompt_preview": payload["prompt"][:PREVIEW_CHARS],
        "final_answer_preview": payload["final_answer"][:PREVIEW_CHARS],
        "source": source[:SOURCE_MAX_CHARS] if isinstance(source, str) else None,
        "score": None,
    }


def _body_loc(n: int, batch: bool, *rest: str) -> tuple[str | int, ...]:
    return ("body", n, *rest) if batch else ("body", *rest)


def _check_step_indices(traces: list[ReasoningTrace], batch: bool) -> None:
    errors = [
        field_error(
            _body_loc(n, batch, "steps"),
            f"step indices must be unique; duplicated: {duplicates}",
            "value_error",
        )
        for n, trace in enumerate(traces)
        if (duplicates := duplicate_step_indices(trace))
    ]
    if errors:
        raise ValidationFailed(errors)


def _check_payloads(payloads: list[dict[str, Any]], max_bytes: int, batch: bool) -> None:
    """Each trace within TRACE_MAX_BYTES (a batch is bounded as a whole before parsing;
    each trace in it is held to the same limit as POST /api/traces), and its free-form
    `meta` storable alike on both databases: no NaN or infinity (encoded as null), no
    integer beyond 64 bits (the encoder refuses it), no NUL (refused before parsing).
    The encoding the size needs finds both; only a suspect trace's meta is walked."""
    errors: list[dict[str, Any]] = []
    for n, payload in enumerate(payloads):
        try:
            encoded = orjson.dumps(payload)
        except TypeError:  # an integer beyond 64 bits: the schema bounds all but meta
            errors += free_json_errors(payload.get("meta"), _body_loc(n, batch, "meta"))
            continue
        if len(encoded) > max_bytes:
            msg = f"trace exceeds TRACE_MAX_BYTES ({max_bytes} bytes)"
            errors.append(field_error(_body_loc(n, batch), msg, "too_large"))
        if b"null" in encoded and payload.get("meta"):
            errors += free_json_errors(payload["meta"], _body_loc(n, batch, "meta"))
    if errors:
        raise ValidationFailed(errors)


def check_batch_size(traces: list[ReasoningTrace], max_items: int) -> None:
    if len(traces) > max_items:
        msg = (
            f"batch holds {len(traces)} traces; at most {max_items} allowed (TRACE_BATCH_MAX_ITEMS)"
        )
        raise ValidationFailed([field_error(("body",), msg, "too_long")])


async def get_trace(session: AsyncSession, trace_id: uuid.UUID) -> TraceDetail:
    row = await repository.get_trace(session, trace_id)
    if row is None:
        raise TraceNotFound(f"Trace {trace_id} not found.")
    id_, created_at, trace_version, payload = row
    return TraceDetail(id=id_, created_at=created_at, trace_version=trace_version, payload=payload)


def filters_of(
    q: str | None,
    source: str | None,
    scored: bool | None,
    created_from: datetime | None,
    created_to: datetime | None,
) -> TraceFilters:
    """The list's filters, dates in UTC (one without a zone is taken as UTC); a range
    that ends before it starts is a 422 naming `created_to`."""
    start = _utc(created_from, "created_from")
    end = _utc(created_to, "created_to")
    if start is not None and end is not None and end < start:
        raise ValidationFailed.field(
            ("query", "created_to"), "must not be before created_from", "value_error"
        )
    return TraceFilters(q, source, scored, start, end)


def _utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        msg = "out of range once converted to UTC"
        raise ValidationFailed.field(("query", name), msg, "value_error") from None


async def list_traces(
    session: AsyncSession, params: PageParams, filters: TraceFilters
) -> Page[TraceSummary]:
    rows = await repository.list_trace_summaries(
        session, filters=filters, limit=params.limit + 1, offset=params.offset, before=params.cursor
    )
    data, pagination = keyset_page(rows, params, _summary)
    return Page[TraceSummary](data=data, pagination=pagination)


def _summary(row: Any) -> TraceSummary:
    # Unpacked as a tuple, in the order of the repository's columns: a Row's attribute
    # lookups cost as much as building the model.
    id_, created_at, trace_version, prompt_preview, answer_preview, source, score = row
    return TraceSummary(
        id=id_,
        created_at=created_at,
        trace_version=trace_version,
        prompt_preview=prompt_preview,
        final_answer_preview=answer_preview,
        source=source,
        score=score,
    )


async def list_sources(session: AsyncSession) -> TraceSources:
    sources = await repository.distinct_sources(session, SOURCES_MAX + 1)
    return TraceSources(sources=sources[:SOURCES_MAX], truncated=len(sources) > SOURCES_MAX)


async def score_trace(session: AsyncSession, trace_id: uuid.UUID, criteria: str) -> ScoreResult:
    trace = await get_trace(session, trace_id)
    score, breakdown = baseline_score(trace.payload)
    details = ScoreDetails(**breakdown, criteria=criteria, scored_at=utcnow())
    await repository.insert_score(
        session,
        score_id=uuid.uuid4(),
        trace_id=trace_id,
        criteria=criteria,
        score=score,
        details=details.model_dump(mode="json"),
        created_at=details.scored_at,
    )
    await repository.set_latest_score(session, trace_id, score)
    return ScoreResult(trace_id=trace_id, score=score, details=details)


async def compare_traces(
    session: AsyncSession, base_id: uuid.UUID, other_id: uuid.UUID
) -> tuple[ComparedTrace, ComparedTrace]:
    found = await repository.get_traces(session, [base_id, other_id])
    missing = [str(i) for i in (base_id, other_id) if i not in found]
    if missing:
        raise TraceNotFound(f"Trace(s) not found: {', '.join(dict.fromkeys(missing))}.")

    def compared(trace_id: uuid.UUID) -> ComparedTrace:
        detail = TraceDetail.model_validate(found[trace_id], from_attributes=True)
        score, _ = baseline_score(detail.payload)
        return ComparedTrace(**detail.model_dump(), score=score)

    return compared(base_id), compared(other_id)
