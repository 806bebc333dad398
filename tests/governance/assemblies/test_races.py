"""Assemblies under concurrency, on PostgreSQL: real threads, each with its own connection,
lined up inside their transactions. One member is recorded present once however many times
they (or the board) press at once; a check-in racing the close is counted or refused, never
lost; a request is supported once however many sign at once."""

from __future__ import annotations

import pytest
from django.db import connection

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.governance.assemblies import actions
from taawun.governance.assemblies.models import Assembly, Attendance, RequestSignature
from taawun.members.models import Membership
from taawun.transparency.models import AuditEntry
from tests.races import as_user, errors, line_up, oks, race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def check_in(person: User, number: int) -> Attendance:
    return actions.check_in(actor=as_user(person.pk), number=number)


def test_one_member_checking_in_twice_at_once_is_present_once(
    monkeypatch: pytest.MonkeyPatch, in_session: Assembly, voters: list[User]
) -> None:
    line_up(monkeypatch, actions, "_locked", 2)
    number = in_session.number
    outcomes = race([lambda: check_in(voters[1], number), lambda: check_in(voters[1], number)])
    assert len(oks(outcomes)) == 1
    assert errors(outcomes) == [(DomainError, "already_present")]
    assert Attendance.objects.count() == 1
    assert AuditEntry.objects.filter(action="assembly.checked_in").count() == 1


def test_a_check_in_and_the_boards_mark_of_the_same_member_make_one_attendance(
    monkeypatch: pytest.MonkeyPatch, in_session: Assembly, voters: list[User]
) -> None:
    line_up(monkeypatch, actions, "_locked", 2)
    number = in_session.number
    member = Membership.objects.get(user=voters[1]).number
    outcomes = race(
        [
            lambda: check_in(voters[1], number),
            lambda: actions.record_attendance(
                actor=as_user(voters[0].pk), number=number, present=[member]
            ),
        ]
    )
    assert errors(outcomes) in ([], [(DomainError, "already_present")])
    assert list(Attendance.objects.values_list("member__number", flat=True)) == [member]


def test_a_check_in_racing_the_close_is_counted_or_refused(
    monkeypatch: pytest.MonkeyPatch, in_session: Assembly, voters: list[User]
) -> None:
    for person in voters[1:3]:
        actions.check_in(actor=person, number=in_session.number)
    line_up(monkeypatch, actions, "_locked", 2)
    number = in_session.number
    outcomes = race(
        [
            lambda: check_in(voters[3], number),
            lambda: actions.close_assembly(actor=as_user(voters[0].pk), number=number),
        ]
    )
    in_session.refresh_from_db()
    assert in_session.status == Assembly.Status.CLOSED
    if errors(outcomes):
        assert errors(outcomes) == [(DomainError, "not_in_session")]
        assert in_session.present == 2
    else:
        assert in_session.present == 3
    assert Attendance.objects.count() == in_session.present


def test_signatures_at_once_support_a_request_once(
    monkeypatch: pytest.MonkeyPatch, clock: object, voters: list[User]
) -> None:
    request = actions.request_assembly(actor=voters[1], title="The van", reason="Now.")
    line_up(monkeypatch, actions, "_voter", 4, after=True)
    sign = [
        (
            lambda person=person: actions.sign_request(
                actor=as_user(person.pk), request_id=request.pk
            )
        )
        for person in (voters[2], voters[3], voters[4], voters[2])
    ]
    outcomes = race(sign)
    request.refresh_from_db()
    assert request.supported_at is not None
    # two of the three different signers make it supported; the third, or the second press of
    # the same member, comes too late or twice
    assert len(oks(outcomes)) == 2
    assert sorted(code for _, code in errors(outcomes)) in (
        ["already_signed", "not_gathering"],
        ["not_gathering", "not_gathering"],
    )
    assert RequestSignature.objects.filter(request=request).count() == 3
    assert AuditEntry.objects.filter(action="assembly.request_signed").count() == 2
