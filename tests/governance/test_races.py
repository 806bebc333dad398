"""Votes under concurrency, on PostgreSQL: real threads, each with its own connection, lined up
inside their transactions. One member voting twice at once gets one ballot; a ballot racing
the close is either counted or refused, never lost; two closings adopt one policy version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction

from taawun.accounts.models import User
from taawun.coop.models import PolicyVersion
from taawun.domain.errors import DomainError
from taawun.governance import actions
from taawun.governance.models import Ballot, Participation, Proposal
from taawun.members.selectors import voters as voting_members
from taawun.transparency.models import AuditEntry
from tests.races import as_user, errors, line_up, oks, race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def ballot(
    person: User, number: int, choice: str, now: dt.datetime | None = None
) -> Callable[[], str]:
    return lambda: actions.cast_ballot(
        actor=as_user(person.pk), number=number, choice=choice, now=now
    )


def test_one_member_voting_twice_at_once_gets_one_ballot(
    monkeypatch: pytest.MonkeyPatch, voters: list[User]
) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="x")
    line_up(monkeypatch, actions, "_voter", 2, after=True)
    outcomes = race(
        [ballot(voters[1], proposal.number, "yes"), ballot(voters[1], proposal.number, "no")]
    )
    assert len(oks(outcomes)) == 1
    assert errors(outcomes) == [(DomainError, "already_voted")]
    assert Participation.objects.count() == Ballot.objects.count() == 1
    assert AuditEntry.objects.filter(action="governance.ballot_cast").count() == 1


def test_the_database_refuses_a_second_participation(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="x")
    member = voting_members().get(user=voters[1])
    Participation.objects.create(proposal=proposal, member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(proposal=proposal, member=member)


def test_a_ballot_racing_the_close_is_counted_or_refused(
    monkeypatch: pytest.MonkeyPatch, voters: list[User]
) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="x")
    assert proposal.closes_at is not None
    for person in voters[1:4]:
        actions.cast_ballot(actor=person, number=proposal.number, choice="yes")
    line_up(monkeypatch, actions, "_locked", 2)
    late = proposal.closes_at - dt.timedelta(seconds=1)
    outcomes = race(
        [
            ballot(voters[4], proposal.number, "no", now=late),
            lambda: actions.close_vote(number=proposal.number, now=proposal.closes_at),
        ]
    )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.CLOSED
    counted = proposal.result["participants"]
    if errors(outcomes):
        assert errors(outcomes) == [(DomainError, "not_voting")]
        assert counted == 3
    else:
        assert counted == 4 and proposal.result["counts"]["no"] == 1
    assert Ballot.objects.count() == counted


def test_two_closings_at_once_adopt_one_version(
    monkeypatch: pytest.MonkeyPatch, voters: list[User]
) -> None:
    proposal = actions.propose(
        actor=voters[0], kind="policy_change", title="x", changes={"fees.tax_percent": "3"}
    )
    assert proposal.closes_at is not None
    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=proposal.number, choice="yes")
    line_up(monkeypatch, actions, "_locked", 2)
    close = proposal.closes_at
    outcomes = race([lambda: actions.close_vote(number=proposal.number, now=close)] * 2)
    assert len(oks(outcomes)) == 2
    assert PolicyVersion.objects.count() == 2
    assert AuditEntry.objects.filter(action="governance.closed").count() == 1
