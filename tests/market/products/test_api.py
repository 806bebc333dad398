"""The shop over the JSON API: the catalogue, a producer's products, the cart, an idempotent
checkout and each step of an order; bad input answers with an error code, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from taawun.accounts.models import User
from taawun.market.models import Order
from taawun.market.products import actions
from taawun.market.products.models import Product
from taawun.members.models import Membership
from tests.api.conftest import Api
from tests.core.helpers import unchanged
from tests.ledger.helpers import books_problems, owed

from .conftest import MakeProduct, ils, needs_trips

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coop")]
D = Decimal
AsUser = Callable[[User | None], Api]
BASE = "/api/market/shop"
PICKUP = {"fulfilment": "pickup", "method": "cash"}
NEW_PRODUCT = {
    "name_ar": "مربى تين",
    "name_en": "Fig jam",
    "unit_price": "18.00",
    "unit": "jar",
    "stock": 12,
    "place_label": "Ramallah, Al-Tireh",
    "place_lat": "31.9100",
    "place_lon": "35.1900",
}


def key(value: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": value}


def test_a_producer_lists_and_changes_products(producer: Membership, as_user: AsUser) -> None:
    api = as_user(producer.user)
    made = api.post(f"{BASE}/products", NEW_PRODUCT)
    assert made.status_code == 201, made.json()
    body = made.json()
    assert {k: body[k] for k in ("unit_price", "stock", "pickup", "delivery", "place_lat")} == {
        "unit_price": "18.00",
        "stock": 12,
        "pickup": True,
        "delivery": False,
        "place_lat": "31.91",
    }
    assert (body["producer"], body["producer_name"]) == (producer.number, "Khalil Hamdan")
    changed = api.patch(f"{BASE}/products/{body['id']}", {"unit_price": "20.00", "stock": 3})
    assert changed.status_code == 200
    assert (changed.json()["unit_price"], changed.json()["stock"]) == ("20.00", 3)
    assert [p["name_en"] for p in api.get(f"{BASE}/products/mine").json()] == ["Fig jam"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"unit_price": 18.5}, 422, None),
        ({"unit_price": "0"}, 400, "bad_price"),
        ({"unit_price": "1.005"}, 400, "too_precise"),
        ({"stock": -1}, 422, None),
        ({"stock": "5"}, 422, None),
        ({"place_lat": "95.0"}, 400, "bad_point"),
        ({"place_lat": 31.9}, 422, None),
        ({"delivery": False, "pickup": False}, 400, "no_fulfilment"),
        ({"colour": "red"}, 422, None),
        ({"name_en": "a\x00b"}, 422, None),
    ],
)
def test_bad_products_are_refused_with_a_code(
    producer: Membership, as_user: AsUser, change: dict[str, Any], status: int, code: str | None
) -> None:
    api = as_user(producer.user)
    with unchanged():
        refused = api.post(f"{BASE}/products", {**NEW_PRODUCT, **change})
    assert refused.status_code == status
    assert set(refused.json()) == {"error", "message"}
    if code:
        assert refused.json()["error"] == code


def test_customers_cannot_sell_and_producers_only_change_their_own(
    producer: Membership,
    other_producer: Membership,
    customer: User,
    as_user: AsUser,
    make_product: MakeProduct,
) -> None:
    honey = make_product(producer)
    shopper, other, anonymous = as_user(customer), as_user(other_producer.user), as_user(None)
    with unchanged():
        assert shopper.post(f"{BASE}/products", NEW_PRODUCT).status_code == 403
        assert other.patch(f"{BASE}/products/{honey.pk}", {"stock": 0}).status_code == 404
        assert other.patch(f"{BASE}/products/{2**64}", {"stock": 0}).status_code == 404
        assert anonymous.post(f"{BASE}/products", NEW_PRODUCT).status_code == 401
    assert anonymous.get(f"{BASE}/products").status_code == 200  # the catalogue is public


def test_catalogue_cart_checkout_and_pickup_over_the_api(
    producer: Membership,
    other_producer: Membership,
    customer: User,
    as_user: AsUser,
    make_product: MakeProduct,
) -> None:
    honey = make_product(producer)
    oil = make_product(other_producer, name_ar="زيت", name_en="Olive oil", unit_price=ils("60.00"))
    shopper = as_user(customer)
    listed = shopper.get(f"{BASE}/products", QUERY_STRING="q=oil").json()
    assert [(p["id"], p["unit_price"], p["stock"]) for p in listed] == [(oil.pk, "60.00", 10)]
    put = shopper._call(
        "put",
        f"{BASE}/cart",
        {"lines": [{"product": honey.pk, "quantity": 2}, {"product": oil.pk, "quantity": 1}]},
    )
    assert put.status_code == 200
    assert (put.json()["total"], put.json()["currency"]) == ("150.00", "ILS")
    assert shopper.post(f"{BASE}/checkout", PICKUP).json()["error"] == "idempotency_key_required"
    done = shopper.post(f"{BASE}/checkout", PICKUP, **key("c1"))
    assert done.status_code == 201
    orders = done.json()
    assert [(o["order"]["title"], o["order"]["receipt"]["price"]) for o in orders] == [
        ("2 items from Khalil Hamdan", "90.00"),
        ("1 item from Rana Odeh", "60.00"),
    ]
    assert orders[0]["lines"] == [
        {"product": honey.pk, "name": "Honey", "quantity": 2, "unit_price": "45.00"}
    ]
    replay = shopper.post(f"{BASE}/checkout", PICKUP, **key("c1"))
    assert replay.status_code == 201 and replay.json() == orders
    assert Order.objects.count() == 2
    assert shopper.get(f"{BASE}/cart").json() == {"currency": None, "total": None, "lines": []}
    first = orders[0]["order"]["id"]
    seller = as_user(producer.user)
    assert seller.post(f"{BASE}/orders/{first}/confirm").json()["order"]["status"] == "confirmed"
    assert seller.post(f"{BASE}/orders/{first}/handed-over").status_code == 400  # no key
    handed = seller.post(f"{BASE}/orders/{first}/handed-over", **key("h1"))
    assert handed.status_code == 200
    assert handed.json()["order"]["status"] == "completed"
    assert handed.json()["order"]["paid_in_entry"] is not None
    assert owed(producer) == D("79.20")
    second = orders[1]["order"]["id"]
    cancelled = shopper.post(f"{BASE}/orders/{second}/cancel", {"reason": "Changed my mind"})
    assert cancelled.json()["order"]["status"] == "cancelled"
    assert Product.objects.get(pk=oil.pk).stock == 10
    assert books_problems() == []


def test_order_steps_refuse_strangers_wrong_steps_and_huge_ids(
    producer: Membership,
    customer: User,
    make_account: Callable[..., User],
    as_user: AsUser,
    make_product: MakeProduct,
) -> None:
    honey = make_product(producer, stock=1)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    (order,) = actions.checkout(
        actor=customer, fulfilment="pickup", method="cash", idempotency_key="k"
    )
    stranger = as_user(make_account())
    shopper, seller = as_user(customer), as_user(producer.user)
    with unchanged():
        assert stranger.post(f"{BASE}/orders/{order.pk}/confirm").status_code == 404
        assert shopper.post(f"{BASE}/orders/{order.pk}/confirm").status_code == 403
        assert shopper.post(f"{BASE}/orders/{2**64}/cancel").status_code == 404
        early = seller.post(f"{BASE}/orders/{order.pk}/handed-over", **key("x"))
        assert early.status_code == 409
        assert early.json() == {
            "error": "order_changed",
            "message": "This order cannot do that now: it is requested.",
        }
        bad_cart = shopper._call(
            "put", f"{BASE}/cart", {"lines": [{"product": 2**64, "quantity": 1}]}
        )
        assert bad_cart.status_code == 422
        short = shopper._call(
            "put", f"{BASE}/cart", {"lines": [{"product": honey.pk, "quantity": 1}]}
        )
        assert short.json() == {
            "error": "not_enough_stock",
            "message": "Not enough Honey: 0 jar left.",
        }


@needs_trips
def test_a_delivery_over_the_api(
    producer: Membership, customer: User, as_user: AsUser, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    shopper, seller = as_user(customer), as_user(producer.user)
    with unchanged():
        no_dropoff = shopper.post(
            f"{BASE}/checkout", {**PICKUP, "fulfilment": "delivery"}, **key("d0")
        )
        assert no_dropoff.json()["error"] == "dropoff_needed"
    dropoff = {"label": "Al-Bireh, Al-Balou' 4", "lat": "31.918", "lon": "35.214"}
    placed = shopper.post(
        f"{BASE}/checkout", {**PICKUP, "fulfilment": "delivery", "dropoff": dropoff}, **key("d1")
    )
    assert placed.status_code == 201
    order = placed.json()[0]["order"]["id"]
    seller.post(f"{BASE}/orders/{order}/confirm")
    ready = seller.post(f"{BASE}/orders/{order}/ready", **key("r1"))
    assert ready.status_code == 200
    assert ready.json()["order"]["status"] == "in_progress"
    trip = ready.json()["trip"]
    assert Order.objects.get(pk=trip).sector == "trip"
    assert seller.post(f"{BASE}/orders/{order}/ready", **key("r1")).json()["trip"] == trip
    delivered = seller.post(f"{BASE}/orders/{order}/delivered", **key("v1"))
    assert delivered.json()["order"]["status"] == "completed"
    assert owed(producer) == D("39.60")
    assert books_problems() == []
