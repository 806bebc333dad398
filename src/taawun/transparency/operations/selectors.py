"""The operations room: how the co-op is doing right now, for its members and the board.

Every figure comes from the selector that already owns it, so the room can never disagree with
the page it summarises: the earnings spread is the fairness audit's own spread of the current
period (read from the period's patronage, without the rest of the audit, which reads the
period's orders), the fees and funds are the books' income statement and fund balances (read
from the accounts' running balances), the pending decisions are governance's open proposals.

The order counts are the room's own, and they are the part that grows with the co-op: a year
of a busy co-op is a million orders, and counting twelve weeks of them (a quarter of a million)
on every visit takes longer than the whole page may. Two facts keep them cheap and exact:

* An order's placing time never changes and orders are never deleted, so the counts of a week
  that has ended are final. Each such week is counted once, by sector, and kept in the cache
  (the shared one when configured) under its Monday and the time zone, for as long as it stays
  in the series; a rollup table would hold the same numbers but need a job to fill it.
* The days still changing (the current week, and the last seven days for the weekly figure)
  are counted live on every visit, grouped by day and sector in the database.

Both counts go through an index on (placed at, sector) that this app adds
(``migrations/0001_order_placed_index.py``), so the database reads only the index entries of
the days asked for, never the older orders. Orders waiting for a worker are counted through the
market's own (sector, status) index. ``benchmarks/operations.py`` measures the page at a
million orders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, F
from django.db.models.functions import TruncDate
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.domain import ledger as books
from taawun.domain.money import Money
from taawun.governance import selectors as governance
from taawun.governance.models import Proposal
from taawun.ledger import selectors as ledger
from taawun.ledger.models import Period
from taawun.market.fairness import selectors as fairness
from taawun.market.models import Order, Sector, Status

WEEKS = 12
"""How many weeks the weekly series shows, the current one included."""

WAITING = (Status.REQUESTED, Status.OFFERED)
"""Open orders no worker has committed to yet."""

FEES = (books.MEMBER_BUSINESS_INCOME, books.NON_MEMBER_INCOME)

KEEP_WEEKS = (WEEKS + 1) * 7 * 24 * 3600
"""How long an ended week's counts are kept: until it has left the series."""


def require_room_viewer(viewer: User | None) -> None:
    """The room is open to every member and to the board."""
    require_role(viewer, Role.MEMBER, Role.BOARD)


@dataclass(frozen=True)
class SectorNow:
    sector: Sector
    today: int
    last_7_days: int
    waiting: int  # open orders waiting for a worker


@dataclass(frozen=True)
class Week:
    starts_on: dt.date  # a Monday
    counts: list[int]  # orders placed, one per sector in the order of ``Sector``

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Room:
    at: dt.datetime
    sectors: list[SectorNow]
    weeks: list[Week]  # oldest first, the current week last
    period: Period | None  # the books' current period; None before the books have one
    earnings: fairness.Spread | None
    fees: list[ledger.ReportLine]  # the co-op's fee income in the period
    funds: list[tuple[books.AccountSpec, Money]]
    decisions: list[Proposal]  # under discussion or voting, closing soonest first

    @property
    def total_today(self) -> int:
        return sum(s.today for s in self.sectors)

    @property
    def total_last_7_days(self) -> int:
        return sum(s.last_7_days for s in self.sectors)

    @property
    def total_waiting(self) -> int:
        return sum(s.waiting for s in self.sectors)


def _placed_by_day(first: dt.date, last: dt.date | None = None) -> dict[tuple[dt.date, str], int]:
    """Orders placed on each day from ``first`` (up to, not including, ``last``), by sector,
    in local time: one query."""
    orders = Order.objects.filter(created_at__gte=_midnight(first))
    if last is not None:
        orders = orders.filter(created_at__lt=_midnight(last))
    rows = (
        orders.annotate(day=TruncDate("created_at"))
        .values("day", "sector")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("day", "sector", "n")
    )
    return {(day, sector): n for day, sector, n in rows}


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _by_sector(placed: dict[tuple[dt.date, str], int], first: dt.date, days: int) -> list[int]:
    """The orders placed in ``days`` days from ``first``, one count per sector."""
    dates = [first + dt.timedelta(days=n) for n in range(days)]
    return [sum(placed.get((day, sector.value), 0) for day in dates) for sector in Sector]


def _ended_weeks(mondays: list[dt.date]) -> dict[dt.date, list[int]]:
    """The counts of weeks that have ended, by sector: from the cache, the missing ones counted
    in one query and kept."""
    keys = {
        monday: f"operations:week:{timezone.get_current_timezone_name()}:{monday}"
        for monday in mondays
    }
    found = cache.get_many(list(keys.values()))
    weeks = {monday: found[key] for monday, key in keys.items() if key in found}
    missing = [monday for monday in mondays if monday not in weeks]
    if missing:
        placed = _placed_by_day(missing[0], missing[-1] + dt.timedelta(weeks=1))
        counted = {monday: _by_sector(placed, monday, 7) for monday in missing}
        cache.set_many({keys[monday]: counts for monday, counts in counted.items()}, KEEP_WEEKS)
        weeks.update(counted)
    return weeks


def _waiting() -> dict[str, int]:
    """Naming every sector lets the database use the market's (sector, status) index."""
    rows = (
        Order.objects.filter(sector__in=Sector.values, status__in=WAITING)
        .values("sector")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("sector", "n")
    )
    return dict(rows)


def orders_now(today: dt.date) -> tuple[list[SectorNow], list[Week]]:
    """Orders placed today and in the last seven days, waiting orders, and the weekly series
    of the last ``WEEKS`` weeks, per sector."""
    week_ago = today - dt.timedelta(days=6)
    live_from = week_ago - dt.timedelta(days=week_ago.weekday())  # a Monday
    this_monday = today - dt.timedelta(days=today.weekday())
    mondays = [this_monday - dt.timedelta(weeks=n) for n in reversed(range(WEEKS))]
    ended = _ended_weeks([monday for monday in mondays if monday < live_from])
    live = _placed_by_day(live_from)
    waiting = _waiting()
    today_counts = _by_sector(live, today, 1)
    recent = _by_sector(live, week_ago, 7)
    sectors = [
        SectorNow(sector, today_counts[i], recent[i], waiting.get(sector.value, 0))
        for i, sector in enumerate(Sector)
    ]
    weeks = [
        Week(monday, ended[monday] if monday in ended else _by_sector(live, monday, 7))
        for monday in mondays
    ]
    return sectors, weeks


def _open_decisions(viewer: User) -> list[Proposal]:
    return list(
        governance.proposals(viewer, status="open").order_by(
            F("closes_at").asc(nulls_last=True), "number"
        )
    )


def room(viewer: User) -> Room:
    """The operations room as ``viewer`` sees it; refuses anyone but members and the board."""
    require_room_viewer(viewer)
    sectors, weeks = orders_now(timezone.localdate())
    period = ledger.period_or_current(viewer, None)
    fees: list[ledger.ReportLine] = []
    earnings = None
    if period is not None:
        earnings = fairness.earnings_spread(viewer, period)
        income = ledger.income_statement(viewer, period).income
        fees = [line for line in income.lines if line.spec.purpose in FEES]
    return Room(
        at=timezone.now(),
        sectors=sectors,
        weeks=weeks,
        period=period,
        earnings=earnings,
        fees=fees,
        funds=ledger.fund_balances(viewer),
        decisions=_open_decisions(viewer),
    )
