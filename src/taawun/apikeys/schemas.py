"""Shapes shared by every API module: the error body, money as text, safe free text."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from taawun.domain.money import quantum

MAX_ID = 2**63 - 1  # BigAutoField
MAX_NUMBER = 2**31 - 1  # PositiveIntegerField on PostgreSQL

_CONTROLS = r"\x01-\x08\x0B\x0C\x0E-\x1F\x7F"  # all but tab, line breaks and NUL
# Printable text: tabs and line breaks allowed, other control characters (NUL...) refused.
TEXT_PATTERN = rf"^[^\x00{_CONTROLS}]*$"
# Text in a query string: the same, but NUL is dropped from every query string before the API
# reads it (``web.middleware.NulFreeQueryMiddleware``), so a NUL there is accepted, not refused.
QUERY_TEXT_PATTERN = rf"^[^{_CONTROLS}]*$"

MoneyText = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        examples=["100.00"],
        description="An exact amount as text (never a float), in the object's currency.",
    ),
]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["ILS"])]
# How a payment was made (``members.models.PaymentMethod``).
PaymentMethodName = Literal["cash", "bank", "wallet"]


def integral_float_to_int(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# JSON Schema counts 7.0 as an integer; strict pydantic would not. Text ("7") is still refused.
WholeNumber = Annotated[int, BeforeValidator(integral_float_to_int)]
# Bounds go on the field (``x: WholeNumber = Field(ge=1)``). Inside another type (an optional
# one, a list's items) put them before the validator, or the schema loses them:
RecordId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(integral_float_to_int)]
PositiveNumber = Annotated[int, Field(ge=1, le=MAX_NUMBER), BeforeValidator(integral_float_to_int)]

# Use with Field(max_length=...) for each field's own limit.
SafeText = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]


class Input(BaseModel):
    """Base of every request body: plain pydantic (ninja's Schema would accept any object and
    fill in defaults); strict types (no 0 for false, no "1" for 1); unknown fields refused, so a
    typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorOut(Schema):
    """Every refusal: a stable machine code and a message in the request's language."""

    error: str = Field(examples=["forbidden"])
    message: str


# The refusals any operation may give (ninja documents each with the ErrorOut schema).
ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 422, 429})
ERRORS: dict[frozenset[int], type[ErrorOut]] = {ERROR_STATUSES: ErrorOut}


def money_text(amount: Decimal | int, currency: str) -> str:
    """``amount`` as exact text with the currency's minor unit, e.g. ``"100.00"``."""
    value = Decimal(amount).quantize(quantum(currency))
    if value == 0:
        value = abs(value)
    return format(value, "f")
