"""The rows every posting locks first: its period and, for a sale, the worker's membership,
each locked with one short statement (``taawun.statements``)."""

from __future__ import annotations

import datetime as dt

from taawun.members.models import Membership
from taawun.statements import locked_one

from .models import Period


def period_of_day(day: dt.date) -> Period | None:
    """The period holding ``day``, locked against a concurrent closing."""
    return locked_one(Period, "starts_on <= %s AND ends_on >= %s", [day, day], "UPDATE")


def current_member(number: int) -> Membership | None:
    """The member numbered ``number`` unless they have left, locked against a change of status
    (NO KEY UPDATE: rows that refer to the member, such as a payout, can still be written)."""
    return locked_one(
        Membership,
        "number = %s AND status <> %s",
        [number, Membership.Status.LEFT.value],
        "NO KEY UPDATE",
    )
