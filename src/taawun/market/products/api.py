"""JSON endpoints of the shop under ``/api/market/shop``: the catalogue, a producer's products,
the cart, checkout (needs an ``Idempotency-Key``) and each step of a shop order."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator, Field

from taawun.apikeys.auth import PUBLIC
from taawun.apikeys.idempotency import idempotent
from taawun.apikeys.schemas import (
    ERRORS,
    MAX_ID,
    Input,
    MoneyText,
    PaymentMethodName,
    RecordId,
    SafeText,
    WholeNumber,
    integral_float_to_int,
    money_text,
)
from taawun.coop.selectors import current_policy
from taawun.domain.money import Money
from taawun.market.api import OrderOut, actor, order_out
from taawun.market.models import Order

from . import actions, selectors
from .models import Basket, Product

router = Router(tags=["products"])

Degrees = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]{1,3}(\.[0-9]{1,6})?$",
        examples=["31.9038"],
        description="Degrees as text, at most six decimals.",
    ),
]
Quantity = Annotated[
    int, Field(ge=1, le=actions.MAX_QUANTITY), BeforeValidator(integral_float_to_int)
]
Stock = Annotated[int, Field(ge=0, le=actions.MAX_STOCK), BeforeValidator(integral_float_to_int)]


class ProductOut(Schema):
    id: int
    name_ar: str
    name_en: str
    description: str
    currency: str
    unit_price: MoneyText
    unit: str
    stock: int
    pickup: bool
    delivery: bool
    place_label: str
    place_lat: str
    place_lon: str
    active: bool
    producer: int = Field(description="The producer's member number.")
    producer_name: str


def product_out(product: Product) -> ProductOut:
    return ProductOut(
        id=product.pk,
        name_ar=product.name_ar,
        name_en=product.name_en,
        description=product.description,
        currency=product.currency,
        unit_price=money_text(product.unit_price, product.currency),
        unit=product.unit,
        stock=product.stock,
        pickup=product.pickup,
        delivery=product.delivery,
        place_label=product.place_label,
        place_lat=f"{product.place_lat.normalize():f}",
        place_lon=f"{product.place_lon.normalize():f}",
        active=product.active,
        producer=product.producer.number,
        producer_name=product.producer.user.get_full_name(),
    )


class ProductChangeIn(Input):
    name_ar: SafeText | None = Field(default=None, max_length=120)
    name_en: SafeText | None = Field(default=None, max_length=120)
    description: SafeText | None = Field(default=None, max_length=2000)
    unit_price: MoneyText | None = None
    unit: SafeText | None = Field(default=None, max_length=20)
    stock: Stock | None = None
    pickup: bool | None = None
    delivery: bool | None = None
    place_label: SafeText | None = Field(default=None, max_length=120)
    place_lat: Degrees | None = None
    place_lon: Degrees | None = None
    active: bool | None = None


class ProductIn(ProductChangeIn):
    name_ar: SafeText = Field(max_length=120)
    name_en: SafeText = Field(max_length=120)
    description: SafeText = Field(default="", max_length=2000)
    unit_price: MoneyText
    unit: SafeText = Field(max_length=20)
    stock: WholeNumber = Field(ge=0, le=actions.MAX_STOCK)
    pickup: bool = True
    delivery: bool = False
    place_label: SafeText = Field(max_length=120)
    place_lat: Degrees
    place_lon: Degrees
    active: bool = True


def _values(payload: ProductChangeIn, currency: str) -> dict[str, Any]:
    given = payload.model_dump(exclude_none=True)
    lat, lon = given.pop("place_lat", None), given.pop("place_lon", None)
    if (lat is None) != (lon is None):
        return {**given, "place": (lat or "", lon or "")}  # refused by the action
    if lat is not None:
        given["place"] = (lat, lon)
    if "unit_price" in given:
        given["unit_price"] = Money.of(given["unit_price"], currency)
    return given


@router.get(
    "/products",
    response={200: list[ProductOut], **ERRORS},
    summary="Products on sale, by name (search with q)",
    **PUBLIC,
)
def products(request: HttpRequest, q: str = "", page: int = 1) -> list[ProductOut]:
    found = selectors.catalogue(q, page if 0 < page <= MAX_ID else 1)
    return [product_out(p) for p in found.object_list]


@router.get("/products/mine", response={200: list[ProductOut], **ERRORS}, summary="My products")
def my_products(request: HttpRequest) -> list[ProductOut]:
    actions.producer_of(actor(request))
    found = selectors.my_products(actor(request)).select_related("producer__user")
    return [product_out(p) for p in found]


@router.get(
    "/products/{product_id}", response={200: ProductOut, **ERRORS}, summary="A product", **PUBLIC
)
def one_product(request: HttpRequest, product_id: int) -> ProductOut:
    return product_out(selectors.product_on_sale_or_404(product_id))


@router.post(
    "/products", response={201: ProductOut, **ERRORS}, summary="List a product (producers)"
)
def list_product(request: HttpRequest, payload: ProductIn) -> Status[ProductOut]:
    currency = current_policy().policy.currency
    product = actions.list_product(actor=actor(request), **_values(payload, currency))
    return Status(201, product_out(product))


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **ERRORS},
    summary="Change my product: price, stock, on sale...",
)
def change_product(request: HttpRequest, product_id: int, payload: ProductChangeIn) -> ProductOut:
    product = selectors.own_product_or_404(actor(request), product_id)
    changed = actions.change_product(
        actor=actor(request), product_id=product.pk, **_values(payload, product.currency)
    )
    return product_out(changed)


# --- The cart and checkout ----------------------------------------------------------------


class CartLineIn(Input):
    product: RecordId
    quantity: Quantity


class CartIn(Input):
    lines: list[CartLineIn] = Field(max_length=actions.MAX_CART_LINES)


class CartLineOut(Schema):
    product: int
    name: str
    quantity: int
    unit_price: MoneyText
    unit: str
    in_stock: int
    on_sale: bool


class CartOut(Schema):
    currency: str | None
    total: MoneyText | None
    lines: list[CartLineOut]


def _cart_out(request: HttpRequest) -> CartOut:
    cart = selectors.cart_of(actor(request))
    return CartOut(
        currency=cart.total.currency if cart.total else None,
        total=str(cart.total.amount) if cart.total else None,
        lines=[
            CartLineOut(
                product=line.product_id,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=money_text(line.product.unit_price, line.product.currency),
                unit=line.product.unit,
                in_stock=line.product.stock,
                on_sale=line.product.active,
            )
            for line in cart.lines
        ],
    )


@router.get("/cart", response={200: CartOut, **ERRORS}, summary="My cart")
def get_cart(request: HttpRequest) -> CartOut:
    return _cart_out(request)


@router.put("/cart", response={200: CartOut, **ERRORS}, summary="Replace my cart")
def put_cart(request: HttpRequest, payload: CartIn) -> CartOut:
    actions.fill_cart(
        actor=actor(request), lines=[(line.product, line.quantity) for line in payload.lines]
    )
    return _cart_out(request)


class DropoffIn(Input):
    label: SafeText = Field(max_length=120)
    lat: Degrees
    lon: Degrees


class CheckoutIn(Input):
    fulfilment: Literal["pickup", "delivery"]
    method: PaymentMethodName
    dropoff: DropoffIn | None = None


class BasketLineOut(Schema):
    product: int
    name: str
    quantity: int
    unit_price: MoneyText


class ShopOrderOut(Schema):
    order: OrderOut
    fulfilment: str
    method: str
    dropoff_label: str
    lines: list[BasketLineOut]
    trip: int | None = Field(description="The delivery trip's order, once requested.")


def shop_order_out(order: Order) -> ShopOrderOut:
    basket = Basket.objects.get(order=order)
    return ShopOrderOut(
        order=order_out(order),
        fulfilment=basket.fulfilment,
        method=basket.method,
        dropoff_label=basket.dropoff_label,
        lines=[
            BasketLineOut(
                product=line.product_id,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=money_text(line.unit_price, order.currency),
            )
            for line in basket.lines.select_related("product")
        ],
        trip=basket.trip_id,
    )


@router.post(
    "/checkout",
    response={201: list[ShopOrderOut], **ERRORS},
    summary="Order my cart: one order per producer (idempotent)",
)
@idempotent
def checkout(request: HttpRequest, payload: CheckoutIn) -> Status[list[ShopOrderOut]]:
    dropoff = payload.dropoff
    orders = actions.checkout(
        actor=actor(request),
        fulfilment=payload.fulfilment,
        method=payload.method,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        dropoff=actions.checked_dropoff(dropoff.label, Decimal(dropoff.lat), Decimal(dropoff.lon))
        if dropoff
        else None,
    )
    return Status(201, [shop_order_out(order) for order in orders])


# --- An order's steps ---------------------------------------------------------------------


class ReasonIn(Input):
    reason: SafeText = Field(default="", max_length=actions.MAX_REASON)


def _step(
    request: HttpRequest, order_id: int, action: Callable[..., Order], **extra: str
) -> ShopOrderOut:
    basket = selectors.basket_or_404(actor(request), order_id)
    return shop_order_out(action(actor=actor(request), order_id=basket.order_id, **extra))


@router.post(
    "/orders/{order_id}/confirm",
    response={200: ShopOrderOut, **ERRORS},
    summary="Confirm an order (its producer)",
)
def confirm(request: HttpRequest, order_id: int) -> ShopOrderOut:
    return _step(request, order_id, actions.confirm)


@router.post(
    "/orders/{order_id}/refuse",
    response={200: ShopOrderOut, **ERRORS},
    summary="Refuse an order; its goods go back in stock (its producer)",
)
def refuse_shop_order(
    request: HttpRequest, order_id: int, payload: ReasonIn | None = None
) -> ShopOrderOut:
    return _step(request, order_id, actions.refuse, reason=payload.reason if payload else "")


@router.post(
    "/orders/{order_id}/cancel",
    response={200: ShopOrderOut, **ERRORS},
    summary="Cancel my order before it is confirmed; its goods go back in stock",
)
def cancel_shop_order(
    request: HttpRequest, order_id: int, payload: ReasonIn | None = None
) -> ShopOrderOut:
    return _step(request, order_id, actions.cancel, reason=payload.reason if payload else "")


@router.post(
    "/orders/{order_id}/ready",
    response={200: ShopOrderOut, **ERRORS},
    summary="Ready for delivery: a delivery trip is requested (its producer; idempotent)",
)
@idempotent
def ready(request: HttpRequest, order_id: int) -> ShopOrderOut:
    return _step(request, order_id, actions.ready_for_delivery)


@router.post(
    "/orders/{order_id}/handed-over",
    response={200: ShopOrderOut, **ERRORS},
    summary="Picked up and paid (its producer; idempotent)",
)
@idempotent
def handed_over(request: HttpRequest, order_id: int) -> ShopOrderOut:
    return _step(request, order_id, actions.hand_over)


@router.post(
    "/orders/{order_id}/delivered",
    response={200: ShopOrderOut, **ERRORS},
    summary="Delivered and paid (its producer or the board; idempotent)",
)
@idempotent
def delivered(request: HttpRequest, order_id: int) -> ShopOrderOut:
    return _step(request, order_id, actions.mark_delivered)
