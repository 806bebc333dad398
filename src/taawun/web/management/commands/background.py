"""``taawun manage background [--loop SECONDS]``: run the background round (every job of
``taawun.background``) once, or on a steady clock where rounds are otherwise off
(``TAAWUN_BACKGROUND=off``), e.g. from cron or a unit of its own."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from taawun.background import run_round


class Command(BaseCommand):
    help = "Run the background round: emails, deliveries, votes due, dispatch, log heads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", type=int, metavar="SECONDS", help="Keep running, once every SECONDS."
        )

    def handle(self, *args: Any, loop: int | None = None, **_: Any) -> None:
        if loop is not None and loop < 1:
            raise CommandError("--loop takes a number of seconds of at least 1.")
        while True:
            next_due = run_round()
            self.stdout.write(f"round done; next due: {next_due or 'when woken'}")
            if loop is None:
                return
            close_old_connections()  # a database restarted meanwhile: reconnect next round
            time.sleep(loop)
