"""Every read of general assemblies, with the permission check next to the query.

Assemblies are the members' business: current members and the board see them (the notice, the
agenda, who attended, the minutes), anybody else is told there is nothing there (404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role
from taawun.coop.selectors import current_policy
from taawun.domain.errors import NotAllowed, gettext_noop
from taawun.domain.voting.text import percent
from taawun.governance.selectors import may_see, voting_membership
from taawun.members.models import Membership
from taawun.members.selectors import voters

from .models import AgendaItem, Assembly, AssemblyRequest, Attendance, MinutesAddendum
from .rules import (
    quorum_reached,
    request_rules,
    signatures_needed,
)

Status = Assembly.Status
UPCOMING = (Status.CALLED, Status.OPEN)


def require_member(viewer: User) -> None:
    if not may_see(viewer):
        raise Http404


def upcoming(viewer: User) -> list[Assembly]:
    """Assemblies called or in session, soonest first."""
    require_member(viewer)
    return list(Assembly.objects.filter(status__in=UPCOMING).order_by("starts_at", "number"))


def past(viewer: User) -> list[Assembly]:
    """Assemblies closed or cancelled, latest first."""
    require_member(viewer)
    return list(Assembly.objects.exclude(status__in=UPCOMING).order_by("-starts_at", "-number"))


def access_assembly_or_404(viewer: User, number: int) -> Assembly:
    require_member(viewer)
    assembly = (
        Assembly.objects.select_related("secretary__user", "called_by", "minutes_approved_by")
        .filter(number=number)
        .first()
    )
    if assembly is None:
        raise Http404
    return assembly


def agenda_of(assembly: Assembly) -> list[AgendaItem]:
    return list(AgendaItem.objects.filter(assembly=assembly).select_related("proposal"))


def attendees(assembly: Assembly) -> list[Attendance]:
    """Who was present, by member number."""
    return list(
        Attendance.objects.filter(assembly=assembly)
        .select_related("member__user")
        .order_by("member__number")
    )


def addenda_of(assembly: Assembly) -> list[MinutesAddendum]:
    return list(MinutesAddendum.objects.filter(assembly=assembly).select_related("author"))


def eligible_members(assembly: Assembly) -> QuerySet[Membership]:
    """The members with a vote on the assembly's day: those who may attend and count."""
    return voters(on=timezone.localdate(assembly.starts_at))


def keeps_record(viewer: User, assembly: Assembly) -> bool:
    """The board, or the member appointed secretary of this assembly."""
    if has_role(viewer, Role.BOARD):
        return True
    return assembly.secretary is not None and assembly.secretary.user_id == viewer.pk


def is_present(viewer: User, assembly: Assembly) -> bool:
    return Attendance.objects.filter(assembly=assembly, member__user=viewer).exists()


def may_check_in(viewer: User, assembly: Assembly) -> bool:
    return (
        assembly.status == Status.OPEN
        and eligible_members(assembly).filter(user=viewer).exists()
        and not is_present(viewer, assembly)
    )


@dataclass(frozen=True)
class Figures:
    """Attendance against the members with a vote, and whether it makes the quorum."""

    present: int
    eligible: int
    quorum_percent: Decimal
    reached: bool

    @property
    def share(self) -> str:
        """The share present, in percent at two decimals."""
        return percent(Fraction(self.present, self.eligible) if self.eligible else Fraction(0))


def attendance_figures(assembly: Assembly) -> Figures:
    """As kept at the close, or counted now: members present, and the members with a vote on
    the day (with anyone present who has since lost their vote, as a vote's count does)."""
    quorum = assembly.quorum_percent
    if quorum is None:  # not opened yet: the quorum that would apply today
        quorum = current_policy().policy.governance.decisions["ordinary"].quorum_percent
    if assembly.present is not None and assembly.eligible is not None:
        present, eligible = assembly.present, assembly.eligible
    else:
        could = eligible_members(assembly)
        marked = Attendance.objects.filter(assembly=assembly)
        present = marked.count()
        eligible = could.count() + marked.exclude(member__in=could).count()
    return Figures(present, eligible, quorum, quorum_reached(present, eligible, quorum))


@dataclass(frozen=True)
class ChecklistRow:
    member: Membership
    present: bool


def require_record_keeper(viewer: User, assembly: Assembly) -> None:
    if not keeps_record(viewer, assembly):
        raise NotAllowed(
            "not_secretary", gettext_noop("Only the board or the assembly's secretary may do this.")
        )


def checklist(viewer: User, assembly: Assembly) -> list[ChecklistRow]:
    """Every member with a vote on the day, ticked if present; for whoever keeps the record."""
    require_record_keeper(viewer, assembly)
    present = set(Attendance.objects.filter(assembly=assembly).values_list("member_id", flat=True))
    members = eligible_members(assembly).select_related("user").order_by("number")
    return [ChecklistRow(m, m.pk in present) for m in members]


# --- Members' requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    request: AssemblyRequest
    signatures: int
    needed: int
    signed: bool

    @property
    def supported(self) -> bool:
        return self.request.supported_at is not None


def waiting_requests(viewer: User, *, now: dt.datetime | None = None) -> list[RequestRow]:
    """Requests still gathering signatures, and supported ones the board has yet to answer."""
    require_member(viewer)
    now = now or timezone.now()
    found = (
        AssemblyRequest.objects.filter(assembly__isnull=True)
        .filter(
            Q(supported_at__isnull=False)
            | Q(requested_at__gt=now - dt.timedelta(days=request_rules().signing_days))
        )
        .select_related("requested_by")
        .annotate(
            signed_count=Count("signatures"),
            signed_by_viewer=Count("signatures", filter=Q(signatures__member__user=viewer)),
        )
        .order_by("requested_at", "id")
    )
    needed = signatures_needed(voters(on=timezone.localdate(now)).count())
    return [RequestRow(r, r.signed_count, needed, bool(r.signed_by_viewer)) for r in found]


@dataclass(frozen=True)
class RequestRule:
    """The rule for members' requests, as the request page explains it."""

    percent: Decimal
    minimum: int
    signing_days: int
    answer_days: int
    needed_now: int


def request_rule() -> RequestRule:
    rules = request_rules()
    return RequestRule(
        rules.support_percent,
        rules.minimum_signatures,
        rules.signing_days,
        rules.answer_days,
        signatures_needed(voters().count()),
    )


def request_to_answer_or_404(viewer: User, request_id: int) -> AssemblyRequest:
    """A supported request still waiting for its assembly (for the board's call form)."""
    require_member(viewer)
    found = AssemblyRequest.objects.filter(
        pk=request_id, supported_at__isnull=False, assembly__isnull=True
    ).first()
    if found is None:
        raise Http404
    return found


def may_request(viewer: User) -> bool:
    return voting_membership(viewer) is not None
