"""Each step of a scheduled service tells the other party, once, and never the one who acted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.market.services import actions
from taawun.market.services.models import Service
from taawun.members.models import Membership
from taawun.notifications.actions import moment
from taawun.notifications.models import EmailState, Notification
from tests.market.services.conftest import MONDAY, at

from .conftest import told

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def book(customer: User, cleaning: Service, worker: Membership, hours: int = 9) -> int:
    order = actions.book(
        actor=customer,
        service_id=cleaning.pk,
        starts_at=at(MONDAY, hours),
        method="cash",
        worker_number=worker.number,
    )
    return order.pk


def test_booking_tells_the_worker_and_confirming_tells_the_customer(
    customer: User, cleaning: Service, khalil: Membership
) -> None:
    order = book(customer, cleaning, khalil)
    assert told() == [(khalil.user_id, "booking_requested")]
    note = Notification.objects.get()
    assert note.payload == {"order": order, "starts": moment(at(MONDAY, 9))}
    assert note.link == reverse("market:order", args=[order])
    assert (note.email_state, note.listed, note.read_at) == (EmailState.PENDING, True, None)
    actions.confirm(actor=khalil.user, order_id=order)
    assert told()[1:] == [(customer.pk, "booking_confirmed")]


def test_moving_to_another_worker_tells_both_workers(
    customer: User, cleaning: Service, khalil: Membership, rana: Membership
) -> None:
    order = book(customer, cleaning, khalil)
    actions.reschedule(
        actor=customer, order_id=order, starts_at=at(MONDAY, 10), worker_number=rana.number
    )
    assert told()[1:] == [
        (rana.user_id, "booking_rescheduled"),
        (khalil.user_id, "booking_cancelled"),
    ]
    moved, dropped = Notification.objects.order_by("pk")[1:]
    assert moved.payload["starts"] == moment(at(MONDAY, 10))
    assert dropped.payload["starts"] == moment(at(MONDAY, 9))


def test_cancelling_tells_the_worker_and_declining_tells_the_customer(
    customer: User, cleaning: Service, khalil: Membership
) -> None:
    first = book(customer, cleaning, khalil)
    actions.cancel(actor=customer, order_id=first)
    second = book(customer, cleaning, khalil, hours=10)
    actions.decline(actor=khalil.user, order_id=second, reason="ill")
    assert told() == [
        (khalil.user_id, "booking_requested"),
        (khalil.user_id, "booking_cancelled"),
        (khalil.user_id, "booking_requested"),
        (customer.pk, "booking_cancelled"),
    ]


def test_the_board_acting_tells_both_parties(
    founder: User, customer: User, cleaning: Service, khalil: Membership
) -> None:
    order = book(customer, cleaning, khalil)
    actions.confirm(actor=founder, order_id=order)
    assert told()[1:] == [(khalil.user_id, "booking_confirmed"), (customer.pk, "booking_confirmed")]


def test_a_refused_booking_tells_nobody(
    customer: User, cleaning: Service, khalil: Membership
) -> None:
    book(customer, cleaning, khalil)
    with pytest.raises(DomainError) as refused:
        book(customer, cleaning, khalil)
    assert refused.value.code == "slot_taken"
    assert told() == [(khalil.user_id, "booking_requested")]
