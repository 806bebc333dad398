"""Plain helpers for the core tests: a controllable clock and a whole-database snapshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.utils import timezone

from taawun.transparency.models import AuditEntry

# Noon in Hebron on 1 March 2030: later than any real founding date, so the founding policy
# (effective from the real "now") is already in force.
START = dt.datetime(2030, 3, 1, 10, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table Django manages, in primary-key order."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.managed
    }


@contextmanager
def unchanged() -> Iterator[None]:
    """Assert that the block (a refused action) changed nothing at all in the database."""
    before = snapshot()
    yield
    after = snapshot()
    changed = {label for label in before if before[label] != after[label]}
    assert changed == set()


def actions_since(seq: int = 0) -> list[str]:
    """The action names of the audit entries after ``seq``, in order."""
    return list(
        AuditEntry.objects.filter(seq__gt=seq).order_by("seq").values_list("action", flat=True)
    )


def last_seq() -> int:
    entry = AuditEntry.objects.order_by("-seq").first()
    return entry.seq if entry else 0
