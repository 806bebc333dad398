"""Reading the recent paid orders for the impact preview: exactly the completed, paid orders of
the weeks asked for, with what each sector's price was worked out from, in a fixed number of
queries; replayed under the policy they were made under, they give back their receipts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain import geo
from taawun.domain.impact import SECTORS, preview
from taawun.domain.money import Money
from taawun.market.models import Order, Status
from taawun.market.products import actions as shop
from taawun.market.projects import actions as projects
from taawun.market.replay import orders_for_replay
from taawun.market.services import actions as services
from taawun.market.services.models import Booking
from taawun.market.trips import actions as trips
from taawun.market.works import actions as works
from taawun.members.models import Membership
from tests.core.helpers import Clock
from tests.market.works.conftest import image_bytes, upload

pytestmark = [pytest.mark.django_db]

D = Decimal
MONDAY = dt.date(2030, 3, 4)  # the clock starts on Friday 1 March 2030
MORNINGS = [(day, dt.time(8), dt.time(12)) for day in range(7)]


def ils(amount: str) -> Money:
    return Money(D(amount), "ILS")


def at(day: dt.date, hours: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hours)))


def point(lat: str, lon: str) -> geo.Point:
    return geo.point(lat, lon)


MANARA, BIRZEIT, SARDAH = (
    point("31.9038", "35.2034"),
    point("31.9590", "35.1820"),
    point("31.9370", "35.2030"),
)


def ride(customer: User, worker: Membership, *, complete: bool) -> Order:
    """A ride from Al-Manara to Birzeit (8.4 km, 20 minutes: 23.60) with a 5.00 tip, dispatched
    to ``worker``; completed in 24 minutes when ``complete``."""
    order = trips.request_trip(
        actor=customer,
        kind="ride",
        pickup=MANARA,
        dropoff=BIRZEIT,
        pickup_label="Al-Manara Square",
        dropoff_label="Birzeit University",
        method="cash",
        tip=D("5.00"),
    )
    trips.run_dispatch()
    if complete:
        trips.accept_offer(actor=worker.user, order_id=order.pk)
        trips.pick_up(actor=worker.user, order_id=order.pk)
        trips.complete_trip(actor=worker.user, order_id=order.pk, km=D("9.1"), minutes=D("24"))
    return order


def milestones(customer: User, worker: Membership) -> list[Order]:
    """A brief agreed with ``worker`` in two milestones of 200.00 and 300.00."""
    brief = projects.post_brief(
        actor=customer, title="A logo", description="A round logo in Arabic and English."
    )
    proposal = projects.propose(
        actor=worker.user,
        brief_id=brief.pk,
        price=ils("500.00"),
        days=10,
        plan="Sketches, then the chosen one in colour.",
        milestones=[
            projects.Step(title="Sketches", amount=ils("200.00")),
            projects.Step(title="Final files", amount=ils("300.00")),
        ],
    )
    agreed = projects.choose_proposal(actor=customer, proposal_id=proposal.pk, method="cash")
    return [m.order for m in agreed.milestones.select_related("order").order_by("number")]


def honey(customer: User, producer: Membership, key: str) -> Order:
    """Two jars of honey at 45.00, ordered for pickup and confirmed by the producer."""
    product = shop.list_product(
        actor=producer.user,
        name_ar="عسل",
        name_en="Honey",
        description="",
        unit_price=ils("45.00"),
        unit="jar",
        stock=10,
        pickup=True,
        delivery=False,
        place_label="Al-Bireh",
        place=("31.9100", "35.2150"),
    )
    shop.add_to_cart(actor=customer, product_id=product.pk, quantity=2)
    (order,) = shop.checkout(
        actor=customer, fulfilment="pickup", method="cash", idempotency_key=key
    )
    shop.confirm(actor=producer.user, order_id=order.pk)
    return order


@pytest.fixture
def worked(
    clock: Clock,
    founder: User,
    make_member: Callable[..., Membership],
    make_account: Callable[..., User],
) -> dict[str, Any]:
    """A week of work in every sector, through the actions; returns what the test checks."""
    customer = make_account(name="Lina Customer")
    driver, cleaner, designer, producer, creator = (make_member() for _ in range(5))
    early = honey(customer, producer, "early")
    shop.hand_over(actor=producer.user, order_id=early.pk)  # paid before the weeks asked for
    clock.advance(days=1)
    since = clock.now

    for lat, lon, name in (("31.9038", "35.2034", "Al-Manara"), ("31.9590", "35.1820", "Birzeit")):
        trips.add_place(actor=founder, name_ar=name, name_en=name, latitude=lat, longitude=lon)
    trips.set_presence(actor=driver.user, online=True, position=SARDAH)
    trip = ride(customer, driver, complete=True)
    waiting = ride(customer, driver, complete=False)  # offered to the driver, not yet done

    accepted, delivered = milestones(customer, designer)
    projects.deliver(actor=designer.user, order_id=accepted.pk, note="Sketches")
    projects.accept(actor=customer, order_id=accepted.pk, tip=ils("20.00"))
    projects.deliver(actor=designer.user, order_id=delivered.pk, note="Final files")

    sold = honey(customer, producer, "sold")
    shop.hand_over(actor=producer.user, order_id=sold.pk)
    confirmed = honey(customer, producer, "confirmed")  # not handed over yet

    work = works.upload_work(
        actor=creator.user,
        title="Olive harvest",
        description="",
        kind="photo",
        tags="olives",
        image=upload(image_bytes()),
    )
    licence = works.buy_licence(
        actor=customer, work_id=work.pk, licence_key="commercial", method="cash"
    )

    cleaning = services.create_service(
        actor=founder, title_ar="تنظيف", title_en="Cleaning", duration_minutes=150
    )
    services.set_availability(actor=cleaner.user, windows=MORNINGS)
    done = services.book(
        actor=customer, service_id=cleaning.pk, starts_at=at(MONDAY, 9), method="cash"
    )
    tuesday = MONDAY + dt.timedelta(days=1)
    cancelled = services.book(
        actor=customer, service_id=cleaning.pk, starts_at=at(tuesday, 9), method="cash"
    )
    services.confirm(actor=cleaner.user, order_id=done.pk)
    clock.now = at(MONDAY, 9)
    services.start(actor=cleaner.user, order_id=done.pk)
    services.complete(actor=cleaner.user, order_id=done.pk)
    clock.now = at(tuesday, 9) - dt.timedelta(hours=20, minutes=30)
    services.cancel(actor=customer, order_id=cancelled.pk)
    late_fee = Booking.objects.get(order=cancelled).late_fee
    assert late_fee is not None
    return {
        "since": since,
        "paid": {
            trip.pk: driver,
            accepted.pk: designer,
            sold.pk: producer,
            licence.order_id: creator,
            done.pk: cleaner,
            late_fee.pk: cleaner,
        },
        "unpaid": [early.pk, waiting.pk, delivered.pk, confirmed.pk, cancelled.pk],  # not read
        "ids": {
            "trip": trip.pk,
            "milestone": accepted.pk,
            "honey": sold.pk,
            "licence": licence.order_id,
            "cleaning": done.pk,
            "late_fee": late_fee.pk,
        },
    }


def test_exactly_the_completed_paid_orders_are_read_with_their_details(
    worked: dict[str, Any],
) -> None:
    table = orders_for_replay(since=worked["since"])
    paid = worked["paid"]
    assert table.order_id.tolist() == sorted(paid)
    assert not set(worked["unpaid"]) & set(table.order_id.tolist())
    left = Order.objects.in_bulk(worked["unpaid"])
    assert [left[pk].status for pk in worked["unpaid"]] == [
        Status.COMPLETED,  # but paid before the weeks asked for
        Status.OFFERED,
        Status.DELIVERED,
        Status.CONFIRMED,
        Status.CANCELLED,  # its late fee is an order of its own
    ]
    assert table.worker.tolist() == [paid[pk].pk for pk in sorted(paid)]
    rows = {
        pk: {
            "sector": SECTORS[table.sector[i]],
            "price": int(table.price[i]),
            "tip": int(table.tip[i]),
            "hours": int(table.hours[i]),
            "km": int(table.km[i]),
            "minutes": int(table.minutes[i]),
            "booked": int(table.booked_hours[i]),
            "late_fee": bool(table.late_fee[i]),
            "notice": int(table.notice[i]),
            "licence": table.licence_keys[table.licence[i]] if table.licence[i] >= 0 else None,
        }
        for i, pk in enumerate(table.order_id.tolist())
    }
    ids = worked["ids"]
    nothing = {"km": 0, "minutes": 0, "booked": 0, "late_fee": False, "notice": 0, "licence": None}

    def row(sector: str, price: int, tip: int = 0, hours: int = 0, **rest: Any) -> dict[str, Any]:
        return {"sector": sector, "price": price, "tip": tip, "hours": hours, **nothing, **rest}

    assert rows == {
        # the upfront price from the estimate; the hours from the 24 minutes it took
        ids["trip"]: row("trip", 2360, 500, 40, km=84, minutes=20),
        ids["milestone"]: row("project", 20000, 2000),
        ids["honey"]: row("product", 9000),
        ids["licence"]: row("work", 6000, licence="commercial"),
        # 2 h 30 min at 45.00
        ids["cleaning"]: row("service", 11250, hours=250, booked=250),
        # 25% of 112.50, cancelled 20 h 30 min before the start
        ids["late_fee"]: row(
            "service", 2813, booked=250, late_fee=True, notice=(20 * 60 + 30) * 60 * 10**6
        ),
    }
    days = table.day.astype(object).tolist()
    assert days[-1] == MONDAY  # the late fee, paid on Monday afternoon
    assert min(days) == timezone.localdate(worked["since"])


def test_nothing_before_the_weeks_asked_for_and_nothing_refunded(worked: dict[str, Any]) -> None:
    everything = orders_for_replay(since=worked["since"] - dt.timedelta(days=30))
    assert len(everything) == len(worked["paid"]) + 1  # the honey sold before
    assert len(orders_for_replay(since=timezone.now() + dt.timedelta(days=1))) == 0


def test_the_read_takes_the_same_few_queries_however_many_orders(
    worked: dict[str, Any], django_assert_num_queries: Any
) -> None:
    current_policy()  # the policy is cached: its first read is not the replay's
    with django_assert_num_queries(2):  # the data version (the policy's cache key), the orders
        assert len(orders_for_replay(since=worked["since"])) == 6
    with django_assert_num_queries(2):
        assert len(orders_for_replay(since=timezone.now() + dt.timedelta(days=1))) == 0


def test_replayed_under_their_own_policy_the_orders_give_back_their_receipts(
    worked: dict[str, Any],
) -> None:
    table = orders_for_replay(since=worked["since"])
    policy = current_policy().policy
    result = preview(policy, policy, table)
    recorded = Order.objects.filter(pk__in=table.order_id.tolist()).aggregate(
        *(Sum(name) for name in ("price", "tax", "coop_fee", "solidarity", "worker_share", "tip"))
    )
    totals = result.current.totals
    assert [
        totals.price,
        totals.tax,
        totals.coop_fee,
        totals.solidarity,
        totals.worker_share,
        totals.tip,
    ] == [
        Money.summed(recorded[f"{name}__sum"], "ILS")
        for name in ("price", "tax", "coop_fee", "solidarity", "worker_share", "tip")
    ]
    assert totals.orders == 6
    assert result.change.orders == 0
