"""The fairness audit page, open to every member and the board, and the page where a member
reports (or withdraws) the groups they choose to be counted in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.accounts.models import Role
from taawun.accounts.selectors import has_role
from taawun.domain.fairness import MIN_GROUP
from taawun.domain.money import Money
from taawun.ledger import selectors as books
from taawun.web.charts import bar_chart
from taawun.web.errors import refusals
from taawun.web.flow import person, posted, run_action

from . import actions, selectors
from .forms import SelfReportForm


def _edge(money: Money) -> str:
    """A bin edge as short as it can be written (20, 2.5), for the chart's axis."""
    text = format(money.amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def audit(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    selectors.require_auditor(viewer)
    period = books.period_or_current(viewer, request.GET.get("period"))
    context: dict[str, Any] = {"period": period, "min_group": MIN_GROUP}
    if period is not None:
        report = selectors.audit(viewer, period)
        context.update(
            periods=books.periods(viewer),
            audit=report,
            chart=bar_chart(
                title=_("Workers by earnings per hour"),
                labels=[_edge(bar.lower) for bar in report.bars],
                series=[(_("Workers"), [Decimal(bar.count) for bar in report.bars])],
                rtl=get_language_bidi(),
            ),
        )
    return render(request, "market_fairness/audit.html", context)


def _self_report_page(request: HttpRequest, form: SelfReportForm, status: int) -> HttpResponse:
    viewer = person(request)
    context = {
        "form": form,
        "reported": selectors.my_groups(viewer),
        "may_report": has_role(viewer, Role.MEMBER),
        "min_group": MIN_GROUP,
    }
    return render(request, "market_fairness/self_report.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def self_report(request: HttpRequest) -> HttpResponse:
    """Open to anyone signed in, so that a former member can still withdraw; only a member can
    give an answer (the action refuses anyone else)."""
    viewer = person(request)
    form = SelfReportForm(posted(request), initial=selectors.my_groups(viewer))
    if request.method != "POST":
        return _self_report_page(request, form, 200)
    if not form.is_valid():
        return _self_report_page(request, form, 400)
    given, status = run_action(
        form,
        actions.report_groups,
        actor=viewer,
        answers=form.answers(),
        consent=form.cleaned_data["consent"],
    )
    if given is None:
        return _self_report_page(request, form, status)
    if given:
        messages.success(request, _("Thank you: the audit now counts your answers."))
    else:
        messages.success(request, _("You report no group: nothing about you is kept for it."))
    return redirect("market:fairness:self_report")


@login_required
@require_POST
@refusals
def withdraw(request: HttpRequest) -> HttpResponse:
    actions.withdraw_groups(actor=person(request))
    messages.success(request, _("Your consent is withdrawn and your answers are deleted."))
    return redirect("market:fairness:self_report")
