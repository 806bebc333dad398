"""Where the policy has applicants admitted by a member vote, each pending application gets
its vote without anyone opening it, and the decision admits or refuses."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from taawun.accounts.models import User
from taawun.coop.actions import adopt_policy
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput
from taawun.domain.policy_change import apply_changes
from taawun.governance import actions
from taawun.governance.models import Proposal
from taawun.members import actions as members
from taawun.members.models import Application, Membership

from .conftest import after_close


@pytest.fixture
def by_vote(voters: list[User]) -> list[User]:
    policy = apply_changes(current_policy().policy, {"membership.admission_by": "vote"})
    adopt_policy(actor=None, policy=policy, reason="test")
    return voters


def test_each_application_gets_one_vote_and_the_vote_admits(
    by_vote: list[User], make_applicant: Callable[..., Application]
) -> None:
    accepted = make_applicant("worker", name="Huda Nasser")
    refused = make_applicant("user")
    opened = actions.open_admission_votes()
    assert [(p.kind, p.application_id, p.method) for p in opened] == [
        ("admission", accepted.pk, "majority"),
        ("admission", refused.pk, "majority"),
    ]
    assert opened[0].title == "Huda Nasser"
    assert actions.open_admission_votes() == []  # one vote per application
    for person in by_vote[:4]:
        actions.cast_ballot(actor=person, number=opened[0].number, choice="yes")
        actions.cast_ballot(actor=person, number=opened[1].number, choice="no")
    actions.run_due(now=after_close())
    accepted.refresh_from_db()
    refused.refresh_from_db()
    assert accepted.status == Application.Status.APPROVED
    assert Membership.objects.get(application=accepted).member_class == "worker"
    assert (refused.status, refused.decision_reason) == (
        Application.Status.REFUSED,
        f"decision #{opened[1].number}",
    )
    assert not Membership.objects.filter(application=refused).exists()


def test_the_board_cannot_decide_when_members_vote(
    by_vote: list[User], make_applicant: Callable[..., Application]
) -> None:
    application = make_applicant("worker")
    with pytest.raises(DomainError) as excinfo:
        members.approve_application(actor=by_vote[0], application_id=application.pk)
    assert excinfo.value.code == "admission_by_vote"
    with pytest.raises(InvalidInput):
        actions.propose(actor=by_vote[0], kind="admission", title="x")


def test_no_admission_votes_when_the_board_admits(
    voters: list[User], make_applicant: Callable[..., Application]
) -> None:
    make_applicant("worker")
    assert actions.open_admission_votes() == []
    assert not Proposal.objects.exists()
