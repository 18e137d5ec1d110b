"""Business rules of datasets: selection, versioning, splits, manifests, export (also
of listed traces, in `tunix_sft`) and a dataset's run manifest. Raises AppError;
never commits."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.datasets import repository
from tunix_rt_backend.datasets.formats import RENDERERS, ExportFormat, SplitFilter, tunix_sft_line
from tunix_rt_backend.datasets.schemas import (
    DatasetBuildRequest,
    DatasetManifest,
    DatasetMember,
    DatasetPreview,
    DatasetSelection,
    DatasetSummary,
    SftExportRequest,
    SftManifestRequest,
    SplitSizes,
    TemplateInfo,
)
from tunix_rt_backend.datasets.stats import DatasetDigest
from tunix_rt_backend.db.models import Dataset
from tunix_rt_backend.errors import BadRequest, Conflict, NotFound, ValidationFailed, field_error
from tunix_rt_backend.kit.pagination import Page, PageParams, keyset_page, offset_pagination
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.templates.gemma_reasoning import TEMPLATE_NAME, TEMPLATE_SHA256, render_trace
from tunix_rt_backend.training.manifest import TrainingSection, manifest_yaml

PAYLOAD_CHUNK = 1000
MEMBER_PREVIEW_CHARS = 200


class DatasetNotFound(NotFound):
    pass


class DatasetInUse(Conflict):
    pass


class DatasetVersionTaken(Conflict):
    pass


class TracesNotFound(NotFound):
    pass


def check_limit(
    limit: int, max_traces: int, loc: tuple[str | int, ...] = ("body", "limit")
) -> None:
    if limit > max_traces:
        msg = f"at most {max_traces} traces (DATASET_MAX_TRACES); got {limit}"
        raise ValidationFailed([field_error(loc, msg, "less_than_equal")])


async def preview(
    session: AsyncSession, selection: DatasetSelection, max_traces: int
) -> DatasetPreview:
    check_limit(selection.limit, max_traces)
    matching = await repository.count_matching(session, selection.filters)
    return DatasetPreview(matching=matching, selected=min(matching, selection.limit))


async def _select_ids(session: AsyncSession, selection: DatasetSelection) -> list[uuid.UUID]:
    if selection.strategy == "latest":
        return await repository.latest_trace_ids(session, selection.filters, selection.limit)
    candidates = await repository.all_trace_ids(session, selection.filters)
    rng = random.Random(selection.seed)
    return rng.sample(candidates, min(selection.limit, len(candidates)))


def split_labels(count: int, eval_ratio: float, seed: int) -> list[str]:
    """Seeded train/eval labels by position. Any ratio above 0 holds out at least one
    trace (when there are two or more) and always leaves one to train on."""
    eval_count = round(count * eval_ratio)
    if eval_ratio > 0 and count >= 2:
        eval_count = min(max(eval_count, 1), count - 1)
    eval_positions = set(random.Random(f"split:{seed}").sample(range(count), eval_count))
    return ["eval" if n in eval_positions else "train" for n in range(count)]


async def build(
    session: AsyncSession, request: DatasetBuildRequest, max_traces: int
) -> DatasetManifest:
    check_limit(request.limit, max_traces)
    ids = await _select_ids(session, request)
    if not ids:
        raise ValidationFailed.field(
            ("body", "filters"), "no trace matches the filters", "value_error"
        )
    splits = split_labels(len(ids), request.eval_ratio, request.seed)
    digest = DatasetDigest()
    for start in range(0, len(ids), PAYLOAD_CHUNK):
        chunk = ids[start : start + PAYLOAD_CHUNK]
        payloads = await repository.trace_payloads(session, chunk)
        for n, trace_id in enumerate(chunk, start):
            digest.add(trace_id, splits[n], payloads[trace_id])

    version = await repository.next_version(session, request.name)
    dataset = Dataset(
        id=uuid.uuid4(),
        dataset_key=f"{request.name}-v{version}",
        name=request.name,
        version=version,
        description=request.description,
        created_at=utcnow(),
        build=request.model_dump(mode="json", exclude={"name", "description"}),
        trace_count=len(ids),
        train_count=splits.count("train"),
        eval_count=splits.count("eval"),
        content_sha256=digest.sha256,
        stats=digest.stats(),
    )
    members = [
        {"dataset_id": dataset.id, "position": n, "trace_id": trace_id, "split": splits[n]}
        for n, trace_id in enumerate(ids)
    ]
    try:
        await repository.insert_dataset(session, dataset, members)
    except IntegrityError as exc:
        # Another build of this name took the version between next_version and here.
        raise DatasetVersionTaken(
            f"{dataset.dataset_key} was built concurrently; build again for the next version."
        ) from exc
    first = await repository.trace_payloads(session, ids[:1])
    return _manifest(dataset, first[ids[0]])


async def get_dataset(session: AsyncSession, dataset_key: str) -> Dataset:
    dataset = await repository.get_dataset(session, dataset_key)
    if dataset is None:
        raise DatasetNotFound(f"Dataset {dataset_key!r} not found.")
    return dataset


async def find_dataset(session: AsyncSession, dataset_key: str) -> Dataset | None:
    """The dataset, or None (deleted, or never built)."""
    return await repository.get_dataset(session, dataset_key)


async def sample_trace_ids(session: AsyncSession, dataset: Dataset, limit: int) -> list[uuid.UUID]:
    return await repository.sample_trace_ids(session, dataset.id, limit)


async def get_manifest(session: AsyncSession, dataset_key: str) -> DatasetManifest:
    dataset = await get_dataset(session, dataset_key)
    return _manifest(dataset, await repository.first_member_payload(session, dataset.id))


def template_info(first_payload: dict[str, Any] | None) -> TemplateInfo:
    sample = render_trace(first_payload)._asdict() if first_payload is not None else None
    return TemplateInfo(name=TEMPLATE_NAME, sha256=TEMPLATE_SHA256, sample=sample)


def _manifest(dataset: Dataset, first_payload: dict[str, Any] | None) -> DatasetManifest:
    return DatasetManifest(
        **_summary(dataset).model_dump(),
        id=dataset.id,
        build=dataset.build,
        split=SplitSizes(train=dataset.train_count, eval=dataset.eval_count),
        stats=dataset.stats,
        template=template_info(first_payload),
    )


def _summary(dataset: Dataset) -> DatasetSummary:
    return DatasetSummary.model_validate(dataset, from_attributes=True)


async def list_datasets(
    session: AsyncSession, params: PageParams, name: str | None
) -> Page[DatasetSummary]:
    rows = await repository.list_datasets(
        session, limit=params.limit + 1, offset=params.offset, before=params.cursor, name=name
    )
    data, pagination = keyset_page(rows, params, _summary)
    return Page[DatasetSummary](data=data, pagination=pagination)


async def list_members(
    session: AsyncSession, dataset_key: str, split: SplitFilter, limit: int, offset: int
) -> Page[DatasetMember]:
    """A page of the dataset's member traces in dataset order, of one split or all."""
    rows = await repository.member_page(
        session,
        dataset_key,
        None if split == "all" else split,
        limit=limit + 1,
        offset=offset,
        chars=MEMBER_PREVIEW_CHARS + 1,
    )
    if not rows:
        # An empty page: of an existing dataset (past its end), or of none (404).
        await get_dataset(session, dataset_key)
    members = [
        DatasetMember(
            trace_id=row.trace_id,
            position=row.position,
            split=row.split,
            prompt_preview=_clip(row.prompt),
            final_answer=_clip(row.final_answer),
        )
        for row in rows[:limit]
    ]
    return Page[DatasetMember](
        data=members, pagination=offset_pagination(limit, offset, len(rows) > limit)
    )


def _clip(text: str) -> str:
    """The first MEMBER_PREVIEW_CHARS characters, `…` where the text goes on."""
    if len(text) <= MEMBER_PREVIEW_CHARS:
        return text
    return text[:MEMBER_PREVIEW_CHARS].rstrip() + "…"


async def delete_dataset(session: AsyncSession, dataset_key: str) -> None:
    dataset = await get_dataset(session, dataset_key)
    runs = await repository.dataset_in_use(session, dataset_key)
    if runs:
        raise DatasetInUse(f"Dataset {dataset_key!r} is used by {runs} run(s); it is kept.")
    await repository.delete_dataset(session, dataset.id)


async def export_lines(
    maker: async_sessionmaker[AsyncSession],
    dataset_id: uuid.UUID,
    fmt: ExportFormat,
    split: SplitFilter,
    limit: int | None = None,
) -> AsyncIterator[bytes]:
    """The export as NDJSON chunks, read through its own session: a streamed response
    outlives the request's session."""
    render = RENDERERS[fmt]
    async with maker() as session:
        partitions = repository.stream_members(
            session, dataset_id, None if split == "all" else split, limit
        )
        async for rows in partitions:
            yield b"".join([render(row[0], row[1], row[2]) for row in rows])


def check_sft_export(request: SftExportRequest, max_traces: int) -> None:
    if (request.dataset_key is None) == (request.trace_ids is None):
        raise BadRequest("Give either dataset_key or trace_ids (exactly one of them).")
    check_limit(request.limit, max_traces)


async def sft_export_of_traces(
    session: AsyncSession, trace_ids: list[uuid.UUID], limit: int
) -> bytes:
    """The listed traces in `tunix_sft`, in the order given; 404 naming any that do not
    exist. Read whole, not streamed: at most 1000 ids, and a missing one must be a 404
    before the response starts."""
    wanted = list(dict.fromkeys(trace_ids))[:limit]
    payloads = await repository.trace_payloads(session, wanted)
    missing = [str(i) for i in wanted if i not in payloads]
    if missing:
        raise TracesNotFound(f"Trace(s) not found: {', '.join(missing)}.")
    return b"".join(tunix_sft_line(i, None, payloads[i]) for i in wanted)


async def run_manifest(session: AsyncSession, request: SftManifestRequest) -> str:
    """The YAML run manifest of a dataset with the request's model and training."""
    dataset = await get_manifest(session, request.dataset_key)
    training = TrainingSection.of(request)
    return manifest_yaml(dataset, request.model_id, training, request.output_dir)
