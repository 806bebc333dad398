"""The impact preview of a policy change (pure): recent paid orders replayed under the current
rules and under the proposed ones, side by side, before the members vote.

The seed texts warn that a vote can become self-exploitation (members cutting their own pay
under pressure), so a proposal is shown with what it would have done to the work actually done
lately: what workers earn, what customers pay, the co-op's fees, the solidarity fund, the
surplus split and the spread of earnings per active hour, per member and in all.

Each order is priced again by the pricing engine itself (``pricing.quote_*``), called once per
distinct input (trips repeat the same few distances, services the same few durations): trips
from their estimated km and minutes, services from their booked hours, late-cancellation fees
from the booking they cancelled, licences from the licence prices. Projects and products keep
their agreed price and are split again by :func:`split`, the receipt's rule over many prices at
once (a property test holds it equal to ``receipt.breakdown``). Tips never change. Amounts are
whole minor units in int64 arrays while adding up and ``Money`` in the result; floats appear only
in the spread statistics (the Gini coefficient and p10 over the mean).

For each side the earnings floor's top-ups (``pricing.earnings_top_up``) are worked out in
windows of the floor's ``period_days`` counted back from the last day replayed; the surplus is
shared (``surplus.allocate_surplus``) as if the replayed weeks were a period of their own; the
spread is ``fairness.summarise``. Whether a member falls below the floor is judged on their
earnings per active hour over all the replayed weeks, against one yardstick on both sides: the
proposed floor, or the current one when the proposal turns the floor off.

When the dispatch rules change, each trip's first dispatch batch is solved again from its
recorded inputs (:class:`BatchTable`) by the batch's own rule (:func:`assign_avoiding`), under
both rules (:func:`replay_dispatch`). Only first offers are replayed: a trip whose first offer
the current rules do not reproduce (its worker declined, or the batch ran under other rules)
stays with the worker who did it. A trip the proposed rules give to another worker goes to that
worker on the proposed side, with its worker's share, tip and hours; one they would leave
unassigned stays with its worker and is counted (it would have waited for a later batch).

What cannot be replayed is said in the result rather than guessed: trips whose batch was not
recorded (dispatched before batches kept their inputs, or taken directly), surge (demand is
measured only while surge is on, and kept only in words on each receipt), bookings cancelled
free of charge, and how people would have acted at other prices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from . import dispatch, geo
from .errors import InvalidInput, gettext_noop
from .explanation import Line
from .fairness import Bin, Summary, bin_width, histogram, per_hour, summarise
from .money import MINOR_UNITS, Money, check_currency, quantum
from .policy import DispatchRules, FeeRules, Policy
from .pricing import (
    earnings_top_up,
    late_cancellation_fee,
    quote_agreed,
    quote_licence,
    quote_service,
    quote_trip,
)
from .receipt import Breakdown
from .surplus import Patronage, SurplusAllocation, allocate_surplus

SECTORS = ("service", "trip", "project", "product", "work")
"""The marketplace's sectors, in the order of the codes in ``OrderTable.sector``."""
SERVICE, TRIP, PROJECT, PRODUCT, WORK = range(len(SECTORS))

MAX_UNITS = 10**12
"""The largest price or tip, in minor units, the int64 arithmetic here holds with room to spare
(ten thousand million shekels)."""

MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)
UNVERSIONED = 0  # the quotes here are compared, never stored: no policy version to record

# The parts of a price, as columns of a parts matrix (each row sums to the price).
PRICE, TAX, COOP_FEE, SOLIDARITY, WORKER_SHARE = range(5)
NOT_CHARGED = (0, 0, 0, 0, 0)

Int64s = NDArray[np.int64]


# --- the input ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OrderTable:
    """Completed, paid orders as columns, one row per order: what the replay needs of them.

    Amounts are whole minor units of ``currency``; hours are hundredths of an hour. The columns
    a sector does not use hold anything (zeros, -1 for ``licence``).
    """

    currency: str
    order_id: Int64s
    worker: Int64s  # the member who did the work (their key in the member register)
    sector: Int64s  # an index into SECTORS
    day: NDArray[np.datetime64]  # the day the sale went into the books
    price: Int64s  # as charged, taxes included, tip excluded
    tip: Int64s
    hours: Int64s  # hours of work counted for the worker
    km: Int64s  # trips: the estimated distance quoted, in tenths of a km
    minutes: Int64s  # trips: the estimated minutes quoted
    booked_hours: Int64s  # services: the hours booked; late fees: those of the booking cancelled
    late_fee: NDArray[np.bool_]  # a service order that is a late cancellation's fee
    notice: Int64s  # late fees: microseconds from the cancellation to the booked start
    licence: Int64s  # works: an index into licence_keys
    licence_keys: tuple[str, ...]
    # the trips' recorded dispatch batches, read only when the dispatch rules change
    dispatch_batches: Callable[[], BatchTable] | None = None

    def __post_init__(self) -> None:
        check_currency(self.currency)
        for name in (
            "order_id",
            "worker",
            "sector",
            "price",
            "tip",
            "hours",
            "km",
            "minutes",
            "booked_hours",
            "notice",
            "licence",
        ):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        object.__setattr__(self, "day", np.asarray(self.day, dtype="datetime64[D]"))
        object.__setattr__(self, "late_fee", np.asarray(self.late_fee, dtype=np.bool_))
        object.__setattr__(self, "licence_keys", tuple(self.licence_keys))
        wrong = self._inconsistent()
        if wrong is not None:
            raise InvalidInput(
                "bad_order_table",
                gettext_noop("The orders to replay are not consistent: %(column)s."),
                column=wrong,
            )

    def _inconsistent(self) -> str | None:
        """The first column that does not fit the others, if any."""
        size = len(self.order_id)
        arrays = [
            n
            for n in self.__dataclass_fields__
            if n not in ("currency", "licence_keys", "dispatch_batches")
        ]
        if any(getattr(self, name).shape != (size,) for name in arrays):
            return "lengths"
        licences = self.licence[self.sector == WORK]
        checks = {
            "sector": (self.sector < 0) | (self.sector >= len(SECTORS)),
            "price": (self.price <= 0) | (self.price > MAX_UNITS),
            "tip": (self.tip < 0) | (self.tip > MAX_UNITS),
            "hours": (self.hours < 0) | (self.booked_hours < 0),
            "km": (self.km < 0) | (self.minutes < 0),
            "late_fee": self.late_fee & (self.sector != SERVICE),
            "licence": (licences < 0) | (licences >= len(self.licence_keys)),
        }
        return next((name for name, bad in checks.items() if bad.any()), None)

    def __len__(self) -> int:
        return len(self.order_id)


# --- the receipt's split, over many prices at once ---------------------------------------------


def _ratio(percent: Decimal) -> tuple[int, int]:
    """A percentage as an exact fraction of whole numbers; a policy's have at most two decimals,
    so the denominator is at most 100 and nothing below overflows int64."""
    numerator, denominator = Fraction(percent).as_integer_ratio()
    assert denominator <= 100, percent
    return numerator, denominator


def _half_up(numerator: Int64s, denominator: Int64s | int) -> Int64s:
    """numerator / denominator rounded half-up, for non-negative numerators."""
    return (2 * numerator + denominator) // (2 * denominator)


def split(prices: Int64s, rules: FeeRules) -> Int64s:
    """``receipt.breakdown`` of each price (whole minor units, each above zero) as the rows of a
    parts matrix: price, tax, co-op fee, solidarity share, worker's share. Exact, as the receipt:
    the price before tax is price * 100 / (100 + tax %) rounded half-up and the tax the rest; the
    fee and the solidarity share are percentages of the price before tax rounded half-up, the
    solidarity share giving way so that no part is negative; the worker gets the remainder."""
    prices = np.asarray(prices, dtype=np.int64)
    tax_n, tax_d = _ratio(rules.tax_percent)
    fee_n, fee_d = _ratio(rules.coop_fee_percent)
    solidarity_n, solidarity_d = _ratio(rules.solidarity_percent)
    before_tax = _half_up(prices * (100 * tax_d), 100 * tax_d + tax_n)
    fee = _half_up(before_tax * fee_n, 100 * fee_d)
    solidarity = np.minimum(
        _half_up(before_tax * solidarity_n, 100 * solidarity_d), before_tax - fee
    )
    return np.stack(
        [prices, prices - before_tax, fee, solidarity, before_tax - fee - solidarity], axis=1
    )


# --- pricing each order under one policy ------------------------------------------------------

Row = tuple[int, int, int, int, int]


def _units(amount: Money) -> int:
    return int(amount.amount.scaleb(MINOR_UNITS[amount.currency]))


def _money(units: int | np.integer, currency: str) -> Money:
    return Money(Decimal(int(units)).scaleb(-MINOR_UNITS[currency]), currency)


def _hours(hundredths: int | np.integer) -> Decimal:
    return Decimal(int(hundredths)).scaleb(-2)


def _row(parts: Breakdown) -> Row:
    return (
        _units(parts.price),
        _units(parts.tax),
        _units(parts.coop_fee),
        _units(parts.solidarity),
        _units(parts.worker_share),
    )


def _once_each(
    inputs: Int64s, price: Callable[[tuple[int, ...]], Row | None]
) -> tuple[Int64s, NDArray[np.bool_]]:
    """``price`` called once per distinct row of ``inputs`` and spread back to every row: the
    parts matrix, and whether each row could be priced (``price`` returned a row)."""
    distinct, back = np.unique(inputs, axis=0, return_inverse=True)
    rows = np.zeros((len(distinct), 5), dtype=np.int64)
    priced = np.ones(len(distinct), dtype=np.bool_)
    for i, values in enumerate(distinct.tolist()):
        row = price(tuple(values))
        if row is None:
            priced[i] = False
        else:
            rows[i] = row
    back = back.reshape(-1)
    return rows[back], priced[back]


def reprice(policy: Policy, orders: OrderTable) -> tuple[Int64s, NDArray[np.bool_]]:
    """Every order's receipt under ``policy`` as the rows of a parts matrix (a late-cancellation
    fee the policy would not charge is a row of zeros), and whether ``policy`` can price the
    order at all (it cannot price a licence of a kind it does not have)."""
    parts = np.zeros((len(orders), 5), dtype=np.int64)
    priced = np.ones(len(orders), dtype=np.bool_)

    def trip(values: tuple[int, ...]) -> Row:
        km, minutes = values
        quote = quote_trip(
            policy=policy,
            policy_version=UNVERSIONED,
            km=Decimal(km).scaleb(-1),
            minutes=Decimal(minutes),
        )
        return _row(quote.breakdown)

    def service(values: tuple[int, ...]) -> Row:
        (booked,) = values
        quote = quote_service(policy=policy, policy_version=UNVERSIONED, hours=_hours(booked))
        return _row(quote.breakdown)

    def late_fee(values: tuple[int, ...]) -> Row:
        booked, notice = values
        booking = quote_service(policy=policy, policy_version=UNVERSIONED, hours=_hours(booked))
        fee = late_cancellation_fee(
            policy=policy,
            quote_price=booking.price,
            hours_before_start=Decimal(notice) / MICROSECONDS_PER_HOUR,
        )
        if fee.is_zero:
            return NOT_CHARGED
        return _row(quote_agreed(policy=policy, policy_version=UNVERSIONED, price=fee).breakdown)

    offered = {licence.key for licence in policy.pricing.works.licences}

    def licence(values: tuple[int, ...]) -> Row | None:
        key = orders.licence_keys[values[0]]
        if key not in offered:
            return None
        return _row(quote_licence(policy=policy, policy_version=UNVERSIONED, key=key).breakdown)

    services = (orders.sector == SERVICE) & ~orders.late_fee
    jobs: list[tuple[NDArray[np.bool_], Int64s, Callable[[tuple[int, ...]], Row | None]]] = [
        (orders.sector == TRIP, np.stack([orders.km, orders.minutes], axis=1), trip),
        (services, orders.booked_hours[:, None], service),
        (orders.late_fee, np.stack([orders.booked_hours, orders.notice], axis=1), late_fee),
        (orders.sector == WORK, orders.licence[:, None], licence),
    ]
    for mask, inputs, price in jobs:
        if mask.any():
            parts[mask], priced[mask] = _once_each(inputs[mask], price)
    agreed = (orders.sector == PROJECT) | (orders.sector == PRODUCT)
    parts[agreed] = split(orders.price[agreed], policy.fees)
    return parts, priced


def _sum_by(groups: Int64s, count: int, values: Int64s) -> Int64s:
    """Exact integer sums of ``values`` (rows) per group index."""
    totals = np.zeros((count, *values.shape[1:]), dtype=np.int64)
    np.add.at(totals, groups, values)
    return totals


# --- dispatch batches, solved again ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BatchTable:
    """Recorded dispatch batches as columns (``DispatchRun.inputs``), each batch's rows together
    under its key, and per trip the batch of its first offer and who was offered it.

    Positions, earnings and hours are the strings recorded, turned into numbers here exactly as
    the batch turned them. A batch's workers are in the order of the ids dispatch saw (so ties
    fall the same way); they are keyed by member.
    """

    batch: Int64s  # per request
    order_id: Int64s
    request_latitude: Sequence[str]
    request_longitude: Sequence[str]
    worker_batch: Int64s  # per worker
    member: Int64s
    worker_latitude: Sequence[str]
    worker_longitude: Sequence[str]
    hourly_earnings: Sequence[str]
    active_hours: Sequence[str]
    barred_batch: Int64s  # per barred (order, member) pair
    barred_order: Int64s
    barred_member: Int64s
    trip: Int64s  # per trip whose first offer's batch is recorded: its order id
    trip_batch: Int64s
    first_offer: Int64s  # the member it was first offered to

    def __post_init__(self) -> None:
        for name in (
            "batch",
            "order_id",
            "worker_batch",
            "member",
            "barred_batch",
            "barred_order",
            "barred_member",
            "trip",
            "trip_batch",
            "first_offer",
        ):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        grouped = all(
            bool((np.diff(column) >= 0).all())
            for column in (self.batch, self.worker_batch, self.barred_batch)
        )
        sizes = {
            len(self.batch),
            len(self.order_id),
            len(self.request_latitude),
            len(self.request_longitude),
        } | {0}
        worker_sizes = {
            len(column)
            for column in (
                self.worker_batch,
                self.member,
                self.worker_latitude,
                self.worker_longitude,
                self.hourly_earnings,
                self.active_hours,
            )
        }
        if not grouped or len(sizes) > 2 or len(worker_sizes) > 1:
            raise InvalidInput(
                "bad_batch_table",
                gettext_noop("The dispatch batches to replay are not consistent: %(column)s."),
                column="batches",
            )

    def rows(self, key: int) -> tuple[slice, slice, slice]:
        """The request, worker and barred rows of one batch."""
        return tuple(  # type: ignore[return-value]
            slice(
                int(np.searchsorted(column, key, "left")),
                int(np.searchsorted(column, key, "right")),
            )
            for column in (self.batch, self.worker_batch, self.barred_batch)
        )


@dataclass(frozen=True, eq=False)
class DispatchReplay:
    """Each trip's first batch solved again under two sets of rules. Members are keys; -1 is a
    trip the rules would leave unassigned in that batch."""

    trip: Int64s
    first_offer: Int64s
    current: Int64s
    proposed: Int64s
    pickup_km: tuple[float, float]  # of every assignment in the replayed batches, per side


def _batch_problem(
    batches: BatchTable, key: int
) -> tuple[list[dispatch.Request], list[dispatch.Worker], Int64s, dict[int, set[int]]]:
    """One batch as ``dispatch`` saw it: the same plane, the same numbers, workers keyed by
    their position (their order of ids); its members; its bars by worker position."""
    requests_at, workers_at, barred_at = batches.rows(key)
    pickups = [
        geo.point(lat, lon)
        for lat, lon in zip(
            batches.request_latitude[requests_at],
            batches.request_longitude[requests_at],
            strict=True,
        )
    ]
    positions = [
        geo.point(lat, lon)
        for lat, lon in zip(
            batches.worker_latitude[workers_at], batches.worker_longitude[workers_at], strict=True
        )
    ]
    origin = geo.centre(pickups + positions)
    assert origin is not None
    order_ids = batches.order_id[requests_at].tolist()
    requests = [
        dispatch.Request(id=order, x=x, y=y)
        for order, (x, y) in zip(order_ids, geo.local_plane(pickups, origin), strict=True)
    ]
    workers = [
        dispatch.Worker(
            id=i, x=x, y=y, hourly_earnings=Decimal(earnings), active_hours=Decimal(hours)
        )
        for i, ((x, y), earnings, hours) in enumerate(
            zip(
                geo.local_plane(positions, origin),
                batches.hourly_earnings[workers_at],
                batches.active_hours[workers_at],
                strict=True,
            )
        )
    ]
    members = batches.member[workers_at]
    position_of = {member: i for i, member in enumerate(members.tolist())}
    barred: dict[int, set[int]] = {}
    for order, member in zip(
        batches.barred_order[barred_at].tolist(),
        batches.barred_member[barred_at].tolist(),
        strict=True,
    ):
        if member in position_of:
            barred.setdefault(order, set()).add(position_of[member])
    return requests, workers, members, barred


def replay_dispatch(
    current: DispatchRules, proposed: DispatchRules, batches: BatchTable
) -> DispatchReplay:
    """Solve each trip's first batch again under ``current`` and under ``proposed``."""
    chosen: tuple[dict[int, int], dict[int, int]] = ({}, {})
    pickup = [0.0, 0.0]
    for key in np.unique(batches.trip_batch).tolist():
        requests, workers, members, barred = _batch_problem(batches, key)
        for side, rules in enumerate((current, proposed)):
            assignments, _solver = dispatch.assign_avoiding(
                rules, UNVERSIONED, requests, workers, barred=barred, replaying=True
            )
            for assignment in assignments:
                chosen[side][int(assignment.request_id)] = int(members[int(assignment.worker_id)])
                pickup[side] += assignment.explanation.pickup_km
    trips = batches.trip.tolist()
    return DispatchReplay(
        trip=batches.trip,
        first_offer=batches.first_offer,
        current=np.array([chosen[0].get(t, -1) for t in trips], dtype=np.int64),
        proposed=np.array([chosen[1].get(t, -1) for t in trips], dtype=np.int64),
        pickup_km=(round(pickup[0], 3), round(pickup[1], 3)),
    )


@dataclass(frozen=True)
class DispatchChange:
    """What the dispatch replay did to the orders: who does each on the proposed side, and the
    counts the explanation gives."""

    worker: Int64s  # per order, the member who would do it under the proposed rules
    trips: int  # trips replayed
    replayed: int  # of those, with their first batch recorded
    moved: int
    waited: int
    not_reproduced: int  # first offers the current rules do not reproduce, or declined
    pickup_km: tuple[float, float]


def _dispatch_change(orders: OrderTable, kept: Int64s, replay: DispatchReplay) -> DispatchChange:
    worker = orders.worker.copy()
    trips = kept[orders.sector[kept] == TRIP]
    row_of = dict(zip(orders.order_id[trips].tolist(), trips.tolist(), strict=True))
    pairs = [(i, row_of[t]) for i, t in enumerate(replay.trip.tolist()) if t in row_of]
    picked = np.array([i for i, _row in pairs], dtype=np.int64)
    rows = np.array([row for _i, row in pairs], dtype=np.int64)
    first, now, new = replay.first_offer[picked], replay.current[picked], replay.proposed[picked]
    reproduced = (now == first) & (first == orders.worker[rows])
    moves = reproduced & (new >= 0) & (new != now)
    worker[rows[moves]] = new[moves]
    return DispatchChange(
        worker=worker,
        trips=len(trips),
        replayed=len(rows),
        moved=int(moves.sum()),
        waited=int((reproduced & (new < 0)).sum()),
        not_reproduced=int((~reproduced).sum()),
        pickup_km=replay.pickup_km,
    )


# --- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Money figures of a set of orders. ``orders`` counts those charged (a late-cancellation
    fee the rules would not charge is not); ``paid`` is what customers paid, tips included."""

    orders: int
    price: Money  # taxes included, tips excluded
    tax: Money
    coop_fee: Money  # the co-op's income
    solidarity: Money  # to the solidarity fund
    worker_share: Money
    tip: Money

    @property
    def paid(self) -> Money:
        return self.price + self.tip

    @property
    def earned(self) -> Money:
        """What the workers got: their shares and the tips."""
        return self.worker_share + self.tip

    def minus(self, other: Figures) -> Figures:
        """The change from ``other`` to these figures."""
        return Figures(
            orders=self.orders - other.orders,
            price=self.price - other.price,
            tax=self.tax - other.tax,
            coop_fee=self.coop_fee - other.coop_fee,
            solidarity=self.solidarity - other.solidarity,
            worker_share=self.worker_share - other.worker_share,
            tip=self.tip - other.tip,
        )


def _figures(
    currency: str, orders: int | np.integer, parts: Int64s, tip: int | np.integer
) -> Figures:
    return Figures(
        orders=int(orders),
        price=_money(parts[PRICE], currency),
        tax=_money(parts[TAX], currency),
        coop_fee=_money(parts[COOP_FEE], currency),
        solidarity=_money(parts[SOLIDARITY], currency),
        worker_share=_money(parts[WORKER_SHARE], currency),
        tip=_money(tip, currency),
    )


@dataclass(frozen=True)
class Spread:
    """How evenly earnings per active hour are shared among the members who worked hours: the
    audit's figures (Gini, p10 over the mean, how many below the floor) and a histogram whose bins
    are the same on both sides, so the two can be drawn on one axis."""

    summary: Summary
    histogram: tuple[Bin, ...]


@dataclass(frozen=True)
class Outcome:
    """What the replayed orders come to under one policy."""

    totals: Figures
    by_sector: Mapping[str, Figures]  # every sector, in SECTORS order
    member_surplus: Money  # the co-op fees less the expenses given
    allocation: SurplusAllocation[int] | None  # None when there is no surplus to share
    top_ups: Money  # the earnings floor's top-ups, paid from ``top_up_fund``
    top_up_fund: str  # "solidarity_fund" or "reserve"
    solidarity_fund: Money  # solidarity shares + its part of the surplus - top-ups paid from it
    spread: Spread | None  # None when nobody worked any hours


@dataclass(frozen=True)
class MemberOutcome:
    """One member's work under one policy."""

    figures: Figures
    per_hour: Decimal | None  # earnings (share and tips) per active hour; None without hours
    below_floor: bool  # below the yardstick floor (``FloorCheck.hourly``)
    top_up: Money
    dividend: Money  # their patronage dividend in the surplus split (zero when none)


@dataclass(frozen=True)
class MemberImpact:
    member: int
    hours: Decimal  # of work in the replayed weeks under the current rules
    proposed_hours: Decimal  # differs only when the proposed dispatch rules move trips
    current: MemberOutcome
    proposed: MemberOutcome
    pushed_below_floor: bool  # at or above the floor now, below it under the proposal

    @property
    def earnings_change(self) -> Money:
        return self.proposed.figures.earned - self.current.figures.earned


@dataclass(frozen=True)
class FloorCheck:
    """The earnings floor as the yardstick of self-exploitation: who would fall below it."""

    hourly: Money | None  # the proposed floor, or the current one if the proposal turns it off
    below_now: int
    below_proposed: int
    pushed_below: tuple[int, ...]  # members at or above it now, below it under the proposal


@dataclass(frozen=True)
class ImpactPreview:
    """The replay, side by side. ``members`` is in member-key order and adds up to the totals;
    ``left_out`` orders (a licence kind one of the policies lacks) are in neither side."""

    currency: str
    first_day: dt.date | None
    last_day: dt.date | None
    current: Outcome
    proposed: Outcome
    members: tuple[MemberImpact, ...]
    floor: FloorCheck
    left_out: int
    explanation: tuple[Line, ...]  # what the replay found, in sentences
    warnings: tuple[Line, ...]  # the earnings floor: said first and plainly
    not_replayed: tuple[Line, ...]  # what the replay could not do, and why

    @property
    def change(self) -> Figures:
        return self.proposed.totals.minus(self.current.totals)


# --- the preview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Replayed:
    """One policy's replay of the orders both policies can price, summed per member."""

    policy: Policy
    parts: Int64s  # per order
    member_parts: Int64s
    member_orders: Int64s  # orders charged
    member_earned: Int64s  # worker's shares and tips
    top_ups: Int64s
    rates: list[Decimal | None]  # earnings per active hour


@dataclass(frozen=True)
class _Work:
    """The orders both policies can price, and what does not depend on the policy: who did
    them, when, their hours and tips."""

    currency: str
    sector: Int64s
    tips: Int64s
    hours: Int64s
    days: Int64s  # days since 1970
    members: Int64s  # member keys, sorted
    member_of: Int64s  # per order, an index into members
    member_tips: Int64s
    member_hours: Int64s

    @classmethod
    def of(cls, orders: OrderTable, kept: Int64s, worker: Int64s, members: Int64s) -> _Work:
        """``worker``: who did each order on this side; ``members``: those of both sides."""
        member_of = np.searchsorted(members, worker[kept])
        tips, hours = orders.tip[kept], orders.hours[kept]
        return cls(
            currency=orders.currency,
            sector=orders.sector[kept],
            tips=tips,
            hours=hours,
            days=orders.day[kept].astype(np.int64),
            members=members,
            member_of=member_of,
            member_tips=_sum_by(member_of, len(members), tips),
            member_hours=_sum_by(member_of, len(members), hours),
        )

    def per_member(self, values: Int64s) -> Int64s:
        return _sum_by(self.member_of, len(self.members), values)

    def replayed(self, policy: Policy, parts: Int64s) -> _Replayed:
        member_parts = self.per_member(parts)
        earned = member_parts[:, WORKER_SHARE] + self.member_tips
        return _Replayed(
            policy=policy,
            parts=parts,
            member_parts=member_parts,
            member_orders=self.per_member(_charged(parts)),
            member_earned=earned,
            top_ups=self._top_ups(policy, parts[:, WORKER_SHARE] + self.tips),
            rates=[
                per_hour(_money(e, self.currency).amount, _hours(h)) if h > 0 else None
                for e, h in zip(earned.tolist(), self.member_hours.tolist(), strict=True)
            ],
        )

    def _top_ups(self, policy: Policy, earned: Int64s) -> Int64s:
        """Each member's earnings-floor top-ups under ``policy``: the floor applied, as the board
        applies it, to each window of ``period_days`` counted back from the last day replayed."""
        top_ups = np.zeros(len(self.members), dtype=np.int64)
        floor = policy.pricing.earnings_floor
        if not floor.enabled or not len(self.days):
            return top_ups
        window = (self.days.max() - self.days) // floor.period_days
        windows = int(window.max()) + 1
        groups, group_of = np.unique(self.member_of * windows + window, return_inverse=True)
        group_of = group_of.reshape(-1)
        group_earned = _sum_by(group_of, len(groups), earned)
        group_hours = _sum_by(group_of, len(groups), self.hours)
        for g, key in enumerate(groups.tolist()):
            top_up = earnings_top_up(
                policy=policy,
                earned=_money(group_earned[g], self.currency),
                active_hours=_hours(group_hours[g]),
            )
            top_ups[key // windows] += _units(top_up)
        return top_ups

    def outcome(
        self, replayed: _Replayed, floor: Decimal | None, width: Decimal, expenses: Money
    ) -> Outcome:
        currency = self.currency
        zero = Money.zero(currency)
        totals = _figures(
            currency,
            replayed.member_orders.sum(),
            replayed.member_parts.sum(axis=0),
            self.tips.sum(),
        )
        by_sector = _sum_by(self.sector, len(SECTORS), replayed.parts)
        sector_orders = _sum_by(self.sector, len(SECTORS), _charged(replayed.parts))
        sector_tips = _sum_by(self.sector, len(SECTORS), self.tips)
        member_surplus = totals.coop_fee - expenses
        allocation = None
        if member_surplus.amount > 0:
            allocation = allocate_surplus(
                rules=replayed.policy.accounting.surplus,
                member_surplus=member_surplus,
                non_member_profit=zero,
                patronage={
                    key: Patronage(
                        hours=_hours(self.member_hours[i]),
                        revenue=_money(replayed.member_earned[i], currency),
                    )
                    for i, key in enumerate(self.members.tolist())
                },
            )
        fund = replayed.policy.pricing.earnings_floor.fund
        top_ups = _money(replayed.top_ups.sum(), currency)
        solidarity_fund = totals.solidarity + (allocation.solidarity if allocation else zero)
        if fund == "solidarity_fund":
            solidarity_fund -= top_ups
        rates = [rate for rate in replayed.rates if rate is not None]
        return Outcome(
            totals=totals,
            by_sector={
                name: _figures(currency, sector_orders[i], by_sector[i], sector_tips[i])
                for i, name in enumerate(SECTORS)
            },
            member_surplus=member_surplus,
            allocation=allocation,
            top_ups=top_ups,
            top_up_fund=fund,
            solidarity_fund=solidarity_fund,
            spread=Spread(summarise(rates, floor), tuple(histogram(rates, width)))
            if rates
            else None,
        )

    def member(
        self,
        i: int,
        replayed: _Replayed,
        allocation: SurplusAllocation[int] | None,
        floor: Decimal | None,
    ) -> MemberOutcome:
        dividend = allocation.dividends.get(int(self.members[i])) if allocation else None
        return MemberOutcome(
            figures=_figures(
                self.currency,
                replayed.member_orders[i],
                replayed.member_parts[i],
                self.member_tips[i],
            ),
            per_hour=replayed.rates[i],
            below_floor=_below(replayed.rates[i], floor),
            top_up=_money(replayed.top_ups[i], self.currency),
            dividend=dividend.dividend if dividend else Money.zero(self.currency),
        )


def _charged(parts: Int64s) -> Int64s:
    return (parts[:, PRICE] > 0).astype(np.int64)


def _below(rate: Decimal | None, floor: Decimal | None) -> bool:
    return rate is not None and floor is not None and rate < floor


def _yardstick(current: Policy, proposed: Policy) -> Decimal | None:
    """The floor both sides are judged against: the proposed one, or the current one when the
    proposal turns the floor off (turning it off must not hide who falls below it)."""
    for policy in (proposed, current):
        if policy.pricing.earnings_floor.enabled:
            return policy.pricing.earnings_floor.hourly
    return None


def preview(
    current: Policy,
    proposed: Policy,
    orders: OrderTable,
    *,
    expenses: Money | None = None,
) -> ImpactPreview:
    """Replay ``orders`` under ``current`` and under ``proposed``, side by side.

    ``expenses`` are the co-op's operating expenses over the same weeks (none if not given):
    the surplus each side shares is its co-op fees less them.
    """
    currency = orders.currency
    for policy in (current, proposed):
        if policy.currency != currency:
            raise InvalidInput(
                "replay_currency",
                gettext_noop("Orders in %(orders)s cannot be replayed under rules in %(rules)s."),
                orders=currency,
                rules=policy.currency,
            )
    expenses = expenses if expenses is not None else Money.zero(currency)
    if expenses.currency != currency or expenses.amount < 0:
        raise InvalidInput(
            "bad_expenses",
            gettext_noop("The expenses must be an amount of %(currency)s, not below zero."),
            currency=currency,
        )
    parts_now, priced_now = reprice(current, orders)
    parts_new, priced_new = reprice(proposed, orders)
    kept = np.flatnonzero(priced_now & priced_new)
    change = None
    if current.dispatch != proposed.dispatch and orders.dispatch_batches is not None:
        replay = replay_dispatch(current.dispatch, proposed.dispatch, orders.dispatch_batches())
        change = _dispatch_change(orders, kept, replay)
    moved = orders.worker if change is None else change.worker
    everyone = np.unique(np.concatenate([orders.worker[kept], moved[kept]]))
    work = _Work.of(orders, kept, orders.worker, everyone)
    moved_work = _Work.of(orders, kept, moved, everyone)
    now = work.replayed(current, parts_now[kept])
    new = moved_work.replayed(proposed, parts_new[kept])
    floor = _yardstick(current, proposed)
    top = max((rate for rate in now.rates + new.rates if rate is not None), default=Decimal(0))
    width = max(bin_width(top), quantum(currency))  # one set of bins for both sides
    before = work.outcome(now, floor, width, expenses)
    after = moved_work.outcome(new, floor, width, expenses)
    members = tuple(
        MemberImpact(
            member=int(key),
            hours=_hours(work.member_hours[i]),
            proposed_hours=_hours(moved_work.member_hours[i]),
            current=work.member(i, now, before.allocation, floor),
            proposed=moved_work.member(i, new, after.allocation, floor),
            pushed_below_floor=not _below(now.rates[i], floor) and _below(new.rates[i], floor),
        )
        for i, key in enumerate(everyone.tolist())
    )
    dispatch_lines: tuple[Line, ...] = ()
    if change is not None:
        moved_alone = moved_work.replayed(current, parts_now[kept]).rates
        dispatch_lines = _dispatch_lines(change, before, moved_alone)
    check = FloorCheck(
        hourly=None if floor is None else Money(floor, currency),
        below_now=sum(m.current.below_floor for m in members),
        below_proposed=sum(m.proposed.below_floor for m in members),
        pushed_below=tuple(m.member for m in members if m.pushed_below_floor),
    )
    days = orders.day[kept]
    first_day = days.min().item() if len(days) else None
    last_day = days.max().item() if len(days) else None
    return ImpactPreview(
        currency=currency,
        first_day=first_day,
        last_day=last_day,
        current=before,
        proposed=after,
        members=members,
        floor=check,
        left_out=len(orders) - len(kept),
        explanation=_explain(
            current, proposed, before, after, len(kept), (first_day, last_day), expenses
        )
        + dispatch_lines
        if first_day is not None and last_day is not None
        else (Line(gettext_noop("There are no paid orders in these weeks to replay."), {}),),
        warnings=_warnings(current, proposed, check),
        not_replayed=_limits(current, proposed, orders, priced_now, priced_new, change),
    )


# --- what it says --------------------------------------------------------------------------


def _signed(amount: Money) -> str:
    return f"+{amount}" if amount.amount > 0 else str(amount)


def _compared(message: str, before: Money, after: Money) -> Line:
    return Line(
        message,
        {"current": str(before), "proposed": str(after), "change": _signed(after - before)},
    )


def _split_line(message: str, allocation: SurplusAllocation[int]) -> Line:
    return Line(
        message,
        {
            "reserve": str(allocation.reserve),
            "education": str(allocation.education),
            "solidarity": str(allocation.solidarity),
            "dividends": str(allocation.pool),
        },
    )


def _explain(
    current: Policy,
    proposed: Policy,
    before: Outcome,
    after: Outcome,
    replayed: int,
    span: tuple[dt.date, dt.date],
    expenses: Money,
) -> tuple[Line, ...]:
    first_day, last_day = span
    lines = [
        Line(
            gettext_noop(
                "%(orders)s paid orders from %(first)s to %(last)s are priced again under the "
                "current rules and under the proposed ones."
            ),
            {"orders": str(replayed), "first": str(first_day), "last": str(last_day)},
        ),
        _compared(
            gettext_noop(
                "Workers would earn %(proposed)s, tips included, against %(current)s under the "
                "current rules (%(change)s)."
            ),
            before.totals.earned,
            after.totals.earned,
        ),
        _compared(
            gettext_noop(
                "Customers would pay %(proposed)s, tips included, against %(current)s (%(change)s)."
            ),
            before.totals.paid,
            after.totals.paid,
        ),
        _compared(
            gettext_noop(
                "The co-op's fees would come to %(proposed)s, against %(current)s (%(change)s)."
            ),
            before.totals.coop_fee,
            after.totals.coop_fee,
        ),
        _compared(
            gettext_noop(
                "Net into the solidarity fund: %(proposed)s, against %(current)s (%(change)s): "
                "its share of each price and of the surplus, less the earnings-floor top-ups it "
                "pays."
            ),
            before.solidarity_fund,
            after.solidarity_fund,
        ),
        Line(
            gettext_noop(
                "The surplus is worked out as if these weeks were a period of their own: the "
                "co-op's fees less %(expenses)s of expenses."
            ),
            {"expenses": str(expenses)},
        ),
    ]
    for allocation, shared, none in (
        (
            before.allocation,
            gettext_noop(
                "Under the current rules the surplus would go %(reserve)s to the reserve, "
                "%(education)s to the education fund, %(solidarity)s to the solidarity fund and "
                "%(dividends)s to members as patronage dividends."
            ),
            gettext_noop("Under the current rules there would be no surplus to share."),
        ),
        (
            after.allocation,
            gettext_noop(
                "Under the proposed rules the surplus would go %(reserve)s to the reserve, "
                "%(education)s to the education fund, %(solidarity)s to the solidarity fund and "
                "%(dividends)s to members as patronage dividends."
            ),
            gettext_noop("Under the proposed rules there would be no surplus to share."),
        ),
    ):
        lines.append(_split_line(shared, allocation) if allocation else Line(none, {}))
    if before.spread is not None and after.spread is not None:
        lines.append(
            Line(
                gettext_noop(
                    "Earnings per active hour: the Gini coefficient (0 when everyone earns the "
                    "same) would be %(gini_proposed)s against %(gini_current)s, and the lowest "
                    "tenth would earn %(p10_proposed)s of the mean against %(p10_current)s."
                ),
                {
                    "gini_current": str(before.spread.summary.gini),
                    "gini_proposed": str(after.spread.summary.gini),
                    "p10_current": str(before.spread.summary.p10_over_mean),
                    "p10_proposed": str(after.spread.summary.p10_over_mean),
                },
            )
        )
    if not (before.top_ups.is_zero and after.top_ups.is_zero):
        lines.append(
            _compared(
                gettext_noop(
                    "Topping members up to the earnings floor would take %(proposed)s from the "
                    "solidarity fund, against %(current)s (%(change)s)."
                )
                if after.top_up_fund == "solidarity_fund"
                else gettext_noop(
                    "Topping members up to the earnings floor would take %(proposed)s from the "
                    "reserve, against %(current)s (%(change)s)."
                ),
                before.top_ups,
                after.top_ups,
            )
        )
    if current.pricing.earnings_floor.enabled or proposed.pricing.earnings_floor.enabled:
        lines.append(
            Line(
                gettext_noop(
                    "The earnings floor is applied to windows of %(current)s days under the "
                    "current rules and %(proposed)s days under the proposed ones, counted back "
                    "from %(last)s."
                ),
                {
                    "current": str(current.pricing.earnings_floor.period_days),
                    "proposed": str(proposed.pricing.earnings_floor.period_days),
                    "last": str(last_day),
                },
            )
        )
    return tuple(lines)


def _dispatch_lines(
    change: DispatchChange, before: Outcome, moved_alone: list[Decimal | None]
) -> tuple[Line, ...]:
    """What solving the trips' first batches again under the proposed rules found."""
    now_km, new_km = change.pickup_km
    lines = [
        Line(
            gettext_noop(
                "Dispatch: %(replayed)s trips had their first batch recorded and were dispatched "
                "again under the proposed rules; %(moved)s would have gone to another worker "
                "(their worker's share, tip and hours go with them) and %(waited)s would have "
                "waited for a later batch (they stay with their worker here)."
            ),
            {
                "replayed": str(change.replayed),
                "moved": str(change.moved),
                "waited": str(change.waited),
            },
        ),
        Line(
            gettext_noop(
                "The pickup distance of those batches would total %(proposed)s km against "
                "%(current)s km under the current rules (%(change)s km)."
            ),
            {
                "proposed": f"{new_km:.1f}",
                "current": f"{now_km:.1f}",
                "change": f"{new_km - now_km:+.1f}",
            },
        ),
    ]
    rates = [rate for rate in moved_alone if rate is not None]
    if before.spread is not None and rates:
        lines.append(
            Line(
                gettext_noop(
                    "At the current prices, the trips dispatched differently would take the Gini "
                    "coefficient of earnings per active hour from %(current)s to %(proposed)s."
                ),
                {
                    "current": str(before.spread.summary.gini),
                    "proposed": str(summarise(rates, None).gini),
                },
            )
        )
    if change.not_reproduced:
        lines.append(
            Line(
                gettext_noop(
                    "Only each trip's first offer is replayed: %(count)s trips were first offered "
                    "to someone other than the worker who did them (a decline or an expiry), or "
                    "their batch ran under rules that would offer them differently now, so they "
                    "stay with the worker who did them."
                ),
                {"count": str(change.not_reproduced)},
            )
        )
    return tuple(lines)


def _warnings(current: Policy, proposed: Policy, check: FloorCheck) -> tuple[Line, ...]:
    lines = []
    if current.pricing.earnings_floor.enabled and not proposed.pricing.earnings_floor.enabled:
        lines.append(
            Line(
                gettext_noop(
                    "Warning: the proposal turns the earnings floor off, so nobody would be "
                    "topped up to it any more."
                ),
                {},
            )
        )
    if check.pushed_below:
        lines.append(
            Line(
                gettext_noop(
                    "Warning: members this change would push below the earnings floor of "
                    "%(floor)s per active hour, who earn at least that under the current rules: "
                    "%(count)s."
                ),
                {"floor": str(check.hourly), "count": str(len(check.pushed_below))},
            )
        )
    return tuple(lines)


def _limits(
    current: Policy,
    proposed: Policy,
    orders: OrderTable,
    priced_now: NDArray[np.bool_],
    priced_new: NDArray[np.bool_],
    change: DispatchChange | None,
) -> tuple[Line, ...]:
    lines = [
        Line(
            gettext_noop(
                "The replay assumes the same work would have been ordered and done at the other "
                "prices: how customers and workers would have acted instead cannot be known. It "
                "covers the marketplace's paid orders, not sales the board recorded directly in "
                "the books."
            ),
            {},
        )
    ]
    unrecorded = (
        int((orders.sector == TRIP).sum()) if change is None else change.trips - change.replayed
    )
    if current.dispatch != proposed.dispatch and unrecorded:
        lines.append(
            Line(
                gettext_noop(
                    "%(count)s trips have no recorded dispatch batch to replay (they were "
                    "dispatched before batches kept their inputs, or a worker took them "
                    "directly): they stay with the worker who did them under both rules."
                ),
                {"count": str(unrecorded)},
            )
        )
    if current.pricing.surge != proposed.pricing.surge:
        lines.append(
            Line(
                gettext_noop(
                    "Surge prices cannot be replayed: the demand is measured only while surge is "
                    "on, and kept only in words on each receipt, so trips are priced without "
                    "surge under both rules."
                ),
                {},
            )
        )
    if (
        current.pricing.services.late_cancellation_hours
        != proposed.pricing.services.late_cancellation_hours
    ):
        lines.append(
            Line(
                gettext_noop(
                    "Bookings cancelled free of charge are not replayed, so a longer "
                    "late-cancellation window shows no new fees; the fees that were charged are "
                    "worked out again."
                ),
                {},
            )
        )
    works = orders.sector == WORK
    for priced, message in (
        (
            priced_now,
            gettext_noop(
                "The current rules have no %(licence)s licence, so its sales are left out of "
                "both sides: %(count)s."
            ),
        ),
        (
            priced_new,
            gettext_noop(
                "The proposed rules have no %(licence)s licence, so its sales are left out of "
                "both sides: %(count)s."
            ),
        ),
    ):
        missing = np.bincount(orders.licence[works & ~priced], minlength=len(orders.licence_keys))
        for index, count in enumerate(missing.tolist()):
            if count:
                lines.append(
                    Line(message, {"licence": orders.licence_keys[index], "count": str(count)})
                )
    return tuple(lines)
