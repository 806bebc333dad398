"""The pure rules of the books: the balance rule, periods, receipts and the Beancount text."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain import ledger as books
from taawun.domain.errors import InvalidInput
from taawun.domain.money import Money
from taawun.domain.policy import FeeRules
from taawun.domain.receipt import breakdown


def ils(value: str) -> Money:
    return Money.of(value, "ILS")


def refused(amounts: list[Money]) -> str:
    with pytest.raises(InvalidInput) as excinfo:
        books.check_balanced(amounts)
    return excinfo.value.code


def test_an_entry_balances_in_each_currency_on_its_own() -> None:
    books.check_balanced([ils("10"), ils("-10")])
    books.check_balanced([ils("10"), ils("-10"), Money.of("1.500", "JOD"), Money.of("-1.5", "JOD")])
    assert refused([ils("10"), Money.of("-10", "JOD")]) == "unbalanced"  # never summed together
    assert refused([ils("10"), ils("-9.99")]) == "unbalanced"
    assert refused([ils("10"), ils("-10"), ils("0")]) == "zero_posting"
    assert refused([ils("0")]) == "zero_posting"
    assert refused([]) == "too_few_postings"
    big = ils("1000000000000")
    assert refused([big, -big]) == "amount_too_large"


amounts = st.integers(min_value=1, max_value=10**9).map(
    lambda units: Money(Decimal(units) / 100, "ILS")
)


@given(st.lists(amounts, min_size=1, max_size=12), st.lists(amounts, min_size=1, max_size=12))
def test_debits_against_their_sum_in_credits_always_balance(
    debits: list[Money], credits: list[Money]
) -> None:
    total = sum((d.amount for d in debits), Decimal(0))
    books.check_balanced([*debits, Money(-total, "ILS")])
    other = sum((c.amount for c in credits), Decimal(0))
    if other != total:
        assert refused([*debits, *(-c for c in credits)]) == "unbalanced"


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_a_day_falls_in_exactly_one_month_and_one_year(day: dt.date) -> None:
    first, last = books.period_bounds(day, "month")
    assert first.day == 1 and first <= day <= last
    assert (last + dt.timedelta(days=1)).day == 1 and last.month == first.month
    assert books.period_bounds(day, "year") == (dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))


def test_natural_balances_read_as_people_read_them() -> None:
    assert books.natural(books.Kind.ASSET, Decimal("5")) == Decimal("5")
    assert books.natural(books.Kind.LIABILITY, Decimal("-5")) == Decimal("5")
    assert books.natural(books.Kind.INCOME, Decimal("-5")) == Decimal("5")
    assert books.natural(books.Kind.EXPENSE, Decimal("5")) == Decimal("5")


def test_the_chart_has_unique_codes_and_names_in_both_languages() -> None:
    assert len({spec.code for spec in books.CHART}) == len(books.CHART)
    assert all(spec.ar and spec.en for spec in books.CHART)
    assert {books.spec(p).kind for p in books.PAYMENT_ACCOUNTS.values()} == {books.Kind.ASSET}
    with pytest.raises(InvalidInput):
        books.spec("petty_cash")


def test_a_receipt_takes_tax_then_fee_and_solidarity_and_leaves_the_rest_to_the_worker() -> None:
    parts = breakdown(
        price=ils("116.00"),
        tip=ils("5.00"),
        rules=FeeRules(coop_fee_percent=Decimal(10), tax_percent=Decimal(16)),
        policy_version=3,
    )
    assert (parts.tax, parts.coop_fee, parts.solidarity, parts.worker_share, parts.tip) == (
        ils("16.00"),
        ils("10.00"),
        ils("2.00"),
        ils("88.00"),
        ils("5.00"),
    )
    assert (parts.total_paid, parts.worker_total, parts.policy_version) == (
        ils("121.00"),
        ils("93.00"),
        3,
    )


@given(
    st.integers(min_value=1, max_value=10**10),
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=60, places=2),
    st.decimals(min_value=0, max_value=40, places=2),
    st.decimals(min_value=0, max_value=30, places=2),
)
def test_a_receipts_parts_always_add_up_to_what_the_customer_paid(
    price_units: int, tip_units: int, fee: Decimal, solidarity: Decimal, tax: Decimal
) -> None:
    price, tip = Money(Decimal(price_units) / 100, "ILS"), Money(Decimal(tip_units) / 100, "ILS")
    rules = FeeRules(coop_fee_percent=fee, solidarity_percent=solidarity, tax_percent=tax)
    parts = breakdown(price=price, tip=tip, rules=rules, policy_version=1)
    assert parts.tax + parts.coop_fee + parts.solidarity + parts.worker_share == price
    assert parts.worker_total == parts.worker_share + tip
    assert min(parts.tax.amount, parts.coop_fee.amount, parts.solidarity.amount) >= 0
    assert parts.worker_share.amount >= 0


def test_a_tiny_price_split_in_halves_leaves_no_part_negative() -> None:
    """Half of one minor unit rounds up twice; the solidarity share gives way."""
    rules = FeeRules(coop_fee_percent=Decimal(50), solidarity_percent=Decimal(50))
    parts = breakdown(price=ils("0.01"), tip=ils("0"), rules=rules, policy_version=1)
    assert (parts.coop_fee, parts.solidarity, parts.worker_share) == (
        ils("0.01"),
        ils("0.00"),
        ils("0.00"),
    )


def test_receipts_refuse_what_makes_no_sense() -> None:
    rules = FeeRules()
    for price, tip, code in (
        (ils("0"), ils("0"), "price_not_positive"),
        (ils("10"), ils("-1"), "negative_tip"),
        (ils("10"), Money.of("1", "JOD"), "currency_mismatch"),
    ):
        with pytest.raises(InvalidInput) as excinfo:
            breakdown(price=price, tip=tip, rules=rules, policy_version=1)
        assert excinfo.value.code == code


def test_the_beancount_text_opens_accounts_and_lists_balanced_entries() -> None:
    name = books.beancount_name(books.Kind.LIABILITY, "owed_to_member", 7)
    assert name == "Liabilities:OwedToMember:M0007"
    assert books.beancount_name(books.Kind.ASSET, "cash", None) == "Assets:Cash"
    text = books.beancount(
        title='Co-op "One"',
        accounts=[
            books.BeancountAccount("Assets:Cash", dt.date(2030, 1, 1), "ILS"),
            books.BeancountAccount(name, dt.date(2030, 1, 1), "ILS"),
        ],
        entries=[
            books.BeancountEntry(
                date=dt.date(2030, 3, 1),
                number=1,
                narration="sale\nwith a line break",
                postings=(("Assets:Cash", ils("10")), (name, ils("-10"))),
            )
        ],
    )
    assert text == (
        'option "title" "Co-op \\"One\\""\n'
        "\n"
        "2030-01-01 open Assets:Cash ILS\n"
        "2030-01-01 open Liabilities:OwedToMember:M0007 ILS\n"
        "\n"
        '2030-03-01 * "sale with a line break"\n'
        '  entry: "1"\n'
        "  Assets:Cash  10.00 ILS\n"
        "  Liabilities:OwedToMember:M0007  -10.00 ILS\n"
    )
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9:]*", n) for n in ("Assets:Cash", name))
