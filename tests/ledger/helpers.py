"""Plain helpers for the ledger tests: amounts, balances and the books' invariants."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from taawun.domain import ledger as books
from taawun.domain.money import Money
from taawun.ledger.models import Account, JournalEntry, Posting
from taawun.members.models import Membership

CURRENCY = "ILS"


def ils(amount: str) -> Money:
    return Money(Decimal(amount), CURRENCY)


def account(purpose: str, member: Membership | None = None) -> Account:
    return Account.objects.get(purpose=purpose, member=member, currency=CURRENCY)


def balance(purpose: str, member: Membership | None = None) -> Decimal:
    """The signed (debit-positive) balance of one account; zero when it was never opened."""
    found = Account.objects.filter(purpose=purpose, member=member, currency=CURRENCY).first()
    return found.balance if found is not None else Decimal(0)


def owed(member: Membership) -> Decimal:
    """What the co-op owes the member, as people read it (positive when it owes)."""
    return -balance("owed_to_member", member)


def lines(entry: JournalEntry) -> list[tuple[str, int | None, Decimal]]:
    """An entry's postings as (purpose, member number, signed amount), sorted."""
    return sorted(
        (
            p.account.purpose,
            p.account.member.number if p.account.member is not None else None,
            p.amount,
        )
        for p in entry.postings.select_related("account__member")
    )


def balances() -> dict[int, Decimal]:
    """Every account's signed balance, by primary key."""
    return dict(Account.objects.order_by("pk").values_list("pk", "balance"))


def nonzero_balances() -> dict[tuple[str, int | None], Decimal]:
    """The accounts that hold something, by (purpose, member number)."""
    return {
        (a.purpose, a.member.number if a.member is not None else None): a.balance
        for a in Account.objects.select_related("member").order_by("pk")
        if a.balance
    }


def books_problems() -> list[str]:
    """Everything wrong with the books as a whole; an empty list when they are sound.

    - each entry sums to zero per currency and has at least two non-zero lines;
    - journal numbers run 1..n without gaps;
    - each posting's balance_after is the running sum of its account's postings;
    - each account's balance is the sum of its postings;
    - the trial balance is zero per currency, and the balance sheet balances;
    - no cash, bank or wallet account is below zero.
    """
    problems: list[str] = []
    numbers = list(JournalEntry.objects.order_by("number").values_list("number", flat=True))
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"journal numbers {numbers}")
    per_entry: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    count: dict[int, int] = defaultdict(int)
    running: dict[int, Decimal] = defaultdict(Decimal)
    for posting in Posting.objects.order_by("id"):
        if posting.amount == 0:
            problems.append(f"zero posting {posting.pk}")
        per_entry[posting.entry_id, posting.currency] += posting.amount
        count[posting.entry_id] += 1
        running[posting.account_id] += posting.amount
        if posting.balance_after != running[posting.account_id]:
            problems.append(
                f"posting {posting.pk}: balance_after {posting.balance_after}, "
                f"running sum {running[posting.account_id]}"
            )
    for (entry_id, currency), total in per_entry.items():
        if total != 0:
            problems.append(f"entry {entry_id} off by {total} {currency}")
    for entry_id, lines_count in count.items():
        if lines_count < 2:
            problems.append(f"entry {entry_id} has {lines_count} line")
    if set(count) != set(JournalEntry.objects.values_list("pk", flat=True)):
        problems.append("an entry without postings")
    signed: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in Account.objects.values_list("currency", "balance"):
        signed[currency] += amount
    problems += [f"balances sum to {t} {c}" for c, t in sorted(signed.items()) if t != 0]
    by_kind: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for acc in Account.objects.all():
        summed = running[acc.pk]  # summed here: SQLite's SUM of decimals is a float sum
        if acc.balance != summed:
            problems.append(f"account {acc}: balance {acc.balance}, postings sum {summed}")
        if acc.purpose in books.PAYMENT_ACCOUNTS.values() and acc.balance < 0:
            problems.append(f"account {acc} is overdrawn: {acc.balance}")
        if acc.postings.exclude(currency=acc.currency).exists():
            problems.append(f"account {acc} has postings in another currency")
        by_kind[acc.currency, acc.kind] += books.natural(books.Kind(acc.kind), acc.balance)
    for currency in {c for c, _k in by_kind}:
        trial = sum(
            (
                v if books.Kind(kind).debit_normal else -v
                for (c, kind), v in by_kind.items()
                if c == currency
            ),
            Decimal(0),
        )
        if trial != 0:
            problems.append(f"trial balance off by {trial} {currency}")

        def kind_total(kind: books.Kind, currency: str = currency) -> Decimal:
            return by_kind.get((currency, kind.value), Decimal(0))

        assets = kind_total(books.Kind.ASSET)
        claims = (
            kind_total(books.Kind.LIABILITY)
            + kind_total(books.Kind.EQUITY)
            + kind_total(books.Kind.INCOME)
            - kind_total(books.Kind.EXPENSE)
        )
        if assets != claims:
            problems.append(f"balance sheet: assets {assets}, claims {claims} {currency}")
    return problems
