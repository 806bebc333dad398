"""``taawun manage governance [--loop SECONDS]``: close the votes whose time is up and send the
reminders of votes about to close.

The governance pages and API already do this whenever someone looks, so this is for deployments
that want results and reminders on time even when nobody is looking."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taawun.governance.actions import run_due


class Command(BaseCommand):
    help = "Close the votes whose time is up and remind members of votes about to close."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop",
            type=int,
            metavar="SECONDS",
            help="Keep running, once every SECONDS seconds.",
        )

    def handle(self, *args: Any, loop: int | None = None, **options: Any) -> None:
        if loop is not None and loop < 1:
            raise CommandError("--loop takes a number of seconds of at least 1.")
        while True:
            for proposal in run_due():
                self.stdout.write(f"#{proposal.number} closed: {proposal.outcome}")
            if loop is None:
                return
            time.sleep(loop)
