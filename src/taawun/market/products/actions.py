"""Every write of the shop: producers list and edit products, customers fill a cart and check
out, and each order moves from requested to handed over or delivered.

A checkout is one transaction: the customer's cart row is locked (so a retry with the same key
waits, then finds the first checkout's orders), each line's stock is taken by one conditional
UPDATE in product order (so two checkouts never deadlock and never oversell), and one order is
placed per producer. Any short line refuses the whole checkout and nothing is kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.domain.pricing import quote_agreed
from taawun.market import actions as market
from taawun.market.actions import MAX_ID
from taawun.market.models import Order, OrderEvent, Sector, Status
from taawun.members.models import Membership, PaymentMethod
from taawun.members.selectors import membership_of
from taawun.notifications.actions import notify
from taawun.notifications.models import Kind as Notice
from taawun.transparency.audit import record

from .models import Basket, BasketLine, Cart, CartLine, Fulfilment, Product

MAX_QUANTITY = 10_000  # of one product in one order
MAX_STOCK = 1_000_000
MAX_UNIT_PRICE = Decimal(1_000_000)
MAX_CART_LINES = 50
MAX_KEY = 120
COORDINATE_PLACES = 6
TEXT_LIMITS = {"name_ar": 120, "name_en": 120, "unit": 20, "place_label": 120}
MAX_DESCRIPTION = 2000
MAX_REASON = 300


# --- Producers ----------------------------------------------------------------------------


def producer_of(actor: User) -> Membership:
    """The actor's membership, if it is of a class that works: only they sell here."""
    member = membership_of(actor)
    if member is None or not current_policy().policy.member_class(member.member_class).works:
        raise NotAllowed(
            "not_a_producer", gettext_noop("Only working members can sell their products here.")
        )
    return member


def _text(name: str, value: Any, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    limit = TEXT_LIMITS.get(name, MAX_DESCRIPTION)
    if (required and not text) or len(text) > limit:
        raise InvalidInput(
            f"bad_{name}",
            gettext_noop("Fill in %(field)s, in at most %(limit)s characters."),
            field=name,
            limit=limit,
        )
    return text


def checked_point(lat: Any, lon: Any) -> tuple[Decimal, Decimal]:
    """A latitude and longitude as exact decimals on the Earth, to six places at most."""
    try:
        point = (Decimal(str(lat).strip()), Decimal(str(lon).strip()))
    except ArithmeticError:
        point = (Decimal("NaN"), Decimal("NaN"))
    lat_d, lon_d = point
    if (
        isinstance(lat, float | bool)
        or isinstance(lon, float | bool)
        or not (lat_d.is_finite() and lon_d.is_finite())
        or not (-90 <= lat_d <= 90 and -180 <= lon_d <= 180)
        or lat_d != round(lat_d, COORDINATE_PLACES)
        or lon_d != round(lon_d, COORDINATE_PLACES)
    ):
        raise InvalidInput(
            "bad_point",
            gettext_noop(
                "Give the place as latitude and longitude in degrees, e.g. 31.9038, 35.2034."
            ),
        )
    return lat_d, lon_d


def _product_fields(values: dict[str, Any], currency: str) -> dict[str, Any]:
    """The listed fields, checked; only those given."""
    fields: dict[str, Any] = {}
    for name in ("name_ar", "name_en", "unit", "place_label"):
        if name in values:
            fields[name] = _text(name, values[name])
    if "description" in values:
        fields["description"] = _text("description", values["description"], required=False)
    if "unit_price" in values:
        price = values["unit_price"]
        if (
            not isinstance(price, Money)
            or price.currency != currency
            or not 0 < price.amount <= MAX_UNIT_PRICE
        ):
            raise InvalidInput(
                "bad_price",
                gettext_noop("The price is more than zero and at most %(most)s."),
                most=str(Money(MAX_UNIT_PRICE, currency)),
            )
        fields["unit_price"] = price.amount
    if "stock" in values:
        stock = values["stock"]
        if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK:
            raise InvalidInput(
                "bad_stock",
                gettext_noop("Stock is a whole number from 0 to %(most)s."),
                most=MAX_STOCK,
            )
        fields["stock"] = stock
    for flag in ("pickup", "delivery", "active"):
        if flag in values:
            fields[flag] = bool(values[flag])
    if "place" in values:
        fields["place_lat"], fields["place_lon"] = checked_point(*values["place"])
    return fields


PRODUCT_FIELDS = frozenset(
    {
        "name_ar",
        "name_en",
        "description",
        "unit_price",
        "unit",
        "stock",
        "pickup",
        "delivery",
        "place_label",
        "place",
        "active",
    }
)


def _audit_product(actor: User, action: str, product: Product) -> None:
    record(
        actor_id=actor.pk,
        action=f"shop.{action}",
        subject_type="product",
        subject_id=product.pk,
        policy_version=current_policy().number,
        after={
            "producer": product.producer.number,
            "unit_price": str(product.unit_price),
            "stock": product.stock,
            "active": product.active,
        },
    )


def _fulfilment_offered(product: Product) -> None:
    if not (product.pickup or product.delivery):
        raise InvalidInput(
            "no_fulfilment",
            gettext_noop("Offer pickup, delivery or both."),
        )


@transaction.atomic
def list_product(*, actor: User, **values: Any) -> Product:
    """A producer puts a new product on sale."""
    producer = producer_of(actor)
    currency = current_policy().policy.currency
    missing = PRODUCT_FIELDS - {"description", "active"} - set(values)
    if missing or set(values) - PRODUCT_FIELDS:
        raise InvalidInput("bad_product", gettext_noop("Fill in every field of the product."))
    product = Product(producer=producer, currency=currency, **_product_fields(values, currency))
    _fulfilment_offered(product)
    product.save()
    _audit_product(actor, "product_listed", product)
    return product


def _own_product(actor: User, product_id: int) -> Product:
    product = (
        Product.objects.select_for_update()
        .select_related("producer")
        .filter(pk=product_id, producer__user=actor)
        .first()
        if isinstance(product_id, int) and 0 < product_id <= MAX_ID
        else None
    )
    if product is None:
        raise NotFound("not_found", gettext_noop("No such product."))
    return product


@transaction.atomic
def change_product(*, actor: User, product_id: int, **values: Any) -> Product:
    """The producer changes their product (price, stock, on sale...); orders already placed
    keep the price they were placed at."""
    product = _own_product(actor, product_id)
    if set(values) - PRODUCT_FIELDS:
        raise InvalidInput("bad_product", gettext_noop("Fill in every field of the product."))
    for name, value in _product_fields(values, product.currency).items():
        setattr(product, name, value)
    _fulfilment_offered(product)
    product.save()
    _audit_product(actor, "product_changed", product)
    return product


# --- The cart -----------------------------------------------------------------------------


def _locked_cart(customer: User) -> Cart:
    """The customer's cart, locked: their cart changes and checkouts happen one at a time."""
    Cart.objects.get_or_create(customer=customer)
    return Cart.objects.select_for_update().get(customer=customer)


def _quantity(quantity: Any, *, allow_zero: bool = False) -> int:
    lowest = 0 if allow_zero else 1
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        quantity = -1
    if not lowest <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            "bad_quantity",
            gettext_noop("The quantity is a whole number from %(least)s to %(most)s."),
            least=lowest,
            most=MAX_QUANTITY,
        )
    return quantity


def _for_sale(product_id: Any) -> Product:
    product = (
        Product.objects.select_related("producer").filter(pk=product_id, active=True).first()
        if isinstance(product_id, int) and 0 < product_id <= MAX_ID
        else None
    )
    if product is None:
        raise NotFound("not_found", gettext_noop("No such product on sale."))
    return product


def _within_stock(product: Product, quantity: int) -> None:
    if quantity > product.stock:
        raise _short(product, product.stock)


def _short(product: Product, left: int) -> DomainError:
    return DomainError(
        "not_enough_stock",
        gettext_noop("Not enough %(product)s: %(left)s %(unit)s left."),
        product=product.name,
        left=left,
        unit=product.unit,
    )


def _set_line(cart: Cart, product: Product, quantity: int) -> None:
    if quantity == 0:
        CartLine.objects.filter(cart=cart, product=product).delete()
        return
    if product.producer.user_id == cart.customer_id:
        raise DomainError("own_product", gettext_noop("You cannot buy your own products."))
    _within_stock(product, quantity)
    if (
        not CartLine.objects.filter(cart=cart, product=product).exists()
        and cart.lines.count() >= MAX_CART_LINES
    ):
        raise InvalidInput(
            "cart_full",
            gettext_noop("A cart holds at most %(most)s products."),
            most=MAX_CART_LINES,
        )
    CartLine.objects.update_or_create(cart=cart, product=product, defaults={"quantity": quantity})


@transaction.atomic
def add_to_cart(*, actor: User, product_id: int, quantity: int) -> Cart:
    """Put ``quantity`` more of a product in the actor's cart."""
    quantity = _quantity(quantity)
    product = _for_sale(product_id)
    cart = _locked_cart(actor)
    held = CartLine.objects.filter(cart=cart, product=product).values_list("quantity", flat=True)
    _set_line(cart, product, _quantity(quantity + (held.first() or 0)))
    return cart


@transaction.atomic
def set_in_cart(*, actor: User, product_id: int, quantity: int) -> Cart:
    """Change how many of a product the cart holds; zero takes it out."""
    quantity = _quantity(quantity, allow_zero=True)
    cart = _locked_cart(actor)
    if quantity == 0:
        if isinstance(product_id, int) and 0 < product_id <= MAX_ID:
            CartLine.objects.filter(cart=cart, product_id=product_id).delete()
        return cart
    _set_line(cart, _for_sale(product_id), quantity)
    return cart


@transaction.atomic
def fill_cart(*, actor: User, lines: list[tuple[int, int]]) -> Cart:
    """Replace the whole cart with ``(product id, quantity)`` lines."""
    if len(lines) > MAX_CART_LINES or len({pid for pid, _q in lines}) != len(lines):
        raise InvalidInput(
            "bad_cart",
            gettext_noop("Name each product once, at most %(most)s of them."),
            most=MAX_CART_LINES,
        )
    cart = _locked_cart(actor)
    cart.lines.all().delete()
    for product_id, quantity in lines:
        _set_line(cart, _for_sale(product_id), _quantity(quantity))
    return cart


# --- Checkout -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dropoff:
    label: str
    lat: Decimal
    lon: Decimal


def checked_dropoff(label: Any, lat: Any, lon: Any) -> Dropoff:
    text = label.strip() if isinstance(label, str) else ""
    if not text or len(text) > TEXT_LIMITS["place_label"]:
        raise InvalidInput(
            "bad_dropoff", gettext_noop("Say where to deliver, in at most 120 characters.")
        )
    return Dropoff(text, *checked_point(lat, lon))


def _take_stock(product: Product, quantity: int) -> None:
    """One conditional UPDATE: the stock goes down only if enough is left."""
    if not Product.objects.filter(pk=product.pk, active=True, stock__gte=quantity).update(
        stock=F("stock") - quantity
    ):
        now = Product.objects.filter(pk=product.pk).values_list("stock", "active").first()
        left, active = now or (0, False)
        if not active:
            raise DomainError(
                "not_on_sale",
                gettext_noop("%(product)s is no longer on sale."),
                product=product.name,
            )
        raise _short(product, left)


def _title(producer: Membership, items: int) -> str:
    return ngettext(
        "%(count)s item from %(producer)s", "%(count)s items from %(producer)s", items
    ) % {"count": items, "producer": producer.user.get_full_name()}


@transaction.atomic
def checkout(
    *,
    actor: User,
    fulfilment: str,
    method: str,
    idempotency_key: str,
    dropoff: Dropoff | None = None,
) -> list[Order]:
    """Order everything in the cart: one order per producer, stock taken line by line, all or
    nothing. The same key again returns the orders the first checkout placed."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise InvalidInput("bad_key", gettext_noop("This form has expired; open it again."))
    if fulfilment not in Fulfilment.values:
        raise InvalidInput("bad_fulfilment", gettext_noop("Choose pickup or delivery."))
    if method not in PaymentMethod.values:
        raise InvalidInput("bad_method", gettext_noop("Choose how you will pay."))
    if fulfilment == Fulfilment.DELIVERY and dropoff is None:
        raise InvalidInput("dropoff_needed", gettext_noop("Say where to deliver."))
    cart = _locked_cart(actor)
    scoped = f"{actor.pk}:{key}"  # as market.scoped_key scopes it (the key is not blank here)
    earlier = list(Order.objects.filter(basket__checkout_key=scoped, customer=actor).order_by("pk"))
    if earlier:
        return earlier
    lines = list(cart.lines.select_related("product__producer__user").order_by("product_id"))
    if not lines:
        raise DomainError("empty_cart", gettext_noop("Your cart is empty."))
    by_producer: dict[Membership, list[CartLine]] = defaultdict(list)
    for line in lines:
        product = line.product
        if product.producer.user_id == actor.pk:
            raise DomainError("own_product", gettext_noop("You cannot buy your own products."))
        if fulfilment == Fulfilment.DELIVERY and not product.delivery:
            raise DomainError(
                "no_delivery",
                gettext_noop("%(product)s cannot be delivered; pick it up instead."),
                product=product.name,
            )
        if fulfilment == Fulfilment.PICKUP and not product.pickup:
            raise DomainError(
                "no_pickup",
                gettext_noop("%(product)s is only delivered."),
                product=product.name,
            )
        _take_stock(product, line.quantity)
        by_producer[product.producer].append(line)
    current = current_policy()
    orders = []
    for producer, producer_lines in sorted(by_producer.items(), key=lambda kv: kv[0].number):
        total = sum(
            (line.product.unit_price * line.quantity for line in producer_lines), Decimal(0)
        )
        quote = quote_agreed(
            policy=current.policy,
            policy_version=current.number,
            price=Money(total, current.policy.currency),
        )
        order = market.place(
            customer=actor,
            sector=Sector.PRODUCT,
            title=_title(producer, sum(line.quantity for line in producer_lines)),
            quote=quote,
            worker=producer,
            idempotency_key=f"shop:{key}:{producer.number}",
            fulfilment=fulfilment,
        )
        basket = Basket.objects.create(
            order=order,
            fulfilment=fulfilment,
            method=method,
            dropoff_label=dropoff.label if dropoff else "",
            dropoff_lat=dropoff.lat if dropoff else None,
            dropoff_lon=dropoff.lon if dropoff else None,
            checkout_key=scoped,
        )
        BasketLine.objects.bulk_create(
            BasketLine(
                basket=basket,
                product=line.product,
                quantity=line.quantity,
                unit_price=line.product.unit_price,
            )
            for line in producer_lines
        )
        notify(
            recipient=producer.user_id,
            kind=Notice.PRODUCT_ORDERED,
            payload={"order": order.pk, "items": sum(line.quantity for line in producer_lines)},
            link=reverse("market:order", args=[order.pk]),
            actor=actor,
        )
        orders.append(order)
    CartLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    return orders


# --- The order's life ---------------------------------------------------------------------


def _locked_basket(order_id: int) -> Basket:
    basket = (
        Basket.objects.select_for_update(of=("self",))
        .select_related("order__worker__user", "order__customer")
        .filter(order_id=order_id)
        .first()
        if isinstance(order_id, int) and 0 < order_id <= MAX_ID
        else None
    )
    if basket is None:
        raise NotFound("not_found", gettext_noop("No such order."))
    return basket


def _put_back(basket: Basket) -> None:
    """The goods back on the shelf, before the order changes: the products are locked before
    the audit counter, as in a checkout, so the two never wait on each other. If the order has
    moved on meanwhile, the refusal rolls this back."""
    for product_id, quantity in basket.lines.order_by("product_id").values_list(
        "product_id", "quantity"
    ):
        Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason_too_long", gettext_noop("The reason is too long."))
    return reason


@transaction.atomic
def confirm(*, actor: User, order_id: int) -> Order:
    """The producer will prepare the order."""
    basket = _locked_basket(order_id)
    market.require_party(actor, basket.order, worker=True)
    return market.advance(
        order=basket.order,
        actor=actor,
        to=Status.CONFIRMED,
        allowed_from=[Status.REQUESTED],
        event=OrderEvent.Kind.CONFIRMED,
    )


@transaction.atomic
def refuse(*, actor: User, order_id: int, reason: str = "") -> Order:
    """The producer cannot fill the order: it is cancelled and the goods go back on the shelf."""
    reason = _reason(reason)
    basket = _locked_basket(order_id)
    market.require_party(actor, basket.order, worker=True)
    _put_back(basket)
    return market.advance(
        order=basket.order,
        actor=actor,
        to=Status.CANCELLED,
        allowed_from=[Status.REQUESTED],
        event=OrderEvent.Kind.DECLINED,
        note=reason,
    )


@transaction.atomic
def cancel(*, actor: User, order_id: int, reason: str = "") -> Order:
    """The customer changes their mind before the producer confirms."""
    reason = _reason(reason)
    basket = _locked_basket(order_id)
    market.require_party(actor, basket.order, customer=True)
    _put_back(basket)
    return market.advance(
        order=basket.order,
        actor=actor,
        to=Status.CANCELLED,
        allowed_from=[Status.REQUESTED],
        event=OrderEvent.Kind.CANCELLED,
        note=reason,
    )


def _fulfilled_by(basket: Basket, fulfilment: Fulfilment) -> None:
    if basket.fulfilment != fulfilment:
        raise DomainError(
            "wrong_fulfilment",
            gettext_noop("This order is for %(fulfilment)s."),
            fulfilment=Fulfilment(basket.fulfilment).label,
        )


@transaction.atomic
def hand_over(*, actor: User, order_id: int) -> Order:
    """The customer picked the order up and paid: the sale goes into the books."""
    basket = _locked_basket(order_id)
    market.require_party(actor, basket.order, worker=True)
    _fulfilled_by(basket, Fulfilment.PICKUP)
    order = market.advance(
        order=basket.order,
        actor=actor,
        to=Status.COMPLETED,
        allowed_from=[Status.CONFIRMED],
        event=OrderEvent.Kind.COMPLETED,
        data={"fulfilment": basket.fulfilment},
    )
    market.take_payment(order=order, actor=actor, method=basket.method)
    return order


@transaction.atomic
def ready_for_delivery(*, actor: User, order_id: int) -> Order:
    """The producer has packed a delivery order: a delivery trip is requested from the pickup
    place to the customer's drop-off, and the order is on its way."""
    from taawun.market.trips.actions import request_delivery  # the trips sector's entry point

    basket = _locked_basket(order_id)
    market.require_party(actor, basket.order, worker=True)
    _fulfilled_by(basket, Fulfilment.DELIVERY)
    first = basket.lines.select_related("product").order_by("product_id").first()
    assert first is not None  # a basket always has lines
    lat, lon = basket.dropoff_lat, basket.dropoff_lon
    assert lat is not None and lon is not None  # the database holds a delivery's drop-off
    order = market.advance(
        order=basket.order,
        actor=actor,
        to=Status.IN_PROGRESS,
        allowed_from=[Status.CONFIRMED],
        event=OrderEvent.Kind.STARTED,
    )
    trip = request_delivery(
        customer=order.customer,
        pickup=(first.product.place_lat, first.product.place_lon),
        dropoff=(lat, lon),
        pickup_label=first.product.place_label,
        dropoff_label=basket.dropoff_label,
        title=gettext("Delivery of order %(number)s") % {"number": order.pk},
        method=basket.method,
        idempotency_key=f"shop-delivery:{order.pk}",
    )
    basket.trip = trip
    basket.save(update_fields=["trip"])
    return order


@transaction.atomic
def mark_delivered(*, actor: User, order_id: int) -> Order:
    """The delivery reached the customer, who paid: the sale goes into the books."""
    basket = _locked_basket(order_id)
    market.require_party(actor, basket.order, worker=True, board=True)
    _fulfilled_by(basket, Fulfilment.DELIVERY)
    order = market.advance(
        order=basket.order,
        actor=actor,
        to=Status.COMPLETED,
        allowed_from=[Status.IN_PROGRESS],
        event=OrderEvent.Kind.COMPLETED,
        data={"fulfilment": basket.fulfilment},
    )
    market.take_payment(order=order, actor=actor, method=basket.method)
    return order
