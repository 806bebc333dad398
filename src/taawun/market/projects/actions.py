"""Every write of the freelance projects: post a brief, propose, withdraw, choose a proposal (the
agreement), and move each milestone through delivery, acceptance, dispute and cancellation.

Each write that touches an agreement locks the brief's row first, then the order's: two people
acting on one project at once are served one after the other, so a brief is agreed once, a
milestone is paid once, and the project closes when its last milestone is settled.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.domain.pricing import quote_agreed
from taawun.domain.text import checked_text
from taawun.ledger.models import JournalEntry
from taawun.market import actions as market
from taawun.market.actions import MAX_ID
from taawun.market.models import Order, OrderEvent, Sector, Status
from taawun.members.models import Membership, PaymentMethod
from taawun.members.selectors import membership_of
from taawun.notifications.actions import notify
from taawun.notifications.models import Kind as Notice
from taawun.transparency.audit import record

from .models import Brief, Milestone, PlannedMilestone, Proposal

MAX_PRICE = Decimal(1_000_000)  # in the co-op's currency, for one brief or proposal
MAX_TITLE = 200
MAX_STEP_TITLE = 120
MAX_TEXT = 4000
MAX_NOTE = 2000
MAX_REASON = 500
MAX_LINK = 500
MAX_DAYS = 365
MAX_MILESTONES = 10
SETTLED = (Status.COMPLETED, Status.CANCELLED)


@dataclass(frozen=True)
class Step:
    """A milestone as proposed: what will be delivered, for how much."""

    title: str
    amount: Money


def _amount(value: Money, code: str, message: str) -> Money:
    currency = current_policy().policy.currency
    if value.currency != currency:
        raise InvalidInput(
            "currency_mismatch",
            gettext_noop("Amounts here are in %(currency)s."),
            currency=currency,
        )
    if not 0 < value.amount <= MAX_PRICE:
        raise InvalidInput(code, message, most=str(Money(MAX_PRICE, currency)))
    return value


def _id(value: int) -> int:
    return value if isinstance(value, int) and 0 < value <= MAX_ID else 0


def _audit(actor: User, action: str, brief: Brief, **after: object) -> None:
    record(
        actor_id=actor.pk,
        action=f"project.{action}",
        subject_type="brief",
        subject_id=brief.pk,
        policy_version=current_policy().number,
        after={"status": brief.status, **after},
    )


# --- Briefs and proposals -------------------------------------------------------------------


@transaction.atomic
def post_brief(
    *,
    actor: User,
    title: str,
    description: str,
    budget: Money | None = None,
    deadline: dt.date | None = None,
) -> Brief:
    """Anyone signed in may ask for work; the budget and deadline are only guides."""
    title = checked_text(
        title,
        MAX_TITLE,
        "bad_title",
        gettext_noop("Give the brief a title of %(limit)s characters at most."),
    )
    description = checked_text(
        description,
        MAX_TEXT,
        "bad_description",
        gettext_noop("Describe the work in %(limit)s characters at most."),
    )
    if budget is not None:
        budget = _amount(
            budget, "bad_budget", gettext_noop("A budget is more than zero and at most %(most)s.")
        )
    if deadline is not None and deadline < timezone.localdate():
        raise InvalidInput("past_deadline", gettext_noop("The deadline cannot be in the past."))
    brief = Brief.objects.create(
        customer=actor,
        title=title,
        description=description,
        currency=current_policy().policy.currency,
        budget=budget.amount if budget is not None else None,
        deadline=deadline,
    )
    _audit(actor, "posted", brief, budget=str(budget) if budget else None)
    return brief


def _worker_of(actor: User) -> Membership:
    member = membership_of(actor)
    if member is None or not current_policy().policy.member_class(member.member_class).works:
        raise NotAllowed(
            "not_a_worker", gettext_noop("Only working members can propose for a brief.")
        )
    return member


def _locked_brief(brief_id: int) -> Brief:
    brief = Brief.objects.select_for_update().filter(pk=_id(brief_id)).first()
    if brief is None:
        raise NotFound("not_found", gettext_noop("No such brief."))
    return brief


def _steps(price: Money, milestones: list[Step]) -> list[Step]:
    if not 1 <= len(milestones) <= MAX_MILESTONES:
        raise InvalidInput(
            "bad_milestones",
            gettext_noop("Plan from 1 to %(most)s milestones."),
            most=MAX_MILESTONES,
        )
    steps = [
        Step(
            title=checked_text(
                step.title,
                MAX_STEP_TITLE,
                "bad_milestone_title",
                gettext_noop("Give each milestone a title of %(limit)s characters at most."),
            ),
            amount=_amount(
                step.amount,
                "bad_milestone_amount",
                gettext_noop("Each milestone is worth more than zero and at most %(most)s."),
            ),
        )
        for step in milestones
    ]
    total = sum((step.amount for step in steps), Money.zero(price.currency))
    if total != price:
        raise InvalidInput(
            "milestones_do_not_add_up",
            gettext_noop("The milestones add up to %(total)s, but the price is %(price)s."),
            total=str(total),
            price=str(price),
        )
    return steps


@transaction.atomic
def propose(
    *,
    actor: User,
    brief_id: int,
    price: Money,
    days: int,
    plan: str,
    milestones: list[Step],
) -> Proposal:
    """A working member offers to do the work: one proposal per member per brief."""
    worker = _worker_of(actor)
    brief = _locked_brief(brief_id)
    if brief.customer_id == actor.pk:
        raise NotAllowed("own_brief", gettext_noop("You cannot propose on your own brief."))
    if brief.status != Brief.Status.OPEN:
        raise DomainError("brief_not_open", gettext_noop("This brief is no longer open."))
    price = _amount(
        price, "bad_price", gettext_noop("A price is more than zero and at most %(most)s.")
    )
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            "bad_days", gettext_noop("Say how many days, from 1 to %(most)s."), most=MAX_DAYS
        )
    plan = checked_text(
        plan,
        MAX_TEXT,
        "bad_plan",
        gettext_noop("Describe your plan in %(limit)s characters at most."),
    )
    steps = _steps(price, milestones)
    if Proposal.objects.filter(brief=brief, worker=worker).exists():
        raise DomainError(
            "already_proposed", gettext_noop("You have already proposed on this brief.")
        )
    try:
        with transaction.atomic():  # a savepoint: a second request may have just won
            proposal = Proposal.objects.create(
                brief=brief,
                worker=worker,
                currency=price.currency,
                price=price.amount,
                days=days,
                plan=plan,
            )
    except IntegrityError:
        raise DomainError(
            "already_proposed", gettext_noop("You have already proposed on this brief.")
        ) from None
    PlannedMilestone.objects.bulk_create(
        PlannedMilestone(proposal=proposal, number=n, title=step.title, amount=step.amount.amount)
        for n, step in enumerate(steps, start=1)
    )
    _audit(actor, "proposed", brief, proposal=proposal.pk, price=str(price), days=days)
    return proposal


def _locked_proposal(proposal_id: int) -> tuple[Brief, Proposal]:
    found = Proposal.objects.filter(pk=_id(proposal_id)).values_list("brief_id", flat=True).first()
    if found is None:
        raise NotFound("not_found", gettext_noop("No such proposal."))
    brief = _locked_brief(found)
    return brief, Proposal.objects.select_related("worker").get(pk=proposal_id)


@transaction.atomic
def withdraw_proposal(*, actor: User, proposal_id: int) -> Proposal:
    """The proposer takes back a proposal the customer has not decided on."""
    brief, proposal = _locked_proposal(proposal_id)
    if proposal.worker.user_id != actor.pk:
        raise NotFound("not_found", gettext_noop("No such proposal."))
    if proposal.status != Proposal.Status.PENDING:
        raise DomainError(
            "proposal_decided",
            gettext_noop("This proposal cannot be withdrawn: it is %(status)s."),
            status=proposal.get_status_display(),
        )
    proposal.status = Proposal.Status.WITHDRAWN
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    _audit(actor, "withdrawn", brief, proposal=proposal.pk)
    return proposal


def _due_dates(start: dt.date, days: int, count: int) -> list[dt.date]:
    """The days spread evenly over the milestones, the last one due when the whole is."""
    return [start + dt.timedelta(days=math.ceil(days * n / count)) for n in range(1, count + 1)]


def _order_title(brief: Brief, step: PlannedMilestone) -> str:
    title = f"{brief.title} — {step.title}"
    return title if len(title) <= market.MAX_TITLE else title[: market.MAX_TITLE - 1] + "…"


@transaction.atomic
def choose_proposal(*, actor: User, proposal_id: int, method: str) -> Brief:
    """The customer agrees to one proposal: its milestones become confirmed orders for the
    proposer, the other proposals are not chosen. Choosing the same proposal again changes
    nothing; a brief is agreed once."""
    brief, proposal = _locked_proposal(proposal_id)
    if brief.customer_id != actor.pk:
        raise NotAllowed("not_your_brief", gettext_noop("Only the customer chooses a proposal."))
    if brief.status != Brief.Status.OPEN:
        if proposal.status == Proposal.Status.ACCEPTED:
            return brief
        raise DomainError(
            "already_agreed", gettext_noop("Another proposal was already chosen for this brief.")
        )
    if proposal.status != Proposal.Status.PENDING:
        raise DomainError(
            "proposal_decided",
            gettext_noop("This proposal cannot be chosen: it is %(status)s."),
            status=proposal.get_status_display(),
        )
    if method not in PaymentMethod.values:
        raise InvalidInput("bad_method", gettext_noop("Choose cash, bank transfer or wallet."))
    now = timezone.now()
    Proposal.objects.filter(brief=brief, status=Proposal.Status.PENDING).exclude(
        pk=proposal.pk
    ).update(status=Proposal.Status.NOT_CHOSEN, decided_at=now)
    proposal.status, proposal.decided_at = Proposal.Status.ACCEPTED, now
    proposal.save(update_fields=["status", "decided_at"])
    brief.status, brief.agreed_at, brief.payment_method = Brief.Status.AGREED, now, method
    brief.save(update_fields=["status", "agreed_at", "payment_method"])
    current = current_policy()
    steps = list(proposal.steps.all())
    dues = _due_dates(timezone.localdate(), proposal.days, len(steps))
    for step, due in zip(steps, dues, strict=True):
        order = market.place(
            customer=actor,
            sector=Sector.PROJECT,
            title=_order_title(brief, step),
            quote=quote_agreed(
                policy=current.policy,
                policy_version=current.number,
                price=Money(step.amount, proposal.currency),
            ),
            worker=proposal.worker,
            status=Status.CONFIRMED,
            brief=brief.pk,
            milestone=step.number,
        )
        Milestone.objects.create(
            order=order, brief=brief, number=step.number, title=step.title, due_on=due
        )
    _audit(actor, "agreed", brief, proposal=proposal.pk, method=method)
    notify(
        recipient=proposal.worker.user_id,
        kind=Notice.PROPOSAL_ACCEPTED,
        payload={"brief": brief.pk, "proposal": proposal.pk},
        link=reverse("market:projects:brief", args=[brief.pk]),
        actor=actor,
    )
    return brief


# --- Milestones -----------------------------------------------------------------------------


def _locked_milestone(order_id: int) -> tuple[Brief, Milestone]:
    """The brief's row locked first, then the order's: every milestone write takes them in
    this order, so two never deadlock."""
    brief_id = (
        Milestone.objects.filter(order_id=_id(order_id)).values_list("brief_id", flat=True).first()
    )
    if brief_id is None:
        raise NotFound("not_found", gettext_noop("No such milestone."))
    brief = _locked_brief(brief_id)
    Order.objects.select_for_update().get(pk=order_id)
    milestone = Milestone.objects.select_related("order__worker", "brief").get(order_id=order_id)
    return brief, milestone


def _close_when_settled(actor: User, brief: Brief) -> None:
    if brief.milestones.exclude(order__status__in=SETTLED).exists():
        return
    brief.status, brief.closed_at = Brief.Status.CLOSED, timezone.now()
    brief.save(update_fields=["status", "closed_at"])
    _audit(actor, "closed", brief)


def _check_link(link: str) -> str:
    link = (link or "").strip()
    if not link:
        return ""
    try:
        if len(link) > MAX_LINK:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        raise InvalidInput(
            "bad_link", gettext_noop("A link starts with https:// or http:// and is a web address.")
        ) from None
    return link


@transaction.atomic
def deliver(*, actor: User, order_id: int, note: str, link: str = "") -> Milestone:
    """The worker hands in the milestone's work (again, after a dispute)."""
    _brief, milestone = _locked_milestone(order_id)
    market.require_party(actor, milestone.order, worker=True)
    note = checked_text(
        note,
        MAX_NOTE,
        "bad_note",
        gettext_noop("Say what you deliver, in %(limit)s characters at most."),
    )
    link = _check_link(link)
    market.advance(
        order=milestone.order,
        actor=actor,
        to=Status.DELIVERED,
        allowed_from=[Status.CONFIRMED, Status.DISPUTED],
        event=OrderEvent.Kind.DELIVERED,
        note=note,
        data={"link": link} if link else None,
    )
    milestone.delivery_note, milestone.delivery_link = note, link
    milestone.delivered_at = timezone.now()
    milestone.save(update_fields=["delivery_note", "delivery_link", "delivered_at"])
    return milestone


def _pay(actor: User, brief: Brief, milestone: Milestone, tip: Money | None) -> JournalEntry:
    return market.take_payment(
        order=milestone.order, actor=actor, method=brief.payment_method, tip=tip
    )


@transaction.atomic
def accept(*, actor: User, order_id: int, tip: Money | None = None) -> Milestone:
    """The customer accepts the delivered work and pays for it by the method agreed. Accepting
    again changes nothing: a milestone is paid once."""
    brief, milestone = _locked_milestone(order_id)
    market.require_party(actor, milestone.order, customer=True)
    if milestone.order.status == Status.COMPLETED and milestone.order.payment_id:
        return milestone
    market.advance(
        order=milestone.order,
        actor=actor,
        to=Status.COMPLETED,
        allowed_from=[Status.DELIVERED],
        event=OrderEvent.Kind.ACCEPTED,
    )
    _pay(actor, brief, milestone, tip)
    _close_when_settled(actor, brief)
    return milestone


@transaction.atomic
def dispute(*, actor: User, order_id: int, reason: str) -> Milestone:
    """The customer says the delivered work is not what was agreed; the board decides."""
    _brief, milestone = _locked_milestone(order_id)
    market.require_party(actor, milestone.order, customer=True)
    reason = checked_text(
        reason,
        MAX_REASON,
        "bad_reason",
        gettext_noop("Say what is wrong, in %(limit)s characters at most."),
    )
    market.advance(
        order=milestone.order,
        actor=actor,
        to=Status.DISPUTED,
        allowed_from=[Status.DELIVERED],
        event=OrderEvent.Kind.DISPUTED,
        note=reason,
    )
    milestone.dispute_reason = reason
    milestone.save(update_fields=["dispute_reason"])
    return milestone


@transaction.atomic
def resolve(*, actor: User, order_id: int, pay_worker: bool, note: str) -> Milestone:
    """The board settles a dispute: the worker is paid as agreed, or the milestone is
    cancelled and nothing is paid."""
    require_role(actor, Role.BOARD)
    brief, milestone = _locked_milestone(order_id)
    note = checked_text(
        note,
        MAX_REASON,
        "bad_note",
        gettext_noop("Explain the decision in %(limit)s characters at most."),
    )
    market.advance(
        order=milestone.order,
        actor=actor,
        to=Status.COMPLETED if pay_worker else Status.CANCELLED,
        allowed_from=[Status.DISPUTED],
        event=OrderEvent.Kind.RESOLVED,
        note=note,
        data={"outcome": "paid" if pay_worker else "cancelled"},
    )
    if pay_worker:
        _pay(actor, brief, milestone, None)
    milestone.resolution_note = note
    milestone.save(update_fields=["resolution_note"])
    _close_when_settled(actor, brief)
    return milestone


@transaction.atomic
def cancel_milestone(*, actor: User, order_id: int, reason: str = "") -> Milestone:
    """The customer stops a milestone that has not been delivered; nothing is paid for it."""
    brief, milestone = _locked_milestone(order_id)
    market.require_party(actor, milestone.order, customer=True)
    _cancel(actor, milestone, reason)
    _close_when_settled(actor, brief)
    return milestone


def _cancel(actor: User, milestone: Milestone, reason: str) -> None:
    reason = checked_text(
        reason,
        MAX_REASON,
        "bad_reason",
        gettext_noop("Say why in %(limit)s characters at most."),
        required=False,
    )
    if milestone.order.status == Status.DELIVERED:
        raise DomainError(
            "delivered_first",
            gettext_noop("This work was delivered: accept it or dispute it first."),
        )
    market.advance(
        order=milestone.order,
        actor=actor,
        to=Status.CANCELLED,
        allowed_from=[Status.CONFIRMED],
        event=OrderEvent.Kind.CANCELLED,
        note=reason,
    )


@transaction.atomic
def cancel_remaining(*, actor: User, brief_id: int, reason: str = "") -> Brief:
    """The customer stops the project: every milestone not yet delivered is cancelled. Work
    already delivered must be accepted or disputed first."""
    brief = _locked_brief(brief_id)
    if brief.customer_id != actor.pk:
        raise NotAllowed("not_your_brief", gettext_noop("This is not yours to do."))
    milestones = list(brief.milestones.select_related("order__worker"))
    if any(m.order.status == Status.DELIVERED for m in milestones):
        raise DomainError(
            "delivered_first",
            gettext_noop("Some work was delivered: accept it or dispute it first."),
        )
    remaining = [m for m in milestones if m.order.status == Status.CONFIRMED]
    if not remaining:
        raise DomainError("nothing_to_cancel", gettext_noop("No milestone is waiting for work."))
    for milestone in remaining:
        _cancel(actor, milestone, reason)
    _close_when_settled(actor, brief)
    return brief
