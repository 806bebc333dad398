"""The one form of the log's page: a signed head someone kept, to check against the log."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import MAX_NOTE


class KeptHeadForm(forms.Form):
    note = forms.CharField(
        label=_("A signed head you kept"),
        help_text=_("Paste the whole text of the head, signature line included."),
        max_length=MAX_NOTE,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "ltr", "spellcheck": "false"}),
    )
