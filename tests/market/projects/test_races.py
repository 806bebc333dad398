"""Projects under concurrency, on PostgreSQL: two requests at once, each in its own connection,
lined up inside their transactions. Choosing two proposals at once makes one agreement;
accepting a milestone twice at once pays it once; accept against dispute, one wins; proposing
twice at once keeps one proposal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.ledger.models import EntryKind, JournalEntry
from taawun.market.models import Order, Status
from taawun.market.projects import actions
from taawun.market.projects.models import Brief, Milestone, PlannedMilestone, Proposal
from taawun.members.models import Membership
from tests.ledger.helpers import books_problems, owed
from tests.races import as_user, errors, line_up, oks, race

from .conftest import agree, ils, post, propose, steps

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]
D = Decimal


def sales() -> int:
    return JournalEntry.objects.filter(kind=EntryKind.SALE).count()


def test_choosing_two_proposals_at_once_makes_one_agreement(
    monkeypatch: pytest.MonkeyPatch,
    customer: User,
    worker: Membership,
    other_worker: Membership,
) -> None:
    brief = post(customer)
    one = propose(worker, brief)
    two = propose(other_worker, brief, price="450.00", pairs=[("All", "450.00")])
    line_up(monkeypatch, actions, "_locked_proposal", 2)
    outcomes = race(
        [
            lambda: actions.choose_proposal(
                actor=as_user(customer.pk), proposal_id=one.pk, method="cash"
            ),
            lambda: actions.choose_proposal(
                actor=as_user(customer.pk), proposal_id=two.pk, method="bank"
            ),
        ]
    )
    assert len(oks(outcomes)) == 1
    assert errors(outcomes) == [(DomainError, "already_agreed")]
    assert Proposal.objects.filter(status="accepted").count() == 1
    assert Proposal.objects.filter(status="not_chosen").count() == 1
    winner = Proposal.objects.get(status="accepted")
    assert Order.objects.count() == winner.steps.count()
    assert set(Order.objects.values_list("worker", flat=True)) == {winner.worker_id}
    assert Brief.objects.get().status == "agreed"


def test_choosing_one_proposal_twice_at_once_agrees_once(
    monkeypatch: pytest.MonkeyPatch, customer: User, worker: Membership
) -> None:
    proposal = propose(worker, post(customer))
    line_up(monkeypatch, actions, "_locked_proposal", 2)
    outcomes = race(
        [
            lambda: actions.choose_proposal(
                actor=as_user(customer.pk), proposal_id=proposal.pk, method="cash"
            )
        ]
        * 2
    )
    assert errors(outcomes) == []
    assert Order.objects.count() == 2
    assert Milestone.objects.count() == 2


def test_accepting_a_milestone_twice_at_once_pays_once(
    monkeypatch: pytest.MonkeyPatch, customer: User, worker: Membership
) -> None:
    (order,) = agree(customer, propose(worker, post(customer), pairs=[("All", "500.00")]))
    actions.deliver(actor=worker.user, order_id=order.pk, note="Done")
    line_up(monkeypatch, actions, "_locked_milestone", 2)
    outcomes = race([lambda: actions.accept(actor=as_user(customer.pk), order_id=order.pk)] * 2)
    assert errors(outcomes) == []
    assert sales() == 1
    assert owed(worker) == D("440.00")
    assert Order.objects.get().status == Status.COMPLETED
    assert Brief.objects.get().status == "closed"
    assert books_problems() == []


def test_accept_against_dispute_one_wins(
    monkeypatch: pytest.MonkeyPatch, customer: User, worker: Membership
) -> None:
    (order,) = agree(customer, propose(worker, post(customer), pairs=[("All", "500.00")]))
    actions.deliver(actor=worker.user, order_id=order.pk, note="Done")
    line_up(monkeypatch, actions, "_locked_milestone", 2)
    outcomes = race(
        [
            lambda: actions.accept(actor=as_user(customer.pk), order_id=order.pk),
            lambda: actions.dispute(actor=as_user(customer.pk), order_id=order.pk, reason="No"),
        ]
    )
    assert len(oks(outcomes)) == 1
    assert errors(outcomes) == [(DomainError, "order_changed")]
    status = Order.objects.get().status
    assert status in {Status.COMPLETED, Status.DISPUTED}
    assert sales() == (1 if status == Status.COMPLETED else 0)
    assert owed(worker) == (D("440.00") if status == Status.COMPLETED else 0)
    assert Milestone.objects.get().dispute_reason == ("" if status == Status.COMPLETED else "No")
    assert books_problems() == []


def test_proposing_twice_at_once_keeps_one_proposal(
    monkeypatch: pytest.MonkeyPatch, customer: User, worker: Membership
) -> None:
    brief = post(customer)
    line_up(monkeypatch, actions, "_worker_of", 2, after=True)
    outcomes = race(
        [
            lambda: actions.propose(
                actor=as_user(worker.user_id),
                brief_id=brief.pk,
                price=ils("500.00"),
                days=5,
                plan="p",
                milestones=steps(("All", "500.00")),
            )
        ]
        * 2
    )
    assert len(oks(outcomes)) == 1
    assert errors(outcomes) == [(DomainError, "already_proposed")]
    assert Proposal.objects.count() == 1
    assert PlannedMilestone.objects.count() == 1
