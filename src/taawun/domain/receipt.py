"""The breakdown every receipt shows the customer and the worker alike: who gets what of a price.

Taxes are taken out of the price first (the price includes them); of the rest, the co-op fee and
the solidarity share are percentages rounded half-up to the minor unit, and the worker gets what
remains, so the parts always add up to the price exactly. When both roundings go up on a tiny
price (one minor unit at 50% and 50%), the solidarity share gives way: no part is ever negative.
A tip goes whole to the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .errors import InvalidInput, gettext_noop
from .money import Money, quantum
from .policy import FeeRules


@dataclass(frozen=True)
class Breakdown:
    price: Money  # what the customer pays for the work, taxes included, tip excluded
    tax: Money
    coop_fee: Money
    solidarity: Money
    worker_share: Money
    tip: Money
    policy_version: int

    @property
    def total_paid(self) -> Money:
        return self.price + self.tip

    @property
    def worker_total(self) -> Money:
        return self.worker_share + self.tip


def _percent_of(amount: Money, percent: Decimal) -> Money:
    exact = amount.amount * percent / 100
    return Money(exact.quantize(quantum(amount.currency), ROUND_HALF_UP), amount.currency)


def breakdown(*, price: Money, tip: Money, rules: FeeRules, policy_version: int) -> Breakdown:
    if price.amount <= 0:
        raise InvalidInput("price_not_positive", gettext_noop("The price must be above zero."))
    if tip.amount < 0:
        raise InvalidInput("negative_tip", gettext_noop("A tip cannot be negative."))
    if tip.currency != price.currency:
        raise InvalidInput(
            "currency_mismatch",
            gettext_noop("Cannot combine %(a)s and %(b)s."),
            a=price.currency,
            b=tip.currency,
        )
    before_tax = Money(
        (price.amount * 100 / (100 + rules.tax_percent)).quantize(
            quantum(price.currency), ROUND_HALF_UP
        ),
        price.currency,
    )
    tax = price - before_tax
    coop_fee = _percent_of(before_tax, rules.coop_fee_percent)
    solidarity = min(_percent_of(before_tax, rules.solidarity_percent), before_tax - coop_fee)
    return Breakdown(
        price=price,
        tax=tax,
        coop_fee=coop_fee,
        solidarity=solidarity,
        worker_share=before_tax - coop_fee - solidarity,
        tip=tip,
        policy_version=policy_version,
    )
