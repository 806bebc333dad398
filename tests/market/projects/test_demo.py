"""The demo projects are made through the real actions, the same every time, and leave the
books sound."""

from __future__ import annotations

import pytest

from taawun.accounts.models import User
from taawun.demo import DEMO_DOMAIN, create_demo
from taawun.market.models import Order
from taawun.market.projects.demo import populate
from taawun.market.projects.models import Brief, Proposal
from tests.ledger.helpers import books_problems

pytestmark = [pytest.mark.django_db]


def test_the_demo_projects() -> None:
    create_demo()
    populate(User.objects.get(email=f"amal@{DEMO_DOMAIN}"))
    assert list(Brief.objects.order_by("pk").values_list("status", flat=True)) == [
        "open",
        "agreed",
        "agreed",
        "closed",
    ]
    assert Proposal.objects.count() == 5
    assert sorted(Order.objects.filter(sector="project").values_list("status", flat=True)) == [
        "completed",
        "completed",
        "completed",
        "confirmed",
        "confirmed",
        "delivered",
        "disputed",
    ]
    assert books_problems() == []
