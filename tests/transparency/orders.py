"""Fixtures for the operations room and the open data, imported by their two test modules (so
the other tests here keep their own): the trips sector's places and online workers, a frozen
clock, and a whole trip done through the real actions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from taawun.accounts.models import User
from taawun.market.models import Order
from taawun.market.trips import actions as trips
from taawun.market.trips.models import Place
from taawun.members.models import Membership
from tests.core.conftest import clock, fast_password_hashing
from tests.core.helpers import Clock
from tests.market.trips.conftest import online, places, ride

Trip = Callable[..., Order]
__all__ = ["Clock", "Trip", "browser", "clock", "fast_password_hashing", "online", "places", "trip"]


@pytest.fixture
def trip(
    make_account: Callable[..., User],
    online: Callable[..., Membership],
    places: dict[str, Place],
) -> Trip:
    """``trip(start, end, minutes=..., tip=...)``: a new customer's ride taken by a new worker
    online at the pickup, driven and completed (so paid into the books); ``done=False`` stops
    at the request."""

    def make(
        start: str = "manara",
        end: str = "birzeit",
        *,
        minutes: int = 30,
        tip: str = "0",
        done: bool = True,
        customer: User | None = None,
    ) -> Order:
        order = ride(customer or make_account(), start, end, tip=tip)
        if not done:
            return order
        worker = online(start).user
        trips.take_trip(actor=worker, order_id=order.pk)
        trips.pick_up(actor=worker, order_id=order.pk)
        trips.complete_trip(actor=worker, order_id=order.pk, km=Decimal(8), minutes=minutes)
        order.refresh_from_db()
        return order

    return make


def browser(user: User | None = None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client
