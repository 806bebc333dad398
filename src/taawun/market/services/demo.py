"""Demo data for the services sector: the board's services, the cleaners' weekly hours in
Ramallah and Al-Bireh, and customers' bookings in every state (waiting, confirmed, done and
rated, moved, declined, cancelled late), all made through the real actions."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from taawun.accounts.actions import create_account
from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.market import actions as market
from taawun.market.models import Order
from taawun.members.models import Membership

from . import actions, selectors

SERVICES = [
    ("تنظيف منزل", "Home cleaning", "غرفتان ومطبخ وحمام. Two rooms, kitchen and bathroom.", 120),
    ("تنظيف عميق", "Deep cleaning", "بعد الانتقال أو البناء. After a move or building work.", 240),
    ("غسيل سجاد وكنب", "Carpet and sofa washing", "في البيت، بآلة البخار. At home, by steam.", 90),
    ("تنظيف واجهات زجاجية", "Window cleaning", "نوافذ وواجهات حتى الطابق الثالث.", 60),
    (
        "تصليحات منزلية صغيرة",
        "Small home repairs",
        "حنفيات، مقابض، رفوف. Taps, handles, shelves.",
        90,
    ),
]
CUSTOMERS = [
    ("svc-lina", "لينا حداد"),
    ("svc-george", "جورج خوري"),
    ("svc-maha", "مها البرغوثي"),
    ("svc-nizar", "نزار العاروري"),
    ("svc-sara", "Sara Whitfield"),
]
COMMENTS = [
    "ممتاز ودقيق في الموعد",
    "Spotless kitchen, thank you!",
    "شغل نظيف، أنصح به",
    "",
    "Very careful with the carpets.",
]
WORKERS = ("khalil", "rana", "yousef", "huda", "sami", "mariam", "fadi", "nour")
# Saturday to Thursday; Friday is the day off.
WORKING_DAYS = (5, 6, 0, 1, 2, 3)
HOURS = ((dt.time(8), dt.time(14)), (dt.time(9), dt.time(17)), (dt.time(12), dt.time(19)))


def _next_slot(
    service_id: int, customer: User, day: dt.date, rng: random.Random
) -> tuple[dt.datetime, int] | None:
    service = selectors.service_or_404(service_id)
    for offset in range(14):
        slots = selectors.free_slots(service, day + dt.timedelta(days=offset), customer=customer)
        if slots:
            slot = rng.choice(slots)
            return slot.starts_at, rng.choice(slot.workers).number
    return None


def _book(
    customer: User, service_id: int, day: dt.date, rng: random.Random, tip: str = "0"
) -> Order | None:
    found = _next_slot(service_id, customer, day, rng)
    if found is None:
        return None
    starts_at, worker = found
    return actions.book(
        actor=customer,
        service_id=service_id,
        starts_at=starts_at,
        worker_number=worker if rng.random() < 0.5 else None,
        method=rng.choice(["cash", "bank", "wallet"]),
        tip=Money(Decimal(tip), "ILS") if tip != "0" else None,
    )


def populate(founder: User) -> None:
    from taawun.demo import DEMO_PASSWORD  # the demo calls this module: imported when run

    rng = random.Random(4202)  # the same demo every time
    services = [
        actions.create_service(
            actor=founder,
            title_ar=title_ar,
            title_en=title_en,
            description=description,
            duration_minutes=minutes,
        )
        for title_ar, title_en, description, minutes in SERVICES
    ]
    workers = list(
        Membership.objects.filter(user__email__in=[f"{w}@demo.taawun.example" for w in WORKERS])
        .exclude(status=Membership.Status.LEFT)
        .select_related("user")
        .order_by("number")
    )
    for worker in workers:
        starts, ends = rng.choice(HOURS)
        days = [d for d in WORKING_DAYS if rng.random() < 0.8]
        actions.set_availability(actor=worker.user, windows=[(d, starts, ends) for d in days])
    customers = [
        create_account(
            email=f"{handle}@demo.taawun.example",
            full_name=name,
            password=DEMO_PASSWORD,
        )
        for handle, name in CUSTOMERS
    ]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for index, customer in enumerate(customers):
        service = services[index % len(services)]
        # Work done and rated (booked for the coming days, done early at the customer's wish).
        done = _book(customer, service.pk, tomorrow, rng, tip=rng.choice(["0", "10", "20"]))
        if done is not None and done.worker is not None:
            doer = done.worker.user
            for step in (actions.confirm, actions.start, actions.complete):
                step(actor=doer, order_id=done.pk)
            market.rate(
                actor=customer,
                order_id=done.pk,
                stars=rng.choice([4, 5, 5]),
                comment=COMMENTS[index % len(COMMENTS)],
            )
        # A confirmed booking next week and one still waiting for its worker.
        later = _book(
            customer, services[(index + 1) % len(services)].pk, tomorrow + dt.timedelta(days=6), rng
        )
        if later is not None and later.worker is not None:
            actions.confirm(actor=later.worker.user, order_id=later.pk)
        _book(
            customer, services[(index + 2) % len(services)].pk, tomorrow + dt.timedelta(days=3), rng
        )
    first, second = customers[0], customers[1]
    moved = _book(first, services[0].pk, tomorrow + dt.timedelta(days=10), rng)
    if moved is not None:
        target = _next_slot(services[0].pk, first, tomorrow + dt.timedelta(days=12), rng)
        if target is not None:
            actions.reschedule(actor=first, order_id=moved.pk, starts_at=target[0])
    declined = _book(second, services[2].pk, tomorrow + dt.timedelta(days=4), rng)
    if declined is not None and declined.worker is not None:
        actions.decline(
            actor=declined.worker.user, order_id=declined.pk, reason="عندي موعد طبيب في ذلك اليوم"
        )
    late = _book(second, services[1].pk, tomorrow, rng)
    if late is not None:
        actions.cancel(actor=second, order_id=late.pk)  # a fee when inside the late window
