from django import forms
from django.utils.translation import gettext_lazy as _


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Stars"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (shown openly)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
