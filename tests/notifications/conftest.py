"""Helpers of the notifications tests: who was told what, read back from the table."""

from __future__ import annotations

from taawun.notifications.models import Notification
from tests.core.conftest import clock, fast_password_hashing  # noqa: F401
from tests.market.products.conftest import make_product  # noqa: F401
from tests.market.services.conftest import (  # noqa: F401
    cleaning,
    customer,
    khalil,
    make_worker,
    rana,
)
from tests.market.trips.conftest import online, places  # noqa: F401


def told() -> list[tuple[int, str]]:
    """(recipient id, kind) of every notification, in the order they were stored."""
    return list(Notification.objects.order_by("pk").values_list("recipient_id", "kind"))
