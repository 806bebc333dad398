"""Local products: goods members make, the carts customers fill, and the basket each shop order
carries (what was bought, at which unit price, picked up or delivered).

Stock is a plain count the database keeps at zero or above; a checkout takes it with one
conditional UPDATE per line, so two customers after the last jar cannot both get it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taawun.market.models import Order
from taawun.members.models import Membership, PaymentMethod, money_field

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def coordinate(verbose_name: StrOrPromise) -> models.DecimalField[Decimal, Decimal]:
    """Degrees to six decimals (about 10 cm), enough for a doorstep."""
    return models.DecimalField(verbose_name, max_digits=9, decimal_places=6)


class Product(models.Model):
    producer = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="products")
    name_ar = models.CharField(_("name in Arabic"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    unit_price = money_field(_("price per unit"))
    unit = models.CharField(_("unit"), max_length=20)
    stock = models.IntegerField(_("in stock"))
    pickup = models.BooleanField(_("can be picked up"), default=True)
    delivery = models.BooleanField(_("can be delivered"), default=False)
    place_label = models.CharField(_("pickup place"), max_length=120)
    place_lat = coordinate(_("latitude"))
    place_lon = coordinate(_("longitude"))
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_en", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__gte=0), name="shop_product_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gt=0), name="shop_product_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(pickup=True) | Q(delivery=True), name="shop_product_pickup_or_delivery"
            ),
            models.CheckConstraint(
                condition=Q(place_lat__gte=-90, place_lat__lte=90, place_lon__gte=-180)
                & Q(place_lon__lte=180),
                name="shop_product_place_on_earth",
            ),
        ]
        indexes = [models.Index(fields=["producer", "active"], name="shop_product_producer_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the reader's language."""
        return self.name_ar if (get_language() or "").startswith("ar") else self.name_en


class Cart(models.Model):
    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_cart"
    )

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return f"cart {self.customer_id}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="shop_cart_line_once"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="shop_cart_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class Fulfilment(models.TextChoices):
    PICKUP = "pickup", _("pickup")
    DELIVERY = "delivery", _("delivery")


class Basket(models.Model):
    """A shop order's details: one producer's goods for one customer."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="basket")
    fulfilment = models.CharField(_("fulfilment"), max_length=10, choices=Fulfilment.choices)
    method = models.CharField(_("paid by"), max_length=10, choices=PaymentMethod.choices)
    dropoff_label = models.CharField(_("drop-off"), max_length=120, blank=True)
    dropoff_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    dropoff_lon = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_key = models.CharField(max_length=300, db_index=True)
    trip = models.OneToOneField(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="delivered_basket"
    )

    class Meta:
        ordering = ["-order_id"]
        verbose_name = _("basket")
        verbose_name_plural = _("baskets")
        constraints = [
            models.CheckConstraint(
                condition=Q(fulfilment="pickup")
                | Q(dropoff_lat__isnull=False, dropoff_lon__isnull=False),
                name="shop_basket_delivery_has_dropoff",
            )
        ]

    def __str__(self) -> str:
        return f"basket of order {self.order_id}"


class BasketLine(models.Model):
    basket = models.ForeignKey(Basket, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = money_field(_("price per unit"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("basket line")
        verbose_name_plural = _("basket lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="shop_basket_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gt=0), name="shop_basket_line_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity
