"""``{% booking_panel order as panel %}``: the booking behind a service order and the buttons
the signed-in viewer may use on it now (for the shared order page)."""

from __future__ import annotations

from typing import Any

from django import template

from taawun.market.models import Order

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def booking_panel(context: dict[str, Any], order: Order) -> selectors.Panel | None:
    return selectors.panel(context["user"], order)
