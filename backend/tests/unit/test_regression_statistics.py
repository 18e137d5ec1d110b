"""The regression gate's statistics against hand-computed cases."""

from __future__ import annotations

import pytest

from tunix_rt_backend.regression.statistics import (
    Pair,
    compare,
    mcnemar_exact,
    newcombe_paired,
    paired_bootstrap,
)


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        (0, 0, 1.0),  # nothing changed
        (1, 5, 2 * (1 + 6) / 2**6),  # 2 * P(X <= 1), X ~ Binomial(6, 1/2)
        (5, 1, 2 * (1 + 6) / 2**6),  # two-sided: the same either way
        (0, 6, 2 / 2**6),
        (2, 10, 2 * (1 + 12 + 66) / 2**12),
        (3, 3, 1.0),  # doubled tail past 1 is 1
        (40, 61, 0.046044066929342785),  # statsmodels' mcnemar(exact=True) agrees
    ],
)
def test_mcnemar_exact_p_values(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-12)


def test_newcombe_interval_of_altmans_worked_example() -> None:
    # Altman et al., Statistics with Confidence, table 6.2: 14 both, 5 first only,
    # 0 second only, 22 neither; the first minus the second is 0.122 (0.0115 to 0.2265).
    # Here the first is the baseline: current - baseline is its negative.
    low, high = newcombe_paired(both=14, b=5, c=0, neither=22)
    assert (low, high) == pytest.approx((-0.22649, -0.011483), abs=1e-5)


def test_newcombe_interval_of_identical_answers_is_narrow_and_holds_zero() -> None:
    low, high = newcombe_paired(both=128, b=0, c=0, neither=32)
    assert low < 0 < high
    assert low == pytest.approx(-high)
    assert high < 0.02


def test_paired_bootstrap_of_two_items() -> None:
    # Resampling [0, 1]: means 0, 0.5, 1 with chances 1/4, 1/2, 1/4, so the 2.5% and
    # 97.5% points are 0 and 1, and a mean at or below 0 a quarter of the time.
    low, high, p = paired_bootstrap([0.0, 1.0], resamples=10_000, seed=7)
    assert (low, high) == (0.0, 1.0)
    assert p == pytest.approx(0.5, abs=0.03)
    # Seeded: the same every time.
    assert paired_bootstrap([0.0, 0.3, 1.0], seed=7) == paired_bootstrap([0.0, 0.3, 1.0], seed=7)


def test_paired_bootstrap_of_a_constant_change() -> None:
    low, high, p = paired_bootstrap([0.25] * 50)
    assert (low, high) == pytest.approx((0.25, 0.25))
    assert p == 0.0


def _pairs(both: int, worse: int, better: int, neither: int) -> list[Pair]:
    return (
        [Pair(1, 1)] * both + [Pair(1, 0)] * worse + [Pair(0, 1)] * better + [Pair(0, 0)] * neither
    )


def test_identical_answers_pass_with_nothing_flipped() -> None:
    report = compare(_pairs(128, 0, 0, 32), margin=0.04, lower_is_better=False)
    assert (report.verdict, report.b, report.c, report.n) == ("pass", 0, 0, 160)
    assert report.test == "mcnemar_exact"
    assert report.p_value == 1.0
    assert report.difference == 0.0
    assert 0 < report.minimum_detectable < 0.04


def test_a_clear_drop_fails() -> None:
    report = compare(_pairs(70, 58, 2, 30), margin=0.04, lower_is_better=False)
    assert report.verdict == "fail"
    assert (report.b, report.c) == (58, 2)
    assert report.difference == pytest.approx(-56 / 160)
    assert report.p_value < 1e-10
    assert report.high < 0
    assert "significantly worse" in report.reason


def test_too_few_items_are_inconclusive() -> None:
    report = compare(_pairs(8, 1, 0, 1), margin=0.04, lower_is_better=False)
    assert report.verdict == "inconclusive"
    assert report.minimum_detectable > 0.04
    assert "more items are needed" in report.reason


def test_a_significant_drop_within_the_margin_passes_and_says_so() -> None:
    report = compare(_pairs(7000, 300, 200, 2500), margin=0.04, lower_is_better=False)
    assert report.p_value < 0.05
    assert report.verdict == "pass"
    assert "significantly worse" in report.reason and "within it" in report.reason


def test_graded_scores_use_the_paired_bootstrap() -> None:
    pairs = [Pair(0.8, 0.8 - 0.3 * (i % 2)) for i in range(100)]
    report = compare(pairs, margin=0.04, lower_is_better=False)
    assert report.test == "paired_bootstrap"
    assert (report.resamples, report.seed) == (10_000, 20_261_130)
    assert report.verdict == "fail"
    assert report.difference == pytest.approx(-0.15)
    assert report.low < -0.15 < report.high < 0


def test_lower_is_better_turns_the_direction() -> None:
    longer = [Pair(20.0, 30.0 + i % 3) for i in range(60)]
    assert compare(longer, margin=1.0, lower_is_better=True).verdict == "fail"
    assert compare(longer, margin=1.0, lower_is_better=False).verdict == "pass"
    shorter = [Pair(30.0, 20.0 + i % 3) for i in range(60)]
    report = compare(shorter, margin=1.0, lower_is_better=True)
    assert (report.verdict, report.b, report.c) == ("pass", 0, 60)
    # The reason in the metric's own signs: fewer tokens, a negative change.
    assert report.high < 0
    assert report.reason.startswith("the 95% interval of the change [-")
    assert "stays below the margin +1" in report.reason
