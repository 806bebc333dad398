"""Proposals and votes through the real actions: what passes, what is refused, what changes."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from taawun.accounts.models import User
from taawun.coop.models import PolicyVersion
from taawun.coop.selectors import current_policy, policy_number
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed
from taawun.governance import actions, selectors
from taawun.governance.models import Ballot, Participation, Proposal
from taawun.members.models import Membership
from taawun.notifications.actions import send_pending
from taawun.transparency.models import AuditEntry

from .conftest import after_close


def vote_all(number: int, people: list[User], choices: list[object]) -> list[str]:
    return [
        actions.cast_ballot(actor=person, number=number, choice=choice)
        for person, choice in zip(people, choices, strict=True)
    ]


def test_a_fee_change_passes_and_becomes_a_policy_version(voters: list[User]) -> None:
    proposal = actions.propose(
        actor=voters[1],
        kind="policy_change",
        title="Lower the co-op fee",
        changes={"fees.coop_fee_percent": "8"},
    )
    assert (proposal.kind, proposal.status, proposal.method) == (
        "policy_change",
        "open",
        "majority",
    )
    assert proposal.changes == {"fees.coop_fee_percent": "8"}
    assert proposal.before == {"fees.coop_fee_percent": "10"}
    assert proposal.effective_from == proposal.closes_at
    assert proposal.seed_digest == hashlib.sha256(proposal.seed.encode()).hexdigest()
    vote_all(proposal.number, voters[:4], ["yes", "yes", "yes", "no"])
    assert current_policy().policy.fees.coop_fee_percent == Decimal(10)
    closing_time = after_close()
    closed = actions.run_due(now=closing_time)
    assert [p.number for p in closed] == [proposal.number]
    proposal.refresh_from_db()
    assert proposal.outcome == "passed"
    assert proposal.result["counts"] == {"yes": 3, "no": 1, "abstain": 0}
    assert (proposal.eligible, proposal.result["participants"]) == (6, 4)
    version = PolicyVersion.objects.get(number=proposal.adopted.number)
    assert version.number == 2
    assert version.reason == f"decision #{proposal.number}"
    # the proposal named its close; it was counted later, so it takes effect from then
    assert version.effective_from == closing_time
    assert version.document["fees"]["coop_fee_percent"] == "8"
    assert current_policy().number == 1  # the clock has not reached that time yet
    assert policy_number(2).fees.coop_fee_percent == Decimal(8)
    closing = AuditEntry.objects.get(action="governance.closed")
    assert closing.after["seed"] == proposal.seed
    assert closing.after["adopted_version"] == 2


def test_sixty_percent_needed_for_a_policy_change(voters: list[User]) -> None:
    proposal = actions.propose(
        actor=voters[0], kind="policy_change", title="x", changes={"fees.tax_percent": "5"}
    )
    vote_all(proposal.number, voters[:5], ["yes", "yes", "yes", "no", "no"])  # 60%: not more
    actions.run_due(now=after_close())
    proposal.refresh_from_db()
    assert (proposal.outcome, proposal.adopted) == ("failed", None)
    assert PolicyVersion.objects.count() == 1


def test_without_quorum_nothing_is_decided(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint the office")
    vote_all(proposal.number, voters[:2], ["yes", "yes"])  # 2 of 6 < 50%
    actions.run_due(now=after_close())
    proposal.refresh_from_db()
    assert proposal.outcome == "no_quorum"


def test_a_protected_rule_makes_a_bylaw_change_with_its_supermajority(
    voters: list[User],
) -> None:
    proposal = actions.propose(
        actor=voters[0],
        kind="policy_change",
        title="Longer notice",
        changes={"membership.exit_notice_days": 60},
    )
    assert (proposal.kind, proposal.method) == ("bylaw_change", "supermajority")
    vote_all(proposal.number, voters[:6], ["yes", "yes", "yes", "yes", "no", "no"])  # 66.67%
    actions.run_due(now=after_close(8))
    proposal.refresh_from_db()
    assert proposal.outcome == "passed"
    assert proposal.adopted.document["membership"]["exit_notice_days"] == 60


def test_one_ballot_per_member_and_only_voters_vote(
    voters: list[User], make_member: Callable[..., Membership], make_account: Callable[..., User]
) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="x")
    actions.cast_ballot(actor=voters[1], number=proposal.number, choice="yes")
    with pytest.raises(DomainError) as excinfo:
        actions.cast_ballot(actor=voters[1], number=proposal.number, choice="no")
    assert excinfo.value.code == "already_voted"
    supporter = make_member("supporter").user
    for outsider in (supporter, make_account()):
        with pytest.raises(NotAllowed) as refused:
            actions.cast_ballot(actor=outsider, number=proposal.number, choice="yes")
        assert refused.value.code == "no_vote"
    assert list(Ballot.objects.values_list("choice", flat=True)) == ["yes"]
    assert Participation.objects.count() == 1


@pytest.mark.parametrize("choice", ["maybe", "", None, 1, ["yes"], {"yes": 1}])
def test_a_bad_ballot_is_refused_and_nothing_is_kept(voters: list[User], choice: object) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="x")
    with pytest.raises(InvalidInput) as excinfo:
        actions.cast_ballot(actor=voters[1], number=proposal.number, choice=choice)
    assert excinfo.value.code == "bad_choice"
    assert (Ballot.objects.count(), Participation.objects.count()) == (0, 0)


def test_a_secret_ballot_keeps_no_link_between_voter_and_choice(voters: list[User]) -> None:
    proposal = actions.propose(
        actor=voters[0], kind="election", title="Board", candidates=[1, 2, 3], seats=2
    )
    assert (proposal.method, proposal.secret, proposal.seats) == ("stv", True, 2)
    receipts = vote_all(
        proposal.number,
        voters,
        [["1", "2"], ["2", "1"], ["1", "3"], ["3"], ["2", "3"], ["1"]],
    )
    assert set(Ballot.objects.values_list("member", flat=True)) == {None}
    entries = AuditEntry.objects.filter(action="governance.ballot_cast")
    assert {e.actor_id for e in entries} == {None}
    assert sorted(e.after["receipt"] for e in entries) == sorted(receipts)
    assert all("choice" not in e.after for e in entries)
    actions.run_due(now=after_close(15))
    proposal.refresh_from_db()
    assert proposal.outcome == "elected"
    assert proposal.result["winners"] == ["1", "2"]
    assert proposal.result["counts"] == {"quota": 3}
    ballot = selectors.find_ballot(voters[0], receipts[3])
    assert ballot is not None and ballot.choice == ["3"]


def test_an_open_ballot_shows_who_voted_what(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="x")
    actions.cast_ballot(actor=voters[2], number=proposal.number, choice="no")
    ballot = Ballot.objects.get()
    assert ballot.member is not None and ballot.member.user == voters[2]
    entry = AuditEntry.objects.get(action="governance.ballot_cast")
    assert (entry.actor_id, entry.after["choice"]) == (voters[2].pk, "no")


def test_a_rate_is_set_to_the_median_and_takes_effect(voters: list[User]) -> None:
    proposal = actions.propose(
        actor=voters[0], kind="rate", title="Fee", rate_rule="fees.coop_fee_percent"
    )
    assert (proposal.method, proposal.changes) == ("numeric", {"fees.coop_fee_percent": None})
    vote_all(proposal.number, voters[:5], ["8", "9.5", "10", "7", "12"])
    with pytest.raises(InvalidInput) as excinfo:  # a value that breaks a floor is refused
        actions.cast_ballot(actor=voters[5], number=proposal.number, choice="99")
    assert excinfo.value.code == "fees_over_100"
    actions.run_due(now=after_close())
    proposal.refresh_from_db()
    assert (proposal.outcome, proposal.result["value"]) == ("set", "9.5")
    assert proposal.adopted.document["fees"]["coop_fee_percent"] == "9.5"


def test_a_poll_chooses_by_approval_and_binds_nothing(voters: list[User]) -> None:
    proposal = actions.propose(
        actor=voters[0], kind="poll", title="Where to meet", options=["Hall", "Park", "Online"]
    )
    assert [o["key"] for o in proposal.options] == ["1", "2", "3"]
    vote_all(proposal.number, voters[:3], [["1", "2"], ["2"], ["2", "3"]])
    actions.run_due(now=after_close())
    proposal.refresh_from_db()
    assert (proposal.outcome, proposal.result["winners"]) == ("chosen", ["2"])
    assert proposal.result["counts"] == {"2": 3, "1": 1, "3": 1}
    assert PolicyVersion.objects.count() == 1


def test_a_stale_change_is_not_applied(voters: list[User]) -> None:
    first = actions.propose(
        actor=voters[0], kind="policy_change", title="a", changes={"fees.tax_percent": "5"}
    )
    second = actions.propose(
        actor=voters[0], kind="policy_change", title="b", changes={"fees.tax_percent": "7"}
    )
    for number in (first.number, second.number):
        vote_all(number, voters[:4], ["yes"] * 4)
    actions.run_due(now=after_close())
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.adopted is not None and first.adopted.number == 2
    assert (second.outcome, second.adopted) == ("passed", None)
    assert second.result["not_applied"][1] == {"path": "fees.tax_percent"}
    assert PolicyVersion.objects.count() == 2


def test_a_rollback_proposes_the_rules_a_version_replaced(voters: list[User]) -> None:
    change = actions.propose(
        actor=voters[0], kind="policy_change", title="a", changes={"fees.tax_percent": "5"}
    )
    vote_all(change.number, voters[:4], ["yes"] * 4)
    actions.run_due(now=after_close())
    rollback = actions.propose(actor=voters[1], kind="policy_change", title="Undo", rollback_of=2)
    assert (rollback.rollback_of, rollback.changes) == (2, {"fees.tax_percent": "0"})
    assert rollback.before == {"fees.tax_percent": "5"}
    with pytest.raises(InvalidInput) as excinfo:
        actions.propose(actor=voters[1], kind="policy_change", title="Undo", rollback_of=1)
    assert excinfo.value.code == "nothing_to_roll_back"


def test_voting_closes_on_time(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="x")
    assert proposal.closes_at is not None
    with pytest.raises(DomainError) as excinfo:
        actions.cast_ballot(
            actor=voters[1], number=proposal.number, choice="yes", now=proposal.closes_at
        )
    assert excinfo.value.code == "vote_closed"
    with pytest.raises(DomainError) as early:
        actions.close_vote(number=proposal.number, now=proposal.closes_at - dt.timedelta(seconds=1))
    assert early.value.code == "still_voting"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({}, "no_change"),
        ({"fees.coop_fee_percent": "99"}, "fees_over_100"),
        ({"nonsense": "1"}, "unknown_rule"),
    ],
)
def test_an_invalid_change_is_refused_before_the_vote(
    voters: list[User], changes: dict[str, object], code: str
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        actions.propose(actor=voters[0], kind="policy_change", title="x", changes=changes)
    assert excinfo.value.code == code
    assert not Proposal.objects.exists()


def test_reminders_go_once_to_members_who_have_not_voted(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    actions.cast_ballot(actor=voters[1], number=proposal.number, choice="yes")
    assert proposal.closes_at is not None
    early = proposal.closes_at - dt.timedelta(hours=30)
    assert actions.remind_voters(now=early) == 0
    soon = proposal.closes_at - dt.timedelta(hours=2)
    assert actions.remind_voters(now=soon) == 5
    assert actions.remind_voters(now=soon) == 0


def test_withdrawal_only_before_anyone_votes(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="x")
    with pytest.raises(NotAllowed):
        actions.withdraw(actor=voters[2], number=proposal.number)
    actions.cast_ballot(actor=voters[1], number=proposal.number, choice="yes")
    with pytest.raises(DomainError) as excinfo:
        actions.withdraw(actor=voters[0], number=proposal.number)
    assert excinfo.value.code == "votes_cast"
    other = actions.propose(actor=voters[3], kind="ordinary", title="y")
    assert actions.withdraw(actor=voters[3], number=other.number).status == "withdrawn"


def test_comments_form_a_thread(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[0], kind="discussion", title="Summer hours")
    assert proposal.status == "discussion" and proposal.closes_at is None
    first = actions.comment(actor=voters[1], number=proposal.number, body="Start at 7?")
    second = actions.comment(actor=voters[2], number=proposal.number, body="Later")
    reply = actions.comment(actor=voters[0], number=proposal.number, body="Yes", parent=first.pk)
    thread = selectors.discussion(proposal)
    assert [(t.comment.pk, t.depth) for t in thread] == [
        (first.pk, 0),
        (reply.pk, 1),
        (second.pk, 0),
    ]


def test_statements_and_says(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[0], kind="discussion", title="Summer hours")
    statement = actions.add_statement(actor=voters[1], number=proposal.number, text="Start at 7")
    actions.say(actor=voters[2], statement=statement.pk, vote=1)
    actions.say(actor=voters[3], statement=statement.pk, vote=-1)
    actions.say(actor=voters[2], statement=statement.pk, vote=0)  # changed their mind
    row = selectors.statements(voters[2], proposal)[0]
    assert (row.agree, row.disagree, row.passed, row.mine) == (0, 1, 1, 0)
    with pytest.raises(InvalidInput):
        actions.say(actor=voters[2], statement=statement.pk, vote=2)
    with pytest.raises(DomainError) as excinfo:
        actions.add_statement(actor=voters[1], number=proposal.number, text="Start at 7")
    assert excinfo.value.code == "statement_exists"


def test_reminder_emails_are_sent_after_commit(
    voters: list[User], django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    assert proposal.closes_at is not None
    send_pending()  # the emails that the vote opened
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        actions.remind_voters(now=proposal.closes_at - dt.timedelta(hours=1))
    assert mail.outbox == []  # sent by the background round, not by the action
    assert send_pending() == len(voters)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(v.email for v in voters)
    with translation.override("ar"):
        arabic = gettext("A vote closes soon: %(title)s") % {"title": "Paint"}
    assert mail.outbox[0].subject == f"{arabic} / A vote closes soon: Paint"
    assert f"proposal #{proposal.number}, Paint" in mail.outbox[0].body


def test_the_author_states_the_outcome_once_decided(voters: list[User]) -> None:
    proposal = actions.propose(actor=voters[1], kind="ordinary", title="Paint")
    with pytest.raises(DomainError) as early:
        actions.state_outcome(actor=voters[1], number=proposal.number, text="Done")
    assert early.value.code == "not_decided"
    actions.run_due(now=after_close())
    with pytest.raises(NotAllowed):
        actions.state_outcome(actor=voters[2], number=proposal.number, text="Mine")
    stated = actions.state_outcome(actor=voters[1], number=proposal.number, text=" We paint. ")
    assert stated.outcome_statement == "We paint."
    by_board = actions.state_outcome(actor=voters[0], number=proposal.number, text="Blue.")
    assert by_board.outcome_statement == "Blue."
    assert AuditEntry.objects.filter(action="governance.outcome_stated").count() == 2
