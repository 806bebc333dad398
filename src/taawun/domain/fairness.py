"""How evenly earnings are shared: the figures of the fairness audit (pure).

The unit is a worker's earnings per active hour in a period (what the sales earned them, share
and tips, over the hours they worked). The audit describes their spread over workers, each
worker counting once: mean, median, the 10th percentile (nearest rank, as in
``dispatch.p10_over_mean``), p10 over the mean and the Gini coefficient (both from
``dispatch``), and how many fall below an earnings floor. Rates are exact Decimals; the caller
rounds them for display.

Groups are compared only when each has at least ``MIN_GROUP`` workers: a mean over fewer people
comes close to telling one person's earnings, so such a group is reported as suppressed and
left out of the gap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .dispatch import gini, p10_over_mean
from .errors import InvalidInput, gettext_noop

MIN_GROUP = 5
"""The fewest workers a group may have for its mean to be shown."""

MAX_BINS = 10
"""A histogram's bins are at least a tenth of the top value wide (so there are at most 11)."""


def per_hour(earned: Decimal, hours: Decimal) -> Decimal:
    """Earnings per active hour. A correction larger than the period's earnings (a sale of an
    earlier period reversed in this one) counts as nothing earned, never as a negative rate."""
    if hours <= 0:
        raise InvalidInput("no_hours", gettext_noop("Earnings per hour need some hours worked."))
    return max(earned, Decimal(0)) / hours


def _checked(values: Sequence[Decimal]) -> list[Decimal]:
    if not values:
        raise InvalidInput("no_values", gettext_noop("At least one value is needed."))
    return sorted(values)


def mean(values: Sequence[Decimal]) -> Decimal:
    ordered = _checked(values)
    return sum(ordered, start=Decimal(0)) / len(ordered)


def median(values: Sequence[Decimal]) -> Decimal:
    """The middle value; with an even count, the mean of the two middle ones."""
    ordered = _checked(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[Decimal], percent: int) -> Decimal:
    """The nearest-rank percentile: the ⌈n·percent/100⌉-th smallest value (the smallest for 0)."""
    if not 0 <= percent <= 100:
        raise InvalidInput("bad_percent", gettext_noop("A percentile is from 0 to 100."))
    ordered = _checked(values)
    return ordered[max(math.ceil(len(ordered) * percent / 100), 1) - 1]


def ratio(value: float) -> Decimal:
    """A ratio from ``dispatch`` (a float) as an exact Decimal of four places, for display."""
    return Decimal(f"{value:.4f}")


@dataclass(frozen=True)
class Summary:
    count: int
    mean: Decimal
    median: Decimal
    p10: Decimal
    p10_over_mean: Decimal
    gini: Decimal
    below_floor: int | None  # None when there is no floor


def summarise(rates: Sequence[Decimal], floor: Decimal | None) -> Summary:
    """The spread of workers' earnings per hour, and how many earn below ``floor`` (if any)."""
    ordered = _checked(rates)
    return Summary(
        count=len(ordered),
        mean=mean(ordered),
        median=median(ordered),
        p10=percentile(ordered, 10),
        p10_over_mean=ratio(p10_over_mean(ordered)),
        gini=ratio(gini(ordered)),
        below_floor=None if floor is None else sum(1 for rate in ordered if rate < floor),
    )


@dataclass(frozen=True)
class Bin:
    lower: Decimal  # included
    upper: Decimal  # excluded
    count: int


def bin_width(top: Decimal) -> Decimal:
    """The smallest of 1, 2 or 5 times a power of ten that is at least ``top`` / MAX_BINS (1 when
    ``top`` is 0): round edges a person can read."""
    if top < 0:
        raise InvalidInput("negative_value", gettext_noop("Values cannot be negative."))
    if top == 0:
        return Decimal(1)
    raw = top / MAX_BINS
    step = Decimal(1).scaleb(raw.adjusted())
    return next(m * step for m in (1, 2, 5, 10) if m * step >= raw)


def histogram(values: Sequence[Decimal], least_width: Decimal = Decimal(0)) -> list[Bin]:
    """Equal bins from zero with round edges (at least ``least_width`` wide, say a currency's
    minor unit), the last holding the largest value; every bin up to it is listed, empty ones
    too, so the chart's axis is even."""
    ordered = _checked(values)
    if ordered[0] < 0:
        raise InvalidInput("negative_value", gettext_noop("Values cannot be negative."))
    width = max(bin_width(ordered[-1]), least_width)
    counts = [0] * (int(ordered[-1] // width) + 1)
    for value in ordered:
        counts[int(value // width)] += 1
    return [Bin(i * width, (i + 1) * width, count) for i, count in enumerate(counts)]


@dataclass(frozen=True)
class Group:
    key: str
    count: int
    mean: Decimal | None  # None: fewer than MIN_GROUP, not shown


@dataclass(frozen=True)
class Comparison:
    groups: list[Group]
    gap_percent: Decimal | None  # None unless two groups are shown and the mean is above 0


def compare_groups(
    rates_by_group: Mapping[str, Sequence[Decimal]], overall_mean: Decimal
) -> Comparison:
    """Each group's mean earnings per hour (suppressed under MIN_GROUP workers) and the gap
    between the highest and lowest shown group as a percentage of ``overall_mean``."""
    groups = [
        Group(key, len(rates), mean(rates) if len(rates) >= MIN_GROUP else None)
        for key, rates in rates_by_group.items()
        if rates
    ]
    shown = [group.mean for group in groups if group.mean is not None]
    gap = None
    if len(shown) >= 2 and overall_mean > 0:
        gap = (max(shown) - min(shown)) / overall_mean * 100
    return Comparison(groups, gap)
