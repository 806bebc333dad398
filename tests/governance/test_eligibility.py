"""Who may vote follows the live register and the policy: classes with a vote, probation,
the share paid when the policy asks for that, and no instalment overdue past the lapse limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from taawun.accounts.models import User
from taawun.coop.actions import adopt_policy
from taawun.coop.selectors import current_policy
from taawun.domain.errors import NotAllowed
from taawun.domain.policy_change import apply_changes
from taawun.governance import actions
from taawun.members import actions as members
from taawun.members.models import Membership
from taawun.members.selectors import voters


def with_rules(**changes: object) -> None:
    policy = apply_changes(current_policy().policy, changes)
    adopt_policy(actor=None, policy=policy, reason="test")


def numbers(on: dt.date | None = None) -> list[int]:
    return sorted(voters(on=on).values_list("number", flat=True))


def test_classes_without_a_vote_and_leavers_do_not_vote(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    worker = make_member("worker")
    make_member("supporter")
    user = make_member("user")
    assert numbers() == [1, worker.number, user.number]
    members.give_notice(actor=user.user, membership_id=user.pk)
    assert numbers() == [1, worker.number, user.number]  # still a member until they leave


def test_probation_counts_from_the_day_of_joining(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    worker = make_member("worker")
    with_rules(**{"governance.probation_days": "30"})
    today = timezone.localdate()
    assert numbers(today) == []  # the founder joined today too
    assert numbers(today + dt.timedelta(days=29)) == []
    assert numbers(today + dt.timedelta(days=30)) == [1, worker.number]
    proposal_maker = founder
    with pytest.raises(NotAllowed) as excinfo:
        actions.propose(actor=proposal_maker, kind="ordinary", title="x")
    assert excinfo.value.code == "no_vote"


def test_when_paid_the_share_must_be_paid(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    unpaid = make_member("worker", paid=3)
    paid = make_member("worker", paid=4)
    assert unpaid.number in numbers()
    with_rules(**{"membership.voting_rights": "when_paid"})
    assert unpaid.number not in numbers()
    assert paid.number in numbers()


def test_an_overdue_instalment_suspends_the_vote_after_the_lapse_limit(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    member = make_member("worker", paid=1)
    second = member.instalments.get(number=2)
    with_rules(**{"governance.lapse_after_days": "10"})
    due = second.due_on
    assert member.number in numbers(due + dt.timedelta(days=10))
    assert member.number not in numbers(due + dt.timedelta(days=11))
    members.record_instalment_payment(actor=founder, instalment_id=second.pk, method="cash")
    assert member.number in numbers(due + dt.timedelta(days=11))
