"""``taawun manage transparency [--loop SECONDS] [--audit]``: sign a head of the log whenever it
has grown, and optionally recompute the whole log from the audit trail.

Readers of the log get heads signed on demand too; this keeps heads on a schedule even when
nobody is looking, which is what witnesses expect. A fork or tampering found here stops the
loop with a non-zero exit, after the alarm is on the log's page."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taawun.domain.errors import DomainError
from taawun.transparency.actions import audit_log, sign_tree_head


class Command(BaseCommand):
    help = "Sign a head of the transparency log when it has grown; --audit rechecks every entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", type=int, metavar="SECONDS", help="Keep running, once every SECONDS."
        )
        parser.add_argument(
            "--audit", action="store_true", help="Recompute every leaf and signed root first."
        )

    def handle(self, *args: Any, loop: int | None = None, audit: bool = False, **_: Any) -> None:
        if loop is not None and loop < 1:
            raise CommandError("--loop takes a number of seconds of at least 1.")
        while True:
            try:
                if audit:
                    self.stdout.write(f"audited {audit_log()} entries: all match")
                head = sign_tree_head()
            except DomainError as error:
                raise CommandError(f"THE LOG DISAGREES WITH ITSELF: {error}") from None
            self.stdout.write(f"signed head: {head.size} entries")
            if loop is None:
                return
            time.sleep(loop)
