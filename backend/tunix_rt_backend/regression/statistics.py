"""The regression gate's statistics: two evaluations of the same items, compared item
by item. Pure functions: paired values in, a report out.

`d_i` is the change of item i in the metric's good direction (current - baseline, or
baseline - current when lower is better), so d < 0 is a regression. With n paired items:

- right/wrong metrics (every value 0 or 1): b items got worse, c got better. The test is
  the exact McNemar test, a two-sided binomial test of b against b + c trials at 1/2;
  the 95% interval of the difference (c - b)/n is Newcombe's hybrid score interval for
  paired proportions (method 10, from the two Wilson intervals and the phi correlation).
- graded metrics: a paired bootstrap of the mean of d (RESAMPLES resamples of the items,
  seeded); the interval is the 2.5 and 97.5 percentiles, p twice the smaller tail share
  at 0.

The decision (non-inferiority with margin m > 0, at ALPHA):
- fail: significantly worse (p < ALPHA, the difference below 0) and the interval's
  lower bound at or below -m: a regression that the margin does not cover;
- pass: the interval's lower bound above -m: any drop is smaller than the margin;
- inconclusive: neither; the interval reaches past -m and the data cannot tell.

The minimum detectable difference (80% power, two-sided ALPHA) is
(z_{1-ALPHA/2} + z_{0.8}) * sd(d) / sqrt(n), with sd(d) at least that of one discordant
item in n (identical answers would otherwise claim any difference detectable).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tunix_rt_backend.evaluation.scoring import Z95, wilson

ALPHA = 0.05
Z_HALF_ALPHA = Z95  # z at 1 - ALPHA/2
Z_POWER_80 = 0.8416212335729143  # z at 0.80
RESAMPLES = 10_000
BOOTSTRAP_SEED = 20_261_130
# Resamples drawn at once: memory of RESAMPLE_BLOCK x n indices.
RESAMPLE_BLOCK = 500

Verdict = Literal["pass", "fail", "inconclusive"]
Test = Literal["mcnemar_exact", "paired_bootstrap"]


@dataclass(frozen=True)
class Pair:
    """One item's metric value in the baseline's evaluation and the current one."""

    baseline: float
    current: float


@dataclass(frozen=True)
class PairedReport:
    n: int
    b: int  # items that got worse
    c: int  # items that got better
    test: Test
    p_value: float
    low: float  # 95% interval of current - baseline, in the metric's units
    high: float
    difference: float  # current - baseline, mean over the paired items
    margin: float
    minimum_detectable: float
    verdict: Verdict
    reason: str
    resamples: int | None
    seed: int | None


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: P(a Binomial(b + c, 1/2) is as far from its
    middle as min(b, c)), doubled, at most 1."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    log_half = n * math.log(0.5)
    logs = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half
        for i in range(k + 1)
    ]
    top = max(logs)
    tail = math.exp(top) * math.fsum(math.exp(v - top) for v in logs)
    return min(1.0, 2.0 * tail)


def newcombe_paired(both: int, b: int, c: int, neither: int) -> tuple[float, float]:
    """95% interval of p_current - p_baseline for paired right/wrong items (Newcombe
    1998, method 10): `both` right in each, b right only in the baseline, c right only
    in the current one, `neither` right in none."""
    n = both + b + c + neither
    p1, p2 = (both + b) / n, (both + c) / n  # baseline, current
    l1, u1 = wilson(both + b, n)
    l2, u2 = wilson(both + c, n)
    # phi, the correlation of the two, with Newcombe's correction of its numerator.
    denominator = (both + b) * (c + neither) * (both + c) * (b + neither)
    cross = both * neither - b * c
    numerator = cross - n / 2 if cross > n / 2 else min(cross, 0)
    phi = numerator / math.sqrt(denominator) if denominator else 0.0
    d = p2 - p1
    below = math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    above = math.sqrt(max(0.0, (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2))
    return max(-1.0, d - below), min(1.0, d + above)


def paired_bootstrap(
    differences: Sequence[float], resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float, float]:
    """(low, high, p) of the mean difference: the 2.5/97.5 percentiles of the means of
    `resamples` resamples of the items, and twice the smaller share of means on either
    side of 0 (at most 1)."""
    d = np.asarray(differences, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, RESAMPLE_BLOCK):
        rows = min(RESAMPLE_BLOCK, resamples - start)
        picks = rng.integers(0, len(d), size=(rows, len(d)))
        means[start : start + rows] = d[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    tail = min(float(np.mean(means <= 0)), float(np.mean(means >= 0)))
    return float(low), float(high), min(1.0, 2.0 * tail)


def minimum_detectable(differences: Sequence[float], floor_sd: float) -> float:
    n = len(differences)
    mean = math.fsum(differences) / n
    var = math.fsum((x - mean) ** 2 for x in differences) / (n - 1) if n > 1 else 0.0
    sd = max(math.sqrt(var), floor_sd)
    return (Z_HALF_ALPHA + Z_POWER_80) * sd / math.sqrt(n)


def compare(
    pairs: Sequence[Pair], margin: float, lower_is_better: bool, seed: int = BOOTSTRAP_SEED
) -> PairedReport:
    """The paired report of `pairs` (at least one) against a margin (> 0, in the
    metric's units)."""
    sign = -1.0 if lower_is_better else 1.0
    n = len(pairs)
    raw = [p.current - p.baseline for p in pairs]
    better = [sign * r for r in raw]  # > 0: improved
    b = sum(1 for x in better if x < 0)
    c = sum(1 for x in better if x > 0)
    difference = math.fsum(raw) / n
    binary = all(v in (0.0, 1.0) for p in pairs for v in (p.baseline, p.current))
    if binary:
        both = sum(1 for p in pairs if p.baseline == 1.0 and p.current == 1.0)
        low, high = newcombe_paired(both, *_worse_better_raw(pairs), n - both - b - c)
        p_value = mcnemar_exact(b, c)
        test: Test = "mcnemar_exact"
        resamples, used_seed = None, None
    else:
        low, high, p_value = paired_bootstrap(raw, seed=seed)
        test, resamples, used_seed = "paired_bootstrap", RESAMPLES, seed
    # The interval's worst plausible change, in the good direction.
    worst = -high if lower_is_better else low
    spread = max((abs(x) for x in raw), default=0.0) or 1.0
    mdd = minimum_detectable(better, floor_sd=spread * math.sqrt(1 / n))
    verdict, reason = _decide(
        sign * difference, worst, (low, high), p_value, margin, mdd, n, lower_is_better
    )
    return PairedReport(
        n, b, c, test, p_value, low, high, difference, margin, mdd, verdict, reason,
        resamples, used_seed,
    )  # fmt: skip


def _worse_better_raw(pairs: Sequence[Pair]) -> tuple[int, int]:
    """(right only in the baseline, right only in the current) for right/wrong values."""
    b = sum(1 for p in pairs if p.baseline == 1.0 and p.current == 0.0)
    c = sum(1 for p in pairs if p.baseline == 0.0 and p.current == 1.0)
    return b, c


def _decide(
    change: float,
    worst: float,
    raw: tuple[float, float],
    p: float,
    margin: float,
    mdd: float,
    n: int,
    lower_is_better: bool,
) -> tuple[Verdict, str]:
    """The verdict (from `change` and `worst`, in the good direction) and its reason, in
    the metric's own signs (`raw`: the interval of current - baseline)."""
    interval = f"95% interval of the change [{raw[0]:+.4g}, {raw[1]:+.4g}]"
    bound = f"+{margin:.4g}" if lower_is_better else f"-{margin:.4g}"
    worse = "higher" if lower_is_better else "lower"
    if change < 0 and p < ALPHA and worst <= -margin:
        return "fail", (
            f"significantly worse (p = {p:.3g} < {ALPHA}) and the {interval} reaches "
            f"past the margin {bound}"
        )
    if worst > -margin:
        note = (
            f" (significantly worse, p = {p:.3g}, but within it)"
            if change < 0 and p < ALPHA
            else ""
        )
        side = "below" if lower_is_better else "above"
        return "pass", f"the {interval} stays {side} the margin {bound}{note}"
    return "inconclusive", (
        f"the {interval} reaches past the margin {bound} ({worse} is worse) without a "
        f"significant drop (p = {p:.3g}); with n = {n} items a change of {mdd:.4g} is "
        "detected 80% of the time"
        + (": more items are needed to decide at this margin" if mdd > margin else "")
    )
