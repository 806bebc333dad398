"""Two writes that deadlock: PostgreSQL rolls one back whole, and its sender is asked to try
again (409) on a page or in the API, never shown a server error."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain.pricing import quote_service
from taawun.market import actions as market
from taawun.market.models import Order, Sector
from taawun.transparency.models import Counter
from taawun.web.errors import is_contention
from tests.races import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def a_real_deadlock() -> OperationalError:
    """Two transactions lock two counter rows in opposite orders; PostgreSQL breaks the cycle by
    rolling one of them back."""
    for name in ("first", "second"):
        Counter.objects.get_or_create(name=name, defaults={"last": 0})
    both_hold_one = threading.Barrier(2)

    def lock(order: tuple[str, str]) -> Callable[[], None]:
        def run() -> None:
            with transaction.atomic():
                Counter.objects.select_for_update().get(name=order[0])
                both_hold_one.wait(10)
                Counter.objects.select_for_update().get(name=order[1])

        return run

    outcomes = race([lock(("first", "second")), lock(("second", "first"))])
    failures = [result for kind, result in outcomes if kind == "error"]
    assert len(failures) == 1, outcomes
    assert isinstance(failures[0], OperationalError)
    return failures[0]


def test_a_deadlock_is_recognised_as_contention() -> None:
    assert is_contention(a_real_deadlock())
    assert not is_contention(OperationalError("no such table: nowhere"))


@pytest.fixture
def deadlocking_rating(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rating an order meets the deadlock above (the error PostgreSQL raised, re-raised)."""
    error = a_real_deadlock()

    def rate(**kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(market, "rate", rate)


@pytest.fixture
def order(founder: User) -> Order:
    current = current_policy()
    quote = quote_service(policy=current.policy, policy_version=current.number, hours=Decimal(2))
    with transaction.atomic():
        return market.place(customer=founder, sector=Sector.SERVICE, title="Cleaning", quote=quote)


def test_the_api_answers_409(deadlocking_rating: None, founder: User, order: Order) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(founder)
    response = client.post(
        f"/api/market/orders/{order.pk}/rating", {"stars": 5}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": "conflict",
        "message": "This clashed with another change; try again.",
    }


def test_a_page_answers_409(deadlocking_rating: None, founder: User, order: Order) -> None:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(founder)
    response = browser.post(f"/market/orders/{order.pk}/", {"stars": "5"})
    assert response.status_code == 409
    assert "This clashed with another change; try again." in response.content.decode()
