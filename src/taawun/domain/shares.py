"""Member shares: the instalment plan and the repayment owed on leaving (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import DomainError, Term, gettext_noop
from .money import Money
from .policy import Policy


@dataclass(frozen=True, slots=True)
class PlannedInstalment:
    number: int
    due: dt.date
    amount: Money


def instalment_plan(policy: Policy, class_key: str, start: dt.date) -> list[PlannedInstalment]:
    """Split a class's share total into its instalments, the first due on ``start``."""
    member_class = policy.member_class(class_key)
    total = policy.share_total(class_key)
    step = dt.timedelta(days=member_class.instalment_interval_days)
    return [
        PlannedInstalment(number=i + 1, due=start + step * i, amount=amount)
        for i, amount in enumerate(total.split(member_class.instalments))
    ]


def repayment_due(policy: Policy, exit_date: dt.date) -> dt.date:
    """The date by which a leaving member's paid-in capital must be repaid."""
    return exit_date + dt.timedelta(days=policy.membership.repayment_days)


# The share register's state machine: which operation may follow which membership state.
MEMBER_TRANSITIONS: dict[str, dict[str, str]] = {
    "active": {"give_notice": "leaving", "transfer_out": "left"},
    "leaving": {"withdraw_notice": "active", "sell_back": "left", "transfer_out": "left"},
    "left": {},
}


STATUS_WORDS = {
    "active": gettext_noop("active"),
    "leaving": gettext_noop("leaving"),
    "left": gettext_noop("left"),
}


def allowed_operations(current: str) -> frozenset[str]:
    """The operations the register allows on a membership in state ``current``."""
    return frozenset(MEMBER_TRANSITIONS.get(current, {}))


def next_status(current: str, operation: str) -> str:
    """Where ``operation`` takes a membership, or a refusal if it may not happen now."""
    try:
        return MEMBER_TRANSITIONS[current][operation]
    except KeyError:
        raise DomainError(
            "invalid_transition",
            gettext_noop("This cannot be done while the membership is %(status)s."),
            status=Term(STATUS_WORDS.get(current, current)),
        ) from None
