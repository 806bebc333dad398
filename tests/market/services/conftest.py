"""Fixtures of the services tests: a board-defined cleaning, two working members available every
morning, and a customer. The clock stands at noon on Friday 1 March 2030 (Hebron time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from taawun.accounts.models import User
from taawun.market.services import actions
from taawun.market.services.models import Service
from taawun.members.models import Membership
from tests.core.conftest import clock, fast_password_hashing  # noqa: F401

MONDAY = dt.date(2030, 3, 4)  # three days after the clock's start
MORNINGS = [(day, dt.time(8), dt.time(12)) for day in range(7)]


def at(day: dt.date, hours: int, minutes: int = 0) -> dt.datetime:
    """``hours:minutes`` on ``day`` on the co-op's clock."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hours, minutes)))


@pytest.fixture
def cleaning(founder: User) -> Service:
    return actions.create_service(
        actor=founder,
        title_ar="تنظيف منزل",
        title_en="House cleaning",
        description="Two rooms, kitchen and bathroom.",
        duration_minutes=120,
    )


@pytest.fixture
def make_worker(make_member: Callable[..., Membership]) -> Callable[..., Membership]:
    """A working member available 08:00-12:00 every day."""

    def make(name: str = "") -> Membership:
        worker = make_member(**({"name": name} if name else {}))
        actions.set_availability(actor=worker.user, windows=MORNINGS)
        return worker

    return make


@pytest.fixture
def khalil(make_worker: Callable[..., Membership]) -> Membership:
    return make_worker("خليل حمدان")


@pytest.fixture
def rana(make_worker: Callable[..., Membership]) -> Membership:
    return make_worker("رنا عودة")


@pytest.fixture
def customer(make_account: Callable[..., User]) -> User:
    return make_account("Lina Customer")
