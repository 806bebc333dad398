"""Forms for the membership pages. They only shape input; the rules live in the actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taawun.domain.money import Money
from taawun.domain.policy import Policy

from .actions import PROFILE_FIELDS
from .models import PaymentMethod, Profile


def class_name(policy: Policy, key: str) -> str:
    """A member class's name in the current language (the key if the policy no longer has it)."""
    for member_class in policy.membership.classes:
        if member_class.key == key:
            return member_class.name.get(get_language() or "ar")
    return key


def class_choices(policy: Policy) -> list[tuple[str, str]]:
    return [(c.key, class_name(policy, c.key)) for c in policy.membership.classes]


@dataclass(frozen=True)
class ClassTerms:
    """What an applicant needs to know about a class before choosing it."""

    key: str
    name: str
    total: Money
    instalments: int
    votes: bool


class ApplicationForm(forms.Form):
    member_class = forms.ChoiceField(label=_("Member class"), widget=forms.RadioSelect)
    motivation = forms.CharField(
        label=_("Why do you want to join?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        required=False,
        help_text=_("Optional. The board reads this with your application."),
    )

    def __init__(self, *args: Any, policy: Policy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.terms = [
            ClassTerms(
                key=c.key,
                name=class_name(policy, c.key),
                total=policy.share_total(c.key),
                instalments=c.instalments,
                votes=c.votes,
            )
            for c in policy.membership.classes
        ]
        self.fields["member_class"].choices = [(t.key, t.name) for t in self.terms]  # type: ignore[attr-defined]

    def class_options(self) -> list[tuple[Any, ClassTerms]]:
        """Each radio button with the terms of its class, for the template to lay out."""
        return list(zip(self["member_class"], self.terms, strict=True))


class NoticeForm(forms.Form):
    operation = forms.ChoiceField(
        choices=[("give", _("give notice")), ("withdraw", _("withdraw notice"))],
        widget=forms.HiddenInput,
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = PROFILE_FIELDS
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 4}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }

    # (value field, visibility field) pairs; the email itself comes from the account.
    PAIRS = (
        ("display_name", "name_visibility"),
        ("phone", "phone_visibility"),
        ("city", "city_visibility"),
        ("skills", "skills_visibility"),
        ("bio", "bio_visibility"),
        (None, "email_visibility"),
    )

    def pairs(self) -> list[tuple[Any, Any]]:
        return [
            (self[value] if value else None, self[visibility]) for value, visibility in self.PAIRS
        ]


class DirectoryFilterForm(forms.Form):
    name = forms.CharField(label=_("Name contains"), required=False, max_length=100)
    member_class = forms.ChoiceField(label=_("Member class"), required=False)

    def __init__(self, *args: Any, policy: Policy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member_class"].choices = [("", _("All classes")), *class_choices(policy)]  # type: ignore[attr-defined]


class ApproveForm(forms.Form):
    """No fields: it carries the refusal of an approval as a non-field error."""


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the refusal"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The applicant will read this."),
    )


class PaymentForm(forms.Form):
    method = forms.ChoiceField(label=_("Paid by"), choices=PaymentMethod.choices)
    reference = forms.CharField(
        label=_("Transaction reference"),
        max_length=80,
        required=False,
        help_text=_("Required for a bank transfer or a mobile wallet."),
    )


class SellBackForm(forms.Form):
    waive_notice = forms.BooleanField(
        label=_("Waive the rest of the notice period"), required=False
    )


class TransferForm(forms.Form):
    to_number = forms.IntegerField(
        label=_("Member number of the receiving member"), min_value=1, max_value=2_000_000_000
    )


class LookupForm(forms.Form):
    number = forms.IntegerField(label=_("Member number"), min_value=1, max_value=2_000_000_000)
