"""Demo self-reports: most of the demo's workers consent to report their groups, enough for some
groups to be shown and some to stay suppressed."""

from __future__ import annotations

import random

from taawun.accounts.models import User
from taawun.demo import DEMO_DOMAIN

from .actions import report_groups

# (handle, gender, area): who reports what besides the founder (a woman from the centre); the
# age band is drawn with a fixed seed.
REPORTS = [
    ("khalil", "man", "centre"),
    ("rana", "woman", "centre"),
    ("yousef", "man", "centre"),
    ("huda", "woman", "periphery"),
    ("mariam", "woman", "periphery"),
    ("sami", "man", "centre"),
    ("lina", "woman", "periphery"),
    ("fadi", "man", "centre"),
    ("nour", "prefer_not_to_say", None),
    ("ahmad", "man", "periphery"),
]
AGE_BANDS = ["under_25", "25_39", "25_39", "40_54", "55_plus", None]


def populate(founder: User) -> None:
    rng = random.Random(1948)  # the same demo every time
    reporters = [(founder, "woman", "centre")] + [
        (User.objects.get(email=f"{handle}@{DEMO_DOMAIN}"), gender, area)
        for handle, gender, area in REPORTS
    ]
    for person, gender, area in reporters:
        report_groups(
            actor=person,
            answers={"gender": gender, "area": area, "age_band": rng.choice(AGE_BANDS)},
            consent=True,
        )
