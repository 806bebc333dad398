"""Fixtures for the trips tests: the co-op's places around Ramallah, a customer, and workers who
go online at a place, all made through the real actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection

from taawun.accounts.models import User
from taawun.domain import geo
from taawun.market.models import Order
from taawun.market.trips import actions
from taawun.market.trips.models import Place
from taawun.members.models import Membership
from tests.core.conftest import clock, fast_password_hashing  # noqa: F401

PLACES = {
    "manara": ("دوار المنارة", "Al-Manara Square", "31.9038", "35.2034"),
    "bireh": ("بلدية البيرة", "Al-Bireh Municipality", "31.9100", "35.2170"),
    "birzeit": ("جامعة بيرزيت", "Birzeit University", "31.9590", "35.1820"),
    "beitunia": ("بيتونيا", "Beitunia", "31.8960", "35.1640"),
    "sardah": ("سردا", "Sardah", "31.9370", "35.2030"),
}


def at(name: str) -> geo.Point:
    _ar, _en, lat, lon = PLACES[name]
    return geo.point(lat, lon)


@pytest.fixture
def places(founder: User) -> dict[str, Place]:
    return {
        key: actions.add_place(actor=founder, name_ar=ar, name_en=en, latitude=lat, longitude=lon)
        for key, (ar, en, lat, lon) in PLACES.items()
    }


@pytest.fixture
def customer(make_account: Callable[..., User], places: dict[str, Place]) -> User:
    return make_account(name="Lina Customer")


@pytest.fixture
def online(make_member: Callable[..., Membership]) -> Callable[..., Membership]:
    """``online("manara")``: a new worker member, online at that place."""

    def make(where: str | geo.Point, **account: str) -> Membership:
        member = make_member("worker", **account)
        position = at(where) if isinstance(where, str) else where
        actions.set_presence(actor=member.user, online=True, position=position)
        return member

    return make


def ride(
    customer: User,
    start: str = "manara",
    end: str = "birzeit",
    *,
    tip: str = "0",
    method: str = "cash",
    key: str | None = None,
) -> Order:
    return actions.request_trip(
        actor=customer,
        kind="ride",
        pickup=at(start),
        dropoff=at(end),
        pickup_label=PLACES[start][1],
        dropoff_label=PLACES[end][1],
        method=method,
        tip=Decimal(tip),
        idempotency_key=key,
    )


def _snapshot(tables: set[str]) -> dict[str, list[tuple[object, ...]]]:
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.managed and model._meta.db_table in tables
    }


@contextmanager
def unchanged() -> Iterator[None]:
    """Assert that the block (a refused action) changed nothing in the database (as
    ``tests.core.helpers.unchanged``, over the tables that exist while sibling sectors are
    still being written)."""
    tables = set(connection.introspection.table_names())
    before = _snapshot(tables)
    yield
    after = _snapshot(tables)
    assert {label for label in before if before[label] != after[label]} == set()
