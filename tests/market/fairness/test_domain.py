"""The audit's pure figures: exact on small examples, and their properties on any input."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain import fairness
from taawun.domain.dispatch import gini, p10_over_mean
from taawun.domain.errors import InvalidInput

D = Decimal
RATES = [D(20), D(25), D("37.5"), D(40), D(50), D(50)]

rates = st.lists(
    st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False), min_size=1, max_size=60
)


def test_the_figures_of_six_workers() -> None:
    summary = fairness.summarise(list(reversed(RATES)), floor=D(30))
    assert summary.count == 6
    assert summary.mean.quantize(D("0.0001")) == D("37.0833")
    assert summary.median == D("38.75")
    assert summary.p10 == D(20)
    assert summary.p10_over_mean == D("0.5393")  # 20 / 37.0833...
    assert summary.gini == D("0.1704")  # 455 / (2 · 36 · 37.0833...)
    assert summary.below_floor == 2
    assert fairness.summarise(RATES, floor=None).below_floor is None


def test_a_rate_is_earnings_over_hours_never_below_zero() -> None:
    assert fairness.per_hour(D("75.00"), D("2")) == D("37.5")
    assert fairness.per_hour(D("-10.00"), D("2")) == D(0)
    with pytest.raises(InvalidInput):
        fairness.per_hour(D("10.00"), D(0))


def test_the_median_of_an_odd_count_is_the_middle_value() -> None:
    assert fairness.median([D(3), D(1), D(2)]) == D(2)


def test_nothing_to_summarise_is_refused() -> None:
    for figure in (fairness.mean, fairness.median, fairness.histogram):
        with pytest.raises(InvalidInput):
            figure([])
    with pytest.raises(InvalidInput):
        fairness.percentile(RATES, 101)


def test_a_histogram_has_round_bins_from_zero() -> None:
    bins = fairness.histogram(RATES)
    assert [(b.lower, b.upper, b.count) for b in bins] == [
        (D(0), D(5), 0),
        (D(5), D(10), 0),
        (D(10), D(15), 0),
        (D(15), D(20), 0),
        (D(20), D(25), 1),
        (D(25), D(30), 1),
        (D(30), D(35), 0),
        (D(35), D(40), 1),
        (D(40), D(45), 1),
        (D(45), D(50), 0),
        (D(50), D(55), 2),
    ]
    assert [b.count for b in fairness.histogram([D(0), D(0)])] == [2]
    assert fairness.histogram([D("0.003")], least_width=D("0.01"))[0].upper == D("0.01")


def test_groups_under_five_are_suppressed_and_left_out_of_the_gap() -> None:
    women, men = RATES[:5], [D(30), D(40), D(50), D(60), D(70)]
    comparison = fairness.compare_groups(
        {"woman": women, "man": men, "other": [D(90)] * 4, "nobody": []}, D("42.25")
    )
    assert [(g.key, g.count, g.mean) for g in comparison.groups] == [
        ("woman", 5, D("34.5")),
        ("man", 5, D(50)),
        ("other", 4, None),
    ]
    assert comparison.gap_percent is not None
    assert comparison.gap_percent.quantize(D("0.01")) == D("36.69")  # 15.5 / 42.25
    alone = fairness.compare_groups({"woman": women, "man": men[:4]}, D(40))
    assert alone.gap_percent is None


@given(rates)
def test_summary_properties(values: list[Decimal]) -> None:
    summary = fairness.summarise(values, floor=D(30))
    ordered = sorted(values)
    assert summary.count == len(values)
    assert ordered[0] <= summary.p10 <= summary.median <= ordered[-1]
    assert ordered[0] <= summary.mean <= ordered[-1]
    assert summary.p10 in values
    at_or_below = sum(1 for v in values if v <= summary.p10)
    assert at_or_below >= math.ceil(len(values) / 10)
    assert summary.below_floor == sum(1 for v in values if v < 30)
    assert summary.gini == fairness.ratio(gini(values))
    assert summary.p10_over_mean == fairness.ratio(p10_over_mean(values))
    assert D(0) <= summary.gini < D(1)


@given(rates)
def test_histogram_properties(values: list[Decimal]) -> None:
    bins = fairness.histogram(values)
    width = bins[0].upper - bins[0].lower
    assert bins[0].lower == 0
    assert all(b.upper - b.lower == width for b in bins)
    assert all(a.upper == b.lower for a, b in itertools.pairwise(bins))
    assert len(bins) <= fairness.MAX_BINS + 1
    assert sum(b.count for b in bins) == len(values)
    for b in bins:
        assert b.count == sum(1 for v in values if b.lower <= v < b.upper)
    assert width.normalize().as_tuple().digits[0] in {1, 2, 5}


@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]),
        st.lists(st.decimals(min_value=0, max_value=500, places=2), max_size=9),
    ),
    st.decimals(min_value=0, max_value=500, places=2),
)
def test_group_properties(groups: dict[str, list[Decimal]], overall: Decimal) -> None:
    comparison = fairness.compare_groups(groups, overall)
    assert {g.key for g in comparison.groups} == {k for k, v in groups.items() if v}
    for group in comparison.groups:
        assert group.count == len(groups[group.key])
        assert (group.mean is None) == (group.count < fairness.MIN_GROUP)
    shown = [g.mean for g in comparison.groups if g.mean is not None]
    if len(shown) < 2 or overall == 0:
        assert comparison.gap_percent is None
    else:
        assert comparison.gap_percent == (max(shown) - min(shown)) / overall * 100
        assert comparison.gap_percent >= 0
