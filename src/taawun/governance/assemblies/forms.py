"""Forms of the assembly pages. They only shape input; the rules live in the actions."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from taawun.members.models import Membership

from .actions import (
    MAX_ADDENDUM,
    MAX_AGENDA,
    MAX_ITEM_TEXT,
    MAX_LINK,
    MAX_MINUTES,
    MAX_NOTICE,
    MAX_PLACE,
    MAX_REASON,
    MAX_TITLE,
)
from .models import MAX_ID, MAX_NUMBER, Assembly


def _text(label: Any, limit: int, *, rows: int = 4, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class CallForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Assembly.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("On the co-op's local clock."),
    )
    place = forms.CharField(label=_("Place"), max_length=MAX_PLACE, required=False)
    online_link = forms.URLField(
        label=_("Online link"), max_length=MAX_LINK, required=False, assume_scheme="https"
    )
    notice = _text(_("Notice to the members"), MAX_NOTICE, rows=8)
    answers_request = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_ID
    )


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE, required=False)
    text = _text(_("Text (optional)"), MAX_ITEM_TEXT, rows=3, required=False)
    proposal = forms.IntegerField(
        label=_("Number of the proposal decided (optional)"),
        required=False,
        min_value=1,
        max_value=MAX_NUMBER,
    )

    def has_content(self) -> bool:
        data = self.cleaned_data
        return bool((data.get("title") or "").strip() or (data.get("text") or "").strip()) or (
            data.get("proposal") is not None
        )


class BaseAgendaFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        # Django calls it "Order", which Arabic reads as a purchase order.
        form.fields[forms.formsets.ORDERING_FIELD_NAME].label = _("Position")


AgendaFormSet = forms.formset_factory(
    AgendaItemForm,
    formset=BaseAgendaFormSet,
    extra=3,
    can_order=True,
    max_num=MAX_AGENDA,
    validate_max=True,
    absolute_max=MAX_AGENDA + 3,
)


def _member_choices(members: list[Membership]) -> list[tuple[int, str]]:
    return [(m.number, f"{m.number} · {m.user.get_full_name()}") for m in members]


class AttendanceForm(forms.Form):
    """A checklist of the members with a vote. ``were_present`` carries the marks as drawn, so
    only a mark taken off here is taken back: a member who checked in meanwhile stays present."""

    present = forms.TypedMultipleChoiceField(
        label=_("Present"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    were_present = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args: Any, members: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _member_choices(members)
        for name in ("present", "were_present"):
            cast(forms.ChoiceField, self.fields[name]).choices = choices


class OpenForm(forms.Form):
    secretary = forms.IntegerField(
        label=_("Member number of the secretary (optional)"),
        required=False,
        min_value=1,
        max_value=MAX_NUMBER,
        help_text=_("The secretary records attendance and writes the minutes with the board."),
    )


class CancelForm(forms.Form):
    reason = _text(_("Reason for cancelling (members read it)"), MAX_REASON)


class MinutesForm(forms.Form):
    text = _text(_("Minutes"), MAX_MINUTES, rows=18)


class ApproveForm(forms.Form):
    minutes_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)


class AddendumForm(forms.Form):
    text = _text(_("Addendum"), MAX_ADDENDUM)


class RequestForm(forms.Form):
    title = forms.CharField(label=_("What the assembly is for"), max_length=MAX_TITLE)
    reason = _text(_("Why it cannot wait for the annual assembly"), MAX_REASON, rows=6)
