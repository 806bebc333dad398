"""The recent paid orders, read for the impact preview of a policy change (``domain.impact``).

One query reads every order with what its price was worked out from: a trip's estimated km and
minutes, a booking's hours, the booking a late-cancellation fee was charged for, a licence's
kind. Projects and products need nothing more: their agreed price stands.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from taawun.coop.selectors import current_policy
from taawun.domain.impact import SECTORS, OrderTable
from taawun.domain.money import MINOR_UNITS

from .models import Order, Sector, Status

MICROSECOND = dt.timedelta(microseconds=1)


def _scaled(value: Decimal, places: int) -> int:
    return int(value.scaleb(places))


def orders_for_replay(*, since: dt.datetime) -> OrderTable:
    """The completed orders whose payment went into the books at or after ``since`` and was not
    refunded, in the co-op's currency, in order of their ids."""
    currency = current_policy().policy.currency
    places = MINOR_UNITS[currency]
    rows = (
        Order.objects.filter(
            status=Status.COMPLETED,
            payment__isnull=False,
            payment__recorded_at__gte=since,
            refund__isnull=True,
            currency=currency,
        )
        .order_by("pk")
        .values_list(
            "pk",
            "worker_id",
            "sector",
            "payment__date",
            "price",
            "tip",
            "hours",
            "created_at",
            "trip__estimated_km",
            "trip__estimated_minutes",
            "late_fee_for__order__hours",
            "late_fee_for__starts_at",
            "licence__licence_key",
        )
    )
    sector_codes = {name: code for code, name in enumerate(SECTORS)}
    licence_codes: dict[str, int] = {}
    columns: dict[str, list[object]] = {
        name: []
        for name in (
            "order_id",
            "worker",
            "sector",
            "day",
            "price",
            "tip",
            "hours",
            "km",
            "minutes",
            "booked_hours",
            "late_fee",
            "notice",
            "licence",
        )
    }
    for (
        pk,
        worker,
        sector,
        day,
        price,
        tip,
        hours,
        created_at,
        km,
        minutes,
        cancelled_hours,
        cancelled_start,
        licence,
    ) in rows.iterator(chunk_size=5000):
        late_fee = cancelled_start is not None
        columns["order_id"].append(pk)
        columns["worker"].append(worker)
        columns["sector"].append(sector_codes[sector])
        columns["day"].append(day)
        columns["price"].append(_scaled(price, places))
        columns["tip"].append(_scaled(tip, places))
        columns["hours"].append(_scaled(hours, 2))
        columns["km"].append(_scaled(km, 1) if km is not None else 0)
        columns["minutes"].append(int(minutes) if minutes is not None else 0)
        booked = cancelled_hours if late_fee else hours if sector == Sector.SERVICE else 0
        columns["booked_hours"].append(_scaled(Decimal(booked), 2))
        columns["late_fee"].append(late_fee)
        # the fee's order was made in the same moment as the cancellation it charges for
        columns["notice"].append((cancelled_start - created_at) // MICROSECOND if late_fee else 0)
        columns["licence"].append(
            licence_codes.setdefault(licence, len(licence_codes)) if licence else -1
        )

    def ints(name: str) -> NDArray[np.int64]:
        return np.array(columns[name], dtype=np.int64)

    return OrderTable(
        currency=currency,
        order_id=ints("order_id"),
        worker=ints("worker"),
        sector=ints("sector"),
        day=np.array(columns["day"], dtype="datetime64[D]"),
        price=ints("price"),
        tip=ints("tip"),
        hours=ints("hours"),
        km=ints("km"),
        minutes=ints("minutes"),
        booked_hours=ints("booked_hours"),
        late_fee=np.array(columns["late_fee"], dtype=np.bool_),
        notice=ints("notice"),
        licence=ints("licence"),
        licence_keys=tuple(licence_codes),
    )
