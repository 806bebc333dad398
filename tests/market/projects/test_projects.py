"""The project flow through its actions: a brief, proposals whose milestones add up, one
agreement, each milestone delivered, accepted and paid (or disputed and resolved, or cancelled),
and the project closed when every milestone is settled. Every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from taawun.accounts.models import User
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from taawun.ledger.models import EntryKind, JournalEntry
from taawun.market.models import Order, Sector, Status
from taawun.market.projects import actions, selectors
from taawun.market.projects.models import Brief, Milestone, Proposal
from taawun.members.models import Membership
from tests.core.helpers import Clock, unchanged
from tests.ledger.helpers import balance, books_problems, owed

from .conftest import agree, ils, post, propose, steps

pytestmark = [pytest.mark.django_db]
D = Decimal


def sales() -> int:
    return JournalEntry.objects.filter(kind=EntryKind.SALE).count()


def test_a_brief_is_posted_with_its_budget_and_deadline(clock: Clock, customer: User) -> None:
    brief = post(customer, budget=ils("600.00"), deadline=clock.today + dt.timedelta(days=30))
    assert (brief.status, brief.budget, brief.currency) == ("open", D("600.00"), "ILS")
    assert brief.deadline == dt.date(2030, 3, 31)
    assert list(selectors.open_briefs()) == [brief]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "  "}, "bad_title"),
        ({"title": "x" * 201}, "bad_title"),
        ({"budget": ils("0.00")}, "bad_budget"),
        ({"budget": ils("1000000.01")}, "bad_budget"),
        ({"deadline": dt.date(2030, 2, 28)}, "past_deadline"),
    ],
)
def test_a_bad_brief_is_refused(
    clock: Clock, customer: User, fields: dict[str, object], code: str
) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refused:
        post(customer, **fields)
    assert refused.value.code == code


def test_a_working_member_proposes_with_milestones_that_add_up(
    customer: User, worker: Membership
) -> None:
    brief = post(customer)
    proposal = propose(worker, brief)
    assert (proposal.status, proposal.price, proposal.days) == ("pending", D("500.00"), 10)
    assert [(s.number, s.title, s.amount) for s in proposal.steps.all()] == [
        (1, "First designs", D("200.00")),
        (2, "Final files", D("300.00")),
    ]


@pytest.mark.parametrize(
    ("price", "pairs", "code"),
    [
        ("500.00", [("Designs", "200.00"), ("Files", "299.99")], "milestones_do_not_add_up"),
        ("500.00", [], "bad_milestones"),
        ("1100.00", [(f"Step {n}", "100.00") for n in range(11)], "bad_milestones"),
        ("500.00", [("Designs", "500.00"), ("Nothing", "0.00")], "bad_milestone_amount"),
        ("500.00", [("  ", "500.00")], "bad_milestone_title"),
        ("0.00", [("Designs", "0.00")], "bad_price"),
    ],
)
def test_milestones_must_be_sound(
    customer: User,
    worker: Membership,
    price: str,
    pairs: list[tuple[str, str]],
    code: str,
) -> None:
    brief = post(customer)
    with unchanged(), pytest.raises(InvalidInput) as refused:
        actions.propose(
            actor=worker.user,
            brief_id=brief.pk,
            price=ils(price),
            days=5,
            plan="A plan",
            milestones=steps(*pairs),
        )
    assert refused.value.code == code


def test_the_error_says_what_the_milestones_add_up_to(customer: User, worker: Membership) -> None:
    brief = post(customer)
    with pytest.raises(InvalidInput) as refused:
        propose(worker, brief, pairs=[("Designs", "200.00"), ("Files", "250.00")])
    assert str(refused.value) == (
        "The milestones add up to 450.00 ILS, but the price is 500.00 ILS."
    )


def test_who_may_propose(
    customer: User,
    worker: Membership,
    make_member: Callable[..., Membership],
    make_account: Callable[..., User],
) -> None:
    brief = post(customer)
    supporter = make_member("supporter")
    for stranger in (supporter.user, make_account()):
        with unchanged(), pytest.raises(NotAllowed) as refused:
            actions.propose(
                actor=stranger,
                brief_id=brief.pk,
                price=ils("10.00"),
                days=1,
                plan="p",
                milestones=steps(("All", "10.00")),
            )
        assert refused.value.code == "not_a_worker"
    own = post(worker.user, title="My own brief")
    with unchanged(), pytest.raises(NotAllowed) as refused:
        propose(worker, own)
    assert refused.value.code == "own_brief"
    propose(worker, brief)
    with unchanged(), pytest.raises(DomainError) as refused:
        propose(worker, brief, price="400.00", pairs=[("All", "400.00")])
    assert refused.value.code == "already_proposed"
    with unchanged(), pytest.raises(NotFound):
        actions.propose(
            actor=worker.user,
            brief_id=2**70,
            price=ils("1.00"),
            days=1,
            plan="p",
            milestones=steps(("All", "1.00")),
        )


def test_the_database_keeps_one_proposal_per_member(customer: User, worker: Membership) -> None:
    brief = post(customer)
    proposal = propose(worker, brief)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(
            brief=brief, worker=worker, currency="ILS", price=D(1), days=1, plan="again"
        )
    assert Proposal.objects.get() == proposal


def test_a_proposer_withdraws_a_pending_proposal(
    customer: User, worker: Membership, other_worker: Membership
) -> None:
    brief = post(customer)
    proposal = propose(worker, brief)
    with unchanged(), pytest.raises(NotFound):
        actions.withdraw_proposal(actor=other_worker.user, proposal_id=proposal.pk)
    assert actions.withdraw_proposal(actor=worker.user, proposal_id=proposal.pk).status == (
        "withdrawn"
    )
    with unchanged(), pytest.raises(DomainError) as refused:
        actions.withdraw_proposal(actor=worker.user, proposal_id=proposal.pk)
    assert refused.value.code == "proposal_decided"
    with unchanged(), pytest.raises(DomainError) as refused:
        actions.choose_proposal(actor=customer, proposal_id=proposal.pk, method="cash")
    assert refused.value.code == "proposal_decided"


def test_choosing_a_proposal_makes_the_agreement(
    clock: Clock, customer: User, worker: Membership, other_worker: Membership
) -> None:
    brief = post(customer)
    chosen = propose(worker, brief, days=10)
    other = propose(other_worker, brief, price="450.00", pairs=[("Everything", "450.00")])
    orders = agree(customer, chosen, method="bank")
    brief.refresh_from_db()
    assert (brief.status, brief.payment_method) == ("agreed", "bank")
    assert Proposal.objects.get(pk=chosen.pk).status == "accepted"
    assert Proposal.objects.get(pk=other.pk).status == "not_chosen"
    assert [
        (o.sector, o.status, o.worker_id, o.title, o.price, o.worker_share) for o in orders
    ] == [
        (
            Sector.PROJECT,
            Status.CONFIRMED,
            worker.pk,
            "A logo for our bakery — First designs",
            D("200.00"),
            D("176.00"),
        ),
        (
            Sector.PROJECT,
            Status.CONFIRMED,
            worker.pk,
            "A logo for our bakery — Final files",
            D("300.00"),
            D("264.00"),
        ),
    ]
    assert [(m.number, m.title, m.due_on) for m in Milestone.objects.order_by("number")] == [
        (1, "First designs", dt.date(2030, 3, 6)),
        (2, "Final files", dt.date(2030, 3, 11)),
    ]
    assert orders[0].quote == [["Agreed price %(amount)s", {"amount": "200.00 ILS"}]]
    # choosing it again changes nothing; another proposal cannot be chosen now
    with unchanged():
        assert actions.choose_proposal(actor=customer, proposal_id=chosen.pk, method="cash").pk == (
            brief.pk
        )
    with unchanged(), pytest.raises(DomainError) as refused:
        actions.choose_proposal(actor=customer, proposal_id=other.pk, method="cash")
    assert refused.value.code == "already_agreed"
    with unchanged(), pytest.raises(DomainError) as refused:
        propose(other_worker, brief)
    assert refused.value.code == "brief_not_open"
    assert sales() == 0


def test_only_the_customer_chooses(
    customer: User, worker: Membership, other_worker: Membership, founder: User
) -> None:
    proposal = propose(worker, post(customer))
    for someone in (worker.user, other_worker.user, founder):
        with unchanged(), pytest.raises(NotAllowed):
            actions.choose_proposal(actor=someone, proposal_id=proposal.pk, method="cash")
    with unchanged(), pytest.raises(InvalidInput):
        actions.choose_proposal(actor=customer, proposal_id=proposal.pk, method="gold")


def test_a_milestone_delivered_and_accepted_pays_the_worker(
    customer: User, worker: Membership
) -> None:
    first, second = agree(customer, propose(worker, post(customer)))
    actions.deliver(
        actor=worker.user, order_id=first.pk, note="Three sketches", link="https://example.org/s"
    )
    milestone = actions.accept(actor=customer, order_id=first.pk, tip=ils("20.00"))
    order = Order.objects.get(pk=first.pk)
    assert (order.status, order.tip) == (Status.COMPLETED, D("20.00"))
    assert milestone.delivery_link == "https://example.org/s"
    # 200.00: co-op 10% = 20.00, solidarity 2% = 4.00, worker 176.00 (+ the 20.00 tip)
    assert owed(worker) == D("196.00")
    assert balance("cash") == D("220.00")
    assert -balance("solidarity_fund") == D("4.00")
    assert [e.kind for e in order.events.all()] == [
        "placed",
        "delivered",
        "accepted",
        "paid",
    ]
    # accepting again changes nothing
    with unchanged():
        actions.accept(actor=customer, order_id=first.pk)
    assert sales() == 1
    assert Brief.objects.get().status == "agreed"
    actions.deliver(actor=worker.user, order_id=second.pk, note="Final files")
    actions.accept(actor=customer, order_id=second.pk)
    assert owed(worker) == D("460.00")  # 176.00 + 20.00 + 264.00
    assert Brief.objects.get().status == "closed"
    assert sales() == 2
    assert books_problems() == []


def test_a_500_milestone_gives_the_worker_440(customer: User, worker: Membership) -> None:
    (order,) = agree(customer, propose(worker, post(customer), pairs=[("All of it", "500.00")]))
    actions.deliver(actor=worker.user, order_id=order.pk, note="Done")
    actions.accept(actor=customer, order_id=order.pk)
    order.refresh_from_db()
    assert (order.price, order.coop_fee, order.solidarity, order.worker_share) == (
        D("500.00"),
        D("50.00"),
        D("10.00"),
        D("440.00"),
    )
    assert owed(worker) == D("440.00")
    assert -balance("fees_members") == D("50.00")
    assert books_problems() == []


def test_who_may_move_a_milestone(
    customer: User, worker: Membership, other_worker: Membership, founder: User
) -> None:
    first, _second = agree(customer, propose(worker, post(customer)))
    with unchanged(), pytest.raises(NotAllowed):
        actions.deliver(actor=customer, order_id=first.pk, note="not mine")
    with unchanged(), pytest.raises(DomainError) as refused:
        actions.accept(actor=customer, order_id=first.pk)
    assert refused.value.code == "order_changed"  # nothing delivered yet
    actions.deliver(actor=worker.user, order_id=first.pk, note="Sketches")
    for someone in (worker.user, other_worker.user):
        with unchanged(), pytest.raises(NotAllowed):
            actions.accept(actor=someone, order_id=first.pk)
        with unchanged(), pytest.raises(NotAllowed):
            actions.dispute(actor=someone, order_id=first.pk, reason="no")
    with unchanged(), pytest.raises(NotAllowed):
        actions.resolve(actor=customer, order_id=first.pk, pay_worker=True, note="pay")
    with unchanged(), pytest.raises(NotFound):
        actions.deliver(actor=worker.user, order_id=2**63, note="x")
    with unchanged(), pytest.raises(InvalidInput) as refused:
        actions.deliver(actor=worker.user, order_id=_second.pk, note="x", link="javascript:1")
    assert refused.value.code == "bad_link"
    assert sales() == 0


def test_a_dispute_resolved_by_paying_the_worker(
    customer: User, worker: Membership, founder: User
) -> None:
    first, second = agree(customer, propose(worker, post(customer)))
    actions.deliver(actor=worker.user, order_id=first.pk, note="Sketches")
    with unchanged(), pytest.raises(InvalidInput):
        actions.dispute(actor=customer, order_id=first.pk, reason=" ")
    milestone = actions.dispute(actor=customer, order_id=first.pk, reason="Only two sketches")
    assert (milestone.order.status, milestone.dispute_reason) == ("disputed", "Only two sketches")
    with unchanged(), pytest.raises(DomainError):
        actions.accept(actor=customer, order_id=first.pk)
    actions.resolve(actor=founder, order_id=first.pk, pay_worker=True, note="The third was sent")
    order = Order.objects.get(pk=first.pk)
    assert order.status == Status.COMPLETED and order.payment is not None
    assert owed(worker) == D("176.00")
    assert order.events.filter(kind="resolved").get().data == {"outcome": "paid"}
    with unchanged(), pytest.raises(DomainError):
        actions.resolve(actor=founder, order_id=first.pk, pay_worker=False, note="again")
    assert Brief.objects.get().status == "agreed"
    assert Order.objects.get(pk=second.pk).status == Status.CONFIRMED
    assert books_problems() == []


def test_a_dispute_resolved_by_cancelling_then_the_project_closes(
    customer: User, worker: Membership, founder: User
) -> None:
    first, second = agree(customer, propose(worker, post(customer)))
    actions.deliver(actor=worker.user, order_id=first.pk, note="Sketches")
    actions.accept(actor=customer, order_id=first.pk)
    actions.deliver(actor=worker.user, order_id=second.pk, note="Files")
    actions.dispute(actor=customer, order_id=second.pk, reason="Wrong colours")
    actions.resolve(actor=founder, order_id=second.pk, pay_worker=False, note="Not as agreed")
    order = Order.objects.get(pk=second.pk)
    assert (order.status, order.payment_id) == (Status.CANCELLED, None)
    assert Milestone.objects.get(order=order).resolution_note == "Not as agreed"
    assert owed(worker) == D("176.00")
    assert Brief.objects.get().status == "closed"
    assert sales() == 1
    assert books_problems() == []


def test_the_worker_may_deliver_again_after_a_dispute(customer: User, worker: Membership) -> None:
    first, _second = agree(customer, propose(worker, post(customer)))
    actions.deliver(actor=worker.user, order_id=first.pk, note="Sketches")
    actions.dispute(actor=customer, order_id=first.pk, reason="Only two")
    milestone = actions.deliver(actor=worker.user, order_id=first.pk, note="Now three")
    assert (milestone.order.status, milestone.delivery_note) == ("delivered", "Now three")
    actions.accept(actor=customer, order_id=first.pk)
    assert owed(worker) == D("176.00")


def test_the_customer_cancels_what_was_not_delivered(customer: User, worker: Membership) -> None:
    first, second, third = agree(
        customer,
        propose(worker, post(customer), pairs=[("A", "100.00"), ("B", "150.00"), ("C", "250.00")]),
    )
    actions.deliver(actor=worker.user, order_id=first.pk, note="A done")
    brief = Brief.objects.get()
    with unchanged(), pytest.raises(DomainError) as refused:
        actions.cancel_remaining(actor=customer, brief_id=brief.pk)
    assert refused.value.code == "delivered_first"
    with unchanged(), pytest.raises(DomainError) as refused:
        actions.cancel_milestone(actor=customer, order_id=first.pk)
    assert refused.value.code == "delivered_first"
    with unchanged(), pytest.raises(NotAllowed):
        actions.cancel_remaining(actor=worker.user, brief_id=brief.pk)
    actions.accept(actor=customer, order_id=first.pk)
    actions.cancel_milestone(actor=customer, order_id=second.pk, reason="Plans changed")
    assert Brief.objects.get().status == "agreed"
    actions.cancel_remaining(actor=customer, brief_id=brief.pk, reason="No longer needed")
    assert [o.status for o in Order.objects.order_by("pk")] == [
        Status.COMPLETED,
        Status.CANCELLED,
        Status.CANCELLED,
    ]
    assert Order.objects.get(pk=third.pk).events.last().note == "No longer needed"  # type: ignore[union-attr]
    assert Brief.objects.get().status == "closed"
    assert owed(worker) == D("88.00")
    with unchanged(), pytest.raises(DomainError) as refused:
        actions.cancel_remaining(actor=customer, brief_id=brief.pk)
    assert refused.value.code == "nothing_to_cancel"
    assert books_problems() == []


def test_who_sees_the_proposals(
    customer: User,
    worker: Membership,
    other_worker: Membership,
    founder: User,
    make_account: Callable[..., User],
) -> None:
    brief = post(customer)
    mine, theirs = (
        propose(worker, brief),
        propose(other_worker, brief, price="450.00", pairs=[("All", "450.00")]),
    )
    stranger = make_account()
    for viewer, seen in [
        (customer, [mine, theirs]),
        (founder, [mine, theirs]),
        (worker.user, [mine]),
        (other_worker.user, [theirs]),
        (stranger, []),
    ]:
        view = selectors.brief_view(viewer, brief.pk)
        assert view.proposals == seen
        assert view.proposal_count == 2
        assert view.milestones == []
    assert selectors.brief_view(stranger, brief.pk).may_propose is False
    agree(customer, mine)
    assert len(selectors.brief_view(worker.user, brief.pk).milestones) == 2
    assert selectors.brief_view(other_worker.user, brief.pk).milestones == []
    assert selectors.brief_view(stranger, brief.pk).milestones == []
    assert list(selectors.open_briefs()) == []
    with pytest.raises(NotFound):
        selectors.brief_view(stranger, 2**64)
