"""Founding the co-op, and showing everyone the rules it runs by."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from taawun.accounts.models import Role, User
from taawun.domain.errors import DomainError
from taawun.school.selectors import lessons_by_ref
from taawun.web.errors import explain

from . import actions
from .forms import FoundingForm
from .labels import DECISION_KINDS, METHODS
from .selectors import current_policy, get_coop, policy_versions

FOUNDER_BACKEND = "django.contrib.auth.backends.ModelBackend"

# Reasons stored with policy versions, marked here so they are translated when shown.
REASONS = (gettext_noop("founding assembly"),)


def _may_found(request: HttpRequest) -> bool:
    """In production the founding page needs the operator's FOUNDING_TOKEN (or use `taawun init`),
    so that nobody who finds a fresh server first can found it and hold its admin role."""
    if not settings.PRODUCTION:
        return True
    given = request.POST.get("token") or request.GET.get("token") or ""
    return bool(settings.FOUNDING_TOKEN) and constant_time_compare(given, settings.FOUNDING_TOKEN)


@require_http_methods(["GET", "POST"])
def found(request: HttpRequest) -> HttpResponse:
    """The founding assembly: open only while this installation has no co-op."""
    if get_coop() is not None:
        return redirect("web:home")
    if not _may_found(request):
        raise Http404
    form = FoundingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assert form.policy is not None
        try:
            actions.found_coop(
                name_ar=data["name_ar"],
                name_en=data["name_en"],
                handle=data["handle"],
                city=data["city"],
                about_ar=data["about_ar"],
                about_en=data["about_en"],
                policy=form.policy,
                founder_email=data["founder_email"],
                founder_name=data["founder_name"],
                founder_password=data["password1"],
                founder_class=data["founder_class"],
            )
        except DomainError as error:
            form.add_error(None, explain(error))
        except IntegrityError:
            if get_coop() is None:
                raise
            return redirect("web:home")  # founded a moment ago by a concurrent request
        else:
            founder = User.objects.get(email=data["founder_email"])
            login(request, founder, backend=FOUNDER_BACKEND)
            messages.success(request, _("The co-op is founded. You are member number 1."))
            return redirect("web:home")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "coop/found.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD"])
def policy(request: HttpRequest) -> HttpResponse:
    """The "Our rules" page: the policy in force, open to anyone, and every version so far."""
    if get_coop() is None:
        return redirect("coop:found")
    current = current_policy()
    rules = current.policy
    language = get_language() or "ar"
    classes = [
        {"terms": c, "name": c.name.get(language), "total": rules.share_total(c.key)}
        for c in rules.membership.classes
    ]
    kinds = [k for k in DECISION_KINDS if k in rules.governance.decisions]
    kinds += [k for k in rules.governance.decisions if k not in DECISION_KINDS]
    decisions = [
        {
            "label": DECISION_KINDS.get(kind, kind),
            "method": METHODS.get(rule.method, rule.method),
            "rule": rule,
        }
        for kind in kinds
        for rule in [rules.governance.decisions[kind]]
    ]
    return render(
        request,
        "coop/policy.html",
        {
            "number": current.number,
            "rules": rules,
            "classes": classes,
            "decisions": decisions,
            "versions": policy_versions(),
            "school": _school_rules(rules),
        },
    )


def _school_rules(rules: Any) -> dict[str, Any]:
    """The lessons the rules ask for, as lessons (a name of none published asks for nothing)."""
    asked = rules.school
    found = lessons_by_ref(asked.lesson_refs())
    return {
        "first_vote": [found[ref] for ref in asked.before_first_vote if ref in found],
        "roles": [
            (Role(role).label, [found[ref] for ref in roles if ref in found])
            for role, roles in asked.before_role
        ],
    }
