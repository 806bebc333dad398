"""The shop in a browser: the catalogue, the cart and checkout, the producer's desk and product
form, and the order panel's buttons, with refusals shown rather than turned into errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from taawun.accounts.models import User
from taawun.market.models import Order, Status
from taawun.market.products import actions
from taawun.market.products.models import Basket, CartLine, Product
from taawun.members.models import Membership
from tests.core.helpers import unchanged
from tests.ledger.helpers import books_problems, owed
from tests.web.helpers import html_attrs, text

from .conftest import MakeProduct, needs_trips

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coop")]
D = Decimal


def browser(user: User | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def url(name: str, *args: object) -> str:
    return reverse(f"market:products:{name}", args=args)


PICKUP = {"fulfilment": "pickup", "method": "cash", "key": "form-key-1"}


def test_the_catalogue_is_open_to_all_and_searches_by_name(
    producer: Membership, make_product: MakeProduct
) -> None:
    make_product(producer, description="Spring honey")
    make_product(producer, name_ar="زعتر", name_en="Zaatar", stock=0)
    page = browser().get(url("catalogue"))
    assert page.status_code == 200
    assert "Honey Spring honey Price 45.00 ILS / jar In stock 10 jar Made by Khalil Hamdan" in text(
        page
    )
    assert "Zaatar" in text(page) and "sold out" in text(page)
    assert "Sign in to order" in text(page)
    found = browser().get(url("catalogue"), {"q": "zaat"})
    assert "Zaatar" in text(found) and "Honey" not in text(found)
    assert browser().get(url("catalogue"), {"page": "99999999999999999999"}).status_code == 200


def test_a_customer_fills_the_cart_and_checks_out_for_pickup(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    web = browser(customer)
    added = web.post(url("add", honey.pk), {"quantity": "3"})
    assert added.status_code == 302 and added["Location"] == url("cart")
    changed = web.post(url("change-line", honey.pk), {"quantity": "2"})
    assert changed.status_code == 302
    cart = web.get(url("cart"))
    assert "Honey Khalil Hamdan 45.00 ILS / jar" in text(cart)
    assert "Total 90.00 ILS" in text(cart)
    assert 'name="key"' in cart.content.decode()
    done = web.post(url("checkout"), PICKUP)
    order = Order.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("market:order", args=[order.pk])
    again = web.post(url("checkout"), PICKUP)  # the same form sent twice
    assert again.status_code == 302
    assert (Order.objects.count(), order.price, Product.objects.get().stock) == (1, D("90.00"), 8)
    panel = text(web.get(reverse("market:order", args=[order.pk])))
    assert "What is in the order From Khalil Hamdan" in panel
    assert "Honey 2 jar 45.00 ILS 90.00 ILS" in panel
    assert "Cancel my order" in panel and "Confirm" not in panel


def test_the_producer_confirms_and_hands_over_from_the_order_page(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
    (order,) = actions.checkout(
        actor=customer, fulfilment="pickup", method="cash", idempotency_key="k"
    )
    web = browser(producer.user)
    desk = text(web.get(url("producer")))
    assert "The co-op owes you 0.00 ILS" in desk
    assert f"#{order.pk} · 2 items from Khalil Hamdan Lina Saleh pickup requested 90.00 ILS" in desk
    page = text(web.get(reverse("market:order", args=[order.pk])))
    assert "Confirm: I will prepare it" in page and "Refuse the order" in page
    assert web.post(url("step", order.pk, "confirm")).status_code == 302
    page = text(web.get(reverse("market:order", args=[order.pk]), follow=True))
    assert "Handed over, paid by cash" in page
    handed = web.post(url("step", order.pk, "handed-over"), follow=True)
    assert "Handed over and paid." in text(handed)
    assert Order.objects.get().status == Status.COMPLETED
    assert owed(producer) == D("79.20")
    assert "The co-op owes you 79.20 ILS" in text(web.get(url("producer")))
    late = web.post(url("step", order.pk, "handed-over"), follow=True)
    assert "This order cannot do that now: it is completed." in text(late)
    assert books_problems() == []


def test_order_buttons_refuse_strangers_and_unknown_steps(
    producer: Membership, customer: User, make_account: object, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    (order,) = actions.checkout(
        actor=customer, fulfilment="pickup", method="cash", idempotency_key="k"
    )
    stranger = browser(make_account())  # type: ignore[operator]
    as_customer, as_producer = browser(customer), browser(producer.user)
    with unchanged():
        assert stranger.post(url("step", order.pk, "confirm")).status_code == 404
        assert as_customer.post(url("step", order.pk, "confirm")).status_code == 403
        assert as_producer.post(url("step", order.pk, "explode")).status_code == 404
        assert as_customer.post(url("step", 2**64, "cancel")).status_code == 404
        assert browser().post(url("step", order.pk, "cancel")).status_code == 302  # sign in
    cancelled = as_customer.post(url("step", order.pk, "cancel"), follow=True)
    assert "Cancelled: the goods are back in stock." in text(cancelled)
    assert Product.objects.get().stock == 10


def test_bad_checkouts_show_the_error_and_change_nothing(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer, stock=2)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
    web = browser(customer)
    with unchanged():
        no_dropoff = web.post(url("checkout"), {**PICKUP, "fulfilment": "delivery"})
        assert no_dropoff.status_code == 400
        assert "Give the drop-off point for the driver." in text(no_dropoff)
        bad_point = web.post(
            url("checkout"),
            {**PICKUP, "fulfilment": "delivery", "dropoff_label": "Home", "dropoff": "north"},
        )
        assert bad_point.status_code == 400
        assert "Write the place as latitude, longitude" in text(bad_point)
        assert web.post(url("checkout"), {**PICKUP, "method": "gold"}).status_code == 400
    actions.change_product(actor=producer.user, product_id=honey.pk, stock=1)
    with unchanged():
        short = web.post(url("checkout"), PICKUP)
        assert short.status_code == 409
        assert "Not enough Honey: 1 jar left." in text(short)
        too_many = web.post(url("add", honey.pk), {"quantity": "5"}, follow=True)
        assert "Not enough Honey: 1 jar left." in text(too_many)
        assert web.post(url("add", 2**64), {"quantity": "1"}).status_code == 404
    removed = web.post(url("change-line", honey.pk), {"remove": "1"})
    assert removed.status_code == 302 and CartLine.objects.count() == 0


def test_a_producer_lists_and_edits_a_product_with_the_form(producer: Membership) -> None:
    web = browser(producer.user)
    form = {
        "name_ar": "زيت زيتون",
        "name_en": "Olive oil",
        "description": "First press, Sinjil",
        "unit_price": "35.50",
        "unit": "litre",
        "stock": "20",
        "pickup": "on",
        "place_label": "Sinjil, the press",
        "place": "31.9380, 35.2650",
        "active": "on",
    }
    assert web.get(url("new-product")).status_code == 200
    with unchanged():
        for bad, message in [
            ({"unit_price": "0.001"}, "0.001 has more decimals than ILS allows."),
            ({"unit_price": "0"}, "The price is more than zero and at most 1000000.00 ILS."),
            ({"pickup": ""}, "Offer pickup, delivery or both."),
            ({"place": "31.9"}, "Write the place as latitude, longitude"),
            ({"stock": "-1"}, "Ensure this value is greater than or equal to 0."),
        ]:
            refused = web.post(url("new-product"), {**form, **bad})
            assert refused.status_code == 400
            assert message in text(refused)
    assert web.post(url("new-product"), form).status_code == 302
    oil = Product.objects.get()
    assert (oil.unit_price, oil.stock, oil.place_lat, oil.delivery) == (
        D("35.50"),
        20,
        D("31.938"),
        False,
    )
    edit = web.get(url("edit-product", oil.pk))
    assert 'value="31.938, 35.265"' in edit.content.decode()
    saved = web.post(url("edit-product", oil.pk), {**form, "unit_price": "38", "stock": "7"})
    assert saved.status_code == 302
    oil.refresh_from_db()
    assert (oil.unit_price, oil.stock) == (D("38.00"), 7)


def test_only_working_members_have_a_producer_desk(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    assert browser(customer).get(url("producer")).status_code == 403
    assert browser(customer).get(url("new-product")).status_code == 403
    assert browser(customer).get(url("edit-product", honey.pk)).status_code == 404
    assert browser(producer.user).get(url("edit-product", 2**64)).status_code == 404
    assert browser().get(url("cart")).status_code == 302


def test_the_panel_shows_the_delivery_and_its_buttons(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    dropoff = actions.checked_dropoff("Ramallah, Al-Irsal Street 12", "31.9038", "35.2034")
    (order,) = actions.checkout(
        actor=customer,
        fulfilment="delivery",
        method="wallet",
        idempotency_key="k",
        dropoff=dropoff,
    )
    actions.confirm(actor=producer.user, order_id=order.pk)
    page = text(browser(producer.user).get(reverse("market:order", args=[order.pk])))
    assert "How delivery · Ramallah, Al-Irsal Street 12 Paid by mobile wallet" in page
    assert "Ready: call a driver" in page
    assert Basket.objects.get().trip is None


@needs_trips
def test_a_delivery_from_the_checkout_form_to_the_door(
    producer: Membership, customer: User, founder: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
    shopper, seller, board = browser(customer), browser(producer.user), browser(founder)
    form = {
        "fulfilment": "delivery",
        "dropoff_label": "Ramallah, Al-Irsal Street 12",
        "dropoff": "31.9038, 35.2034",
        "method": "bank",
        "key": "delivery-form",
    }
    assert shopper.post(url("checkout"), form).status_code == 302
    order = Order.objects.get()
    assert seller.post(url("step", order.pk, "confirm")).status_code == 302
    ready = seller.post(url("step", order.pk, "ready"), follow=True)
    assert "On its way: a delivery trip is requested." in text(ready)
    trip = Basket.objects.get().trip
    assert trip is not None
    assert f"Delivery trip Order {trip.pk}" in text(ready)
    page = shopper.get(reverse("market:order", args=[order.pk]))
    assert f'href="{reverse("market:order", args=[trip.pk])}"' in page.content.decode()
    delivered = board.post(url("step", order.pk, "delivered"), follow=True)
    assert "Delivered and paid." in text(delivered)
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED
    assert owed(producer) == D("79.20")
    assert books_problems() == []


def test_in_arabic_the_shop_reads_right_to_left_with_arabic_names(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    web = browser(customer)
    web.defaults["HTTP_ACCEPT_LANGUAGE"] = "ar"
    for page in (web.get(url("catalogue")), web.get(url("cart"))):
        assert page.status_code == 200
        assert html_attrs(page)["dir"] == "rtl"
        assert "عسل" in text(page) and "Honey" not in text(page)
