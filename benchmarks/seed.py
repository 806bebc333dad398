"""Build the benchmark co-op through the real actions; print the cookies of a
signed-in member's browser and of a visitor's.

Run by run.py in a fresh database: ``python seed.py MEMBERS`` with bench_settings.
"""

from __future__ import annotations

import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from taawun.accounts.actions import create_account  # noqa: E402
from taawun.accounts.models import User  # noqa: E402
from taawun.coop.actions import found_coop  # noqa: E402
from taawun.demo import CLASSES  # noqa: E402
from taawun.domain.policy import founding_policy  # noqa: E402
from taawun.members import actions  # noqa: E402

CLASS_KEYS = ("worker", "user", "supporter")
PHONE_VISIBILITY = ("private", "members", "public")


def seed(members: int) -> tuple[str, str]:
    call_command("migrate", verbosity=0)
    found_coop(
        name_ar="تعاونية القياس",
        name_en="Bench Co-op",
        handle="bench",
        policy=founding_policy(currency="ILS", classes=CLASSES),
        founder_email="board@bench.example",
        founder_name="Board",
        founder_password="bench-password-123",
        founder_class="worker",
    )
    board = User.objects.get(email="board@bench.example")
    for n in range(members):
        person = create_account(
            email=f"m{n}@bench.example", full_name=f"عضو رقم {n}", password=None
        )
        application = actions.apply_for_membership(actor=person, member_class=CLASS_KEYS[n % 3])
        actions.approve_application(actor=board, application_id=application.pk)
        actions.update_profile(
            actor=person,
            city="رام الله",
            city_visibility="public",
            phone="+970 59 000 0000",
            phone_visibility=PHONE_VISIBILITY[n % 3],
        )
    visitor = Client()
    visitor.get("/members/")
    member = Client()
    member.force_login(User.objects.get(email="m1@bench.example"))
    member.get("/members/")
    return cookie_header(member), cookie_header(visitor)


def cookie_header(client: Client) -> str:
    """The cookies a browser would send after one page: the CSRF cookie, and a session if any."""
    return ";".join(f"{name}={morsel.value}" for name, morsel in sorted(client.cookies.items()))


if __name__ == "__main__":
    member_cookies, visitor_cookies = seed(int(sys.argv[1]))
    print("MEMBER", member_cookies)
    print("VISITOR", visitor_cookies)
