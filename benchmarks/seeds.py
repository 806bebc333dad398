"""The co-op the booking, log and load benchmarks measure, founded through the real actions:
its board member and two trip places in Ramallah. Call after Django is set up."""

from __future__ import annotations

from typing import Any

PICKUP = ("31.9038", "35.2034")  # Al-Manara, Ramallah
DROPOFF = ("31.9100", "35.2160")  # Al-Bireh municipality


def found_bench_coop(
    *, handle: str, name_ar: str, name_en: str, password: str | None
) -> tuple[Any, list[Any]]:
    """The founded co-op's board member (``board@<handle>.example``) and its two places."""
    from taawun.accounts.models import User
    from taawun.coop.actions import found_coop
    from taawun.demo import CLASSES
    from taawun.domain.policy import founding_policy
    from taawun.market.trips import actions as trips

    found_coop(
        name_ar=name_ar,
        name_en=name_en,
        handle=handle,
        policy=founding_policy(currency="ILS", classes=CLASSES),
        founder_email=f"board@{handle}.example",
        founder_name="Board",
        founder_password=password,
        founder_class="worker",
        starter_lessons=False,  # nothing measured reads the school
    )
    board = User.objects.get(email=f"board@{handle}.example")
    places = [
        trips.add_place(actor=board, name_ar=name_ar, name_en=name_en, latitude=lat, longitude=lon)
        for name_ar, name_en, (lat, lon) in (
            ("دوار المنارة", "Al-Manara", PICKUP),
            ("بلدية البيرة", "Al-Bireh municipality", DROPOFF),
        )
    ]
    return board, places
