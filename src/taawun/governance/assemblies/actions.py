"""Every write of general assemblies: the call and its agenda, opening, attendance, closing,
cancelling, the minutes, and members' requests for an extraordinary assembly.

Each action on an assembly locks its row first, so one assembly's steps happen one at a time: a
check-in racing the close is either counted or refused, never lost. A member recorded present
twice at once (by themselves and by the board, say) is refused by the database constraint.
The board calls, opens, closes and cancels; the board or the member it appointed secretary
keeps the attendance and the minutes; only the board approves the minutes, which makes them
final.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, gettext_noop
from taawun.domain.text import checked_text
from taawun.governance.models import Proposal
from taawun.governance.selectors import may_see, voting_membership
from taawun.members.models import Membership
from taawun.members.selectors import current_memberships, voters
from taawun.transparency.audit import next_number, record

from . import selectors
from .models import (
    MAX_NUMBER,
    AgendaItem,
    Assembly,
    AssemblyRequest,
    Attendance,
    MinutesAddendum,
    RequestSignature,
    text_digest,
)
from .rules import request_rules, signatures_needed

Status = Assembly.Status
MAX_TITLE = 200
MAX_PLACE = 200
MAX_LINK = 500
MAX_NOTICE = 5000
MAX_AGENDA = 50
MAX_ITEM_TEXT = 2000
MAX_REASON = 2000
MAX_MINUTES = 50000
MAX_ADDENDUM = 5000
MAX_AHEAD = dt.timedelta(days=366)
LINK = URLValidator(schemes=["https", "http"])
BAD_LINK = gettext_noop("The online link is a web address of up to %(limit)s characters.")


@dataclass(frozen=True)
class AgendaEntry:
    """One agenda item as the board gives it; ``proposal`` is a proposal's number."""

    title: str
    text: str = ""
    proposal: int | None = None


def _audit(actor_id: int | None, action: str, assembly: Assembly, **after: Any) -> None:
    record(
        actor_id=actor_id,
        action=f"assembly.{action}",
        subject_type="assembly",
        subject_id=assembly.number,
        policy_version=current_policy().number,
        after=after,
    )


def _audit_request(actor: User, action: str, request: AssemblyRequest, **after: Any) -> None:
    record(
        actor_id=actor.pk,
        action=f"assembly.{action}",
        subject_type="assembly_request",
        subject_id=request.pk,
        policy_version=current_policy().number,
        after=after,
    )


def _locked(actor: User, number: int) -> Assembly:
    """The assembly, locked; not found for anyone who may not see assemblies at all."""
    assembly = None
    if may_see(actor):
        assembly = Assembly.objects.select_for_update().filter(number=number).first()
    if assembly is None:
        raise NotFound("no_such_assembly", gettext_noop("There is no such assembly."))
    return assembly


def _voter(actor: User) -> Membership:
    member = voting_membership(actor)
    if member is None:
        raise NotAllowed("no_vote", gettext_noop("Only members with a vote may do this."))
    return member


# --- Calling an assembly and its agenda -----------------------------------------------------


def _agenda(entries: Sequence[AgendaEntry]) -> list[AgendaItem]:
    """The agenda's items, checked and numbered in order (not yet saved)."""
    if len(entries) > MAX_AGENDA:
        raise InvalidInput(
            "agenda_too_long",
            gettext_noop("An agenda has at most %(most)s items."),
            most=MAX_AGENDA,
        )
    numbers = [e.proposal for e in entries if e.proposal is not None]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput(
            "proposal_twice", gettext_noop("A proposal can be on the agenda only once.")
        )
    valid = [n for n in numbers if isinstance(n, int) and 0 < n <= MAX_NUMBER]
    found = {p.number: p for p in Proposal.objects.filter(number__in=valid)}
    for number in numbers:
        if number not in found:
            raise InvalidInput(
                "no_such_proposal",
                gettext_noop("There is no proposal number %(number)s."),
                number=number,
            )
    return [
        AgendaItem(
            position=position,
            title=checked_text(
                entry.title,
                MAX_TITLE,
                "bad_item_title",
                gettext_noop("Each agenda item needs a title of up to %(limit)s characters."),
            ),
            text=checked_text(
                entry.text,
                MAX_ITEM_TEXT,
                "bad_item_text",
                gettext_noop("An agenda item's text is up to %(limit)s characters."),
                required=False,
            ),
            proposal=found.get(entry.proposal) if entry.proposal is not None else None,
        )
        for position, entry in enumerate(entries, 1)
    ]


def _agenda_record(items: list[AgendaItem]) -> list[dict[str, Any]]:
    """The agenda as the audit trail keeps it."""
    return [
        {
            "title": item.title,
            "text_sha256": text_digest(item.text),
            "proposal": item.proposal.number if item.proposal else None,
        }
        for item in items
    ]


def _online_link(value: str) -> str:
    link = checked_text(value, MAX_LINK, "bad_link", BAD_LINK, required=False)
    try:
        if link:
            LINK(link)
    except ValidationError:
        raise InvalidInput("bad_link", BAD_LINK, limit=MAX_LINK) from None
    return link


def _request_to_answer(request_id: int, kind: str) -> AssemblyRequest:
    request = AssemblyRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound("no_such_request", gettext_noop("There is no such request."))
    if request.supported_at is None or request.assembly_id is not None:
        raise DomainError(
            "request_not_waiting",
            gettext_noop("Only a supported request still waiting for its assembly is answered."),
        )
    if kind != Assembly.Kind.EXTRAORDINARY:
        raise InvalidInput(
            "request_needs_extraordinary",
            gettext_noop("Members' requests are answered by an extraordinary assembly."),
        )
    return request


@transaction.atomic
def call_assembly(
    *,
    actor: User,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    notice: str,
    place: str = "",
    online_link: str = "",
    agenda: Sequence[AgendaEntry] = (),
    answers_request: int | None = None,
    now: dt.datetime | None = None,
) -> Assembly:
    """The board calls an assembly and every current member is sent the notice (after the
    commit). ``answers_request`` names the members' request it answers, if any."""
    now = now or timezone.now()
    require_role(actor, Role.BOARD)
    if kind not in Assembly.Kind.values:
        raise InvalidInput("unknown_kind", gettext_noop("Unknown kind of assembly."))
    if starts_at.tzinfo is None or not now < starts_at <= now + MAX_AHEAD:
        raise InvalidInput(
            "bad_start", gettext_noop("An assembly is called for a time within the coming year.")
        )
    assembly = Assembly(
        kind=kind,
        status=Status.CALLED,
        title=checked_text(
            title,
            MAX_TITLE,
            "bad_title",
            gettext_noop("Give a title of up to %(limit)s characters."),
        ),
        starts_at=starts_at,
        place=checked_text(
            place,
            MAX_PLACE,
            "bad_place",
            gettext_noop("The place is up to %(limit)s characters."),
            required=False,
        ),
        online_link=_online_link(online_link),
        notice=checked_text(
            notice,
            MAX_NOTICE,
            "bad_notice",
            gettext_noop("Write the notice to the members, up to %(limit)s characters."),
        ),
        called_by=actor,
        called_at=now,
    )
    if not assembly.place and not assembly.online_link:
        raise InvalidInput("no_place", gettext_noop("Give a place, an online link, or both."))
    request = _request_to_answer(answers_request, kind) if answers_request is not None else None
    items = _agenda(agenda)
    assembly.number = next_number("assembly")
    assembly.save()
    for item in items:
        item.assembly = assembly
    AgendaItem.objects.bulk_create(items)
    if request is not None:
        request.assembly = assembly
        request.save(update_fields=["assembly"])
    _audit(
        actor.pk,
        "called",
        assembly,
        kind=kind,
        title=assembly.title,
        starts_at=starts_at,
        place=assembly.place,
        online_link=assembly.online_link,
        notice_sha256=text_digest(assembly.notice),
        agenda=_agenda_record(items),
        answers_request=request.pk if request else None,
    )
    people = list(
        current_memberships().exclude(user__email="").values_list("user__email", flat=True)
    )
    transaction.on_commit(partial(_send_notice, assembly, people))
    return assembly


def _send_notice(assembly: Assembly, people: list[str]) -> None:
    """The notice, in each of the co-op's languages, one email per member."""
    when = timezone.localtime(assembly.starts_at).strftime("%Y-%m-%d %H:%M")
    link = settings.SITE_URL.rstrip("/") + reverse("assemblies:assembly", args=[assembly.number])
    subjects, texts = [], []
    for language in current_policy().policy.languages:
        with translation.override(language):
            subjects.append(
                gettext("General assembly called: %(title)s") % {"title": assembly.title}
            )
            where = " · ".join(p for p in (assembly.place, assembly.online_link) if p)
            texts.append(
                gettext(
                    "The board calls the %(kind)s general assembly “%(title)s” for %(when)s, "
                    "at %(where)s."
                )
                % {
                    "kind": assembly.get_kind_display(),
                    "title": assembly.title,
                    "when": when,
                    "where": where,
                }
            )
    body = "\n\n".join([*texts, assembly.notice, link])
    subject = " / ".join(subjects)
    send_mass_mail([(subject, body, None, [email]) for email in people], fail_silently=True)


@transaction.atomic
def set_agenda(*, actor: User, number: int, agenda: Sequence[AgendaEntry]) -> Assembly:
    """The board replaces the agenda, until the assembly opens."""
    require_role(actor, Role.BOARD)
    assembly = _locked(actor, number)
    if assembly.status != Status.CALLED:
        raise DomainError(
            "agenda_fixed", gettext_noop("The agenda can be changed only until the assembly opens.")
        )
    items = _agenda(agenda)
    AgendaItem.objects.filter(assembly=assembly).delete()
    for item in items:
        item.assembly = assembly
    AgendaItem.objects.bulk_create(items)
    _audit(actor.pk, "agenda_set", assembly, agenda=_agenda_record(items))
    return assembly


@transaction.atomic
def cancel_assembly(
    *, actor: User, number: int, reason: str, now: dt.datetime | None = None
) -> Assembly:
    """The board cancels an assembly that has not opened; a members' request it answered waits
    for another assembly."""
    require_role(actor, Role.BOARD)
    assembly = _locked(actor, number)
    if assembly.status != Status.CALLED:
        raise DomainError(
            "not_cancellable",
            gettext_noop("Only an assembly that has not opened can be cancelled."),
        )
    assembly.cancel_reason = checked_text(
        reason,
        MAX_REASON,
        "bad_reason",
        gettext_noop("Give the reason for cancelling, up to %(limit)s characters."),
    )
    assembly.status = Status.CANCELLED
    assembly.cancelled_at = now or timezone.now()
    assembly.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    waiting = list(assembly.requests.values_list("pk", flat=True))
    assembly.requests.update(assembly=None)
    _audit(actor.pk, "cancelled", assembly, reason=assembly.cancel_reason, requests=waiting)
    return assembly


# --- In session -----------------------------------------------------------------------------


@transaction.atomic
def open_assembly(
    *, actor: User, number: int, secretary: int | None = None, now: dt.datetime | None = None
) -> Assembly:
    """The board opens the assembly on its day, optionally naming the member who keeps the
    record; the quorum of ordinary decisions then in force is the assembly's quorum."""
    now = now or timezone.now()
    require_role(actor, Role.BOARD)
    assembly = _locked(actor, number)
    if assembly.status != Status.CALLED:
        raise DomainError("not_called", gettext_noop("Only a called assembly can be opened."))
    if timezone.localdate(now) < timezone.localdate(assembly.starts_at):
        raise DomainError("too_early", gettext_noop("An assembly opens on its day, not before."))
    if secretary is not None:
        found = None
        if isinstance(secretary, int) and 1 <= secretary <= MAX_NUMBER:
            found = current_memberships().filter(number=secretary).first()
        if found is None:
            raise InvalidInput(
                "no_such_member",
                gettext_noop("Member number %(number)s is not a current member."),
                number=secretary,
            )
        assembly.secretary = found
    assembly.status = Status.OPEN
    assembly.opened_at = now
    assembly.quorum_percent = (
        current_policy().policy.governance.decisions["ordinary"].quorum_percent
    )
    assembly.save(update_fields=["status", "opened_at", "quorum_percent", "secretary"])
    _audit(
        actor.pk,
        "opened",
        assembly,
        secretary=secretary,
        quorum_percent=assembly.quorum_percent,
    )
    return assembly


def _in_session(assembly: Assembly, message: str) -> None:
    if assembly.status != Status.OPEN:
        raise DomainError("not_in_session", message)


@transaction.atomic
def check_in(*, actor: User, number: int, now: dt.datetime | None = None) -> Attendance:
    """A member with a vote on the assembly's day records that they are present, once."""
    assembly = _locked(actor, number)
    _in_session(assembly, gettext_noop("Members check in while the assembly is in session."))
    member = selectors.eligible_members(assembly).filter(user=actor).first()
    if member is None:
        raise NotAllowed(
            "no_vote",
            gettext_noop("Only members with a vote on the day of the assembly check in."),
        )
    try:
        with transaction.atomic():
            attended = Attendance.objects.create(
                assembly=assembly, member=member, at=now or timezone.now(), recorded_by=actor
            )
    except IntegrityError:
        raise DomainError(
            "already_present", gettext_noop("You are already recorded as present.")
        ) from None
    _audit(actor.pk, "checked_in", assembly, member=member.number)
    return attended


def _member_numbers(numbers: Sequence[int]) -> list[int]:
    wanted = list(dict.fromkeys(numbers))
    for number in wanted:
        if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= MAX_NUMBER:
            raise InvalidInput("bad_member", gettext_noop("Give members by their numbers."))
    return wanted


@transaction.atomic
def record_attendance(
    *,
    actor: User,
    number: int,
    present: Sequence[int] = (),
    absent: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Assembly:
    """The board or the secretary marks members (by number) present, or takes back a mark.
    Members already present stay so; a member not marked keeps their own check-in."""
    assembly = _locked(actor, number)
    selectors.require_record_keeper(actor, assembly)
    _in_session(assembly, gettext_noop("Attendance is recorded while the assembly is in session."))
    arriving, leaving = _member_numbers(present), _member_numbers(absent)
    if set(arriving) & set(leaving):
        raise InvalidInput(
            "present_and_absent", gettext_noop("A member cannot be both present and absent.")
        )
    eligible = {
        m.number: m for m in selectors.eligible_members(assembly).filter(number__in=arriving)
    }
    for member_number in arriving:
        if member_number not in eligible:
            raise InvalidInput(
                "not_eligible",
                gettext_noop("Member %(number)s has no vote at this assembly."),
                number=member_number,
            )
    marked = Attendance.objects.filter(assembly=assembly)
    already = set(
        marked.filter(member__number__in=arriving).values_list("member__number", flat=True)
    )
    added = [n for n in arriving if n not in already]
    at = now or timezone.now()
    Attendance.objects.bulk_create(
        [Attendance(assembly=assembly, member=eligible[n], at=at, recorded_by=actor) for n in added]
    )
    leaving_marks = marked.filter(member__number__in=leaving)
    removed = sorted(leaving_marks.values_list("member__number", flat=True))
    leaving_marks.delete()
    _audit(actor.pk, "attendance_recorded", assembly, added=sorted(added), removed=removed)
    return assembly


@transaction.atomic
def close_assembly(*, actor: User, number: int, now: dt.datetime | None = None) -> Assembly:
    """The board closes the session; who was present and who could have been are kept."""
    require_role(actor, Role.BOARD)
    assembly = _locked(actor, number)
    _in_session(assembly, gettext_noop("Only an assembly in session can be closed."))
    figures = selectors.attendance_figures(assembly)
    assembly.status = Status.CLOSED
    assembly.closed_at = now or timezone.now()
    assembly.present, assembly.eligible = figures.present, figures.eligible
    assembly.save(update_fields=["status", "closed_at", "present", "eligible"])
    _audit(
        actor.pk,
        "closed",
        assembly,
        present=figures.present,
        eligible=figures.eligible,
        quorum_percent=assembly.quorum_percent,
        quorum_reached=figures.reached,
    )
    return assembly


# --- The minutes ----------------------------------------------------------------------------


@transaction.atomic
def write_minutes(
    *, actor: User, number: int, text: str, now: dt.datetime | None = None
) -> Assembly:
    """The secretary (or the board) writes the minutes, during the session or after it, until
    the board approves them."""
    assembly = _locked(actor, number)
    selectors.require_record_keeper(actor, assembly)
    if assembly.status not in (Status.OPEN, Status.CLOSED):
        raise DomainError(
            "no_session_yet", gettext_noop("Minutes are written once the assembly has opened.")
        )
    if assembly.minutes_final:
        raise DomainError(
            "minutes_final",
            gettext_noop("The minutes are approved and final: append an addendum instead."),
        )
    assembly.minutes = checked_text(
        text,
        MAX_MINUTES,
        "bad_minutes",
        gettext_noop("The minutes are up to %(limit)s characters."),
    )
    assembly.minutes_written_at = now or timezone.now()
    assembly.save(update_fields=["minutes", "minutes_written_at"])
    _audit(actor.pk, "minutes_written", assembly, minutes_sha256=text_digest(assembly.minutes))
    return assembly


@transaction.atomic
def approve_minutes(
    *, actor: User, number: int, minutes_sha256: str, now: dt.datetime | None = None
) -> Assembly:
    """The board approves the minutes it has read (``minutes_sha256`` is the digest of the text
    it was shown), which makes them final."""
    require_role(actor, Role.BOARD)
    assembly = _locked(actor, number)
    if assembly.status != Status.CLOSED:
        raise DomainError(
            "not_closed", gettext_noop("Minutes are approved after the assembly has closed.")
        )
    if assembly.minutes_final:
        raise DomainError("minutes_final", gettext_noop("The minutes are already approved."))
    if not assembly.minutes:
        raise DomainError("no_minutes", gettext_noop("There are no minutes to approve yet."))
    digest = assembly.minutes_sha256
    if minutes_sha256 != digest:
        raise DomainError(
            "minutes_changed",
            gettext_noop("The minutes changed since you read them: read them again first."),
        )
    assembly.minutes_approved_at = now or timezone.now()
    assembly.minutes_approved_by = actor
    assembly.save(update_fields=["minutes_approved_at", "minutes_approved_by"])
    _audit(actor.pk, "minutes_approved", assembly, minutes_sha256=digest)
    return assembly


@transaction.atomic
def add_addendum(
    *, actor: User, number: int, text: str, now: dt.datetime | None = None
) -> MinutesAddendum:
    """The secretary or the board appends a correction or note to approved minutes."""
    assembly = _locked(actor, number)
    selectors.require_record_keeper(actor, assembly)
    if not assembly.minutes_final:
        raise DomainError(
            "minutes_not_final",
            gettext_noop("Until the minutes are approved, correct them directly."),
        )
    added = MinutesAddendum.objects.create(
        assembly=assembly,
        text=checked_text(
            text,
            MAX_ADDENDUM,
            "bad_addendum",
            gettext_noop("Write the addendum, up to %(limit)s characters."),
        ),
        author=actor,
        at=now or timezone.now(),
    )
    _audit(
        actor.pk, "addendum_added", assembly, addendum=added.pk, text_sha256=text_digest(added.text)
    )
    return added


# --- Members' requests for an extraordinary assembly ----------------------------------------


def _support_if_enough(request: AssemblyRequest, now: dt.datetime) -> None:
    needed = signatures_needed(voters(on=timezone.localdate(now)).count())
    if request.signatures.count() >= needed:
        request.supported_at = now
        request.save(update_fields=["supported_at"])


@transaction.atomic
def request_assembly(
    *, actor: User, title: str, reason: str, now: dt.datetime | None = None
) -> AssemblyRequest:
    """A member with a vote asks for an extraordinary assembly and signs the request first.
    One request gathering signatures per member at a time."""
    now = now or timezone.now()
    member = _voter(actor)
    Membership.objects.select_for_update().filter(pk=member.pk).first()  # one request at a time
    if AssemblyRequest.objects.filter(
        requested_by=actor,
        supported_at__isnull=True,
        requested_at__gt=now - dt.timedelta(days=request_rules().signing_days),
    ).exists():
        raise DomainError(
            "request_gathering",
            gettext_noop("Your earlier request is still gathering signatures."),
        )
    request = AssemblyRequest.objects.create(
        title=checked_text(
            title,
            MAX_TITLE,
            "bad_title",
            gettext_noop("Give a title of up to %(limit)s characters."),
        ),
        reason=checked_text(
            reason,
            MAX_REASON,
            "bad_reason",
            gettext_noop("Give the reason for the assembly, up to %(limit)s characters."),
        ),
        requested_by=actor,
        requested_at=now,
    )
    RequestSignature.objects.create(request=request, member=member, at=now)
    _support_if_enough(request, now)
    _audit_request(
        actor,
        "requested",
        request,
        title=request.title,
        reason_sha256=text_digest(request.reason),
        member=member.number,
        supported=request.supported_at is not None,
    )
    return request


@transaction.atomic
def sign_request(
    *, actor: User, request_id: int, now: dt.datetime | None = None
) -> AssemblyRequest:
    """A member with a vote signs a request still gathering signatures, once."""
    now = now or timezone.now()
    member = _voter(actor)
    request = AssemblyRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound("no_such_request", gettext_noop("There is no such request."))
    if not request.gathering(now):
        raise DomainError("not_gathering", gettext_noop("This request no longer takes signatures."))
    try:
        with transaction.atomic():
            RequestSignature.objects.create(request=request, member=member, at=now)
    except IntegrityError:
        raise DomainError(
            "already_signed", gettext_noop("You have already signed this request.")
        ) from None
    _support_if_enough(request, now)
    _audit_request(
        actor,
        "request_signed",
        request,
        member=member.number,
        supported=request.supported_at is not None,
    )
    return request
