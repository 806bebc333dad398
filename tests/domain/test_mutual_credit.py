"""Mutual credit's arithmetic: mirrored records, a network that sums to zero, a chain that
notices any difference, and limits that only ever block going further into debt."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.errors import DomainError, InvalidInput
from taawun.domain.mutual_credit import (
    GENESIS,
    Transfer,
    balance_after,
    chain_head,
    check_limit,
    network_check,
)

COOPS = ["https://a.example/ap/actor", "https://b.example/ap/actor", "https://c.example/ap/actor"]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
transfers = st.lists(
    st.tuples(st.sampled_from(COOPS), st.sampled_from(COOPS), amounts).filter(
        lambda t: t[0] != t[1]
    ),
    max_size=40,
)


def book(moves: list[tuple[str, str, Decimal]]) -> dict[str, dict[str, tuple[Decimal, str]]]:
    """Each co-op's record of each partner, kept as each side would keep it."""
    done = [
        Transfer(f"t{i}", payer, payee, amount, "ILS", "trade")
        for i, (payer, payee, amount) in enumerate(moves)
    ]
    books: dict[str, dict[str, tuple[Decimal, str]]] = {coop: {} for coop in COOPS}
    for us in COOPS:
        for them in COOPS:
            if us == them:
                continue
            pair = [t for t in done if {t.payer, t.payee} == {us, them}]
            balance = Decimal(0)
            for transfer in pair:
                balance = balance_after(balance, transfer, us)
            ordered = sorted(pair, key=lambda t: (t.payer, t.transfer_id))
            books[us][them] = (balance, chain_head(ordered))
    return books


@given(transfers)
def test_every_network_of_honest_records_sums_to_zero(
    moves: list[tuple[str, str, Decimal]],
) -> None:
    total, disagreements = network_check(book(moves))

    assert total == 0
    assert disagreements == []


@given(transfers.filter(bool), st.data())
def test_one_record_changed_is_found(
    moves: list[tuple[str, str, Decimal]], data: st.DataObject
) -> None:
    books = book(moves)
    payer, payee, _ = data.draw(st.sampled_from(moves))
    balance, head = books[payee][payer]
    books[payee][payer] = (balance + Decimal("0.01"), head)

    total, disagreements = network_check(books)

    assert total == Decimal("0.01")
    assert [{d.one, d.other} for d in disagreements] == [{payer, payee}]
    assert [d.heads_match for d in disagreements] == [True]


def test_a_chain_changes_with_any_field_of_any_transfer() -> None:
    one = Transfer("t1", COOPS[0], COOPS[1], Decimal("5.00"), "ILS", "trade")
    heads = {
        chain_head([one]),
        chain_head([Transfer("t1", COOPS[0], COOPS[1], Decimal("5.01"), "ILS", "trade")]),
        chain_head([Transfer("t2", COOPS[0], COOPS[1], Decimal("5.00"), "ILS", "trade")]),
        chain_head([Transfer("t1", COOPS[1], COOPS[0], Decimal("5.00"), "ILS", "trade")]),
        chain_head([Transfer("t1", COOPS[0], COOPS[1], Decimal("5.00"), "ILS", "referral_fee")]),
        GENESIS,
    }
    assert len(heads) == 6
    assert chain_head([]) == GENESIS


@given(
    st.decimals(min_value=Decimal("-500"), max_value=Decimal("500"), places=2),
    amounts,
    st.decimals(min_value=Decimal(0), max_value=Decimal("1000"), places=2),
)
def test_a_limit_stops_only_debt_beyond_it(
    balance: Decimal, amount: Decimal, limit: Decimal
) -> None:
    """We are the payee: the payer's debt to us grows by the amount."""
    incoming = Transfer("t", COOPS[1], COOPS[0], amount, "ILS", "trade")
    outgoing = Transfer("t", COOPS[0], COOPS[1], amount, "ILS", "trade")

    if balance + amount > limit:
        with pytest.raises(DomainError, match="beyond the credit limit"):
            check_limit(balance, incoming, COOPS[0], limit)
    else:
        check_limit(balance, incoming, COOPS[0], limit)
    check_limit(balance, outgoing, COOPS[0], limit)  # paying them back is always welcome


@pytest.mark.parametrize(
    ("payer", "payee", "amount", "code"),
    [
        (COOPS[0], COOPS[0], Decimal("1.00"), "transfer_to_self"),
        (COOPS[0], COOPS[1], Decimal("0"), "amount_not_positive"),
        (COOPS[0], COOPS[1], Decimal("-1.00"), "amount_not_positive"),
    ],
)
def test_impossible_transfers_are_refused(
    payer: str, payee: str, amount: Decimal, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        Transfer("t", payer, payee, amount, "ILS", "trade")
    assert refused.value.code == code


def test_a_third_party_cannot_book_a_transfer() -> None:
    transfer = Transfer("t", COOPS[0], COOPS[1], Decimal("1.00"), "ILS", "trade")
    with pytest.raises(InvalidInput):
        balance_after(Decimal(0), transfer, COOPS[2])


@given(transfers)
def test_lines_with_a_coop_that_was_not_read_are_left_out(
    moves: list[tuple[str, str, Decimal]],
) -> None:
    books = book(moves)
    del books[COOPS[2]]  # unreachable: its partners' lines with it cannot be checked

    total, disagreements = network_check(books)

    assert total == 0
    assert disagreements == []


def test_a_line_only_one_side_keeps_is_a_disagreement() -> None:
    one, other = COOPS[0], COOPS[1]
    total, disagreements = network_check({one: {other: (Decimal("5.00"), "ab" * 32)}, other: {}})

    assert total == Decimal("5.00")
    assert [(d.one, d.other, d.one_says, d.other_says) for d in disagreements] == [
        (one, other, Decimal("5.00"), None)
    ]
