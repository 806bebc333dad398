"""JSON endpoints of general assemblies under ``/api/governance/assemblies``: the list, one
assembly (agenda with the decisions taken, attendance and quorum, minutes), calling one (the
board), checking in (a member), recording attendance (the board or the secretary) and writing
the minutes (the secretary or the board). Only current members and the board see assemblies."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from django.http import HttpRequest
from ninja import Path, Router, Schema
from ninja.responses import Status
from pydantic import AwareDatetime, Field

from taawun.accounts.models import User
from taawun.apikeys.schemas import (
    ERRORS,
    MAX_NUMBER,
    Input,
    PositiveNumber,
    RecordId,
    SafeText,
)
from taawun.governance.models import Proposal

from . import actions, selectors
from .models import Assembly

router = Router(tags=["assemblies"])

AssemblyKind = Literal["annual", "extraordinary"]
MAX_MARKS = 10000


def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


def _number() -> Any:
    return Path(..., ge=1, le=MAX_NUMBER, description="The assembly's number")


# --- Schemas -------------------------------------------------------------------------------


class AgendaItemIn(Input):
    title: SafeText = Field(max_length=actions.MAX_TITLE)
    text: SafeText = Field(default="", max_length=actions.MAX_ITEM_TEXT)
    proposal: PositiveNumber | None = Field(
        default=None, description="The number of the proposal decided at this item."
    )


class AssemblyCallIn(Input):
    kind: AssemblyKind
    title: SafeText = Field(max_length=actions.MAX_TITLE)
    starts_at: AwareDatetime = Field(strict=False, examples=["2030-06-20T17:00:00+03:00"])
    place: SafeText = Field(default="", max_length=actions.MAX_PLACE)
    online_link: SafeText = Field(
        default="", max_length=actions.MAX_LINK, examples=["https://meet.example.org/assembly"]
    )
    notice: SafeText = Field(max_length=actions.MAX_NOTICE)
    agenda: list[AgendaItemIn] = Field(default_factory=list, max_length=actions.MAX_AGENDA)
    answers_request: RecordId | None = Field(
        default=None, description="The members' request this extraordinary assembly answers."
    )


class AttendanceIn(Input):
    present: list[PositiveNumber] = Field(
        default_factory=list, max_length=MAX_MARKS, description="Member numbers to mark present."
    )
    absent: list[PositiveNumber] = Field(
        default_factory=list,
        max_length=MAX_MARKS,
        description="Member numbers whose attendance is taken back.",
    )


class MinutesIn(Input):
    text: SafeText = Field(max_length=actions.MAX_MINUTES)


class AssemblySummaryOut(Schema):
    number: int
    kind: AssemblyKind
    status: Literal["called", "open", "closed", "cancelled"]
    title: str
    starts_at: dt.datetime
    place: str
    online_link: str


class AgendaItemOut(Schema):
    position: int
    title: str
    text: str
    proposal: int | None
    proposal_title: str | None
    proposal_status: Literal["discussion", "open", "closed", "withdrawn"] | None
    outcome: str | None = Field(description="The decision, once the proposal's vote closed.")


class QuorumOut(Schema):
    present: int
    eligible: int = Field(description="Members with a vote on the day of the assembly.")
    quorum_percent: str
    reached: bool


class AttendeeOut(Schema):
    member: int
    name: str
    at: dt.datetime
    checked_in: bool = Field(description="Recorded by the member themselves.")


class AddendumOut(Schema):
    text: str
    author: str
    at: dt.datetime


class AssemblyOut(AssemblySummaryOut):
    notice: str
    called_at: dt.datetime
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str
    secretary: int | None
    agenda: list[AgendaItemOut]
    quorum: QuorumOut | None = Field(description="None once cancelled.")
    attendance: list[AttendeeOut]
    minutes: str
    minutes_approved_at: dt.datetime | None
    addenda: list[AddendumOut]


def _agenda_item(item: Any) -> AgendaItemOut:
    proposal: Proposal | None = item.proposal
    decided = proposal is not None and proposal.status == Proposal.Status.CLOSED
    return AgendaItemOut(
        position=item.position,
        title=item.title,
        text=item.text,
        proposal=proposal.number if proposal else None,
        proposal_title=proposal.title if proposal else None,
        proposal_status=cast(Any, proposal.status) if proposal else None,
        outcome=proposal.outcome if decided and proposal else None,
    )


def _summary(assembly: Assembly) -> AssemblySummaryOut:
    return AssemblySummaryOut(
        number=assembly.number,
        kind=cast(AssemblyKind, assembly.kind),
        status=cast(Any, assembly.status),
        title=assembly.title,
        starts_at=assembly.starts_at,
        place=assembly.place,
        online_link=assembly.online_link,
    )


def _assembly_out(viewer: User, number: int) -> AssemblyOut:
    assembly = selectors.access_assembly_or_404(viewer, number)
    quorum = None
    if assembly.status != Assembly.Status.CANCELLED:
        figures = selectors.attendance_figures(assembly)
        quorum = QuorumOut(
            present=figures.present,
            eligible=figures.eligible,
            quorum_percent=f"{figures.quorum_percent:.2f}",
            reached=figures.reached,
        )
    return AssemblyOut(
        **_summary(assembly).model_dump(),
        notice=assembly.notice,
        called_at=assembly.called_at,
        opened_at=assembly.opened_at,
        closed_at=assembly.closed_at,
        cancelled_at=assembly.cancelled_at,
        cancel_reason=assembly.cancel_reason,
        secretary=assembly.secretary.number if assembly.secretary else None,
        agenda=[_agenda_item(item) for item in selectors.agenda_of(assembly)],
        quorum=quorum,
        attendance=[
            AttendeeOut(
                member=a.member.number,
                name=a.member.user.get_full_name(),
                at=a.at,
                checked_in=a.checked_in,
            )
            for a in selectors.attendees(assembly)
        ],
        minutes=assembly.minutes,
        minutes_approved_at=assembly.minutes_approved_at,
        addenda=[
            AddendumOut(text=a.text, author=a.author.get_full_name(), at=a.at)
            for a in selectors.addenda_of(assembly)
        ],
    )


# --- Operations ----------------------------------------------------------------------------


@router.get(
    "",
    response={200: list[AssemblySummaryOut], **ERRORS},
    summary="General assemblies, upcoming first (members and the board)",
)
def list_assemblies(request: HttpRequest) -> list[AssemblySummaryOut]:
    viewer = _actor(request)
    return [_summary(a) for a in selectors.upcoming(viewer) + selectors.past(viewer)]


@router.get(
    "/{number}",
    response={200: AssemblyOut, **ERRORS},
    summary="One assembly: agenda, attendance and quorum, minutes (members and the board)",
)
def get_assembly(request: HttpRequest, number: int = _number()) -> AssemblyOut:
    return _assembly_out(_actor(request), number)


@router.post(
    "",
    response={201: AssemblyOut, **ERRORS},
    summary="Call an assembly; the members are sent the notice (the board)",
)
def call_assembly(request: HttpRequest, payload: AssemblyCallIn) -> Status[AssemblyOut]:
    viewer = _actor(request)
    called = actions.call_assembly(
        actor=viewer,
        kind=payload.kind,
        title=payload.title,
        starts_at=payload.starts_at,
        notice=payload.notice,
        place=payload.place,
        online_link=payload.online_link,
        agenda=[
            actions.AgendaEntry(title=i.title, text=i.text, proposal=i.proposal)
            for i in payload.agenda
        ],
        answers_request=payload.answers_request,
    )
    return Status(201, _assembly_out(viewer, called.number))


@router.post(
    "/{number}/check-in",
    response={201: AssemblyOut, **ERRORS},
    summary="Check in as present at an assembly in session (a member with a vote)",
)
def check_in(request: HttpRequest, number: int = _number()) -> Status[AssemblyOut]:
    viewer = _actor(request)
    actions.check_in(actor=viewer, number=number)
    return Status(201, _assembly_out(viewer, number))


@router.post(
    "/{number}/attendance",
    response={200: AssemblyOut, **ERRORS},
    summary="Mark members present or take a mark back (the board or the secretary)",
)
def record_attendance(
    request: HttpRequest, payload: AttendanceIn, number: int = _number()
) -> AssemblyOut:
    viewer = _actor(request)
    actions.record_attendance(
        actor=viewer, number=number, present=payload.present, absent=payload.absent
    )
    return _assembly_out(viewer, number)


@router.put(
    "/{number}/minutes",
    response={200: AssemblyOut, **ERRORS},
    summary="Write the minutes, until the board approves them (the secretary or the board)",
)
def write_minutes(request: HttpRequest, payload: MinutesIn, number: int = _number()) -> AssemblyOut:
    viewer = _actor(request)
    actions.write_minutes(actor=viewer, number=number, text=payload.text)
    return _assembly_out(viewer, number)
