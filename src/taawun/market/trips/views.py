"""The trips pages: request a ride or delivery (see the price, then confirm), the trip's live
status (refreshed by the browser every few seconds, no JavaScript), the worker's page (presence,
offers with their explanation, open trips nearby) and the board's places. Each writing view
parses a form, calls one action and redirects with a message, or shows the refusal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from taawun.domain.errors import DomainError
from taawun.market.models import Order, Status
from taawun.web.errors import explain, refusals
from taawun.web.flow import board_desk, person, posted, run_action

from . import actions, selectors
from .forms import CompleteForm, PlaceForm, PresenceForm, TripForm

REFRESH_SECONDS = 5


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def request(request: HttpRequest) -> HttpResponse:
    """Step one shows the upfront price (nothing is written); step two places the request at
    exactly that price."""
    viewer = person(request)
    form = TripForm(posted(request))
    priced = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            tip = data["tip"]
            try:
                priced = selectors.trip_quote(
                    pickup=data["pickup"], dropoff=data["dropoff"], tip=actions.tip_money(tip)
                )
                status = 200
            except DomainError as refused:
                form.add_error(None, explain(refused))
            if priced is not None and request.POST.get("step") == "confirm":
                order, status = run_action(
                    form,
                    actions.request_trip,
                    actor=viewer,
                    kind=data["kind"],
                    pickup=data["pickup"],
                    dropoff=data["dropoff"],
                    pickup_label=data["pickup_label"],
                    dropoff_label=data["dropoff_label"],
                    method=data["method"],
                    tip=tip,
                    expected_price=data["quoted_price"],
                    idempotency_key=data["key"],
                )
                if order is not None:
                    messages.success(
                        request,
                        _("Your trip is requested: a worker will be offered it in a few seconds."),
                    )
                    return redirect("market:trips:status", order_id=order.pk)
                priced = None
            if priced is not None:  # the price shown is the price confirmed
                shown = request.POST.copy()
                shown["quoted_price"] = str(priced.quote.price.amount)
                form = TripForm(shown)
                form.is_valid()
    return render(
        request,
        "market_trips/request.html",
        {"form": form, "priced": priced, "places": selectors.places()},
        status=status,
    )


def _trip_context(request: HttpRequest, order: Order) -> dict[str, Any]:
    viewer = person(request)
    is_worker = order.worker is not None and order.worker.user_id == viewer.pk
    is_customer = order.customer_id == viewer.pk
    offer = selectors.current_offer(order)
    return {
        "order": order,
        "trip": selectors.trip_of(order),
        "offer": offer,
        "offer_seconds_left": selectors.seconds_left(offer) if offer else 0,
        "is_customer": is_customer,
        "is_worker": is_worker,
        "refresh": REFRESH_SECONDS
        if order.is_open and not (is_worker and order.status == Status.IN_PROGRESS)
        else None,
    }


def _status_page(
    request: HttpRequest,
    order_id: int,
    *,
    error: str = "",
    complete_form: CompleteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    order = selectors.trip_order_or_404(person(request), order_id)
    context = _trip_context(request, order)
    context.update(error=error, complete_form=complete_form or CompleteForm())
    if error or (complete_form is not None and complete_form.errors):
        context["refresh"] = None  # let the person read the refusal
    return render(request, "market_trips/status.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def status(request: HttpRequest, order_id: int) -> HttpResponse:
    selectors.trip_order_or_404(person(request), order_id)
    actions.maybe_dispatch()
    return _status_page(request, order_id)


STEPS = {
    "accept": (actions.accept_offer, gettext_lazy("You have the trip: go to the pickup.")),
    "decline": (actions.decline_offer, gettext_lazy("Declined: the trip goes to the next batch.")),
    "take": (actions.take_trip, gettext_lazy("You have the trip: go to the pickup.")),
    "pickup": (actions.pick_up, gettext_lazy("Picked up: drive safely.")),
    "cancel": (actions.cancel_trip, gettext_lazy("The trip is cancelled, at no charge.")),
}


@login_required
@require_POST
@refusals
def step(request: HttpRequest, order_id: int, name: str) -> HttpResponse:
    """One button of a trip: accept, decline, take, pick up or cancel."""
    action, done = STEPS[name]
    try:
        action(actor=person(request), order_id=order_id)
    except DomainError as refused:
        if refused.status in (403, 404):
            raise
        return _status_page(request, order_id, error=explain(refused), status=refused.status)
    messages.success(request, str(done))
    if name in {"decline", "take"} and request.POST.get("back") == "work":
        return redirect("market:trips:work")
    return redirect("market:trips:status", order_id=order_id)


@login_required
@require_POST
@refusals
def complete(request: HttpRequest, order_id: int) -> HttpResponse:
    form = CompleteForm(request.POST)
    if form.is_valid():
        order, result = run_action(
            form,
            actions.complete_trip,
            actor=person(request),
            order_id=order_id,
            km=form.cleaned_data["km"],
            minutes=form.cleaned_data["minutes"],
            idempotency_key=form.cleaned_data["key"],
        )
        if order is not None:
            messages.success(request, _("Trip completed: the payment is in the books."))
            return redirect("market:order", order_id=order_id)
        return _status_page(request, order_id, complete_form=form, status=result)
    return _status_page(request, order_id, complete_form=form, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def work(request: HttpRequest) -> HttpResponse:
    """The worker's page: online or offline and where, the offer waiting for an answer with
    why it came to them, open trips nearby to take, and their trips under way."""
    viewer = person(request)
    member = selectors.working_membership(viewer)
    form = PresenceForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            presence, status = run_action(
                form,
                actions.set_presence,
                actor=viewer,
                online=form.cleaned_data["online"],
                position=form.cleaned_data.get("here"),
            )
            if presence is not None:
                messages.success(
                    request,
                    _("You are online: offers will appear here.")
                    if presence.online
                    else _("You are offline: no offers will come."),
                )
                return redirect("market:trips:work")
    else:
        actions.maybe_dispatch()
    presence = selectors.presence_of(member)
    offers = list(selectors.live_offers(member))
    under_way = list(selectors.my_open_trips(member))
    return render(
        request,
        "market_trips/work.html",
        {
            "form": form,
            "presence": presence,
            "offers": [(offer, selectors.seconds_left(offer)) for offer in offers],
            "nearby": selectors.open_trips_near(member) if not (offers or under_way) else [],
            "under_way": under_way,
            "declines": selectors.counted_declines(member),
            "refresh": REFRESH_SECONDS
            if request.method != "POST" and presence and presence.online and not under_way
            else None,
        },
        status=status,
    )


@board_desk
@require_http_methods(["GET", "HEAD", "POST"])
def places(request: HttpRequest) -> HttpResponse:
    form = PlaceForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            place, status = run_action(
                form, actions.add_place, actor=person(request), **form.cleaned_data
            )
            if place is not None:
                messages.success(request, _("The place is added."))
                return redirect("market:trips:places")
    return render(
        request,
        "market_trips/places.html",
        {"form": form, "places": selectors.places(), "centre": selectors.area_centre()},
        status=status,
    )
