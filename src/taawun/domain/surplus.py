"""Sharing a period's surplus and bearing its loss under the co-op's SurplusRules (pure).

Every amount is a whole number of minor units. Shares are computed exactly (as fractions) and
rounded with the largest-remainder method, so the parts always add up to the whole to the cent.
Each result carries an explanation a member can read: msgids marked with ``gettext_noop`` plus
their ``%(name)s`` parameters, translated by the web layer.

Rounding ties (equal remainders) are broken deterministically: between funds in the order
reserve, education, solidarity, pool; between members in the sorted order of their keys; between
cash and retained in favour of cash; between reserve and capital in favour of the reserve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Generic, Protocol, TypeVar

from .errors import InvalidInput, gettext_noop
from .explanation import Line
from .money import Money, quantum, to_decimal
from .policy import SurplusRules, validate_surplus


class SortableKey(Protocol):
    """A member key: hashable and ordered (ints or strings), so ties break the same every time."""

    def __hash__(self) -> int: ...

    def __lt__(self, other: Any, /) -> bool: ...


K = TypeVar("K", bound=SortableKey)

HUNDRED = Fraction(100)
SHARE_PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Patronage:
    """A member's work with the co-op in the period: hours worked and revenue brought in."""

    hours: Decimal
    revenue: Money

    def __post_init__(self) -> None:
        if not isinstance(self.hours, Decimal):
            object.__setattr__(self, "hours", to_decimal(self.hours))
        if not self.hours.is_finite() or self.hours < 0:
            raise InvalidInput(
                "negative_hours",
                gettext_noop("Hours worked cannot be negative: %(hours)s."),
                hours=str(self.hours),
            )
        if self.revenue.amount < 0:
            raise InvalidInput(
                "negative_revenue",
                gettext_noop("Revenue cannot be negative: %(amount)s."),
                amount=str(self.revenue),
            )


@dataclass(frozen=True, slots=True)
class MemberDividend:
    """A member's patronage dividend and how it is paid.

    ``weight`` is the member's share of the pool (0..1), rounded to six places for display only;
    the split itself uses the exact share.
    """

    weight: Decimal
    dividend: Money
    cash: Money
    retained: Money  # credited to the member's internal capital account


@dataclass(frozen=True, slots=True)
class SurplusAllocation(Generic[K]):
    """Where a surplus goes. reserve + education + solidarity + pool == the whole surplus.

    ``dividends`` holds every member with a positive patronage weight (members with none are
    left out); its dividends add up to ``pool``. ``reserve`` includes the non-member profit and,
    when nobody had patronage, the pool.
    """

    reserve: Money
    education: Money
    solidarity: Money
    pool: Money
    dividends: dict[K, MemberDividend]
    explanation: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class LossCharge(Generic[K]):
    """Who bears a loss. from_reserve + sum(from_capital) + uncovered == loss.

    ``from_capital`` holds every member whose account is charged more than zero.
    """

    loss: Money
    from_reserve: Money
    from_capital: dict[K, Money]
    uncovered: Money  # carried forward to the next period
    explanation: tuple[Line, ...]


def apportion(total: int, weights: Sequence[Fraction]) -> list[int]:
    """Split ``total`` whole units in proportion to ``weights`` (largest-remainder method).

    Each part gets the floor of its exact share; the units left over go one each to the parts
    with the largest remainders, equal remainders to the earlier part. The parts sum to
    ``total``, and a larger weight never gets fewer units than a smaller one.
    """
    whole = sum(weights, Fraction(0))
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("apportion needs a non-negative total and weights")
    if whole == 0:
        if total:
            raise ValueError("cannot apportion units over zero weight")
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    parts = [math.floor(x) for x in exact]
    left = total - sum(parts)
    by_remainder = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def allocate_surplus(
    *,
    rules: SurplusRules,
    member_surplus: Money,
    non_member_profit: Money,
    patronage: Mapping[K, Patronage],
) -> SurplusAllocation[K]:
    """Share a period's surplus: funds off the top, the rest as patronage dividends.

    Non-member profit is not patronage, so all of it goes to the indivisible reserve.
    """
    currency = member_surplus.currency
    _same_currency(currency, non_member_profit)
    for record in patronage.values():
        _same_currency(currency, record.revenue)
    if member_surplus.amount <= 0:
        raise InvalidInput(
            "no_surplus",
            gettext_noop(
                "There is no member surplus to share (%(amount)s); a loss is charged instead."
            ),
            amount=str(member_surplus),
        )
    if non_member_profit.amount < 0:
        raise InvalidInput(
            "negative_non_member_profit",
            gettext_noop(
                "Profit from non-members cannot be negative (%(amount)s); "
                "count a non-member loss in the member surplus."
            ),
            amount=str(non_member_profit),
        )
    validate_surplus(rules)
    taken = rules.reserve_percent + rules.education_percent + rules.solidarity_percent

    def money(units: int) -> Money:
        return Money(units * quantum(currency), currency)

    reserve_u, education_u, solidarity_u, pool_u = apportion(
        _units(member_surplus),
        [
            Fraction(rules.reserve_percent),
            Fraction(rules.education_percent),
            Fraction(rules.solidarity_percent),
            HUNDRED - Fraction(taken),
        ],
    )
    lines = [
        _line(
            gettext_noop("The member surplus for the period is %(amount)s."),
            amount=member_surplus,
        ),
        _line(
            gettext_noop(
                "%(percent)s%% of the member surplus, %(amount)s, goes to the indivisible reserve."
            ),
            percent=rules.reserve_percent,
            amount=money(reserve_u),
        ),
        _line(
            gettext_noop(
                "%(percent)s%% of the member surplus, %(amount)s, goes to the education fund."
            ),
            percent=rules.education_percent,
            amount=money(education_u),
        ),
        _line(
            gettext_noop(
                "%(percent)s%% of the member surplus, %(amount)s, goes to the solidarity fund."
            ),
            percent=rules.solidarity_percent,
            amount=money(solidarity_u),
        ),
    ]
    if not non_member_profit.is_zero:
        lines.append(
            _line(
                gettext_noop(
                    "Profit from business with non-members, %(amount)s, is not patronage: "
                    "all of it goes to the indivisible reserve."
                ),
                amount=non_member_profit,
            )
        )

    keys = sorted(patronage)
    weights = _weights(rules, [patronage[k] for k in keys])
    whole = sum(weights, Fraction(0))
    dividends: dict[K, MemberDividend] = {}
    if whole == 0:
        if pool_u:
            lines.append(
                _line(
                    gettext_noop(
                        "Nobody recorded any patronage this period, so the remaining %(amount)s "
                        "also goes to the indivisible reserve."
                    ),
                    amount=money(pool_u),
                )
            )
        reserve_u += pool_u
        pool_u = 0
    else:
        lines.append(_basis_line(rules, money(pool_u)))
        lines.append(
            _line(
                gettext_noop(
                    "Of each dividend, %(cash)s%% is paid in cash and %(retained)s%% is credited "
                    "to the member's capital account."
                ),
                cash=rules.cash_percent,
                retained=100 - rules.cash_percent,
            )
        )
        cash_share = Fraction(rules.cash_percent)
        for key, weight, units in zip(keys, weights, apportion(pool_u, weights), strict=True):
            if weight == 0:
                continue
            cash_u, retained_u = apportion(units, [cash_share, HUNDRED - cash_share])
            share = weight / whole
            dividends[key] = MemberDividend(
                weight=(Decimal(share.numerator) / share.denominator).quantize(SHARE_PLACES),
                dividend=money(units),
                cash=money(cash_u),
                retained=money(retained_u),
            )
    reserve = money(reserve_u) + non_member_profit
    lines.append(
        _line(gettext_noop("In all, %(amount)s goes to the indivisible reserve."), amount=reserve)
    )
    lines.append(_ROUNDING_LINE)
    return SurplusAllocation(
        reserve=reserve,
        education=money(education_u),
        solidarity=money(solidarity_u),
        pool=money(pool_u),
        dividends=dividends,
        explanation=tuple(lines),
    )


def charge_loss(
    *,
    rules: SurplusRules,
    loss: Money,
    reserve_balance: Money,
    capital_balances: Mapping[K, Money],
) -> LossCharge[K]:
    """Charge a loss to the reserve first, then to capital accounts; carry forward the rest.

    The reserve bears loss_from_reserve_percent of the loss, capped at its balance; everything
    else falls on capital accounts in proportion to their balances, never below zero. The
    reserve never bears more than its percentage, even when capital runs out: that part is
    left uncovered for the members to decide on.
    """
    currency = loss.currency
    _same_currency(currency, reserve_balance)
    for balance in capital_balances.values():
        _same_currency(currency, balance)
    if loss.amount <= 0:
        raise InvalidInput(
            "no_loss",
            gettext_noop("There is no loss to charge (%(amount)s)."),
            amount=str(loss),
        )
    if reserve_balance.amount < 0 or any(b.amount < 0 for b in capital_balances.values()):
        raise InvalidInput(
            "negative_balance",
            gettext_noop("The reserve and capital balances cannot be negative."),
        )

    def money(units: int) -> Money:
        return Money(units * quantum(currency), currency)

    reserve_share = Fraction(rules.loss_from_reserve_percent)
    reserve_due, _ = apportion(_units(loss), [reserve_share, HUNDRED - reserve_share])
    from_reserve_u = min(reserve_due, _units(reserve_balance))
    lines = [
        _line(gettext_noop("The loss for the period is %(amount)s."), amount=loss),
        _line(
            gettext_noop(
                "Under the rules, %(percent)s%% of the loss, %(amount)s, is charged to the "
                "indivisible reserve."
            ),
            percent=rules.loss_from_reserve_percent,
            amount=money(reserve_due),
        ),
    ]
    if from_reserve_u < reserve_due:
        lines.append(
            _line(
                gettext_noop(
                    "The reserve holds only %(balance)s, so it bears %(amount)s and the rest "
                    "falls on members' capital accounts."
                ),
                balance=reserve_balance,
                amount=money(from_reserve_u),
            )
        )

    keys = sorted(capital_balances)
    balances = [_units(capital_balances[k]) for k in keys]
    capital_u = min(_units(loss) - from_reserve_u, sum(balances))
    from_capital: dict[K, Money] = {}
    if capital_u:
        # An exact share never exceeds the whole-unit balance it comes from, so neither does
        # its rounded-up value: no account goes below zero.
        charges = apportion(capital_u, [Fraction(b) for b in balances])
        from_capital = {k: money(c) for k, c in zip(keys, charges, strict=True) if c}
        lines.append(
            _line(
                gettext_noop(
                    "%(amount)s is charged to members' capital accounts in proportion to "
                    "their balances."
                ),
                amount=money(capital_u),
            )
        )
    uncovered_u = _units(loss) - from_reserve_u - capital_u
    if uncovered_u:
        lines.append(
            _line(
                gettext_noop(
                    "%(amount)s cannot be covered by the reserve or the capital accounts and "
                    "is carried forward to the next period."
                ),
                amount=money(uncovered_u),
            )
        )
    lines.append(_ROUNDING_LINE)
    return LossCharge(
        loss=loss,
        from_reserve=money(from_reserve_u),
        from_capital=from_capital,
        uncovered=money(uncovered_u),
        explanation=tuple(lines),
    )


_ROUNDING_LINE = Line(
    gettext_noop(
        "Every amount is rounded to the smallest unit of the currency; the few units left over "
        "go to the shares with the largest remainders, so the parts add up exactly to the whole."
    ),
    {},
)


def _weights(rules: SurplusRules, records: Sequence[Patronage]) -> list[Fraction]:
    """Each member's exact patronage weight under the basis (any common scale).

    In a blend, a part whose total is zero (no hours, or no revenue) is dropped, so the pool is
    shared by the other part alone.
    """
    hours = [Fraction(r.hours) for r in records]
    revenue = [Fraction(r.revenue.amount) for r in records]
    if rules.patronage_basis == "hours":
        return hours
    if rules.patronage_basis == "revenue":
        return revenue
    by_hours = Fraction(rules.blend_hours_percent)
    total_hours, total_revenue = sum(hours, Fraction(0)), sum(revenue, Fraction(0))
    return [
        (by_hours * h / total_hours if total_hours else Fraction(0))
        + ((HUNDRED - by_hours) * r / total_revenue if total_revenue else Fraction(0))
        for h, r in zip(hours, revenue, strict=True)
    ]


def _basis_line(rules: SurplusRules, pool: Money) -> Line:
    if rules.patronage_basis == "hours":
        return _line(
            gettext_noop(
                "The remaining %(amount)s is paid to members as patronage dividends, in "
                "proportion to the hours each worked."
            ),
            amount=pool,
        )
    if rules.patronage_basis == "revenue":
        return _line(
            gettext_noop(
                "The remaining %(amount)s is paid to members as patronage dividends, in "
                "proportion to the revenue each brought in."
            ),
            amount=pool,
        )
    return _line(
        gettext_noop(
            "The remaining %(amount)s is paid to members as patronage dividends: %(hours)s%% by "
            "each member's share of the hours worked and %(revenue)s%% by their share of the "
            "revenue."
        ),
        amount=pool,
        hours=rules.blend_hours_percent,
        revenue=100 - rules.blend_hours_percent,
    )


def _line(message: str, **params: Money | Decimal) -> Line:
    return Line(message, {name: _text(value) for name, value in params.items()})


def _text(value: Money | Decimal) -> str:
    """Amounts as '3000.00 ILS'; percentages without trailing zeros ('30', '12.5')."""
    if isinstance(value, Money):
        return str(value)
    return f"{value.normalize():f}"


def _units(value: Money) -> int:
    return int(value.amount / quantum(value.currency))


def _same_currency(currency: str, other: Money) -> None:
    if other.currency != currency:
        raise InvalidInput(
            "currency_mismatch",
            gettext_noop("Cannot combine %(a)s and %(b)s."),
            a=currency,
            b=other.currency,
        )
