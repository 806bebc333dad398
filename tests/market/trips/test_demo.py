"""The trips demo runs on the founded demo co-op and leaves trips at every stage."""

from __future__ import annotations

import pytest

from taawun.accounts.models import User
from taawun.demo import DEMO_DOMAIN, create_demo
from taawun.market.models import Order
from taawun.market.trips import demo
from taawun.market.trips.models import Offer, Place
from tests.ledger.helpers import books_problems

pytestmark = [pytest.mark.django_db]


def test_the_demo_has_places_customers_and_trips_at_each_stage() -> None:
    create_demo()
    demo.populate(User.objects.get(email=f"amal@{DEMO_DOMAIN}"))
    assert Place.objects.count() == len(demo.PLACES)
    statuses = sorted(Order.objects.filter(sector="trip").values_list("status", flat=True))
    assert statuses == ["cancelled", "completed", "in_progress", "offered", "requested"]
    assert Offer.objects.filter(status="offered").get().explanation["lines"]
    assert Order.objects.get(status="completed").payment is not None
    assert books_problems() == []
