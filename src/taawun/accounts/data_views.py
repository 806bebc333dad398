"""A person's own data: see it, download it, correct it, answer the optional sharings, close
the account. Every page here is the signed-in person's own; nobody else's data is reachable."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from taawun.web.errors import explain, refusals
from taawun.web.flow import person, posted, run_action

from . import actions, selectors
from .forms import AccountForm, CloseForm, ConsentForm

LABELS: dict[str, Any] = {
    "account": gettext_lazy("Account"),
    "profile": gettext_lazy("Directory profile"),
    "consents": gettext_lazy("Consents"),
    "roles": gettext_lazy("Roles"),
    "applications": gettext_lazy("Membership applications"),
    "memberships": gettext_lazy("Memberships"),
    "orders_as_customer": gettext_lazy("Orders as a customer"),
    "orders_as_worker": gettext_lazy("Orders as a worker"),
    "project_briefs": gettext_lazy("Project briefs"),
    "licences": gettext_lazy("Licences bought"),
    "cart": gettext_lazy("Shopping cart"),
    "governance": gettext_lazy("Decisions"),
    "notifications": gettext_lazy("Notifications"),
    "received": gettext_lazy("Received"),
    "preferences": gettext_lazy("Preferences"),
    "calendar_feed": gettext_lazy("Calendar feed"),
    "school": gettext_lazy("The co-op school"),
    "lesson_attempts": gettext_lazy("Quizzes answered"),
    "courses_written": gettext_lazy("Courses written"),
    "page_versions_written": gettext_lazy("Knowledge-base versions written"),
    "pictures_uploaded": gettext_lazy("Pictures uploaded"),
    "api_tokens": gettext_lazy("API tokens"),
    "referrals": gettext_lazy("Orders passed to a sister co-op"),
    "audit_trail": gettext_lazy("Audit trail entries you made"),
    "emails": gettext_lazy("Email addresses"),
    "two_factor": gettext_lazy("Two-factor sign-in"),
    "passkeys": gettext_lazy("Passkeys"),
    "share_operations": gettext_lazy("Share register"),
    "instalments": gettext_lazy("Instalments"),
    "capital_account": gettext_lazy("Capital account"),
    "repayment": gettext_lazy("Repayment"),
    "ledger_accounts": gettext_lazy("Accounts in the books"),
    "journal_entries": gettext_lazy("Journal entries"),
    "patronage": gettext_lazy("Work per period"),
    "allocations": gettext_lazy("Surplus allocations"),
    "payouts": gettext_lazy("Payouts"),
    "solidarity_claims": gettext_lazy("Solidarity claims"),
    "earnings_floor_top_ups": gettext_lazy("Earnings floor top-ups"),
    "self_reported_groups": gettext_lazy("Self-reported groups"),
    "votes": gettext_lazy("Votes"),
    "statement_votes": gettext_lazy("Opinion round answers"),
    "mandates": gettext_lazy("Mandates"),
    "delegations_given": gettext_lazy("Delegations given"),
    "delegations_received": gettext_lazy("Delegations received"),
    "assemblies_as_secretary": gettext_lazy("Assemblies as secretary"),
    "assembly_attendance": gettext_lazy("Assembly attendance"),
    "assembly_request_signatures": gettext_lazy("Signatures for an assembly"),
    "availability": gettext_lazy("Availability"),
    "trip_presence": gettext_lazy("Trip presence"),
    "trip_offers": gettext_lazy("Trip offers"),
    "project_proposals": gettext_lazy("Project proposals"),
    "products": gettext_lazy("Products"),
    "works": gettext_lazy("Creative works"),
    "proposals": gettext_lazy("Proposals"),
    "comments": gettext_lazy("Comments"),
    "statements": gettext_lazy("Statements"),
    "assembly_requests": gettext_lazy("Requests for an assembly"),
    "minutes_addenda": gettext_lazy("Addenda to minutes"),
    "events": gettext_lazy("What happened"),
    "details": gettext_lazy("Details"),
    "lines": gettext_lazy("Lines"),
    "rating": gettext_lazy("Rating"),
    "entries": gettext_lazy("Entries"),
    "email": gettext_lazy("Email"),
    "full_name": gettext_lazy("Full name"),
    "language": gettext_lazy("Language"),
    "number": gettext_lazy("Number"),
    "status": gettext_lazy("Status"),
    "amount": gettext_lazy("Amount"),
    "currency": gettext_lazy("Currency"),
    "at": gettext_lazy("When"),
    "title": gettext_lazy("Title"),
    "kind": gettext_lazy("Kind"),
}


# Field names of the document, in words (most are the models' own field names).
FIELDS: dict[str, Any] = {
    "action": gettext_lazy("action"),
    "active": gettext_lazy("on sale"),
    "actual_km": gettext_lazy("actual km"),
    "after": gettext_lazy("after"),
    "answered_at": gettext_lazy("answered at"),
    "assembly": gettext_lazy("general assembly"),
    "balance": gettext_lazy("balance"),
    "balance_after": gettext_lazy("balance after"),
    "basket": gettext_lazy("basket"),
    "before": gettext_lazy("before"),
    "bio": gettext_lazy("about me"),
    "bio_visibility": gettext_lazy("who sees my about text"),
    "body": gettext_lazy("text"),
    "booking": gettext_lazy("booking"),
    "brief": gettext_lazy("brief"),
    "brief_id": gettext_lazy("brief"),
    "budget": gettext_lazy("budget"),
    "by_me": gettext_lazy("by me"),
    "cancelled_at": gettext_lazy("cancelled at"),
    "cash": gettext_lazy("paid in cash"),
    "choice": gettext_lazy("choice"),
    "city": gettext_lazy("city or area"),
    "city_visibility": gettext_lazy("who sees my city"),
    "closing": gettext_lazy("closing"),
    "code": gettext_lazy("code"),
    "comment": gettext_lazy("comment"),
    "consented_at": gettext_lazy("consent given at"),
    "contact": gettext_lazy("customer's contact"),
    "contact_name": gettext_lazy("customer's name"),
    "coop_fee": gettext_lazy("co-op fee"),
    "counterparty": gettext_lazy("counterparty"),
    "counts_against": gettext_lazy("counted decline"),
    "created_at": gettext_lazy("created at"),
    "date": gettext_lazy("date"),
    "date_joined": gettext_lazy("joined on"),
    "days": gettext_lazy("days to deliver"),
    "deadline": gettext_lazy("deadline"),
    "decided_at": gettext_lazy("decided at"),
    "decision_note": gettext_lazy("decision note"),
    "decision_reason": gettext_lazy("reason"),
    "delegate": gettext_lazy("delegate"),
    "delegator": gettext_lazy("delegator"),
    "delivered_at": gettext_lazy("delivered at"),
    "description": gettext_lazy("description"),
    "dimension": gettext_lazy("dimension"),
    "display_name": gettext_lazy("name shown"),
    "dividend": gettext_lazy("dividend"),
    "downloads": gettext_lazy("downloads"),
    "dropoff": gettext_lazy("drop-off"),
    "dropoff_latitude": gettext_lazy("drop-off latitude"),
    "dropoff_longitude": gettext_lazy("drop-off longitude"),
    "due_on": gettext_lazy("due on"),
    "earned": gettext_lazy("earned"),
    "elected_by": gettext_lazy("elected by"),
    "email_state": gettext_lazy("email"),
    "email_visibility": gettext_lazy("who sees my email"),
    "emailed_at": gettext_lazy("emailed at"),
    "ended_at": gettext_lazy("ended at"),
    "ends": gettext_lazy("until"),
    "ends_at": gettext_lazy("ends at"),
    "ends_on": gettext_lazy("window ends on"),
    "entry": gettext_lazy("journal entry"),
    "estimated_km": gettext_lazy("estimated km"),
    "explanation": gettext_lazy("why this worker"),
    "format": gettext_lazy("format"),
    "format_version": gettext_lazy("format version"),
    "fulfilment": gettext_lazy("fulfilment"),
    "generated_at": gettext_lazy("made at"),
    "given": gettext_lazy("agreed"),
    "granted_at": gettext_lazy("granted at"),
    "hours": gettext_lazy("hours"),
    "id": gettext_lazy("id"),
    "in_app": gettext_lazy("on this site"),
    "joined_on": gettext_lazy("joined on"),
    "last_login": gettext_lazy("last sign-in"),
    "last_used_at": gettext_lazy("last used at"),
    "latitude": gettext_lazy("latitude"),
    "left_on": gettext_lazy("left on"),
    "licence": gettext_lazy("licence"),
    "licence_key": gettext_lazy("licence"),
    "licence_name_en": gettext_lazy("licence name (English)"),
    "link": gettext_lazy("link"),
    "longitude": gettext_lazy("longitude"),
    "loss_charged": gettext_lazy("loss charged to capital account"),
    "member": gettext_lazy("member number"),
    "member_class": gettext_lazy("member class"),
    "memo": gettext_lazy("memo"),
    "method": gettext_lazy("method"),
    "milestone": gettext_lazy("milestone"),
    "motivation": gettext_lazy("why you want to join"),
    "name": gettext_lazy("name"),
    "name_ar": gettext_lazy("name in Arabic"),
    "name_en": gettext_lazy("name in English"),
    "name_visibility": gettext_lazy("who sees my name"),
    "needed": gettext_lazy("needed to reach the floor"),
    "nominal": gettext_lazy("nominal value"),
    "note": gettext_lazy("note"),
    "notice_given_on": gettext_lazy("notice given on"),
    "offered_at": gettext_lazy("offered at"),
    "office": gettext_lazy("office"),
    "online": gettext_lazy("online"),
    "order": gettext_lazy("order"),
    "order_id": gettext_lazy("order"),
    "paid": gettext_lazy("top-up paid"),
    "paid_at": gettext_lazy("paid at"),
    "payload": gettext_lazy("details"),
    "period": gettext_lazy("period"),
    "phone": gettext_lazy("phone"),
    "phone_visibility": gettext_lazy("who sees my phone"),
    "pickup": gettext_lazy("pickup"),
    "pickup_latitude": gettext_lazy("pickup latitude"),
    "pickup_longitude": gettext_lazy("pickup longitude"),
    "place_label": gettext_lazy("pickup place"),
    "plan": gettext_lazy("plan"),
    "policy_version": gettext_lazy("policy version"),
    "price": gettext_lazy("price"),
    "primary": gettext_lazy("primary"),
    "product": gettext_lazy("product"),
    "product_id": gettext_lazy("product"),
    "proposal": gettext_lazy("proposal"),
    "purpose": gettext_lazy("purpose"),
    "quantity": gettext_lazy("quantity"),
    "rated_at": gettext_lazy("rated at"),
    "read_at": gettext_lazy("read at"),
    "reason": gettext_lazy("reason"),
    "receipt": gettext_lazy("receipt"),
    "receipt_number": gettext_lazy("receipt number"),
    "recovery_codes": gettext_lazy("recovery codes"),
    "reference": gettext_lazy("reference"),
    "register_number": gettext_lazy("register number"),
    "request": gettext_lazy("request"),
    "request_id": gettext_lazy("request"),
    "requested_at": gettext_lazy("requested at"),
    "retained": gettext_lazy("credited to capital account"),
    "revenue": gettext_lazy("revenue"),
    "reversed": gettext_lazy("reversed by a reopening"),
    "revoked_at": gettext_lazy("revoked at"),
    "role": gettext_lazy("role"),
    "run": gettext_lazy("run"),
    "secret": gettext_lazy("secret ballot"),
    "sector": gettext_lazy("sector"),
    "seq": gettext_lazy("sequence"),
    "shares": gettext_lazy("shares"),
    "show_in_directory": gettext_lazy("list me in the member directory"),
    "sister_coop": gettext_lazy("sister co-op"),
    "skills": gettext_lazy("skills"),
    "skills_visibility": gettext_lazy("who sees my skills"),
    "solidarity": gettext_lazy("solidarity fund"),
    "stars": gettext_lazy("stars"),
    "starts": gettext_lazy("from"),
    "starts_at": gettext_lazy("starts at"),
    "starts_on": gettext_lazy("window starts on"),
    "statement": gettext_lazy("statement"),
    "stock": gettext_lazy("in stock"),
    "subject_id": gettext_lazy("subject"),
    "subject_type": gettext_lazy("subject type"),
    "submitted_at": gettext_lazy("submitted at"),
    "supported_at": gettext_lazy("supported at"),
    "tax": gettext_lazy("tax"),
    "text": gettext_lazy("text"),
    "text_version": gettext_lazy("version of the text"),
    "tip": gettext_lazy("tip"),
    "topic": gettext_lazy("what"),
    "totp": gettext_lazy("authenticator app"),
    "trip": gettext_lazy("trip"),
    "unit": gettext_lazy("unit"),
    "unit_price": gettext_lazy("price per unit"),
    "updated_at": gettext_lazy("updated at"),
    "value": gettext_lazy("group"),
    "verified": gettext_lazy("verified"),
    "vote": gettext_lazy("vote"),
    "weekday": gettext_lazy("day"),
    "withdrawn_at": gettext_lazy("withdrawn at"),
    "work": gettext_lazy("creative work"),
    "work_id": gettext_lazy("creative work"),
    "worker": gettext_lazy("worker"),
    "worker_number": gettext_lazy("worker's member number"),
    "worker_share": gettext_lazy("worker's share"),
}


def _label(key: str) -> str:
    return str(LABELS.get(key) or FIELDS.get(key) or key.replace("_", " "))


def _node(value: Any) -> dict[str, Any]:
    """The document as nested nodes the template can draw: fields, tables, text."""
    if isinstance(value, dict):
        return {"kind": "fields", "items": [(_label(k), _node(v)) for k, v in value.items()]}
    if isinstance(value, list):
        if not value:
            return {"kind": "text", "value": "—"}
        if all(isinstance(v, dict) for v in value):
            keys = list(value[0])
            flat = all(not isinstance(v[k], dict | list) for v in value for k in keys)
            if flat:
                return {
                    "kind": "table",
                    "headers": [_label(k) for k in keys],
                    "rows": [[_text(v[k]) for k in keys] for v in value],
                }
        return {"kind": "list", "items": [_node(v) for v in value]}
    return {"kind": "text", "value": _text(value)}


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


def _filename(user_id: int, extension: str) -> str:
    return f"my-data-{user_id}-{timezone.localdate().isoformat()}.{extension}"


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def overview(request: HttpRequest) -> HttpResponse:
    user = person(request)
    return render(
        request,
        "accounts/my_data.html",
        {
            "consents": selectors.consents_of(user),
            "referrals": selectors.referral_consents(user),
            "consent_form": ConsentForm(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def download(request: HttpRequest) -> HttpResponse:
    """The whole document as a JSON file to keep."""
    user = person(request)
    document = selectors.my_data(user)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(user.pk, "json")}"'
    response["Cache-Control"] = "no-store"
    return response


# A long-standing officer acts thousands of times; a page or PDF lists the latest acts, the
# JSON download every one.
READABLE_TRAIL = 100


def _sections(document: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """The document's parts to read, as (key, translated heading, value)."""
    sections = []
    for key, value in document.items():
        if key in {"format", "format_version", "generated_at"}:
            continue
        heading = _label(key)
        if key == "audit_trail" and len(value) > READABLE_TRAIL:
            heading = _("%(heading)s: the latest %(shown)s of %(total)s (all in the JSON)") % {
                "heading": heading,
                "shown": READABLE_TRAIL,
                "total": len(value),
            }
            value = value[-READABLE_TRAIL:]
        sections.append((key, heading, value))
    return sections


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def readable(request: HttpRequest) -> HttpResponse:
    """The same document as a page to read or print."""
    document = selectors.my_data(person(request))
    sections = [(key, heading, _node(value)) for key, heading, value in _sections(document)]
    response = render(
        request, "accounts/my_data_print.html", {"document": document, "sections": sections}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def pdf(request: HttpRequest) -> HttpResponse:
    """The same document as a PDF, where the server has a font with Arabic letters."""
    from .mydata_pdf import NoFont, my_data_pdf

    user = person(request)
    document = selectors.my_data(user)
    sections = _sections(document)
    try:
        body = my_data_pdf(sections, document, _text)
    except NoFont:
        return render(
            request,
            "web/refused.html",
            {"reason": _("PDF notices need a font with Arabic letters on the server.")},
            status=503,
        )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(user.pk, "pdf")}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def correct(request: HttpRequest) -> HttpResponse:
    user = person(request)
    form = AccountForm(
        posted(request), initial={"full_name": user.full_name, "language": user.language}
    )
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            result, status = run_action(
                form, actions.update_account, actor=user, **form.cleaned_data
            )
            if result is not None:
                messages.success(request, _("Your account has been corrected."))
                response = redirect("mydata:overview")
                if result.language:
                    response.set_cookie(
                        settings.LANGUAGE_COOKIE_NAME, result.language, samesite="Lax"
                    )
                return response
    return render(request, "accounts/correct.html", {"form": form}, status=status)


@login_required
@require_POST
@refusals
def consent(request: HttpRequest) -> HttpResponse:
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return render(
            request, "web/refused.html", {"reason": _("There is no such choice.")}, status=400
        )
    given = form.cleaned_data["given"]
    actions.set_consent(actor=person(request), topic=form.cleaned_data["topic"], given=given)
    messages.success(
        request, _("Your agreement is recorded.") if given else _("Your withdrawal is recorded.")
    )
    return redirect("mydata:overview")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def close(request: HttpRequest) -> HttpResponse:
    user = person(request)
    form = CloseForm(posted(request))
    obstacles = [explain(error) for error in selectors.closing_obstacles(user)]
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            result, status = run_action(
                form, actions.close_account, actor=user, confirm=form.cleaned_data["confirm"]
            )
            if result is not None:
                logout(request)
                messages.success(
                    request, _("Your account is closed and your personal data erased.")
                )
                return redirect("web:home")
            obstacles = [explain(error) for error in selectors.closing_obstacles(user)]
    return render(
        request, "accounts/close.html", {"form": form, "obstacles": obstacles}, status=status
    )
