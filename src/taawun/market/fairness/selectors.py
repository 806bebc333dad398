"""Every read of the fairness audit, with the permission check next to the query.

The audit is open to every member and to the board, like the books it is read from: the
patronage of a period (hours, and what the sales earned each worker: share and tips) and the
orders paid in it. No figure carries a name; a member is shown only where they themself stand.
The page takes the same few queries however many workers there are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy
from taawun.domain import fairness
from taawun.domain.money import Money, quantum
from taawun.domain.policy import Policy
from taawun.ledger.models import Patronage, Period
from taawun.market.models import Order, OrderEvent, Sector, Status

from .models import GROUPS, NOT_A_GROUP, Dimension, SelfReport

PERCENT = Decimal("0.1")
HOURS = Decimal("0.01")


def require_auditor(viewer: User | None) -> None:
    """The audit is open to every member and to the board."""
    require_role(viewer, Role.MEMBER, Role.BOARD)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(PERCENT, ROUND_HALF_UP) if whole else None


def _money(amount: Decimal, currency: str) -> Money:
    return Money(amount.quantize(quantum(currency), ROUND_HALF_UP), currency)


@dataclass(frozen=True)
class Figures:
    """The spread of earnings per hour over the period's workers, each counting once."""

    count: int
    mean: Money
    median: Money
    p10: Money
    p10_over_mean: Decimal
    gini: Decimal
    below_floor: int | None  # None when the policy sets no floor


@dataclass(frozen=True)
class Position:
    """One worker's earnings per hour in the sorted list: no name, only whether it is the
    viewer's."""

    rate: Money
    mine: bool


@dataclass(frozen=True)
class Bar:
    lower: Money
    upper: Money
    count: int


@dataclass(frozen=True)
class SectorWork:
    sector: Sector
    orders: int
    hours: Decimal
    share_percent: Decimal | None  # of all the hours worked in the period


@dataclass(frozen=True)
class TripOffers:
    offered: int
    declined: int

    @property
    def declined_percent(self) -> Decimal | None:
        """None when no offer was recorded (the trips sector may not record them)."""
        return _percent(Decimal(self.declined), Decimal(max(self.offered, self.declined)))


@dataclass(frozen=True)
class GroupLine:
    key: str
    label: str
    count: int
    mean: Money | None  # None: fewer than five workers, not shown


@dataclass(frozen=True)
class DimensionLine:
    dimension: Dimension
    groups: list[GroupLine]
    gap_percent: Decimal | None  # None unless two groups are shown


@dataclass(frozen=True)
class Spread:
    """The spread of earnings per hour in a period: the audit's headline figures and
    histogram, and all the operations room shows of it."""

    currency: str
    floor: Money | None  # None when the policy sets no earnings floor
    figures: Figures | None  # None when nobody worked in the period
    bars: list[Bar]


@dataclass(frozen=True)
class Audit:
    period: Period
    currency: str
    floor: Money | None  # None when the policy sets no earnings floor
    figures: Figures | None  # None when nobody worked in the period
    positions: list[Position]  # lowest first
    bars: list[Bar]
    hours: Decimal
    sectors: list[SectorWork]
    hours_without_order: Decimal
    trips: TripOffers
    dimensions: list[DimensionLine]

    @property
    def my_rank(self) -> int | None:
        """The viewer's place from the lowest (1), when they worked in the period."""
        return next((i for i, p in enumerate(self.positions, 1) if p.mine), None)


@dataclass(frozen=True)
class Worked:
    user: int
    hours: Decimal
    rate: Decimal  # exact earnings per hour


def _worked(period: Period, currency: str) -> list[Worked]:
    """Each member who worked in the period, lowest earnings per hour first."""
    rows = (
        Patronage.objects.filter(period=period, currency=currency, hours__gt=0)
        .order_by("member_id")
        .values_list("member__user_id", "hours", "revenue")
    )
    worked = [
        Worked(user, hours, fairness.per_hour(revenue, hours)) for user, hours, revenue in rows
    ]
    return sorted(worked, key=lambda w: w.rate)  # stable: ties stay in member order


def _figures(rates: list[Decimal], floor: Money | None, currency: str) -> Figures | None:
    if not rates:
        return None
    summary = fairness.summarise(rates, floor.amount if floor else None)
    return Figures(
        count=summary.count,
        mean=_money(summary.mean, currency),
        median=_money(summary.median, currency),
        p10=_money(summary.p10, currency),
        p10_over_mean=summary.p10_over_mean,
        gini=summary.gini,
        below_floor=summary.below_floor,
    )


def _spread(worked: list[Worked], policy: Policy) -> Spread:
    """The one place the spread is worked out, for the audit and the operations room alike."""
    currency = policy.currency
    rule = policy.pricing.earnings_floor
    floor = Money(rule.hourly, currency) if rule.enabled else None
    rates = [w.rate for w in worked]
    bins = fairness.histogram(rates, quantum(currency)) if rates else []
    return Spread(
        currency=currency,
        floor=floor,
        figures=_figures(rates, floor, currency),
        bars=[Bar(_money(b.lower, currency), _money(b.upper, currency), b.count) for b in bins],
    )


def earnings_spread(viewer: User, period: Period) -> Spread:
    """The spread of earnings per hour in ``period`` without the rest of the audit: one query
    on the period's patronage, however many orders the period holds."""
    require_auditor(viewer)
    policy = current_policy().policy
    return _spread(_worked(period, policy.currency), policy)


def _sectors(period: Period, total_hours: Decimal) -> list[SectorWork]:
    """Orders completed and paid in the period (and not refunded), by sector."""
    done = {
        sector: (orders, hours)
        for sector, orders, hours in Order.objects.filter(
            status=Status.COMPLETED, payment__period=period, refund__isnull=True
        )
        .values("sector")
        .annotate(orders=Count("id"), hours=Sum("hours"))
        .values_list("sector", "orders", "hours")
    }
    lines = []
    for sector in Sector:
        orders, summed = done.get(sector.value, (0, None))
        hours = Decimal(summed or 0).quantize(HOURS)
        lines.append(SectorWork(sector, orders, hours, _percent(hours, total_hours)))
    return lines


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _trip_offers(period: Period) -> TripOffers:
    """Offers of trips to workers in the period and how many were declined, as the trips sector
    records them on its orders (none when it does not). The period's days are asked for as a
    range of times, local midnight to local midnight, so the events' (kind, time) index finds
    them (``market/migrations/0002_order_event_kind_at.py``)."""
    counts = dict(
        OrderEvent.objects.filter(
            order__sector=Sector.TRIP,
            kind__in=[OrderEvent.Kind.OFFERED, OrderEvent.Kind.DECLINED],
            at__gte=_midnight(period.starts_on),
            at__lt=_midnight(period.ends_on + dt.timedelta(days=1)),
        )
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return TripOffers(
        offered=counts.get(OrderEvent.Kind.OFFERED, 0),
        declined=counts.get(OrderEvent.Kind.DECLINED, 0),
    )


def _dimensions(period: Period, worked: list[Worked], currency: str) -> list[DimensionLine]:
    """Per dimension, each listed group's mean over the period's workers who reported it
    (suppressed under five) and the gap between the highest and lowest shown group."""
    rates_of: dict[int, list[Decimal]] = defaultdict(list)
    for w in worked:
        rates_of[w.user].append(w.rate)
    reports = SelfReport.objects.filter(
        membership__user__in=Patronage.objects.filter(period=period, hours__gt=0).values(
            "member__user"
        )
    ).values_list("membership__user_id", "dimension", "value")
    grouped: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for user, dimension, value in reports:
        grouped[dimension][value] += rates_of.get(user, [])
    overall = fairness.mean([w.rate for w in worked]) if worked else Decimal(0)
    lines = []
    for dimension, groups in GROUPS.items():
        labels = {key: str(label) for key, label in groups if key not in NOT_A_GROUP}
        comparison = fairness.compare_groups(
            {key: grouped[dimension][key] for key in labels}, overall
        )
        gap = comparison.gap_percent
        lines.append(
            DimensionLine(
                dimension=Dimension(dimension),
                groups=[
                    GroupLine(
                        key=group.key,
                        label=labels[group.key],
                        count=group.count,
                        mean=None if group.mean is None else _money(group.mean, currency),
                    )
                    for group in comparison.groups
                ],
                gap_percent=None if gap is None else gap.quantize(PERCENT, ROUND_HALF_UP),
            )
        )
    return lines


def audit(viewer: User, period: Period) -> Audit:
    """The fairness audit of ``period``, as ``viewer`` may see it."""
    require_auditor(viewer)
    policy = current_policy().policy
    currency = policy.currency
    worked = _worked(period, currency)
    spread = _spread(worked, policy)
    hours = sum((w.hours for w in worked), Decimal(0)).quantize(HOURS)
    sectors = _sectors(period, hours)
    return Audit(
        period=period,
        currency=currency,
        floor=spread.floor,
        figures=spread.figures,
        positions=[Position(_money(w.rate, currency), w.user == viewer.pk) for w in worked],
        bars=spread.bars,
        hours=hours,
        sectors=sectors,
        hours_without_order=max(hours - sum((s.hours for s in sectors), Decimal(0)), Decimal(0)),
        trips=_trip_offers(period),
        dimensions=_dimensions(period, worked, currency),
    )


def my_groups(viewer: User) -> dict[str, str]:
    """The groups the viewer has reported (under any of their memberships), by dimension."""
    return dict(
        SelfReport.objects.filter(membership__user_id=viewer.pk).values_list("dimension", "value")
    )
