"""The services pages: the catalogue, a service's free slots and the booking form, the board's
services, a worker's week, and the buttons of a booking (on the shared order page). Each writing
view parses a form, calls one action and redirects with a message, or shows the refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.domain.money import Money
from taawun.ledger.selectors import in_books_currency
from taawun.market.actions import require_party
from taawun.web.errors import explain, refusals
from taawun.web.flow import board_desk, person, posted, run_action

from . import actions, selectors
from .forms import (
    BookingForm,
    CompleteForm,
    DayForm,
    DeclineForm,
    ServiceForm,
    SlotForm,
    WindowForm,
)
from .models import Booking, Service


def _day(request: HttpRequest) -> tuple[DayForm, dt.date | None]:
    """The day asked for (``?date=``), today when none; None with the form's error if invalid."""
    form = DayForm(request.GET if "date" in request.GET else {"date": timezone.localdate()})
    if not form.is_valid():
        return form, None
    try:
        return form, selectors.bookable_day(form.cleaned_data["date"])
    except DomainError as exc:
        form.add_error("date", explain(exc))
        return form, None


def _slots(
    day: dt.date | None, service: Service, viewer: User, **kwargs: Any
) -> list[selectors.Slot]:
    return selectors.free_slots(service, day, customer=viewer, **kwargs) if day else []


@require_http_methods(["GET", "HEAD"])
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(request, "market_services/catalogue.html", {"cards": selectors.catalogue()})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def service(request: HttpRequest, service_id: int) -> HttpResponse:
    """A service's free slots on a day, and the booking form."""
    viewer = person(request)
    found = selectors.service_or_404(service_id)
    day_form, day = _day(request)
    slots = _slots(day, found, viewer)
    form = BookingForm(posted(request), slots=slots)
    status = 400 if day_form.errors else 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            starts_at, worker_number = form.cleaned_data["slot"]
            order, status = run_action(
                form,
                actions.book,
                actor=viewer,
                service_id=found.pk,
                starts_at=starts_at,
                worker_number=worker_number,
                method=form.cleaned_data["method"],
                tip=in_books_currency(form.cleaned_data["tip"]),
                idempotency_key=form.cleaned_data["key"],
            )
            if order is not None:
                messages.success(request, _("Booked. The worker will confirm the time."))
                return redirect("market:order", order_id=order.pk)
    return render(
        request,
        "market_services/service.html",
        {
            "service": found,
            "price": selectors.service_price_now(found),
            "day_form": day_form,
            "day": day,
            "slots": slots,
            "form": form,
        },
        status=status,
    )


# --- The board -----------------------------------------------------------------------------


def _service_values(form: ServiceForm) -> dict[str, Any]:
    return {
        name: form.cleaned_data[name]
        for name in ("title_ar", "title_en", "description", "duration_minutes", "active")
    }


@board_desk
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """The board's list of every service, and the form to add one."""
    viewer = person(request)
    form = ServiceForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            added, status = run_action(
                form, actions.create_service, actor=viewer, **_service_values(form)
            )
            if added is not None:
                messages.success(request, _("The service is in the catalogue."))
                return redirect("market:services:manage")
    return render(
        request,
        "market_services/manage.html",
        {"cards": selectors.services_for_board(viewer), "form": form},
        status=status,
    )


@board_desk
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, service_id: int) -> HttpResponse:
    viewer = person(request)
    found = selectors.service_or_404(service_id, offered_only=False)
    initial = {
        "title_ar": found.title_ar,
        "title_en": found.title_en,
        "description": found.description,
        "duration_minutes": found.duration_minutes,
        "active": found.active,
    }
    form = ServiceForm(posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changed, status = run_action(
                form,
                actions.update_service,
                actor=viewer,
                service_id=found.pk,
                **_service_values(form),
            )
            if changed is not None:
                messages.success(request, _("The service is changed."))
                return redirect("market:services:manage")
    return render(
        request, "market_services/edit.html", {"service": found, "form": form}, status=status
    )


# --- A worker's week -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def week(request: HttpRequest) -> HttpResponse:
    """The worker's weekly windows (add, remove) and their bookings."""
    viewer = person(request)
    form = WindowForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            window, status = run_action(
                form,
                actions.add_window,
                actor=viewer,
                weekday=form.cleaned_data["weekday"],
                starts=form.cleaned_data["starts"],
                ends=form.cleaned_data["ends"],
            )
            if window is not None:
                messages.success(request, _("The window is added to your week."))
                return redirect("market:services:week")
    return render(
        request,
        "market_services/week.html",
        {
            "membership": selectors.my_membership(viewer),
            "windows": selectors.my_windows(viewer),
            "bookings": selectors.my_bookings(viewer),
            "form": form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def schedule(request: HttpRequest) -> HttpResponse:
    """The worker's coming bookings, day by day: the page a phone keeps for offline use."""
    viewer = person(request)
    return render(
        request,
        "market_services/schedule.html",
        {"days": selectors.my_schedule(viewer), "now": timezone.now()},
    )


@login_required
@require_POST
@refusals
def remove_window(request: HttpRequest, window_id: int) -> HttpResponse:
    actions.remove_window(actor=person(request), window_id=window_id)
    messages.success(request, _("The window is removed; bookings already made stay."))
    return redirect("market:services:week")


# --- A booking's buttons -------------------------------------------------------------------


@login_required
@require_POST
@refusals
def confirm(request: HttpRequest, order_id: int) -> HttpResponse:
    actions.confirm(actor=person(request), order_id=order_id)
    messages.success(request, _("Confirmed: the customer sees that the time is fixed."))
    return redirect("market:order", order_id=order_id)


@login_required
@require_POST
@refusals
def decline(request: HttpRequest, order_id: int) -> HttpResponse:
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    actions.decline(actor=person(request), order_id=order_id, reason=reason)
    messages.success(request, _("Declined: the customer is told and pays nothing."))
    return redirect("market:order", order_id=order_id)


@login_required
@require_POST
@refusals
def start(request: HttpRequest, order_id: int) -> HttpResponse:
    actions.start(actor=person(request), order_id=order_id)
    messages.success(request, _("Started."))
    return redirect("market:order", order_id=order_id)


@login_required
@require_POST
@refusals
def complete(request: HttpRequest, order_id: int) -> HttpResponse:
    form = CompleteForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "web/refused.html",
            {"reason": " ".join(str(e) for errors in form.errors.values() for e in errors)},
            status=400,
        )
    actions.complete(
        actor=person(request), order_id=order_id, tip=in_books_currency(form.cleaned_data["tip"])
    )
    messages.success(request, _("Completed, and the payment is in the books."))
    return redirect("market:order", order_id=order_id)


@login_required
@require_POST
@refusals
def cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = actions.cancel(actor=person(request), order_id=order_id)
    fee = Booking.objects.get(order=order).late_fee
    if fee is not None:
        messages.success(
            request,
            _("Cancelled. The late-cancellation fee of %(fee)s is paid to the worker.")
            % {"fee": Money(fee.price, fee.currency)},
        )
    else:
        messages.success(request, _("Cancelled, free of charge."))
    return redirect("market:order", order_id=order_id)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def reschedule(request: HttpRequest, order_id: int) -> HttpResponse:
    """The customer picks another free slot for their booking."""
    viewer = person(request)
    booking = selectors.booking_or_404(viewer, order_id)
    require_party(viewer, booking.order, customer=True)
    day_form, day = _day(request)
    slots = _slots(day, booking.service, viewer, moving=booking)
    form = SlotForm(posted(request), slots=slots)
    status = 400 if day_form.errors else 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            starts_at, worker_number = form.cleaned_data["slot"]
            order, status = run_action(
                form,
                actions.reschedule,
                actor=viewer,
                order_id=booking.order_id,
                starts_at=starts_at,
                worker_number=worker_number,
            )
            if order is not None:
                messages.success(request, _("Moved. The worker will confirm the new time."))
                return redirect("market:order", order_id=order.pk)
    return render(
        request,
        "market_services/reschedule.html",
        {
            "booking": booking,
            "too_late": not selectors.may_move(booking),
            "late_window": selectors.late_window(booking.order),
            "day_form": day_form,
            "day": day,
            "slots": slots,
            "form": form,
        },
        status=status,
    )
