"""Every read of the books, with the permission check next to the query.

Members (and the board) see the co-op's books: every figure is theirs to check. A member sees
their own statement; the board sees anyone's. Balances come from the accounts' running
balances and statements from the postings' stored ``balance_after``, so no page scans the
history of an account.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role, require_role
from taawun.coop.selectors import current_policy
from taawun.domain import ledger as books
from taawun.domain.errors import NotAllowed, NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.members.models import Membership
from taawun.members.selectors import capital_balance, own_membership

from .models import (
    Account,
    Allocation,
    EntryKind,
    FloorRun,
    JournalEntry,
    Patronage,
    Period,
    Posting,
    SolidarityClaim,
)

JOURNAL_PAGE_SIZE = 50
STATEMENT_LINES = 50
FUNDS = ("reserve", "education_fund", "solidarity_fund")
CASH_ACCOUNTS = tuple(books.PAYMENT_ACCOUNTS.values())


def require_books_reader(viewer: User | None) -> None:
    """The books are open to every member and to the board."""
    require_role(viewer, Role.MEMBER, Role.BOARD)


def _currency() -> str:
    return current_policy().policy.currency


def in_books_currency(amount: object) -> Money:
    """An amount typed into a form or sent to the API (none: zero), in the books' currency."""
    return Money.of(amount if amount is not None else 0, _currency())


@dataclass(frozen=True)
class ReportLine:
    spec: books.AccountSpec
    amount: Money  # as people read it: positive when the account holds what its kind holds


@dataclass
class Section:
    kind: books.Kind
    currency: str
    lines: list[ReportLine] = field(default_factory=list)

    @property
    def total(self) -> Money:
        return sum((line.amount for line in self.lines), start=Money.zero(self.currency))


def _lines(totals: dict[str, Decimal], currency: str, kinds: Iterable[books.Kind]) -> list[Section]:
    """One section per kind, one line per purpose of the chart (per-member accounts summed)."""
    sections = {kind: Section(kind, currency) for kind in kinds}
    for spec in books.CHART:
        if spec.kind in sections:
            signed = totals.get(spec.purpose, Decimal(0))
            amount = Money.summed(books.natural(spec.kind, signed), currency)
            sections[spec.kind].lines.append(ReportLine(spec, amount))
    return list(sections.values())


def _balances_by_purpose(currency: str) -> dict[str, Decimal]:
    return {
        row["purpose"]: row["total"]
        for row in Account.objects.filter(currency=currency)
        .values("purpose")
        .annotate(total=Sum("balance"))
    }


@dataclass(frozen=True)
class BalanceSheet:
    on: dt.date
    assets: Section
    liabilities: Section
    equity: Section
    unclosed_result: Money  # income less expenses not yet closed into equity

    @property
    def balances(self) -> bool:
        right = self.liabilities.total + self.equity.total + self.unclosed_result
        return self.assets.total == right


def balance_sheet(viewer: User | None) -> BalanceSheet:
    require_books_reader(viewer)
    currency = _currency()
    totals = _balances_by_purpose(currency)
    assets, liabilities, equity, income, expenses = _lines(totals, currency, list(books.Kind))
    return BalanceSheet(
        on=timezone.localdate(),
        assets=assets,
        liabilities=liabilities,
        equity=equity,
        unclosed_result=income.total - expenses.total,
    )


def _period_activity(period: Period) -> QuerySet[Posting]:
    """The period's postings, leaving out its closing and anything that undid a closing."""
    return Posting.objects.filter(entry__period=period).exclude(
        Q(entry__kind__in=[EntryKind.CLOSING, EntryKind.ALLOCATION, EntryKind.LOSS])
        | Q(entry__reverses__kind__in=[EntryKind.CLOSING, EntryKind.ALLOCATION, EntryKind.LOSS])
    )


@dataclass(frozen=True)
class IncomeStatement:
    period: Period
    income: Section
    expenses: Section

    @property
    def result(self) -> Money:
        return self.income.total - self.expenses.total


def income_statement(viewer: User | None, period: Period) -> IncomeStatement:
    require_books_reader(viewer)
    currency = _currency()
    totals = _moved_in_period(period, currency)
    income, expenses = _lines(totals, currency, [books.Kind.INCOME, books.Kind.EXPENSE])
    return IncomeStatement(period, income, expenses)


def _moved_in_period(period: Period, currency: str) -> dict[str, Decimal]:
    """What the period's activity moved in each income and expense account, by purpose.

    Closing a period moves its activity out of the income and expense accounts. So while the
    period is open, never closed, and the only open period with entries, those accounts'
    running balances are exactly its activity: one read of the accounts, whatever the number of
    entries. The condition is checked in the same statement, so the figures and the check see
    one state of the books. Otherwise the period's postings are summed, leaving closings out."""
    kinds = [books.Kind.INCOME, books.Kind.EXPENSE]
    alone = Exists(
        Period.objects.filter(pk=period.pk, status=Period.Status.OPEN, closings=0)
    ) & ~Exists(
        JournalEntry.objects.filter(period__status=Period.Status.OPEN).exclude(period=period.pk)
    )
    balances = list(
        Account.objects.filter(currency=currency, kind__in=kinds)
        .annotate(alone=alone)
        .values_list("purpose", "balance", "alone")
    )
    if balances and all(only for _purpose, _balance, only in balances):
        moved: dict[str, Decimal] = defaultdict(Decimal)
        for purpose, balance, _only in balances:
            moved[purpose] += balance
        return moved
    return {
        row["account__purpose"]: row["total"]
        for row in _period_activity(period)
        .filter(currency=currency, account__kind__in=kinds)
        .values("account__purpose")
        .annotate(total=Sum("amount"))
    }


@dataclass(frozen=True)
class CashFlow:
    period: Period
    by_kind: list[tuple[str, Money]]  # entry kind, then net money in (positive) or out
    opening: Money
    closing: Money


def cash_flow(viewer: User | None, period: Period) -> CashFlow:
    """Money into and out of cash, bank and wallet in the period, by what moved it."""
    require_books_reader(viewer)
    currency = _currency()
    moves = Posting.objects.filter(
        entry__period=period, currency=currency, account__purpose__in=CASH_ACCOUNTS
    )
    by_kind = [
        (row["entry__kind"], Money.summed(row["total"], currency))
        for row in moves.values("entry__kind").annotate(total=Sum("amount")).order_by("entry__kind")
        if row["total"]
    ]
    before = Posting.objects.filter(
        entry__date__lt=period.starts_on, currency=currency, account__purpose__in=CASH_ACCOUNTS
    ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    opening = Money.summed(before, currency)
    net = sum((money for _kind, money in by_kind), start=Money.zero(currency))
    return CashFlow(period, by_kind, opening, opening + net)


def fund_balances(viewer: User | None) -> list[tuple[books.AccountSpec, Money]]:
    require_books_reader(viewer)
    currency = _currency()
    totals = _balances_by_purpose(currency)
    return [
        (
            books.spec(p),
            Money.summed(books.natural(books.Kind.EQUITY, totals.get(p, Decimal(0))), currency),
        )
        for p in FUNDS
    ]


def monthly_flows(viewer: User | None, period: Period) -> list[tuple[dt.date, Money, Money]]:
    """Income and expenses per month of the period, for the chart."""
    require_books_reader(viewer)
    currency = _currency()
    rows = (
        _period_activity(period)
        .filter(currency=currency, account__kind__in=[books.Kind.INCOME, books.Kind.EXPENSE])
        .annotate(month=TruncMonth("entry__date"))
        .values("month", "account__kind")
        .annotate(total=Sum("amount"))
    )
    months: dict[dt.date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        month = row["month"]
        day = month.date() if isinstance(month, dt.datetime) else month
        months[day][row["account__kind"]] += row["total"]
    return [
        (
            month,
            Money.summed(-months[month][books.Kind.INCOME], currency),
            Money.summed(months[month][books.Kind.EXPENSE], currency),
        )
        for month in sorted(months)
    ]


def periods(viewer: User | None) -> list[Period]:
    require_books_reader(viewer)
    return list(Period.objects.order_by("-starts_on"))


def period_or_current(viewer: User | None, period_id: str | None) -> Period | None:
    """The period asked for; else the one running today, or the latest; None before the books
    have any."""
    require_books_reader(viewer)
    if period_id:
        wellformed = period_id.isdecimal() and len(period_id) <= 18  # within a bigint
        found = Period.objects.filter(pk=int(period_id)).first() if wellformed else None
        if found is None:
            raise NotFound("not_found", gettext_noop("No such period."))
        return found
    today = timezone.localdate()
    running = Period.objects.containing(today).first()
    return running or Period.objects.order_by("-starts_on").first()


def journal(viewer: User | None, page: int) -> Page[JournalEntry]:
    require_books_reader(viewer)
    entries = JournalEntry.objects.select_related("member", "reverses").prefetch_related(
        "postings__account"
    )
    return Paginator(entries.order_by("-number"), JOURNAL_PAGE_SIZE).get_page(page)


# --- One member's statement ----------------------------------------------------------------


@dataclass(frozen=True)
class WorkSummary:
    """A member's work in a period and what the co-op kept of its price, as on their receipts."""

    period: Period
    hours: Decimal
    earned: Money  # the worker's share and tips
    coop_fee: Money
    solidarity: Money
    by_month: list[tuple[dt.date, Money]]  # earned per month, for the chart


@dataclass(frozen=True)
class Statement:
    member: Membership
    owed: Money  # what the co-op owes the member now (earnings, tips, cash dividends, support)
    internal_capital: Money
    share_capital: Money
    lines: list[Posting]  # the latest movements, newest first, each with the balance after it
    allocations: list[Allocation]
    work: WorkSummary | None


def _member_account_balance(member: Membership, purpose: str, currency: str) -> Money:
    account = Account.objects.filter(member=member, purpose=purpose, currency=currency).first()
    signed = account.balance if account is not None else Decimal(0)
    return Money.summed(books.natural(books.spec(purpose).kind, signed), currency)


def statement(viewer: User, member: Membership | None = None) -> Statement:
    """The viewer's own statement, or (for the board) a member's."""
    if member is None:
        member = own_membership(viewer)
        if member is None:
            raise NotAllowed("members_only", gettext_noop("Only members have a statement."))
    elif member.user_id != viewer.pk:
        require_role(viewer, Role.BOARD)
    currency = _currency()
    lines = list(
        Posting.objects.filter(account__member=member, currency=currency)
        .select_related("entry", "account")
        .order_by("-id")[:STATEMENT_LINES]
    )
    return Statement(
        work=_work_summary(member, currency),
        member=member,
        owed=_member_account_balance(member, "owed_to_member", currency),
        internal_capital=_member_account_balance(member, "member_capital", currency),
        share_capital=capital_balance(member),
        lines=lines,
        allocations=list(
            Allocation.objects.filter(member=member).select_related("period").order_by("-id")
        ),
    )


def _work_summary(member: Membership, currency: str) -> WorkSummary | None:
    """Four queries whatever the number of sales: the period, the sums, the months, the hours
    (kept up to date in the patronage row, corrections included)."""
    today = timezone.localdate()
    period = Period.objects.containing(today).first()
    if period is None:
        return None
    sales = Posting.objects.filter(
        entry__member=member, entry__period=period, currency=currency
    ).filter(Q(entry__kind=EntryKind.SALE) | Q(entry__reverses__kind=EntryKind.SALE))
    totals: dict[tuple[str, int | None], Decimal] = {
        (row["account__purpose"], row["account__member"]): row["total"]
        for row in sales.values("account__purpose", "account__member").annotate(total=Sum("amount"))
    }
    months = (
        sales.filter(account__member=member, account__purpose="owed_to_member")
        .annotate(month=TruncMonth("entry__date"))
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by("month")
    )

    def credited(purpose: str, owner: int | None = None) -> Money:
        return Money.summed(-totals.get((purpose, owner), Decimal(0)), currency)

    hours = (
        Patronage.objects.filter(period=period, member=member).values_list("hours", flat=True)
    ).first()
    return WorkSummary(
        period=period,
        hours=hours or Decimal(0),
        earned=credited("owed_to_member", member.pk),
        coop_fee=credited(books.MEMBER_BUSINESS_INCOME),
        solidarity=credited("solidarity_fund"),
        by_month=[(_day(row["month"]), Money.summed(-row["total"], currency)) for row in months],
    )


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def allocation_notice(viewer: User, allocation_id: int) -> Allocation:
    found = (
        Allocation.objects.select_related("member__user", "period", "entry")
        .filter(pk=allocation_id)
        .first()
    )
    if found is None or (found.member.user_id != viewer.pk and not has_role(viewer, Role.BOARD)):
        raise NotFound("not_found", gettext_noop("No such notice."))
    return found


# --- The solidarity fund and the board's desk ---------------------------------------------


def my_claims(viewer: User) -> list[SolidarityClaim]:
    return list(SolidarityClaim.objects.filter(member__user=viewer).order_by("-submitted_at"))


def claims_to_decide(viewer: User | None) -> list[SolidarityClaim]:
    require_role(viewer, Role.BOARD)
    return list(
        SolidarityClaim.objects.filter(status=SolidarityClaim.Status.PENDING)
        .select_related("member__user")
        .order_by("submitted_at")
    )


def solidarity_summary(viewer: User | None) -> dict[str, Any]:
    """What every member may know of the fund: its balance, rules and what it has paid."""
    require_books_reader(viewer)
    currency = _currency()
    paid = SolidarityClaim.objects.filter(status=SolidarityClaim.Status.PAID)
    return {
        "balance": fund_balances(viewer)[2][1],
        "rules": current_policy().policy.accounting.solidarity,
        "claims_paid": paid.count(),
        "paid_total": Money.summed(paid.aggregate(total=Sum("amount"))["total"] or 0, currency),
        "pending": SolidarityClaim.objects.filter(status=SolidarityClaim.Status.PENDING).count(),
    }


def owed_to_members(viewer: User | None) -> list[Account]:
    """Who the co-op owes money to now, for the payout run."""
    require_role(viewer, Role.BOARD)
    return list(
        Account.objects.filter(purpose="owed_to_member", currency=_currency(), balance__lt=0)
        .select_related("member__user")
        .order_by("member__number")
    )


def floor_runs(viewer: User | None, limit: int | None = None) -> list[FloorRun]:
    """The earnings floor's runs, newest window first, each with its members' top-ups."""
    require_role(viewer, Role.BOARD)
    runs = FloorRun.objects.select_related("entry").prefetch_related("top_ups__member__user")
    return list(runs.order_by("-starts_on")[:limit])


# --- Exports -------------------------------------------------------------------------------


def beancount_text(viewer: User | None, title: str) -> str:
    require_books_reader(viewer)
    accounts = {a.pk: a for a in Account.objects.select_related("member").order_by("pk")}
    names = {
        pk: books.beancount_name(
            books.Kind(a.kind), a.purpose, a.member.number if a.member else None
        )
        for pk, a in accounts.items()
    }
    first_day = JournalEntry.objects.order_by("date").values_list("date", flat=True).first()
    entries: dict[int, list[tuple[str, Money]]] = defaultdict(list)
    heads = {
        e.pk: e
        for e in JournalEntry.objects.only("pk", "number", "date", "kind", "memo").order_by(
            "number"
        )
    }
    for posting in Posting.objects.order_by("entry_id", "id").values_list(
        "entry_id", "account_id", "amount", "currency"
    ):
        entry_id, account_id, amount, currency = posting
        entries[entry_id].append((names[account_id], Money(amount, currency)))
    return books.beancount(
        title=title,
        accounts=[
            books.BeancountAccount(
                names[pk], min(a.opened_on, first_day or a.opened_on), a.currency
            )
            for pk, a in accounts.items()
        ],
        entries=[
            books.BeancountEntry(
                date=head.date,
                number=head.number,
                narration=f"{head.kind} {head.memo}".strip(),
                postings=tuple(entries[pk]),
            )
            for pk, head in heads.items()
        ],
    )


def journal_rows(viewer: User | None) -> Iterator[list[str]]:
    """Every posting as a CSV row: entry number, date, kind, account code, amount, currency.
    The reader is checked now, before the first row is asked for."""
    require_books_reader(viewer)
    return _journal_rows()


def _journal_rows() -> Iterator[list[str]]:
    yield ["entry", "date", "kind", "account", "account_name", "amount", "currency", "memo"]
    for number, date, kind, code, purpose, amount, currency, memo in (
        Posting.objects.order_by("entry__number", "id")
        .values_list(
            "entry__number",
            "entry__date",
            "entry__kind",
            "account__code",
            "account__purpose",
            "amount",
            "currency",
            "entry__memo",
        )
        .iterator(chunk_size=2000)
    ):
        yield [
            str(number),
            date.isoformat(),
            kind,
            code,
            books.spec(purpose).en,
            str(Money(amount, currency).amount),
            currency,
            memo,
        ]


def expenses_between(first: dt.date, last: dt.date) -> Money:
    """What the co-op spent from ``first`` to ``last`` (its expense accounts, period closings
    left out), in the books' currency."""
    currency = current_policy().policy.currency
    total = (
        Posting.objects.filter(
            account__kind=books.Kind.EXPENSE,
            currency=currency,
            entry__date__range=(first, last),
        )
        .exclude(entry__kind=EntryKind.CLOSING)
        .aggregate(total=Sum("amount"))["total"]
    )
    return Money.summed(total or 0, currency)
