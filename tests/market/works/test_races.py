"""Buying a licence under concurrency, on PostgreSQL: real threads, each with its own
connection, lined up with a barrier inside their transactions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from taawun.accounts.models import User
from taawun.ledger.models import JournalEntry
from taawun.market.models import Order
from taawun.market.works import actions
from taawun.market.works.models import LicenceGrant, Work
from taawun.members.models import Membership

from ...ledger.helpers import books_problems, owed
from ...races import as_user, errors, line_up, oks, race
from .conftest import MakeWork

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def buying(customer: User, work: Work, key: str) -> Callable[[], LicenceGrant]:
    return lambda: actions.buy_licence(
        actor=as_user(customer.pk),
        work_id=work.pk,
        licence_key="commercial",
        method="cash",
        idempotency_key=key,
    )


def test_two_purchases_with_one_key_at_once_make_one_licence(
    monkeypatch: pytest.MonkeyPatch, make_work: MakeWork, creator: Membership, customer: User
) -> None:
    work = make_work()
    line_up(monkeypatch, actions, "_valid_id", 2)  # both inside their transactions
    outcomes = race([buying(customer, work, "same"), buying(customer, work, "same")])
    assert errors(outcomes) == []
    first, second = oks(outcomes)
    assert first.pk == second.pk
    assert Order.objects.count() == 1 and LicenceGrant.objects.count() == 1
    assert JournalEntry.objects.filter(kind="sale").count() == 1
    assert owed(creator) == Decimal("30.00")
    assert books_problems() == []


def test_a_withdrawal_racing_a_purchase_leaves_no_half_sale(
    monkeypatch: pytest.MonkeyPatch,
    make_work: MakeWork,
    creator: Membership,
    customer: User,
) -> None:
    work = make_work()
    line_up(monkeypatch, actions, "_valid_id", 2)
    outcomes = race(
        [
            buying(customer, work, "k"),
            lambda: actions.withdraw_work(actor=as_user(creator.user_id), work_id=work.pk),
        ]
    )
    work.refresh_from_db()
    assert work.active is False
    sold = LicenceGrant.objects.count()
    if sold:  # the purchase took the lock first: a whole sale, then the withdrawal
        assert errors(outcomes) == []
        assert Order.objects.get().status == "completed"
    else:  # the withdrawal came first: nothing of the purchase is kept
        assert [code for _type, code in errors(outcomes)] == ["work_withdrawn"]
        assert not Order.objects.exists() and not JournalEntry.objects.filter(kind="sale")
    assert books_problems() == []
