"""Sign-up asks for the person's name as well as email and password."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as BaseSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import GRANTABLE_ROLES, Consent, User


class SignupForm(BaseSignupForm):
    full_name = forms.CharField(label=_("Full name"), max_length=150)

    field_order = ["full_name", "email", "password1", "password2"]

    def save(self, request: Any) -> Any:
        user = super().save(request)
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])
        return user


class GrantForm(forms.Form):
    """An administrator gives a person the board or admin role."""

    email = forms.EmailField(label=_("Email address of the account"))
    role = forms.ChoiceField(
        label=_("Role"), choices=[(role.value, role.label) for role in GRANTABLE_ROLES]
    )

    def clean_email(self) -> User:
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active account has this email address."))
        return user


class AccountForm(forms.Form):
    """What a person corrects about their account themselves."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("As my browser asks")), ("ar", "العربية"), ("en", "English")],
    )


class ConsentForm(forms.Form):
    topic = forms.ChoiceField(choices=Consent.Topic.choices, widget=forms.HiddenInput)
    given = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", widget=forms.HiddenInput
    )


class CloseForm(forms.Form):
    confirm = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Without a password on the account, type its email address."),
    )
