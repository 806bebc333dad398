"""The shop's pages: the catalogue, the cart and checkout, the producer's desk and product form,
and the buttons of a shop order. Each writing view parses a form, calls one action and
redirects with a message, or shows the form again with the refusal explained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, NotAllowed, NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.web.errors import explain, refusals
from taawun.web.flow import person, posted, run_action

from . import actions, selectors
from .forms import AddToCartForm, CartLineForm, CheckoutForm, ProductForm, ReasonForm
from .models import Fulfilment, Product


def _all_errors(form: forms.Form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


# --- Customers ----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def catalogue(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    return render(
        request,
        "market_products/catalogue.html",
        {
            "page": selectors.catalogue(search, request.GET.get("page", 1)),
            "search": search[: selectors.MAX_SEARCH],
            "add_form": AddToCartForm(),
        },
    )


@login_required
@require_POST
@refusals
def add_to_cart(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.product_on_sale_or_404(product_id)
    form = AddToCartForm(request.POST)
    if form.is_valid():
        _done, status = run_action(
            form,
            actions.add_to_cart,
            actor=person(request),
            product_id=product.pk,
            quantity=form.cleaned_data["quantity"],
        )
        if status == 200:
            messages.success(request, _("Added to your cart: %(product)s.") % {"product": product})
            return redirect("market:products:cart")
    messages.error(request, _all_errors(form))
    return redirect("market:products:catalogue")


def _cart_page(
    request: HttpRequest, checkout_form: CheckoutForm | None = None, status: int = 200
) -> HttpResponse:
    cart = selectors.cart_of(person(request))
    return render(
        request,
        "market_products/cart.html",
        {
            "cart": cart,
            "lines": [
                (line, CartLineForm(initial={"quantity": line.quantity}, prefix=f"l{line.pk}"))
                for line in cart.lines
            ],
            "checkout_form": checkout_form or CheckoutForm(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def cart(request: HttpRequest) -> HttpResponse:
    return _cart_page(request)


@login_required
@require_POST
@refusals
def change_line(request: HttpRequest, product_id: int) -> HttpResponse:
    """Change a line's quantity (zero, or the remove button, takes it out)."""
    form = CartLineForm(request.POST)
    if "remove" in request.POST:
        form = CartLineForm({"quantity": 0})
    if form.is_valid():
        _done, status = run_action(
            form,
            actions.set_in_cart,
            actor=person(request),
            product_id=product_id,
            quantity=form.cleaned_data["quantity"],
        )
        if status == 200:
            messages.success(request, _("Your cart is updated."))
            return redirect("market:products:cart")
    messages.error(request, _all_errors(form))
    return redirect("market:products:cart")


@login_required
@require_POST
@refusals
def checkout(request: HttpRequest) -> HttpResponse:
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        return _cart_page(request, form, 400)
    data = form.cleaned_data
    delivery = data["fulfilment"] == Fulfilment.DELIVERY
    orders, status = run_action(
        form,
        actions.checkout,
        actor=person(request),
        fulfilment=data["fulfilment"],
        method=data["method"],
        idempotency_key=data["key"],
        dropoff=actions.checked_dropoff(data["dropoff_label"], *data["dropoff"])
        if delivery
        else None,
    )
    if orders is None:
        return _cart_page(request, form, status)
    messages.success(
        request,
        _("Ordered: %(orders)s. Each producer confirms their part.")
        % {"orders": ", ".join(f"#{o.pk}" for o in orders)},
    )
    return (
        redirect("market:order", order_id=orders[0].pk)
        if len(orders) == 1
        else redirect("market:mine")
    )


# --- Producers ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def producer(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "market_products/producer.html",
        {"desk": selectors.producer_desk(person(request))},
    )


def _product_values(form: ProductForm, currency: str) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name_ar": data["name_ar"],
        "name_en": data["name_en"],
        "description": data["description"],
        "unit_price": Money(data["unit_price"], currency),
        "unit": data["unit"],
        "stock": data["stock"],
        "pickup": data["pickup"],
        "delivery": data["delivery"],
        "place_label": data["place_label"],
        "place": data["place"],
        "active": data["active"],
    }


def _save_product(
    request: HttpRequest,
    form: ProductForm,
    currency: str,
    action: Callable[..., Product],
    **target: int,
) -> HttpResponse | None:
    """Run the product action; ``None`` when the form must be shown again."""
    if not form.is_valid():
        return None
    try:
        values = _product_values(form, currency)
    except DomainError as exc:  # a price finer than the currency's minor unit
        form.add_error("unit_price", explain(exc))
        return None
    product, status = run_action(form, action, actor=person(request), **target, **values)
    if status != 200:
        return None
    messages.success(request, _("Saved: %(product)s.") % {"product": product})
    return redirect("market:products:producer")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def new_product(request: HttpRequest) -> HttpResponse:
    actions.producer_of(person(request))
    form = ProductForm(posted(request), initial={"pickup": True, "active": True})
    if request.method == "POST":
        done = _save_product(request, form, _currency(), actions.list_product)
        if done is not None:
            return done
    return render(
        request,
        "market_products/product_form.html",
        {"form": form, "product": None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def edit_product(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.own_product_or_404(person(request), product_id)
    initial = {
        "name_ar": product.name_ar,
        "name_en": product.name_en,
        "description": product.description,
        "unit_price": product.unit_price,
        "unit": product.unit,
        "stock": product.stock,
        "pickup": product.pickup,
        "delivery": product.delivery,
        "place_label": product.place_label,
        "place": f"{product.place_lat.normalize():f}, {product.place_lon.normalize():f}",
        "active": product.active,
    }
    form = ProductForm(posted(request), initial=initial)
    if request.method == "POST":
        done = _save_product(
            request, form, product.currency, actions.change_product, product_id=product.pk
        )
        if done is not None:
            return done
    return render(
        request,
        "market_products/product_form.html",
        {"form": form, "product": product},
        status=400 if request.method == "POST" else 200,
    )


def _currency() -> str:
    return current_policy().policy.currency


# --- An order's buttons -------------------------------------------------------------------

STEPS: dict[str, tuple[Callable[..., Any], str]] = {
    "confirm": (actions.confirm, gettext_noop("Confirmed: the customer is told to expect it.")),
    "refuse": (
        actions.refuse,
        gettext_noop("Refused: the order is cancelled and the goods are back in stock."),
    ),
    "ready": (
        actions.ready_for_delivery,
        gettext_noop("On its way: a delivery trip is requested."),
    ),
    "handed-over": (actions.hand_over, gettext_noop("Handed over and paid.")),
    "delivered": (actions.mark_delivered, gettext_noop("Delivered and paid.")),
    "cancel": (actions.cancel, gettext_noop("Cancelled: the goods are back in stock.")),
}
WITH_REASON = {"refuse", "cancel"}


@login_required
@require_POST
@refusals
def order_step(request: HttpRequest, order_id: int, step: str) -> HttpResponse:
    """One button of the order panel; a refusal is shown on the order page."""
    if step not in STEPS:
        raise Http404
    action, done = STEPS[step]
    basket = selectors.basket_or_404(person(request), order_id)
    form: forms.Form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _all_errors(form))
        return redirect("market:order", order_id=basket.order_id)
    extra = {"reason": form.cleaned_data["reason"]} if step in WITH_REASON else {}
    try:
        action(actor=person(request), order_id=basket.order_id, **extra)
    except (NotAllowed, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, explain(exc))
        return redirect("market:order", order_id=basket.order_id)
    messages.success(request, _(done))
    return redirect("market:order", order_id=basket.order_id)
