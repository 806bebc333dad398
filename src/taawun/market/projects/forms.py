"""Forms for the freelance projects. They only shape input; the rules live in the actions."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from taawun.ledger.forms import amount_field
from taawun.members.models import PaymentMethod

from .actions import MAX_DAYS, MAX_LINK, MAX_MILESTONES, MAX_NOTE, MAX_REASON, MAX_TEXT, MAX_TITLE

SEPARATORS = " \t:|-\u2014\u2013"  # spaces, colon, bar, hyphen, em and en dashes


class BriefForm(forms.Form):
    title = forms.CharField(label=_("What do you need?"), max_length=MAX_TITLE)
    description = forms.CharField(
        label=_("Describe the work"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    budget = amount_field(_("Budget (optional)"), required=False)
    deadline = forms.DateField(
        label=_("Deadline (optional)"), required=False, widget=forms.DateInput({"type": "date"})
    )


class ProposalForm(forms.Form):
    price = amount_field(_("Your price"))
    days = forms.IntegerField(label=_("Days to deliver"), min_value=1, max_value=MAX_DAYS)
    plan = forms.CharField(
        label=_("How you will do it"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5})
    )
    milestones = forms.CharField(
        label=_("Milestones"),
        max_length=MAX_MILESTONES * 140,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line: what you deliver, then its amount, e.g. 'First designs 300.00'. "
            "From 1 to 10 milestones; their amounts add up to your price."
        ),
    )

    def clean_milestones(self) -> list[tuple[str, Decimal]]:
        steps = []
        for line in self.cleaned_data["milestones"].splitlines():
            if not line.strip():
                continue
            title, _space, amount = line.strip().rpartition(" ")
            try:
                value = Decimal(amount.strip())
            except InvalidOperation:
                value = Decimal("NaN")
            if not title.strip(SEPARATORS) or not value.is_finite() or value <= 0:
                raise forms.ValidationError(
                    _("Write each milestone as what you deliver, then its amount."),
                    code="bad_line",
                )
            steps.append((title.strip(SEPARATORS), value))
        return steps


class ChooseForm(forms.Form):
    method = forms.ChoiceField(label=_("You will pay by"), choices=PaymentMethod.choices)


class DeliverForm(forms.Form):
    note = forms.CharField(
        label=_("What you deliver"), max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3})
    )
    link = forms.CharField(
        label=_("Link to the work (optional)"),
        max_length=MAX_LINK,
        required=False,
        widget=forms.URLInput,
    )


class AcceptForm(forms.Form):
    tip = amount_field(_("Tip (optional, all of it to the worker)"), required=False)


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong"), max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[("pay", _("pay the worker as agreed")), ("cancel", _("cancel the milestone"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Why"), max_length=MAX_REASON)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why (optional)"), max_length=MAX_REASON, required=False)
