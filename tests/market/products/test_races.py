"""The shop under real concurrency, on PostgreSQL: two customers after the last jars, one
checkout sent twice with one key, a confirmation racing a cancellation, and a handover sent
twice. Exactly one wins each time; stock never goes below zero; nothing is half-written."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.ledger.models import EntryKind, JournalEntry
from taawun.market.models import Order, Status
from taawun.market.products import actions
from taawun.market.products.models import Basket, BasketLine, CartLine, Product
from taawun.members.models import Membership
from tests.ledger.helpers import books_problems, owed
from tests.races import as_user, errors, line_up, oks, race

from .conftest import MakeProduct

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def checkout_as(user_pk: int, key: str) -> Callable[[], list[Order]]:
    return lambda: actions.checkout(
        actor=as_user(user_pk), fulfilment="pickup", method="cash", idempotency_key=key
    )


def test_two_customers_after_the_last_items_exactly_one_gets_them(
    monkeypatch: pytest.MonkeyPatch,
    producer: Membership,
    make_account: Callable[..., User],
    make_product: MakeProduct,
) -> None:
    honey = make_product(producer, stock=3)
    first, second = make_account(), make_account()
    for customer in (first, second):
        actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
    line_up(monkeypatch, actions, "_take_stock", 2)
    outcomes = race([checkout_as(first.pk, "a"), checkout_as(second.pk, "b")])
    assert len(oks(outcomes)) == 1
    assert errors(outcomes) == [(DomainError, "not_enough_stock")]
    refusal = next(o[1] for o in outcomes if o[0] == "error")
    assert (refusal.params["left"], refusal.params["unit"]) == (1, "jar")
    honey.refresh_from_db()
    assert honey.stock == 1
    assert (Order.objects.count(), Basket.objects.count(), BasketLine.objects.count()) == (1, 1, 1)
    assert CartLine.objects.count() == 1  # the refused customer's cart is untouched


def test_many_customers_never_take_the_stock_below_zero(
    monkeypatch: pytest.MonkeyPatch,
    producer: Membership,
    make_account: Callable[..., User],
    make_product: MakeProduct,
) -> None:
    honey = make_product(producer, stock=5)
    customers = [make_account() for _ in range(6)]
    for customer in customers:
        actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=1)
    line_up(monkeypatch, actions, "_take_stock", len(customers))
    outcomes = race([checkout_as(c.pk, "k") for c in customers])
    assert len(oks(outcomes)) == 5
    assert errors(outcomes) == [(DomainError, "not_enough_stock")]
    assert Product.objects.get().stock == 0
    assert Order.objects.count() == 5


def test_one_checkout_sent_twice_with_one_key_orders_once(
    monkeypatch: pytest.MonkeyPatch,
    producer: Membership,
    other_producer: Membership,
    customer: User,
    make_product: MakeProduct,
) -> None:
    honey = make_product(producer)
    oil = make_product(other_producer, name_ar="زيت", name_en="Olive oil")
    actions.fill_cart(actor=customer, lines=[(honey.pk, 2), (oil.pk, 3)])
    line_up(monkeypatch, actions, "_locked_cart", 2)
    outcomes = race([checkout_as(customer.pk, "same"), checkout_as(customer.pk, "same")])
    assert errors(outcomes) == []
    first, second = oks(outcomes)
    assert [o.pk for o in first] == [o.pk for o in second]
    assert Order.objects.count() == 2
    assert sorted(Product.objects.values_list("stock", flat=True)) == [7, 8]
    assert CartLine.objects.count() == 0


def test_confirm_and_cancel_at_once_one_wins(
    monkeypatch: pytest.MonkeyPatch,
    producer: Membership,
    customer: User,
    make_product: MakeProduct,
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=4)
    (order,) = actions.checkout(
        actor=customer, fulfilment="pickup", method="cash", idempotency_key="k"
    )
    line_up(monkeypatch, actions, "_locked_basket", 2)
    outcomes = race(
        [
            lambda: actions.confirm(actor=as_user(producer.user_id), order_id=order.pk),
            lambda: actions.cancel(actor=as_user(customer.pk), order_id=order.pk),
        ]
    )
    assert errors(outcomes) == [(DomainError, "order_changed")]
    order.refresh_from_db()
    honey.refresh_from_db()
    if order.status == Status.CANCELLED:
        assert honey.stock == 10
    else:
        assert (order.status, honey.stock) == (Status.CONFIRMED, 6)
    assert order.events.count() == 2


def test_a_handover_sent_twice_is_paid_once(
    monkeypatch: pytest.MonkeyPatch,
    producer: Membership,
    customer: User,
    make_product: MakeProduct,
) -> None:
    honey = make_product(producer)
    actions.add_to_cart(actor=customer, product_id=honey.pk, quantity=2)
    (order,) = actions.checkout(
        actor=customer, fulfilment="pickup", method="cash", idempotency_key="k"
    )
    actions.confirm(actor=producer.user, order_id=order.pk)
    line_up(monkeypatch, actions, "_locked_basket", 2)
    hand_over = lambda: actions.hand_over(actor=as_user(producer.user_id), order_id=order.pk)  # noqa: E731
    outcomes = race([hand_over, hand_over])
    assert errors(outcomes) == [(DomainError, "order_changed")]
    assert JournalEntry.objects.filter(kind=EntryKind.SALE).count() == 1
    assert owed(producer) == Decimal("79.20")
    assert books_problems() == []
