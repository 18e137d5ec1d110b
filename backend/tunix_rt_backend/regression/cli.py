"""`tunix-rt regression check|baseline`: the gate for pipelines.

`check` prints the report and exits 0 on pass, 1 on fail, 2 on inconclusive, and 3 when
no check could be made (an unknown baseline or run, no completed evaluation)."""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tunix_rt_backend.db.engine import session_scope
from tunix_rt_backend.errors import AppError
from tunix_rt_backend.regression import service
from tunix_rt_backend.regression.schemas import (
    BaselineRequest,
    CheckReport,
    CheckRequest,
    MetricName,
)
from tunix_rt_backend.settings import Settings

Maker = async_sessionmaker[AsyncSession]
RunWithMaker = Callable[[Settings, Callable[[Maker], Awaitable[Any]]], Any]
EXIT_CODES = {"pass": 0, "fail": 1, "inconclusive": 2}
EXIT_NO_CHECK = 3
FLIPPED_SHOWN = 10


def add_commands(sub: Any, run: RunWithMaker) -> None:
    """Register the commands; `run(settings, work)` runs `work(sessionmaker)`."""
    regression = sub.add_parser("regression", help="regression gates").add_subparsers(required=True)
    check = regression.add_parser(
        "check",
        help="check a run against a baseline: exit 0 pass, 1 fail, 2 inconclusive, 3 no check",
    )
    check.add_argument("--baseline", required=True, help="the baseline's name")
    check.add_argument("--run", required=True, type=uuid.UUID, help="the run's id")
    check.add_argument("--evaluation", type=uuid.UUID, help="the run's evaluation to check")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(handler=lambda s, a: _gate(run, s, a))

    baseline = regression.add_parser("baseline", help="set a baseline (again)")
    baseline.add_argument("--name", required=True)
    baseline.add_argument("--run", required=True, type=uuid.UUID)
    baseline.add_argument("--metric", default="primary_score")
    baseline.add_argument("--margin", type=float, help="default: 5%% of the baseline's value")
    baseline.add_argument("--judge", help="pin the run's evaluation by this judge")
    baseline.set_defaults(handler=lambda s, a: _set(run, s, a))


def _gate(run: RunWithMaker, settings: Settings, args: argparse.Namespace) -> int:
    request = CheckRequest(
        run_id=args.run, baseline_name=args.baseline, evaluation_id=args.evaluation
    )
    try:
        report: CheckReport = run(settings, lambda maker: _in_session(maker, request))
    except AppError as exc:
        print(f"tunix-rt: no check: {exc}", file=sys.stderr)
        return EXIT_NO_CHECK
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(render(report))
    return EXIT_CODES[report.verdict]


async def _in_session(maker: Maker, request: CheckRequest) -> CheckReport:
    async with session_scope(maker) as session:
        return await service.check(session, request)


def _set(run: RunWithMaker, settings: Settings, args: argparse.Namespace) -> None:
    metric: MetricName = args.metric
    request = BaselineRequest(
        name=args.name, run_id=args.run, metric=metric, margin=args.margin, judge=args.judge
    )

    async def work(maker: Maker) -> Any:
        async with session_scope(maker) as session:
            return await service.set_baseline(session, request)

    baseline, created = run(settings, work)
    print(
        f"{'created' if created else 'updated'} baseline {baseline.name} (version "
        f"{baseline.version}): run {baseline.run_id}, {baseline.metric} = {baseline.value:.4g} "
        f"by {baseline.judge.name} {baseline.judge.version}, margin {baseline.margin:.4g}"
    )


def render(report: CheckReport) -> str:
    """The report as a person reads it in a pipeline's log."""
    lines = [
        f"{report.verdict.upper()}: run {report.run_id} against baseline "
        f"{report.baseline_name} (version {report.baseline_version}, run "
        f"{report.baseline_run_id}) on {report.metric_name}",
        f"  baseline {report.baseline_value:.4g}, current {_num(report.current_value)}, "
        f"delta {_num(report.delta, '+.4g')} ({_num(report.delta_percent, '+.1f')}%)",
    ]
    if report.comparable and report.interval is not None:
        lines += [
            f"  {report.n} items paired ({report.n_excluded} left out): {report.b} worse, "
            f"{report.c} better; {report.test} p = {_num(report.p_value, '.3g')}",
            f"  95% interval of the change [{report.interval.low:+.4g}, "
            f"{report.interval.high:+.4g}], margin {report.margin:.4g}, detectable at 80% "
            f"power {_num(report.minimum_detectable_difference)}",
        ]
    lines += [f"  {reason}" for reason in report.reasons]
    if report.flipped:
        lines.append(f"  flipped items ({len(report.flipped)}):")
        for item in report.flipped[:FLIPPED_SHOWN]:
            lines.append(
                f"    {item.direction:6} #{item.index} trace {item.trace_id}: expected "
                f"{item.expected!r}, was {item.baseline_extracted!r}, now "
                f"{item.current_extracted!r}"
            )
        if len(report.flipped) > FLIPPED_SHOWN:
            lines.append(f"    … {len(report.flipped) - FLIPPED_SHOWN} more (--json for all)")
    return "\n".join(lines)


def _num(value: float | None, spec: str = ".4g") -> str:
    return "n/a" if value is None else format(value, spec)
