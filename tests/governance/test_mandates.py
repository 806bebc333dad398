"""Elections seat members for the policy's term; the board is who holds a board mandate; a
recall is a decision that ends a mandate early; terms end on their own."""

from __future__ import annotations

import datetime as dt

import pytest

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role
from taawun.domain.errors import InvalidInput, NotFound
from taawun.governance import actions
from taawun.governance.models import Mandate
from taawun.members.selectors import voters as voting_members
from taawun.transparency.models import AuditEntry

from .conftest import after_close


def number_of(user: User) -> str:
    return str(voting_members().get(user=user).number)


def elect_board(voters: list[User], winners: list[User], seats: int = 2) -> None:
    proposal = actions.propose(
        actor=voters[0],
        kind="election",
        title="Board",
        candidates=[int(number_of(u)) for u in voters[1:4]],
        seats=seats,
    )
    wanted = [number_of(u) for u in winners]
    for person in voters:
        actions.cast_ballot(actor=person, number=proposal.number, choice=wanted)
    actions.run_due(now=after_close(15))


def test_a_board_election_replaces_the_board(voters: list[User]) -> None:
    assert has_role(voters[0], Role.BOARD)  # the founding board
    elect_board(voters, [voters[1], voters[2]])
    mandates = Mandate.objects.filter(ended_at__isnull=True)
    assert sorted(m.member.user_id for m in mandates) == sorted([voters[1].pk, voters[2].pk])
    mandate = mandates.first()
    assert mandate is not None and mandate.office == "board"
    starts = mandate.starts_at
    assert mandate.ends_at == starts.replace(year=starts.year + 2)  # the policy's 24 months
    assert [has_role(u, Role.BOARD) for u in voters[:4]] == [False, True, True, False]
    board_grants = AuditEntry.objects.filter(action="role.granted", after__role="board")
    assert [e.actor_id for e in board_grants.order_by("seq")] == [None, None, None]
    assert board_grants.count() == 3  # the founding board and the two elected
    assert AuditEntry.objects.filter(action="role.revoked").count() == 1


def test_a_recall_ends_a_mandate_and_the_role(voters: list[User]) -> None:
    elect_board(voters, [voters[1], voters[2]])
    mandate = Mandate.objects.get(member__user=voters[1])
    recall = actions.propose(actor=voters[3], kind="ordinary", title="Recall", recall_of=mandate.pk)
    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=recall.number, choice="yes")
    actions.run_due(now=after_close(23))
    mandate.refresh_from_db()
    assert mandate.ended_by == recall
    assert not has_role(voters[1], Role.BOARD)
    assert has_role(voters[2], Role.BOARD)
    with pytest.raises(NotFound):
        actions.propose(actor=voters[3], kind="ordinary", title="Again", recall_of=mandate.pk)
    with pytest.raises(InvalidInput) as excinfo:
        other = Mandate.objects.get(member__user=voters[2])
        actions.propose(actor=voters[3], kind="discussion", title="x", recall_of=other.pk)
    assert excinfo.value.code == "recall_is_ordinary"


def test_terms_end_on_their_own(voters: list[User]) -> None:
    elect_board(voters, [voters[1], voters[2]])
    mandate = Mandate.objects.filter(ended_at__isnull=True).first()
    assert mandate is not None
    assert actions.end_terms(now=mandate.ends_at - dt.timedelta(seconds=1)) == 0
    assert actions.end_terms(now=mandate.ends_at) == 2
    assert Mandate.objects.filter(ended_at__isnull=True).count() == 0
    assert not has_role(voters[1], Role.BOARD) and not has_role(voters[2], Role.BOARD)


def test_the_board_has_only_its_seats(voters: list[User]) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        actions.propose(
            actor=voters[0],
            kind="election",
            title="Board",
            candidates=[int(number_of(u)) for u in voters],
            seats=4,
        )
    assert (excinfo.value.code, excinfo.value.params) == ("too_many_seats", {"seats": 3})
    committee = actions.propose(
        actor=voters[0],
        kind="election",
        title="Education committee",
        candidates=[int(number_of(u)) for u in voters],
        seats=4,
        office="Education committee",
    )
    assert (committee.office, committee.seats) == ("Education committee", 4)
