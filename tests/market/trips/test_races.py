"""Trips under concurrency, on PostgreSQL: real threads with their own connections, lined up
inside their transactions. Of two workers taking one trip exactly one wins; two batches at once
run once; accepting and cancelling at once, one wins; nothing is half-written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.market import actions as market
from taawun.market.models import Order, OrderEvent, Status
from taawun.market.trips import actions
from taawun.market.trips.models import DispatchClock, DispatchRun, Offer
from taawun.members.models import Membership

from ...races import as_user, errors, line_up, oks, race
from .conftest import ride

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

Online = Callable[..., Membership]


def events(order: Order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))


def test_the_offered_worker_and_one_taking_it_from_the_list_one_wins(
    monkeypatch: pytest.MonkeyPatch, customer: User, online: Online
) -> None:
    offered_to, other = online("bireh"), online("sardah")
    order = ride(customer)
    # the other worker saw it in the open list just before the batch offered it
    actions.run_dispatch()
    assert Order.objects.get(pk=order.pk).worker == offered_to
    line_up(monkeypatch, market, "advance", 2)
    outcomes = race(
        [
            lambda: actions.accept_offer(actor=as_user(offered_to.user_id), order_id=order.pk),
            lambda: actions.take_trip(actor=as_user(other.user_id), order_id=order.pk),
        ]
    )
    assert errors(outcomes) == [(DomainError, "order_changed")]
    order.refresh_from_db()
    assert (order.status, order.worker) == (Status.CONFIRMED, offered_to)
    assert Offer.objects.get().status == "accepted"
    assert events(order) == ["placed", "offered", "confirmed"]


def test_two_workers_taking_one_trip_from_the_list_one_wins(
    monkeypatch: pytest.MonkeyPatch, customer: User, online: Online
) -> None:
    one, two = online("manara"), online("bireh")
    order = ride(customer)
    line_up(monkeypatch, market, "advance", 2)
    outcomes = race(
        [
            lambda: actions.take_trip(actor=as_user(one.user_id), order_id=order.pk),
            lambda: actions.take_trip(actor=as_user(two.user_id), order_id=order.pk),
        ]
    )
    assert errors(outcomes) == [(DomainError, "order_changed")]
    (winner,) = oks(outcomes)
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED
    assert order.worker_id == winner.worker_id
    assert events(order) == ["placed", "confirmed"]


def test_two_batches_at_once_run_once(
    monkeypatch: pytest.MonkeyPatch, customer: User, online: Online, make_account: Any
) -> None:
    online("manara")
    online("beitunia")
    first, second = ride(customer), ride(make_account(), "bireh", "sardah")
    DispatchClock.objects.create(pk=1)  # made by the first batch ever; here before the race
    line_up(monkeypatch, actions, "_claim_clock", 2, after=True)
    outcomes = race([actions.run_dispatch, actions.run_dispatch])
    assert errors(outcomes) == []
    assert sorted(o is None for o in oks(outcomes)) == [False, True]
    assert DispatchRun.objects.count() == 1
    assert Offer.objects.count() == 2
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == Status.OFFERED
        assert events(order) == ["placed", "offered"]


def test_accepting_and_cancelling_at_once_one_wins(
    monkeypatch: pytest.MonkeyPatch, customer: User, online: Online
) -> None:
    worker = online("sardah")
    order = ride(customer)
    actions.run_dispatch()
    line_up(monkeypatch, market, "advance", 2)
    outcomes = race(
        [
            lambda: actions.accept_offer(actor=as_user(worker.user_id), order_id=order.pk),
            lambda: actions.cancel_trip(actor=as_user(customer.pk), order_id=order.pk),
        ]
    )
    order.refresh_from_db()
    offer = Offer.objects.get()
    # the customer may cancel until pickup: whichever came first, the trip ends cancelled,
    # either never confirmed (the accept is refused) or confirmed and then cancelled
    assert order.status == Status.CANCELLED
    if errors(outcomes):
        assert errors(outcomes) == [(DomainError, "order_changed")]
        assert offer.status == "withdrawn"
        assert events(order) == ["placed", "offered", "cancelled"]
    else:
        assert offer.status == "accepted"
        assert events(order) == ["placed", "offered", "confirmed", "cancelled"]


def test_an_expiry_and_a_late_accept_at_once_one_wins(
    monkeypatch: pytest.MonkeyPatch, clock: Any, customer: User, online: Online
) -> None:
    worker = online("sardah")
    order = ride(customer)
    actions.run_dispatch()
    clock.advance(seconds=59.5)
    line_up(monkeypatch, market, "advance", 2)

    def accept() -> Order:
        return actions.accept_offer(actor=as_user(worker.user_id), order_id=order.pk)

    def expire() -> int:
        return actions.expire_offers(now=clock.now + dt.timedelta(seconds=1))

    outcomes = race([accept, expire])
    order.refresh_from_db()
    offer = Offer.objects.get()
    assert (order.status, offer.status) in {
        (Status.CONFIRMED, "accepted"),
        (Status.REQUESTED, "expired"),
    }
    assert len(errors(outcomes)) <= 1
