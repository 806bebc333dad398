"""How vote numbers are written in explanations: exact values shown for reading."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from ..explanation import Line

HUNDREDTHS = Decimal("0.01")


def line(message: str, **params: object) -> Line:
    """One explanation sentence; every parameter is written as text."""
    return Line(message, {name: str(value) for name, value in params.items()})


def hundredths(value: Fraction) -> str:
    """``value`` to two decimals without trailing zeros ('66.67', '50'): for reading only,
    every comparison uses the exact fraction."""
    shown = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(HUNDREDTHS)
    return f"{shown.normalize():f}"


def percent(value: Fraction) -> str:
    return hundredths(value * 100)
