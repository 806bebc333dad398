"""Display helpers for the membership pages: money with its currency, class names."""

from __future__ import annotations

from decimal import Decimal

from django import template

from taawun.domain.money import MINOR_UNITS, Money, quantum
from taawun.domain.policy import Policy

from ..forms import class_name as _class_name

register = template.Library()


@register.filter
def money(value: Money | Decimal | int | None, currency: str = "") -> str:
    """``{{ money_value|money }}`` or ``{{ amount|money:currency }}``: "200.00 ILS"."""
    if value is None:
        return ""
    if isinstance(value, Money):
        amount, currency = value.amount, value.currency
    else:
        amount = Decimal(value)
    if currency in MINOR_UNITS:
        amount = amount.quantize(quantum(currency))
    return f"{amount} {currency}".strip()


@register.filter
def class_name(key: str, policy: Policy) -> str:
    """``{{ membership.member_class|class_name:policy }}``: the class's name in this language."""
    return _class_name(policy, key)
