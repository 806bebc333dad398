"""The open data: what the co-op's completed work amounts to, week by week, for anyone.

An order counts when it is completed and paid and has not been refunded, in the ISO week of its
payment's date in the books. Only closed weeks are published (never the current one), and the
cells are those of ``domain.disclosure``: per week, currency, sector and, for trips, area, with
small cells suppressed. A trip's area is the named place of the co-op (the board's list, the
one customers pick from) nearest to its pickup; the other sectors carry no place, so their area
is "all".

Reading every completed order is a full pass over the market's history, so the published cells
are cached for an hour (``CACHE_SECONDS``) under the last closed week: a new week is published
as soon as it closes, and a late completion or refund of an order paid in an earlier week shows
within the hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from django.core.cache import cache
from django.utils import timezone

from taawun.domain import disclosure, geo
from taawun.domain.disclosure import ALL, Cell, Sale
from taawun.domain.errors import InvalidInput, gettext_noop
from taawun.market.models import Order, Sector, Status
from taawun.market.trips.models import Place

CACHE_SECONDS = 3600
CHUNK = 5000


@dataclass(frozen=True)
class Area:
    name_en: str
    name_ar: str
    centre: geo.Point


@dataclass(frozen=True)
class OpenData:
    through: str | None  # the last week published; None before any week has closed with sales
    cells: list[Cell]
    areas: dict[str, str]  # an area's name in English (its key) → its name in Arabic


def _this_monday() -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday())


def _areas() -> list[Area]:
    return [
        Area(place.name_en, place.name_ar, geo.point(place.latitude, place.longitude))
        for place in Place.objects.order_by("id")
    ]


def _nearest(areas: list[Area], latitude: object, longitude: object) -> str:
    if not areas or latitude is None or longitude is None:
        return ALL
    pickup = geo.point(latitude, longitude)
    return min(areas, key=lambda area: geo.haversine_km(area.centre, pickup)).name_en


def _sales(before: dt.date, areas: list[Area]) -> Iterator[Sale]:
    """Every completed, paid and unrefunded order paid before ``before``."""
    rows = (
        Order.objects.filter(
            status=Status.COMPLETED,
            payment__isnull=False,
            refund__isnull=True,
            worker__isnull=False,
            payment__date__lt=before,
        )
        .order_by()
        .values_list(
            "payment__date",
            "currency",
            "sector",
            "customer_id",
            "worker__user_id",
            "price",
            "tip",
            "hours",
            "worker_share",
            "trip__pickup_latitude",
            "trip__pickup_longitude",
        )
        .iterator(chunk_size=CHUNK)
    )
    for day, currency, sector, customer, worker, price, tip, hours, share, lat, lon in rows:
        yield Sale(
            week=disclosure.week_of(day),
            currency=currency,
            sector=sector,
            area=_nearest(areas, lat, lon) if sector == Sector.TRIP else ALL,
            customer=customer,
            worker=worker,
            price=price,
            paid=price + tip,
            hours=hours,
            earned=share + tip,
        )


def _published(before: dt.date) -> OpenData:
    areas = _areas()
    cells = disclosure.publish(list(_sales(before, areas)))
    return OpenData(
        through=disclosure.week_of(before - dt.timedelta(days=1)) if cells else None,
        cells=cells,
        areas={area.name_en: area.name_ar for area in areas},
    )


def open_data(week: str | None = None) -> OpenData:
    """The published cells of every closed week, or of one (``2026-W05``). Open to anyone."""
    this_monday = _this_monday()
    data = cast(
        OpenData,
        cache.get_or_set(
            f"opendata:{this_monday.isoformat()}", lambda: _published(this_monday), CACHE_SECONDS
        ),
    )
    if not week:
        return data
    if disclosure.parse_week(week) >= this_monday:
        raise InvalidInput(
            "week_not_closed", gettext_noop("Only weeks that have ended are published.")
        )
    return OpenData(data.through, [cell for cell in data.cells if cell.week == week], data.areas)


FIELDS = (
    "week",
    "week_starts",
    "currency",
    "sector",
    "area",
    "area_ar",
    "suppressed",
    "orders_completed",
    "total_paid",
    "median_price",
    "hours_worked",
    "earnings_per_hour",
)
"""The columns of the CSV and the keys of each cell in the JSON, in this order."""

Value = str | int | bool | None


def _text(amount: object) -> str | None:
    return None if amount is None else str(amount)


def record(cell: Cell, areas: dict[str, str]) -> dict[str, Value]:
    """One published cell as the CSV and the JSON give it: amounts as exact text, empty (null)
    where suppressed."""
    return {
        "week": cell.week,
        "week_starts": disclosure.parse_week(cell.week).isoformat(),
        "currency": cell.currency,
        "sector": cell.sector,
        "area": cell.area,
        "area_ar": areas.get(cell.area),
        "suppressed": cell.suppressed,
        "orders_completed": cell.orders,
        "total_paid": _text(cell.total_paid),
        "median_price": _text(cell.median_price),
        "hours_worked": _text(cell.hours),
        "earnings_per_hour": _text(cell.earnings_per_hour),
    }
