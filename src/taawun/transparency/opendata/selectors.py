"""The open data: what the co-op's completed work amounts to, week by week, for anyone.

An order counts when it is completed and paid and has not been refunded, in the ISO week of its
payment's date in the books. Only closed weeks are published (never the current one), and the
cells are those of ``domain.disclosure``: per week, currency, sector and, for trips, area, with
small cells suppressed. A trip's area is the named place of the co-op (the board's list, the
one customers pick from) nearest to its pickup; the other sectors carry no place, so their area
is "all".

A week is published once, as soon as it has closed, and frozen (``PublishedWeek``): a late
completion or refund of an order paid in it does not change its figures, since two differing
downloads of one week could tell what one order was. So each visit counts only the weeks that
closed since the last publication, and the frozen ones are cached until the next week closes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from taawun.domain import disclosure, geo
from taawun.domain.disclosure import ALL, Cell, Sale
from taawun.domain.errors import InvalidInput, gettext_noop
from taawun.market.models import Order, Sector, Status
from taawun.market.trips.models import Place

from .models import PublishedWeek

CACHE_SECONDS = 7 * 24 * 3600
CHUNK = 5000
WEEK = dt.timedelta(weeks=1)
AMOUNTS = ("total_paid", "median_price", "hours", "earnings_per_hour")


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


def _counted() -> QuerySet[Order]:
    """The orders the open data counts: completed, paid, unrefunded, done by a worker."""
    return Order.objects.filter(
        status=Status.COMPLETED, payment__isnull=False, refund__isnull=True, worker__isnull=False
    )


def _sales(since: dt.date, before: dt.date, areas: list[Area]) -> Iterator[Sale]:
    """Every counted order paid from ``since`` up to, not including, ``before``."""
    rows = (
        _counted()
        .filter(payment__date__gte=since, payment__date__lt=before)
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


def _frozen(cell: Cell) -> dict[str, object]:
    return {
        **{name: getattr(cell, name) for name in Cell.__dataclass_fields__},
        **{name: _text(getattr(cell, name)) for name in AMOUNTS},
    }


def _thawed(stored: dict[str, Any]) -> Cell:
    amounts = {name: None if stored[name] is None else Decimal(stored[name]) for name in AMOUNTS}
    return Cell(**{**stored, **amounts})


def _publish_closed_weeks(this_monday: dt.date) -> None:
    """Count and freeze every week that has closed since the last one published."""
    last = PublishedWeek.objects.order_by("-monday").values_list("monday", flat=True).first()
    if last is not None:
        since = last + WEEK
    else:
        first_paid = _counted().order_by("payment__date").values_list("payment__date", flat=True)
        if not (found := first_paid.first()) or found >= this_monday:
            return
        since = found - dt.timedelta(days=found.weekday())
    if since >= this_monday:
        return
    by_week: dict[str, list[dict[str, object]]] = {}
    for cell in disclosure.publish(list(_sales(since, this_monday, _areas()))):
        by_week.setdefault(cell.week, []).append(_frozen(cell))
    now = timezone.now()
    weeks = [since + WEEK * n for n in range((this_monday - since) // WEEK)]
    try:
        with transaction.atomic():
            PublishedWeek.objects.bulk_create(
                PublishedWeek(
                    monday=monday,
                    cells=by_week.get(disclosure.week_of(monday), []),
                    published_at=now,
                )
                for monday in weeks
            )
    except IntegrityError:  # another visitor published them a moment ago, from the same orders
        pass


def _published(this_monday: dt.date) -> OpenData:
    _publish_closed_weeks(this_monday)
    weeks = list(PublishedWeek.objects.all())
    cells = [_thawed(cell) for week in weeks for cell in week.cells]
    return OpenData(
        through=disclosure.week_of(weeks[-1].monday) if cells else None,
        cells=cells,
        areas={area.name_en: area.name_ar for area in _areas()},
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
