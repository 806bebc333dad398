"""The assembly pages: the list (upcoming, past, members' requests), one assembly (agenda with
the decisions taken, attendance against the quorum, minutes), the board's and the secretary's
forms, a member's check-in, and the assembly as a calendar file. Each writing view parses a
form, calls one action and redirects with a message, or shows the page again with the refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.utils import ErrorList
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.accounts.models import Role
from taawun.accounts.selectors import has_role, require_role
from taawun.governance.models import Proposal
from taawun.governance.results import outcome_badge
from taawun.web.errors import refusals
from taawun.web.flow import person, posted, run_action

from . import actions, selectors
from .calendar import assembly_calendar
from .forms import (
    AddendumForm,
    AgendaFormSet,
    AgendaItemForm,
    ApproveForm,
    AttendanceForm,
    CallForm,
    CancelForm,
    MinutesForm,
    OpenForm,
    RequestForm,
)
from .models import MAX_ID, AgendaItem, Assembly, AssemblyRequest

PAGE = "governance_assemblies/assembly.html"
GET = ["GET", "HEAD"]
GET_OR_POST = ["GET", "HEAD", "POST"]


class ButtonForm(forms.Form):
    """The form of a button with no fields: it only carries back the action's refusal."""


@dataclass(frozen=True)
class AgendaRow:
    item: AgendaItem
    outcome: str
    badge: str


def _agenda_rows(assembly: Assembly) -> list[AgendaRow]:
    """Each item with the decision its proposal came to, once the vote has closed."""
    rows = []
    for item in selectors.agenda_of(assembly):
        outcome, badge = "", ""
        if item.proposal is not None and item.proposal.status == Proposal.Status.CLOSED:
            outcome, badge = outcome_badge(item.proposal.outcome)
        rows.append(AgendaRow(item, outcome, badge))
    return rows


def _page(
    request: HttpRequest,
    assembly: Assembly,
    *,
    status: int = 200,
    refusal: ErrorList | None = None,
    bound: dict[str, forms.Form] | None = None,
) -> HttpResponse:
    """One assembly, with a fresh form for each button unless one came back with errors in its
    fields; an action's refusal is shown at the top, whichever button was pressed."""
    viewer = person(request)
    keeps_record = selectors.keeps_record(viewer, assembly)
    context: dict[str, Any] = {
        "assembly": assembly,
        "agenda": _agenda_rows(assembly),
        "figures": selectors.attendance_figures(assembly)
        if assembly.status != Assembly.Status.CANCELLED
        else None,
        "attendees": selectors.attendees(assembly),
        "addenda": selectors.addenda_of(assembly),
        "keeps_record": keeps_record,
        "desk": (assembly.status == Assembly.Status.CALLED and has_role(viewer, Role.BOARD))
        or (assembly.status == Assembly.Status.OPEN and keeps_record),
        "may_check_in": selectors.may_check_in(viewer, assembly),
        "is_present": selectors.is_present(viewer, assembly),
        "open_form": OpenForm(),
        "cancel_form": CancelForm(),
        "approve_form": ApproveForm(initial={"minutes_sha256": assembly.minutes_sha256}),
        "addendum_form": AddendumForm(),
        "refusal": refusal,
    }
    context.update(bound or {})
    return render(request, PAGE, context, status=status)


def _button(
    request: HttpRequest,
    number: int,
    *,
    form_class: type[forms.Form],
    action: Callable[..., Any],
    done: str,
    name: str = "",
) -> HttpResponse:
    """Run one action from a form on the assembly page; on a refusal show the page again, with
    the reason at the top or the field errors in the form (the page's ``name`` for it)."""
    viewer = person(request)
    assembly = selectors.access_assembly_or_404(viewer, number)
    form = form_class(request.POST)
    status = 400
    if form.is_valid():
        result, status = run_action(
            form, action, actor=viewer, number=assembly.number, **form.cleaned_data
        )
        if result is not None:
            messages.success(request, done)
            return redirect("assemblies:assembly", number=assembly.number)
    assembly.refresh_from_db()
    if form.non_field_errors():
        return _page(request, assembly, status=status, refusal=form.non_field_errors())
    return _page(request, assembly, status=status, bound={name: form} if name else None)


@login_required
@require_http_methods(GET)
def assemblies(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    return render(
        request,
        "governance_assemblies/list.html",
        {
            "upcoming": selectors.upcoming(viewer),
            "past": selectors.past(viewer),
            "requests": selectors.waiting_requests(viewer),
            "may_request": selectors.may_request(viewer),
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(GET)
def assembly(request: HttpRequest, number: int) -> HttpResponse:
    return _page(request, selectors.access_assembly_or_404(person(request), number))


@login_required
@require_http_methods(GET)
def calendar(request: HttpRequest, number: int) -> HttpResponse:
    found = selectors.access_assembly_or_404(person(request), number)
    page_url = request.build_absolute_uri(reverse("assemblies:assembly", args=[found.number]))
    text = assembly_calendar(found, page_url=page_url, host=request.get_host(), now=timezone.now())
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assembly-{found.number}.ics"'
    return response


# --- The board ------------------------------------------------------------------------------


def _answering(request: HttpRequest) -> AssemblyRequest | None:
    """The members' request named by ``?request=``: a supported one still waiting."""
    raw = request.GET.get("request", "")
    if not raw:
        return None
    if not raw.isdecimal() or not 0 < int(raw) <= MAX_ID:
        raise Http404
    return selectors.request_to_answer_or_404(person(request), int(raw))


@login_required
@require_http_methods(GET_OR_POST)
@refusals
def call(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    selectors.require_member(viewer)
    require_role(viewer, Role.BOARD)
    answering = _answering(request)
    initial: dict[str, Any] = {}
    if answering is not None:
        initial = {
            "kind": Assembly.Kind.EXTRAORDINARY,
            "title": answering.title,
            "answers_request": answering.pk,
        }
    form = CallForm(posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            called, status = run_action(
                form, actions.call_assembly, actor=viewer, **form.cleaned_data
            )
            if called is not None:
                messages.success(
                    request, _("The assembly is called; the members are sent the notice.")
                )
                return redirect("assemblies:assembly", number=called.number)
    return render(
        request,
        "governance_assemblies/call.html",
        {"form": form, "answering": answering},
        status=status,
    )


def _entries(formset: Any) -> list[actions.AgendaEntry]:
    """The items in the order asked for; rows left empty are dropped."""
    return [
        actions.AgendaEntry(
            title=f.cleaned_data.get("title") or "",
            text=f.cleaned_data.get("text") or "",
            proposal=f.cleaned_data.get("proposal"),
        )
        for f in formset.ordered_forms
        if isinstance(f, AgendaItemForm) and f.has_content()
    ]


@login_required
@require_http_methods(GET_OR_POST)
@refusals
def agenda(request: HttpRequest, number: int) -> HttpResponse:
    viewer = person(request)
    found = selectors.access_assembly_or_404(viewer, number)
    require_role(viewer, Role.BOARD)
    initial = [
        {"title": i.title, "text": i.text, "proposal": i.proposal.number if i.proposal else None}
        for i in selectors.agenda_of(found)
    ]
    formset = AgendaFormSet(posted(request), initial=initial)
    refusal = ButtonForm(posted(request))  # carries the action's refusal, if any
    status = 200
    if request.method == "POST":
        status = 400
        if formset.is_valid() and refusal.is_valid():
            done, status = run_action(
                refusal,
                actions.set_agenda,
                actor=viewer,
                number=found.number,
                agenda=_entries(formset),
            )
            if done is not None:
                messages.success(request, _("The agenda is saved."))
                return redirect("assemblies:assembly", number=found.number)
    return render(
        request,
        "governance_assemblies/agenda.html",
        {"assembly": found, "formset": formset, "refusal": refusal},
        status=status,
    )


@login_required
@require_http_methods(GET_OR_POST)
@refusals
def attendance(request: HttpRequest, number: int) -> HttpResponse:
    """The checklist of the members with a vote, for the board or the secretary."""
    viewer = person(request)
    found = selectors.access_assembly_or_404(viewer, number)
    rows = selectors.checklist(viewer, found)
    marked = [row.member.number for row in rows if row.present]
    form = AttendanceForm(
        posted(request),
        members=[row.member for row in rows],
        initial={"present": marked, "were_present": marked},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            ticked = form.cleaned_data["present"]
            untouched = set(form.cleaned_data["were_present"]) - set(ticked)
            done, status = run_action(
                form,
                actions.record_attendance,
                actor=viewer,
                number=found.number,
                present=ticked,
                absent=sorted(untouched),
            )
            if done is not None:
                messages.success(request, _("The attendance is recorded."))
                return redirect("assemblies:assembly", number=found.number)
    return render(
        request,
        "governance_assemblies/attendance.html",
        {"assembly": found, "form": form, "figures": selectors.attendance_figures(found)},
        status=status,
    )


@login_required
@require_POST
@refusals
def open_assembly(request: HttpRequest, number: int) -> HttpResponse:
    return _button(
        request,
        number,
        form_class=OpenForm,
        name="open_form",
        action=actions.open_assembly,
        done=_("The assembly is in session: members can check in."),
    )


@login_required
@require_POST
@refusals
def close_assembly(request: HttpRequest, number: int) -> HttpResponse:
    return _button(
        request,
        number,
        form_class=ButtonForm,
        action=actions.close_assembly,
        done=_("The assembly is closed; its attendance is on record."),
    )


@login_required
@require_POST
@refusals
def cancel_assembly(request: HttpRequest, number: int) -> HttpResponse:
    return _button(
        request,
        number,
        form_class=CancelForm,
        name="cancel_form",
        action=actions.cancel_assembly,
        done=_("The assembly is cancelled."),
    )


@login_required
@require_POST
@refusals
def check_in(request: HttpRequest, number: int) -> HttpResponse:
    return _button(
        request,
        number,
        form_class=ButtonForm,
        action=actions.check_in,
        done=_("You are recorded as present."),
    )


@login_required
@require_POST
@refusals
def approve_minutes(request: HttpRequest, number: int) -> HttpResponse:
    return _button(
        request,
        number,
        form_class=ApproveForm,
        name="approve_form",
        action=actions.approve_minutes,
        done=_("The minutes are approved and final."),
    )


@login_required
@require_POST
@refusals
def add_addendum(request: HttpRequest, number: int) -> HttpResponse:
    return _button(
        request,
        number,
        form_class=AddendumForm,
        name="addendum_form",
        action=actions.add_addendum,
        done=_("The addendum is appended to the minutes."),
    )


@login_required
@require_http_methods(GET_OR_POST)
@refusals
def minutes(request: HttpRequest, number: int) -> HttpResponse:
    """The secretary's (or the board's) minutes, until the board approves them."""
    viewer = person(request)
    found = selectors.access_assembly_or_404(viewer, number)
    selectors.require_record_keeper(viewer, found)
    form = MinutesForm(posted(request), initial={"text": found.minutes})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            done, status = run_action(
                form, actions.write_minutes, actor=viewer, number=found.number, **form.cleaned_data
            )
            if done is not None:
                messages.success(request, _("The minutes are saved."))
                return redirect("assemblies:assembly", number=found.number)
    return render(
        request,
        "governance_assemblies/minutes.html",
        {"assembly": found, "form": form},
        status=status,
    )


# --- Members' requests ----------------------------------------------------------------------


@login_required
@require_http_methods(GET_OR_POST)
@refusals
def request_assembly(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    selectors.require_member(viewer)
    form = RequestForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            made, status = run_action(
                form, actions.request_assembly, actor=viewer, **form.cleaned_data
            )
            if made is not None:
                messages.success(request, _("Your request is open for other members to sign."))
                return redirect("assemblies:list")
    return render(
        request,
        "governance_assemblies/request.html",
        {
            "form": form,
            "may_request": selectors.may_request(viewer),
            "rule": selectors.request_rule(),
        },
        status=status,
    )


@login_required
@require_POST
@refusals
def sign_request(request: HttpRequest, request_id: int) -> HttpResponse:
    viewer = person(request)
    selectors.require_member(viewer)
    signed = actions.sign_request(actor=viewer, request_id=request_id)
    if signed.supported_at is not None:
        messages.success(
            request, _("Signed. The request has the support it needs: the board must call it.")
        )
    else:
        messages.success(request, _("Signed."))
    return redirect("assemblies:list")
