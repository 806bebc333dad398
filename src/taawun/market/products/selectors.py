"""Reads of the shop: the public catalogue, a producer's own products and orders to prepare,
what the co-op owes them, a customer's cart, and an order's basket for its parties."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain import ledger as books
from taawun.domain.errors import NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.ledger.models import Account
from taawun.market.models import OPEN_STATUSES, Order, Sector
from taawun.market.selectors import access_order_or_404
from taawun.members.models import Membership

from .actions import MAX_ID, producer_of
from .models import Basket, Cart, CartLine, Product

PAGE_SIZE = 24
MAX_SEARCH = 100


def catalogue(search: str = "", page: int | str = 1) -> Page[Product]:
    """Active products, by name, optionally only those whose name holds ``search``."""
    products = Product.objects.filter(active=True).select_related("producer__user")
    search = search.strip()[:MAX_SEARCH]
    if search:
        products = products.filter(Q(name_ar__icontains=search) | Q(name_en__icontains=search))
    return Paginator(products, PAGE_SIZE).get_page(page)


def product_on_sale_or_404(product_id: int | str) -> Product:
    found = _by_id(Product.objects.filter(active=True), product_id)
    if found is None:
        raise NotFound("not_found", gettext_noop("No such product on sale."))
    return found


def own_product_or_404(viewer: User, product_id: int | str) -> Product:
    found = _by_id(Product.objects.filter(producer__user=viewer), product_id)
    if found is None:
        raise NotFound("not_found", gettext_noop("No such product."))
    return found


def _by_id(products: QuerySet[Product], product_id: int | str) -> Product | None:
    try:
        number = int(product_id)
    except (TypeError, ValueError):
        return None
    if not 0 < number <= MAX_ID:
        return None
    return products.select_related("producer__user").filter(pk=number).first()


def my_products(viewer: User) -> QuerySet[Product]:
    return Product.objects.filter(producer__user=viewer).order_by("-active", "name_en", "id")


def orders_to_prepare(viewer: User) -> QuerySet[Order]:
    """The producer's open shop orders, oldest first: the first placed is the first packed."""
    return (
        Order.objects.filter(sector=Sector.PRODUCT, worker__user=viewer, status__in=OPEN_STATUSES)
        .select_related("customer", "basket")
        .order_by("id")
    )


def owed_to(producer: Membership) -> Money:
    """What the co-op owes the producer now; the treasurer's payout run pays it."""
    currency = current_policy().policy.currency
    signed = (
        Account.objects.filter(member=producer, purpose="owed_to_member", currency=currency)
        .values_list("balance", flat=True)
        .first()
    )
    natural = books.natural(books.spec("owed_to_member").kind, signed or Decimal(0))
    return Money.summed(natural, currency)


@dataclass(frozen=True)
class ProducerDesk:
    producer: Membership
    products: QuerySet[Product]
    orders: QuerySet[Order]
    owed: Money


def producer_desk(viewer: User) -> ProducerDesk:
    """Everything a producer needs on one page (only working members have one)."""
    producer = producer_of(viewer)
    return ProducerDesk(
        producer=producer,
        products=my_products(viewer),
        orders=orders_to_prepare(viewer),
        owed=owed_to(producer),
    )


@dataclass(frozen=True)
class CartView:
    lines: list[CartLine]
    total: Money | None  # None when the cart is empty

    @property
    def producers(self) -> int:
        return len({line.product.producer_id for line in self.lines})


def cart_of(viewer: User) -> CartView:
    cart = Cart.objects.filter(customer=viewer).first()
    lines = (
        list(cart.lines.select_related("product__producer__user").order_by("product__name_en"))
        if cart
        else []
    )
    if not lines:
        return CartView(lines=[], total=None)
    currency = lines[0].product.currency
    total = sum((line.product.unit_price * line.quantity for line in lines), Decimal(0))
    return CartView(lines=lines, total=Money.summed(total, currency))


def basket_or_404(viewer: User, order_id: int | str) -> Basket:
    """A shop order's basket, for its customer, its producer and the board."""
    order = access_order_or_404(viewer, order_id)
    basket = (
        Basket.objects.select_related("order", "trip").filter(order=order).first()
        if order.sector == Sector.PRODUCT
        else None
    )
    if basket is None:
        raise NotFound("not_found", gettext_noop("No such order."))
    return basket
