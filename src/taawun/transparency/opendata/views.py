"""The open data's public page, which explains the figures and shows one week of them, and
its CSV download (the JSON is the API's ``/api/open-data/``). No sign-in: the figures are
published for anyone to reuse."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from taawun.domain.disclosure import ALL, K
from taawun.market.models import Sector
from taawun.web.errors import refusals

from . import selectors

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


@require_http_methods(["GET", "HEAD"])
@refusals
def page(request: HttpRequest) -> HttpResponse:
    everything = selectors.open_data()
    weeks = sorted({cell.week for cell in everything.cells}, reverse=True)
    week = request.GET.get("week") or (weeks[0] if weeks else None)
    shown = selectors.open_data(week) if week else everything
    context = {
        "weeks": weeks,
        "week": week,
        "rows": [_shown(selectors.record(cell, shown.areas)) for cell in shown.cells],
        "threshold": K,
        "licence_url": LICENCE_URL,
    }
    return render(request, "transparency_opendata/page.html", context)


def _shown(row: dict[str, selectors.Value]) -> dict[str, selectors.Value]:
    """A record with its sector and area named in the reader's language."""
    arabic = (get_language() or "ar").startswith("ar")
    sector, area = str(row["sector"]), str(row["area"])
    return {
        **row,
        "sector_name": _("All sectors") if sector == ALL else str(Sector(sector).label),
        "area_name": _("All areas") if area == ALL else (row["area_ar"] if arabic else area),
    }


@require_http_methods(["GET", "HEAD"])
@refusals
def csv_export(request: HttpRequest) -> HttpResponse:
    data = selectors.open_data(request.GET.get("week") or None)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="open-data.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(selectors.FIELDS)
    for cell in data.cells:
        row = selectors.record(cell, data.areas)
        writer.writerow(["" if row[name] is None else _csv(row[name]) for name in selectors.FIELDS])
    return response


def _csv(value: selectors.Value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
