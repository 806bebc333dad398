"""The co-op's books, as pure rules: the chart of accounts, the balance rule, periods, and the
Beancount text an accountant can load.

Amounts on postings are signed: a debit is positive, a credit negative, so a journal entry
balances when its postings sum to zero in each currency. Currencies are never summed together.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .errors import InvalidInput, gettext_noop
from .money import Money


class Kind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        """Assets and expenses grow with debits; the other kinds with credits."""
        return self in (Kind.ASSET, Kind.EXPENSE)

    @property
    def beancount_root(self) -> str:
        return {
            Kind.ASSET: "Assets",
            Kind.LIABILITY: "Liabilities",
            Kind.EQUITY: "Equity",
            Kind.INCOME: "Income",
            Kind.EXPENSE: "Expenses",
        }[self]


@dataclass(frozen=True)
class AccountSpec:
    """One account of the chart. ``per_member`` accounts exist once for each member."""

    purpose: str
    code: str
    kind: Kind
    ar: str
    en: str
    per_member: bool = False


CHART: tuple[AccountSpec, ...] = (
    AccountSpec("cash", "1000", Kind.ASSET, "الصندوق النقدي", "Cash"),
    AccountSpec("bank", "1010", Kind.ASSET, "الحساب المصرفي", "Bank account"),
    AccountSpec("wallet", "1020", Kind.ASSET, "المحفظة الإلكترونية", "Mobile wallet"),
    AccountSpec(
        "mutual_credit", "1300", Kind.ASSET, "الائتمان المتبادل", "Mutual credit, sister co-ops"
    ),
    AccountSpec("owed_to_member", "2000", Kind.LIABILITY, "مستحقات العضو", "Owed to member", True),
    AccountSpec("repayments_due", "2100", Kind.LIABILITY, "أسهم مستحقة السداد", "Shares to repay"),
    AccountSpec("taxes_payable", "2200", Kind.LIABILITY, "ضرائب مستحقة", "Taxes payable"),
    AccountSpec("share_capital", "3000", Kind.EQUITY, "رأس المال المساهم", "Share capital"),
    AccountSpec(
        "member_capital", "3100", Kind.EQUITY, "حساب رأس المال الداخلي", "Internal capital", True
    ),
    AccountSpec("reserve", "3200", Kind.EQUITY, "الاحتياطي غير القابل للتوزيع", "Reserve"),
    AccountSpec("education_fund", "3300", Kind.EQUITY, "صندوق التعليم والتدريب", "Education fund"),
    AccountSpec("solidarity_fund", "3400", Kind.EQUITY, "صندوق التكافل", "Solidarity fund"),
    AccountSpec("period_result", "3900", Kind.EQUITY, "نتيجة الفترة", "Result of the period"),
    AccountSpec("fees_members", "4000", Kind.INCOME, "رسوم عمل الأعضاء", "Fees, members' work"),
    AccountSpec(
        "fees_non_members", "4100", Kind.INCOME, "رسوم عمل غير الأعضاء", "Fees, non-members' work"
    ),
    AccountSpec("other_income", "4200", Kind.INCOME, "إيرادات أخرى", "Other income"),
    AccountSpec("expenses", "5000", Kind.EXPENSE, "مصاريف التشغيل", "Operating expenses"),
)
SPECS: dict[str, AccountSpec] = {spec.purpose: spec for spec in CHART}
PAYMENT_ACCOUNTS = {"cash": "cash", "bank": "bank", "wallet": "wallet"}  # method → purpose
MEMBER_BUSINESS_INCOME = "fees_members"
NON_MEMBER_INCOME = "fees_non_members"


def spec(purpose: str) -> AccountSpec:
    try:
        return SPECS[purpose]
    except KeyError:
        raise InvalidInput(
            "unknown_account", gettext_noop("There is no account %(purpose)s."), purpose=purpose
        ) from None


# Far above any co-op's books, well within what an account's balance column holds (10^15).
MAX_AMOUNT = Decimal(10) ** 12


def check_balanced(amounts: Iterable[Money]) -> None:
    """Refuse an entry whose debits and credits differ in any currency, that moves nothing, or
    whose amounts are beyond what the books hold."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    count = 0
    for money in amounts:
        if money.is_zero:
            raise InvalidInput("zero_posting", gettext_noop("A posting cannot be zero."))
        if abs(money.amount) >= MAX_AMOUNT:
            raise InvalidInput(
                "amount_too_large",
                gettext_noop("Amounts of %(limit)s or more cannot be recorded."),
                limit=str(MAX_AMOUNT),
            )
        totals[money.currency] += money.amount
        count += 1
    if count < 2:
        raise InvalidInput("too_few_postings", gettext_noop("An entry needs at least two lines."))
    for currency, total in sorted(totals.items()):
        if total != 0:
            raise InvalidInput(
                "unbalanced",
                gettext_noop("Debits and credits differ by %(amount)s %(currency)s."),
                amount=str(total),
                currency=currency,
            )


def natural(kind: Kind, signed: Decimal) -> Decimal:
    """A signed (debit-positive) balance as people read it: positive when the account holds
    what its kind normally holds (an asset's money, a liability's debt, income earned)."""
    return signed if kind.debit_normal else -signed


def period_bounds(day: dt.date, length: str) -> tuple[dt.date, dt.date]:
    """The accounting period (``month`` or ``year``) that contains ``day``: first and last day."""
    if length == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if length == "month":
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return first, following - dt.timedelta(days=1)
    raise InvalidInput("bad_period", gettext_noop("A period is a month or a year."))


# --- Beancount -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BeancountAccount:
    name: str  # e.g. "Liabilities:OwedToMember:M0007"
    opened: dt.date
    currency: str


@dataclass(frozen=True)
class BeancountEntry:
    date: dt.date
    number: int
    narration: str
    postings: tuple[tuple[str, Money], ...]


def beancount_name(kind: Kind, purpose: str, member_number: int | None) -> str:
    """An account name Beancount accepts: capitalised components of letters and digits."""
    component = "".join(part.capitalize() for part in re.split(r"[^a-z0-9]+", purpose) if part)
    name = f"{kind.beancount_root}:{component}"
    return f"{name}:M{member_number:04d}" if member_number is not None else name


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def beancount(
    *, title: str, accounts: Iterable[BeancountAccount], entries: Iterable[BeancountEntry]
) -> str:
    """The books as Beancount text: every account opened, then every entry in number order."""
    lines = [f"option {_quoted('title')} {_quoted(title)}", ""]
    for account in sorted(accounts, key=lambda a: a.name):
        lines.append(f"{account.opened.isoformat()} open {account.name} {account.currency}")
    for entry in sorted(entries, key=lambda e: e.number):
        lines.append("")
        lines.append(f"{entry.date.isoformat()} * {_quoted(entry.narration)}")
        lines.append(f"  entry: {_quoted(str(entry.number))}")
        for name, money in entry.postings:
            lines.append(f"  {name}  {money.amount} {money.currency}")
    return "\n".join(lines) + "\n"
