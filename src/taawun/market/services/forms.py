"""Forms of the services sector. They only shape input; the rules live in the actions.

A slot is sent as one value, ``<ISO start>|<member number or "any">``, so a page lists every free
time and worker as plain radio buttons that work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taawun.ledger.forms import KeyedForm, amount_field
from taawun.members.models import PaymentMethod

from .models import LONGEST_MINUTES, MINUTE_STEP, SHORTEST_MINUTES, Weekday
from .selectors import Slot

ANY_WORKER = "any"
MAX_SLOT_TEXT = 60


class ServiceForm(forms.Form):
    title_ar = forms.CharField(label=gettext_lazy("Title in Arabic"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Title in English"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Duration in minutes"),
        min_value=SHORTEST_MINUTES,
        max_value=LONGEST_MINUTES,
        step_size=MINUTE_STEP,
        help_text=gettext_lazy("From 15 to 720, in steps of 15."),
    )
    active = forms.BooleanField(label=gettext_lazy("Offered now"), required=False, initial=True)


class WindowForm(forms.Form):
    weekday = forms.TypedChoiceField(label=gettext_lazy("Day"), choices=Weekday.choices, coerce=int)
    starts = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput({"type": "time"}, format="%H:%M")
    )
    ends = forms.TimeField(
        label=gettext_lazy("Until"), widget=forms.TimeInput({"type": "time"}, format="%H:%M")
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts is not None and ends is not None and starts >= ends:
            raise forms.ValidationError(_("A window must end after it starts."), code="backwards")
        return cleaned


class DayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput({"type": "date"}))


def slot_choices(slots: list[Slot]) -> list[tuple[str, str]]:
    """One choice for "any worker" at each free time, then one per free worker."""
    choices = []
    for slot in slots:
        start = slot.starts_at.isoformat()
        when = _("%(starts)s to %(ends)s") % {
            "starts": formats.time_format(timezone.localtime(slot.starts_at), "TIME_FORMAT"),
            "ends": formats.time_format(timezone.localtime(slot.ends_at), "TIME_FORMAT"),
        }
        choices.append((f"{start}|{ANY_WORKER}", _("%(when)s · any free worker") % {"when": when}))
        for worker in slot.workers:
            choices.append(
                (
                    f"{start}|{worker.number}",
                    _("%(when)s · %(name)s (member %(number)s)")
                    % {"when": when, "name": worker.user.get_full_name(), "number": worker.number},
                )
            )
    return choices


class SlotForm(forms.Form):
    slot = forms.CharField(
        label=gettext_lazy("Time and worker"), max_length=MAX_SLOT_TEXT, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, slots: list[Slot] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].widget.choices = slot_choices(slots or [])

    def clean_slot(self) -> tuple[dt.datetime, int | None]:
        starts, _sep, worker = self.cleaned_data["slot"].partition("|")
        try:
            starts_at = dt.datetime.fromisoformat(starts)
        except ValueError:
            starts_at = None
        if (
            starts_at is None
            or starts_at.tzinfo is None
            or not (worker == ANY_WORKER or (worker.isdecimal() and len(worker) <= 9))
        ):
            raise forms.ValidationError(_("Choose one of the times shown."), code="bad_slot")
        return starts_at, None if worker == ANY_WORKER else int(worker)


class BookingForm(SlotForm, KeyedForm):
    method = forms.ChoiceField(label=gettext_lazy("I will pay by"), choices=PaymentMethod.choices)
    tip = amount_field(gettext_lazy("Tip for the worker (optional)"), required=False)


class CompleteForm(forms.Form):
    tip = amount_field(gettext_lazy("Tip the customer gave (optional)"), required=False)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (the customer sees this)"), max_length=500, required=False
    )
