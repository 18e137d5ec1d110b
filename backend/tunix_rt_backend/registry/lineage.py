"""Lineage, both ways: from a model version back to the traces it learned from
(traces -> dataset version -> run -> evaluations and checks -> version -> aliases), and
from a dataset forward to the runs and versions built on it. Reads other domains
through their services; never commits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.datasets import service as datasets_service
from tunix_rt_backend.db.models import Dataset, ModelArtifact, ModelVersion, TunixRun
from tunix_rt_backend.evaluation import service as evaluation_service
from tunix_rt_backend.kit.pagination import page_of
from tunix_rt_backend.registry import repository
from tunix_rt_backend.registry.schemas import (
    DatasetLineage,
    DatasetRunLineage,
    LineageCheck,
    LineageDataset,
    LineageEvaluation,
    LineageRun,
    LineageTraces,
    LineageVersion,
    VersionLineage,
)
from tunix_rt_backend.registry.service import get_artifact, get_version_row
from tunix_rt_backend.regression import service as regression_service
from tunix_rt_backend.runs import service as runs_service
from tunix_rt_backend.runs.schemas import RunFilters

SAMPLE_TRACES = 10
# The forward view lists the newest runs of a dataset, at most this many.
MAX_RUNS = 100
MAX_CHECKS = 50


async def of_version(session: AsyncSession, version_id: uuid.UUID) -> VersionLineage:
    row = await get_version_row(session, version_id)
    artifact = await get_artifact(session, row.artifact_id)
    provenance = row.provenance_json
    key = str(provenance.get("dataset_key") or "")
    dataset = await datasets_service.find_dataset(session, key) if key else None
    run = await session.get(TunixRun, row.source_run_id) if row.source_run_id else None
    evaluations, checks = [], []
    if run is not None:
        evaluations = [
            LineageEvaluation(
                id=e["evaluation_id"],
                judge=e["judge"],
                split=e["split"],
                primary_score=e["primary_score"],
                mock=e["mock"],
                created_at=e["created_at"],
            )
            for e in await evaluation_service.completed_records(session, run.run_id)
        ]
        page = await regression_service.list_checks(session, None, run.run_id, MAX_CHECKS, 0)
        checks = [
            LineageCheck(
                id=c.id, baseline_name=c.baseline_name, verdict=c.verdict, created_at=c.created_at
            )
            for c in page.data
        ]
    return VersionLineage(
        dataset=LineageDataset(
            key=key,
            sha256=provenance.get("dataset_sha256"),
            sha256_now=dataset.content_sha256 if dataset is not None else None,
            traces=await _traces(session, dataset) if dataset is not None else None,
        ),
        run=_run(run) if run is not None else None,
        evaluations=evaluations,
        checks=checks,
        version=_version(
            row, artifact, (await repository.aliases_of_versions(session, [row.id]))[row.id]
        ),
    )


async def of_dataset(session: AsyncSession, dataset_key: str) -> DatasetLineage:
    dataset = await datasets_service.get_dataset(session, dataset_key)
    page = await runs_service.list_runs(
        session, page_of(MAX_RUNS, 0, None), RunFilters(dataset_key=dataset_key, mode="local")
    )
    versions = await repository.versions_of_runs(session, [r.run_id for r in page.data])
    artifacts = await repository.artifacts_by_id(session, {v.artifact_id for v in versions})
    aliases = await repository.aliases_of_versions(session, [v.id for v in versions])
    lineage_versions = [_version(v, artifacts[v.artifact_id], aliases[v.id]) for v in versions]
    return DatasetLineage(
        key=dataset.dataset_key,
        sha256=dataset.content_sha256,
        traces=await _traces(session, dataset),
        runs=[
            DatasetRunLineage(
                run_id=r.run_id,
                status=r.status,
                base_model=r.model_id,
                created_at=r.created_at,
                versions=[
                    lv
                    for lv, v in zip(lineage_versions, versions, strict=True)
                    if v.source_run_id == r.run_id
                ],
            )
            for r in page.data
        ],
        runs_truncated=page.pagination.next_cursor is not None,
    )


async def _traces(session: AsyncSession, dataset: Dataset) -> LineageTraces:
    return LineageTraces(
        count=dataset.trace_count,
        train=dataset.train_count,
        eval=dataset.eval_count,
        sample_ids=await datasets_service.sample_trace_ids(session, dataset, SAMPLE_TRACES),
    )


def _run(run: TunixRun) -> LineageRun:
    return LineageRun(
        run_id=run.run_id,
        status=run.status,
        base_model=run.model_id,
        created_at=run.created_at,
        completed_at=run.completed_at,
        config=run.config or {},
    )


def _version(row: ModelVersion, artifact: ModelArtifact, aliases: list[str]) -> LineageVersion:
    return LineageVersion(
        model_id=artifact.id,
        model_name=artifact.name,
        id=row.id,
        version=row.version,
        sha256=row.sha256,
        aliases=aliases,
        created_at=row.created_at,
    )
