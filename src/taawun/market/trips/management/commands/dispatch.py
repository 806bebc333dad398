"""``taawun manage dispatch [--loop]``: run the trips' dispatch on a steady clock.

Pages and API calls already run a batch when one is due, so this is only for deployments that
want batches to run even when nobody is looking at a page."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from taawun.coop.selectors import current_policy
from taawun.market.trips.actions import maybe_dispatch


class Command(BaseCommand):
    help = "Expire unanswered trip offers and run a dispatch batch when one is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Keep running, one batch every dispatch.batch_seconds of the policy.",
        )

    def handle(self, *args: Any, loop: bool = False, **options: Any) -> None:
        while True:
            run = maybe_dispatch()
            if run is not None:
                self.stdout.write(
                    f"{run.at.isoformat()} {run.solver}: "
                    f"{run.assigned} of {run.requests} requests offered to {run.workers} workers"
                )
            if not loop:
                return
            time.sleep(current_policy().policy.dispatch.batch_seconds)
