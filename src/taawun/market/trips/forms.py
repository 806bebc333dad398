"""Forms for rides and deliveries. They shape input (a place chosen or coordinates typed); the
rules live in the actions and selectors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taawun.domain import geo
from taawun.domain.errors import DomainError
from taawun.ledger.forms import KeyedForm, amount_field
from taawun.members.models import PaymentMethod
from taawun.web.errors import explain

from .models import Place, Trip

COORDINATES_HELP = _("Or type the position as latitude, longitude, e.g. 31.9038, 35.2034.")


def place_name(place: Place) -> str:
    return place.name_ar if (get_language() or "").startswith("ar") else place.name_en


def _place_choices() -> list[tuple[str, Any]]:
    return [("", _("choose a place"))] + [(str(p.pk), place_name(p)) for p in Place.objects.all()]


class PositionForm(forms.Form):
    """Resolves a ``<prefix>_place`` choice or ``<prefix>_coordinates`` text into a position and
    a label."""

    def _position(self, prefix: str) -> None:
        chosen = self.cleaned_data.get(f"{prefix}_place") or ""
        typed = (self.cleaned_data.get(f"{prefix}_coordinates") or "").strip()
        if chosen and typed:
            self.add_error(
                f"{prefix}_coordinates", _("Choose a place or type a position, not both.")
            )
            return
        if chosen:
            place = Place.objects.filter(pk=int(chosen)).first()
            if place is None:
                self.add_error(f"{prefix}_place", _("Choose one of the places."))
                return
            self.cleaned_data[prefix] = geo.Point(place.latitude, place.longitude)
            self.cleaned_data[f"{prefix}_label"] = place_name(place)
            return
        if not typed:
            self.add_error(f"{prefix}_place", _("Choose a place or type a position."))
            return
        try:
            position = geo.parse_point(typed)
        except DomainError as refused:
            self.add_error(f"{prefix}_coordinates", explain(refused))
            return
        self.cleaned_data[prefix] = position
        self.cleaned_data[f"{prefix}_label"] = str(position)


class TripForm(PositionForm, KeyedForm):
    kind = forms.ChoiceField(
        label=_("What"), choices=Trip.Kind.choices, initial=Trip.Kind.RIDE, widget=forms.RadioSelect
    )
    pickup_place = forms.ChoiceField(label=_("Pick up at"), required=False)
    pickup_coordinates = forms.CharField(
        label=_("Pickup position"), required=False, max_length=60, help_text=COORDINATES_HELP
    )
    dropoff_place = forms.ChoiceField(label=_("Drop off at"), required=False)
    dropoff_coordinates = forms.CharField(
        label=_("Drop-off position"), required=False, max_length=60, help_text=COORDINATES_HELP
    )
    method = forms.ChoiceField(label=_("Pay by"), choices=PaymentMethod.choices)
    tip = amount_field(_("Tip (optional, all of it to the worker)"), required=False)
    quoted_price = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=18)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _place_choices()
        self.fields["pickup_place"].choices = choices  # type: ignore[attr-defined]
        self.fields["dropoff_place"].choices = choices  # type: ignore[attr-defined]

    def clean_tip(self) -> Decimal:
        return self.cleaned_data.get("tip") or Decimal(0)

    def clean(self) -> dict[str, Any]:
        super().clean()
        self._position("pickup")
        self._position("dropoff")
        return self.cleaned_data


class PresenceForm(PositionForm, forms.Form):
    online = forms.TypedChoiceField(
        label=_("I am"),
        choices=[("1", _("online: send me trips")), ("0", _("offline"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    here_place = forms.ChoiceField(label=_("Near"), required=False)
    here_coordinates = forms.CharField(
        label=_("My position"), required=False, max_length=60, help_text=COORDINATES_HELP
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["here_place"].choices = _place_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.cleaned_data.get("here_place") or self.cleaned_data.get("here_coordinates"):
            self._position("here")
        return self.cleaned_data


class CompleteForm(KeyedForm):
    km = forms.DecimalField(
        label=_("Distance driven (km)"),
        min_value=Decimal(0),
        max_value=Decimal(1000),
        decimal_places=1,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    minutes = forms.IntegerField(label=_("Minutes taken"), min_value=0, max_value=1440)


class PlaceForm(forms.Form):
    name_ar = forms.CharField(label=_("Name in Arabic"), max_length=120)
    name_en = forms.CharField(label=_("Name in English"), max_length=120)
    latitude = forms.DecimalField(
        label=_("Latitude"), min_value=Decimal(-90), max_value=Decimal(90), decimal_places=6
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), min_value=Decimal(-180), max_value=Decimal(180), decimal_places=6
    )
