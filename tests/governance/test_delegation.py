"""Delegated votes: given per kind of decision or for all, counted only on open ballots and
only for members who did not vote themselves, revocable, and only where the policy allows."""

from __future__ import annotations

import pytest

from taawun.accounts.models import User
from taawun.coop.actions import adopt_policy
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput, NotFound
from taawun.domain.policy_change import apply_changes
from taawun.governance import actions
from taawun.governance.models import Delegation, Proposal
from taawun.members.selectors import voters as voting_members

from .conftest import after_close


@pytest.fixture
def allowed(voters: list[User]) -> list[User]:
    policy = apply_changes(current_policy().policy, {"governance.delegation": True})
    adopt_policy(actor=None, policy=policy, reason="test")
    return voters


def number(user: User) -> int:
    return voting_members().get(user=user).number


def close(proposal: Proposal) -> Proposal:
    actions.run_due(now=after_close(15))
    proposal.refresh_from_db()
    return proposal


def test_a_delegate_votes_for_those_who_did_not(allowed: list[User]) -> None:
    people = allowed
    actions.delegate_vote(actor=people[3], to_member=number(people[1]))
    actions.delegate_vote(actor=people[4], to_member=number(people[1]), kind="ordinary")
    actions.delegate_vote(actor=people[5], to_member=number(people[2]), kind="policy_change")
    proposal = actions.propose(actor=people[0], kind="ordinary", title="x")
    actions.cast_ballot(actor=people[1], number=proposal.number, choice="no")
    actions.cast_ballot(actor=people[4], number=proposal.number, choice="yes")  # voted herself
    actions.cast_ballot(actor=people[2], number=proposal.number, choice="yes")
    closed = close(proposal)
    assert closed.result["counts"] == {"yes": 2, "no": 2, "abstain": 0}
    assert closed.result["delegated"] == [[number(people[3]), number(people[1])]]
    assert closed.result["participants"] == 4


def test_a_kind_delegation_comes_before_an_all_delegation(allowed: list[User]) -> None:
    people = allowed
    actions.delegate_vote(actor=people[3], to_member=number(people[1]))
    actions.delegate_vote(actor=people[3], to_member=number(people[2]), kind="ordinary")
    proposal = actions.propose(actor=people[0], kind="ordinary", title="x")
    actions.cast_ballot(actor=people[1], number=proposal.number, choice="no")
    actions.cast_ballot(actor=people[2], number=proposal.number, choice="yes")
    assert close(proposal).result["delegated"] == [[number(people[3]), number(people[2])]]


def test_secret_ballots_and_revoked_delegations_do_not_count(allowed: list[User]) -> None:
    people = allowed
    given = actions.delegate_vote(actor=people[3], to_member=number(people[1]))
    election = actions.propose(
        actor=people[0], kind="election", title="Board", candidates=[1, 2, 3]
    )
    actions.cast_ballot(actor=people[1], number=election.number, choice=["2"])
    assert close(election).result["delegated"] == []
    actions.revoke_delegation(actor=people[3], delegation=given.pk)
    proposal = actions.propose(actor=people[0], kind="ordinary", title="x")
    actions.cast_ballot(actor=people[1], number=proposal.number, choice="no")
    assert close(proposal).result["delegated"] == []
    with pytest.raises(NotFound):
        actions.revoke_delegation(actor=people[3], delegation=given.pk)


def test_a_new_delegation_replaces_the_old_for_that_kind(allowed: list[User]) -> None:
    people = allowed
    actions.delegate_vote(actor=people[3], to_member=number(people[1]))
    actions.delegate_vote(actor=people[3], to_member=number(people[2]))
    live = Delegation.objects.filter(revoked_at__isnull=True)
    assert [(d.delegate.number, d.kind) for d in live] == [(number(people[2]), "")]


def test_delegation_needs_the_policy_and_another_voter(voters: list[User]) -> None:
    with pytest.raises(DomainError) as excinfo:
        actions.delegate_vote(actor=voters[3], to_member=number(voters[1]))
    assert excinfo.value.code == "delegation_off"
    policy = apply_changes(current_policy().policy, {"governance.delegation": True})
    adopt_policy(actor=None, policy=policy, reason="test")
    for target in (number(voters[3]), 999):
        with pytest.raises(InvalidInput) as refused:
            actions.delegate_vote(actor=voters[3], to_member=target)
        assert refused.value.code == "bad_delegate"
    with pytest.raises(InvalidInput):
        actions.delegate_vote(actor=voters[3], to_member=number(voters[1]), kind="coup")
    assert not Delegation.objects.exists()
