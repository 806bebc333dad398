"""The founding assembly's form: the co-op's profile, its first rules and its first member."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from taawun.accounts.models import User
from taawun.domain import policy as policy_rules
from taawun.domain.errors import DomainError
from taawun.domain.money import CURRENCIES
from taawun.domain.policy import STANDARD_CLASS_NAMES
from taawun.web.errors import explain


@dataclass(frozen=True)
class ClassPreset:
    """A member class the founders may adopt; its stored names are data in both languages."""

    key: str
    label: Promise
    name_ar: str
    name_en: str
    include: bool
    share_price: Decimal
    shares_required: int
    instalments: int
    interval_days: int
    votes: bool
    works: bool


PRESETS = (
    ClassPreset(
        "worker",
        _("Worker members"),
        STANDARD_CLASS_NAMES["worker"]["ar"],
        STANDARD_CLASS_NAMES["worker"]["en"],
        True,
        Decimal("100.00"),
        1,
        4,
        30,
        True,
        True,
    ),
    ClassPreset(
        "user",
        _("User members"),
        STANDARD_CLASS_NAMES["user"]["ar"],
        STANDARD_CLASS_NAMES["user"]["en"],
        False,
        Decimal("25.00"),
        1,
        1,
        30,
        True,
        False,
    ),
    ClassPreset(
        "supporter",
        _("Supporter members"),
        STANDARD_CLASS_NAMES["supporter"]["ar"],
        STANDARD_CLASS_NAMES["supporter"]["en"],
        False,
        Decimal("100.00"),
        1,
        1,
        30,
        False,
        False,
    ),
)
CLASS_FIELDS = (
    "include",
    "share_price",
    "shares_required",
    "instalments",
    "interval_days",
    "votes",
)
ARABIC = {"lang": "ar", "dir": "rtl"}
ENGLISH = {"lang": "en", "dir": "ltr"}
REQUIRED = forms.Field.default_error_messages["required"]


class FoundingForm(forms.Form):
    name_ar = forms.CharField(
        label=_("Name in Arabic"), max_length=120, widget=forms.TextInput(attrs=ARABIC)
    )
    name_en = forms.CharField(
        label=_("Name in English"), max_length=120, widget=forms.TextInput(attrs=ENGLISH)
    )
    handle = forms.SlugField(
        label=_("Handle"),
        max_length=40,
        widget=forms.TextInput(attrs=ENGLISH),
        help_text=_("Short name used in addresses: Latin letters, digits and hyphens."),
    )
    city = forms.CharField(label=_("City or area"), max_length=120, required=False)
    about_ar = forms.CharField(
        label=_("About the co-op, in Arabic"),
        widget=forms.Textarea(attrs={"rows": 3, **ARABIC}),
        required=False,
    )
    about_en = forms.CharField(
        label=_("About the co-op, in English"),
        widget=forms.Textarea(attrs={"rows": 3, **ENGLISH}),
        required=False,
    )
    currency = forms.ChoiceField(
        label=_("Currency of the books"), choices=[(c, c) for c in CURRENCIES], initial="ILS"
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=[("ar", _("Arabic")), ("en", _("English"))],
        initial=["ar", "en"],
        widget=forms.CheckboxSelectMultiple,
    )
    admission_by = forms.ChoiceField(
        label=_("Who admits new members"),
        choices=[("board", _("The board")), ("vote", _("A vote of the members"))],
        initial="board",
        widget=forms.RadioSelect,
    )
    founder_name = forms.CharField(label=_("Your full name"), max_length=150)
    founder_email = forms.EmailField(label=_("Your email"))
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    founder_class = forms.ChoiceField(
        label=_("Your member class"),
        choices=[(p.key, p.label) for p in PRESETS],
        initial="worker",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for p in PRESETS:
            self.fields[f"{p.key}_include"] = forms.BooleanField(
                label=_("This co-op has this class"), required=False, initial=p.include
            )
            self.fields[f"{p.key}_share_price"] = forms.DecimalField(
                label=_("Price of one share"),
                required=False,
                initial=p.share_price,
                min_value=Decimal("0.001"),
                max_digits=15,
                decimal_places=3,
            )
            self.fields[f"{p.key}_shares_required"] = forms.IntegerField(
                label=_("Shares each member holds"),
                required=False,
                initial=p.shares_required,
                min_value=1,
                max_value=1000,
            )
            self.fields[f"{p.key}_instalments"] = forms.IntegerField(
                label=_("Payable in instalments"),
                required=False,
                initial=p.instalments,
                min_value=1,
                max_value=60,
            )
            self.fields[f"{p.key}_interval_days"] = forms.IntegerField(
                label=_("Days between instalments"),
                required=False,
                initial=p.interval_days,
                min_value=1,
                max_value=366,
            )
            self.fields[f"{p.key}_votes"] = forms.BooleanField(
                label=_("Members of this class vote"), required=False, initial=p.votes
            )
        self.policy: policy_rules.Policy | None = None

    def class_groups(self) -> list[tuple[ClassPreset, list[forms.BoundField]]]:
        """The member-class fields, one group per class, for the template's fieldsets."""
        return [(p, [self[f"{p.key}_{name}"] for name in CLASS_FIELDS]) for p in PRESETS]

    def clean_founder_email(self) -> str:
        email: str = self.cleaned_data["founder_email"].strip().lower()
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_password(data)
        classes = self._classes(data)
        if not classes:
            raise ValidationError(_("Choose at least one member class."))
        founder_class = data.get("founder_class")
        if founder_class and founder_class not in {c["key"] for c in classes}:
            self.add_error("founder_class", _("Your class must be one of the co-op's classes."))
        if self.errors:
            return data
        try:
            self.policy = policy_rules.founding_policy(
                currency=data["currency"],
                classes=classes,
                languages=tuple(data["languages"]),
                admission_by=data["admission_by"],
            )
        except DomainError as error:
            raise ValidationError(explain(error)) from None
        return data

    def _check_password(self, data: dict[str, Any]) -> None:
        password1, password2 = data.get("password1"), data.get("password2")
        if not password1 or not password2:
            return
        if password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
            return
        person = User(email=data.get("founder_email", ""), full_name=data.get("founder_name", ""))
        try:
            password_validation.validate_password(password1, user=person)
        except ValidationError as error:
            self.add_error("password1", error)

    def _classes(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        classes: list[dict[str, Any]] = []
        for p in PRESETS:
            if not data.get(f"{p.key}_include"):
                for name in CLASS_FIELDS:  # a class left out: its other fields do not matter
                    self.errors.pop(f"{p.key}_{name}", None)
                continue
            values = {name: data.get(f"{p.key}_{name}") for name in CLASS_FIELDS[1:5]}
            missing = [
                name
                for name, value in values.items()
                if value is None and f"{p.key}_{name}" not in self.errors
            ]
            for name in missing:
                self.add_error(f"{p.key}_{name}", REQUIRED)
            if missing or any(f"{p.key}_{name}" in self.errors for name in CLASS_FIELDS):
                classes.append({"key": p.key})  # counted as chosen; its errors are shown
                continue
            classes.append(
                {
                    "key": p.key,
                    "name": {"ar": p.name_ar, "en": p.name_en},
                    "share_price": str(values["share_price"]),
                    "shares_required": values["shares_required"],
                    "instalments": values["instalments"],
                    "instalment_interval_days": values["interval_days"],
                    "votes": bool(data.get(f"{p.key}_votes")),
                    "works": p.works,
                }
            )
        return classes
