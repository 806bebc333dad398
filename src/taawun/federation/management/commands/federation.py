"""``taawun manage federation [--loop SECONDS]``: deliver what is due to sister co-ops, time
out unanswered referrals and transfers, and publish changed offers.

The background round does this (``taawun.background``); run this where rounds are off
(``TAAWUN_BACKGROUND=off``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taawun.federation import delivery


class Command(BaseCommand):
    help = "Deliver due activities, expire overdue referrals and transfers, publish offers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", type=int, metavar="SECONDS", help="Keep running, once every SECONDS."
        )

    def handle(self, *args: Any, loop: int | None = None, **_: Any) -> None:
        if loop is not None and loop < 1:
            raise CommandError("--loop takes a number of seconds of at least 1.")
        while True:
            next_due = delivery.run_once()
            self.stdout.write(f"next delivery due: {next_due or 'none'}")
            if loop is None:
                return
            time.sleep(loop)
