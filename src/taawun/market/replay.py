"""The recent paid orders, read for the impact preview of a policy change (``domain.impact``).

One query reads every order with what its price was worked out from: a trip's estimated km and
minutes, a booking's hours, the booking a late-cancellation fee was charged for, a licence's
kind. Projects and products need nothing more: their agreed price stands.

The trips' dispatch batches are read only when the replay asks for them (a change of the
dispatch rules): two more queries, the trips' offers and the recorded batches of their first
offers (``DispatchRun.inputs``), passed on as columns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import QuerySet
from numpy.typing import NDArray

from taawun.coop.selectors import current_policy
from taawun.domain.impact import SECTORS, BatchTable, OrderTable
from taawun.domain.money import MINOR_UNITS

from .models import Order, Sector, Status
from .trips.models import DispatchRun, Offer

MICROSECOND = dt.timedelta(microseconds=1)


def _scaled(value: Decimal, places: int) -> int:
    return int(value.scaleb(places))


def _paid(since: dt.datetime, currency: str) -> QuerySet[Order]:
    return Order.objects.filter(
        status=Status.COMPLETED,
        payment__isnull=False,
        payment__recorded_at__gte=since,
        refund__isnull=True,
        currency=currency,
    )


def batches_for_replay(*, since: dt.datetime) -> BatchTable:
    """The recorded dispatch batches of the first offers of the trips ``orders_for_replay``
    reads, in two queries however many there are."""
    paid = _paid(since, current_policy().policy.currency).values("pk")
    offers = Offer.objects.filter(trip__order__in=paid)
    first: dict[int, tuple[int, int]] = {}
    for order_id, run_id, worker_id in offers.order_by(
        "trip__order_id", "offered_at", "pk"
    ).values_list("trip__order_id", "run_id", "worker_id"):
        first.setdefault(order_id, (run_id, worker_id))
    wanted = {run_id for run_id, _worker in first.values()}
    columns: dict[str, list[Any]] = defaultdict(list)
    recorded = set()
    runs = DispatchRun.objects.filter(pk__in=offers.values("run_id"), inputs__isnull=False)
    for run_id, inputs in runs.order_by("pk").values_list("pk", "inputs").iterator(chunk_size=500):
        if run_id not in wanted or inputs is None:
            continue  # a later offer's batch
        recorded.add(run_id)
        requests, workers, barred = inputs["requests"], inputs["workers"], inputs["barred"]
        columns["batch"] += [run_id] * len(requests["order"])
        columns["order_id"] += requests["order"]
        columns["request_latitude"] += requests["latitude"]
        columns["request_longitude"] += requests["longitude"]
        columns["worker_batch"] += [run_id] * len(workers["member"])
        columns["member"] += workers["member"]
        columns["worker_latitude"] += workers["latitude"]
        columns["worker_longitude"] += workers["longitude"]
        columns["hourly_earnings"] += workers["hourly_earnings"]
        columns["active_hours"] += workers["active_hours"]
        columns["barred_batch"] += [run_id] * len(barred)
        columns["barred_order"] += [order for order, _member in barred]
        columns["barred_member"] += [member for _order, member in barred]
    trips = sorted((order, *first[order]) for order in first if first[order][0] in recorded)

    def ints(values: list[int]) -> NDArray[np.int64]:
        return np.array(values, dtype=np.int64)

    return BatchTable(
        batch=ints(columns["batch"]),
        order_id=ints(columns["order_id"]),
        request_latitude=columns["request_latitude"],
        request_longitude=columns["request_longitude"],
        worker_batch=ints(columns["worker_batch"]),
        member=ints(columns["member"]),
        worker_latitude=columns["worker_latitude"],
        worker_longitude=columns["worker_longitude"],
        hourly_earnings=columns["hourly_earnings"],
        active_hours=columns["active_hours"],
        barred_batch=ints(columns["barred_batch"]),
        barred_order=ints(columns["barred_order"]),
        barred_member=ints(columns["barred_member"]),
        trip=ints([order for order, _run, _worker in trips]),
        trip_batch=ints([run for _order, run, _worker in trips]),
        first_offer=ints([worker for _order, _run, worker in trips]),
    )


def orders_for_replay(*, since: dt.datetime) -> OrderTable:
    """The completed orders whose payment went into the books at or after ``since`` and was not
    refunded, in the co-op's currency, in order of their ids; their trips' dispatch batches are
    read when the replay asks for them."""
    currency = current_policy().policy.currency
    places = MINOR_UNITS[currency]
    rows = (
        _paid(since, currency)
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
        dispatch_batches=lambda: batches_for_replay(since=since),
    )
