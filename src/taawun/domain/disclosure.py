"""What the open data may publish about completed work without telling on anyone (pure).

The open data counts completed orders in cells of (ISO week, currency, sector, area) and
publishes, per cell: orders, the total paid, the median price, the hours of work and the mean
earnings per active hour. Each week and currency forms a small tree of sums: the week's total
(sector and area ``ALL``) is the sum of its sectors' totals (area ``ALL``), and a sector with
areas has a cell per area summing to its total.

Two rules keep a person's business out of the figures:

* **Threshold** (primary suppression): a cell is published only when at least ``K`` distinct
  customers and at least ``K`` distinct workers are behind it; otherwise its figures are left
  empty and it is flagged as suppressed. Fewer people than that and a figure comes close to
  telling what one customer paid or one worker earned.
* **Complementary suppression**: a suppressed cell must not be recoverable by subtracting the
  published cells of its sum from their total. In a tree of sums a hidden cell can be worked out
  exactly when, and only when, some sum has exactly one hidden term (its total or one of its
  parts); so while any sum has exactly one, the published part of that sum behind the fewest
  people is hidden too (a part rather than the total: the totals are the figures most used).

No noise is added: suppression alone is what protects the figures. The threshold is a constant
rather than a Policy rule so that a member decision cannot lower it below what the published
data promised; changing it is a change of the open data's terms.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .errors import InvalidInput, gettext_noop
from .fairness import median
from .money import quantum

K = 10
"""The fewest distinct customers, and the fewest distinct workers, a published cell may have."""

ALL = "all"
"""The sector or area of a total."""

HOURS = Decimal("0.01")
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")

Key = tuple[str, str, str, str]
"""A cell: (week, currency, sector, area)."""


def week_of(day: dt.date) -> str:
    """The ISO week ``day`` falls in, as ``2026-W05``."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> dt.date:
    """The Monday of an ISO week written ``2026-W05``; anything else is refused."""
    found = WEEK_PATTERN.match(text)
    if found is None:
        raise InvalidInput("bad_week", gettext_noop("A week is written like 2026-W05."))
    try:
        return dt.date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        raise InvalidInput("bad_week", gettext_noop("A week is written like 2026-W05.")) from None


@dataclass(frozen=True)
class Sale:
    """One completed order as the open data counts it."""

    week: str
    currency: str
    sector: str
    area: str  # ALL when the sector has no areas
    customer: int
    worker: int
    price: Decimal
    paid: Decimal  # the price and the tip
    hours: Decimal
    earned: Decimal  # the worker's share and the tip


@dataclass
class Tally:
    customers: set[int] = field(default_factory=set)
    workers: set[int] = field(default_factory=set)
    prices: list[Decimal] = field(default_factory=list)
    paid: Decimal = Decimal(0)
    hours: Decimal = Decimal(0)
    earned: Decimal = Decimal(0)

    @property
    def people(self) -> int:
        return min(len(self.customers), len(self.workers))

    def add(self, sale: Sale) -> None:
        self.customers.add(sale.customer)
        self.workers.add(sale.worker)
        self.prices.append(sale.price)
        self.paid += sale.paid
        self.hours += sale.hours
        self.earned += sale.earned


@dataclass(frozen=True)
class Cell:
    week: str
    currency: str
    sector: str
    area: str
    suppressed: bool
    orders: int | None  # None when suppressed, as every figure below
    total_paid: Decimal | None
    median_price: Decimal | None
    hours: Decimal | None
    earnings_per_hour: Decimal | None  # also None when no hours were recorded


def tally(sales: Iterable[Sale]) -> dict[Key, Tally]:
    """Every cell the sales fill: the week's total, each sector's total and, for a sector with
    areas, each area."""
    tallies: dict[Key, Tally] = defaultdict(Tally)
    for sale in sales:
        tallies[(sale.week, sale.currency, ALL, ALL)].add(sale)
        tallies[(sale.week, sale.currency, sale.sector, ALL)].add(sale)
        if sale.area != ALL:
            tallies[(sale.week, sale.currency, sale.sector, sale.area)].add(sale)
    return dict(tallies)


def ordered(key: Key) -> tuple[object, ...]:
    """Sort order of the cells: by week and currency, each total before its parts."""
    return tuple((part != ALL, part) for part in key)


def sums(keys: Iterable[Key]) -> list[tuple[Key, list[Key]]]:
    """The additions the cells make: (total, its parts), for every total with parts."""
    parts: dict[Key, list[Key]] = defaultdict(list)
    for key in keys:
        week, currency, sector, area = key
        if sector == ALL:
            continue
        parent = (week, currency, ALL, ALL) if area == ALL else (week, currency, sector, ALL)
        parts[parent].append(key)
    return [
        (total, sorted(found, key=ordered))
        for total, found in sorted(parts.items(), key=lambda item: ordered(item[0]))
    ]


def suppressed(tallies: dict[Key, Tally], k: int = K) -> set[Key]:
    """The cells to leave empty: those behind fewer than ``k`` people, and as few more as it
    takes so that no sum has exactly one hidden term."""
    hidden = {key for key, found in tallies.items() if found.people < k}
    additions = sums(tallies)
    changed = True
    while changed:
        changed = False
        for total, parts in additions:
            terms = [total, *parts]
            if sum(term in hidden for term in terms) != 1:
                continue
            shown = [part for part in parts if part not in hidden] or [total]
            hidden.add(min(shown, key=lambda key: (tallies[key].people, key)))
            changed = True
    return hidden


def _rounded(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(quantum(currency), ROUND_HALF_UP)


def publish(sales: Sequence[Sale], k: int = K) -> list[Cell]:
    """The open data's cells for ``sales``, sorted by week, currency, sector and area; the
    suppressed ones with no figures."""
    tallies = tally(sales)
    hidden = suppressed(tallies, k)
    cells = []
    for key in sorted(tallies, key=ordered):
        week, currency, sector, area = key
        found = tallies[key]
        if key in hidden:
            cells.append(Cell(week, currency, sector, area, True, None, None, None, None, None))
            continue
        per_hour = _rounded(found.earned / found.hours, currency) if found.hours > 0 else None
        cells.append(
            Cell(
                week=week,
                currency=currency,
                sector=sector,
                area=area,
                suppressed=False,
                orders=len(found.prices),
                total_paid=_rounded(found.paid, currency),
                median_price=_rounded(median(found.prices), currency),
                hours=found.hours.quantize(HOURS, ROUND_HALF_UP),
                earnings_per_hour=per_hour,
            )
        )
    return cells
