"""JSON endpoints of the freelance projects: open briefs, posting one, proposing, withdrawing,
choosing a proposal (idempotent: choosing it again changes nothing), and each milestone's steps.
Accepting a milestone and resolving a dispute move money: they need an ``Idempotency-Key``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator, Field

from taawun.apikeys.idempotency import idempotent
from taawun.apikeys.schemas import (
    ERRORS,
    Input,
    MoneyText,
    PaymentMethodName,
    SafeText,
    WholeNumber,
    money_text,
)
from taawun.ledger.selectors import in_books_currency
from taawun.market.api import OrderOut, actor, order_out
from taawun.market.selectors import access_order_or_404

from . import actions, selectors
from .models import Brief, Milestone, Proposal

router = Router(tags=["projects"])


def _text_only(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("a date is written as text, YYYY-MM-DD")
    return value


Day = Annotated[dt.date, BeforeValidator(_text_only), Field(strict=False)]


# --- Schemas -------------------------------------------------------------------------------


class BriefIn(Input):
    title: SafeText = Field(max_length=actions.MAX_TITLE)
    description: SafeText = Field(max_length=actions.MAX_TEXT)
    budget: MoneyText | None = None
    deadline: Day | None = None


class StepIn(Input):
    title: SafeText = Field(max_length=actions.MAX_STEP_TITLE)
    amount: MoneyText


class ProposalIn(Input):
    price: MoneyText
    days: WholeNumber = Field(ge=1, le=actions.MAX_DAYS)
    plan: SafeText = Field(max_length=actions.MAX_TEXT)
    milestones: list[StepIn] = Field(max_length=50, description="1 to 10, adding up to the price")


class ChooseIn(Input):
    method: PaymentMethodName


class DeliverIn(Input):
    note: SafeText = Field(max_length=actions.MAX_NOTE)
    link: SafeText = Field(default="", max_length=actions.MAX_LINK)


class AcceptIn(Input):
    tip: MoneyText = "0"


class DisputeIn(Input):
    reason: SafeText = Field(max_length=actions.MAX_REASON)


class ResolveIn(Input):
    outcome: Literal["pay", "cancel"]
    note: SafeText = Field(max_length=actions.MAX_REASON)


class CancelIn(Input):
    reason: SafeText = Field(default="", max_length=actions.MAX_REASON)


class BriefOut(Schema):
    id: int
    title: str
    description: str
    status: str
    customer: str
    currency: str
    budget: MoneyText | None
    deadline: dt.date | None
    created_at: dt.datetime
    proposal_count: int


class StepOut(Schema):
    number: int
    title: str
    amount: MoneyText


class ProposalOut(Schema):
    id: int
    brief: int
    worker: int = Field(description="The proposer's member number.")
    worker_name: str
    currency: str
    price: MoneyText
    days: int
    plan: str
    status: str
    milestones: list[StepOut]


class MilestoneOut(Schema):
    number: int
    title: str
    due_on: dt.date
    brief: int
    delivery_note: str
    delivery_link: str
    dispute_reason: str
    resolution_note: str
    order: OrderOut


class BriefDetailOut(BriefOut):
    payment_method: str
    proposals: list[ProposalOut] = Field(description="Only those the caller may see.")
    milestones: list[MilestoneOut]


def _brief_out(brief: Brief, count: int) -> BriefOut:
    return BriefOut(
        id=brief.pk,
        title=brief.title,
        description=brief.description,
        status=brief.status,
        customer=brief.customer.get_full_name(),
        currency=brief.currency,
        budget=money_text(brief.budget, brief.currency) if brief.budget is not None else None,
        deadline=brief.deadline,
        created_at=brief.created_at,
        proposal_count=count,
    )


def _proposal_out(proposal: Proposal) -> ProposalOut:
    return ProposalOut(
        id=proposal.pk,
        brief=proposal.brief_id,
        worker=proposal.worker.number,
        worker_name=proposal.worker.user.get_full_name(),
        currency=proposal.currency,
        price=money_text(proposal.price, proposal.currency),
        days=proposal.days,
        plan=proposal.plan,
        status=proposal.status,
        milestones=[
            StepOut(number=s.number, title=s.title, amount=money_text(s.amount, proposal.currency))
            for s in proposal.steps.all()
        ],
    )


def _milestone_out(milestone: Milestone) -> MilestoneOut:
    return MilestoneOut(
        number=milestone.number,
        title=milestone.title,
        due_on=milestone.due_on,
        brief=milestone.brief_id,
        delivery_note=milestone.delivery_note,
        delivery_link=milestone.delivery_link,
        dispute_reason=milestone.dispute_reason,
        resolution_note=milestone.resolution_note,
        order=order_out(milestone.order),
    )


def _detail(request: HttpRequest, brief_id: int) -> BriefDetailOut:
    view = selectors.brief_view(actor(request), brief_id)
    return BriefDetailOut(
        **_brief_out(view.brief, view.proposal_count).model_dump(),
        payment_method=view.brief.payment_method,
        proposals=[_proposal_out(p) for p in view.proposals],
        milestones=[_milestone_out(m) for m in view.milestones],
    )


def _milestone(request: HttpRequest, order_id: int) -> MilestoneOut:
    order = access_order_or_404(actor(request), order_id)
    return _milestone_out(Milestone.objects.select_related("brief").get(order=order))


# --- Briefs and proposals ------------------------------------------------------------------


@router.get("/", response={200: list[BriefOut], **ERRORS}, summary="Open briefs")
def open_briefs(request: HttpRequest) -> list[BriefOut]:
    return [_brief_out(b, getattr(b, "proposal_count", 0)) for b in selectors.open_briefs()[:100]]


@router.post("/", response={201: BriefDetailOut, **ERRORS}, summary="Post a brief")
def post_brief(request: HttpRequest, payload: BriefIn) -> Status[BriefDetailOut]:
    brief = actions.post_brief(
        actor=actor(request),
        title=payload.title,
        description=payload.description,
        budget=in_books_currency(payload.budget) if payload.budget is not None else None,
        deadline=payload.deadline,
    )
    return Status(201, _detail(request, brief.pk))


@router.get("/{brief_id}", response={200: BriefDetailOut, **ERRORS}, summary="One brief")
def one_brief(request: HttpRequest, brief_id: int) -> BriefDetailOut:
    return _detail(request, brief_id)


@router.post(
    "/{brief_id}/proposals",
    response={201: ProposalOut, **ERRORS},
    summary="Propose for a brief (working members, once per brief)",
)
def propose(request: HttpRequest, brief_id: int, payload: ProposalIn) -> Status[ProposalOut]:
    proposal = actions.propose(
        actor=actor(request),
        brief_id=brief_id,
        price=in_books_currency(payload.price),
        days=payload.days,
        plan=payload.plan,
        milestones=[
            actions.Step(title=s.title, amount=in_books_currency(s.amount))
            for s in payload.milestones
        ],
    )
    return Status(201, _proposal_out(proposal))


@router.post(
    "/proposals/{proposal_id}/withdraw",
    response={200: ProposalOut, **ERRORS},
    summary="Withdraw my pending proposal",
)
def withdraw_proposal(request: HttpRequest, proposal_id: int) -> ProposalOut:
    return _proposal_out(actions.withdraw_proposal(actor=actor(request), proposal_id=proposal_id))


@router.post(
    "/proposals/{proposal_id}/choose",
    response={200: BriefDetailOut, **ERRORS},
    summary="Choose a proposal: the agreement (the customer; choosing it again changes nothing)",
)
def choose(request: HttpRequest, proposal_id: int, payload: ChooseIn) -> BriefDetailOut:
    brief = actions.choose_proposal(
        actor=actor(request), proposal_id=proposal_id, method=payload.method
    )
    return _detail(request, brief.pk)


# --- Milestones ----------------------------------------------------------------------------


@router.post(
    "/milestones/{order_id}/deliver",
    response={200: MilestoneOut, **ERRORS},
    summary="Deliver a milestone's work (the worker; again after a dispute)",
)
def deliver(request: HttpRequest, order_id: int, payload: DeliverIn) -> MilestoneOut:
    actions.deliver(actor=actor(request), order_id=order_id, note=payload.note, link=payload.link)
    return _milestone(request, order_id)


@router.post(
    "/milestones/{order_id}/accept",
    response={200: MilestoneOut, **ERRORS},
    summary="Accept the delivered work and pay for it (the customer; idempotent)",
)
@idempotent
def accept_milestone(request: HttpRequest, order_id: int, payload: AcceptIn) -> MilestoneOut:
    tip = in_books_currency(payload.tip)
    actions.accept(actor=actor(request), order_id=order_id, tip=None if tip.is_zero else tip)
    return _milestone(request, order_id)


@router.post(
    "/milestones/{order_id}/dispute",
    response={200: MilestoneOut, **ERRORS},
    summary="Dispute the delivered work (the customer)",
)
def dispute(request: HttpRequest, order_id: int, payload: DisputeIn) -> MilestoneOut:
    actions.dispute(actor=actor(request), order_id=order_id, reason=payload.reason)
    return _milestone(request, order_id)


@router.post(
    "/milestones/{order_id}/resolve",
    response={200: MilestoneOut, **ERRORS},
    summary="Resolve a dispute: pay the worker or cancel the milestone (board; idempotent)",
)
@idempotent
def resolve(request: HttpRequest, order_id: int, payload: ResolveIn) -> MilestoneOut:
    actions.resolve(
        actor=actor(request),
        order_id=order_id,
        pay_worker=payload.outcome == "pay",
        note=payload.note,
    )
    return _milestone(request, order_id)


@router.post(
    "/milestones/{order_id}/cancel",
    response={200: MilestoneOut, **ERRORS},
    summary="Cancel a milestone not yet delivered (the customer)",
)
def cancel_milestone(request: HttpRequest, order_id: int, payload: CancelIn) -> MilestoneOut:
    actions.cancel_milestone(actor=actor(request), order_id=order_id, reason=payload.reason)
    return _milestone(request, order_id)
