"""The self-report form: one optional answer per dimension, and a consent box."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import GROUPS, Dimension

CONSENT = _(
    "I agree that the co-op keeps the groups I chose above for the fairness audit only. They are "
    "shown only as averages over at least five workers, never with my name, and never used to "
    "give out work or set prices. I can change or withdraw them at any time; withdrawing deletes "
    "them."
)


class SelfReportForm(forms.Form):
    consent = forms.BooleanField(label=CONSENT, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        not_reported = [("", _("— not reported —"))]
        answers = {
            dimension: forms.ChoiceField(
                label=capfirst(Dimension(dimension).label),
                choices=not_reported + list(groups),
                required=False,
            )
            for dimension, groups in GROUPS.items()
        }
        self.fields = {**answers, "consent": self.fields["consent"]}

    def answers(self) -> dict[str, str | None]:
        return {dimension: self.cleaned_data[dimension] or None for dimension in GROUPS}
