"""Forms of the shop. They only shape input; the rules live in the actions."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taawun.ledger.forms import KeyedForm, amount_field
from taawun.members.models import PaymentMethod

from .actions import MAX_QUANTITY, MAX_STOCK, TEXT_LIMITS
from .models import Fulfilment

POINT = re.compile(r"^\s*(-?\d{1,3}(?:\.\d{1,6})?)\s*,\s*(-?\d{1,3}(?:\.\d{1,6})?)\s*$")


class PointField(forms.CharField):
    """A place as "latitude, longitude" in degrees, e.g. "31.9038, 35.2034"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("Latitude, longitude in degrees, e.g. 31.9038, 35.2034."))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> tuple[Decimal, Decimal] | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = POINT.match(text)
        try:
            lat, lon = (Decimal(match.group(1)), Decimal(match.group(2))) if match else (0, 0)
        except InvalidOperation:
            match = None
        if not match or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise forms.ValidationError(
                _("Write the place as latitude, longitude, e.g. 31.9038, 35.2034."),
                code="bad_point",
            )
        return Decimal(lat), Decimal(lon)


class ProductForm(forms.Form):
    name_ar = forms.CharField(label=_("Name in Arabic"), max_length=TEXT_LIMITS["name_ar"])
    name_en = forms.CharField(label=_("Name in English"), max_length=TEXT_LIMITS["name_en"])
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    unit_price = amount_field(_("Price per unit"))
    unit = forms.CharField(
        label=_("Unit"), max_length=TEXT_LIMITS["unit"], help_text=_("For example kg, jar, box.")
    )
    stock = forms.IntegerField(label=_("In stock"), min_value=0, max_value=MAX_STOCK)
    pickup = forms.BooleanField(label=_("Customers can pick it up"), required=False)
    delivery = forms.BooleanField(label=_("It can be delivered"), required=False)
    place_label = forms.CharField(
        label=_("Pickup place"),
        max_length=TEXT_LIMITS["place_label"],
        help_text=_("Where customers and drivers collect it, e.g. Al-Bireh, near the old market."),
    )
    place = PointField(label=_("Pickup point"))
    active = forms.BooleanField(label=_("On sale"), required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("pickup") and not data.get("delivery"):
            raise forms.ValidationError(_("Offer pickup, delivery or both."), code="no_fulfilment")
        return data


class AddToCartForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1
    )


class CartLineForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=0,
        max_value=MAX_QUANTITY,
        help_text=_("0 takes it out of the cart."),
    )


class CheckoutForm(KeyedForm):
    fulfilment = forms.ChoiceField(
        label=_("Pickup or delivery"),
        choices=Fulfilment.choices,
        widget=forms.RadioSelect,
        initial=Fulfilment.PICKUP,
    )
    dropoff_label = forms.CharField(
        label=_("Deliver to"),
        max_length=TEXT_LIMITS["place_label"],
        required=False,
        help_text=_("For delivery: the address, e.g. Ramallah, Al-Irsal Street 12."),
    )
    dropoff = PointField(label=_("Drop-off point"), required=False)
    method = forms.ChoiceField(label=_("You will pay by"), choices=PaymentMethod.choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fulfilment") == Fulfilment.DELIVERY:
            if not data.get("dropoff_label"):
                self.add_error("dropoff_label", _("Say where to deliver."))
            if not data.get("dropoff"):
                self.add_error("dropoff", _("Give the drop-off point for the driver."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the customer sees it)"), max_length=300, required=False
    )
