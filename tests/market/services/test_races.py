"""Bookings under concurrency, on PostgreSQL: real threads, each with its own connection, lined
up with a barrier inside their transactions. Two customers booking one worker's time get one
booking; "any worker" bookings at once spread over the free workers; two confirmations, or a
confirmation and a cancellation, at once: exactly one wins. The exclusion constraint refuses
overlapping time even to code that forgot the lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.market import actions as market
from taawun.market.models import Order, Status
from taawun.market.services import actions
from taawun.market.services.models import Booking, Service
from taawun.members.models import Membership
from tests.core.helpers import Clock
from tests.ledger.helpers import books_problems
from tests.races import as_user, errors, line_up, oks, race

from .conftest import MONDAY, at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clock"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]
TAKEN = (DomainError, "slot_taken")


def booking_by(
    customer: User, service: Service, when: dt.datetime, worker: Membership | None
) -> Callable[[], int]:
    def call() -> int:
        order = actions.book(
            actor=as_user(customer.pk),
            service_id=service.pk,
            starts_at=when,
            worker_number=worker.number if worker else None,
            method="cash",
        )
        return order.pk

    return call


@pytest.mark.parametrize("second_hour", [9, 10])  # the same slot, an overlapping one
def test_two_customers_booking_one_workers_time_get_one_booking(
    monkeypatch: pytest.MonkeyPatch,
    cleaning: Service,
    khalil: Membership,
    make_account: Callable[..., User],
    second_hour: int,
) -> None:
    line_up(monkeypatch, actions, "_locked", 2)
    outcomes = race(
        [
            booking_by(make_account(), cleaning, at(MONDAY, 9), khalil),
            booking_by(make_account(), cleaning, at(MONDAY, second_hour), khalil),
        ]
    )
    assert len(oks(outcomes)) == 1
    assert errors(outcomes) == [TAKEN]
    assert Booking.objects.count() == Order.objects.count() == 1


def test_any_worker_bookings_at_once_go_to_different_free_workers(
    monkeypatch: pytest.MonkeyPatch,
    cleaning: Service,
    khalil: Membership,
    rana: Membership,
    make_account: Callable[..., User],
) -> None:
    line_up(monkeypatch, actions, "_locked", 3)
    outcomes = race([booking_by(make_account(), cleaning, at(MONDAY, 9), None) for _ in range(3)])
    assert len(oks(outcomes)) == 2
    assert errors(outcomes) == [TAKEN]
    assert sorted(Booking.objects.values_list("worker_id", flat=True)) == sorted(
        [khalil.pk, rana.pk]
    )


def test_two_confirmations_at_once_one_wins(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    order = actions.book(
        actor=customer, service_id=cleaning.pk, starts_at=at(MONDAY, 9), method="cash"
    )
    line_up(monkeypatch, market, "advance", 2)
    outcomes = race(
        [
            lambda: actions.confirm(actor=as_user(khalil.user_id), order_id=order.pk).status,
            lambda: actions.confirm(actor=as_user(founder.pk), order_id=order.pk).status,
        ]
    )
    assert oks(outcomes) == [Status.CONFIRMED]
    assert errors(outcomes) == [(DomainError, "order_changed")]
    assert [e.kind for e in Order.objects.get().events.all()] == ["placed", "confirmed"]


def test_a_confirmation_and_a_late_cancellation_at_once_one_wins(
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    order = actions.book(
        actor=customer, service_id=cleaning.pk, starts_at=at(MONDAY, 9), method="cash"
    )
    clock.now = at(MONDAY, 8)
    line_up(monkeypatch, market, "advance", 2)
    outcomes = race(
        [
            lambda: actions.confirm(actor=as_user(khalil.user_id), order_id=order.pk).status,
            lambda: actions.cancel(actor=as_user(customer.pk), order_id=order.pk).status,
        ]
    )
    assert len(oks(outcomes)) == 1
    assert errors(outcomes) == [(DomainError, "order_changed")]
    order.refresh_from_db()
    booking = Booking.objects.get(order=order)
    if order.status == Status.CANCELLED:  # the fee order exists only when the cancel won
        assert booking.late_fee is not None
        assert not booking.active
        assert Order.objects.count() == 2
    else:
        assert order.status == Status.CONFIRMED
        assert (booking.late_fee, booking.active) == (None, True)
        assert Order.objects.count() == 1
    assert books_problems() == []


def test_the_database_refuses_overlapping_live_bookings_of_one_worker(
    cleaning: Service, khalil: Membership, make_account: Callable[..., User]
) -> None:
    first = actions.book(
        actor=make_account(), service_id=cleaning.pk, starts_at=at(MONDAY, 8), method="cash"
    )
    booked = Booking.objects.get(order=first)
    second = actions.book(
        actor=make_account(), service_id=cleaning.pk, starts_at=at(MONDAY, 10), method="cash"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(order=second).update(starts_at=at(MONDAY, 9))
    actions.cancel(actor=first.customer, order_id=first.pk)
    Booking.objects.filter(order=second).update(starts_at=booked.starts_at)  # time freed
    assert Booking.objects.get(order=second).starts_at == at(MONDAY, 8)
