"""The shop's actions: listing products, the cart, a checkout split by producer with stock taken
all or nothing, and each order's life into the books (co-op fee 10%, solidarity 2%, no tax)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from taawun.accounts.models import User
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from taawun.ledger.models import JournalEntry
from taawun.market.models import Order, Sector, Status
from taawun.market.products import actions, selectors
from taawun.market.products.models import Basket, BasketLine, CartLine, Product
from taawun.members.models import Membership
from tests.core.helpers import unchanged
from tests.ledger.helpers import balance, books_problems, owed

from .conftest import AL_BIREH, RAMALLAH, MakeProduct, ils, needs_trips

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coop")]
D = Decimal


def stock(product: Product) -> int:
    product.refresh_from_db()
    return product.stock


def checkout(customer: User, key: str = "k1", **kwargs: object) -> list[Order]:
    return actions.checkout(
        actor=customer,
        fulfilment=kwargs.pop("fulfilment", "pickup"),  # type: ignore[arg-type]
        method=kwargs.pop("method", "cash"),  # type: ignore[arg-type]
        idempotency_key=key,
        **kwargs,  # type: ignore[arg-type]
    )


# --- Listing ------------------------------------------------------------------------------


def test_a_producer_lists_a_product_and_changes_its_price_and_stock(
    producer: Membership, make_product: MakeProduct
) -> None:
    honey = make_product(producer, description="Spring honey from Ein Qiniya")
    assert (honey.unit_price, honey.currency, honey.stock, honey.active) == (
        D("45.00"),
        "ILS",
        10,
        True,
    )
    assert (honey.place_lat, honey.place_lon) == (D("31.91"), D("35.215"))
    changed = actions.change_product(
        actor=producer.user, product_id=honey.pk, unit_price=ils("50.00"), stock=4
    )
    assert (changed.unit_price, changed.stock) == (D("50.00"), 4)
    assert list(selectors.my_products(producer.user)) == [honey]


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"unit_price": ils("0.00")}, "bad_price"),
        ({"unit_price": ils("-1.00")}, "bad_price"),
        ({"unit_price": ils("1000000.01")}, "bad_price"),
        ({"stock": -1}, "bad_stock"),
        ({"stock": 1_000_001}, "bad_stock"),
        ({"stock": True}, "bad_stock"),
        ({"name_ar": "  "}, "bad_name_ar"),
        ({"unit": "x" * 21}, "bad_unit"),
        ({"pickup": False, "delivery": False}, "no_fulfilment"),
        ({"place": ("91", "35.2")}, "bad_point"),
        ({"place": ("31.9", "35.1234567")}, "bad_point"),
        ({"place": ("nan", "35.2")}, "bad_point"),
        ({"place": (31.9, 35.2)}, "bad_point"),
    ],
)
def test_a_bad_listing_is_refused_and_nothing_is_written(
    producer: Membership, make_product: MakeProduct, values: dict[str, object], code: str
) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refused:
        make_product(producer, **values)
    assert refused.value.code == code


def test_only_working_members_sell_and_only_their_own_products(
    producer: Membership,
    other_producer: Membership,
    customer: User,
    make_member: Callable[..., Membership],
    make_product: MakeProduct,
) -> None:
    honey = make_product(producer)
    user_member = make_member("user")
    with unchanged():
        with pytest.raises(NotAllowed):
            make_product(user_member)
        with pytest.raises(NotAllowed):
            actions.list_product(actor=customer, name_en="x")
        with pytest.raises(NotFound):
            actions.change_product(actor=other_producer.user, product_id=honey.pk, stock=0)
        with pytest.raises(NotFound):
            actions.change_product(actor=producer.user, product_id=2**63, stock=0)


def test_the_catalogue_shows_active_products_and_finds_them_by_name(
    producer: Membership, other_producer: Membership, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    oil = make_product(other_producer, name_ar="زيت زيتون", name_en="Olive oil", unit="litre")
    make_product(producer, name_ar="زعتر", name_en="Zaatar", active=False)
    assert list(selectors.catalogue().object_list) == [honey, oil]
    assert list(selectors.catalogue("olive").object_list) == [oil]
    assert list(selectors.catalogue("زيت").object_list) == [oil]
    assert list(selectors.catalogue("zaatar").object_list) == []


# --- The cart -----------------------------------------------------------------------------


def test_the_cart_adds_changes_and_removes_lines(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    cart = selectors.cart_of(customer)
    assert [(line.product, line.quantity) for line in cart.lines] == [(honey, 3)]
    assert cart.total == ils("135.00")
    actions.set_in_cart(actor=customer, product_id=honey.pk, quantity=5)
    assert CartLine.objects.get().quantity == 5
    actions.set_in_cart(actor=customer, product_id=honey.pk, quantity=0)
    assert selectors.cart_of(customer).lines == []


def test_the_cart_refuses_more_than_the_stock_own_products_and_bad_quantities(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer, stock=3)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
    with unchanged():
        with pytest.raises(DomainError) as short:
            actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
        assert str(short.value) == "Not enough Honey: 3 jar left."
        with pytest.raises(DomainError) as own:
            actions.add_to_cart(actor=producer.user, product_id=honey.pk, quantity=1)
        assert own.value.code == "own_product"
        for quantity in (0, -1, 10_001, True):
            with pytest.raises(InvalidInput):
                actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=quantity)
        with pytest.raises(NotFound):
            actions.add_to_cart(actor=customer, product_id=2**63, quantity=1)
        with pytest.raises(InvalidInput):
            actions.fill_cart(actor=customer, lines=[(honey.pk, 1), (honey.pk, 1)])


# --- Checkout -----------------------------------------------------------------------------


def test_checkout_splits_the_cart_by_producer_and_takes_the_stock(
    producer: Membership, other_producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    zaatar = make_product(producer, name_ar="زعتر", name_en="Zaatar", unit_price=ils("12.50"))
    oil = make_product(other_producer, name_ar="زيت", name_en="Olive oil", unit_price=ils("60.00"))
    actions.fill_cart(actor=customer, lines=[(honey.pk, 2), (zaatar.pk, 1), (oil.pk, 1)])
    first, second = checkout(customer, method="wallet")
    assert (first.worker, second.worker) == (producer, other_producer)
    assert (first.title, second.title) == ("3 items from Khalil Hamdan", "1 item from Rana Odeh")
    assert (first.sector, first.status) == (Sector.PRODUCT, Status.REQUESTED)
    assert first.customer == customer
    # 2 x 45.00 + 12.50 = 102.50: fee 10.25, solidarity 2.05, producer 90.20
    assert (first.price, first.coop_fee, first.solidarity, first.worker_share, first.tax) == (
        D("102.50"),
        D("10.25"),
        D("2.05"),
        D("90.20"),
        D("0.00"),
    )
    assert (second.price, second.coop_fee, second.solidarity, second.worker_share) == (
        D("60.00"),
        D("6.00"),
        D("1.20"),
        D("52.80"),
    )
    assert first.quote == [["Agreed price %(amount)s", {"amount": "102.50 ILS"}]]
    basket = Basket.objects.get(order=first)
    assert (basket.fulfilment, basket.method, basket.trip) == ("pickup", "wallet", None)
    assert [(line.product, line.quantity, line.unit_price) for line in basket.lines.all()] == [
        (honey, 2, D("45.00")),
        (zaatar, 1, D("12.50")),
    ]
    assert (stock(honey), stock(zaatar), stock(oil)) == (8, 9, 9)
    assert CartLine.objects.count() == 0
    assert [e.kind for e in first.events.all()] == ["placed"]
    assert JournalEntry.objects.filter(kind="sale").count() == 0  # paid when handed over


def test_the_unit_price_is_kept_as_it_was_when_ordered(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    (order,) = checkout(customer)
    actions.change_product(actor=producer.user, product_id=honey.pk, unit_price=ils("99.00"))
    assert BasketLine.objects.get().unit_price == D("45.00")
    assert Order.objects.get().price == D("45.00") == order.price


def test_a_short_line_refuses_the_whole_checkout_and_says_how_many_are_left(
    producer: Membership, other_producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    oil = make_product(other_producer, name_ar="زيت", name_en="Olive oil", unit="litre", stock=5)
    actions.fill_cart(actor=customer, lines=[(honey.pk, 2), (oil.pk, 4)])
    actions.change_product(actor=other_producer.user, product_id=oil.pk, stock=3)
    with unchanged(), pytest.raises(DomainError) as refused:
        checkout(customer)
    assert refused.value.code == "not_enough_stock"
    assert str(refused.value) == "Not enough Olive oil: 3 litre left."
    assert (stock(honey), stock(oil)) == (10, 3)


def test_checkout_refusals_change_nothing(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    pickup_only = make_product(producer, delivery=False)
    with unchanged():
        with pytest.raises(DomainError) as empty:
            checkout(customer)
        assert empty.value.code == "empty_cart"
    actions.add_to_cart(actor=customer, product_id=pickup_only.pk, quantity=1)
    dropoff = actions.checked_dropoff("Ramallah, Al-Irsal Street 12", *RAMALLAH)
    with unchanged():
        with pytest.raises(DomainError) as no_delivery:
            checkout(customer, fulfilment="delivery", dropoff=dropoff)
        assert no_delivery.value.code == "no_delivery"
        with pytest.raises(InvalidInput) as needs_dropoff:
            checkout(customer, fulfilment="delivery")
        assert needs_dropoff.value.code == "dropoff_needed"
        for bad in ({"method": "gold"}, {"fulfilment": "drone"}):
            with pytest.raises(InvalidInput):
                checkout(customer, **bad)
        with pytest.raises(InvalidInput):
            checkout(customer, key=" ")
    actions.change_product(actor=producer.user, product_id=pickup_only.pk, active=False)
    with unchanged(), pytest.raises(DomainError) as gone:
        checkout(customer)
    assert str(gone.value) == "Honey is no longer on sale."


def test_the_same_key_checks_out_once(
    producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
    orders = checkout(customer, key="same")
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    assert checkout(customer, key="same") == orders
    assert (Order.objects.count(), stock(honey), CartLine.objects.get().quantity) == (1, 8, 1)


# --- The order's life ---------------------------------------------------------------------


@pytest.fixture
def ordered(producer: Membership, customer: User, make_product: MakeProduct) -> Order:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
    (order,) = checkout(customer, method="cash")
    return order


def test_pickup_confirmed_then_handed_over_is_paid_into_the_books(
    ordered: Order, producer: Membership, customer: User
) -> None:
    cash = balance("cash")
    actions.confirm(actor=producer.user, order_id=ordered.pk)
    order = actions.hand_over(actor=producer.user, order_id=ordered.pk)
    assert order.status == Status.COMPLETED
    assert order.payment is not None
    assert [e.kind for e in order.events.all()] == ["placed", "confirmed", "completed", "paid"]
    assert balance("cash") - cash == D("90.00")
    assert owed(producer) == D("79.20")
    assert selectors.owed_to(producer) == ils("79.20")
    assert books_problems() == []
    with unchanged(), pytest.raises(DomainError) as again:
        actions.hand_over(actor=producer.user, order_id=ordered.pk)
    assert again.value.code == "order_changed"


def test_only_the_producer_moves_the_order_and_steps_keep_their_order(
    ordered: Order, producer: Membership, customer: User, founder: User
) -> None:
    with unchanged():
        with pytest.raises(NotAllowed):
            actions.confirm(actor=customer, order_id=ordered.pk)
        with pytest.raises(NotAllowed):
            actions.cancel(actor=producer.user, order_id=ordered.pk)
        with pytest.raises(DomainError) as early:
            actions.hand_over(actor=producer.user, order_id=ordered.pk)
        assert early.value.code == "order_changed"
        with pytest.raises(DomainError) as wrong:
            actions.mark_delivered(actor=founder, order_id=ordered.pk)
        assert wrong.value.code == "wrong_fulfilment"
        with pytest.raises(NotFound):
            actions.confirm(actor=producer.user, order_id=2**63)


def test_refusing_puts_the_stock_back_and_tells_the_customer(
    ordered: Order, producer: Membership
) -> None:
    honey = Product.objects.get()
    assert stock(honey) == 8
    order = actions.refuse(actor=producer.user, order_id=ordered.pk, reason="The jars broke")
    assert order.status == Status.CANCELLED
    assert stock(honey) == 10
    assert order.events.last().note == "The jars broke"  # type: ignore[union-attr]
    with unchanged(), pytest.raises(DomainError):
        actions.refuse(actor=producer.user, order_id=ordered.pk)
    assert books_problems() == []


def test_the_customer_cancels_before_confirmation_only(
    ordered: Order, producer: Membership, customer: User, make_product: MakeProduct
) -> None:
    honey = Product.objects.get()
    actions.cancel(actor=customer, order_id=ordered.pk)
    assert (Order.objects.get().status, stock(honey)) == (Status.CANCELLED, 10)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    (second,) = checkout(customer, key="k2")
    actions.confirm(actor=producer.user, order_id=second.pk)
    with unchanged(), pytest.raises(DomainError) as late:
        actions.cancel(actor=customer, order_id=second.pk)
    assert str(late.value) == "This order cannot do that now: it is confirmed."


# --- Delivery -----------------------------------------------------------------------------


@needs_trips
def test_delivery_requests_a_trip_then_is_paid_when_delivered(
    producer: Membership, customer: User, founder: User, make_product: MakeProduct
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    dropoff = actions.checked_dropoff("Ramallah, Al-Irsal Street 12", *RAMALLAH)
    (order,) = checkout(customer, fulfilment="delivery", method="bank", dropoff=dropoff)
    basket = Basket.objects.get(order=order)
    assert (basket.dropoff_label, basket.dropoff_lat, basket.dropoff_lon) == (
        "Ramallah, Al-Irsal Street 12",
        D("31.9038"),
        D("35.2034"),
    )
    with unchanged(), pytest.raises(DomainError):
        actions.hand_over(actor=producer.user, order_id=order.pk)
    actions.confirm(actor=producer.user, order_id=order.pk)
    order = actions.ready_for_delivery(actor=producer.user, order_id=order.pk)
    assert order.status == Status.IN_PROGRESS
    basket.refresh_from_db()
    trip = basket.trip
    assert trip is not None
    assert (trip.sector, trip.customer, trip.status) == (Sector.TRIP, customer, Status.REQUESTED)
    assert trip.title == f"Delivery of order {order.pk}"
    assert trip.trip.pickup_label == "Al-Bireh, near the old market"  # type: ignore[attr-defined]
    assert (trip.trip.pickup_latitude, trip.trip.dropoff_latitude) == (  # type: ignore[attr-defined]
        D(AL_BIREH[0]),
        D(RAMALLAH[0]),
    )
    bank = balance("bank")
    done = actions.mark_delivered(actor=founder, order_id=order.pk)
    assert done.status == Status.COMPLETED
    assert balance("bank") - bank == D("45.00")
    assert owed(producer) == D("39.60")
    assert books_problems() == []
