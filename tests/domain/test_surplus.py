"""Surplus allocation and loss charging: exact to the minor unit, deterministic, explained."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.money import CURRENCIES, MINOR_UNITS, Money, quantum
from taawun.domain.policy import SurplusRules
from taawun.domain.surplus import (
    LossCharge,
    Patronage,
    SurplusAllocation,
    allocate_surplus,
    apportion,
    charge_loss,
)

DEFAULT = SurplusRules()


def ils(value: str) -> Money:
    return Money.of(value, "ILS")


def jod(value: str) -> Money:
    return Money.of(value, "JOD")


def worked(hours: str, revenue: Money | None = None) -> Patronage:
    return Patronage(hours=Decimal(hours), revenue=revenue or ils("0"))


def allocate(
    patronage: dict[int, Patronage],
    surplus: Money,
    *,
    rules: SurplusRules = DEFAULT,
    non_member: Money | None = None,
) -> SurplusAllocation[int]:
    return allocate_surplus(
        rules=rules,
        member_surplus=surplus,
        non_member_profit=non_member or Money.zero(surplus.currency),
        patronage=patronage,
    )


def amounts(allocation: SurplusAllocation[int]) -> dict[int, tuple[str, str, str]]:
    return {
        k: (str(d.dividend.amount), str(d.cash.amount), str(d.retained.amount))
        for k, d in allocation.dividends.items()
    }


def total(allocation: SurplusAllocation[int]) -> Money:
    result = allocation.reserve + allocation.education + allocation.solidarity
    for d in allocation.dividends.values():
        result = result + d.dividend
    return result


# --- worked examples --------------------------------------------------------------------------


def test_default_rules_hours_basis() -> None:
    a = allocate({1: worked("100"), 2: worked("50"), 3: worked("50")}, ils("10000.00"))
    assert (a.reserve, a.education, a.solidarity, a.pool) == (
        ils("3000.00"),
        ils("500.00"),
        ils("1000.00"),
        ils("5500.00"),
    )
    assert amounts(a) == {
        1: ("2750.00", "550.00", "2200.00"),
        2: ("1375.00", "275.00", "1100.00"),
        3: ("1375.00", "275.00", "1100.00"),
    }
    assert [d.weight for d in a.dividends.values()] == [
        Decimal("0.500000"),
        Decimal("0.250000"),
        Decimal("0.250000"),
    ]
    text = [str(line) for line in a.explanation]
    assert "30% of the member surplus, 3000.00 ILS, goes to the indivisible reserve." in text
    assert "5% of the member surplus, 500.00 ILS, goes to the education fund." in text
    assert "10% of the member surplus, 1000.00 ILS, goes to the solidarity fund." in text
    assert (
        "Of each dividend, 20% is paid in cash and 80% is credited to the member's capital account."
        in text
    )
    assert "In all, 3000.00 ILS goes to the indivisible reserve." in text
    reserve_line = a.explanation[1]
    assert reserve_line.params == {"percent": "30", "amount": "3000.00 ILS"}
    assert "%(amount)s" in reserve_line.message


def test_jod_three_decimals() -> None:
    rules = SurplusRules(cash_percent=Decimal("33.33"))
    patronage = {
        7: Patronage(hours=Decimal("10"), revenue=jod("0")),
        8: Patronage(hours=Decimal("20"), revenue=jod("0")),
    }
    a = allocate(patronage, jod("1000.001"), rules=rules)
    # 30/5/10/55 of 1,000,001 fils: 300000.3 / 50000.05 / 100000.1 / 550000.55 -> pool +1
    assert (a.reserve, a.education, a.solidarity, a.pool) == (
        jod("300.000"),
        jod("50.000"),
        jod("100.000"),
        jod("550.001"),
    )
    # 550001 fils by 1:2 -> 183333.67 / 366667.33 -> member 7 takes the extra fils
    assert amounts(a) == {
        7: ("183.334", "61.105", "122.229"),
        8: ("366.667", "122.210", "244.457"),
    }
    assert total(a) == jod("1000.001")


def test_rounding_ties_go_to_the_lowest_key() -> None:
    rules = SurplusRules(
        reserve_percent=Decimal(0), education_percent=Decimal(0), solidarity_percent=Decimal(0)
    )
    a = allocate({3: worked("8"), 1: worked("8"), 2: worked("8")}, ils("100.00"), rules=rules)
    assert {k: str(d.dividend.amount) for k, d in a.dividends.items()} == {
        1: "33.34",
        2: "33.33",
        3: "33.33",
    }
    assert list(a.dividends) == [1, 2, 3]


def test_funds_ties_favour_the_reserve_first() -> None:
    rules = SurplusRules(
        reserve_percent=Decimal(25),
        education_percent=Decimal(25),
        solidarity_percent=Decimal(25),
        cash_percent=Decimal(50),
    )
    a = allocate({1: worked("1")}, ils("0.02"), rules=rules)
    # four exact shares of 0.5 cents: the two spare cents go to reserve and education
    assert (a.reserve, a.education, a.solidarity, a.pool) == (
        ils("0.01"),
        ils("0.01"),
        ils("0"),
        ils("0"),
    )


def test_cash_retained_tie_goes_to_cash() -> None:
    rules = SurplusRules(
        reserve_percent=Decimal(0),
        education_percent=Decimal(0),
        solidarity_percent=Decimal(0),
        cash_percent=Decimal(50),
    )
    a = allocate({1: worked("1")}, ils("0.01"), rules=rules)
    assert amounts(a) == {1: ("0.01", "0.01", "0.00")}


def test_revenue_basis() -> None:
    rules = SurplusRules(patronage_basis="revenue", cash_percent=Decimal(100))
    patronage = {
        1: worked("500", ils("3000.00")),
        2: worked("0", ils("1000.00")),
        3: worked("40", ils("0")),
    }
    a = allocate(patronage, ils("2000.00"), rules=rules)
    assert a.pool == ils("1100.00")
    assert amounts(a) == {1: ("825.00", "825.00", "0.00"), 2: ("275.00", "275.00", "0.00")}
    assert 3 not in a.dividends  # no revenue, no weight: left out
    assert "in proportion to the revenue each brought in" in str(a.explanation[4])


def test_blend_basis() -> None:
    rules = SurplusRules(patronage_basis="blend", blend_hours_percent=Decimal(60))
    patronage = {
        1: worked("30", ils("0")),  # 0.6 * 0.75 + 0.4 * 0    = 0.45
        2: worked("10", ils("900.00")),  # 0.6 * 0.25 + 0.4 * 0.9 = 0.51
        3: worked("0", ils("100.00")),  # 0.6 * 0    + 0.4 * 0.1 = 0.04
    }
    a = allocate(patronage, ils("1000.00"), rules=rules)
    assert a.pool == ils("550.00")
    assert {k: str(d.dividend.amount) for k, d in a.dividends.items()} == {
        1: "247.50",
        2: "280.50",
        3: "22.00",
    }
    assert [d.weight for d in a.dividends.values()] == [
        Decimal("0.450000"),
        Decimal("0.510000"),
        Decimal("0.040000"),
    ]
    assert a.explanation[4].params == {"amount": "550.00 ILS", "hours": "60", "revenue": "40"}


def test_blend_without_any_revenue_shares_by_hours() -> None:
    rules = SurplusRules(patronage_basis="blend")
    a = allocate({1: worked("3"), 2: worked("1")}, ils("1000.00"), rules=rules)
    assert {k: str(d.dividend.amount) for k, d in a.dividends.items()} == {
        1: "412.50",
        2: "137.50",
    }


def test_non_member_profit_goes_to_the_reserve() -> None:
    a = allocate({1: worked("1")}, ils("100.00"), non_member=ils("45.67"))
    assert a.reserve == ils("75.67")
    assert a.dividends[1].dividend == ils("55.00")
    assert total(a) == ils("145.67")
    assert any(line.params.get("amount") == "45.67 ILS" for line in a.explanation)


def test_nobody_worked_so_the_pool_goes_to_the_reserve() -> None:
    a = allocate({1: worked("0"), 2: worked("0")}, ils("1000.00"))
    assert a.dividends == {}
    assert a.pool == ils("0")
    assert a.reserve == ils("850.00")
    assert total(a) == ils("1000.00")
    assert any("Nobody recorded any patronage" in line.message for line in a.explanation)
    assert allocate({}, ils("1000.00")) == a


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"surplus": ils("0")}, "no_surplus"),
        ({"surplus": ils("-5.00")}, "no_surplus"),
        ({"non_member": ils("-0.01")}, "negative_non_member_profit"),
        ({"non_member": jod("1")}, "currency_mismatch"),
        ({"patronage": {1: Patronage(Decimal(1), jod("1"))}}, "currency_mismatch"),
        (
            {
                "rules": SurplusRules(
                    reserve_percent=Decimal(60),
                    education_percent=Decimal(30),
                    solidarity_percent=Decimal("10.01"),
                )
            },
            "surplus_over_100",
        ),
    ],
)
def test_allocation_refusals(kwargs: dict[str, Any], code: str) -> None:
    args: dict[str, Any] = {"patronage": {1: worked("1")}, "surplus": ils("100.00")} | kwargs
    with pytest.raises(InvalidInput) as excinfo:
        allocate(**args)
    assert excinfo.value.code == code


def test_patronage_refusals() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Patronage(hours=Decimal("-1"), revenue=ils("0"))
    assert excinfo.value.code == "negative_hours"
    with pytest.raises(InvalidInput) as excinfo:
        Patronage(hours=Decimal(1), revenue=ils("-1"))
    assert excinfo.value.code == "negative_revenue"
    with pytest.raises(InvalidInput) as excinfo:
        Patronage(hours=1.5, revenue=ils("0"))  # type: ignore[arg-type]
    assert excinfo.value.code == "float_amount"
    assert Patronage(hours="2.5", revenue=ils("0")).hours == Decimal("2.5")  # type: ignore[arg-type]


# --- losses -----------------------------------------------------------------------------------


def charge(
    loss: Money,
    reserve: Money,
    capital: dict[int, Money],
    rules: SurplusRules = DEFAULT,
) -> LossCharge[int]:
    return charge_loss(rules=rules, loss=loss, reserve_balance=reserve, capital_balances=capital)


def test_loss_is_charged_to_the_reserve_first() -> None:
    c = charge(ils("500.00"), ils("2000.00"), {1: ils("100.00")})
    assert (c.from_reserve, c.from_capital, c.uncovered) == (ils("500.00"), {}, ils("0"))


def test_loss_beyond_the_reserve_falls_on_capital_by_balance() -> None:
    c = charge(ils("1000.00"), ils("400.00"), {1: ils("300.00"), 2: ils("0"), 3: ils("600.00")})
    assert c.from_reserve == ils("400.00")
    assert c.from_capital == {1: ils("200.00"), 3: ils("400.00")}
    assert c.uncovered == ils("0")
    assert any("holds only 400.00 ILS" in str(line) for line in c.explanation)


def test_loss_split_by_percent_with_rounding_and_uncovered_rest() -> None:
    rules = SurplusRules(loss_from_reserve_percent=Decimal(50))
    c = charge(ils("1000.01"), ils("9999.00"), {1: ils("100.00"), 2: ils("100.00")}, rules)
    assert c.from_reserve == ils("500.01")  # the half-cent tie goes to the reserve
    assert c.from_capital == {1: ils("100.00"), 2: ils("100.00")}
    assert c.uncovered == ils("300.00")
    assert any("carried forward" in line.message for line in c.explanation)


def test_capital_charge_ties_go_to_the_lowest_key() -> None:
    rules = SurplusRules(loss_from_reserve_percent=Decimal(0))
    c = charge(jod("0.001"), jod("5"), {9: jod("1"), 4: jod("1")}, rules)
    assert c.from_capital == {4: jod("0.001")}


@pytest.mark.parametrize(
    ("loss", "reserve", "capital", "code"),
    [
        (ils("0"), ils("1"), {}, "no_loss"),
        (ils("-1"), ils("1"), {}, "no_loss"),
        (ils("1"), ils("-1"), {}, "negative_balance"),
        (ils("1"), ils("1"), {1: ils("-1")}, "negative_balance"),
        (ils("1"), jod("1"), {}, "currency_mismatch"),
        (ils("1"), ils("1"), {1: jod("1")}, "currency_mismatch"),
    ],
)
def test_loss_refusals(loss: Money, reserve: Money, capital: dict[int, Money], code: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        charge(loss, reserve, capital)
    assert excinfo.value.code == code


def test_apportion_sums_and_breaks_ties_by_position() -> None:
    assert apportion(10, [Fraction(1)] * 3) == [4, 3, 3]
    assert apportion(0, [Fraction(0)]) == [0]
    assert apportion(7, [Fraction(0), Fraction(2)]) == [0, 7]


# --- properties -------------------------------------------------------------------------------


def hundredths(low: int = 0, high: int = 10_000) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def surplus_rules(draw: st.DrawFn) -> SurplusRules:
    reserve = draw(st.integers(0, 10_000))
    education = draw(st.integers(0, 10_000 - reserve))
    solidarity = draw(st.integers(0, 10_000 - reserve - education))
    return SurplusRules(
        reserve_percent=Decimal(reserve).scaleb(-2),
        education_percent=Decimal(education).scaleb(-2),
        solidarity_percent=Decimal(solidarity).scaleb(-2),
        patronage_basis=draw(st.sampled_from(["hours", "revenue", "blend"])),
        blend_hours_percent=draw(hundredths()),
        cash_percent=draw(hundredths()),
        loss_from_reserve_percent=draw(hundredths()),
    )


def money_in(currency: str, low: int = 0, high: int = 10**12) -> st.SearchStrategy[Money]:
    scale = -MINOR_UNITS[currency]
    sometimes_zero = st.one_of(st.just(low), st.integers(low, high))
    return sometimes_zero.map(lambda n: Money(Decimal(n).scaleb(scale), currency))


@st.composite
def surplus_case(draw: st.DrawFn) -> tuple[SurplusRules, Money, Money, dict[int, Patronage]]:
    currency = draw(st.sampled_from(CURRENCIES))
    hours = st.one_of(st.just(Decimal(0)), hundredths(0, 10**7))
    record = st.builds(Patronage, hours=hours, revenue=money_in(currency, 0, 10**9))
    patronage = draw(st.dictionaries(st.integers(0, 10_000), record, max_size=30))
    return (
        draw(surplus_rules()),
        draw(money_in(currency, 1)),
        draw(money_in(currency)),
        patronage,
    )


def whole_units(m: Money) -> bool:
    return m.amount >= 0 and m.amount == m.amount.quantize(quantum(m.currency))


@given(surplus_case())
def test_allocation_properties(
    case: tuple[SurplusRules, Money, Money, dict[int, Patronage]],
) -> None:
    rules, surplus, non_member, patronage = case
    a = allocate_surplus(
        rules=rules, member_surplus=surplus, non_member_profit=non_member, patronage=patronage
    )
    assert total(a) == surplus + non_member
    assert a.reserve + a.education + a.solidarity + a.pool == surplus + non_member
    assert a.reserve >= non_member
    assert all(whole_units(m) for m in (a.reserve, a.education, a.solidarity, a.pool))
    for d in a.dividends.values():
        assert all(whole_units(m) for m in (d.dividend, d.cash, d.retained))
        assert d.cash + d.retained == d.dividend
        assert Decimal(0) <= d.weight <= Decimal(1)

    def paid(key: int) -> Decimal:
        return a.dividends[key].dividend.amount if key in a.dividends else Decimal(0)

    def more(x: Patronage, y: Patronage) -> bool:
        if rules.patronage_basis == "hours":
            return x.hours > y.hours
        if rules.patronage_basis == "revenue":
            return y.revenue < x.revenue
        return x.hours > y.hours and y.revenue < x.revenue

    for k1, p1 in patronage.items():
        for k2, p2 in patronage.items():
            if more(p1, p2):
                assert paid(k1) >= paid(k2)

    again = allocate_surplus(
        rules=rules,
        member_surplus=surplus,
        non_member_profit=non_member,
        patronage=dict(reversed(patronage.items())),
    )
    assert again == a
    assert [str(line) for line in again.explanation] == [str(line) for line in a.explanation]


@st.composite
def loss_case(draw: st.DrawFn) -> tuple[SurplusRules, Money, Money, dict[int, Money]]:
    currency = draw(st.sampled_from(CURRENCIES))
    capital = draw(
        st.dictionaries(st.integers(0, 10_000), money_in(currency, 0, 10**8), max_size=30)
    )
    return (draw(surplus_rules()), draw(money_in(currency, 1)), draw(money_in(currency)), capital)


@given(loss_case())
def test_loss_properties(case: tuple[SurplusRules, Money, Money, dict[int, Money]]) -> None:
    rules, loss, reserve, capital = case
    c = charge(loss, reserve, capital, rules)
    charged = c.from_reserve + c.uncovered
    for key, amount in c.from_capital.items():
        assert Money.zero(loss.currency) < amount <= capital[key]
        charged = charged + amount
    assert charged == loss
    assert c.from_reserve <= reserve
    assert all(whole_units(m) for m in (c.from_reserve, c.uncovered))
    assert charge(loss, reserve, dict(reversed(capital.items())), rules) == c
