"""Demo creative works: photos, illustrations and designs by members of the demo co-op (drawn with
Pillow, so the demo needs no image files), licences bought by customers, and one work withdrawn
from sale after it sold."""

from __future__ import annotations

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from taawun.accounts.actions import create_account
from taawun.accounts.models import User
from taawun.demo import DEMO_DOMAIN, DEMO_PASSWORD
from taawun.members.models import Membership

from . import actions

# (creator's handle, title, description, kind, tags, style)
WORKS = [
    (
        "rana",
        "غروب فوق رام الله",
        "The sun going down behind the hills west of Ramallah, from Al-Tireh.",
        "photo",
        "رام الله, sunset, hills",
        "landscape",
    ),
    (
        "rana",
        "Olive terraces in Birzeit",
        "Old terraces and olive trees in the autumn light.",
        "photo",
        "olives, birzeit, autumn",
        "landscape",
    ),
    (
        "khalil",
        "تطريز فلاحي",
        "نقشة تطريز مستوحاة من أثواب قرى رام الله، جاهزة للطباعة.",
        "design",
        "tatreez, pattern, تطريز",
        "pattern",
    ),
    (
        "khalil",
        "Al-Bireh market poster",
        "A poster for the Saturday market in Al-Bireh.",
        "design",
        "al-bireh, market, poster",
        "poster",
    ),
    (
        "huda",
        "Jaffa oranges",
        "An illustration of oranges in a blue bowl.",
        "illustration",
        "oranges, still life",
        "shapes",
    ),
    (
        "nour",
        "أزقة البلدة القديمة",
        "رسم لأزقة البلدة القديمة في رام الله.",
        "illustration",
        "old city, رام الله",
        "shapes",
    ),
    (
        "ahmad",
        "Spring at Ein Qiniya",
        "Wild flowers at the spring of Ein Qiniya in April.",
        "photo",
        "spring, flowers, ein qiniya",
        "landscape",
    ),
]

# (handle, full name)
CUSTOMERS = [
    ("works-maya", "مايا الحسيني"),
    ("works-george", "جورج خوري"),
    ("works-studio", "Studio Qalandia"),
]

# (customer index, work index, licence, method)
PURCHASES = [
    (0, 0, "personal", "cash"),
    (1, 2, "commercial", "bank"),
    (2, 3, "extended", "wallet"),
    (2, 0, "commercial", "bank"),
    (0, 4, "personal", "wallet"),
    (1, 6, "commercial", "cash"),
]
WITHDRAWN = 1  # index in WORKS: sold once, then taken off sale by its creator


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randint(20, 235), rng.randint(20, 235), rng.randint(20, 235))


def _picture(rng: random.Random, style: str) -> bytes:
    """A simple deterministic picture in the given style, as PNG or JPEG bytes."""
    width, height = rng.choice([(1600, 1067), (1200, 1200), (1067, 1600)])
    image = Image.new("RGB", (width, height), _colour(rng))
    draw = ImageDraw.Draw(image)
    if style == "landscape":
        top, bottom = _colour(rng), (250, 200, 140)
        for y in range(height):
            share = y / height
            draw.line(
                [(0, y), (width, y)],
                fill=tuple(int(a + (b - a) * share) for a, b in zip(top, bottom, strict=True)),
            )
        draw.ellipse((width * 0.6, height * 0.2, width * 0.75, height * 0.2 + width * 0.15), "gold")
        for layer in range(3):
            base = height * (0.55 + layer * 0.13)
            points = [(0, height)] + [
                (x, base - rng.randint(0, int(height * 0.12))) for x in range(0, width + 200, 200)
            ]
            draw.polygon([*points, (width, height)], fill=(40 + layer * 30, 90 + layer * 20, 50))
    elif style == "pattern":
        step = 80
        for x in range(0, width, step):
            for y in range(0, height, step):
                colour = (150, 20, 40) if (x // step + y // step) % 2 else (30, 30, 30)
                draw.polygon(
                    [
                        (x + step / 2, y),
                        (x + step, y + step / 2),
                        (x + step / 2, y + step),
                        (x, y + step / 2),
                    ],
                    fill=colour,
                )
    else:
        for _ in range(12 if style == "poster" else 25):
            x, y = rng.randint(0, width), rng.randint(0, height)
            size = rng.randint(60, 300)
            draw.ellipse((x, y, x + size, y + size), fill=_colour(rng))
    out = io.BytesIO()
    fmt = "JPEG" if style == "landscape" else "PNG"
    image.save(out, fmt, quality=90)
    return out.getvalue()


def _creator(handle: str, fallback: Membership) -> Membership:
    return (
        Membership.objects.filter(user__email=f"{handle}@{DEMO_DOMAIN}", member_class="worker")
        .exclude(status=Membership.Status.LEFT)
        .first()
        or fallback
    )


def populate(founder: User) -> None:
    rng = random.Random(8108)
    fallback = founder.memberships.exclude(status=Membership.Status.LEFT).get()
    works = []
    for handle, title, description, kind, tags, style in WORKS:
        data = _picture(rng, style)
        extension = "jpg" if style == "landscape" else "png"
        creator = _creator(handle, fallback)
        works.append(
            actions.upload_work(
                actor=creator.user,
                title=title,
                description=description,
                kind=kind,
                tags=tags,
                image=SimpleUploadedFile(f"{style}.{extension}", data),
            )
        )
    customers = [
        create_account(email=f"{handle}@{DEMO_DOMAIN}", full_name=name, password=DEMO_PASSWORD)
        for handle, name in CUSTOMERS
    ]
    for number, (buyer, work, licence, method) in enumerate(PURCHASES, start=1):
        actions.buy_licence(
            actor=customers[buyer],
            work_id=works[work].pk,
            licence_key=licence,
            method=method,
            reference="" if method == "cash" else f"WK-{2030 + number:05d}",
            idempotency_key=f"demo-works-{number}",
        )
    withdrawn = works[WITHDRAWN]
    actions.buy_licence(
        actor=customers[0],
        work_id=withdrawn.pk,
        licence_key="personal",
        method="cash",
        idempotency_key="demo-works-withdrawn",
    )
    actions.withdraw_work(actor=withdrawn.creator.user, work_id=withdrawn.pk)
