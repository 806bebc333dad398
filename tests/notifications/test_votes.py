"""Votes: every member who can vote hears that one opened (one insert for them all), those who
have not voted are reminded before it closes, and everyone hears the result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from taawun.accounts.models import User
from taawun.governance import actions
from taawun.members.models import Membership
from taawun.notifications.actions import moment, send_pending
from taawun.notifications.models import Notification

from .conftest import told

pytestmark = pytest.mark.django_db


@pytest.fixture
def voters(founder: User, make_member: Callable[..., Membership]) -> list[User]:
    """The founder and five worker members, all with a vote (six in all)."""
    return [founder] + [make_member("worker").user for _ in range(5)]


def test_a_vote_opened_tells_every_other_voter_in_one_insert(voters: list[User]) -> None:
    with CaptureQueriesContext(connection) as queries:
        proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    inserts = [q for q in queries.captured_queries if "notifications_notification" in q["sql"]]
    assert [q["sql"].split()[0] for q in inserts] == ["INSERT"]
    assert told() == [(v.pk, "vote_opened") for v in voters[1:]]
    note = Notification.objects.filter(recipient=voters[1]).get()
    assert proposal.closes_at is not None
    assert note.payload == {
        "proposal": proposal.number,
        "title": "Paint",
        "closes": moment(proposal.closes_at),
    }
    assert note.link == reverse("governance:proposal", args=[proposal.number])


def test_a_discussion_tells_nobody(voters: list[User]) -> None:
    actions.propose(actor=voters[0], kind="discussion", title="Summer hours")
    assert told() == []


def test_the_reminder_goes_to_those_who_have_not_voted_and_the_result_to_all(
    voters: list[User],
) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    actions.cast_ballot(actor=voters[1], number=proposal.number, choice="yes")
    assert proposal.closes_at is not None
    Notification.objects.all().delete()
    assert actions.remind_voters(now=proposal.closes_at - dt.timedelta(hours=2)) == 5
    assert actions.remind_voters(now=proposal.closes_at - dt.timedelta(hours=1)) == 0
    waiting = [v.pk for v in voters if v != voters[1]]
    assert told() == [(pk, "vote_closing") for pk in waiting]
    Notification.objects.all().delete()
    closed = actions.close_vote(number=proposal.number, now=proposal.closes_at)
    assert sorted(told()) == sorted((v.pk, "vote_result") for v in voters)
    assert Notification.objects.filter(recipient=voters[2]).get().payload == {
        "proposal": proposal.number,
        "title": "Paint",
        "outcome": closed.outcome,
    }


def test_the_reminder_email_reads_as_before_in_both_languages(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    Notification.objects.all().delete()
    assert proposal.closes_at is not None
    actions.remind_voters(now=proposal.closes_at - dt.timedelta(hours=1))
    assert send_pending() == 6
    message = next(m for m in mail.outbox if m.to == [voters[3].email])
    with translation.override("ar"):
        arabic = gettext("A vote closes soon: %(title)s") % {"title": "Paint"}
    assert message.subject == f"{arabic} / A vote closes soon: Paint"
    assert f"You have not voted yet on proposal #{proposal.number}, Paint." in message.body
    assert message.body.endswith(f"/governance/{proposal.number}/")
