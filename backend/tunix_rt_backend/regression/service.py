"""Business rules of regression gates: setting a baseline (a run's completed evaluation,
pinned with its judge, dataset and split), checking a run against it with the paired
statistics of regression/statistics.py, and the history of both. Raises AppError;
never commits (the request's session does)."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tunix_rt_backend.db.models import (
    Evaluation,
    EvaluationItem,
    RegressionBaseline,
    RegressionBaselineVersion,
    RegressionCheck,
    TunixRun,
)
from tunix_rt_backend.errors import Conflict, NotFound
from tunix_rt_backend.kit.pagination import Page, offset_pagination
from tunix_rt_backend.kit.time import utcnow
from tunix_rt_backend.regression import repository
from tunix_rt_backend.regression.schemas import (
    DEFAULT_RELATIVE_MARGIN,
    LOWER_IS_BETTER,
    Baseline,
    BaselineDetail,
    BaselineRequest,
    BaselineSetting,
    CheckReport,
    CheckRequest,
    CheckSummary,
    DifferenceInterval,
    FlippedItem,
    MetricName,
    PinnedJudge,
)
from tunix_rt_backend.regression.statistics import ALPHA, Pair, compare


class RunNotFound(NotFound):
    pass


class BaselineNotFound(NotFound):
    pass


class CheckNotFound(NotFound):
    pass


class EvaluationNotFound(NotFound):
    pass


class BaselineConflict(Conflict):
    pass


class NoCompletedEvaluation(Conflict):
    """The run has no completed evaluation to pin or to check (by the judge asked for)."""


# --- metrics ---------------------------------------------------------------------------


def item_value(item: EvaluationItem, metric: MetricName) -> float | None:
    """The item's value of `metric`; None: not scored (left out of the comparison)."""
    if metric == "format_rate":
        return 1.0 if item.format_ok else 0.0
    if metric == "output_tokens":
        return float(item.output_tokens)
    if item.score is None:
        return None
    return item.score * 100 if metric == "score" else item.score


def metric_value(items: Sequence[EvaluationItem], metric: MetricName) -> float | None:
    values = [v for v in (item_value(i, metric) for i in items) if v is not None]
    return math.fsum(values) / len(values) if values else None


# --- baselines -------------------------------------------------------------------------


async def set_baseline(session: AsyncSession, request: BaselineRequest) -> tuple[Baseline, bool]:
    """Create the baseline, or set it again under its name (a new version, the old one
    kept in its history). Returns it and whether it was created."""
    run = await session.get(TunixRun, request.run_id)
    if run is None:
        raise RunNotFound(f"no run {request.run_id}")
    if request.evaluation_id is not None:
        pinned = await _completed_of_run(session, run.run_id, request.evaluation_id)
    else:
        pinned = await _newest_completed(session, run.run_id, request.judge)
    value = metric_value(await repository.items(session, pinned.id), request.metric)
    if value is None:
        raise NoCompletedEvaluation(
            f"evaluation {pinned.id} of run {run.run_id} scored no item: nothing to compare"
        )
    now = utcnow()
    fields = _pinned_fields(request, pinned, value)
    row = await repository.baseline_for_update(session, request.name)
    created = row is None
    if row is None:
        row = RegressionBaseline(
            id=uuid.uuid4(), name=request.name, version=1, created_at=now, **fields
        )
        session.add(row)
    else:
        row.version += 1
        for key, field in fields.items():
            setattr(row, key, field)
    row.updated_at = now
    session.add(
        RegressionBaselineVersion(
            id=uuid.uuid4(), baseline_id=row.id, version=row.version, created_at=now, **fields
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        # Another request created the same new name between our read and our insert
        # (a row lock cannot cover a row that does not exist yet).
        raise BaselineConflict(
            f"baseline {request.name!r} was set by another request at the same moment: "
            "send it again"
        ) from None
    return _baseline(row), created


def _pinned_fields(request: BaselineRequest, pinned: Evaluation, value: float) -> dict[str, Any]:
    lower = LOWER_IS_BETTER[request.metric]
    if request.lower_is_better is not None:
        lower = request.lower_is_better
    margin = request.margin
    if margin is None:
        # 5% of the value; a value of 0 would make any change a regression.
        margin = abs(value) * DEFAULT_RELATIVE_MARGIN or DEFAULT_RELATIVE_MARGIN
    return {
        "run_id": request.run_id,
        "evaluation_id": pinned.id,
        "metric": request.metric,
        "lower_is_better": lower,
        "margin": margin,
        "margin_set": request.margin is not None,
        "value": value,
        "judge": pinned.judge,
        "judge_version": pinned.judge_version,
        "judge_config_hash": pinned.judge_config_hash,
        "dataset_key": pinned.dataset_key,
        "dataset_sha256": pinned.dataset_sha256,
        "split": pinned.split,
        "description": request.description,
    }


async def _newest_completed(
    session: AsyncSession, run_id: uuid.UUID, judge: str | None
) -> Evaluation:
    rows = await repository.completed_evaluations(session, run_id, judge)
    if not rows:
        by = f" by judge {judge}" if judge else ""
        raise NoCompletedEvaluation(
            f"run {run_id} has no completed evaluation{by} (evaluate it first: "
            f"POST /api/tunix/runs/{run_id}/evaluate)"
        )
    return rows[0]


async def get_baseline(session: AsyncSession, name: str) -> BaselineDetail:
    row = await _get_baseline(session, name)
    settings = [_setting(v) for v in await repository.history(session, row.id)]
    return BaselineDetail(**_baseline(row).model_dump(), history=settings)


async def _get_baseline(session: AsyncSession, name: str) -> RegressionBaseline:
    row = await repository.baseline(session, name)
    if row is None:
        raise BaselineNotFound(f"no baseline named {name!r}")
    return row


async def list_baselines(session: AsyncSession, limit: int, offset: int) -> Page[Baseline]:
    rows = await repository.baselines(session, limit, offset)
    return Page[Baseline](
        data=[_baseline(r) for r in rows[:limit]],
        pagination=offset_pagination(limit, offset, len(rows) > limit),
    )


async def delete_baseline(session: AsyncSession, name: str) -> None:
    """The baseline and its history; the checks made against it stay."""
    row = await _get_baseline(session, name)
    await repository.delete_baseline(session, row.id)


def _setting(row: RegressionBaseline | RegressionBaselineVersion) -> BaselineSetting:
    return BaselineSetting(
        version=row.version,
        run_id=row.run_id,
        evaluation_id=row.evaluation_id,
        metric=row.metric,
        lower_is_better=row.lower_is_better,
        margin=row.margin,
        margin_default=not row.margin_set,
        value=row.value,
        judge=PinnedJudge(
            name=row.judge, version=row.judge_version, config_hash=row.judge_config_hash
        ),
        dataset_key=row.dataset_key,
        dataset_sha256=row.dataset_sha256,
        split=row.split,
        description=row.description,
        created_at=row.created_at,
    )


def _baseline(row: RegressionBaseline) -> Baseline:
    return Baseline(**_setting(row).model_dump(), name=row.name, updated_at=row.updated_at)


# --- checks ----------------------------------------------------------------------------


async def check(session: AsyncSession, request: CheckRequest) -> CheckReport:
    """Check the run against the baseline and store the report."""
    base = await _get_baseline(session, request.baseline_name)
    if await session.get(TunixRun, request.run_id) is None:
        raise RunNotFound(f"no run {request.run_id}")
    pinned = await repository.evaluation(session, base.evaluation_id)
    assert pinned is not None  # the baseline's foreign key holds it
    current = await _evaluation_to_check(session, pinned, request)
    baseline_items = await repository.items(session, pinned.id)
    current_items = await repository.items(session, current.id)
    # The statistics (a 10,000-resample bootstrap for graded scores) off the event loop.
    report = await asyncio.to_thread(_report, base, pinned, baseline_items, current, current_items)
    row = RegressionCheck(
        id=report.id,
        baseline_name=base.name,
        baseline_version=base.version,
        run_id=request.run_id,
        evaluation_id=current.id,
        baseline_run_id=base.run_id,
        baseline_evaluation_id=base.evaluation_id,
        metric=base.metric,
        verdict=report.verdict,
        baseline_value=base.value,
        current_value=report.current_value,
        p_value=report.p_value,
        report=report.model_dump(mode="json"),
        created_at=report.created_at,
    )
    session.add(row)
    await session.flush()
    return report


async def gate(session: AsyncSession, run_id: uuid.UUID, baseline_name: str) -> CheckReport:
    """The check a gate decides by: the stored check of this run's evaluation against the
    baseline as set now, when there is one (a gate asked twice does not run it twice),
    else a new one, stored."""
    base = await _get_baseline(session, baseline_name)
    if await session.get(TunixRun, run_id) is None:
        raise RunNotFound(f"no run {run_id}")
    pinned = await repository.evaluation(session, base.evaluation_id)
    assert pinned is not None  # the baseline's foreign key holds it
    request = CheckRequest(run_id=run_id, baseline_name=baseline_name)
    current = await _evaluation_to_check(session, pinned, request)
    stored = await repository.stored_check(session, base, current.id)
    if stored is not None:
        return CheckReport.model_validate(stored.report)
    return await check(session, request)


async def _completed_of_run(
    session: AsyncSession, run_id: uuid.UUID, evaluation_id: uuid.UUID
) -> Evaluation:
    row = await repository.evaluation(session, evaluation_id)
    if row is None or row.run_id != run_id:
        raise EvaluationNotFound(f"run {run_id} has no evaluation {evaluation_id}")
    if row.status != "completed":
        raise NoCompletedEvaluation(f"evaluation {row.id} is {row.status}, not completed")
    return row


async def _evaluation_to_check(
    session: AsyncSession, pinned: Evaluation, request: CheckRequest
) -> Evaluation:
    if request.evaluation_id is not None:
        return await _completed_of_run(session, request.run_id, request.evaluation_id)
    rows = await repository.completed_evaluations(session, request.run_id, pinned.judge)
    if not rows:
        raise NoCompletedEvaluation(
            f"run {request.run_id} has no completed evaluation by judge {pinned.judge}, the "
            f"baseline's (evaluate it: POST /api/tunix/runs/{request.run_id}/evaluate with "
            f'{{"judge_override": "{pinned.judge}"}})'
        )
    comparable = [r for r in rows if not _differences(pinned, r)]
    return (comparable or rows)[0]


def _differences(pinned: Evaluation, row: Evaluation) -> list[str]:
    """Why `row` is not comparable with the baseline's evaluation ([] when it is)."""
    reasons = []
    if pinned.dataset_sha256 and row.dataset_sha256:
        same_data = pinned.dataset_sha256 == row.dataset_sha256
    else:
        same_data = pinned.dataset_key == row.dataset_key
    if not same_data:
        reasons.append(
            f"the datasets differ: the baseline scored {pinned.dataset_key} "
            f"(sha256 {_short(pinned.dataset_sha256)}), this evaluation {row.dataset_key} "
            f"(sha256 {_short(row.dataset_sha256)})"
        )
    if row.split != pinned.split:
        reasons.append(f"the splits differ: {pinned.split} and {row.split}")
    judges = [(e.judge, e.judge_version, e.judge_config_hash) for e in (pinned, row)]
    if judges[0] != judges[1]:
        (name, version, config), (name2, version2, config2) = judges
        reasons.append(
            f"the judges differ: {name} {version} (config {config[:12]}) and "
            f"{name2} {version2} (config {config2[:12]})"
        )
    templates = [e.decoding.get("template_sha256") for e in (pinned, row)]
    if None not in templates and templates[0] != templates[1]:
        reasons.append(
            f"the chat templates differ: {_short(templates[0])} and {_short(templates[1])}"
        )
    return reasons


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "unknown"


def _report(
    base: RegressionBaseline,
    pinned: Evaluation,
    baseline_items: Sequence[EvaluationItem],
    current: Evaluation,
    current_items: Sequence[EvaluationItem],
) -> CheckReport:
    metric: MetricName = base.metric  # type: ignore[assignment]
    assert current.run_id is not None  # an evaluation of the run checked
    current_value = metric_value(current_items, metric)
    reasons = _differences(pinned, current)
    lower = base.lower_is_better
    pairs, flipped, excluded = _pairs(baseline_items, current_items, metric, lower)
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "run_id": current.run_id,
        "baseline_name": base.name,
        "baseline_version": base.version,
        "baseline_run_id": base.run_id,
        "metric_name": metric,
        "baseline_value": base.value,
        "current_value": current_value,
        "delta": None if current_value is None else current_value - base.value,
        "delta_percent": None
        if current_value is None or base.value == 0
        else (current_value - base.value) / abs(base.value) * 100,
        "evaluation_id": current.id,
        "baseline_evaluation_id": base.evaluation_id,
        "lower_is_better": lower,
        "margin": base.margin,
        "alpha": ALPHA,
        "created_at": utcnow(),
    }
    if reasons or not pairs:
        return _inconclusive(fields, reasons or ["no item was scored in both evaluations"])
    stats = compare(pairs, base.margin, lower)
    return CheckReport(
        **fields,
        verdict=stats.verdict,
        p_value=stats.p_value,
        comparable=True,
        reasons=[stats.reason],
        n=stats.n,
        n_excluded=excluded,
        b=stats.b,
        c=stats.c,
        test=stats.test,
        interval=DifferenceInterval(low=stats.low, high=stats.high),
        minimum_detectable_difference=stats.minimum_detectable,
        resamples=stats.resamples,
        seed=stats.seed,
        flipped=sorted(flipped, key=lambda f: (f.direction != "worse", f.index)),
        details={"paired_difference": stats.difference},
    )


def _inconclusive(fields: dict[str, Any], reasons: list[str]) -> CheckReport:
    return CheckReport(
        **fields,
        verdict="inconclusive",
        p_value=None,
        comparable=False,
        reasons=reasons,
        n=0,
        n_excluded=0,
        b=None,
        c=None,
        test=None,
        interval=None,
        minimum_detectable_difference=None,
        resamples=None,
        seed=None,
        flipped=[],
        details={},
    )


def _pairs(
    baseline: Sequence[EvaluationItem],
    current: Sequence[EvaluationItem],
    metric: MetricName,
    lower_is_better: bool,
) -> tuple[list[Pair], list[FlippedItem], int]:
    """The items scored in both (matched by their place in the split), the ones whose
    value changed, and how many were left out."""
    by_index = {i.index: i for i in current}
    pairs: list[Pair] = []
    flipped: list[FlippedItem] = []
    for old in baseline:
        new = by_index.get(old.index)
        before = item_value(old, metric)
        after = None if new is None else item_value(new, metric)
        if new is None or before is None or after is None:
            continue
        pairs.append(Pair(before, after))
        if after != before:
            better = after < before if lower_is_better else after > before
            flipped.append(_flipped(old, new, before, after, better))
    indices = {i.index for i in baseline} | set(by_index)
    return pairs, flipped, len(indices) - len(pairs)


def _flipped(
    old: EvaluationItem, new: EvaluationItem, before: float, after: float, better: bool
) -> FlippedItem:
    return FlippedItem(
        index=old.index,
        trace_id=old.trace_id,
        direction="better" if better else "worse",
        expected=old.expected,
        baseline_value=before,
        current_value=after,
        baseline_extracted=old.extracted,
        current_extracted=new.extracted,
    )


async def get_check(session: AsyncSession, check_id: uuid.UUID) -> CheckReport:
    row = await repository.check(session, check_id)
    if row is None:
        raise CheckNotFound(f"no regression check {check_id}")
    return CheckReport.model_validate(row.report)


async def list_checks(
    session: AsyncSession,
    baseline_name: str | None,
    run_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> Page[CheckSummary]:
    rows = await repository.checks(session, baseline_name, run_id, limit, offset)
    return Page[CheckSummary](
        data=[CheckSummary.model_validate(r.report) for r in rows[:limit]],
        pagination=offset_pagination(limit, offset, len(rows) > limit),
    )
