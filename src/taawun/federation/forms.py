"""The forms of the sister co-ops' pages. They only check shape; the actions decide the rest
(limits, states, who may), so a refusal reads the same on every page and in the API."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from taawun.market.models import Order, Sector

from .actions import MAX_MEMO, MAX_TRANSFER_ID
from .models import CreditTransfer, Peer

LTR = {"dir": "ltr", "spellcheck": "false", "autocomplete": "off"}


class FollowForm(forms.Form):
    address = forms.CharField(
        label=_("The co-op's address"),
        help_text=_("For example name@example.org, or https://example.org/actor."),
        max_length=500,
        widget=forms.TextInput(attrs={**LTR, "inputmode": "url"}),
    )


class CreditLineForm(forms.Form):
    limit = forms.DecimalField(
        label=_("They may owe us up to"), min_value=0, max_digits=18, decimal_places=3
    )


class DirectoryFilter(forms.Form):
    sector = forms.ChoiceField(
        label=_("Sector"), choices=[("", _("All sectors")), *Sector.choices], required=False
    )


class PassOnForm(forms.Form):
    """An order we cannot serve, and the sister co-op that might."""

    order = forms.ModelChoiceField(queryset=Order.objects.none(), label=_("Order"))
    peer = forms.ModelChoiceField(queryset=Peer.objects.none(), label=_("Sister co-op"))
    reason = forms.CharField(
        label=_("Why we pass it on"),
        help_text=_("The customer and the sister co-op both read this."),
        max_length=300,
        required=False,
    )

    def __init__(
        self, data: Any = None, *, orders: QuerySet[Order], peers: QuerySet[Peer], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        cast(forms.ModelChoiceField, self.fields["order"]).queryset = orders
        cast(forms.ModelChoiceField, self.fields["peer"]).queryset = peers


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Why we refuse"), max_length=300)


class DeliveredForm(forms.Form):
    charged = forms.DecimalField(
        label=_("Price charged"), min_value=0, max_digits=18, decimal_places=3
    )


class ConsentForm(forms.Form):
    share = forms.ChoiceField(
        label=_("What may they know of you?"),
        choices=[
            ("email", _("My name and my email address")),
            ("none", _("Only my name: they reach me through this co-op")),
        ],
        widget=forms.RadioSelect,
    )


class TransferForm(forms.Form):
    """A payment on credit. The id is made when the form is shown, so sending the same form
    twice proposes one transfer, not two."""

    peer = forms.ModelChoiceField(queryset=Peer.objects.none(), label=_("Sister co-op"))
    transfer_id = forms.CharField(max_length=MAX_TRANSFER_ID, widget=forms.HiddenInput)
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=18, decimal_places=3)
    purpose = forms.ChoiceField(
        label=_("For"), choices=[("", "---------"), *CreditTransfer.Purpose.choices]
    )
    memo = forms.CharField(label=_("Memo"), max_length=MAX_MEMO, required=False)

    def __init__(self, data: Any = None, *, peers: QuerySet[Peer], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"transfer_id": uuid.uuid4().hex})
        super().__init__(data, **kwargs)
        cast(forms.ModelChoiceField, self.fields["peer"]).queryset = peers


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Why we give it back"), max_length=MAX_MEMO)
