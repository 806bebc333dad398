"""Shares: the instalment plan, the membership state machine, voting rights, repayment date."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.errors import DomainError
from taawun.domain.money import MINOR_UNITS, Money, quantum
from taawun.domain.policy import Policy, founding_policy, parse
from taawun.domain.shares import (
    MEMBER_TRANSITIONS,
    instalment_plan,
    next_status,
    repayment_due,
)


def make_policy(
    currency: str = "ILS", voting_rights: str = "on_admission", **worker: Any
) -> Policy:
    classes = [
        {
            "key": "worker",
            "name": {"ar": "عامل", "en": "Worker"},
            "share_price": "100.00",
            "shares_required": 2,
            "instalments": 4,
            "instalment_interval_days": 30,
            "votes": True,
            **worker,
        },
        {
            "key": "supporter",
            "name": {"ar": "داعم", "en": "Supporter"},
            "share_price": "10",
            "votes": False,
        },
    ]
    document = founding_policy(currency=currency, classes=classes).to_document()
    document["membership"]["voting_rights"] = voting_rights
    return parse(document)


def test_instalment_plan_exact() -> None:
    plan = instalment_plan(
        make_policy(share_price="33.33", shares_required=1, instalments=4),
        "worker",
        dt.date(2030, 1, 31),
    )
    assert [(p.number, p.due, p.amount) for p in plan] == [
        (1, dt.date(2030, 1, 31), Money.of("8.34", "ILS")),
        (2, dt.date(2030, 3, 2), Money.of("8.33", "ILS")),
        (3, dt.date(2030, 4, 1), Money.of("8.33", "ILS")),
        (4, dt.date(2030, 5, 1), Money.of("8.33", "ILS")),
    ]


def test_single_instalment_is_the_whole_share_due_at_once() -> None:
    plan = instalment_plan(make_policy(), "supporter", dt.date(2030, 6, 1))
    assert [(p.number, p.due, p.amount) for p in plan] == [
        (1, dt.date(2030, 6, 1), Money.of("10", "ILS"))
    ]


@st.composite
def plan_inputs(draw: st.DrawFn) -> tuple[Policy, dt.date]:
    currency = draw(st.sampled_from(sorted(MINOR_UNITS)))
    digits = MINOR_UNITS[currency]
    instalments = draw(st.integers(min_value=1, max_value=60))
    shares_required = draw(st.integers(min_value=1, max_value=1000))
    # at least one minor unit per instalment (the policy refuses less)
    minimum = -(-instalments // shares_required)
    minor = draw(st.integers(min_value=minimum, max_value=10**9))
    price = Decimal(minor).scaleb(-digits)
    policy = make_policy(
        currency=currency,
        share_price=str(price),
        shares_required=shares_required,
        instalments=instalments,
        instalment_interval_days=draw(st.integers(min_value=1, max_value=366)),
    )
    start = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)))
    return policy, start


@given(plan_inputs())
def test_plan_sums_exactly_to_the_class_total_with_evenly_spaced_dates(
    inputs: tuple[Policy, dt.date],
) -> None:
    policy, start = inputs
    terms = policy.member_class("worker")
    plan = instalment_plan(policy, "worker", start)
    total = policy.share_total("worker")
    assert total.amount == terms.share_price * terms.shares_required
    assert len(plan) == terms.instalments
    assert [p.number for p in plan] == list(range(1, terms.instalments + 1))
    assert sum((p.amount for p in plan), start=Money.zero(policy.currency)) == total
    unit = quantum(policy.currency)
    amounts = [p.amount.amount for p in plan]
    assert min(amounts) >= unit  # no zero instalment
    assert max(amounts) - min(amounts) <= unit
    assert plan[0].due == start
    step = dt.timedelta(days=terms.instalment_interval_days)
    assert all(later.due - earlier.due == step for earlier, later in itertools.pairwise(plan))


def test_repayment_due_follows_policy() -> None:
    policy = make_policy()
    assert repayment_due(policy, dt.date(2030, 1, 1)) == dt.date(2030, 4, 1)  # 90 days


@pytest.mark.parametrize(
    ("current", "operation", "after"),
    [
        ("active", "give_notice", "leaving"),
        ("active", "transfer_out", "left"),
        ("leaving", "withdraw_notice", "active"),
        ("leaving", "sell_back", "left"),
        ("leaving", "transfer_out", "left"),
    ],
)
def test_allowed_transitions(current: str, operation: str, after: str) -> None:
    assert next_status(current, operation) == after


def test_the_transition_table_is_exactly_these() -> None:
    allowed = {(s, op) for s, ops in MEMBER_TRANSITIONS.items() for op in ops}
    assert allowed == {
        ("active", "give_notice"),
        ("active", "transfer_out"),
        ("leaving", "withdraw_notice"),
        ("leaving", "sell_back"),
        ("leaving", "transfer_out"),
    }


@pytest.mark.parametrize(
    ("current", "operation"),
    [
        ("active", "sell_back"),
        ("active", "withdraw_notice"),
        ("leaving", "give_notice"),
        ("left", "give_notice"),
        ("left", "sell_back"),
        ("left", "transfer_out"),
        ("left", "withdraw_notice"),
        ("active", "explode"),
        ("ghost", "give_notice"),
    ],
)
def test_refused_transitions(current: str, operation: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        next_status(current, operation)
    assert excinfo.value.code == "invalid_transition"
    assert excinfo.value.params == {"status": current}
    assert excinfo.value.status == 409
