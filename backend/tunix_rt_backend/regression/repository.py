"""All SQL of regression gates: baselines, their history, checks; and the evaluations
and items a check reads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import (
    Evaluation,
    EvaluationItem,
    RegressionBaseline,
    RegressionBaselineVersion,
    RegressionCheck,
)


async def baseline(session: AsyncSession, name: str) -> RegressionBaseline | None:
    row: RegressionBaseline | None = await session.scalar(
        select(RegressionBaseline).where(RegressionBaseline.name == name)
    )
    return row


async def baseline_for_update(session: AsyncSession, name: str) -> RegressionBaseline | None:
    """The baseline, locked until commit (PostgreSQL): two settings of one name in the
    same moment get versions one after the other."""
    row: RegressionBaseline | None = await session.scalar(
        select(RegressionBaseline).where(RegressionBaseline.name == name).with_for_update()
    )
    return row


async def baselines(session: AsyncSession, limit: int, offset: int) -> Sequence[RegressionBaseline]:
    """A page by name (one more row than asked: is there a next page)."""
    rows = await session.scalars(
        select(RegressionBaseline).order_by(RegressionBaseline.name).limit(limit + 1).offset(offset)
    )
    return rows.all()


async def history(
    session: AsyncSession, baseline_id: uuid.UUID
) -> Sequence[RegressionBaselineVersion]:
    rows = await session.scalars(
        select(RegressionBaselineVersion)
        .where(RegressionBaselineVersion.baseline_id == baseline_id)
        .order_by(RegressionBaselineVersion.version.desc())
    )
    return rows.all()


async def delete_baseline(session: AsyncSession, baseline_id: uuid.UUID) -> None:
    # Its history first: SQLite enforces no ON DELETE CASCADE without its pragma.
    await session.execute(
        delete(RegressionBaselineVersion).where(
            RegressionBaselineVersion.baseline_id == baseline_id
        )
    )
    await session.execute(delete(RegressionBaseline).where(RegressionBaseline.id == baseline_id))


async def completed_evaluations(
    session: AsyncSession, run_id: uuid.UUID, judge: str | None
) -> Sequence[Evaluation]:
    """The run's completed evaluations (by `judge`, when given), newest first."""
    query = select(Evaluation).where(Evaluation.run_id == run_id, Evaluation.status == "completed")
    if judge is not None:
        query = query.where(Evaluation.judge == judge)
    rows = await session.scalars(query.order_by(Evaluation.created_at.desc(), Evaluation.id.desc()))
    return rows.all()


async def evaluation(session: AsyncSession, evaluation_id: uuid.UUID) -> Evaluation | None:
    return await session.get(Evaluation, evaluation_id)


async def items(session: AsyncSession, evaluation_id: uuid.UUID) -> Sequence[EvaluationItem]:
    rows = await session.scalars(
        select(EvaluationItem)
        .where(EvaluationItem.evaluation_id == evaluation_id)
        .order_by(EvaluationItem.index)
    )
    return rows.all()


async def checks(
    session: AsyncSession,
    baseline_name: str | None,
    run_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> Sequence[RegressionCheck]:
    """A page of checks, newest first (one more row than asked)."""
    query = select(RegressionCheck)
    if baseline_name is not None:
        query = query.where(RegressionCheck.baseline_name == baseline_name)
    if run_id is not None:
        query = query.where(RegressionCheck.run_id == run_id)
    rows = await session.scalars(
        query.order_by(RegressionCheck.created_at.desc(), RegressionCheck.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    return rows.all()


async def check(session: AsyncSession, check_id: uuid.UUID) -> RegressionCheck | None:
    return await session.get(RegressionCheck, check_id)


async def stored_check(
    session: AsyncSession, baseline: RegressionBaseline, evaluation_id: uuid.UUID
) -> RegressionCheck | None:
    """The newest check of this evaluation against the baseline's current setting."""
    row: RegressionCheck | None = await session.scalar(
        select(RegressionCheck)
        .where(
            RegressionCheck.baseline_name == baseline.name,
            RegressionCheck.baseline_version == baseline.version,
            RegressionCheck.baseline_evaluation_id == baseline.evaluation_id,
            RegressionCheck.evaluation_id == evaluation_id,
        )
        .order_by(RegressionCheck.created_at.desc(), RegressionCheck.id.desc())
        .limit(1)
    )
    return row
