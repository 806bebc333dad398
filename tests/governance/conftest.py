"""A co-op with voters, built through the real actions, and a clock to close votes with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from taawun.accounts.models import User
from taawun.members.models import Membership


@pytest.fixture
def voters(founder: User, make_member: Callable[..., Membership]) -> list[User]:
    """The founder and five worker members, all with a vote (six in all)."""
    return [founder] + [make_member("worker").user for _ in range(5)]


def after_close(days: int = 8) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)
