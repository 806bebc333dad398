"""Forms for the books. They only shape input; the rules live in the actions.

Forms that move money carry a key drawn when the form is shown, so a form sent twice (a double
click, a resend after a lost connection) records the movement once.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taawun.members.models import PaymentMethod

MAX_AMOUNT = Decimal("999999999999")
MAX_NUMBER = 2**31 - 1  # a member number (PositiveIntegerField)
MAX_ENTRY = 2**63 - 1  # a journal number (PositiveBigIntegerField)
REASON_NAMES = {
    "sickness": _("sickness"),
    "injury": _("injury"),
    "parental_leave": _("parental leave"),
    "equipment": _("equipment"),
}


def amount_field(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_value=MAX_AMOUNT,
        decimal_places=3,
        required=required,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class KeyedForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=120)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", secrets.token_urlsafe(18))


class SaleForm(KeyedForm):
    worker = forms.IntegerField(
        label=_("Worker's member number"), min_value=1, max_value=MAX_NUMBER
    )
    price = amount_field(_("Price of the work"))
    tip = amount_field(_("Tip"), required=False)
    hours = forms.DecimalField(
        label=_("Hours worked"), min_value=Decimal(0), max_value=Decimal(744), decimal_places=2
    )
    method = forms.ChoiceField(label=_("Paid by"), choices=PaymentMethod.choices)
    on = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput({"type": "date"}))
    memo = forms.CharField(label=_("Note"), max_length=200, required=False)


class MoneyForm(KeyedForm):
    amount = amount_field(_("Amount"))
    method = forms.ChoiceField(label=_("Paid by"), choices=PaymentMethod.choices)
    on = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput({"type": "date"}))
    memo = forms.CharField(label=_("What for"), max_length=200)


class MoveForm(KeyedForm):
    amount = amount_field(_("Amount"))
    source = forms.ChoiceField(label=_("From"), choices=PaymentMethod.choices)
    target = forms.ChoiceField(label=_("To"), choices=PaymentMethod.choices, initial="bank")
    memo = forms.CharField(label=_("Note"), max_length=200, required=False)


class PayoutForm(KeyedForm):
    method = forms.ChoiceField(label=_("Pay by"), choices=PaymentMethod.choices)
    references = forms.CharField(
        label=_("References"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For bank or wallet payments: one line per member, 'number: reference'."),
    )

    def clean_references(self) -> dict[int, str]:
        found: dict[int, str] = {}
        for line in self.cleaned_data["references"].splitlines():
            if not line.strip():
                continue
            number, _sep, reference = (part.strip() for part in line.partition(":"))
            if not (number.isdecimal() and len(number) <= 9 and reference):
                raise forms.ValidationError(
                    _("Write each line as 'member number: reference'."), code="bad_line"
                )
            found[int(number)] = reference[:80]
        return found


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ReverseForm(ReasonForm):
    number = forms.IntegerField(label=_("Entry number"), min_value=1, max_value=MAX_ENTRY)

    field_order = ["number", "reason"]


class ClaimForm(forms.Form):
    reason = forms.ChoiceField(label=_("What the support is for"))
    amount = amount_field(_("Amount asked for"))
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Seen only by you and those who decide."),
    )

    def __init__(self, *args: Any, reasons: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [(r, REASON_NAMES.get(r, r)) for r in reasons]  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("approve and pay")), ("refuse", _("refuse"))]
    )
    note = forms.CharField(label=_("Note to the member"), max_length=300, required=False)


class FloorForm(forms.Form):
    ending_on = forms.DateField(
        label=_("The window ends on"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
        help_text=_("Leave empty for yesterday."),
    )
