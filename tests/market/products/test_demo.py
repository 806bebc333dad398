"""The shop's demo data, built through the actions on top of the demo co-op."""

from __future__ import annotations

import pytest

from taawun.accounts.models import User
from taawun.demo import DEMO_DOMAIN, create_demo
from taawun.market.models import Order, Status
from taawun.market.products import demo
from taawun.market.products.models import Basket, Product
from tests.ledger.helpers import books_problems

pytestmark = pytest.mark.django_db


def test_the_demo_shop_has_products_and_orders_at_each_step() -> None:
    create_demo()
    demo.populate(User.objects.get(email=f"amal@{DEMO_DOMAIN}"))
    assert Product.objects.count() == 8
    statuses = set(Order.objects.filter(sector="product").values_list("status", flat=True))
    assert statuses == {Status.REQUESTED, Status.CONFIRMED, Status.COMPLETED, Status.CANCELLED}
    assert Basket.objects.filter(fulfilment="delivery").exists()
    assert books_problems() == []
