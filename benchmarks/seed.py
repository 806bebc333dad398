"""Build the benchmark co-op through the real actions; print a member's session cookie.

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


def seed(members: int) -> str:
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
    client = Client()
    client.force_login(User.objects.get(email="m1@bench.example"))
    return client.cookies["sessionid"].value


if __name__ == "__main__":
    print("COOKIE", seed(int(sys.argv[1])))
