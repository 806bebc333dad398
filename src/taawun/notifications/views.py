"""The notifications pages: the list (mark one or all read with plain forms), the choices of
kinds and channels with the calendar links, and the calendar feeds a calendar app fetches with
the secret in its link (no session)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.coop.selectors import get_coop
from taawun.domain.ical import calendar
from taawun.web.errors import refusals
from taawun.web.flow import person

from . import actions, selectors
from .models import Kind
from .texts import words

GET = ["GET", "HEAD"]


@login_required
@require_http_methods(GET)
def inbox(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    return render(
        request,
        "notifications/list.html",
        {
            "rows": [(n, *words(n.kind, n.payload)) for n in selectors.listed(viewer)],
            "unread": selectors.unread_count(viewer),
        },
    )


def _back(request: HttpRequest) -> HttpResponse:
    """Back to where the form was, if that is this site; the list otherwise."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
@refusals
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    note = actions.mark_read(actor=person(request), notification_id=notification_id)
    if request.POST.get("open") and note.link.startswith("/") and not note.link.startswith("//"):
        return redirect(note.link)
    return _back(request)


@login_required
@require_POST
@refusals
def read_all(request: HttpRequest) -> HttpResponse:
    actions.mark_all_read(actor=person(request))
    messages.success(request, _("All notifications are marked read."))
    return _back(request)


@login_required
@require_http_methods([*GET, "POST"])
@refusals
def preferences(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    if request.method == "POST":
        actions.set_preferences(
            actor=viewer,
            choices={
                kind: (f"in_app:{kind}" in request.POST, f"email:{kind}" in request.POST)
                for kind in Kind.values
            },
        )
        messages.success(request, _("Your choices are saved."))
        return redirect("notifications:preferences")
    links = selectors.calendar_links(viewer)
    return render(
        request,
        "notifications/preferences.html",
        {
            "choices": selectors.choices(viewer),
            "links": _absolute(request, links),
        },
    )


def _absolute(request: HttpRequest, links: dict[str, str] | None) -> dict[str, str] | None:
    if links is None:
        return None
    return {name: request.build_absolute_uri(path) for name, path in links.items()}


@login_required
@require_POST
@refusals
def new_calendar_link(request: HttpRequest) -> HttpResponse:
    actions.new_calendar_key(actor=person(request))
    messages.success(
        request, _("Your calendar links are ready. Any link made before no longer works.")
    )
    return _back(request)


@login_required
@require_POST
@refusals
def revoke_calendar_link(request: HttpRequest) -> HttpResponse:
    actions.revoke_calendar_key(actor=person(request))
    messages.success(request, _("Your calendar links no longer work."))
    return _back(request)


def _feed(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "private, no-cache"
    return response


def _site_url(request: HttpRequest) -> str:
    return str(settings.SITE_URL).rstrip("/") or request.build_absolute_uri("/").rstrip("/")


@require_http_methods(GET)
@refusals
def schedule_feed(request: HttpRequest, user_id: int, token: str) -> HttpResponse:
    owner = selectors.calendar_owner_or_404(user_id, token)
    now = timezone.now()
    events = selectors.schedule_events(
        owner, host=request.get_host(), site_url=_site_url(request), now=now
    )
    coop = get_coop()
    name = f"{coop.name_ar} / {coop.name_en}" if coop else "Taawun"
    return _feed(calendar(events, product="Schedule", now=now, name=name), "schedule")


@require_http_methods(GET)
@refusals
def assemblies_feed(request: HttpRequest, user_id: int, token: str) -> HttpResponse:
    owner = selectors.calendar_owner_or_404(user_id, token)
    events = selectors.assembly_events(owner, host=request.get_host(), site_url=_site_url(request))
    coop = get_coop()
    name = f"{coop.name_ar} / {coop.name_en}" if coop else "Taawun"
    return _feed(
        calendar(events, product="General assemblies", now=timezone.now(), name=name),
        "assemblies",
    )
