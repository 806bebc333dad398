"""Demo shop: members of the demo co-op selling what they make around Ramallah and Al-Bireh, and
customers' orders at each step (waiting, confirmed, handed over and paid, refused)."""

from __future__ import annotations

import random
from decimal import Decimal

from taawun.accounts.actions import create_account
from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.members.models import Membership

from . import actions

# (Arabic name, English name, description, price, unit, stock, delivery, place, lat, lon)
CATALOGUE = [
    (
        "عسل جبلي",
        "Mountain honey",
        "عسل ربيعي من مناحل عين قينيا.",
        "55.00",
        "jar",
        24,
        True,
        "Ein Qiniya, the apiary",
        "31.9290",
        "35.1540",
    ),
    (
        "زيت زيتون بكر",
        "Virgin olive oil",
        "عصرة أولى من معصرة سنجل.",
        "38.00",
        "litre",
        60,
        True,
        "Al-Bireh, Jerusalem Street",
        "31.9100",
        "35.2150",
    ),
    (
        "زعتر بلدي",
        "Home-made zaatar",
        "زعتر مجفف مع سماق وسمسم محمص.",
        "20.00",
        "bag",
        40,
        False,
        "Ramallah, old city",
        "31.9020",
        "35.2030",
    ),
    (
        "مفتول",
        "Maftoul",
        "مفتول يدوي من قمح بلدي.",
        "25.00",
        "kg",
        15,
        True,
        "Beitunia, main road",
        "31.8960",
        "35.1680",
    ),
    (
        "مربى تين",
        "Fig jam",
        "تين من بيرزيت، سكر قليل.",
        "18.00",
        "jar",
        30,
        False,
        "Birzeit, near the university",
        "31.9590",
        "35.1940",
    ),
    (
        "صابون زيت زيتون",
        "Olive oil soap",
        "صابون نابلسي الطريقة، بدون عطور.",
        "12.00",
        "bar",
        80,
        True,
        "Al-Bireh, Jerusalem Street",
        "31.9100",
        "35.2150",
    ),
    (
        "كعك بالسمسم",
        "Sesame ka'ak",
        "يخبز كل صباح.",
        "3.00",
        "piece",
        50,
        False,
        "Ramallah, Al-Manara",
        "31.9040",
        "35.2040",
    ),
    (
        "تطريز فلاحي",
        "Fallahi embroidery",
        "وسادة مطرزة يدويًا، غرزة الصليب.",
        "140.00",
        "piece",
        6,
        True,
        "Sardah, the village square",
        "31.9680",
        "35.2060",
    ),
]
# (handle, Arabic name, English name)
CUSTOMERS = [
    ("shop-lina", "لينا صالح"),
    ("shop-nader", "نادر الريماوي"),
    ("shop-salma", "سلمى دراغمة"),
    ("shop-tariq", "طارق البرغوثي"),
]
DROPOFFS = [
    ("Ramallah, Al-Irsal Street 12", "31.9070", "35.2060"),
    ("Al-Bireh, Al-Balou' 4", "31.9180", "35.2140"),
]


def _customer(handle: str, name: str) -> User:
    from taawun.demo import DEMO_DOMAIN, DEMO_PASSWORD  # the demo imports the sectors' demos

    return create_account(email=f"{handle}@{DEMO_DOMAIN}", full_name=name, password=DEMO_PASSWORD)


def populate(founder: User) -> None:
    """Products by the demo's worker members, and orders at every step of their life."""
    rng = random.Random(4242)  # the same shop every time
    producers = list(
        Membership.objects.filter(member_class="worker")
        .exclude(status=Membership.Status.LEFT)
        .exclude(user=founder)
        .select_related("user")
        .order_by("number")[:4]
    )
    products = []
    for index, row in enumerate(CATALOGUE):
        name_ar, name_en, description, price, unit, stock, delivery, place, lat, lon = row
        producer = producers[index % len(producers)]
        products.append(
            actions.list_product(
                actor=producer.user,
                name_ar=name_ar,
                name_en=name_en,
                description=description,
                unit_price=Money(Decimal(price), "ILS"),
                unit=unit,
                stock=stock,
                pickup=True,
                delivery=delivery,
                place_label=place,
                place=(lat, lon),
            )
        )
    customers = [_customer(handle, name) for handle, name in CUSTOMERS]
    for number, customer in enumerate(customers):
        delivery = number == len(customers) - 1
        for product in rng.sample([p for p in products if p.delivery or not delivery], 3):
            actions.add_to_cart(actor=customer, product_id=product.pk, quantity=rng.randint(1, 3))
        label, lat, lon = DROPOFFS[number % len(DROPOFFS)]
        orders = actions.checkout(
            actor=customer,
            fulfilment="delivery" if delivery else "pickup",
            method=rng.choice(["cash", "bank", "wallet"]),
            idempotency_key=f"demo-shop-{number}",
            dropoff=actions.checked_dropoff(label, lat, lon) if delivery else None,
        )
        for step, order in enumerate(orders):
            seller = order.worker
            assert seller is not None
            if number == 0:
                continue  # waiting for the producers
            if number == 1 and step == 0:
                actions.refuse(actor=seller.user, order_id=order.pk, reason="نفدت الكمية من المخزن")
                continue
            actions.confirm(actor=seller.user, order_id=order.pk)
            if number == 2 and not delivery:
                actions.hand_over(actor=seller.user, order_id=order.pk)
