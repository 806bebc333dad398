"""Demo trips around Ramallah and Al-Bireh: the co-op's places, customers, workers online, and
trips at each stage (requested, offered with its explanation, under way, completed and paid,
cancelled), all made through the actions. Deterministic: the same demo every time."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from taawun.accounts.actions import create_account
from taawun.accounts.models import User
from taawun.domain import geo
from taawun.market.models import Order
from taawun.members.models import Membership

from . import actions
from .models import Place

DEMO_DOMAIN = "demo.taawun.example"

PLACES = [
    ("دوار المنارة", "Al-Manara Square", "31.9038", "35.2034"),
    ("بلدية البيرة", "Al-Bireh Municipality", "31.9100", "35.2170"),
    ("جامعة بيرزيت", "Birzeit University", "31.9590", "35.1820"),
    ("بيتونيا", "Beitunia", "31.8960", "35.1640"),
    ("سردا", "Sardah", "31.9370", "35.2030"),
    ("مستشفى رام الله الحكومي", "Ramallah Government Hospital", "31.9075", "35.2050"),
    ("مجمع رام الله الجديد", "New Ramallah Bus Station", "31.9055", "35.2095"),
    ("عين عريك", "Ein Arik", "31.9030", "35.1470"),
]

CUSTOMERS = [
    ("trips-maha", "مها السلوادي"),
    ("trips-ziad", "زياد الحلبي"),
    ("trips-sara", "Sara Haddad"),
]


def populate(founder: User) -> None:
    """Places, three customers and the trips listed in the module docstring."""
    from taawun.demo import DEMO_PASSWORD  # here: taawun.demo calls this module

    rng = random.Random(4242)  # the same demo every time
    places = [
        actions.add_place(actor=founder, name_ar=ar, name_en=en, latitude=lat, longitude=lon)
        for ar, en, lat, lon in PLACES
    ]
    customers = [
        create_account(email=f"{handle}@{DEMO_DOMAIN}", full_name=name, password=DEMO_PASSWORD)
        for handle, name in CUSTOMERS
    ]
    workers = list(
        Membership.objects.filter(member_class="worker")
        .exclude(status=Membership.Status.LEFT)
        .exclude(user=founder)
        .order_by("number")[:4]
    )

    def trip(customer: User, start: Place, end: Place, tip: str = "0") -> int:
        order = actions.request_trip(
            actor=customer,
            kind=rng.choice(["ride", "ride", "delivery"]),
            pickup=_at(start),
            dropoff=_at(end),
            pickup_label=start.name_ar,
            dropoff_label=end.name_ar,
            method=rng.choice(["cash", "bank", "wallet"]),
            tip=Decimal(tip),
        )
        return order.pk

    for worker, place in zip(workers, rng.sample(places, len(workers)), strict=False):
        actions.set_presence(actor=worker.user, online=True, position=_at(place))
    # a completed and paid trip, one under way, one offered, one cancelled, one waiting
    finished = trip(customers[0], places[0], places[2], tip="5.00")
    under_way = trip(customers[1], places[3], places[1])
    now = timezone.now()
    actions.run_dispatch(now=now)
    for order_id in (finished, under_way):
        order = _order(order_id)
        if order.worker is None:
            continue
        actions.accept_offer(actor=order.worker.user, order_id=order_id)
        actions.pick_up(actor=order.worker.user, order_id=order_id)
    done = _order(finished)
    if done.worker is not None and done.status == "in_progress":
        actions.complete_trip(
            actor=done.worker.user,
            order_id=finished,
            km=Decimal("9.1"),
            minutes=Decimal(rng.randint(20, 26)),
        )
    trip(customers[2], places[5], places[2])
    cancelled = trip(customers[0], places[6], places[7])
    actions.cancel_trip(actor=customers[0], order_id=cancelled)
    actions.run_dispatch(now=now + dt.timedelta(seconds=10))
    trip(customers[1], places[1], places[0])


def _at(place: Place) -> geo.Point:
    return geo.Point(place.latitude, place.longitude)


def _order(order_id: int) -> Order:
    return Order.objects.select_related("worker__user").get(pk=order_id)
