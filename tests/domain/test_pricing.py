"""Pricing: trips, services, agreed prices, late cancellations and the earnings floor."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.money import Money, quantum
from taawun.domain.policy import (
    EarningsFloor,
    FeeRules,
    Policy,
    ServicePrices,
    SurgeRules,
    TripPrices,
    founding_policy,
    parse,
)
from taawun.domain.pricing import (
    MAX_DEMAND_COUNT,
    Demand,
    Quote,
    earnings_top_up,
    late_cancellation_fee,
    quote_agreed,
    quote_service,
    quote_trip,
)
from taawun.domain.receipt import breakdown

CLASSES: list[dict[str, Any]] = [
    {
        "key": "worker",
        "name": {"ar": "عضو عامل", "en": "Worker member"},
        "share_price": "100.00",
        "works": True,
    },
]
ILS_POLICY = founding_policy(currency="ILS", classes=copy.deepcopy(CLASSES))
JOD_POLICY = founding_policy(currency="JOD", classes=copy.deepcopy(CLASSES))


def ils(value: str) -> Money:
    return Money.of(value, "ILS")


def jod(value: str) -> Money:
    return Money.of(value, "JOD")


def D(value: str) -> Decimal:
    return Decimal(value)


def with_pricing(policy: Policy = ILS_POLICY, **sections: Any) -> Policy:
    """The policy with some pricing sections replaced, re-parsed so every rule is checked."""
    pricing = policy.pricing.model_copy(update=sections)
    return parse(policy.model_copy(update={"pricing": pricing}).to_document())


SURGE_ON = with_pricing(surge=SurgeRules(enabled=True, max_multiplier=D("1.5")))


def trip(km: str, minutes: str, policy: Policy = ILS_POLICY, **kwargs: Any) -> Quote:
    return quote_trip(policy=policy, policy_version=3, km=D(km), minutes=D(minutes), **kwargs)


def texts(quote: Quote) -> list[str]:
    return [str(line) for line in quote.lines]


def parts(quote: Quote) -> tuple[str, ...]:
    b = quote.breakdown
    return tuple(str(m.amount) for m in (b.tax, b.coop_fee, b.solidarity, b.worker_share, b.tip))


def refused(call: Callable[[], object]) -> InvalidInput:
    with pytest.raises(InvalidInput) as excinfo:
        call()
    return excinfo.value


# --- worked examples (default policy: base 5.00, 1.50/km for 16 km then 1.00/km, 0.30/min,
# minimum fare 12.00; services 45.00/h, at least 2 h; fee 10%, solidarity 2%, no tax) -----------


def test_a_short_trip_pays_the_minimum_fare() -> None:
    quote = trip("2", "5")  # 5.00 + 3.00 + 1.50 = 9.50
    assert quote.price == ils("12.00")
    assert quote.policy_version == 3
    assert quote.breakdown.policy_version == 3
    assert parts(quote) == ("0.00", "1.20", "0.24", "10.56", "0.00")
    assert texts(quote) == [
        "Base fare 5.00 ILS",
        "2 km at 1.50 ILS per km",
        "5 minutes at 0.30 ILS per minute",
        "Minimum fare applies: 12.00 ILS",
        "No surge: the members have not turned it on",
        "Price 12.00 ILS, worked out exactly and rounded half-up to the nearest 0.01 ILS once, "
        "at the end",
    ]


def test_a_long_trip_costs_less_per_km_beyond_long_after_km() -> None:
    quote = trip("25.3", "41.5")  # 5.00 + 16 * 1.50 + 9.3 * 1.00 + 41.5 * 0.30
    assert quote.price == ils("50.75")
    assert parts(quote) == ("0.00", "5.08", "1.02", "44.65", "0.00")
    assert texts(quote)[:4] == [
        "Base fare 5.00 ILS",
        "16 km at 1.50 ILS per km",
        "9.3 km beyond the first 16 km at 1.00 ILS per km",
        "41.5 minutes at 0.30 ILS per minute",
    ]
    assert "Minimum fare applies: 12.00 ILS" not in texts(quote)


def test_the_price_is_rounded_half_up_once_at_the_end() -> None:
    assert trip("3.31", "7").price == ils("12.07")  # 12.065 exactly: half-up, not half-even
    # 5.00 + 4.9995 + 2.115 = 12.1145 -> 12.11; rounding each line first would give 12.12.
    assert trip("3.333", "7.05").price == ils("12.11")


def test_a_trip_with_a_tip_gives_the_tip_whole_to_the_worker() -> None:
    quote = trip("25", "40", tip=ils("7.50"))
    assert quote.price == ils("50.00")
    assert quote.total_paid == ils("57.50")
    assert parts(quote) == ("0.00", "5.00", "1.00", "44.00", "7.50")
    assert quote.breakdown.worker_total == ils("51.50")
    assert texts(quote)[-1] == "Tip 7.50 ILS, all of it for the worker"


def test_surge_off_ignores_demand() -> None:
    calm, busy = trip("25", "40"), trip("25", "40", demand=Demand(waiting=3, free=1))
    assert calm.price == busy.price == ils("50.00")
    assert "No surge: the members have not turned it on" in texts(busy)


def test_surge_on_follows_demand_and_caps_at_max_multiplier() -> None:
    def price(waiting: int, free: int) -> Money:
        return trip("25", "40", SURGE_ON, demand=Demand(waiting, free)).price

    assert price(1, 2) == price(1, 1) == price(0, 0) == ils("50.00")
    assert price(6, 5) == ils("60.00")
    assert price(7, 6) == ils("58.00")  # 1.1666… is 1.16: rounded down
    assert price(3, 2) == price(3, 1) == price(5, 0) == price(1_000_000, 1) == ils("75.00")
    assert "No surge: demand is normal" in texts(trip("25", "40", SURGE_ON))
    assert "No surge: trips waiting 1, workers free 3" in texts(
        trip("25", "40", SURGE_ON, demand=Demand(1, 3))
    )
    assert "Surge: trips waiting 6, workers free 5; the fare is multiplied by 1.2" in texts(
        trip("25", "40", SURGE_ON, demand=Demand(6, 5))
    )
    assert (
        "Surge: trips waiting 2, workers free 1; the fare is multiplied by 1.5, the most the "
        "members allow"
    ) in texts(trip("25", "40", SURGE_ON, demand=Demand(2, 1)))


def test_surge_multiplies_the_minimum_fare_too() -> None:
    quote = trip("2", "5", SURGE_ON, demand=Demand(4, 2))
    assert quote.price == ils("18.00")
    assert texts(quote)[3:5] == [
        "Minimum fare applies: 12.00 ILS",
        "Surge: trips waiting 4, workers free 2; the fare is multiplied by 1.5, the most the "
        "members allow",
    ]


@pytest.mark.parametrize(
    ("waiting", "free"),
    [(-1, 1), (1, -1), (1_000_001, 1), (1, 1_000_001), (True, 1), (1, 1.5), ("2", 1), (1, None)],
)
def test_demand_is_counted_in_whole_trips_and_workers(waiting: Any, free: Any) -> None:
    assert refused(lambda: Demand(waiting, free)).code == "demand_out_of_range"


def test_a_service_below_the_minimum_hours_is_billed_for_the_minimum() -> None:
    quote = quote_service(policy=ILS_POLICY, policy_version=1, hours=D("1.5"))
    assert quote.price == ils("90.00")
    assert parts(quote) == ("0.00", "9.00", "1.80", "79.20", "0.00")
    assert texts(quote) == [
        "Minimum booking applies: 2 hours",
        "2 hours at 45.00 ILS per hour",
        "Price 90.00 ILS, worked out exactly and rounded half-up to the nearest 0.01 ILS once, "
        "at the end",
    ]


def test_a_service_above_the_minimum_hours() -> None:
    def price(hours: str) -> Money:
        return quote_service(policy=ILS_POLICY, policy_version=1, hours=D(hours)).price

    assert price("2.5") == ils("112.50")
    assert price("2.333") == ils("104.99")  # 104.985 exactly
    assert price("0") == ils("90.00")


def test_late_cancellation_inside_and_outside_the_window() -> None:
    def fee(price: Money, hours: str) -> Money:
        return late_cancellation_fee(
            policy=ILS_POLICY, quote_price=price, hours_before_start=D(hours)
        )

    assert fee(ils("90.00"), "10") == ils("22.50")  # 25% within 24 hours
    assert fee(ils("90.00"), "23.99") == ils("22.50")
    assert fee(ils("90.00"), "-2") == ils("22.50")  # cancelled after the start
    assert fee(ils("90.00"), "24") == ils("0.00")  # exactly 24 hours before is in time
    assert fee(ils("90.00"), "72") == ils("0.00")
    assert fee(ils("0.10"), "1") == ils("0.03")  # 0.025 rounds half-up
    assert fee(ils("0.00"), "1") == ils("0.00")


def test_agreed_prices_still_split_the_fee() -> None:
    quote = quote_agreed(policy=ILS_POLICY, policy_version=7, price=ils("1234.56"))
    assert quote.price == ils("1234.56")
    assert parts(quote) == ("0.00", "123.46", "24.69", "1086.41", "0.00")
    assert texts(quote) == ["Agreed price 1234.56 ILS"]
    taxed = ILS_POLICY.model_copy(update={"fees": FeeRules(tax_percent=D("17"))})
    quote = quote_agreed(policy=taxed, policy_version=7, price=ils("117.00"), tip=ils("5"))
    assert parts(quote) == ("17.00", "10.00", "2.00", "88.00", "5.00")
    assert quote.breakdown == breakdown(
        price=ils("117.00"), tip=ils("5"), rules=taxed.fees, policy_version=7
    )


def test_earnings_top_up_is_exact() -> None:
    def top_up(earned: Money, hours: str, policy: Policy = ILS_POLICY) -> Money:
        return earnings_top_up(policy=policy, earned=earned, active_hours=D(hours))

    assert top_up(ils("250.00"), "10") == ils("50.00")  # floor 30.00 * 10 h = 300.00
    assert top_up(ils("300.00"), "10") == ils("0.00")
    assert top_up(ils("400.00"), "10") == ils("0.00")
    assert top_up(ils("100.00"), "7.3333") == ils("120.00")  # 219.999 -> 220.00
    assert top_up(ils("219.99"), "7.3333") == ils("0.01")
    assert top_up(ils("0.00"), "0") == ils("0.00")
    assert top_up(ils("0.00"), "0.0001") == ils("0.00")  # 0.003 rounds to nothing
    off = with_pricing(earnings_floor=EarningsFloor(enabled=False))
    assert top_up(ils("0.00"), "10", off) == ils("0.00")


def test_the_floor_counts_no_more_hours_than_its_window_lasts() -> None:
    def top_up(hours: str, days: int) -> Money:
        policy = with_pricing(earnings_floor=EarningsFloor(period_days=days))
        return earnings_top_up(policy=policy, earned=ils("0.00"), active_hours=D(hours))

    assert top_up("336", 14) == top_up("400", 14) == ils("10080.00")  # 14 days of 24 h at 30.00
    assert top_up("900", 92) == ils("27000.00")  # more than a month's hours, in a 92-day window
    assert top_up("5000", 92) == ils("66240.00")  # 2,208 h


def test_jod_has_three_decimals() -> None:
    quote = trip("3.331", "7", JOD_POLICY)  # 12.0965 exactly: half-up, not half-even
    assert quote.price == jod("12.097")
    assert parts(quote) == ("0.000", "1.210", "0.242", "10.645", "0.000")
    assert texts(quote)[-1] == (
        "Price 12.097 JOD, worked out exactly and rounded half-up to the nearest 0.001 JOD once, "
        "at the end"
    )
    short = trip("1", "1", JOD_POLICY)
    assert short.price == jod("12.000")
    assert "Minimum fare applies: 12.000 JOD" in texts(short)
    fee = late_cancellation_fee(
        policy=JOD_POLICY, quote_price=jod("0.010"), hours_before_start=D("1")
    )
    assert fee == jod("0.003")  # 0.0025 rounds half-up
    top_up = earnings_top_up(policy=JOD_POLICY, earned=jod("1.000"), active_hours=D("0.01"))
    assert top_up == jod("0.000")  # the floor is 30.000 * 0.01 = 0.300; 1.000 is above it
    assert earnings_top_up(policy=JOD_POLICY, earned=jod("0.100"), active_hours=D("0.01")) == jod(
        "0.200"
    )


def test_trailing_zeros_do_not_count_as_decimals() -> None:
    assert trip("2." + "0" * 30, "5").price == ils("12.00")
    assert trip("1E+1", "0").price == ils("20.00")


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"km": D("-1")}, "distance_out_of_range"),
        ({"km": D("10000.01")}, "distance_out_of_range"),
        ({"km": D("NaN")}, "not_a_number"),
        ({"km": D("sNaN")}, "not_a_number"),
        ({"km": D("Infinity")}, "not_a_number"),
        ({"km": D("1E-21")}, "too_many_decimals"),
        ({"km": 2.5}, "float_amount"),
        ({"minutes": D("-0.5")}, "minutes_out_of_range"),
        ({"minutes": D("10001")}, "minutes_out_of_range"),
        ({"minutes": D("-Infinity")}, "not_a_number"),
        ({"tip": jod("1")}, "currency_mismatch"),
        ({"tip": ils("-1")}, "negative_tip"),
    ],
)
def test_trip_refusals(kwargs: dict[str, Any], code: str) -> None:
    call = {"policy": ILS_POLICY, "policy_version": 1, "km": D("5"), "minutes": D("5"), **kwargs}
    assert refused(lambda: quote_trip(**call)).code == code


def test_the_refusals_say_what_is_wrong() -> None:
    error = refused(lambda: trip("20000", "5"))
    assert error.message == "The distance must be from 0 to %(max)s km, not %(value)s."
    assert str(error) == "The distance must be from 0 to 10000 km, not 20000."
    error = refused(lambda: quote_service(policy=ILS_POLICY, policy_version=1, hours=D("745")))
    assert (error.code, str(error)) == (
        "hours_out_of_range",
        "The hours must be from 0 to 744, not 745.",
    )
    error = refused(lambda: trip("1E-21", "5"))
    assert str(error) == "1E-21 has more than 20 decimal places."


def test_service_agreed_cancellation_and_top_up_refusals() -> None:
    def service(hours: str, tip: Money | None = None) -> Quote:
        return quote_service(policy=ILS_POLICY, policy_version=1, hours=D(hours), tip=tip)

    def agreed(price: Money) -> Quote:
        return quote_agreed(policy=ILS_POLICY, policy_version=1, price=price)

    def fee(price: Money, hours: str = "1") -> Money:
        return late_cancellation_fee(
            policy=ILS_POLICY, quote_price=price, hours_before_start=D(hours)
        )

    def top_up(earned: Money, hours: str = "10") -> Money:
        return earnings_top_up(policy=ILS_POLICY, earned=earned, active_hours=D(hours))

    assert refused(lambda: service("-1")).code == "hours_out_of_range"
    assert refused(lambda: service("744.5")).code == "hours_out_of_range"
    assert refused(lambda: service("NaN")).code == "not_a_number"
    assert refused(lambda: service("3", jod("1"))).code == "currency_mismatch"
    assert refused(lambda: agreed(jod("100"))).code == "currency_mismatch"
    assert refused(lambda: agreed(ils("-1"))).code == "price_not_positive"
    assert refused(lambda: agreed(ils("0"))).code == "price_not_positive"
    assert refused(lambda: fee(ils("-1"))).code == "negative_price"
    assert refused(lambda: fee(jod("1"))).code == "currency_mismatch"
    assert refused(lambda: fee(ils("1"), "NaN")).code == "not_a_number"
    assert refused(lambda: top_up(ils("-0.01"))).code == "negative_earnings"
    assert refused(lambda: top_up(jod("1"))).code == "currency_mismatch"
    assert refused(lambda: top_up(ils("1"), "10000000.01")).code == "hours_out_of_range"
    assert refused(lambda: top_up(ils("1"), "-1")).code == "hours_out_of_range"
    assert refused(lambda: top_up(ils("1"), "NaN")).code == "not_a_number"
    assert service("744").price == ils("33480.00")  # the most hours a month has


# --- properties -------------------------------------------------------------------------------


def hundredths(low: int = 0, high: int = 10_000) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


def thousandths(low: int = 0, high: int = 10_000_000) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-3))


@st.composite
def trip_policies(draw: st.DrawFn) -> Policy:
    trips = TripPrices(
        base=draw(hundredths()),
        per_km=draw(hundredths(0, 1_000)),
        per_km_long=draw(hundredths(0, 1_000)),
        long_after_km=draw(thousandths(0, 1_000_000)),
        per_minute=draw(hundredths(0, 1_000)),
        minimum_fare=draw(hundredths(1, 10_000)),
    )
    surge = SurgeRules(enabled=draw(st.booleans()), max_multiplier=draw(hundredths(100, 300)))
    fees = FeeRules(
        coop_fee_percent=draw(hundredths(0, 5_000)),
        solidarity_percent=draw(hundredths(0, 5_000)),
        tax_percent=draw(hundredths(0, 5_000)),
    )
    policy = with_pricing(trips=trips, surge=surge)
    return policy.model_copy(update={"fees": fees})


kms = thousandths(0, 10_000_000)
minutes_ = hundredths(0, 1_000_000)
demands = st.builds(Demand, st.integers(0, 5_000), st.integers(0, 1_000))


@given(trip_policies(), kms, kms, minutes_, minutes_, demands)
def test_a_trip_never_costs_less_for_more_km_or_minutes(
    policy: Policy, km1: Decimal, km2: Decimal, min1: Decimal, min2: Decimal, demand: Demand
) -> None:
    def price(km: Decimal, minutes: Decimal) -> Money:
        return quote_trip(
            policy=policy, policy_version=1, km=km, minutes=minutes, demand=demand
        ).price

    km_low, km_high = sorted((km1, km2))
    min_low, min_high = sorted((min1, min2))
    assert price(km_low, min_low) <= price(km_high, min_low)
    assert price(km_low, min_low) <= price(km_low, min_high)
    assert price(km_high, min_low) <= price(km_high, min_high)


counts = st.integers(0, 5_000)


@given(trip_policies(), kms, minutes_, counts, counts, counts)
def test_more_trips_waiting_never_lower_a_price_nor_raise_it_past_the_cap(
    policy: Policy, km: Decimal, minutes: Decimal, waiting1: int, waiting2: int, free: int
) -> None:
    def price(demand: Demand | None) -> Money:
        return quote_trip(
            policy=policy, policy_version=1, km=km, minutes=minutes, demand=demand
        ).price

    fewer, more = sorted((waiting1, waiting2))
    capped = price(Demand(waiting=MAX_DEMAND_COUNT, free=0))
    assert price(None) <= price(Demand(fewer, free)) <= price(Demand(more, free)) <= capped


@given(trip_policies(), kms, minutes_, demands, hundredths(0, 10_000))
def test_a_trip_never_costs_less_than_the_minimum_fare_and_always_adds_up(
    policy: Policy, km: Decimal, minutes: Decimal, demand: Demand, tip: Decimal
) -> None:
    quote = quote_trip(
        policy=policy,
        policy_version=1,
        km=km,
        minutes=minutes,
        demand=demand,
        tip=Money(tip, "ILS"),
    )
    b = quote.breakdown
    assert quote.price.amount >= policy.pricing.trips.minimum_fare
    assert b.price == quote.price
    assert b.tax + b.coop_fee + b.solidarity + b.worker_share == quote.price
    assert min(b.tax.amount, b.coop_fee.amount, b.solidarity.amount, b.worker_share.amount) >= 0
    assert b.tip == Money(tip, "ILS")
    assert quote.price.amount == quote.price.amount.quantize(quantum("ILS"))


@given(
    st.sampled_from([ILS_POLICY, JOD_POLICY]),
    hundredths(0, 74_400),
    hundredths(0, 100_000),
    st.integers(0, 10**7),
)
def test_services_and_agreed_prices_always_add_up(
    policy: Policy, hours: Decimal, rate: Decimal, units: int
) -> None:
    policy = with_pricing(policy, services=ServicePrices(hourly_rate=rate + D("0.01")))
    service = quote_service(policy=policy, policy_version=1, hours=hours)
    currency = policy.currency
    billed = max(hours, policy.pricing.services.minimum_hours)
    exact = policy.pricing.services.hourly_rate * billed
    assert service.price.amount == exact.quantize(quantum(currency), ROUND_HALF_UP)
    price = Money((units + 1) * quantum(currency), currency)
    for quote in (service, quote_agreed(policy=policy, policy_version=1, price=price)):
        b = quote.breakdown
        assert b.tax + b.coop_fee + b.solidarity + b.worker_share == quote.price


@given(
    st.sampled_from([ILS_POLICY, JOD_POLICY]),
    hundredths(0, 100_000),
    hundredths(0, 300_000),
    st.integers(1, 92),
    st.integers(0, 10**7),
)
def test_the_top_up_brings_earnings_exactly_to_the_floor(
    policy: Policy, hourly: Decimal, worked: Decimal, days: int, earned_units: int
) -> None:
    floor = EarningsFloor(hourly=hourly, period_days=days)
    policy = with_pricing(policy, earnings_floor=floor)
    currency = policy.currency
    earned = Money(earned_units * quantum(currency), currency)
    top_up = earnings_top_up(policy=policy, earned=earned, active_hours=worked)
    hours = min(worked, Decimal(24 * days))
    floor_total = Money((hourly * hours).quantize(quantum(currency), ROUND_HALF_UP), currency)
    assert top_up.amount >= 0
    if earned.amount >= hourly * hours:
        assert top_up.is_zero  # already at or above the floor: unchanged
    else:
        assert earned + top_up == floor_total  # exactly the floor, to the minor unit
