"""Surge, once the members turn it on: the fare follows the trips waiting per worker free at the
moment of the quote, capped by the members' maximum, and the receipt says both numbers. A
request is held to the price its customer saw."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.domain.policy import Policy, SurgeRules, founding_policy
from taawun.market.models import Order, Status
from taawun.market.trips import actions, selectors
from taawun.market.trips.models import Place
from taawun.members.models import Membership
from tests.conftest import TEST_CLASSES

from .conftest import PLACES, at, ride, unchanged

pytestmark = [pytest.mark.django_db]

Online = Callable[..., Membership]


@pytest.fixture
def policy() -> Policy:
    base = founding_policy(currency="ILS", classes=TEST_CLASSES)
    surge = SurgeRules(enabled=True, max_multiplier=Decimal("2"))
    return base.model_copy(update={"pricing": base.pricing.model_copy(update={"surge": surge})})


def quoted() -> tuple[str, list[str]]:
    """The price of a ride from the square to Birzeit now (23.60 without surge), and the words
    of its surge line."""
    priced = selectors.trip_quote(pickup=at("manara"), dropoff=at("birzeit"))
    return str(priced.quote.price), [
        str(line) for line in priced.quote.lines if "surge" in str(line).lower()
    ]


def test_the_fare_follows_trips_waiting_per_worker_free(
    places: dict[str, Place], customer: User, online: Online, make_account: Callable[..., User]
) -> None:
    first = online("manara")
    with unchanged():
        assert quoted() == ("23.60 ILS", ["No surge: trips waiting 1, workers free 1"])
    for name in ("Hala", "Omar"):
        ride(make_account(name=name))
    assert quoted() == (
        "47.20 ILS",
        [
            "Surge: trips waiting 3, workers free 1; the fare is multiplied by 2, the most the "
            "members allow"
        ],
    )
    online("bireh")
    assert quoted() == (
        "35.40 ILS",
        ["Surge: trips waiting 3, workers free 2; the fare is multiplied by 1.5"],
    )
    taken = Order.objects.filter(status=Status.REQUESTED).order_by("pk").first()
    assert taken is not None
    actions.take_trip(actor=first.user, order_id=taken.pk)  # busy now, and one trip less waits
    assert quoted() == (
        "47.20 ILS",
        [
            "Surge: trips waiting 2, workers free 1; the fare is multiplied by 2, the most the "
            "members allow"
        ],
    )


def test_nobody_free_counts_every_waiting_trip_against_the_next_worker(
    places: dict[str, Place], customer: User
) -> None:
    assert quoted() == ("23.60 ILS", ["No surge: trips waiting 1, workers free 0"])


def request(customer: User, seen: str) -> Order:
    return actions.request_trip(
        actor=customer,
        kind="ride",
        pickup=at("manara"),
        dropoff=at("birzeit"),
        pickup_label=PLACES["manara"][1],
        dropoff_label=PLACES["birzeit"][1],
        method="cash",
        expected_price=Decimal(seen),
    )


def test_a_request_is_held_to_the_price_its_customer_saw(
    places: dict[str, Place], customer: User, online: Online, make_account: Callable[..., User]
) -> None:
    online("manara")
    seen, _ = quoted()
    ride(make_account(name="Hala"))  # meanwhile another trip starts waiting: 2 for 1 worker
    with unchanged(), pytest.raises(DomainError) as refused:
        request(customer, "23.60")
    assert (refused.value.code, refused.value.params["price"]) == ("price_changed", "47.20 ILS")
    order = request(customer, "47.20")
    assert (seen, order.price, order.coop_fee) == ("23.60 ILS", Decimal("47.20"), Decimal("4.72"))
    assert order.quote[-2:] == [
        [
            "Surge: trips waiting %(waiting)s, workers free %(free)s; the fare is multiplied by "
            "%(multiplier)s, the most the members allow",
            {"waiting": "2", "free": "1", "multiplier": "2"},
        ],
        order.quote[-1],
    ]
