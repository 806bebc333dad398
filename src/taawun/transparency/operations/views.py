"""The operations room page: every figure in a table, the two series also as charts. Without
script it is a plain page; with htmx (loaded by the base page) it refreshes itself every
minute by fetching the page again and swapping in its figures."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from taawun.domain.money import Money
from taawun.market.models import Sector
from taawun.web.charts import bar_chart
from taawun.web.errors import refusals
from taawun.web.flow import person

from . import selectors

REFRESH_SECONDS = 60


def _edge(money: Money) -> str:
    """A histogram edge as short as it can be written (20, 2.5)."""
    return format(money.amount.normalize(), "f")


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def room(request: HttpRequest) -> HttpResponse:
    report = selectors.room(person(request))
    rtl = get_language_bidi()
    context = {
        "room": report,
        "sectors": list(Sector),
        "refresh_seconds": REFRESH_SECONDS,
        "weeks_chart": bar_chart(
            title=_("Orders placed per week, by sector"),
            labels=[f"{week.starts_on.day}/{week.starts_on.month}" for week in report.weeks],
            series=[
                (str(sector.label), [Decimal(week.counts[i]) for week in report.weeks])
                for i, sector in enumerate(Sector)
            ],
            rtl=rtl,
        ),
    }
    if report.earnings is not None and report.earnings.bars:
        context["earnings_chart"] = bar_chart(
            title=_("Workers by earnings per hour"),
            labels=[_edge(bar.lower) for bar in report.earnings.bars],
            series=[(_("Workers"), [Decimal(bar.count) for bar in report.earnings.bars])],
            rtl=rtl,
        )
    return render(request, "transparency_operations/room.html", context)
