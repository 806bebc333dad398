"""The trips pages with the Django test client: the price shown before confirming, the live
status page (refreshed without JavaScript), the worker's page and buttons, the board's places,
and refusals shown on the page rather than as errors."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from taawun.accounts.models import User
from taawun.market.models import Order, Status
from taawun.market.trips.models import Offer, Place, Presence, Trip
from taawun.members.models import Membership

from .conftest import ride

pytestmark = [pytest.mark.django_db]
Online = Callable[..., Membership]


def browser(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def trip_form(places: dict[str, Place], **change: str) -> dict[str, str]:
    return {
        "key": "form-key-1",
        "kind": "ride",
        "pickup_place": str(places["manara"].pk),
        "dropoff_place": str(places["birzeit"].pk),
        "method": "cash",
        "tip": "2.00",
        **change,
    }


def test_the_customer_sees_the_price_then_confirms(
    customer: User, places: dict[str, Place]
) -> None:
    web = browser(customer)
    assert web.get(reverse("market:trips:request")).status_code == 200
    shown = web.post(reverse("market:trips:request"), trip_form(places, step="quote"))
    assert shown.status_code == 200
    page = shown.content.decode()
    assert "23.60 ILS" in page and "25.60 ILS" in page  # price, and with the tip
    assert "Base fare 5.00 ILS" in page
    assert 'name="quoted_price" value="23.60"' in page
    assert not Order.objects.exists()
    done = web.post(
        reverse("market:trips:request"), trip_form(places, step="confirm", quoted_price="23.60")
    )
    order = Order.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("market:trips:status", kwargs={"order_id": order.pk})
    assert (order.price, order.tip, order.title) == (
        Decimal("23.600"),
        Decimal("2.000"),
        "Al-Manara Square → Birzeit University",
    )
    again = web.post(
        reverse("market:trips:request"), trip_form(places, step="confirm", quoted_price="23.60")
    )
    assert again.status_code == 302 and Order.objects.count() == 1  # the same form sent twice


def test_bad_positions_and_a_changed_price_are_shown_on_the_form(
    customer: User, places: dict[str, Place]
) -> None:
    web = browser(customer)
    for change, message in (
        ({"pickup_place": "", "pickup_coordinates": "95, 35"}, "A latitude is from -90 to 90"),
        ({"pickup_place": "", "pickup_coordinates": "nonsense"}, "Give a position as latitude"),
        ({"pickup_place": "", "pickup_coordinates": "33.89, 35.50"}, "from the co-op&#x27;s area"),
        ({"pickup_place": ""}, "Choose a place or type a position."),
        ({"pickup_place": "99999999999999999999"}, "Select a valid choice"),
        ({"tip": "-3"}, "greater than or equal to 0"),
    ):
        response = web.post(
            reverse("market:trips:request"), trip_form(places, **change, step="quote")
        )
        assert response.status_code == 400, change
        assert message in response.content.decode(), change
    changed = web.post(
        reverse("market:trips:request"), trip_form(places, step="confirm", quoted_price="20.00")
    )
    assert changed.status_code == 409
    assert "The price is now 23.60 ILS" in changed.content.decode()
    assert not Order.objects.exists()


def test_the_status_page_refreshes_while_the_trip_is_open(customer: User) -> None:
    order = ride(customer)
    web = browser(customer)
    page = web.get(reverse("market:trips:status", kwargs={"order_id": order.pk})).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in page
    assert "refreshes itself every 5 seconds" in page
    assert "waiting for the next dispatch batch" in page
    web.post(reverse("market:trips:cancel", kwargs={"order_id": order.pk}))
    page = web.get(reverse("market:trips:status", kwargs={"order_id": order.pk})).content.decode()
    assert 'http-equiv="refresh"' not in page
    order.refresh_from_db()
    assert order.status == Status.CANCELLED


def test_a_worker_goes_online_gets_the_offer_accepts_and_completes(
    customer: User, places: dict[str, Place], make_member: Callable[..., Membership]
) -> None:
    worker = make_member("worker")
    web = browser(worker.user)
    went = web.post(
        reverse("market:trips:work"), {"online": "1", "here_place": str(places["sardah"].pk)}
    )
    assert went.status_code == 302
    assert Presence.objects.get(worker=worker).online
    order = ride(customer)
    page = web.get(reverse("market:trips:work")).content.decode()  # runs the batch
    assert "A trip is offered to you" in page
    assert "Pickup distance: 3.69 km." in page
    assert "No other worker was available." in page
    accepted = web.post(reverse("market:trips:accept", kwargs={"order_id": order.pk}))
    assert accepted.status_code == 302
    web.post(reverse("market:trips:pickup", kwargs={"order_id": order.pk}))
    status = reverse("market:trips:status", kwargs={"order_id": order.pk})
    page = web.get(status).content.decode()
    assert 'http-equiv="refresh"' not in page  # the worker is typing the distance
    bad = web.post(
        reverse("market:trips:complete", kwargs={"order_id": order.pk}),
        {"key": "k", "km": "-2", "minutes": "20"},
    )
    assert bad.status_code == 400
    done = web.post(
        reverse("market:trips:complete", kwargs={"order_id": order.pk}),
        {"key": "k", "km": "8.9", "minutes": "22"},
    )
    assert done.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.payment is not None) == (Status.COMPLETED, True)
    assert Trip.objects.get(order=order).actual_km == Decimal("8.9")
    shared = browser(customer).get(reverse("market:order", kwargs={"order_id": order.pk}))
    text = shared.content.decode()
    assert "Why this worker" in text and "Pickup distance: 3.69 km." in text
    assert "8.9 km, 22 minutes (the upfront price stands)" in text


def test_refusals_are_pages_not_errors(
    customer: User, online: Online, make_account: Callable[..., User]
) -> None:
    worker = online("sardah")
    order = ride(customer)
    stranger = browser(make_account())
    status = reverse("market:trips:status", kwargs={"order_id": order.pk})
    assert stranger.get(status).status_code == 404
    huge = "/market/trips/99999999999999999999999/"
    assert browser(customer).get(huge).status_code == 404
    late = browser(worker.user).post(reverse("market:trips:pickup", kwargs={"order_id": order.pk}))
    assert late.status_code == 403  # not their trip (yet)
    taken = browser(worker.user).post(reverse("market:trips:take", kwargs={"order_id": order.pk}))
    assert taken.status_code == 302
    again = browser(customer).post(reverse("market:trips:cancel", kwargs={"order_id": order.pk}))
    assert again.status_code == 302
    refused = browser(worker.user).post(
        reverse("market:trips:pickup", kwargs={"order_id": order.pk})
    )
    assert refused.status_code == 409
    assert "This order cannot do that now: it is cancelled." in refused.content.decode()
    assert browser(customer).get(reverse("market:trips:work")).status_code == 403
    assert not Offer.objects.exists()


def test_the_board_adds_places(founder: User, customer: User) -> None:
    web = browser(founder)
    assert web.get(reverse("market:trips:places")).status_code == 200
    added = web.post(
        reverse("market:trips:places"),
        {
            "name_ar": "مستشفى رام الله",
            "name_en": "Ramallah Hospital",
            "latitude": "31.9075",
            "longitude": "35.2050",
        },
    )
    assert added.status_code == 302
    assert Place.objects.filter(name_en="Ramallah Hospital").exists()
    bad = web.post(
        reverse("market:trips:places"),
        {"name_ar": "x", "name_en": "y", "latitude": "95", "longitude": "35"},
    )
    assert bad.status_code == 400
    assert browser(customer).get(reverse("market:trips:places")).status_code == 403
