"""The impact preview, measured in one run (``.venv/bin/python benchmarks/impact.py``).

A fee change (the co-op fee from 10% to 8%) previewed over 100,000 recent orders: eight weeks of
a synthetic co-op of about 500 working members, from a fixed seed (rides and deliveries, cleaning
bookings with a few late cancellations, shop orders, project milestones and licences, each
member mostly in one sector).

1. The pure replay (``domain.impact.preview``) of the orders held in memory: the median of a few
   runs after a warm-up.
2. The whole: the same orders in a temporary SQLite database (loaded in bulk, not timed), read by
   ``market.replay.orders_for_replay`` and previewed; the figures must be those of 1.
3. A dispatch change (the fairness weight from 0.6 to 2) over the same orders, each trip's
   first batch recorded: 1-minute batches over the eight weeks, 16 busy hours a day, each seeing
   ``--online`` workers (the pure replay, one run).

Every number is measured here; a missed target is printed as MISSED.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from taawun.domain.impact import (
    PRODUCT,
    PROJECT,
    SECTORS,
    SERVICE,
    TRIP,
    WORK,
    BatchTable,
    ImpactPreview,
    OrderTable,
    preview,
    reprice,
)
from taawun.domain.policy import (
    STANDARD_CLASS_NAMES,
    DispatchRules,
    FeeRules,
    Policy,
    founding_policy,
)

TARGET_SECONDS = 5.0
CLASSES = [
    {
        "key": "worker",
        "name": STANDARD_CLASS_NAMES["worker"],
        "share_price": "100.00",
        "works": True,
    }
]
WEEKS = 8
LICENCES = ("personal", "commercial", "extended")
SECTOR_SHARES = {TRIP: 0.55, SERVICE: 0.20, PRODUCT: 0.15, PROJECT: 0.03, WORK: 0.07}
LATE_FEE_SHARE = 0.02  # of the service orders
DURATIONS = np.array([120, 150, 180, 240])  # minutes, the board's services


def verdict(seconds: float) -> str:
    return "met" if seconds < TARGET_SECONDS else "MISSED"


def synthetic_orders(
    policy: Policy, orders: int, workers: int, last_day: dt.date, seed: int
) -> OrderTable:
    """``orders`` completed orders over WEEKS weeks ending on ``last_day``, done by ``workers``
    members each working mostly in one sector, some much more than others."""
    rng = np.random.default_rng(seed)
    sectors = np.array(list(SECTOR_SHARES))
    sector = rng.choice(sectors, size=orders, p=list(SECTOR_SHARES.values()))
    main_sector = rng.choice(sectors, size=workers, p=list(SECTOR_SHARES.values()))
    busyness = rng.gamma(2.0, 1.0, size=workers)  # some members take much more work
    worker = np.empty(orders, dtype=np.int64)
    for code in sectors:
        members = np.flatnonzero(main_sector == code)
        if not len(members):
            members = np.arange(workers)
        rows = np.flatnonzero(sector == code)
        weights = busyness[members] / busyness[members].sum()
        worker[rows] = rng.choice(members, size=len(rows), p=weights) + 1
    km = np.clip(np.round(rng.lognormal(np.log(6), 0.6, orders), 1), 0.5, 60) * 10
    minutes = np.round(km / 10 / 25 * 60)
    booked = rng.choice(DURATIONS, size=orders) * 100 // 60
    late_fee = (sector == SERVICE) & (rng.random(orders) < LATE_FEE_SHARE)
    trip_hours = np.round(minutes * rng.uniform(0.9, 1.4, orders) / 60 * 100)
    hours = np.select([sector == TRIP, (sector == SERVICE) & ~late_fee], [trip_hours, booked], 0)
    unit_price = rng.integers(10, 200, orders) * 100
    agreed = np.select(
        [sector == PRODUCT, sector == PROJECT],
        [unit_price * rng.integers(1, 5, orders), rng.integers(10, 200, orders) * 1000],
        1,
    )
    tips = np.where(rng.random(orders) < 0.25, rng.integers(1, 30, orders) * 100, 0)
    days_back = rng.integers(0, WEEKS * 7, orders)
    columns: dict[str, Any] = {
        "currency": policy.currency,
        "order_id": np.arange(1, orders + 1),
        "worker": worker,
        "sector": sector,
        "day": np.datetime64(last_day) - days_back,
        "price": agreed,
        "tip": np.where(late_fee | (sector == WORK), 0, tips),
        "hours": hours,
        "km": np.where(sector == TRIP, km, 0),
        "minutes": np.where(sector == TRIP, minutes, 0),
        "booked_hours": np.where(sector == SERVICE, booked, 0),
        "late_fee": late_fee,
        # cancelled inside the default late window of 24 h, or up to 2 h after the start
        "notice": np.where(late_fee, rng.integers(-2 * 3600, 24 * 3600, orders) * 10**6, 0),
        "licence": np.where(sector == WORK, rng.choice(3, size=orders, p=[0.6, 0.35, 0.05]), -1),
        "licence_keys": LICENCES,
    }
    # what customers were charged: the policy's own prices
    parts, _priced = reprice(policy, OrderTable(**columns))
    columns["price"] = parts[:, 0]
    return OrderTable(**columns)


def synthetic_batches(table: OrderTable, online: int, seed: int) -> BatchTable:
    """Each trip's first batch: the trips of one busy minute together, with ``online`` workers
    around Ramallah, first offered to the worker who did it (whom the synthetic batch may not
    choose: such trips are solved all the same and counted as not reproduced)."""
    rng = np.random.default_rng(seed)
    trips = np.flatnonzero(table.sector == TRIP)
    minute = rng.integers(0, WEEKS * 7 * 16 * 60, len(trips))
    keys = np.unique(minute)
    members = np.unique(table.worker)

    def degrees(centre: float, count: int) -> list[str]:
        return [f"{v:.6f}" for v in centre + rng.uniform(-0.05, 0.05, count)]

    order_key = minute
    worker_key = np.repeat(keys, online)
    chosen = [rng.choice(members, online, replace=False) for _ in keys]
    first = np.argsort(order_key, kind="stable")
    return BatchTable(
        batch=order_key[first],
        order_id=table.order_id[trips][first],
        request_latitude=degrees(31.90, len(trips)),
        request_longitude=degrees(35.20, len(trips)),
        worker_batch=worker_key,
        member=np.concatenate(chosen),
        worker_latitude=degrees(31.90, len(worker_key)),
        worker_longitude=degrees(35.20, len(worker_key)),
        hourly_earnings=[f"{v:.2f}" for v in rng.uniform(20, 80, len(worker_key))],
        active_hours=[f"{v:.2f}" for v in rng.uniform(1, 60, len(worker_key))],
        barred_batch=[],
        barred_order=[],
        barred_member=[],
        trip=table.order_id[trips],
        trip_batch=minute,
        first_offer=table.worker[trips],
    )


def timed(repeats: int, run: Callable[[], ImpactPreview]) -> tuple[float, ImpactPreview]:
    run()  # warm-up
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def summary(result: ImpactPreview) -> str:
    before, after = result.current, result.proposed
    gini = (
        f"{before.spread.summary.gini} -> {after.spread.summary.gini}"
        if before.spread and after.spread
        else "-"
    )
    return (
        f"co-op fees {before.totals.coop_fee} -> {after.totals.coop_fee}, workers earn"
        f" {result.change.earned} more; members below the floor {result.floor.below_now} ->"
        f" {result.floor.below_proposed}, pushed below by the change"
        f" {len(result.floor.pushed_below)}; Gini {gini}"
    )


def figures(result: ImpactPreview) -> tuple[object, ...]:
    """Everything but the member keys (the database numbers its members its own way)."""
    outcomes = []
    for outcome in (result.current, result.proposed):
        allocation = outcome.allocation
        split = (
            (allocation.reserve, allocation.education, allocation.solidarity, allocation.pool)
            if allocation
            else None
        )
        outcomes.append((outcome.totals, outcome.by_sector, outcome.top_ups, outcome.spread, split))
    members = [(m.hours, m.current, m.proposed) for m in result.members]
    return (*outcomes, members, len(result.floor.pushed_below))


# --- the database ----------------------------------------------------------------------------


def setup_django(directory: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'impact.sqlite3'}"
    os.environ["TAAWUN_DATA_DIR"] = str(directory)
    os.environ["DJANGO_SETTINGS_MODULE"] = "taawun.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def found(policy: Policy, workers: int) -> list[int]:
    """The co-op, its board and ``workers`` working members, through the actions."""
    from taawun.accounts.actions import create_account
    from taawun.accounts.models import User
    from taawun.coop.actions import found_coop
    from taawun.members import actions as members

    found_coop(
        name_ar="تعاونية القياس",
        name_en="Bench Co-op",
        handle="bench",
        policy=policy,
        founder_email="board@bench.example",
        founder_name="Board",
        founder_password=None,
        founder_class="worker",
    )
    board = User.objects.get(email="board@bench.example")
    ids = []
    for n in range(workers):
        person = create_account(email=f"w{n}@bench.example", full_name=f"W {n}", password=None)
        application = members.apply_for_membership(actor=person, member_class="worker")
        ids.append(members.approve_application(actor=board, application_id=application.pk).pk)
    return ids


def load(table: OrderTable, policy: Policy, customer: Any, member_ids: list[int]) -> None:
    """The orders as the actions would have left them: each paid by one sale entry, with its
    trip, booking (and the cancelled booking a late fee charges for) or licence."""
    from django.db import transaction
    from django.utils import timezone

    from taawun.ledger.actions import period_for
    from taawun.ledger.models import EntryKind, JournalEntry
    from taawun.market.models import Order, Status
    from taawun.market.services.models import Booking, Service
    from taawun.market.trips.models import Trip
    from taawun.market.works.models import LicenceGrant, Work

    def amount(units: int) -> Decimal:
        return Decimal(int(units)).scaleb(-2)

    member_of = dict(enumerate(member_ids, start=1))
    parts, _ = reprice(policy, table)
    batch = 5000
    with transaction.atomic():
        days = table.day.astype(object).tolist()
        periods = {day: period_for(day) for day in set(days)}
        entries = JournalEntry.objects.bulk_create(
            [
                JournalEntry(
                    number=i + 1,
                    date=day,
                    period=periods[day],
                    kind=EntryKind.SALE,
                    member_id=member_of[int(table.worker[i])],
                    hours=Decimal(int(table.hours[i])).scaleb(-2),
                    policy_version=1,
                    recorded_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))),
                )
                for i, day in enumerate(days)
            ],
            batch_size=batch,
        )
        orders = Order.objects.bulk_create(
            [
                Order(
                    sector=SECTORS[int(table.sector[i])],
                    status=Status.COMPLETED,
                    customer=customer,
                    worker_id=member_of[int(table.worker[i])],
                    title="Bench order",
                    currency=policy.currency,
                    price=amount(row[0]),
                    tax=amount(row[1]),
                    coop_fee=amount(row[2]),
                    solidarity=amount(row[3]),
                    worker_share=amount(row[4]),
                    tip=amount(table.tip[i]),
                    hours=Decimal(int(table.hours[i])).scaleb(-2),
                    policy_version=1,
                    payment=entries[i],
                )
                for i, row in enumerate(parts.tolist())
            ],
            batch_size=batch,
        )
        Trip.objects.bulk_create(
            [
                Trip(
                    order=orders[i],
                    kind=Trip.Kind.RIDE,
                    pickup_latitude=Decimal("31.9038"),
                    pickup_longitude=Decimal("35.2034"),
                    pickup_label="Al-Manara Square",
                    dropoff_latitude=Decimal("31.9590"),
                    dropoff_longitude=Decimal("35.1820"),
                    dropoff_label="Birzeit University",
                    estimated_km=Decimal(int(table.km[i])).scaleb(-1),
                    estimated_minutes=Decimal(int(table.minutes[i])),
                    method="cash",
                )
                for i in np.flatnonzero(table.sector == TRIP).tolist()
            ],
            batch_size=batch,
        )
        service = Service.objects.create(
            title_ar="تنظيف", title_en="Cleaning", duration_minutes=120
        )
        bookings = []
        for i in np.flatnonzero(table.sector == SERVICE).tolist():
            order = orders[i]
            minutes = int(table.booked_hours[i]) * 60 // 100
            if table.late_fee[i]:
                starts = order.created_at + dt.timedelta(microseconds=int(table.notice[i]))
                booked_price = parts[i, 0] * 4  # about: the fee is 25% of it
                cancelled = Order.objects.create(
                    sector="service",
                    status=Status.CANCELLED,
                    customer=customer,
                    worker_id=order.worker_id,
                    title="Bench booking",
                    currency=policy.currency,
                    price=amount(booked_price),
                    tax=0,
                    coop_fee=0,
                    solidarity=0,
                    worker_share=amount(booked_price),
                    tip=0,
                    hours=Decimal(int(table.booked_hours[i])).scaleb(-2),
                    policy_version=1,
                )
                bookings.append(
                    Booking(
                        order=cancelled,
                        service=service,
                        worker_id=order.worker_id,
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(minutes=minutes),
                        method="cash",
                        active=False,
                        late_fee=order,
                    )
                )
            else:
                starts = order.created_at - dt.timedelta(hours=3)
                bookings.append(
                    Booking(
                        order=order,
                        service=service,
                        worker_id=order.worker_id,
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(minutes=minutes),
                        method="cash",
                    )
                )
        Booking.objects.bulk_create(bookings, batch_size=batch)
        work_of: dict[int, Work] = {}
        grants = []
        for i in np.flatnonzero(table.sector == WORK).tolist():
            creator = orders[i].worker_id
            if creator not in work_of:
                work_of[creator] = Work.objects.create(
                    creator_id=creator,
                    title="Olive harvest",
                    kind="photo",
                    original=f"originals/{creator}.png",
                    preview=f"previews/{creator}.png",
                    image_type="png",
                    width=1200,
                    height=900,
                    size=100_000,
                )
            grants.append(
                LicenceGrant(
                    order=orders[i],
                    work=work_of[creator],
                    buyer=customer,
                    licence_key=LICENCES[int(table.licence[i])],
                    licence_name_ar="ترخيص",
                    licence_name_en="Licence",
                    download_token=f"token-{i}",
                )
            )
        LicenceGrant.objects.bulk_create(grants, batch_size=batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20301)
    parser.add_argument("--online", type=int, default=30, help="workers seen by each batch")
    args = parser.parse_args()

    current = founding_policy(currency="ILS", classes=CLASSES)
    proposed = current.model_copy(
        update={"fees": FeeRules(coop_fee_percent=Decimal(8), solidarity_percent=Decimal(2))}
    )
    last_day = dt.date.today() - dt.timedelta(days=1)
    table = synthetic_orders(current, args.orders, args.workers, last_day, args.seed)
    mix = ", ".join(
        f"{name} {int((table.sector == code).sum()):,}" for code, name in enumerate(SECTORS)
    )
    print(
        f"{len(table):,} orders over {WEEKS} weeks by {len(np.unique(table.worker))} members: {mix}"
    )

    print("1. The pure replay, fee 10% -> 8% (median of a few runs)")
    seconds, in_memory = timed(args.repeats, lambda: preview(current, proposed, table))
    print(f"   {seconds:.3f} s  target < {TARGET_SECONDS:.0f} s: {verdict(seconds)}")
    print(f"   {summary(in_memory)}")

    print("2. Read from SQLite (orders_for_replay) and replayed")
    with tempfile.TemporaryDirectory() as directory:
        setup_django(Path(directory))
        started = time.perf_counter()
        from taawun.accounts.actions import create_account
        from taawun.market.replay import orders_for_replay

        member_ids = found(current, args.workers)
        customer = create_account(email="c@bench.example", full_name="C", password=None)
        load(table, current, customer, member_ids)
        print(f"   loading the database took {time.perf_counter() - started:.1f} s (not timed)")
        since = dt.datetime.combine(
            last_day - dt.timedelta(days=WEEKS * 7 - 1), dt.time(), tzinfo=dt.UTC
        )

        def whole() -> ImpactPreview:
            return preview(current, proposed, orders_for_replay(since=since))

        seconds, from_database = timed(args.repeats, whole)
        start = time.perf_counter()
        read = orders_for_replay(since=since)
        reading = time.perf_counter() - start
        same = len(read) == len(table) and figures(from_database) == figures(in_memory)
        print(
            f"   {seconds:.3f} s (of which reading {len(read):,} orders {reading:.3f} s)"
            f"  target < {TARGET_SECONDS:.0f} s: {verdict(seconds)}"
        )
        print(f"   the same figures as in memory: {'yes' if same else 'NO'}")

    print("3. A dispatch change, fairness weight 0.6 -> 2, each trip's first batch replayed")
    batches = synthetic_batches(table, args.online, args.seed)
    fairer = current.model_copy(update={"dispatch": DispatchRules(fairness_weight=Decimal(2))})
    with_batches = dataclasses.replace(table, dispatch_batches=lambda: batches)
    start = time.perf_counter()
    moved = preview(current, fairer, with_batches)
    seconds = time.perf_counter() - start
    print(
        f"   {len(np.unique(batches.trip_batch)):,} batches of {args.online} workers:"
        f" {seconds:.3f} s  target < {TARGET_SECONDS:.0f} s: {verdict(seconds)}"
    )
    print(*(f"   {line}" for line in moved.explanation if "batch" in line.message), sep="\n")


if __name__ == "__main__":
    main()
