"""All SQL of the datasets domain."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    Uuid,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.datasets.schemas import DatasetFilters
from tunix_rt_backend.db.base import UTCDateTime
from tunix_rt_backend.db.models import Dataset, DatasetTrace, Score, Trace, TunixRun
from tunix_rt_backend.db.models.trace import SOURCE_MAX_CHARS

MEMBER_INSERT_CHUNK = 5000
EXPORT_YIELD_PER = 2000


def _filtered(query: Select[Any], filters: DatasetFilters) -> Select[Any]:
    if filters.source is not None:
        query = query.where(Trace.source == filters.source)  # ix_traces_source
        if len(filters.source) >= SOURCE_MAX_CHARS:  # the column holds it cut: the payload says
            query = query.where(Trace.payload["meta"]["source"].as_string() == filters.source)
    if filters.min_score is not None:
        query = query.where(
            exists().where(
                Score.trace_id == Trace.id,
                Score.criteria == "baseline",
                Score.score >= filters.min_score,
            )
        )
    if filters.created_after is not None:
        query = query.where(Trace.created_at >= filters.created_after)
    if filters.created_before is not None:
        query = query.where(Trace.created_at < filters.created_before)
    return query


async def count_matching(session: AsyncSession, filters: DatasetFilters) -> int:
    query = _filtered(select(func.count()).select_from(Trace), filters)
    return int(await session.scalar(query) or 0)


async def latest_trace_ids(
    session: AsyncSession, filters: DatasetFilters, limit: int
) -> list[uuid.UUID]:
    query = _filtered(select(Trace.id), filters)
    query = query.order_by(Trace.created_at.desc(), Trace.id.desc()).limit(limit)
    return list(await session.scalars(query))


async def all_trace_ids(session: AsyncSession, filters: DatasetFilters) -> list[uuid.UUID]:
    """Every match, oldest first: a fixed order for a seeded sample to draw from."""
    query = _filtered(select(Trace.id), filters).order_by(Trace.created_at, Trace.id)
    return list(await session.scalars(query))


async def trace_payloads(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    result = await session.execute(select(Trace.id, Trace.payload).where(Trace.id.in_(ids)))
    return {row.id: row.payload for row in result}


async def next_version(session: AsyncSession, name: str) -> int:
    current = await session.scalar(select(func.max(Dataset.version)).where(Dataset.name == name))
    return int(current or 0) + 1


async def insert_dataset(
    session: AsyncSession, dataset: Dataset, members: Sequence[dict[str, Any]]
) -> None:
    session.add(dataset)
    await session.flush()
    for start in range(0, len(members), MEMBER_INSERT_CHUNK):
        await session.execute(
            insert(DatasetTrace), list(members[start : start + MEMBER_INSERT_CHUNK])
        )


async def get_dataset(session: AsyncSession, dataset_key: str) -> Dataset | None:
    dataset: Dataset | None = await session.scalar(
        select(Dataset).where(Dataset.dataset_key == dataset_key)
    )
    return dataset


async def first_member_payload(
    session: AsyncSession, dataset_id: uuid.UUID
) -> dict[str, Any] | None:
    query = (
        select(Trace.payload)
        .join(DatasetTrace, DatasetTrace.trace_id == Trace.id)
        .where(DatasetTrace.dataset_id == dataset_id)
        .order_by(DatasetTrace.position)
        .limit(1)
    )
    payload: dict[str, Any] | None = await session.scalar(query)
    return payload


async def list_datasets(
    session: AsyncSession,
    *,
    limit: int,
    offset: int,
    before: tuple[datetime, uuid.UUID] | None,
    name: str | None,
) -> Sequence[Dataset]:
    query = select(Dataset).order_by(Dataset.created_at.desc(), Dataset.id.desc())
    if name is not None:
        query = query.where(Dataset.name == name)
    if before is not None:
        position = tuple_(
            bindparam("before_ts", before[0], type_=UTCDateTime),
            bindparam("before_id", before[1], type_=Uuid),
        )
        query = query.where(tuple_(Dataset.created_at, Dataset.id) < position)
    return list(await session.scalars(query.limit(limit).offset(offset)))


async def dataset_in_use(session: AsyncSession, dataset_key: str) -> int:
    query = select(func.count()).select_from(TunixRun).where(TunixRun.dataset_key == dataset_key)
    return int(await session.scalar(query) or 0)


async def delete_dataset(session: AsyncSession, dataset_id: uuid.UUID) -> None:
    await session.execute(delete(DatasetTrace).where(DatasetTrace.dataset_id == dataset_id))
    await session.execute(delete(Dataset).where(Dataset.id == dataset_id))


def _member_query(dataset_id: uuid.UUID, split: str | None, limit: int | None) -> Select[Any]:
    query = (
        select(Trace.id, DatasetTrace.split, Trace.payload)
        .join(Trace, Trace.id == DatasetTrace.trace_id)
        .where(DatasetTrace.dataset_id == dataset_id)
        .order_by(DatasetTrace.position)
    )
    if split is not None:
        query = query.where(DatasetTrace.split == split)
    if limit is not None:
        query = query.limit(limit)
    return query


async def stream_members(
    session: AsyncSession, dataset_id: uuid.UUID, split: str | None, limit: int | None = None
) -> AsyncIterator[Sequence[Any]]:
    """Member rows (id, split, payload) in dataset order, a partition at a time:
    a server-side cursor, so memory does not grow with the dataset."""
    query = _member_query(dataset_id, split, limit).execution_options(yield_per=EXPORT_YIELD_PER)
    result = await session.stream(query)
    async for partition in result.partitions():
        yield partition


async def sample_trace_ids(
    session: AsyncSession, dataset_id: uuid.UUID, limit: int
) -> list[uuid.UUID]:
    """The first `limit` member traces, in dataset order."""
    rows = await session.scalars(
        select(DatasetTrace.trace_id)
        .where(DatasetTrace.dataset_id == dataset_id)
        .order_by(DatasetTrace.position)
        .limit(limit)
    )
    return list(rows)


def _text_start(field: str, chars: int) -> Any:
    # Only the start of each text leaves the database: a page of 100 members would
    # otherwise read 100 whole payloads (steps included, up to TRACE_MAX_BYTES each).
    return func.substr(Trace.payload[field].as_string(), 1, chars)


async def member_page(
    session: AsyncSession,
    dataset_key: str,
    split: str | None,
    *,
    limit: int,
    offset: int,
    chars: int,
) -> Sequence[Any]:
    """Rows (trace_id, position, split, prompt, final_answer) of a dataset's members in
    dataset order, the texts cut to `chars`; one query, the dataset found by its key."""
    query = (
        select(
            DatasetTrace.trace_id,
            DatasetTrace.position,
            DatasetTrace.split,
            _text_start("prompt", chars).label("prompt"),
            _text_start("final_answer", chars).label("final_answer"),
        )
        .join(Dataset, Dataset.id == DatasetTrace.dataset_id)
        .join(Trace, Trace.id == DatasetTrace.trace_id)
        .where(Dataset.dataset_key == dataset_key)
        .order_by(DatasetTrace.position)
        .limit(limit)
        .offset(offset)
    )
    if split is not None:
        query = query.where(DatasetTrace.split == split)
    return list(await session.execute(query))
