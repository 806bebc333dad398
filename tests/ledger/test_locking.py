"""The written-out locking reads give what the ORM gives: every field, with its Python type."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.ledger import actions as ledger
from taawun.ledger.locking import current_member, period_of_day
from taawun.ledger.models import Period
from taawun.members.models import Membership

from ..core.helpers import Clock

MakeMember = Callable[..., Membership]


def fields(instance: object) -> dict[str, object]:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields  # type: ignore[attr-defined]
    }


def test_a_period_is_read_whole(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    ledger.record_sale(
        actor=founder,
        worker_number=worker.number,
        price=Money(Decimal("100.00"), "ILS"),
        tip=Money(Decimal(0), "ILS"),
        method="cash",
        hours=Decimal(2),
    )
    year = clock.now.year
    clock.advance(days=400)
    closed = ledger.close_period(
        actor=founder, period_id=Period.objects.get(starts_on__year=year).pk
    )
    assert closed.closed_at is not None and closed.allocation  # a time and a JSON value
    with transaction.atomic():
        found = period_of_day(dt.date(year, 7, 1))
    assert found is not None
    assert fields(found) == fields(Period.objects.get(pk=closed.pk))
    assert isinstance(found.starts_on, dt.date) and isinstance(found.closed_at, dt.datetime)
    with transaction.atomic():
        assert period_of_day(dt.date(year + 50, 1, 1)) is None


def test_a_member_who_left_is_not_current(make_member: MakeMember) -> None:
    staying, leaving = make_member(), make_member()
    Membership.objects.filter(pk=leaving.pk).update(
        status=Membership.Status.LEFT, left_on=dt.date(2030, 5, 1)
    )
    with transaction.atomic():
        found = current_member(staying.number)
        assert found is not None
        assert fields(found) == fields(Membership.objects.get(pk=staying.pk))
        assert isinstance(found.joined_on, dt.date)
        assert current_member(leaving.number) is None
        assert current_member(10_000) is None
