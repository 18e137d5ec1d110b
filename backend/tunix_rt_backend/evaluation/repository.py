"""All SQL of the evaluations domain that is not the queue's (jobs/ owns that)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import Evaluation, EvaluationItem, JobMetric
from tunix_rt_backend.evaluation.schemas import LeaderboardFilters, Outcome


async def get(session: AsyncSession, evaluation_id: uuid.UUID) -> Evaluation | None:
    return await session.get(Evaluation, evaluation_id)


async def latest_for_run(
    session: AsyncSession, run_id: uuid.UUID, judge: str | None
) -> Evaluation | None:
    query = select(Evaluation).where(Evaluation.run_id == run_id)
    if judge is not None:
        query = query.where(Evaluation.judge == judge)
    query = query.order_by(Evaluation.created_at.desc(), Evaluation.id.desc()).limit(1)
    row: Evaluation | None = await session.scalar(query)
    return row


async def items_done(session: AsyncSession, evaluation_id: uuid.UUID, metric: str) -> int:
    """The last progress point the evaluation reported."""
    value = await session.scalar(
        select(JobMetric.value)
        .where(JobMetric.job_id == evaluation_id, JobMetric.name == metric)
        .order_by(JobMetric.step.desc())
        .limit(1)
    )
    return int(value or 0)


async def clear_attempt(session: AsyncSession, evaluation_id: uuid.UUID, metric: str) -> None:
    """What an earlier attempt stored: its items and its progress points (a new attempt
    answers everything again)."""
    await session.execute(
        delete(EvaluationItem).where(EvaluationItem.evaluation_id == evaluation_id)
    )
    await session.execute(
        delete(JobMetric).where(JobMetric.job_id == evaluation_id, JobMetric.name == metric)
    )


async def items(
    session: AsyncSession,
    evaluation_id: uuid.UUID,
    outcome: Outcome | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[EvaluationItem], int]:
    """A page of items, wrong answers first, then unscored, then right ones (each in
    split order), and how many match."""
    where = [EvaluationItem.evaluation_id == evaluation_id]
    if outcome == "correct":
        where.append(EvaluationItem.correct.is_(True))
    elif outcome == "wrong":
        where.append(EvaluationItem.correct.is_(False))
    elif outcome == "unscored":
        where.append(EvaluationItem.correct.is_(None))
    rank = case(
        (EvaluationItem.correct.is_(False), 0), (EvaluationItem.correct.is_(None), 1), else_=2
    )
    rows = await session.scalars(
        select(EvaluationItem)
        .where(*where)
        .order_by(rank, EvaluationItem.index)
        .offset(offset)
        .limit(limit)
    )
    total = await session.scalar(select(func.count()).select_from(EvaluationItem).where(*where))
    return rows.all(), int(total or 0)


def _leaderboard(filters: LeaderboardFilters) -> Select[tuple[Evaluation]]:
    """The newest completed, scored, non-mock evaluation of each (run or base model,
    dataset, split, judge)."""
    newest = (
        func.row_number()
        .over(
            partition_by=(
                Evaluation.run_id,
                Evaluation.model_id,
                Evaluation.dataset_key,
                Evaluation.split,
                Evaluation.judge,
            ),
            order_by=(Evaluation.created_at.desc(), Evaluation.id.desc()),
        )
        .label("newest")
    )
    where = [
        Evaluation.status == "completed",
        Evaluation.primary_score.is_not(None),
        Evaluation.mock.is_(False),
        Evaluation.split == filters.split,
    ]
    if filters.dataset_key is not None:
        where.append(Evaluation.dataset_key == filters.dataset_key)
    if filters.model_id is not None:
        where.append(Evaluation.model_id == filters.model_id)
    if filters.judge is not None:
        where.append(Evaluation.judge == filters.judge)
    if filters.date_from is not None:
        where.append(Evaluation.created_at >= filters.date_from)
    if filters.date_to is not None:
        where.append(Evaluation.created_at <= filters.date_to)
    ranked = select(Evaluation.id, newest).where(*where).subquery()
    return select(Evaluation).join(ranked, ranked.c.id == Evaluation.id).where(ranked.c.newest == 1)


async def leaderboard(
    session: AsyncSession, filters: LeaderboardFilters, limit: int, offset: int
) -> Sequence[Evaluation]:
    """`limit + 1` rows, best first: primary score, then the interval's lower bound
    (more items, surer), then the newest."""
    query = _leaderboard(filters).order_by(
        Evaluation.primary_score.desc(),
        Evaluation.ci_low.desc(),
        Evaluation.created_at.desc(),
        Evaluation.id,
    )
    rows = await session.scalars(query.offset(offset).limit(limit + 1))
    return rows.all()


async def completed_for_run(session: AsyncSession, run_id: uuid.UUID) -> Sequence[Evaluation]:
    """The run's completed evaluations, oldest first."""
    rows = await session.scalars(
        select(Evaluation)
        .where(Evaluation.run_id == run_id, Evaluation.status == "completed")
        .order_by(Evaluation.created_at, Evaluation.id)
    )
    return rows.all()
