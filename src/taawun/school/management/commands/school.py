"""``taawun manage school``: bring the platform's own lessons up to date after an upgrade
(``--starter``; a co-op founded on this version already has them), and rebuild the search
index from the texts (``--reindex``; a restore does it by itself)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from taawun.school import actions, starter
from taawun.school.models import Course, Origin


class Command(BaseCommand):
    help = "Install or update the shipped lessons; rebuild the search index."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--starter", action="store_true", help="install or update the shipped lessons"
        )
        parser.add_argument(
            "--reindex", action="store_true", help="rebuild the search index from the texts"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["starter"] or options["reindex"]):
            self.stdout.write("Nothing asked: give --starter, --reindex or both.")
            return
        if options["starter"]:
            with transaction.atomic():
                starter.install()
            for course in Course.objects.filter(origin=Origin.STARTER):
                self.stdout.write(f"{course.key}: {course.lessons.count()} lessons")
        if options["reindex"]:
            self.stdout.write(f"search index: {actions.reindex()} entries")
