"""The impact preview: recent orders replayed under the current and the proposed policy, exact
to the minor unit on hand-worked examples, and its invariants as properties."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.impact import (
    PRODUCT,
    PROJECT,
    SECTORS,
    SERVICE,
    TRIP,
    WORK,
    BatchTable,
    Figures,
    ImpactPreview,
    OrderTable,
    preview,
    replay_dispatch,
    split,
)
from taawun.domain.money import MINOR_UNITS, Money
from taawun.domain.policy import (
    DispatchRules,
    EarningsFloor,
    FeeRules,
    Policy,
    ServicePrices,
    SurplusRules,
    TripPrices,
    founding_policy,
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
POLICY = founding_policy(currency="ILS", classes=copy.deepcopy(CLASSES))
JOD_POLICY = founding_policy(currency="JOD", classes=copy.deepcopy(CLASSES))
LICENCES = ("personal", "commercial", "extended")
MONDAY = dt.date(2030, 3, 4)
HOUR = 3_600_000_000  # microseconds


def ils(value: str) -> Money:
    return Money.of(value, "ILS")


def changed(policy: Policy = POLICY, **sections: Any) -> Policy:
    """``policy`` with some of its sections replaced (``fees``, ``dispatch``, ...) or, for the
    pricing's own sections, ``trips``, ``services``, ``earnings_floor``, ``works``..."""
    pricing = {k: v for k, v in sections.items() if k in type(policy.pricing).model_fields}
    rest = {k: v for k, v in sections.items() if k not in pricing}
    if "surplus" in rest:
        rest["accounting"] = policy.accounting.model_copy(update={"surplus": rest.pop("surplus")})
    return policy.model_copy(update={"pricing": policy.pricing.model_copy(update=pricing), **rest})


def fees(coop: str, solidarity: str = "2", tax: str = "0") -> FeeRules:
    return FeeRules(
        coop_fee_percent=Decimal(coop),
        solidarity_percent=Decimal(solidarity),
        tax_percent=Decimal(tax),
    )


def order(
    sector: int,
    worker: int,
    *,
    price: str = "0.01",
    tip: str = "0",
    hours: str = "0",
    km: str = "0",
    minutes: int = 0,
    booked: str = "0",
    late_fee: bool = False,
    notice_hours: str = "0",
    licence: str | None = None,
    day: dt.date = MONDAY,
) -> dict[str, Any]:
    """One order's row, amounts in shekels as written on a receipt."""
    return {
        "worker": worker,
        "sector": sector,
        "day": day,
        "price": int(Decimal(price) * 100),
        "tip": int(Decimal(tip) * 100),
        "hours": int(Decimal(hours) * 100),
        "km": int(Decimal(km) * 10),
        "minutes": minutes,
        "booked_hours": int(Decimal(booked) * 100),
        "late_fee": late_fee,
        "notice": int(Decimal(notice_hours) * HOUR),
        "licence": LICENCES.index(licence) if licence else -1,
    }


def table(rows: list[dict[str, Any]], currency: str = "ILS") -> OrderTable:
    columns: dict[str, Any] = {
        name: [row[name] for row in rows]
        for name in (
            "worker",
            "sector",
            "day",
            "price",
            "tip",
            "hours",
            "km",
            "minutes",
            "booked_hours",
            "late_fee",
            "notice",
            "licence",
        )
    }
    return OrderTable(
        currency=currency,
        order_id=list(range(1, len(rows) + 1)),
        licence_keys=LICENCES,
        **columns,
    )


def parts(figures: Figures) -> str:
    """price, tax, co-op fee, solidarity, worker's share and tip, as on a receipt."""
    return amounts(
        figures.price,
        figures.tax,
        figures.coop_fee,
        figures.solidarity,
        figures.worker_share,
        figures.tip,
    )


def amounts(*values: Money) -> str:
    return " ".join(str(value.amount) for value in values)


NOTHING = "0.00 0.00 0.00 0.00 0.00 0.00"


# A project milestone, a shop order and a ride (8.4 km, 20 minutes: 23.60 under the defaults).
THREE = [
    order(PROJECT, 1, price="200.00", tip="20.00", hours="10"),
    order(PRODUCT, 2, price="90.00"),
    order(TRIP, 3, price="23.60", hours="0.40", km="8.4", minutes=20),
]


def by_member(result: ImpactPreview) -> dict[int, tuple[str, str]]:
    return {m.member: (parts(m.current.figures), parts(m.proposed.figures)) for m in result.members}


# --- hand-worked examples ------------------------------------------------------------------


def test_a_lower_fee_moves_exactly_the_fee_difference_to_the_workers() -> None:
    result = preview(POLICY, changed(fees=fees("8")), table(THREE))
    # 10% -> 8%: 200.00 pays 20.00 -> 16.00; 90.00 pays 9.00 -> 7.20; 23.60 pays 2.36 -> 1.89
    # (1.888 rounded half-up). Solidarity 2% stays 4.00, 1.80 and 0.47 (0.472).
    assert by_member(result) == {
        1: (
            "200.00 0.00 20.00 4.00 176.00 20.00",
            "200.00 0.00 16.00 4.00 180.00 20.00",
        ),
        2: (
            "90.00 0.00 9.00 1.80 79.20 0.00",
            "90.00 0.00 7.20 1.80 81.00 0.00",
        ),
        3: (
            "23.60 0.00 2.36 0.47 20.77 0.00",
            "23.60 0.00 1.89 0.47 21.24 0.00",
        ),
    }
    assert parts(result.current.totals) == "313.60 0.00 31.36 6.27 275.97 20.00"
    assert parts(result.change) == "0.00 0.00 -6.27 0.00 6.27 0.00"
    assert result.change.earned == ils("6.27")
    assert result.change.paid == ils("0")
    assert [m.earnings_change for m in result.members] == [ils("4.00"), ils("1.80"), ils("0.47")]
    assert (result.current.totals.orders, result.left_out) == (3, 0)
    assert (result.first_day, result.last_day) == (MONDAY, MONDAY)
    # member 1 earned 196.00 in 10 h, below the floor of 30.00 an hour: topped up by 104.00 from
    # the solidarity fund, which also gets its 6.27 of shares and 3.13 of the surplus
    assert result.current.top_ups == ils("104.00")
    assert result.current.solidarity_fund == ils("-94.60")


def test_tax_comes_out_first_and_tips_never_change() -> None:
    rows = [order(PRODUCT, 1, price="116.00", tip="7.00")]
    result = preview(
        changed(fees=fees("10", tax="16")), changed(fees=fees("5", tax="16")), table(rows)
    )
    # 116.00 includes 16% tax: 100.00 before tax, 16.00 tax; the fee 10.00 -> 5.00
    assert by_member(result)[1] == (
        "116.00 16.00 10.00 2.00 88.00 7.00",
        "116.00 16.00 5.00 2.00 93.00 7.00",
    )


def test_a_per_km_change_reprices_only_the_trips() -> None:
    rows = [
        *THREE,
        order(SERVICE, 4, hours="2", booked="2"),
        order(WORK, 5, licence="commercial"),
        order(TRIP, 3, hours="1", km="20", minutes=48),
    ]
    result = preview(POLICY, changed(trips=TripPrices(per_km=Decimal("1.60"))), table(rows))
    change = {
        name: parts(result.proposed.by_sector[name].minus(result.current.by_sector[name]))
        for name in SECTORS
    }
    # 8.4 km: 23.60 -> 5.00 + 8.4 x 1.60 + 20 x 0.30 = 24.44 (+0.84);
    # 20 km: 47.40 -> 5.00 + 16 x 1.60 + 4 x 1.00 + 48 x 0.30 = 49.00 (+1.60)
    assert change == {
        "service": "0.00 0.00 0.00 0.00 0.00 0.00",
        "trip": "2.44 0.00 0.24 0.05 2.15 0.00",
        "project": "0.00 0.00 0.00 0.00 0.00 0.00",
        "product": "0.00 0.00 0.00 0.00 0.00 0.00",
        "work": "0.00 0.00 0.00 0.00 0.00 0.00",
    }
    assert parts(result.current.by_sector["trip"]) == "71.00 0.00 7.10 1.42 62.48 0.00"
    # the service 2 h x 45.00; the commercial licence 60.00 with a 50% royalty
    assert parts(result.current.by_sector["service"]) == "90.00 0.00 9.00 1.80 79.20 0.00"
    assert parts(result.current.by_sector["work"]) == "60.00 0.00 28.80 1.20 30.00 0.00"


def test_amounts_keep_the_currencys_minor_unit() -> None:
    rows = [order(TRIP, 1, hours="0.40", km="8.4", minutes=20)]
    result = preview(JOD_POLICY, changed(JOD_POLICY, fees=fees("7.5")), table(rows, "JOD"))
    # 23.600 JOD: 10% = 2.360, 7.5% = 1.770; solidarity 2% = 0.472
    assert parts(result.proposed.totals) == "23.600 0.000 1.770 0.472 21.358 0.000"


def test_service_prices_follow_the_hourly_rate_and_the_minimum() -> None:
    rows = [order(SERVICE, 1, hours="1", booked="1"), order(SERVICE, 1, hours="3", booked="3")]
    rules = ServicePrices(hourly_rate=Decimal("50.00"), minimum_hours=Decimal(1))
    result = preview(POLICY, changed(services=rules), table(rows))
    # 1 h: the 2 h minimum 90.00 -> 50.00; 3 h: 135.00 -> 150.00
    assert result.current.totals.price == ils("225.00")
    assert result.proposed.totals.price == ils("200.00")


def test_a_late_fee_follows_the_window_and_the_percentage() -> None:
    rows = [order(SERVICE, 1, booked="2", late_fee=True, notice_hours="20")]
    half = ServicePrices(late_cancellation_percent=Decimal(50))
    wider = preview(POLICY, changed(services=half), table(rows))
    # 25% of the 2 h booking's 90.00 = 22.50 -> 50% = 45.00
    assert (wider.current.totals.price, wider.proposed.totals.price) == (ils("22.50"), ils("45.00"))
    assert wider.current.totals.worker_share == ils("19.80")
    shorter = preview(
        POLICY, changed(services=ServicePrices(late_cancellation_hours=12)), table(rows)
    )
    # cancelled 20 h before the start: inside 24 h, outside 12 h, so no fee at all
    assert parts(shorter.proposed.totals) == NOTHING
    assert (shorter.current.totals.orders, shorter.proposed.totals.orders) == (1, 0)
    assert shorter.members[0].proposed.figures.orders == 0
    assert "Bookings cancelled free of charge are not replayed" in str(shorter.not_replayed[-1])


def test_a_surplus_split_change_changes_only_the_allocation() -> None:
    surplus = SurplusRules(reserve_percent=Decimal(40))
    result = preview(POLICY, changed(surplus=surplus), table(THREE))
    assert parts(result.change) == NOTHING
    assert [m.earnings_change for m in result.members] == [ils("0")] * 3
    before, after = result.current.allocation, result.proposed.allocation
    assert before is not None and after is not None
    # 31.36 of fees: 30/5/10/55% -> 9.408/1.568/3.136/17.248: the 3 units left over go to the
    # largest remainders (.8, .8, .8 before .6); 40/5/10/45% -> 12.544/1.568/3.136/14.112: 2 left,
    # to .8 and .6.
    split_before = amounts(before.reserve, before.education, before.solidarity, before.pool)
    split_after = amounts(after.reserve, after.education, after.solidarity, after.pool)
    assert (split_before, split_after) == ("9.41 1.57 3.13 17.25", "12.54 1.57 3.14 14.11")
    # dividends by hours: 10 h and 0.40 h of 10.40; member 2 worked none
    dividends = [amounts(m.current.dividend, m.proposed.dividend) for m in result.members]
    assert dividends == ["16.59 13.57", "0.00 0.00", "0.66 0.54"]
    # 6.27 of shares and 3.13 or 3.14 of the surplus, less the 104.00 topping member 1 up
    assert (result.current.solidarity_fund, result.proposed.solidarity_fund) == (
        ils("-94.60"),
        ils("-94.59"),
    )
    assert result.warnings == ()


def test_expenses_come_off_the_fees_before_the_split() -> None:
    result = preview(POLICY, POLICY, table(THREE), expenses=ils("21.36"))
    assert result.current.member_surplus == ils("10.00")
    assert result.current.allocation is not None
    assert result.current.allocation.reserve == ils("3.00")
    losing = preview(POLICY, changed(fees=fees("5")), table(THREE), expenses=ils("21.36"))
    # 5%: 10.00 + 4.50 + 1.18 = 15.68 of fees, less than the expenses
    assert losing.proposed.member_surplus == ils("-5.68")
    assert losing.proposed.allocation is None
    assert "Under the proposed rules there would be no surplus to share." in [
        str(line) for line in losing.explanation
    ]


# Members around the floor of 30.00 an hour: A, B and C each did one 100.00 project milestone
# (88.00 for the worker at 10% + 2%), in 1 h (88.00/h), 2.80 h (31.43/h) and 3.50 h (25.14/h,
# below already); D sold a product (no hours, so no rate).
NEAR_FLOOR = [
    order(PROJECT, 1, price="100.00", hours="1"),
    order(PROJECT, 2, price="100.00", hours="2.80"),
    order(PROJECT, 3, price="100.00", hours="3.50"),
    order(PRODUCT, 4, price="30.00"),
]


def test_a_fee_rise_that_pushes_a_member_below_the_floor_is_flagged() -> None:
    result = preview(POLICY, changed(fees=fees("15")), table(NEAR_FLOOR))
    # B: 83.00 / 2.80 = 29.64 an hour, below 30.00
    assert result.floor.pushed_below == (2,)
    assert (result.floor.below_now, result.floor.below_proposed) == (1, 2)
    assert result.floor.hourly == ils("30.00")
    b = result.members[1]
    assert (b.pushed_below_floor, b.current.below_floor, b.proposed.below_floor) == (
        True,
        False,
        True,
    )
    assert b.current.per_hour is not None and b.proposed.per_hour is not None
    assert (round(b.current.per_hour, 2), round(b.proposed.per_hour, 2)) == (
        Decimal("31.43"),
        Decimal("29.64"),
    )
    assert [str(line) for line in result.warnings] == [
        "Warning: members this change would push below the earnings floor of 30.00 ILS per "
        "active hour, who earn at least that under the current rules: 1."
    ]
    # top-ups to 30.00 an hour: B 84.00 - 83.00 = 1.00; C 105.00 - 88.00 = 17.00 -> 22.00
    top_ups = [amounts(m.current.top_up, m.proposed.top_up) for m in result.members]
    assert top_ups == ["0.00 0.00", "0.00 1.00", "17.00 22.00", "0.00 0.00"]
    assert (result.current.top_ups, result.proposed.top_ups) == (ils("17.00"), ils("23.00"))
    assert result.members[3].current.per_hour is None
    spread = result.proposed.spread
    assert spread is not None
    assert (spread.summary.count, spread.summary.below_floor) == (3, 2)


@pytest.mark.parametrize(
    ("proposal", "pushed"),
    [
        ({"fees": fees("8")}, ()),  # a lower fee lifts everyone
        ({"fees": fees("14")}, ()),  # B at exactly 84.00 / 2.80 = 30.00: not below
        ({"fees": fees("14.01")}, (2,)),  # B at 83.99 / 2.80: below
        ({"earnings_floor": EarningsFloor(hourly=Decimal("32.00"))}, ()),  # B below both
        ({"surplus": SurplusRules(reserve_percent=Decimal(50))}, ()),
        ({}, ()),
    ],
)
def test_the_floor_warning_appears_exactly_when_the_change_pushes_someone_below(
    proposal: dict[str, Any], pushed: tuple[int, ...]
) -> None:
    result = preview(POLICY, changed(**proposal), table(NEAR_FLOOR))
    assert result.floor.pushed_below == pushed
    assert bool(result.warnings) == bool(pushed)


def test_turning_the_floor_off_is_flagged_and_judged_against_the_current_floor() -> None:
    off = changed(earnings_floor=EarningsFloor(enabled=False), fees=fees("15"))
    result = preview(POLICY, off, table(NEAR_FLOOR))
    assert result.floor.hourly == ils("30.00")
    assert result.floor.pushed_below == (2,)
    assert result.proposed.top_ups == ils("0")
    assert [line.message.split(":")[0] for line in result.warnings] == ["Warning"] * 2
    assert "turns the earnings floor off" in str(result.warnings[0])


def test_the_floor_is_applied_per_window_counted_back_from_the_last_day() -> None:
    # one worker: a good week (88.00 in 1 h) and, 14 days earlier, a poor one (88.00 in 4 h)
    rows = [
        order(PROJECT, 1, price="100.00", hours="1", day=MONDAY),
        order(PROJECT, 1, price="100.00", hours="4", day=MONDAY - dt.timedelta(days=14)),
    ]
    two_weeks = preview(POLICY, POLICY, table(rows))
    # windows of 14 days: the poor window is topped up to 4 x 30.00 = 120.00 (+32.00)
    assert two_weeks.current.top_ups == ils("32.00")
    month = changed(earnings_floor=EarningsFloor(period_days=28))
    # one window of 28 days: 176.00 for 5 h is 35.20 an hour, above the floor
    assert preview(POLICY, month, table(rows)).proposed.top_ups == ils("0")


def test_a_top_up_from_the_reserve_leaves_the_solidarity_fund_alone() -> None:
    reserve = changed(earnings_floor=EarningsFloor(fund="reserve"))
    result = preview(POLICY, reserve, table(NEAR_FLOOR))
    assert result.proposed.top_up_fund == "reserve"
    assert result.current.solidarity_fund - result.proposed.solidarity_fund == ils("-17.00")


def test_trips_without_a_recorded_batch_are_said_to_stay_with_their_worker() -> None:
    fairer = changed(dispatch=DispatchRules(fairness_weight=Decimal(2)))
    result = preview(POLICY, fairer, table(THREE))
    assert parts(result.change) == NOTHING
    said = " ".join(str(line) for line in result.not_replayed)
    assert "1 trips have no recorded dispatch batch to replay" in said
    plain = preview(POLICY, changed(fees=fees("8")), table(THREE))
    assert len(plain.not_replayed) == 1  # only what no replay can know


def test_a_licence_kind_one_side_lacks_is_left_out_of_both() -> None:
    works = POLICY.pricing.works
    fewer = changed(works=works.model_copy(update={"licences": works.licences[:2]}))
    rows = [order(WORK, 1, licence="extended"), order(WORK, 1, licence="personal"), *THREE]
    result = preview(POLICY, fewer, table(rows))
    assert result.left_out == 1
    assert result.current.by_sector["work"].price == ils("15.00")
    assert result.current.totals.orders == 4
    assert str(result.not_replayed[-1]) == (
        "The proposed rules have no extended licence, so its sales are left out of both sides: 1."
    )


def test_no_orders_replays_to_nothing() -> None:
    result = preview(POLICY, changed(fees=fees("8")), table([]))
    assert (result.first_day, result.members, result.current.spread) == (None, (), None)
    assert result.current.totals.price == ils("0")
    assert [line.message for line in result.explanation] == [
        "There are no paid orders in these weeks to replay."
    ]


def test_the_explanation_reads_as_sentences() -> None:
    result = preview(POLICY, changed(fees=fees("8")), table(THREE))
    assert [str(line) for line in result.explanation[:4]] == [
        "3 paid orders from 2030-03-04 to 2030-03-04 are priced again under the current rules "
        "and under the proposed ones.",
        "Workers would earn 302.24 ILS, tips included, against 295.97 ILS under the current "
        "rules (+6.27 ILS).",
        "Customers would pay 333.60 ILS, tips included, against 333.60 ILS (0.00 ILS).",
        "The co-op's fees would come to 25.09 ILS, against 31.36 ILS (-6.27 ILS).",
    ]


def test_bad_input_is_refused_with_a_code() -> None:
    with pytest.raises(InvalidInput) as other_currency:
        preview(POLICY, JOD_POLICY, table(THREE))
    assert other_currency.value.code == "replay_currency"
    with pytest.raises(InvalidInput) as expenses:
        preview(POLICY, POLICY, table(THREE), expenses=ils("-1"))
    assert expenses.value.code == "bad_expenses"
    good = table(THREE)
    bad_columns: list[dict[str, Any]] = [
        {"price": np.array([1, 2])},
        {"price": np.array([0, 1, 1])},
        {"sector": np.array([0, 9, 1])},
        {"tip": np.array([-1, 0, 0])},
        {"late_fee": np.array([True, False, False])},
        {"sector": np.array([WORK, WORK, WORK])},  # licence -1
    ]
    for change in bad_columns:
        fields = {name: getattr(good, name) for name in good.__dataclass_fields__} | change
        with pytest.raises(InvalidInput) as refused:
            OrderTable(**fields)
        assert refused.value.code == "bad_order_table"


# --- properties ------------------------------------------------------------------------------


def hundredths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def fee_rules(draw: st.DrawFn) -> FeeRules:
    coop = draw(hundredths(0, 10_000))
    return FeeRules(
        coop_fee_percent=coop,
        solidarity_percent=draw(hundredths(0, min(10_000 - int(coop * 100), 2_500))),
        tax_percent=draw(hundredths(0, 10_000)),
    )


@given(
    fee_rules(),
    st.sampled_from(sorted({2, 3})),
    st.lists(st.integers(1, 10**12), min_size=1, max_size=20),
)
def test_the_split_of_many_prices_is_the_receipts_breakdown(
    rules: FeeRules, places: int, prices: list[int]
) -> None:
    currency = next(code for code, minor in MINOR_UNITS.items() if minor == places)
    rows = split(np.array(prices, dtype=np.int64), rules)
    for units, row in zip(prices, rows.tolist(), strict=True):
        price = Money(Decimal(units).scaleb(-places), currency)
        b = breakdown(price=price, tip=Money.zero(currency), rules=rules, policy_version=1)
        expected = [price, b.tax, b.coop_fee, b.solidarity, b.worker_share]
        assert row == [int(m.amount.scaleb(places)) for m in expected]


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    return changed(
        fees=draw(fee_rules()),
        trips=TripPrices(
            per_km=draw(hundredths(0, 500)),
            per_minute=draw(hundredths(0, 100)),
            minimum_fare=draw(hundredths(0, 3_000)),
        ),
        services=ServicePrices(
            hourly_rate=draw(hundredths(1, 10_000)),
            late_cancellation_hours=draw(st.integers(0, 48)),
        ),
        earnings_floor=EarningsFloor(
            enabled=draw(st.booleans()),
            hourly=draw(hundredths(0, 6_000)),
            period_days=draw(st.integers(1, 30)),
        ),
        surplus=SurplusRules(reserve_percent=draw(hundredths(0, 8_000))),
    )


@st.composite
def orders(draw: st.DrawFn) -> OrderTable:
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        sector = draw(st.sampled_from([SERVICE, TRIP, PROJECT, PRODUCT, WORK]))
        late = sector == SERVICE and draw(st.booleans())
        rows.append(
            {
                "worker": draw(st.integers(1, 6)),
                "sector": sector,
                "day": MONDAY - dt.timedelta(days=draw(st.integers(0, 56))),
                "price": draw(st.integers(1, 10**7)),
                "tip": draw(st.integers(0, 10**4)),
                "hours": draw(st.integers(0, 1_000)),
                "km": draw(st.integers(0, 500)),
                "minutes": draw(st.integers(0, 120)),
                "booked_hours": 25 * draw(st.integers(1, 32)),
                "late_fee": late,
                "notice": draw(st.integers(-2 * HOUR, 72 * HOUR)),
                "licence": draw(st.integers(0, 2)),
            }
        )
    return table(rows)


def figures_sum(items: list[Figures]) -> Figures:
    zero = Money.zero("ILS")
    return Figures(
        orders=sum(item.orders for item in items),
        **{
            name: sum((getattr(item, name) for item in items), zero)
            for name in ("price", "tax", "coop_fee", "solidarity", "worker_share", "tip")
        },
    )


@settings(max_examples=60, deadline=None)
@given(policies(), orders())
def test_replaying_under_the_same_policy_changes_nothing(
    policy: Policy, replayed: OrderTable
) -> None:
    result = preview(policy, policy, replayed)
    assert parts(result.change) == NOTHING
    assert result.change.orders == 0
    for member in result.members:
        assert member.current == member.proposed
        assert member.earnings_change.is_zero
        assert not member.pushed_below_floor
    assert result.current == result.proposed
    assert result.floor.pushed_below == ()
    assert result.warnings == ()


@settings(max_examples=60, deadline=None)
@given(policies(), policies(), orders())
def test_the_totals_are_the_sums_of_the_members_and_of_the_sectors(
    current: Policy, proposed: Policy, replayed: OrderTable
) -> None:
    result = preview(current, proposed, replayed)
    for side, outcome in (("current", result.current), ("proposed", result.proposed)):
        members = [getattr(m, side) for m in result.members]
        assert figures_sum([m.figures for m in members]) == outcome.totals
        assert figures_sum(list(outcome.by_sector.values())) == outcome.totals
        assert sum((m.top_up for m in members), Money.zero("ILS")) == outcome.top_ups
        dividends = sum((m.dividend for m in members), Money.zero("ILS"))
        assert dividends == (outcome.allocation.pool if outcome.allocation else Money.zero("ILS"))
        totals = outcome.totals
        assert (
            totals.tax + totals.coop_fee + totals.solidarity + totals.worker_share == totals.price
        )
    assert result.left_out == 0  # both policies have the three default licences
    tips = Money(Decimal(int(replayed.tip.sum())).scaleb(-2), "ILS")
    assert result.current.totals.tip == result.proposed.totals.tip == tips


# --- dispatch replayed from recorded batches ---------------------------------------------------

# One batch (key 7) of two requests, orders 1 (at 31.900 N) and 2 (11 km north), and three
# workers: member 1 next to order 1 earning 60.00 an hour, member 2 3.0 km from it earning 20.00,
# member 3 next to order 2 earning 40.00 (10 hours each: the mean is 40.00, so the fairness terms
# are +5, -5 and 0 km). At weight 0.1 member 1 costs 0.11 + 0.5 km against member 2's
# 3.00 - 0.5 km; at weight 0.6, 0.11 + 3 against 3.00 - 3: order 1 goes to member 2.
BATCH = {
    "batch": [7, 7],
    "order_id": [1, 2],
    "request_latitude": ["31.900000", "32.000000"],
    "request_longitude": ["35.200000", "35.200000"],
    "worker_batch": [7, 7, 7],
    "member": [1, 2, 3],
    "worker_latitude": ["31.901000", "31.927000", "32.001000"],
    "worker_longitude": ["35.200000", "35.200000", "35.200000"],
    "hourly_earnings": ["60", "20", "40"],
    "active_hours": ["10", "10", "10"],
    "barred_batch": [],
    "barred_order": [],
    "barred_member": [],
    "trip": [1, 2],
    "trip_batch": [7, 7],
    "first_offer": [1, 3],
}
NEAREST = changed(dispatch=DispatchRules(fairness_weight=Decimal("0.1")))
FAIRER = changed(dispatch=DispatchRules(fairness_weight=Decimal("0.6")))
RIDE = {"price": "23.60", "hours": "0.40", "km": "8.4", "minutes": 20}


def dispatched(rows: list[dict[str, Any]], **batch: Any) -> OrderTable:
    plain = table(rows)
    batches = BatchTable(**(BATCH | batch))
    return dataclasses.replace(plain, dispatch_batches=lambda: batches)


TWO_RIDES = [
    order(TRIP, 1, tip="5.00", **RIDE),
    order(TRIP, 3, **RIDE),
    order(PROJECT, 2, price="50.00", hours="2"),
]


def test_a_fairer_weight_moves_a_trip_to_the_lower_earning_worker() -> None:
    replay = replay_dispatch(NEAREST.dispatch, FAIRER.dispatch, BatchTable(**BATCH))
    assert replay.current.tolist() == [1, 3]  # the first offers, reproduced
    assert replay.proposed.tolist() == [2, 3]
    result = preview(NEAREST, FAIRER, dispatched(TWO_RIDES))
    assert parts(result.change) == NOTHING  # the same prices: money only changes hands
    # a ride of 23.60: fee 2.36, solidarity 0.47, share 20.77; its 5.00 tip goes with it
    assert by_member(result) == {
        1: ("23.60 0.00 2.36 0.47 20.77 5.00", NOTHING),
        2: ("50.00 0.00 5.00 1.00 44.00 0.00", "73.60 0.00 7.36 1.47 64.77 5.00"),
        3: ("23.60 0.00 2.36 0.47 20.77 0.00", "23.60 0.00 2.36 0.47 20.77 0.00"),
    }
    hours = {m.member: (m.hours, m.proposed_hours) for m in result.members}
    assert hours == {
        1: (Decimal("0.4"), Decimal(0)),
        2: (Decimal(2), Decimal("2.4")),
        3: (Decimal("0.4"), Decimal("0.4")),
    }
    # per hour: 64.425, 22.00 and 51.925 now; members 2 and 3 at 69.77 / 2.4 and 51.925
    lines = [(line.message, dict(line.params)) for line in result.explanation[-3:]]
    assert lines == [
        (
            "Dispatch: %(replayed)s trips had their first batch recorded and were dispatched "
            "again under the proposed rules; %(moved)s would have gone to another worker "
            "(their worker's share, tip and hours go with them) and %(waited)s would have "
            "waited for a later batch (they stay with their worker here).",
            {"replayed": "2", "moved": "1", "waited": "0"},
        ),
        (
            "The pickup distance of those batches would total %(proposed)s km against "
            "%(current)s km under the current rules (%(change)s km).",
            {"proposed": "3.1", "current": "0.2", "change": "+2.9"},
        ),
        (
            "At the current prices, the trips dispatched differently would take the Gini "
            "coefficient of earnings per active hour from %(current)s to %(proposed)s.",
            {"current": "0.2044", "proposed": "0.1411"},
        ),
    ]
    assert not any("no recorded dispatch batch" in str(line) for line in result.not_replayed)


def test_the_same_dispatch_rules_change_nothing() -> None:
    replay = replay_dispatch(FAIRER.dispatch, FAIRER.dispatch, BatchTable(**BATCH))
    assert replay.current.tolist() == replay.proposed.tolist() == [2, 3]
    result = preview(NEAREST, NEAREST, dispatched(TWO_RIDES))
    assert all(m.earnings_change.is_zero and m.hours == m.proposed_hours for m in result.members)
    assert not any("Dispatch" in line.message for line in result.explanation)


def test_a_trip_left_unassigned_waits_and_a_declined_first_offer_is_not_replayed() -> None:
    near = changed(dispatch=DispatchRules(max_pickup_km=Decimal("0.05")))
    result = preview(NEAREST, near, dispatched(TWO_RIDES))
    assert all(m.earnings_change.is_zero for m in result.members)
    assert dict(result.explanation[-3].params) == {"replayed": "2", "moved": "0", "waited": "2"}
    declined = preview(NEAREST, FAIRER, dispatched(TWO_RIDES, first_offer=[2, 3]))
    assert all(m.earnings_change.is_zero for m in declined.members)
    last = declined.explanation[-1]
    assert last.message.startswith("Only each trip's first offer is replayed")
    assert dict(last.params) == {"count": "1"}


def test_a_barred_pair_is_respected_in_the_replay() -> None:
    barred = {"barred_batch": [7], "barred_order": [1], "barred_member": [2]}
    replay = replay_dispatch(NEAREST.dispatch, FAIRER.dispatch, BatchTable(**(BATCH | barred)))
    assert replay.proposed.tolist() == [1, 3]


@settings(max_examples=40, deadline=None)
@given(
    spots=st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 80)),
        min_size=3,
        max_size=6,
    ),
    weight=st.sampled_from(["0", "0.6", "2", "10"]),
)
def test_money_and_hours_only_change_hands(spots: list[tuple[int, int, int]], weight: str) -> None:
    """Three requests, each done by its first offer; any workers, any weight: what the workers
    earn and work in all is the same on both sides."""
    members = list(range(1, len(spots) + 1))
    batch = BATCH | {
        "batch": [7, 7, 7],
        "order_id": [1, 2, 3],
        "request_latitude": ["31.900000", "31.930000", "31.960000"],
        "request_longitude": ["35.200000"] * 3,
        "worker_batch": [7] * len(spots),
        "member": members,
        "worker_latitude": [f"31.{900 + 2 * y:03d}000" for _x, y, _e in spots],
        "worker_longitude": [f"35.{200 + x:03d}000" for x, _y, _e in spots],
        "hourly_earnings": [str(e) for _x, _y, e in spots],
        "active_hours": ["5"] * len(spots),
    }
    now = replay_dispatch(NEAREST.dispatch, NEAREST.dispatch, BatchTable(**batch)).current
    offered = [int(m) if m > 0 else 1 for m in now.tolist()]
    rows = [order(TRIP, member, tip="1.00", **RIDE) for member in offered]
    fairer = changed(dispatch=DispatchRules(fairness_weight=Decimal(weight)))
    result = preview(NEAREST, fairer, dispatched(rows, **(batch | {"first_offer": offered})))
    assert parts(result.change) == NOTHING
    assert sum((m.earnings_change for m in result.members), ils("0")) == ils("0")
    assert sum(m.hours for m in result.members) == sum(m.proposed_hours for m in result.members)
