"""Fixtures of the shop tests: producers, customers and products made through the actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.market.products import actions
from taawun.market.products.models import Product
from taawun.members.models import Membership
from tests.api.conftest import as_user  # noqa: F401
from tests.core.conftest import clock, fast_password_hashing  # noqa: F401

MakeProduct = Callable[..., Product]
AL_BIREH = ("31.9100", "35.2150")
RAMALLAH = ("31.9038", "35.2034")


def ils(amount: str) -> Money:
    return Money(Decimal(amount), "ILS")


@pytest.fixture
def producer(make_member: Callable[..., Membership]) -> Membership:
    return make_member(name="Khalil Hamdan")


@pytest.fixture
def other_producer(make_member: Callable[..., Membership]) -> Membership:
    return make_member(name="Rana Odeh")


@pytest.fixture
def customer(make_account: Callable[..., User]) -> User:
    return make_account(name="Lina Saleh")


@pytest.fixture
def make_product() -> MakeProduct:
    def make(member: Membership, **values: Any) -> Product:
        fields: dict[str, Any] = {
            "name_ar": "عسل",
            "name_en": "Honey",
            "description": "",
            "unit_price": ils("45.00"),
            "unit": "jar",
            "stock": 10,
            "pickup": True,
            "delivery": True,
            "place_label": "Al-Bireh, near the old market",
            "place": AL_BIREH,
        }
        fields.update(values)
        return actions.list_product(actor=member.user, **fields)

    return make


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Product names in refusals follow the active language; these tests read English."""
    with translation.override("en"):
        yield


def _trips_deliver() -> bool:
    try:
        from taawun.market.trips.actions import request_delivery  # noqa: F401
    except ImportError:
        return False
    return True


# Deliveries go through the trips sector, built at the same time as this one.
needs_trips = pytest.mark.skipif(
    not _trips_deliver(), reason="taawun.market.trips.actions.request_delivery is not there yet"
)
