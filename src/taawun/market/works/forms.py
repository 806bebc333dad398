"""Forms of the creative works. They only shape input; the rules (what an image must be, who may
sell, what a licence costs) live in the actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taawun.ledger.forms import KeyedForm
from taawun.members.models import PaymentMethod

from .actions import MAX_DESCRIPTION, MAX_REFERENCE, MAX_TITLE
from .models import Kind


class UploadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Words that help people find it, separated by commas."),
    )
    image = forms.FileField(
        label=_("Image file"),
        help_text=_("PNG, JPEG or WebP, at most 20 MB. The original is never shown publicly."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )


class LicenceForm(KeyedForm):
    licence = forms.ChoiceField(label=_("Licence"), widget=forms.RadioSelect)
    method = forms.ChoiceField(label=_("Paid by"), choices=PaymentMethod.choices)
    reference = forms.CharField(
        label=_("Payment reference"),
        required=False,
        max_length=MAX_REFERENCE,
        help_text=_("For a bank transfer or a mobile wallet: the transfer's reference."),
    )

    def __init__(self, *args: Any, licences: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["licence"].choices = licences  # type: ignore[attr-defined]
        if licences and not self.is_bound:
            self.initial.setdefault("licence", licences[0][0])
