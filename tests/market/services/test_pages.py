"""The services pages, end to end in a browser without JavaScript: the catalogue, choosing a day
and a slot and booking, the buttons on the order page for each party, moving and cancelling,
a worker's week and the board's services. The rules behind them are in ``test_booking.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from taawun.accounts.models import User
from taawun.market import actions as market
from taawun.market.models import Order, Status
from taawun.market.services import actions
from taawun.market.services.models import Availability, Booking, Service
from taawun.members.models import Membership
from tests.core.helpers import Clock, unchanged
from tests.ledger.helpers import owed
from tests.web.helpers import text

from .conftest import MONDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
D = Decimal


@pytest.fixture
def browser() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        return client

    return make


def order_page(client: Client, order: Order) -> str:
    response = client.get(reverse("market:order", args=[order.pk]))
    assert response.status_code == 200
    return text(response)


def test_the_catalogue_shows_prices_and_is_open_to_all(
    browser: Callable[[User | None], Client], cleaning: Service
) -> None:
    response = browser(None).get(reverse("market:services:catalogue"))
    assert response.status_code == 200
    page = text(response)
    assert "House cleaning" in page
    assert "90.00" in page
    assert "120 minutes" in page
    assert "Not rated yet." in page


def test_a_customer_picks_a_day_and_a_slot_and_books(
    browser: Callable[[User | None], Client],
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    client = browser(customer)
    url = reverse("market:services:service", args=[cleaning.pk])
    page = client.get(url, {"date": "2030-03-04"})
    assert page.status_code == 200
    assert "any free worker" in text(page)
    key = page.context["form"].initial["key"]
    slot = f"{at(MONDAY, 9).isoformat()}|any"
    data = {"slot": slot, "method": "bank", "tip": "5", "key": key}
    response = client.post(f"{url}?date=2030-03-04", data)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("market:order", args=[order.pk])
    again = client.post(f"{url}?date=2030-03-04", data)  # sent twice: booked once
    assert again.status_code == 302
    assert Order.objects.count() == 1
    assert (order.worker, order.starts_at, order.tip) == (khalil, at(MONDAY, 9), D("5.000"))
    shown = order_page(client, order)
    assert "Move to another time" in shown
    assert "Cancel, free of charge" in shown
    assert "Confirm the time" not in shown


def test_a_bad_slot_or_day_is_explained(
    browser: Callable[[User | None], Client],
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    client = browser(customer)
    url = reverse("market:services:service", args=[cleaning.pk])
    with unchanged():
        garbage = client.post(url, {"slot": "tomorrow|x", "method": "cash", "key": "k"})
        taken_time = client.post(
            url, {"slot": f"{at(MONDAY, 15).isoformat()}|any", "method": "cash", "key": "k"}
        )
        far = client.get(url, {"date": "2031-03-04"})
    assert garbage.status_code == 400
    assert "Choose one of the times shown." in text(garbage)
    assert taken_time.status_code == 400
    assert "Nobody takes bookings at that time." in text(taken_time)
    assert far.status_code == 400
    assert "Bookings open at most 180 days ahead" in text(far)
    assert browser(customer).get(reverse("market:services:service", args=[999])).status_code == 404


def test_the_worker_confirms_starts_and_completes_from_the_order_page(
    browser: Callable[[User | None], Client],
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    order = actions.book(
        actor=customer, service_id=cleaning.pk, starts_at=at(MONDAY, 9), method="cash"
    )
    worker = browser(khalil.user)
    shown = order_page(worker, order)
    assert "Confirm the time" in shown
    assert "Decline (no charge to the customer)" in shown
    assert "Move to another time" not in shown
    refused = browser(customer).post(reverse("market:services:confirm", args=[order.pk]))
    assert refused.status_code == 403
    for step in ("confirm", "start"):
        response = worker.post(reverse(f"market:services:{step}", args=[order.pk]))
        assert response.status_code == 302
    assert "Complete and take the payment" in order_page(worker, order)
    bad_tip = worker.post(reverse("market:services:complete", args=[order.pk]), {"tip": "-3"})
    assert bad_tip.status_code == 400
    done = worker.post(reverse("market:services:complete", args=[order.pk]), {"tip": "7.50"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.tip) == (Status.COMPLETED, D("7.500"))
    assert owed(khalil) == D("86.700")
    again = worker.post(reverse("market:services:complete", args=[order.pk]))
    assert again.status_code == 409
    assert "This order cannot do that now: it is completed." in text(again)


def test_the_worker_declines_and_the_customer_sees_why(
    browser: Callable[[User | None], Client],
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    order = actions.book(
        actor=customer, service_id=cleaning.pk, starts_at=at(MONDAY, 9), method="cash"
    )
    response = browser(khalil.user).post(
        reverse("market:services:decline", args=[order.pk]), {"reason": "My van broke down"}
    )
    assert response.status_code == 302
    shown = order_page(browser(customer), order)
    assert "declined by the worker" in shown
    assert "My van broke down" in shown
    assert "Cancelled; nothing was charged." in shown


def test_a_late_cancellation_shows_and_charges_the_fee(
    browser: Callable[[User | None], Client],
    clock: Clock,
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    order = actions.book(
        actor=customer, service_id=cleaning.pk, starts_at=at(MONDAY, 9), method="cash"
    )
    clock.now = at(MONDAY, 7)
    client = browser(customer)
    shown = order_page(client, order)
    assert "Cancel, paying the late-cancellation fee of 22.50" in shown
    assert "It starts in less than 24 hours, so it can no longer be moved." in shown
    moving = client.get(reverse("market:services:reschedule", args=[order.pk]))
    assert "A booking can be moved only up to 24 hours before it starts" in text(moving)
    response = client.post(reverse("market:services:cancel", args=[order.pk]))
    assert response.status_code == 302
    fee = Booking.objects.get(order=order).late_fee
    assert fee is not None
    assert fee.price == D("22.500")
    assert "Cancelled late: a fee of 22.50" in order_page(client, order)


def test_the_customer_moves_a_booking_to_another_slot(
    browser: Callable[[User | None], Client],
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    order = actions.book(
        actor=customer, service_id=cleaning.pk, starts_at=at(MONDAY, 8), method="cash"
    )
    client = browser(customer)
    url = reverse("market:services:reschedule", args=[order.pk])
    page = client.get(url, {"date": "2030-03-04"})
    assert page.status_code == 200
    assert "Move the booking" in text(page)
    slot = f"{at(MONDAY, 9).isoformat()}|{khalil.number}"
    response = client.post(f"{url}?date=2030-03-04", {"slot": slot})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.starts_at, order.status) == (at(MONDAY, 9), Status.REQUESTED)
    assert browser(khalil.user).get(url).status_code == 403


def test_a_worker_keeps_their_week_and_sees_their_bookings(
    browser: Callable[[User | None], Client],
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    actions.book(actor=customer, service_id=cleaning.pk, starts_at=at(MONDAY, 9), method="cash")
    client = browser(khalil.user)
    url = reverse("market:services:week")
    page = text(client.get(url))
    assert "Lina Customer" in page
    assert "Monday" in page
    added = client.post(url, {"weekday": "0", "starts": "14:00", "ends": "18:00"})
    assert added.status_code == 302
    overlapping = client.post(url, {"weekday": "0", "starts": "11:00", "ends": "15:00"})
    assert overlapping.status_code == 400
    assert "Two windows on the same day overlap" in text(overlapping)
    backwards = client.post(url, {"weekday": "0", "starts": "19:00", "ends": "18:00"})
    assert backwards.status_code == 400
    window = Availability.objects.get(worker=khalil, weekday=0, starts=dt.time(14))
    removed = client.post(reverse("market:services:remove_window", args=[window.pk]))
    assert removed.status_code == 302
    assert not Availability.objects.filter(pk=window.pk).exists()
    stranger = browser(customer).post(reverse("market:services:remove_window", args=[1]))
    assert stranger.status_code == 404


def test_only_the_board_manages_services(
    browser: Callable[[User | None], Client], founder: User, customer: User, cleaning: Service
) -> None:
    url = reverse("market:services:manage")
    assert browser(customer).get(url).status_code == 403
    board = browser(founder)
    assert "House cleaning" in text(board.get(url))
    data = {
        "title_ar": "تصليح حنفية",
        "title_en": "Tap repair",
        "description": "",
        "duration_minutes": "45",
        "active": "on",
    }
    assert board.post(url, data).status_code == 302
    bad = board.post(url, {**data, "duration_minutes": "50"})
    assert bad.status_code == 400
    edit = reverse("market:services:edit", args=[cleaning.pk])
    assert board.post(edit, {**data, "title_en": "Deep cleaning"}).status_code == 302
    cleaning.refresh_from_db()
    assert (cleaning.title_en, cleaning.duration_minutes, cleaning.active) == (
        "Deep cleaning",
        45,
        True,
    )
    assert browser(customer).post(edit, data).status_code == 403


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_catalogue_shows_the_open_ratings(
    browser: Callable[[User | None], Client],
    cleaning: Service,
    khalil: Membership,
    customer: User,
    language: str,
) -> None:
    order = actions.book(
        actor=customer, service_id=cleaning.pk, starts_at=at(MONDAY, 9), method="cash"
    )
    for step in (actions.confirm, actions.start, actions.complete):
        step(actor=khalil.user, order_id=order.pk)
    market.rate(actor=customer, order_id=order.pk, stars=4, comment="Careful and kind")
    client = browser(None)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    page = text(client.get(reverse("market:services:catalogue")))
    assert "Careful and kind" in page
    if language == "en":
        assert "4.0 of 5 stars from 1 rating" in page
    else:
        assert "تنظيف منزل" in page
