"""The fairness tests share the core tests' clock and fast password hashing, and build worked
periods through the books' own action."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.ledger import actions as ledger
from taawun.members.models import Membership
from tests.core.conftest import clock, fast_password_hashing  # noqa: F401

Worked = Callable[..., Membership]


def earn(founder: User, worker: Membership, earned: str, hours: str) -> None:
    """A sale that earns ``worker`` exactly ``earned`` (88 % of the price as their share, and a
    tip of 12 % of it) for ``hours`` of work, recorded by the board."""
    price = Decimal(earned)
    ledger.record_sale(
        actor=founder,
        worker_number=worker.number,
        price=Money(price, "ILS"),
        tip=Money(price * Decimal("0.12"), "ILS"),
        method="cash",
        hours=Decimal(hours),
    )


@pytest.fixture
def worked(founder: User, make_member: Callable[..., Membership]) -> Worked:
    """``worked(earned, hours)``: a new worker member who earned that in this period."""

    def make(earned: str, hours: str, **account: str) -> Membership:
        worker = make_member(**account)
        earn(founder, worker, earned, hours)
        return worker

    return make


@pytest.fixture
def web(client: Client) -> Client:
    """A browser asking for English, so the assertions hold whatever the Arabic catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
