"""Reads of the creative works, each checking who is asking: works on sale are public; a
withdrawn work is seen only by its creator and the board (and its preview also by those who
hold a licence to it); a creator's sales and royalties only by them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taawun.accounts.models import Role
from taawun.accounts.selectors import has_role
from taawun.coop.selectors import current_policy
from taawun.domain.errors import NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.domain.policy import Policy
from taawun.market.models import Order, Sector
from taawun.members.models import Membership
from taawun.members.selectors import membership_of

from .actions import MAX_ID, MAX_TAG
from .models import Kind, Work

PAGE_SIZE = 24
MAX_SEARCH = 100

# What each standard licence allows; a kind the members add later is shown by its name only.
LICENCE_TERMS = {
    "personal": _(
        "Personal, non-commercial use: prints for your home, gifts, wallpapers, private albums "
        "and invitations. No advertising and no resale."
    ),
    "commercial": _(
        "Use in business: advertising, websites, social media, packaging and print, up to "
        "500,000 copies. The work itself may not be resold or given away as a file."
    ),
    "extended": _(
        "Everything the commercial licence allows, without a limit on copies, and on products "
        "for sale (prints, clothes, templates) where the work is the main attraction."
    ),
}


@dataclass(frozen=True, slots=True)
class Offer:
    """A kind of licence as the current Policy sells it."""

    key: str
    name: str
    price: Money
    royalty_percent: Decimal
    terms: str


def licence_terms(key: str, name: str) -> str:
    """What a licence allows: its standard text, or for a kind without one, its name."""
    terms = LICENCE_TERMS.get(key)
    return str(terms) if terms is not None else name


def offers(policy: Policy | None = None) -> list[Offer]:
    """The licences on sale now, at the prices the members set."""
    policy = policy or current_policy().policy
    language = get_language() or "ar"
    found = []
    for licence in policy.pricing.works.licences:
        name = licence.name.get(language)
        found.append(
            Offer(
                key=licence.key,
                name=name,
                price=Money(licence.price, policy.currency),
                royalty_percent=licence.royalty_percent,
                terms=licence_terms(licence.key, name),
            )
        )
    return found


def _number(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None


def _public_works() -> QuerySet[Work]:
    return Work.objects.select_related("creator__user").prefetch_related("tags")


def catalogue(
    *, kind: str = "", tag: str = "", search: str = "", page: int | str = 1
) -> Page[Work]:
    """Works on sale, newest first, optionally of one kind, with one tag, or whose title holds
    ``search``."""
    works = _public_works().filter(active=True)
    if kind in Kind.values:
        works = works.filter(kind=kind)
    tag = " ".join(tag.split()).lower()[:MAX_TAG]
    if tag:
        works = works.filter(tags__name=tag)
    search = search.strip()[:MAX_SEARCH]
    if search:
        works = works.filter(title__icontains=search)
    return Paginator(works, PAGE_SIZE).get_page(page)


def _may_see_withdrawn(viewer: Any, work: Work) -> bool:
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and (work.creator.user_id == viewer.pk or has_role(viewer, Role.BOARD))
    )


def work_or_404(viewer: Any, work_id: Any) -> Work:
    """A work on sale, or a withdrawn one for its creator and the board."""
    number = _number(work_id)
    work = _public_works().filter(pk=number).first() if number else None
    if work is None or not (work.active or _may_see_withdrawn(viewer, work)):
        raise NotFound("not_found", gettext_noop("No such work."))
    return work


def preview_or_404(viewer: Any, work_id: Any) -> Work:
    """A work whose preview the viewer may see: any on sale; a withdrawn one for its creator,
    the board and those who bought a licence to it."""
    number = _number(work_id)
    work = Work.objects.select_related("creator").filter(pk=number).first() if number else None
    if work is None:
        raise NotFound("not_found", gettext_noop("No such work."))
    if work.active or _may_see_withdrawn(viewer, work):
        return work
    if viewer is not None and viewer.is_authenticated and work.licences.filter(buyer=viewer):
        return work
    raise NotFound("not_found", gettext_noop("No such work."))


@dataclass(frozen=True, slots=True)
class CreatorDesk:
    creator: Membership | None
    works: Sequence[Work]
    sales: int
    royalties: Money


def paid_sales(creator: Membership) -> QuerySet[Order]:
    """The creator's licence sales that were paid and not refunded."""
    return Order.objects.filter(
        sector=Sector.WORK, worker=creator, payment__isnull=False, refund__isnull=True
    )


def creator_desk(viewer: Any) -> CreatorDesk:
    """The viewer's own works (on sale or not) with their sales, and the royalties earned: the
    creator's share of each paid licence."""
    currency = current_policy().policy.currency
    creator = membership_of(viewer)
    if creator is None:
        return CreatorDesk(None, [], 0, Money.zero(currency))
    sold = Q(licences__order__payment__isnull=False, licences__order__refund__isnull=True)
    works = list(
        Work.objects.filter(creator=creator)
        .prefetch_related("tags")
        .annotate(
            sales=Count("licences", filter=sold),
            royalties=Sum("licences__order__worker_share", filter=sold),
        )
    )
    totals = paid_sales(creator).aggregate(count=Count("id"), earned=Sum("worker_share"))
    return CreatorDesk(
        creator,
        works,
        totals["count"],
        Money(totals["earned"] or Decimal(0), currency),
    )


def may_upload(viewer: Any) -> bool:
    """Whether the viewer is a working member, who may offer works."""
    member = membership_of(viewer)
    return member is not None and current_policy().policy.member_class(member.member_class).works
