"""Money as Decimal in a named currency, rounded to that currency's minor unit; never float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import InvalidInput, gettext_noop

# ISO 4217 minor units for currencies a co-op in the region is likely to keep its books in.
MINOR_UNITS: dict[str, int] = {
    "ILS": 2,
    "JOD": 3,
    "USD": 2,
    "EUR": 2,
    "EGP": 2,
    "LBP": 2,
    "SYP": 2,
    "IQD": 3,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "TND": 3,
    "LYD": 3,
    "MAD": 2,
    "DZD": 2,
    "SAR": 2,
    "AED": 2,
    "QAR": 2,
    "TRY": 2,
    "GBP": 2,
}
CURRENCIES = tuple(sorted(MINOR_UNITS))


def check_currency(code: str) -> str:
    if code not in MINOR_UNITS:
        raise InvalidInput(
            "unknown_currency", gettext_noop("Unknown currency %(code)s."), code=code
        )
    return code


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[check_currency(currency)])


def to_decimal(value: object) -> Decimal:
    """Parse an amount from text or a number; floats are refused because they are inexact."""
    if isinstance(value, float):
        raise InvalidInput(
            "float_amount", gettext_noop("Amounts must be given as text, not floats.")
        )
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            "invalid_amount", gettext_noop("%(value)s is not an amount."), value=str(value)[:40]
        ) from None
    if not amount.is_finite():
        raise InvalidInput(
            "invalid_amount", gettext_noop("%(value)s is not an amount."), value=str(value)[:40]
        )
    return amount


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Arithmetic across currencies is refused."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", to_decimal(self.amount))
        try:
            exact = self.amount.quantize(quantum(self.currency))
        except InvalidOperation:  # more digits than the decimal context can hold
            raise InvalidInput(
                "invalid_amount",
                gettext_noop("%(value)s is not an amount."),
                value=str(self.amount)[:40],
            ) from None
        if exact != self.amount:
            raise InvalidInput(
                "too_precise",
                gettext_noop("%(amount)s has more decimals than %(currency)s allows."),
                amount=str(self.amount),
                currency=self.currency,
            )
        object.__setattr__(self, "amount", exact)

    @classmethod
    def of(cls, value: object, currency: str) -> Money:
        return cls(to_decimal(value), currency)

    @classmethod
    def summed(cls, total: Decimal | int, currency: str) -> Money:
        """A sum read back from a database, to the currency's minor unit: SQLite adds decimals
        as floats, so a sum may carry a stray digit far below it."""
        return cls(Decimal(total).quantize(quantum(currency)), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput(
                "currency_mismatch",
                gettext_noop("Cannot combine %(a)s and %(b)s."),
                a=self.currency,
                b=other.currency,
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def times(self, factor: int) -> Money:
        return Money(self.amount * factor, self.currency)

    def split(self, parts: int) -> list[Money]:
        """Split into ``parts`` amounts that differ by at most one minor unit and sum exactly.

        The larger parts come first, so an instalment plan front-loads the odd minor units.
        """
        if parts < 1:
            raise InvalidInput("bad_parts", gettext_noop("Cannot split into fewer than one part."))
        unit = quantum(self.currency)
        minor_total = int(self.amount / unit)
        base, extra = divmod(minor_total, parts)
        return [Money((base + (1 if i < extra else 0)) * unit, self.currency) for i in range(parts)]

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
