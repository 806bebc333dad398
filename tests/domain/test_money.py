"""Money: exact Decimal amounts in one currency, never float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.money import CURRENCIES, MINOR_UNITS, Money, check_currency, quantum, to_decimal


def code_of(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    return excinfo.value.code


# --- construction -----------------------------------------------------------------------------


def test_of_parses_text_and_keeps_the_currency_scale() -> None:
    m = Money.of("12.5", "ILS")
    assert m.amount == Decimal("12.50")
    assert str(m.amount) == "12.50"
    assert m.currency == "ILS"
    assert str(m) == "12.50 ILS"


def test_three_decimal_currency() -> None:
    m = Money.of("1.005", "JOD")
    assert str(m.amount) == "1.005"
    assert quantum("JOD") == Decimal("0.001")
    assert quantum("USD") == Decimal("0.01")


def test_int_amount_is_accepted() -> None:
    assert Money(7, "USD").amount == Decimal("7.00")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1.5, 0.1, 100.0])
def test_floats_are_refused(value: float) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Money.of(value, "ILS")
    assert code_of(excinfo) == "float_amount"
    with pytest.raises(InvalidInput) as excinfo:
        Money(value, "ILS")  # type: ignore[arg-type]
    assert code_of(excinfo) == "float_amount"


@pytest.mark.parametrize(
    ("value", "currency"), [("0.001", "ILS"), ("1.999", "USD"), ("0.0001", "JOD")]
)
def test_too_precise_amounts_are_refused(value: str, currency: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Money.of(value, currency)
    assert code_of(excinfo) == "too_precise"
    assert excinfo.value.params == {"amount": value, "currency": currency}


def test_trailing_zeros_beyond_the_minor_unit_are_not_too_precise() -> None:
    assert Money.of("3.1000", "ILS").amount == Decimal("3.10")


@pytest.mark.parametrize("value", ["abc", "", "1,5", "NaN", "Infinity", "-inf", "1e"])
def test_non_amounts_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Money.of(value, "ILS")
    assert code_of(excinfo) == "invalid_amount"


@pytest.mark.parametrize("value", ["1e40", "123456789012345678901234567890"])
def test_amounts_beyond_decimal_precision_are_refused_cleanly(value: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Money.of(value, "ILS")
    assert code_of(excinfo) == "invalid_amount"


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Money.of("1", "XYZ")
    assert code_of(excinfo) == "unknown_currency"
    assert excinfo.value.params == {"code": "XYZ"}
    assert check_currency("ILS") == "ILS"
    assert tuple(sorted(MINOR_UNITS)) == CURRENCIES


def test_to_decimal_strips_whitespace() -> None:
    assert to_decimal(" 4.20 ") == Decimal("4.20")


# --- arithmetic -------------------------------------------------------------------------------


def test_add_sub_neg_times() -> None:
    a, b = Money.of("10.10", "ILS"), Money.of("0.95", "ILS")
    assert (a + b) == Money.of("11.05", "ILS")
    assert (a - b) == Money.of("9.15", "ILS")
    assert -b == Money.of("-0.95", "ILS")
    assert b.times(3) == Money.of("2.85", "ILS")
    assert b < a
    assert b <= b
    assert not a < b
    assert Money.zero("JOD").is_zero
    assert str(Money.zero("JOD").amount) == "0.000"
    assert not a.is_zero


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
    ],
)
def test_currency_mismatch_is_refused(operation) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as excinfo:
        operation(Money.of("1", "ILS"), Money.of("1", "JOD"))
    assert code_of(excinfo) == "currency_mismatch"
    assert excinfo.value.params == {"a": "ILS", "b": "JOD"}


# --- split ------------------------------------------------------------------------------------


def test_split_front_loads_the_odd_minor_units() -> None:
    parts = Money.of("100.00", "ILS").split(3)
    assert [p.amount for p in parts] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    parts = Money.of("0.010", "JOD").split(4)
    assert [str(p.amount) for p in parts] == ["0.003", "0.003", "0.002", "0.002"]
    assert Money.of("5", "USD").split(1) == [Money.of("5.00", "USD")]


@pytest.mark.parametrize("parts", [0, -1])
def test_split_into_fewer_than_one_part_is_refused(parts: int) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Money.of("1", "ILS").split(parts)
    assert code_of(excinfo) == "bad_parts"


currencies = st.sampled_from(sorted(MINOR_UNITS))


@st.composite
def money(draw: st.DrawFn, currency: str | None = None) -> Money:
    code = currency or draw(currencies)
    minor = draw(st.integers(min_value=-(10**12), max_value=10**12))
    return Money(Decimal(minor).scaleb(-MINOR_UNITS[code]), code)


@given(money(), st.integers(min_value=1, max_value=500))
def test_split_sums_exactly_and_parts_differ_by_at_most_one_minor_unit(
    total: Money, parts: int
) -> None:
    pieces = total.split(parts)
    assert len(pieces) == parts
    assert all(p.currency == total.currency for p in pieces)
    assert sum((p for p in pieces), start=Money.zero(total.currency)) == total
    unit = quantum(total.currency)
    amounts = [p.amount for p in pieces]
    assert max(amounts) - min(amounts) <= unit
    assert amounts == sorted(amounts, reverse=True)  # larger parts first
    assert all(a == a.quantize(unit) for a in amounts)


@given(st.data())
def test_add_and_sub_are_exact_inverses(data: st.DataObject) -> None:
    currency = data.draw(currencies)
    a = data.draw(money(currency))
    b = data.draw(money(currency))
    assert (a + b) - b == a
    assert (a - b) + b == a
    assert a + b == b + a
    assert (a + b).amount == a.amount + b.amount
    assert a - a == Money.zero(currency)
    negated = -a
    assert -negated == a
    assert negated.amount == -a.amount


@given(money(), money())
def test_mixed_currencies_never_combine(a: Money, b: Money) -> None:
    if a.currency == b.currency:
        assert (a + b).currency == a.currency
    else:
        with pytest.raises(InvalidInput):
            a + b
        with pytest.raises(InvalidInput):
            a - b
