"""Short statements give what the ORM gives: every field, with its Python type, on both
databases; and they change nothing when nothing matches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from taawun.accounts.models import User
from taawun.members.models import Membership
from taawun.statements import Prepared, locked_one, updated_one
from taawun.transparency.models import Counter


def fields(instance: object) -> dict[str, object]:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields  # type: ignore[attr-defined]
    }


def test_a_row_moved_is_read_back_whole(make_account: Callable[..., User]) -> None:
    person = make_account(name="Salma")
    with transaction.atomic():
        moved = updated_one(User.objects.filter(pk=person.pk), full_name="Salma Haddad")
    assert moved is not None
    assert moved.full_name == "Salma Haddad"
    assert fields(moved) == fields(User.objects.get(pk=person.pk))
    assert isinstance(moved.date_joined, dt.datetime) and moved.date_joined.tzinfo is not None
    assert moved.is_active is True  # a boolean, not SQLite's 1


def test_an_expression_is_the_value_after_it(db: None) -> None:
    Counter.objects.create(name="statements", last=41)
    with transaction.atomic():
        moved = updated_one(Counter.objects.filter(name="statements"), last=F("last") + 1)
    assert moved is not None and moved.last == 42
    assert Counter.objects.get(name="statements").last == 42


def test_nothing_matched_changes_nothing(make_account: Callable[..., User]) -> None:
    person = make_account(name="Omar")
    before = fields(User.objects.get(pk=person.pk))
    with transaction.atomic():
        assert (
            updated_one(User.objects.filter(pk=person.pk, is_active=False), full_name="X") is None
        )
        assert locked_one(User, "id = %s AND is_active = %s", [person.pk, False], "UPDATE") is None
    assert fields(User.objects.get(pk=person.pk)) == before


def test_a_locked_row_is_read_whole(make_account: Callable[..., User]) -> None:
    person = make_account(name="Lina")
    with transaction.atomic():
        found = locked_one(User, "id = %s", [person.pk], "UPDATE")
    assert found is not None and fields(found) == fields(User.objects.get(pk=person.pk))


MEMBER_WITH_PERSON = Prepared(
    lambda member_id: Membership.objects.select_related("user").filter(pk=member_id)
)
PEOPLE_SINCE = Prepared(lambda first_id: User.objects.filter(pk__gte=first_id).order_by("-pk"))


def test_a_prepared_query_gives_what_the_orm_gives(make_member: Callable[..., Membership]) -> None:
    one, two = make_member(name="Huda"), make_member(name="Karim")
    for member in (one, two):  # the same statement, run with each value
        found = MEMBER_WITH_PERSON.first(member.pk)
        expected = Membership.objects.select_related("user").get(pk=member.pk)
        assert found is not None and fields(found) == fields(expected)
        with CaptureQueriesContext(connection) as queries:
            assert fields(found.user) == fields(expected.user)  # joined, not read again
        assert len(queries) == 0
    assert MEMBER_WITH_PERSON.first(10_000_000) is None
    first = min(one.user_id, two.user_id)
    assert [fields(u) for u in PEOPLE_SINCE.all(first)] == [
        fields(u) for u in User.objects.filter(pk__gte=first).order_by("-pk")
    ]


def test_an_argument_the_query_does_not_use_is_refused(db: None) -> None:
    with pytest.raises(ValueError, match="argument 0 appears 0 times"):
        Prepared(lambda _unused: User.objects.filter(pk=1)).first(1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_a_statement_a_connection_sends_often_is_planned_once_on_the_server(db: None) -> None:
    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ['%FROM "accounts_user" WHERE%"full_name"::text LIKE%'],
            )
            return int(cursor.fetchone()[0])

    def send() -> None:
        list(User.objects.filter(full_name__startswith="Prepared", pk__gt=0).values_list("pk"))

    for _ in range(5):
        send()
    assert prepared() == 0
    send()
    assert prepared() == 1
    for _ in range(10):
        send()
    assert prepared() == 1
