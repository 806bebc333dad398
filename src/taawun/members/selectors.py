"""Every read of membership data, with the permission check next to the query."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role, require_role, roles_of
from taawun.coop.selectors import current_policy
from taawun.domain.money import Money
from taawun.statements import Prepared
from taawun.transparency.versioning import cached

from .models import (
    Application,
    CapitalEntry,
    Instalment,
    Membership,
    Profile,
    Repayment,
    ShareOperation,
    Visibility,
)

DIRECTORY_PAGE_SIZE = 50
SHOWN_FIELDS = ("name", "email", "phone", "city", "skills", "bio")


def current_memberships() -> QuerySet[Membership]:
    return Membership.objects.exclude(status=Membership.Status.LEFT)


_CURRENT_MEMBERSHIP = Prepared(lambda user_id: current_memberships().filter(user_id=user_id))


def membership_of(user: User) -> Membership | None:
    """The person's membership unless they have left (read on most writes: built once)."""
    if not user.is_authenticated:
        return None
    return _CURRENT_MEMBERSHIP.first(user.pk)


def own_membership(user: User) -> Membership | None:
    """The person's current membership, or else their most recent one (to follow a repayment)."""
    if not user.is_authenticated:
        return None
    return membership_of(user) or Membership.objects.filter(user=user).order_by("-number").first()


def profile_of(user: User) -> Profile | None:
    return Profile.objects.filter(user=user).first()


def capital_balance(membership: Membership) -> Money:
    currency = current_policy().policy.currency
    total = membership.capital_entries.aggregate(total=Sum("amount"))["total"]
    return Money.summed(total or 0, currency)


def shares_held(membership: Membership) -> int:
    """Shares held now, from the share register: subscribed and received, minus given up."""
    given = 0
    for kind, count in ShareOperation.objects.filter(membership=membership).values_list(
        "kind", "shares"
    ):
        given += count if kind == ShareOperation.Kind.SUBSCRIBE else -count
    received = ShareOperation.objects.filter(
        counterparty=membership, kind=ShareOperation.Kind.TRANSFER
    ).aggregate(total=Sum("shares"))["total"]
    return given + (received or 0)


@dataclass(frozen=True)
class MemberAccount:
    """Everything a member sees about their own membership."""

    membership: Membership
    shares: int
    capital: Money
    subscribed: Money
    paid: Money
    instalments: list[Instalment]
    entries: list[CapitalEntry]
    repayment: Repayment | None
    may_vote: bool

    @property
    def unpaid(self) -> Money:
        return self.subscribed - self.paid


def member_account(viewer: User, membership: Membership) -> MemberAccount:
    """A membership's account, for its holder or the board."""
    if membership.user_id != viewer.pk:
        require_role(viewer, Role.BOARD)
    policy = current_policy().policy
    instalments = list(membership.instalments.order_by("number"))
    live = [i for i in instalments if i.cancelled_at is None]
    zero = Money.zero(policy.currency)
    subscribed = sum((Money(i.amount, i.currency) for i in live), start=zero)
    paid = sum((Money(i.amount, i.currency) for i in live if i.paid_at), start=zero)
    return MemberAccount(
        membership=membership,
        shares=shares_held(membership),
        capital=capital_balance(membership),
        subscribed=subscribed,
        paid=paid,
        instalments=instalments,
        entries=list(membership.capital_entries.order_by("at", "id")),
        repayment=Repayment.objects.filter(membership=membership).first(),
        may_vote=voters().filter(pk=membership.pk).exists(),
    )


def voters(on: date | None = None) -> QuerySet[Membership]:
    """The members with a vote on day ``on`` (today by default), from the live register and
    the policy: a current member of a class that votes, past the probation period, with the
    share paid when the policy asks for that, and no instalment overdue past the lapse limit."""
    policy = current_policy().policy
    on = on or timezone.localdate()
    rules = policy.governance
    found = current_memberships().filter(
        member_class__in=[c.key for c in policy.membership.classes if c.votes],
        joined_on__lte=on - timedelta(days=rules.probation_days),
    )
    unpaid = Instalment.objects.filter(
        membership=OuterRef("pk"), paid_at__isnull=True, cancelled_at__isnull=True
    )
    if policy.membership.voting_rights == "when_paid":
        found = found.exclude(Exists(unpaid))
    if rules.lapse_after_days:
        overdue = unpaid.filter(due_on__lt=on - timedelta(days=rules.lapse_after_days))
        found = found.exclude(Exists(overdue))
    return found


def access_membership_or_404(viewer: User, number: int) -> Membership:
    """A membership by register number, for its holder or the board; 404 for anyone else."""
    membership = Membership.objects.select_related("user").filter(number=number).first()
    if membership is None or not (membership.user_id == viewer.pk or has_role(viewer, Role.BOARD)):
        raise Http404
    return membership


def my_applications(user: User) -> list[Application]:
    return list(
        Application.objects.filter(user=user).select_related("user").order_by("-submitted_at")
    )


def pending_applications(viewer: User) -> list[Application]:
    require_role(viewer, Role.BOARD)
    return list(
        Application.objects.filter(status=Application.Status.PENDING)
        .select_related("user")
        .order_by("submitted_at", "id")
    )


def access_application_or_404(viewer: User, application_id: int) -> Application:
    application = (
        Application.objects.select_related("user", "decided_by").filter(pk=application_id).first()
    )
    if application is None or not (
        application.user_id == viewer.pk or has_role(viewer, Role.BOARD)
    ):
        raise Http404
    return application


def member_register(viewer: User) -> QuerySet[Membership]:
    """The legal register of members, open to members and the board."""
    require_role(viewer, Role.MEMBER, Role.BOARD)
    return Membership.objects.select_related("user").order_by("number")


def share_register(viewer: User) -> QuerySet[ShareOperation]:
    require_role(viewer, Role.MEMBER, Role.BOARD)
    return ShareOperation.objects.select_related("membership__user", "counterparty").order_by(
        "register_number"
    )


def instalments_due(viewer: User, *, on: date | None = None) -> list[Instalment]:
    """Unpaid instalments of current members that are due (today or earlier), oldest first."""
    require_role(viewer, Role.BOARD)
    return list(
        Instalment.objects.filter(
            paid_at__isnull=True, cancelled_at__isnull=True, due_on__lte=on or timezone.localdate()
        )
        .exclude(membership__status=Membership.Status.LEFT)
        .select_related("membership__user")
        .order_by("due_on", "membership__number", "number")
    )


def instalment_or_404(viewer: User, instalment_id: int) -> Instalment:
    require_role(viewer, Role.BOARD)
    instalment = (
        Instalment.objects.select_related("membership__user").filter(pk=instalment_id).first()
    )
    if instalment is None:
        raise Http404
    return instalment


def exits_in_progress(viewer: User) -> list[Membership]:
    require_role(viewer, Role.BOARD)
    return list(
        Membership.objects.filter(status=Membership.Status.LEAVING)
        .select_related("user")
        .order_by("notice_given_on")
    )


def repayments_owed(viewer: User) -> list[Repayment]:
    require_role(viewer, Role.BOARD)
    return list(
        Repayment.objects.filter(paid_at__isnull=True)
        .select_related("membership__user")
        .order_by("due_on")
    )


@dataclass(frozen=True)
class DirectoryEntry:
    """One member as a given viewer may see them: hidden fields are ``None``."""

    number: int
    member_class: str
    joined_on: object
    name: str | None
    email: str | None
    phone: str | None
    city: str | None
    skills: str | None
    bio: str | None


def _visible(visibility: str, *, viewer_is_member: bool) -> bool:
    return visibility == Visibility.PUBLIC or (
        visibility == Visibility.MEMBERS and viewer_is_member
    )


def directory_entry(membership: Membership, *, see_all: bool, is_member: bool) -> DirectoryEntry:
    """Apply the member's own privacy choices for one kind of viewer."""
    profile: Profile | None = getattr(membership.user, "profile", None)
    values = {
        "name": profile.display_name if profile else membership.user.get_full_name(),
        "email": membership.user.email,
        "phone": profile.phone if profile else "",
        "city": profile.city if profile else "",
        "skills": profile.skills if profile else "",
        "bio": profile.bio if profile else "",
    }
    shown = {}
    for name in SHOWN_FIELDS:
        visibility = getattr(profile, f"{name}_visibility", Visibility.PRIVATE)
        visible = see_all or _visible(visibility, viewer_is_member=is_member)
        shown[name] = values[name] if visible else None
    return DirectoryEntry(
        number=membership.number,
        member_class=membership.member_class,
        joined_on=membership.joined_on,
        **shown,
    )


@dataclass(frozen=True)
class DirectoryPage:
    """One page of the directory as one kind of viewer (public, member, board) sees it."""

    entries: list[DirectoryEntry]
    number: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


# Whose names a kind of viewer may search: only names that kind of viewer is shown.
NAME_SEARCHABLE_BY = {
    "public": [Visibility.PUBLIC],
    "member": [Visibility.PUBLIC, Visibility.MEMBERS],
    "board": list(Visibility),
}


def _directory_page(kind: str, page: int | str, member_class: str, name: str) -> DirectoryPage:
    memberships = current_memberships().select_related("user", "user__profile").order_by("number")
    if kind != "board":
        memberships = memberships.filter(user__profile__show_in_directory=True)
    if member_class:
        memberships = memberships.filter(member_class=member_class)
    if name:
        memberships = memberships.filter(
            user__profile__display_name__icontains=name,
            user__profile__name_visibility__in=NAME_SEARCHABLE_BY[kind],
        )
    page_obj = Paginator(memberships, DIRECTORY_PAGE_SIZE).get_page(page)
    return DirectoryPage(
        entries=[
            directory_entry(m, see_all=kind == "board", is_member=kind != "public")
            for m in page_obj.object_list
        ],
        number=page_obj.number,
        num_pages=page_obj.paginator.num_pages,
        count=page_obj.paginator.count,
    )


def _viewer_kind(viewer: User | None) -> str:
    roles = roles_of(viewer)
    return "board" if Role.BOARD in roles else "member" if Role.MEMBER in roles else "public"


def directory_label(
    viewer: User | None, *, page: int = 1, member_class: str = "", name: str = ""
) -> str:
    """Names the directory page ``viewer`` would be shown: the same for everyone of one kind
    (the public, members, the board), so it and its renderings are cached under it and the data
    version."""
    name = name.strip()
    searched = hashlib.sha256(name.casefold().encode()).hexdigest()[:16] if name else ""
    return f"directory:{_viewer_kind(viewer)}:{page}:{member_class}:{searched}"


def directory(
    viewer: User | None, *, page: int = 1, member_class: str = "", name: str = ""
) -> DirectoryPage:
    """One page of the member directory, optionally only the members whose shown name contains
    ``name``; built once per data version and kind of viewer, in a fixed number of queries."""
    label = directory_label(viewer, page=page, member_class=member_class, name=name)
    return cached(
        label, lambda: _directory_page(_viewer_kind(viewer), page, member_class, name.strip())
    )


def directory_member(viewer: User | None, number: int) -> DirectoryEntry:
    """One current member as ``viewer`` may see them; 404 if not in the directory for them."""
    roles = roles_of(viewer)
    membership = (
        current_memberships().select_related("user", "user__profile").filter(number=number).first()
    )
    if membership is None:
        raise Http404
    profile: Profile | None = getattr(membership.user, "profile", None)
    own = viewer is not None and membership.user_id == viewer.pk
    if not (own or Role.BOARD in roles or (profile is not None and profile.show_in_directory)):
        raise Http404
    return directory_entry(
        membership,
        see_all=own or Role.BOARD in roles,
        is_member=bool(roles & {Role.MEMBER, Role.BOARD}),
    )


def membership_by_number_or_404(number: int) -> Membership:
    """A line of the register by its public number (actions check who may act on it)."""
    membership = Membership.objects.select_related("user").filter(number=number).first()
    if membership is None:
        raise Http404
    return membership
