"""The marketplace's shared pages: the five sectors, a person's orders and work, and the order
page every party sees alike (the price's breakdown, how it was worked out, what happened)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from taawun.accounts.models import Role
from taawun.accounts.selectors import has_role
from taawun.federation.selectors import consents_waiting
from taawun.web.errors import refusals
from taawun.web.flow import person, posted, run_action

from . import actions, selectors
from .forms import RatingForm
from .models import Sector


@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "market/home.html", {"sectors": Sector})


@login_required
@require_http_methods(["GET", "HEAD"])
def mine(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    return render(
        request,
        "market/mine.html",
        {
            "placed": selectors.orders_placed(viewer)[:50],
            "work": selectors.work_taken(viewer)[:50],
        },
    )


SECTOR_PACKAGES = {
    Sector.SERVICE: "services",
    Sector.TRIP: "trips",
    Sector.PROJECT: "projects",
    Sector.PRODUCT: "products",
    Sector.WORK: "works",
}


def _panel(sector: str) -> str | None:
    """The sector's part of the order page (its details and next steps), if it has one."""
    try:
        name = f"market_{SECTOR_PACKAGES[Sector(sector)]}/_order_panel.html"
        return select_template([name]).template.name
    except (TemplateDoesNotExist, ValueError):
        return None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def order(request: HttpRequest, order_id: int) -> HttpResponse:
    viewer = person(request)
    found = selectors.access_order_or_404(viewer, order_id)
    is_customer = found.customer_id == viewer.pk
    form = RatingForm(posted(request))
    if request.method == "POST" and form.is_valid():
        rating, status = run_action(
            form,
            actions.rate,
            actor=viewer,
            order_id=found.pk,
            stars=form.cleaned_data["stars"],
            comment=form.cleaned_data["comment"],
        )
        if status == 200:
            messages.success(request, _("Thank you: your rating is shown with the work."))
            return redirect("market:order", order_id=found.pk)
    rating = getattr(found, "rating", None)
    return render(
        request,
        "market/order.html",
        {
            "order": found,
            "parts": found.breakdown,
            "events": found.events.select_related("actor"),
            "rating": rating,
            "rating_form": form
            if is_customer and found.status == "completed" and not rating
            else None,
            "is_customer": is_customer,
            "is_worker": found.worker is not None and found.worker.user_id == viewer.pk,
            "is_board": has_role(viewer, Role.BOARD),
            "consents": consents_waiting(viewer).filter(order=found) if is_customer else [],
            "panel": _panel(found.sector),
        },
        status=400 if form.errors else 200,
    )
