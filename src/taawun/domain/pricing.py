"""Prices under the co-op's PricingRules (pure): trips, services, agreed prices, cancellations,
and the earnings floor.

Every quote is a function of the policy and the inputs alone. Amounts are worked out exactly (as
fractions) and rounded half-up to the currency's minor unit once, at the end; the split of the
price between tax, co-op fee, solidarity share and worker is left to :func:`receipt.breakdown`.
Each quote carries an explanation: msgids marked with ``gettext_noop`` plus their ``%(name)s``
parameters, translated by the web layer.

A trip costs the base fare, ``per_km`` for each of the first ``long_after_km`` kilometres,
``per_km_long`` for each kilometre beyond, and ``per_minute`` for each minute, never less than the
minimum fare. A surge, when the members have turned it on, multiplies that fare (the minimum fare
included) by the demand at the moment of the quote (``Demand``: trips waiting per worker free),
never by less than 1 or by more than ``max_multiplier``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from .errors import InvalidInput, gettext_noop
from .explanation import Line
from .money import Money, quantum, to_decimal
from .policy import Policy
from .receipt import Breakdown, breakdown

MAX_KM = Decimal(10_000)
MAX_MINUTES = Decimal(10_000)
MAX_HOURS = Decimal(744)  # a 31-day month
MAX_SUMMED_HOURS = Decimal(10_000_000)  # a window's work, before it is counted
MAX_DEMAND_COUNT = 1_000_000  # trips waiting, or workers free
MAX_DECIMAL_PLACES = 20  # of a distance, a duration or a ratio


@dataclass(frozen=True, slots=True)
class Quote:
    """A price, how it splits, the policy version it was worked out under, and why."""

    price: Money  # taxes included, tip excluded
    breakdown: Breakdown
    policy_version: int
    lines: tuple[Line, ...]

    @property
    def total_paid(self) -> Money:
        return self.breakdown.total_paid


@dataclass(frozen=True, slots=True)
class Demand:
    """When a trip is priced: the trips waiting for a worker (the one priced included) and the
    workers free to take one. Both are shown with a surge, so anyone can check it."""

    waiting: int
    free: int

    def __post_init__(self) -> None:
        for count in (self.waiting, self.free):
            whole = isinstance(count, int) and not isinstance(count, bool)
            if not whole or not 0 <= count <= MAX_DEMAND_COUNT:
                raise InvalidInput(
                    "demand_out_of_range",
                    _DEMAND_RANGE,
                    max=str(MAX_DEMAND_COUNT),
                    value=str(count)[:40],
                )

    @property
    def ratio(self) -> Decimal:
        """Trips waiting per worker free, to the hundredth and rounded down (nobody pays for a
        fraction of a hundredth of demand); with nobody free, they all wait for the next one."""
        exact = Decimal(self.waiting) / Decimal(max(self.free, 1))
        return exact.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def quote_trip(
    *,
    policy: Policy,
    policy_version: int,
    km: Decimal,
    minutes: Decimal,
    demand: Demand | None = None,
    tip: Money | None = None,
) -> Quote:
    """A ride or delivery: base + distance + time, never below the minimum fare, then surge
    (``demand`` None: not measured, as when past trips are priced again under other rules)."""
    km = _measure(km, MAX_KM, "distance_out_of_range", _DISTANCE_RANGE)
    minutes = _measure(minutes, MAX_MINUTES, "minutes_out_of_range", _MINUTES_RANGE)
    tip = _tip(policy, tip)
    currency = policy.currency
    rules = policy.pricing.trips

    def money(value: Decimal) -> str:
        return str(Money(value, currency))

    short_km = min(km, rules.long_after_km)
    long_km = km - short_km
    metered = (
        Fraction(rules.base)
        + Fraction(rules.per_km) * Fraction(short_km)
        + Fraction(rules.per_km_long) * Fraction(long_km)
        + Fraction(rules.per_minute) * Fraction(minutes)
    )
    lines = [Line(gettext_noop("Base fare %(amount)s"), {"amount": money(rules.base)})]
    if short_km:
        lines.append(
            Line(
                gettext_noop("%(km)s km at %(rate)s per km"),
                {"km": _number(short_km), "rate": money(rules.per_km)},
            )
        )
    if long_km:
        lines.append(
            Line(
                gettext_noop("%(km)s km beyond the first %(after)s km at %(rate)s per km"),
                {
                    "km": _number(long_km),
                    "after": _number(rules.long_after_km),
                    "rate": money(rules.per_km_long),
                },
            )
        )
    if minutes:
        lines.append(
            Line(
                gettext_noop("%(minutes)s minutes at %(rate)s per minute"),
                {"minutes": _number(minutes), "rate": money(rules.per_minute)},
            )
        )
    fare = metered
    if metered < Fraction(rules.minimum_fare):
        fare = Fraction(rules.minimum_fare)
        lines.append(
            Line(
                gettext_noop("Minimum fare applies: %(amount)s"),
                {"amount": money(rules.minimum_fare)},
            )
        )
    surge = policy.pricing.surge
    if not surge.enabled:
        lines.append(Line(gettext_noop("No surge: the members have not turned it on"), {}))
    elif demand is None:
        lines.append(Line(gettext_noop("No surge: demand is normal"), {}))
    else:
        counts = {"waiting": str(demand.waiting), "free": str(demand.free)}
        multiplier = min(demand.ratio, surge.max_multiplier)
        if multiplier <= 1:
            lines.append(
                Line(
                    gettext_noop("No surge: trips waiting %(waiting)s, workers free %(free)s"),
                    counts,
                )
            )
        else:
            fare *= Fraction(multiplier)
            lines.append(
                Line(
                    gettext_noop(
                        "Surge: trips waiting %(waiting)s, workers free %(free)s; the fare is "
                        "multiplied by %(multiplier)s"
                    )
                    if multiplier < surge.max_multiplier
                    else gettext_noop(
                        "Surge: trips waiting %(waiting)s, workers free %(free)s; the fare is "
                        "multiplied by %(multiplier)s, the most the members allow"
                    ),
                    {**counts, "multiplier": _number(multiplier)},
                )
            )
    return _quote(policy, policy_version, _round_half_up(fare, currency), tip, lines)


def quote_service(
    *, policy: Policy, policy_version: int, hours: Decimal, tip: Money | None = None
) -> Quote:
    """A scheduled service: the hourly rate times the hours booked, at least the minimum hours."""
    hours = _measure(hours, MAX_HOURS, "hours_out_of_range", _HOURS_RANGE)
    tip = _tip(policy, tip)
    rules = policy.pricing.services
    lines: list[Line] = []
    billed = hours
    if hours < rules.minimum_hours:
        billed = rules.minimum_hours
        lines.append(
            Line(
                gettext_noop("Minimum booking applies: %(hours)s hours"),
                {"hours": _number(billed)},
            )
        )
    lines.append(
        Line(
            gettext_noop("%(hours)s hours at %(rate)s per hour"),
            {"hours": _number(billed), "rate": str(Money(rules.hourly_rate, policy.currency))},
        )
    )
    exact = Fraction(rules.hourly_rate) * Fraction(billed)
    return _quote(policy, policy_version, _round_half_up(exact, policy.currency), tip, lines)


def quote_agreed(
    *, policy: Policy, policy_version: int, price: Money, tip: Money | None = None
) -> Quote:
    """A freelance project, product or licence whose price is agreed or listed; the fee split
    still applies."""
    _same_currency(policy, price)
    tip = _tip(policy, tip)
    lines = [Line(gettext_noop("Agreed price %(amount)s"), {"amount": str(price)})]
    return _quote(policy, policy_version, price, tip, lines, rounded=False)


def quote_licence(*, policy: Policy, policy_version: int, key: str) -> Quote:
    """A licence to a creative work at the price the members set for its kind. The creator's
    royalty takes the place of the worker's share: the co-op's fee is what the royalty and the
    solidarity share leave."""
    licence = policy.licence(key)
    price = Money(licence.price, policy.currency)
    fees = policy.fees.model_copy(
        update={"coop_fee_percent": 100 - licence.royalty_percent - policy.fees.solidarity_percent}
    )
    parts = breakdown(
        price=price, tip=Money.zero(policy.currency), rules=fees, policy_version=policy_version
    )
    lines = (
        Line(
            gettext_noop("%(licence)s licence at %(amount)s, the price the members set"),
            {"licence": licence.key, "amount": str(price)},
        ),
        Line(
            gettext_noop("Royalty %(percent)s%% of the price before tax goes to the creator"),
            {"percent": _number(licence.royalty_percent)},
        ),
    )
    return Quote(price=price, breakdown=parts, policy_version=policy_version, lines=lines)


def late_cancellation_fee(
    *, policy: Policy, quote_price: Money, hours_before_start: Decimal
) -> Money:
    """``late_cancellation_percent`` of the price when cancelled less than
    ``late_cancellation_hours`` before the start (or after it), else zero; rounded half-up."""
    _same_currency(policy, quote_price)
    if quote_price.amount < 0:
        raise InvalidInput(
            "negative_price",
            gettext_noop("A price cannot be negative: %(amount)s."),
            amount=str(quote_price),
        )
    if not isinstance(hours_before_start, Decimal):
        hours_before_start = to_decimal(hours_before_start)
    if not hours_before_start.is_finite():
        raise InvalidInput(
            "not_a_number",
            gettext_noop("%(value)s is not a number."),
            value=str(hours_before_start),
        )
    rules = policy.pricing.services
    if hours_before_start >= rules.late_cancellation_hours:
        return Money.zero(policy.currency)
    exact = Fraction(quote_price.amount) * Fraction(rules.late_cancellation_percent) / 100
    return _round_half_up(exact, policy.currency)


def floor_hours(policy: Policy, work_hours: Decimal) -> Decimal:
    """The active hours the earnings floor counts for a window's work: its hours, but never more
    than the window lasts (work that overlapped, such as deliveries carried together, counts
    once)."""
    work_hours = _measure(work_hours, MAX_SUMMED_HOURS, "hours_out_of_range", _HOURS_RANGE)
    return min(work_hours, Decimal(policy.pricing.earnings_floor.period_days * 24))


def earnings_top_up(*, policy: Policy, earned: Money, active_hours: Decimal) -> Money:
    """What lifts a worker's earnings for the period to the floor's hourly rate.

    ``floor.hourly * floor_hours - earned``, rounded half-up to the minor unit, when the floor
    is on and the worker earned less than that per active hour; otherwise zero. So
    ``earned + top-up`` is the floor total rounded half-up, or ``earned`` when already above it.
    """
    _same_currency(policy, earned)
    if earned.amount < 0:
        raise InvalidInput(
            "negative_earnings",
            gettext_noop("Earnings cannot be negative: %(amount)s."),
            amount=str(earned),
        )
    active_hours = floor_hours(policy, active_hours)
    floor = policy.pricing.earnings_floor
    floor_total = Fraction(floor.hourly) * Fraction(active_hours)
    shortfall = floor_total - Fraction(earned.amount)
    if not floor.enabled or not active_hours or shortfall <= 0:
        return Money.zero(policy.currency)
    return _round_half_up(shortfall, policy.currency)


# --- helpers ----------------------------------------------------------------------------------

_DISTANCE_RANGE = gettext_noop("The distance must be from 0 to %(max)s km, not %(value)s.")
_MINUTES_RANGE = gettext_noop("The duration must be from 0 to %(max)s minutes, not %(value)s.")
_HOURS_RANGE = gettext_noop("The hours must be from 0 to %(max)s, not %(value)s.")
_DEMAND_RANGE = gettext_noop(
    "Trips waiting and workers free are whole numbers from 0 to %(max)s, not %(value)s."
)


def _measure(value: Decimal, most: Decimal, code: str, message: str) -> Decimal:
    """A finite quantity from 0 to ``most`` with at most MAX_DECIMAL_PLACES decimals."""
    if not isinstance(value, Decimal):
        value = to_decimal(value)  # ints and text; floats are refused
    if not value.is_finite():  # NaN, sNaN and infinities (checked before any comparison)
        raise InvalidInput(
            "not_a_number", gettext_noop("%(value)s is not a number."), value=str(value)
        )
    if value < 0 or value > most:
        raise InvalidInput(code, message, max=_number(most), value=str(value)[:40])
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if exponent + trailing_zeros < -MAX_DECIMAL_PLACES:
        raise InvalidInput(
            "too_many_decimals",
            gettext_noop("%(value)s has more than %(places)s decimal places."),
            value=str(value)[:40],
            places=str(MAX_DECIMAL_PLACES),
        )
    return value


def _tip(policy: Policy, tip: Money | None) -> Money:
    if tip is None:
        return Money.zero(policy.currency)
    _same_currency(policy, tip)
    return tip


def _same_currency(policy: Policy, amount: Money) -> None:
    if amount.currency != policy.currency:
        raise InvalidInput(
            "currency_mismatch",
            gettext_noop("Cannot combine %(a)s and %(b)s."),
            a=policy.currency,
            b=amount.currency,
        )


def _quote(
    policy: Policy,
    policy_version: int,
    price: Money,
    tip: Money,
    lines: list[Line],
    *,
    rounded: bool = True,
) -> Quote:
    parts = breakdown(price=price, tip=tip, rules=policy.fees, policy_version=policy_version)
    if rounded:
        unit = Money(quantum(price.currency), price.currency)
        lines.append(
            Line(
                gettext_noop(
                    "Price %(amount)s, worked out exactly and rounded half-up to the nearest "
                    "%(unit)s once, at the end"
                ),
                {"amount": str(price), "unit": str(unit)},
            )
        )
    if not tip.is_zero:
        lines.append(
            Line(gettext_noop("Tip %(amount)s, all of it for the worker"), {"amount": str(tip)})
        )
    return Quote(price=price, breakdown=parts, policy_version=policy_version, lines=tuple(lines))


def _round_half_up(exact: Fraction, currency: str) -> Money:
    """The nearest whole number of minor units; a tie goes away from zero."""
    unit = quantum(currency)
    scaled = exact / Fraction(unit)
    units = math.floor(abs(scaled) + Fraction(1, 2))
    return Money(Decimal(units if scaled >= 0 else -units) * unit, currency)


def _number(value: Decimal) -> str:
    """Quantities without trailing zeros or exponents ('16', '2.5', '1.5')."""
    return f"{value.normalize():f}" if value else "0"
