"""Reads of the freelance projects, each checking who is asking.

Open briefs are shown to everyone signed in. A brief's proposals are seen by its customer and the
board; each proposer sees only their own, and everyone else only how many there are. Its
milestones are seen by the customer, the worker doing them and the board.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role
from taawun.coop.selectors import current_policy
from taawun.domain.errors import NotFound, gettext_noop
from taawun.market.models import Order
from taawun.members.models import PaymentMethod
from taawun.members.selectors import membership_of

from .actions import MAX_ID
from .models import Brief, Milestone, Proposal


def open_briefs() -> QuerySet[Brief]:
    """Briefs waiting for proposals, newest first, with how many they have."""
    return (
        Brief.objects.filter(status=Brief.Status.OPEN)
        .select_related("customer")
        .annotate(proposal_count=Count("proposals"))
    )


def briefs_posted(viewer: User) -> QuerySet[Brief]:
    return Brief.objects.filter(customer=viewer).annotate(proposal_count=Count("proposals"))


def proposals_made(viewer: User) -> QuerySet[Proposal]:
    return Proposal.objects.filter(worker__user=viewer).select_related("brief").order_by("-id")


def _number(value: int | str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number <= MAX_ID else 0


def brief_or_404(viewer: User, brief_id: int | str) -> Brief:
    brief = (
        Brief.objects.select_related("customer")
        .annotate(proposal_count=Count("proposals"))
        .filter(pk=_number(brief_id))
        .first()
    )
    if brief is None or not viewer.is_authenticated:
        raise NotFound("not_found", gettext_noop("No such brief."))
    return brief


@dataclass(frozen=True)
class BriefView:
    """A brief as one viewer may see it."""

    brief: Brief
    proposals: list[Proposal]  # only those the viewer may see
    proposal_count: int
    milestones: list[Milestone]  # empty unless the viewer is a party or on the board
    is_customer: bool
    is_board: bool
    own_proposal: Proposal | None
    may_propose: bool

    @property
    def may_cancel_remaining(self) -> bool:
        return self.is_customer and any(m.order.status == "confirmed" for m in self.milestones)

    @property
    def payment_method_label(self) -> str:
        method = self.brief.payment_method
        return str(PaymentMethod(method).label) if method else ""


def brief_view(viewer: User, brief_id: int | str) -> BriefView:
    brief = brief_or_404(viewer, brief_id)
    is_customer = brief.customer_id == viewer.pk
    is_board = has_role(viewer, Role.BOARD)
    everything = (
        brief.proposals.select_related("worker__user")
        .prefetch_related("steps")
        .order_by("created_at", "id")
    )
    visible = everything if is_customer or is_board else everything.filter(worker__user=viewer)
    proposals = list(visible)
    own = next((p for p in proposals if p.worker.user_id == viewer.pk), None)
    milestones: list[Milestone] = []
    works_on_it = brief.milestones.filter(order__worker__user=viewer).exists()
    if is_customer or is_board or works_on_it:
        milestones = list(
            brief.milestones.select_related(
                "order__worker__user", "order__customer", "order__payment", "order__refund"
            ).order_by("number")
        )
    member = membership_of(viewer)
    return BriefView(
        brief=brief,
        proposals=proposals,
        proposal_count=getattr(brief, "proposal_count", 0),
        milestones=milestones,
        is_customer=is_customer,
        is_board=is_board,
        own_proposal=own,
        may_propose=(
            brief.status == Brief.Status.OPEN
            and not is_customer
            and own is None
            and member is not None
            and current_policy().policy.member_class(member.member_class).works
        ),
    )


def milestone_of(order: Order) -> Milestone | None:
    """The project details of an order the viewer already may see (the shared order page)."""
    return Milestone.objects.select_related("brief").filter(order=order).first()
