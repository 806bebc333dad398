"""Reads of orders, each checking who is asking: the customer, the worker doing the work and the
board see an order; nobody else learns it exists."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role
from taawun.domain.errors import NotFound, gettext_noop

from .actions import MAX_ID
from .models import OPEN_STATUSES, Order, Rating, Sector


def _visible_to(viewer: User) -> Q:
    if has_role(viewer, Role.BOARD):
        return Q()
    return Q(customer=viewer) | Q(worker__user=viewer)


def access_order_or_404(viewer: User, order_id: int | str) -> Order:
    try:
        number = int(order_id)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number <= MAX_ID:
        raise NotFound("not_found", gettext_noop("No such order."))
    order = (
        Order.objects.select_related("customer", "worker__user", "payment", "refund")
        .filter(_visible_to(viewer), pk=number)
        .first()
    )
    if order is None:
        raise NotFound("not_found", gettext_noop("No such order."))
    return order


def orders_placed(viewer: User, *, sector: Sector | None = None) -> QuerySet[Order]:
    """What the viewer has ordered, newest first."""
    orders = Order.objects.filter(customer=viewer).select_related("worker__user")
    return orders.filter(sector=sector) if sector else orders


def work_taken(viewer: User, *, open_only: bool = False) -> QuerySet[Order]:
    """Work assigned to the viewer as a worker, newest first."""
    orders = Order.objects.filter(worker__user=viewer).select_related("customer")
    return orders.filter(status__in=OPEN_STATUSES) if open_only else orders


def ratings_for(orders: QuerySet[Order]) -> QuerySet[Rating]:
    """The open ratings of the given orders, newest first."""
    return Rating.objects.filter(order__in=orders).select_related("order").order_by("-rated_at")
