"""Every write to the books. Each money movement is one balanced journal entry posted by
:func:`post`, inside the action that causes it; corrections are reversing entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal
from fractions import Fraction

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DecimalField, F, Q, Sum, When
from django.urls import reverse as page_url
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy, policy_number
from taawun.domain import ledger as books
from taawun.domain.canonical import plain
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, gettext_noop
from taawun.domain.explanation import Line
from taawun.domain.money import Money, quantum
from taawun.domain.pricing import earnings_top_up, floor_hours
from taawun.domain.receipt import Breakdown, breakdown
from taawun.domain.surplus import Patronage as SurplusPatronage
from taawun.domain.surplus import allocate_surplus, apportion, charge_loss
from taawun.members.models import Membership, PaymentMethod
from taawun.notifications.actions import notify_each
from taawun.notifications.models import Kind as Notice
from taawun.transparency.audit import next_number, record

from .locking import current_member, period_of_day
from .models import (
    Account,
    Allocation,
    EntryKind,
    FloorRun,
    FloorTopUp,
    JournalEntry,
    Patronage,
    Payout,
    PayoutRun,
    Period,
    Posting,
    SolidarityClaim,
)

MAX_MEMO = 200
SHARE_KINDS = (EntryKind.SHARE_PAYMENT, EntryKind.SHARE_SELL_BACK, EntryKind.SHARE_REPAYMENT)
# Payouts and fund payments left the co-op: money that comes back is a new entry, not an undo.
REVERSIBLE_KINDS = (EntryKind.SALE, EntryKind.EXPENSE, EntryKind.OTHER_INCOME)


@dataclass(frozen=True)
class Leg:
    """One line of an entry before it is posted: an account of the chart, signed amount."""

    purpose: str
    amount: Money  # debit positive, credit negative
    member: Membership | None = None

    @staticmethod
    def debit(purpose: str, amount: Money, member: Membership | None = None) -> Leg:
        return Leg(purpose, amount, member)

    @staticmethod
    def credit(purpose: str, amount: Money, member: Membership | None = None) -> Leg:
        return Leg(purpose, -amount, member)


def period_for(day: dt.date) -> Period:
    """The period holding ``day``, created open when the books first reach it."""
    starts_on, ends_on = books.period_bounds(day, current_policy().policy.accounting.period)
    found = Period.objects.containing(day).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Period.objects.create(starts_on=starts_on, ends_on=ends_on)
    except IntegrityError:  # created meanwhile, or a period of another length overlaps
        found = Period.objects.containing(day).first()
        if found is None:
            raise DomainError(
                "period_overlap",
                gettext_noop("The books have no period for %(date)s."),
                date=day.isoformat(),
            ) from None
        return found


def _check_member(purpose: str, member: Membership | None) -> None:
    if books.spec(purpose).per_member != (member is not None):
        raise InvalidInput(
            "account_member",
            gettext_noop("The account %(purpose)s is kept per member."),
            purpose=purpose,
        )


def _new_account(purpose: str, currency: str, member: Membership | None) -> Account:
    spec = books.spec(purpose)
    return Account(
        purpose=purpose,
        member=member,
        currency=currency,
        kind=spec.kind.value,
        code=f"{spec.code}-{member.number:04d}" if member is not None else spec.code,
        balance=Decimal(0),
        opened_on=timezone.localdate(),
    )


def account_for(purpose: str, currency: str, member: Membership | None = None) -> Account:
    """The account of ``purpose`` (the member's own for per-member purposes), opened on first
    use."""
    _check_member(purpose, member)
    found = Account.objects.filter(purpose=purpose, currency=currency, member=member).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            account = _new_account(purpose, currency, member)
            account.save()
            return account
    except IntegrityError:  # opened by a concurrent posting
        return Account.objects.get(purpose=purpose, currency=currency, member=member)


def open_books(currency: str) -> None:
    """Open the shared accounts of the chart at founding, so reports show the whole chart."""
    for spec in books.CHART:
        if not spec.per_member:
            account_for(spec.purpose, currency)


def _lock_accounts(currency: str) -> None:
    """Lock every account of the books in id order, for an operation that posts several
    entries (a payout run, a closing) after locking its period. post() locks one entry's
    accounts in id order and then draws the journal number; an operation that drew a number
    for its first entry and only then locked the next entry's accounts could deadlock with a
    single posting that holds those accounts and waits for the journal number."""
    list(
        Account.objects.select_for_update()
        .filter(currency=currency)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


BALANCE_PLACES = Decimal("0.001")  # money_field's decimal places
CHUNK = 2000  # accounts per statement: well under both databases' limit on parameters

# Lock the accounts in id order (the one lock order), then add each delta: one round trip.
# The accounts are named by id as this process remembers them, with what they are: if any id no
# longer names that account (a restored or rebuilt database), nothing is changed and no row
# comes back, and the caller looks the accounts up again.
_ADD_TO_BALANCES_POSTGRES = """
WITH wanted AS (
    SELECT * FROM unnest(%s::bigint[], %s::numeric[], %s::text[], %s::text[], %s::bigint[])
        AS w(id, delta, purpose, currency, member_id)
), locked AS (
    SELECT a.id FROM ledger_account AS a JOIN wanted AS w ON a.id = w.id
        AND a.purpose = w.purpose AND a.currency = w.currency
        AND a.member_id IS NOT DISTINCT FROM w.member_id
    ORDER BY a.id FOR NO KEY UPDATE OF a
)
UPDATE ledger_account AS a SET balance = a.balance + w.delta
FROM wanted AS w
WHERE a.id = w.id AND (SELECT count(*) FROM locked) = %s
RETURNING a.id, a.balance
"""
# SQLite locks the whole database for a writer, so no row order matters; it does decimal
# arithmetic in floats, and rounding each new balance to the field's places keeps it the
# nearest float to the exact amount, so errors never add up and a settled account is exactly
# zero (``balance < 0`` picks the accounts a payout run pays).
_ADD_TO_BALANCE_SQLITE = (
    "UPDATE ledger_account SET balance = ROUND(balance + %s, 3) WHERE id = %s RETURNING id, balance"
)


AccountKey = tuple[str, str, int | None]  # purpose, currency, member id


def _key(leg: Leg) -> AccountKey:
    return leg.purpose, leg.amount.currency, leg.member.pk if leg.member else None


_remembered: dict[AccountKey, Account] = {}
"""Accounts this process has posted to. An account is never deleted and never changes what it
is for, so its id can be used without reading it again; the statement that adds to the balances
checks each one still is what it was (``_ADD_TO_BALANCES_POSTGRES``)."""


def _accounts(legs: list[Leg]) -> list[Account]:
    """Each leg's account, in a few queries whatever the number of legs; missing per-member
    accounts are opened on the way."""
    keys = [_key(leg) for leg in legs]
    remembered = connection.vendor == "postgresql" and len(keys) <= CHUNK
    if remembered and all(key in _remembered for key in keys):
        return [_remembered[key] for key in keys]
    accounts = _looked_up(legs)
    if len(_remembered) < 10 * CHUNK:  # a closing's thousands of member accounts are not kept
        _remembered.update(zip(keys, accounts, strict=True))
    return accounts


def _looked_up(legs: list[Leg]) -> list[Account]:
    wanted = {_key(leg) for leg in legs}
    found: dict[AccountKey, Account] = {}
    shared = {(purpose, currency) for purpose, currency, member_id in wanted if member_id is None}
    if shared:
        for account in Account.objects.filter(
            purpose__in={purpose for purpose, _currency in shared},
            currency__in={currency for _purpose, currency in shared},
            member__isnull=True,
        ):
            found[account.purpose, account.currency, None] = account
    by_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for purpose, currency, member_id in wanted:
        if member_id is not None:
            by_group[purpose, currency].append(member_id)
    for (purpose, currency), member_ids in by_group.items():
        for start in range(0, len(member_ids), CHUNK):
            for account in Account.objects.filter(
                purpose=purpose, currency=currency, member_id__in=member_ids[start : start + CHUNK]
            ):
                found[purpose, currency, account.member_id] = account
    missing = {_key(leg): leg for leg in legs if _key(leg) not in found}
    if len(missing) == 1:
        leg = next(iter(missing.values()))
        found[_key(leg)] = account_for(leg.purpose, leg.amount.currency, leg.member)
    elif missing:  # a closing that credits many members for the first time: open them at once
        for leg in missing.values():
            _check_member(leg.purpose, leg.member)
        Account.objects.bulk_create(
            [
                _new_account(leg.purpose, leg.amount.currency, leg.member)
                for leg in missing.values()
            ],
            ignore_conflicts=True,
        )
        return _looked_up(legs)
    return [found[_key(leg)] for leg in legs]


def _add_to_balances(
    accounts: list[Account], deltas: dict[int, Decimal]
) -> dict[int, Decimal] | None:
    """Add each delta to its account's balance under the account's row lock; the new balances,
    or None, having changed nothing, if an account is no longer the one remembered."""
    ids = sorted(deltas)
    balances: dict[int, Decimal] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            by_id = {account.pk: account for account in accounts}
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                chosen = [by_id[i] for i in chunk]
                cursor.execute(
                    _ADD_TO_BALANCES_POSTGRES,
                    [
                        chunk,
                        [deltas[i] for i in chunk],
                        [account.purpose for account in chosen],
                        [account.currency for account in chosen],
                        [account.member_id for account in chosen],
                        len(chunk),
                    ],
                )
                found = cursor.fetchall()
                if len(found) != len(chunk):  # only remembered accounts can (one chunk)
                    return None
                balances.update(found)
        else:
            for account_id in ids:
                cursor.execute(_ADD_TO_BALANCE_SQLITE, [deltas[account_id], account_id])
                found_id, balance = cursor.fetchone()
                balances[found_id] = Decimal(str(balance)).quantize(BALANCE_PLACES)
    return balances


def _lock_and_add(
    legs: list[Leg],
) -> tuple[list[Account], dict[int, Decimal], dict[int, Decimal]]:
    """Each leg's account, the amount added to each account and its new balance, under the
    accounts' row locks. Remembered accounts are looked up again if the database is not the one
    they were remembered from."""
    for _attempt in range(2):
        accounts = _accounts(legs)
        deltas = _deltas(accounts, legs)
        finals = _add_to_balances(accounts, deltas)
        if finals is not None:
            return accounts, deltas, finals
        _remembered.clear()
    raise RuntimeError("accounts just read are not in the database")


def _deltas(accounts: list[Account], legs: list[Leg]) -> dict[int, Decimal]:
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for account, leg in zip(accounts, legs, strict=True):
        deltas[account.pk] += leg.amount.amount
    return deltas


def _refuse_overdrawn(accounts: list[Account], balances: dict[int, Decimal]) -> None:
    """Money the co-op does not have cannot leave it: cash, bank and wallet never go below
    zero."""
    for account in accounts:
        if account.purpose in books.PAYMENT_ACCOUNTS.values() and balances[account.pk] < 0:
            raise DomainError(
                "insufficient_funds",
                gettext_noop(
                    "There is not enough money in account %(code)s for this: it would be "
                    "%(balance)s."
                ),
                code=account.code,
                balance=str(Money(balances[account.pk], account.currency)),
            )


def _open_period(day: dt.date) -> Period:
    """The period of ``day``, locked against a concurrent closing, and refused if closed."""
    period = period_of_day(day)
    if period is None:
        period = Period.objects.select_for_update().get(pk=period_for(day).pk)
    if period.status != Period.Status.OPEN:
        raise DomainError(
            "period_closed",
            gettext_noop(
                "The period from %(start)s to %(end)s is closed: correct it in an open period."
            ),
            start=period.starts_on.isoformat(),
            end=period.ends_on.isoformat(),
        )
    return period


def post(
    *,
    actor: User | None,
    kind: EntryKind,
    legs: list[Leg],
    memo: str = "",
    on: dt.date | None = None,
    member: Membership | None = None,
    hours: Decimal = Decimal(0),
    reverses: JournalEntry | None = None,
    idempotency_key: str | None = None,
    policy_version: int | None = None,
    audit: dict[str, object] | None = None,
    standalone: bool = True,
    patronage: Money | None = None,
) -> JournalEntry:
    """Post one balanced entry; called inside the action that moves the money.

    A standalone entry (a sale, an expense, a payout) is its own operation and writes its own
    audit entry; one posted as part of another operation (a share payment) does not, and that
    operation's entry names the journal number instead. With ``patronage`` (what the work earned
    its worker), the entry's hours and that revenue count towards ``member``'s patronage in the
    entry's period.

    Refuses an unbalanced entry, a zero line, a date in a closed period, or taking cash, bank
    or wallet below zero. Account rows are locked in id order (their row locks are the
    serialisation point on PostgreSQL), then the journal number is drawn, then the audit entry
    written: the project's one lock order.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("post() runs inside the action's transaction")
    books.check_balanced(leg.amount for leg in legs)
    memo = memo.strip()
    if len(memo) > MAX_MEMO:
        raise InvalidInput("memo_too_long", gettext_noop("The memo is too long."))
    day = on or timezone.localdate()
    period = _open_period(day)
    accounts, deltas, finals = _lock_and_add(legs)
    _refuse_overdrawn(accounts, finals)
    running = {pk: finals[pk] - delta for pk, delta in deltas.items()}
    balances: dict[int, Decimal] = {}
    for index, (account, leg) in enumerate(zip(accounts, legs, strict=True)):
        running[account.pk] += leg.amount.amount
        balances[index] = running[account.pk]
    version = policy_version if policy_version is not None else current_policy().number
    entry = JournalEntry(
        date=day,
        period=period,
        kind=kind,
        memo=memo,
        member=member,
        hours=hours,
        reverses=reverses,
        idempotency_key=idempotency_key,
        policy_version=version,
        recorded_at=timezone.now(),
        recorded_by=actor,
    )
    lines = [
        Posting(
            entry=entry,
            account=accounts[i],
            amount=leg.amount.amount,
            currency=leg.amount.currency,
            balance_after=balances[i],
        )
        for i, leg in enumerate(legs)
    ]
    _insert_entry(entry, lines, patronage)
    if not standalone:
        return entry
    record(
        actor_id=actor.pk if actor else None,
        action=f"books.{kind}",
        subject_type="journal_entry",
        subject_id=entry.number,
        policy_version=version,
        after={
            "date": day,
            "member": member.number if member else None,
            "lines": [
                [a.code, leg.amount.amount, leg.amount.currency]
                for a, leg in zip(accounts, legs, strict=True)
            ],
            **(audit or {}),
        },
    )
    return entry


# Work adds to a member's patronage of a period: one row per member and period, summed as the
# work comes in. ROUND: SQLite adds decimals as floats.
_ON_PATRONAGE_CONFLICT = """ON CONFLICT (period_id, member_id) DO UPDATE
SET hours = ROUND(ledger_patronage.hours + excluded.hours, 2),
    revenue = ROUND(ledger_patronage.revenue + excluded.revenue, 3)"""

# The journal number drawn, the entry and its postings written, and its work counted towards
# patronage when a revenue is given: one round trip. No row comes back before the journal's
# counter row exists (the very first entry).
_INSERT_ENTRY_POSTGRES = f"""
WITH numbered AS (
    UPDATE transparency_counter SET last = last + 1 WHERE name = 'journal' RETURNING last
), entry AS (
    INSERT INTO ledger_journalentry (number, date, period_id, kind, memo, member_id, hours,
        reverses_id, idempotency_key, policy_version, recorded_at, recorded_by_id)
    SELECT last, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM numbered
    RETURNING id, number, period_id, member_id, hours
), lines AS (
    INSERT INTO ledger_posting (entry_id, account_id, amount, currency, balance_after)
    SELECT entry.id, line.* FROM entry,
        unnest(%s::bigint[], %s::numeric[], %s::text[], %s::numeric[]) AS line
), work AS (
    INSERT INTO ledger_patronage (period_id, member_id, hours, revenue, currency)
    SELECT period_id, member_id, hours, %s, %s FROM entry WHERE %s::numeric IS NOT NULL
    {_ON_PATRONAGE_CONFLICT}
)
SELECT id, number FROM entry
"""  # noqa: S608  # nosec B608 (no value is formatted in)


def _insert_entry(entry: JournalEntry, lines: list[Posting], patronage: Money | None) -> None:
    """Store ``entry`` under the next journal number, with its postings, and count its work
    towards its member's patronage if ``patronage`` is given."""
    revenue = patronage.amount if patronage else None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _INSERT_ENTRY_POSTGRES,
                [
                    entry.date,
                    entry.period_id,
                    entry.kind,
                    entry.memo,
                    entry.member_id,
                    entry.hours,
                    entry.reverses_id,
                    entry.idempotency_key,
                    entry.policy_version,
                    entry.recorded_at,
                    entry.recorded_by_id,
                    [line.account_id for line in lines],
                    [line.amount for line in lines],
                    [line.currency for line in lines],
                    [line.balance_after for line in lines],
                    revenue,
                    patronage.currency if patronage else None,
                    revenue,
                ],
            )
            row = cursor.fetchone()
        if row is not None:
            entry.pk, entry.number = row
            entry._state.adding, entry._state.db = False, connection.alias
            return
    entry.number = next_number("journal")
    entry.save(force_insert=True)
    for line in lines:
        line.entry = entry  # now that it has its id
    Posting.objects.bulk_create(lines)
    if patronage is not None and entry.member is not None:
        _count_patronage(entry.member, entry.period, entry.hours, patronage)


def scoped_key(actor: User, key: str | None) -> str | None:
    """A retry key as stored: one person's keys never meet another's. None when no (or an
    over-long) key is given."""
    key = (key or "").strip()
    if not key or len(key) > 100:
        return None
    return f"{actor.pk}:{key}"


def _earlier(key: str | None, kind: EntryKind, amount: Money) -> JournalEntry | None:
    """The entry an earlier send of the same request made; the same key for another request
    is refused."""
    if key is None:
        return None
    done = JournalEntry.objects.filter(idempotency_key=key).first()
    if done is None:
        return None
    moved = sum((p.amount for p in done.postings.all() if p.amount > 0), start=Decimal(0))
    if done.kind != kind or moved != amount.amount:
        raise DomainError(
            "idempotency_conflict",
            gettext_noop("This key was already used for a different request."),
        )
    return done


def _once(
    key: str | None, kind: EntryKind, amount: Money, make: Callable[[], JournalEntry]
) -> JournalEntry:
    """``make()`` the entry unless a request with this key made it already (a form sent
    twice, a retried call), also when both arrive at once."""
    earlier = _earlier(key, kind, amount)
    if earlier is not None:
        return earlier
    if key is None:
        return make()
    try:
        with transaction.atomic():  # a savepoint, so a clash of keys can be answered
            return make()
    except IntegrityError:
        earlier = _earlier(key, kind, amount)
        if earlier is None:
            raise
        return earlier


def payment_account(method: str) -> str:
    if method not in PaymentMethod.values:
        raise InvalidInput(
            "bad_method", gettext_noop("Choose cash, bank transfer or mobile wallet.")
        )
    return books.PAYMENT_ACCOUNTS[method]


# --- Corrections ---------------------------------------------------------------------------


@transaction.atomic
def reverse_entry(*, actor: User, number: int, reason: str) -> JournalEntry:
    """A correction: a new entry, today, with every line of the original negated. An entry is
    reversed at most once; a reversal is not itself reversed (post the right entry instead)."""
    require_role(actor, Role.BOARD)
    original = JournalEntry.objects.select_for_update().filter(number=number).first()
    if original is None:
        raise NotFound("not_found", gettext_noop("No such entry."))
    return reverse(actor=actor, original=original, reason=reason)


def reverse(*, actor: User, original: JournalEntry, reason: str) -> JournalEntry:
    """Reverse ``original`` (locked by the caller) inside the caller's action: a refund of a
    sale the marketplace cancels, or the board's correction."""
    if not reason.strip():
        raise InvalidInput("reason_required", gettext_noop("Say why the entry is reversed."))
    if original.kind == EntryKind.REVERSAL:
        raise DomainError("reversal_of_reversal", gettext_noop("A reversal cannot be reversed."))
    if JournalEntry.objects.filter(reverses=original).exists():
        raise DomainError("already_reversed", gettext_noop("This entry was already reversed."))
    if original.kind in (EntryKind.CLOSING, EntryKind.ALLOCATION, EntryKind.LOSS):
        raise DomainError("reopen_instead", gettext_noop("Reopen the period to undo its closing."))
    if original.kind in SHARE_KINDS:  # the members' capital accounts would no longer reconcile
        raise DomainError(
            "member_register",
            gettext_noop("Share capital is corrected in the member register, not reversed."),
        )
    if original.kind not in REVERSIBLE_KINDS:
        raise DomainError(
            "not_reversible",
            gettext_noop(
                "Only customer payments for work, expenses and other income can be reversed."
            ),
        )
    legs = [
        Leg(p.account.purpose, -Money(p.amount, p.currency), p.account.member)
        for p in original.postings.select_related("account__member")
    ]
    entry = post(
        actor=actor,
        kind=EntryKind.REVERSAL,
        legs=legs,
        memo=reason[:MAX_MEMO],
        member=original.member,
        reverses=original,
        audit={"reverses": original.number},
    )
    if original.kind == EntryKind.SALE and original.member is not None:
        # The work is taken off the patronage of the period the correction falls in: a closed
        # period's figures stay as they were shared.
        _count_patronage(original.member, entry.period, -original.hours, -_sale_revenue(original))
    return entry


# --- Work paid by customers ----------------------------------------------------------------


def _sale_revenue(entry: JournalEntry) -> Money:
    """What a sale earned its worker (share and tip): the credit to the member's account."""
    owed = entry.postings.get(account__purpose="owed_to_member")
    return Money(-owed.amount, owed.currency)


_ADD_PATRONAGE = f"""
INSERT INTO ledger_patronage (period_id, member_id, hours, revenue, currency)
VALUES (%s, %s, %s, %s, %s)
{_ON_PATRONAGE_CONFLICT}
"""  # noqa: S608  # nosec B608 (no value is formatted in)


def _count_patronage(member: Membership, period: Period, hours: Decimal, revenue: Money) -> None:
    """Add work to the member's patronage in the period, in one statement (an upsert)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ADD_PATRONAGE, [period.pk, member.pk, hours, revenue.amount, revenue.currency]
        )


@transaction.atomic
def record_sale(
    *,
    actor: User,
    worker_number: int,
    price: Money,
    tip: Money,
    method: str,
    hours: Decimal,
    memo: str = "",
    on: dt.date | None = None,
    idempotency_key: str | None = None,
) -> tuple[JournalEntry, Breakdown]:
    """A customer paid the co-op for a member's work: the worker's share and the whole tip are
    owed to the worker, the fee is the co-op's income, the solidarity share goes to the fund and
    any tax is held for the tax office. The hours count towards the worker's patronage."""
    require_role(actor, Role.BOARD)
    idempotency_key = scoped_key(actor, idempotency_key)
    if idempotency_key:
        done = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if done is not None:
            return done, _replayed_breakdown(done, worker_number, price, tip)
    current = current_policy()
    policy = current.policy
    if price.currency != policy.currency:
        raise InvalidInput(
            "wrong_currency",
            gettext_noop("The co-op keeps its books in %(currency)s."),
            currency=policy.currency,
        )
    if hours < 0 or hours > 24 * 31:
        raise InvalidInput("bad_hours", gettext_noop("Hours must be between 0 and 744."))
    worker = current_member(worker_number)
    if worker is None or not policy.member_class(worker.member_class).works:
        raise InvalidInput(
            "not_a_worker",
            gettext_noop("Member %(number)s is not a working member."),
            number=worker_number,
        )
    parts = breakdown(price=price, tip=tip, rules=policy.fees, policy_version=current.number)

    def post_it() -> JournalEntry:
        return post_sale(
            actor=actor,
            worker=worker,
            parts=parts,
            method=method,
            hours=hours,
            memo=memo,
            on=on,
            idempotency_key=idempotency_key,
        )

    if not idempotency_key:
        return post_it(), parts
    try:
        with transaction.atomic():  # a savepoint, so a clash of keys can be answered
            entry = post_it()
    except IntegrityError:  # the same key, recorded meanwhile by a concurrent retry
        done = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if done is None:
            raise
        return done, _replayed_breakdown(done, worker_number, price, tip)
    return entry, parts


def post_sale(
    *,
    actor: User,
    worker: Membership,
    parts: Breakdown,
    method: str,
    hours: Decimal,
    memo: str = "",
    on: dt.date | None = None,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Post a customer's payment split as ``parts`` says, inside the caller's action (which has
    checked who may record it): the worker's share and the whole tip are owed to the worker, the
    fee is the co-op's income, the solidarity share goes to the fund and any tax is held for the
    tax office. The hours count towards the worker's patronage."""
    legs = [Leg.debit(payment_account(method), parts.total_paid)]
    legs.append(Leg.credit("owed_to_member", parts.worker_total, worker))
    for purpose, amount in (
        (books.MEMBER_BUSINESS_INCOME, parts.coop_fee),
        ("solidarity_fund", parts.solidarity),
        ("taxes_payable", parts.tax),
    ):
        if not amount.is_zero:
            legs.append(Leg.credit(purpose, amount))
    entry = post(
        actor=actor,
        kind=EntryKind.SALE,
        legs=legs,
        memo=memo,
        on=on,
        member=worker,
        hours=hours,
        idempotency_key=idempotency_key or None,
        policy_version=parts.policy_version,
        audit={"hours": hours, "method": method},
        patronage=parts.worker_total,
    )
    return entry


def _replayed_breakdown(
    entry: JournalEntry, worker_number: int, price: Money, tip: Money
) -> Breakdown:
    """A retried sale with the same key returns the first one; different figures (or another
    worker) are refused."""
    parts = breakdown(
        price=price,
        tip=tip,
        rules=policy_number(entry.policy_version).fees,
        policy_version=entry.policy_version,
    )
    paid = sum((p.amount for p in entry.postings.all() if p.amount > 0), start=Decimal(0))
    if (
        entry.kind != EntryKind.SALE
        or entry.member is None
        or entry.member.number != worker_number
        or paid != parts.total_paid.amount
        or _sale_revenue(entry) != parts.worker_total
    ):
        raise DomainError(
            "idempotency_conflict",
            gettext_noop("This key was already used for a different request."),
        )
    return parts


# --- The co-op's own spending and other income ----------------------------------------------


def _books_amount(amount: Money) -> Money:
    currency = current_policy().policy.currency
    if amount.currency != currency:
        raise InvalidInput(
            "wrong_currency",
            gettext_noop("The co-op keeps its books in %(currency)s."),
            currency=currency,
        )
    if amount.amount <= 0:
        raise InvalidInput("amount_not_positive", gettext_noop("The amount must be above zero."))
    return amount


def _one_amount(
    actor: User,
    kind: EntryKind,
    debit: str,
    credit: str,
    amount: Money,
    memo: str,
    on: dt.date | None,
    idempotency_key: str | None,
) -> JournalEntry:
    """One amount from one account of the chart to another (an expense, other income, money
    moved between cash, bank and wallet), posted once per retry key."""
    amount = _books_amount(amount)
    key = scoped_key(actor, idempotency_key)
    return _once(
        key,
        kind,
        amount,
        lambda: post(
            actor=actor,
            kind=kind,
            legs=[Leg.debit(debit, amount), Leg.credit(credit, amount)],
            memo=memo,
            on=on,
            idempotency_key=key,
        ),
    )


@transaction.atomic
def record_expense(
    *,
    actor: User,
    amount: Money,
    method: str,
    memo: str,
    on: dt.date | None = None,
    idempotency_key: str | None = None,
) -> JournalEntry:
    require_role(actor, Role.BOARD)
    if not memo.strip():
        raise InvalidInput("memo_required", gettext_noop("Say what the money was spent on."))
    return _one_amount(
        actor,
        EntryKind.EXPENSE,
        "expenses",
        payment_account(method),
        amount,
        memo,
        on,
        idempotency_key,
    )


@transaction.atomic
def record_other_income(
    *,
    actor: User,
    amount: Money,
    method: str,
    memo: str,
    on: dt.date | None = None,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Money that is not members' work (a grant, interest): not patronage, so at the period's
    close it goes to the indivisible reserve."""
    require_role(actor, Role.BOARD)
    if not memo.strip():
        raise InvalidInput("memo_required", gettext_noop("Say where the money came from."))
    return _one_amount(
        actor,
        EntryKind.OTHER_INCOME,
        payment_account(method),
        "other_income",
        amount,
        memo,
        on,
        idempotency_key,
    )


@transaction.atomic
def move_money(
    *,
    actor: User,
    amount: Money,
    from_method: str,
    to_method: str,
    memo: str = "",
    on: dt.date | None = None,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Cash paid into the bank, a wallet emptied into it: the co-op's money changes place."""
    require_role(actor, Role.BOARD)
    source, target = payment_account(from_method), payment_account(to_method)
    if source == target:
        raise InvalidInput("same_account", gettext_noop("Choose two different accounts."))
    return _one_amount(actor, EntryKind.TRANSFER, target, source, amount, memo, on, idempotency_key)


# --- Paying workers ------------------------------------------------------------------------


@transaction.atomic
def run_payouts(
    *, actor: User, method: str, idempotency_key: str, references: dict[int, str] | None = None
) -> PayoutRun:
    """Pay every member what the co-op owes them now, by one method. Balances are read under
    their row locks, so two runs at once pay once; the same key returns the first run."""
    require_role(actor, Role.BOARD)
    key = scoped_key(actor, idempotency_key)
    if not key:
        raise InvalidInput(
            "bad_key", gettext_noop("A payout run needs a key of 1 to 100 characters.")
        )
    account = payment_account(method)
    currency = current_policy().policy.currency
    _open_period(timezone.localdate())  # a closing of today's period waits, and so do we
    _lock_accounts(currency)
    done = PayoutRun.objects.filter(idempotency_key=key).first()  # looked up under the locks
    if done is not None:
        if done.method != method:
            raise DomainError(
                "idempotency_conflict",
                gettext_noop("This key was already used for a different request."),
            )
        return done
    references = references or {}
    owed = list(
        Account.objects.filter(purpose="owed_to_member", currency=currency, balance__lt=0)
        .select_related("member")
        .order_by("pk")
    )
    if method != PaymentMethod.CASH:
        missing = [
            a.member.number
            for a in owed
            if a.member and not references.get(a.member.number, "").strip()
        ]
        if missing:
            raise InvalidInput(
                "reference_required",
                gettext_noop("A bank or wallet payment needs its reference (member %(number)s)."),
                number=missing[0],
            )
    run = PayoutRun.objects.create(
        number=next_number("payout_run"),
        method=method,
        idempotency_key=key,
        created_at=timezone.now(),
        created_by=actor,
        total=Decimal(0),
        currency=currency,
    )
    total = Decimal(0)
    paid = []
    for held in owed:
        assert held.member is not None
        amount = Money(-held.balance, currency)
        reference = references.get(held.member.number, "").strip()[:80]
        entry = post(
            actor=actor,
            kind=EntryKind.PAYOUT,
            legs=[
                Leg.debit("owed_to_member", amount, held.member),
                Leg.credit(account, amount),
            ],
            memo=reference,
            member=held.member,
            audit={"run": run.number, "method": method},
        )
        Payout.objects.create(
            run=run,
            member=held.member,
            amount=amount.amount,
            currency=currency,
            reference=reference,
            entry=entry,
        )
        total += amount.amount
        details = {"run": run.number, "amount": str(amount.amount), "currency": currency}
        paid.append((held.member.user_id, details, page_url("ledger:mine")))
    run.total = total
    run.save(update_fields=["total"])
    notify_each(kind=Notice.PAYOUT_PAID, notes=paid)
    return run


# --- The solidarity fund -------------------------------------------------------------------


def _fund_balance(currency: str) -> Money:
    fund = account_for("solidarity_fund", currency)
    return Money(books.natural(books.Kind.EQUITY, fund.balance), currency)


@transaction.atomic
def claim_support(*, actor: User, reason: str, amount: Money, details: str = "") -> SolidarityClaim:
    """A member asks the solidarity fund for support; the details stay between them and those
    who decide."""
    membership = (
        Membership.objects.filter(user=actor).exclude(status=Membership.Status.LEFT).first()
    )
    if membership is None:
        raise NotAllowed("members_only", gettext_noop("Only members can claim support."))
    rules = current_policy().policy.accounting.solidarity
    if reason not in rules.reasons:
        raise InvalidInput("bad_reason", gettext_noop("The fund does not cover this reason."))
    amount = _books_amount(amount)
    if len(details) > 2000:
        raise InvalidInput("details_too_long", gettext_noop("The details are too long."))
    claim = SolidarityClaim.objects.create(
        member=membership,
        reason=reason,
        amount=amount.amount,
        currency=amount.currency,
        details=details.strip(),
        submitted_at=timezone.now(),
    )
    record(
        actor_id=actor.pk,
        action="solidarity.claimed",
        subject_type="solidarity_claim",
        subject_id=claim.pk,
        policy_version=current_policy().number,
        after={"member": membership.number, "reason": reason, "amount": amount.amount},
    )
    return claim


@transaction.atomic
def decide_claim(*, actor: User, claim_id: int, approve: bool, note: str = "") -> SolidarityClaim:
    """The board decides (a member vote, when the policy asks for one, comes with governance).
    An approved claim is paid at once into what the co-op owes the member, within the policy's
    limit on how much of the fund one claim may take."""
    require_role(actor, Role.BOARD)
    current = current_policy()
    rules = current.policy.accounting.solidarity
    if rules.decided_by != "board":
        raise DomainError(
            "decided_by_vote", gettext_noop("The policy says members decide claims by vote.")
        )
    claim = (
        SolidarityClaim.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound("not_found", gettext_noop("No such claim."))
    if claim.status != SolidarityClaim.Status.PENDING:
        raise DomainError("claim_decided", gettext_noop("This claim was already decided."))
    if claim.member.user_id == actor.pk:
        raise NotAllowed("own_claim", gettext_noop("Someone else must decide your own claim."))
    now = timezone.now()
    amount = Money(claim.amount, claim.currency)
    if approve:
        balance = _fund_balance(claim.currency)
        limit = Money(
            (balance.amount * rules.max_claim_percent_of_fund / 100).quantize(
                quantum(claim.currency), ROUND_DOWN
            ),
            claim.currency,
        )
        if limit < amount:
            raise DomainError(
                "claim_over_limit",
                gettext_noop("The fund can give at most %(limit)s for one claim now."),
                limit=str(limit),
            )
        claim.entry = post(
            actor=actor,
            kind=EntryKind.SOLIDARITY_PAYMENT,
            legs=[
                Leg.debit("solidarity_fund", amount),
                Leg.credit("owed_to_member", amount, claim.member),
            ],
            member=claim.member,
            policy_version=current.number,
            audit={"claim": claim.pk, "reason": claim.reason},
        )
    claim.status = SolidarityClaim.Status.PAID if approve else SolidarityClaim.Status.REFUSED
    claim.decided_at = now
    claim.decided_by = actor
    claim.decision_note = note.strip()[:300]
    claim.save(update_fields=["status", "decided_at", "decided_by", "decision_note", "entry"])
    record(
        actor_id=actor.pk,
        action="solidarity.decided",
        subject_type="solidarity_claim",
        subject_id=claim.pk,
        policy_version=current.number,
        before={"status": "pending"},
        after={"status": claim.status, "amount": amount.amount},
    )
    return claim


# --- Closing a period and sharing its surplus ----------------------------------------------

CLOSING_KINDS = (EntryKind.CLOSING, EntryKind.ALLOCATION, EntryKind.LOSS)


def _natural_balance(purpose: str, currency: str, member: Membership | None = None) -> Money:
    account = account_for(purpose, currency, member)
    return Money(books.natural(books.spec(purpose).kind, account.balance), currency)


def _result_legs(period: Period, currency: str) -> tuple[list[Leg], dict[str, Money]]:
    """Legs that bring the period's income and expense accounts back to zero, and what each
    account moved in the period (credits of income as positive amounts)."""
    moved: dict[str, Decimal] = {
        # SQLite sums decimals as floats: back to the currency's minor unit, exact again
        row["account__purpose"]: Decimal(row["total"]).quantize(quantum(currency))
        for row in Posting.objects.filter(
            entry__period=period,
            currency=currency,
            account__kind__in=[books.Kind.INCOME, books.Kind.EXPENSE],
        )
        .values("account__purpose")
        .annotate(total=Sum("amount"))
    }
    legs = [Leg(p, Money(-total, currency)) for p, total in sorted(moved.items()) if total]
    return legs, {p: Money(-total, currency) for p, total in moved.items()}


@transaction.atomic
def close_period(*, actor: User, period_id: int) -> Period:
    """Close a period that has ended: its result moves to equity, a surplus is shared by the
    policy (reserve, funds, patronage dividends), a loss is charged to the reserve and the
    capital accounts. Earlier periods close first; a closed period takes no more entries."""
    require_role(actor, Role.BOARD)
    period = Period.objects.select_for_update().filter(pk=period_id).first()
    if period is None:
        raise NotFound("not_found", gettext_noop("No such period."))
    if period.status != Period.Status.OPEN:
        raise DomainError("period_closed", gettext_noop("This period is already closed."))
    if period.ends_on >= timezone.localdate():
        raise DomainError(
            "period_not_over", gettext_noop("A period can be closed only after it ends.")
        )
    if Period.objects.filter(starts_on__lt=period.starts_on, status=Period.Status.OPEN).exists():
        raise DomainError("earlier_open", gettext_noop("Close the earlier periods first."))
    current = current_policy()
    currency = current.policy.currency
    _lock_accounts(currency)
    closing = period.closings + 1
    legs, moved = _result_legs(period, currency)
    zero = Money.zero(currency)
    result = sum((leg.amount for leg in legs), start=zero)  # income credits are negative legs
    summary: dict[str, object] = {"closing": closing, "result": result.amount}
    if legs:
        post(
            actor=actor,
            kind=EntryKind.CLOSING,
            legs=[*legs, Leg.credit("period_result", result)] if not result.is_zero else legs,
            on=period.ends_on,
            policy_version=current.number,
            standalone=False,
        )
    if result.amount > 0:
        summary.update(_share_surplus(actor, period, closing, result, moved, current.number))
    elif result.amount < 0:
        summary.update(_charge_loss(actor, period, closing, -result, current.number))
    period.status = Period.Status.CLOSED
    period.closed_at = timezone.now()
    period.closings = closing
    period.allocation = plain(summary)
    period.save(update_fields=["status", "closed_at", "closings", "allocation"])
    record(
        actor_id=actor.pk,
        action="period.closed",
        subject_type="period",
        subject_id=period.starts_on.isoformat(),
        policy_version=current.number,
        before={"status": "open"},
        after=summary,
    )
    return period


def _share_surplus(
    actor: User, period: Period, closing: int, result: Money, moved: dict[str, Money], version: int
) -> dict[str, object]:
    currency = result.currency
    zero = Money.zero(currency)
    deficit = -_natural_balance("period_result", currency) + result  # carried from before
    absorbed = min(result, deficit) if deficit.amount > 0 else zero
    to_share = result - absorbed
    if to_share.is_zero:
        return {"deficit_absorbed": absorbed.amount}
    member_income = moved.get(books.MEMBER_BUSINESS_INCOME, zero)
    other_income = sum(
        (m for p, m in moved.items() if p in (books.NON_MEMBER_INCOME, "other_income")),
        start=zero,
    )
    weights = [Fraction(max(m.amount, Decimal(0))) for m in (member_income, other_income)]
    if not any(weights):
        weights = [Fraction(0), Fraction(1)]
    unit = quantum(currency)
    member_units, other_units = apportion(int(to_share.amount / unit), weights)
    member_surplus = Money(member_units * unit, currency)
    non_member = Money(other_units * unit, currency)
    legs = [Leg.debit("period_result", to_share)]
    allocations: list[Allocation] = []
    if member_surplus.is_zero:
        legs.append(Leg.credit("reserve", non_member))
        explanation: tuple[Line, ...] = ()
    else:
        rows = {
            row.member_id: row
            for row in Patronage.objects.filter(period=period).select_related("member")
        }
        shared = allocate_surplus(
            rules=current_policy().policy.accounting.surplus,
            member_surplus=member_surplus,
            non_member_profit=non_member,
            patronage={
                pk: SurplusPatronage(row.hours, Money(row.revenue, currency))
                for pk, row in rows.items()
            },
        )
        explanation = shared.explanation
        for purpose, amount in (
            ("reserve", shared.reserve),
            ("education_fund", shared.education),
            ("solidarity_fund", shared.solidarity),
        ):
            if not amount.is_zero:
                legs.append(Leg.credit(purpose, amount))
        for pk, dividend in sorted(shared.dividends.items()):
            member = rows[pk].member
            if not dividend.cash.is_zero:
                legs.append(Leg.credit("owed_to_member", dividend.cash, member))
            if not dividend.retained.is_zero:
                legs.append(Leg.credit("member_capital", dividend.retained, member))
            allocations.append(
                Allocation(
                    period=period,
                    member=member,
                    closing=closing,
                    hours=rows[pk].hours,
                    revenue=rows[pk].revenue,
                    dividend=dividend.dividend.amount,
                    cash=dividend.cash.amount,
                    retained=dividend.retained.amount,
                    loss_charged=Decimal(0),
                    currency=currency,
                )
            )
    entry = post(
        actor=actor,
        kind=EntryKind.ALLOCATION,
        legs=legs,
        on=period.ends_on,
        policy_version=version,
        standalone=False,
    )
    for allocation in allocations:
        allocation.entry = entry
    Allocation.objects.bulk_create(allocations)
    return {
        "deficit_absorbed": absorbed.amount,
        "member_surplus": member_surplus.amount,
        "non_member_profit": non_member.amount,
        "members_allocated": len(allocations),
        "explanation": [[line.message, dict(line.params)] for line in explanation],
    }


def _charge_loss(
    actor: User, period: Period, closing: int, loss: Money, version: int
) -> dict[str, object]:
    currency = loss.currency
    capital: dict[int, Account] = {
        account.member_id: account  # type: ignore[misc]  # member accounts have a member
        for account in Account.objects.select_for_update(of=("self",))
        .filter(purpose="member_capital", currency=currency, balance__lt=0)
        .select_related("member")
    }
    charged = charge_loss(
        rules=current_policy().policy.accounting.surplus,
        loss=loss,
        reserve_balance=max(_natural_balance("reserve", currency), Money.zero(currency)),
        capital_balances={pk: Money(-a.balance, currency) for pk, a in capital.items()},
    )
    legs = [Leg.credit("period_result", loss - charged.uncovered)]
    if not charged.from_reserve.is_zero:
        legs.append(Leg.debit("reserve", charged.from_reserve))
    for pk, amount in sorted(charged.from_capital.items()):
        legs.append(Leg.debit("member_capital", amount, capital[pk].member))
    summary: dict[str, object] = {
        "loss": loss.amount,
        "uncovered": charged.uncovered.amount,
        "explanation": [[line.message, dict(line.params)] for line in charged.explanation],
    }
    if len(legs) < 2:
        return summary
    entry = post(
        actor=actor,
        kind=EntryKind.LOSS,
        legs=legs,
        on=period.ends_on,
        policy_version=version,
        standalone=False,
    )
    zero = Decimal(0)
    Allocation.objects.bulk_create(
        Allocation(
            period=period,
            member=capital[pk].member,
            closing=closing,
            hours=zero,
            revenue=zero,
            dividend=zero,
            cash=zero,
            retained=zero,
            loss_charged=amount.amount,
            currency=currency,
            entry=entry,
        )
        for pk, amount in charged.from_capital.items()
    )
    return summary


@transaction.atomic
def reopen_period(*, actor: User, period_id: int, reason: str) -> Period:
    """Undo the latest closing by reversing its entries, so the period can be corrected and
    closed again; the next closing allocates afresh, never on top of the undone one. Refused
    once cash from the closing has been paid out."""
    require_role(actor, Role.BOARD)
    if not reason.strip():
        raise InvalidInput("reason_required", gettext_noop("Say why the period is reopened."))
    period = Period.objects.select_for_update().filter(pk=period_id).first()
    if period is None:
        raise NotFound("not_found", gettext_noop("No such period."))
    if period.status != Period.Status.CLOSED:
        raise DomainError("period_open", gettext_noop("This period is open."))
    if Period.objects.filter(starts_on__gt=period.starts_on, status=Period.Status.CLOSED).exists():
        raise DomainError("later_closed", gettext_noop("Reopen the later periods first."))
    live = list(period.allocations.filter(reversed=False).select_related("entry"))
    for allocation in live:
        # A run pays a member's whole owed balance, dividend included; a member who owes the
        # co-op more than the dividend is not paid, so the dividend is still there to undo.
        paid = Payout.objects.filter(
            member_id=allocation.member_id, entry__number__gt=allocation.entry.number
        )
        if allocation.cash and paid.exists():
            raise DomainError(
                "dividend_paid",
                gettext_noop("Dividends of this closing were already paid out."),
            )
    _lock_accounts(current_policy().policy.currency)
    period.status = Period.Status.OPEN
    period.closed_at = None
    period.save(update_fields=["status", "closed_at"])
    undone = JournalEntry.objects.filter(period=period, kind__in=CLOSING_KINDS, reversed_by=None)
    for entry in undone.prefetch_related("postings__account__member"):
        post(
            actor=actor,
            kind=EntryKind.REVERSAL,
            legs=[
                Leg(p.account.purpose, -Money(p.amount, p.currency), p.account.member)
                for p in entry.postings.all()
            ],
            memo=reason[:MAX_MEMO],
            on=period.ends_on,
            reverses=entry,
            standalone=False,
        )
    period.allocations.filter(reversed=False).update(reversed=True)
    record(
        actor_id=actor.pk,
        action="period.reopened",
        subject_type="period",
        subject_id=period.starts_on.isoformat(),
        policy_version=current_policy().number,
        before={"status": "closed", "closing": period.closings},
        after={"status": "open"},
    )
    return period


# --- The earnings floor --------------------------------------------------------------------


def _window_work(
    starts_on: dt.date, ends_on: dt.date, currency: str
) -> dict[int, tuple[Decimal, Decimal]]:
    """Each member's paid work in the window, by membership id: what the window's sales
    credited them and their hours. A reversal of a sale dated in the window counts against it
    (so a sale reversed within the window counts for nothing)."""
    of_sales = Q(entry__kind=EntryKind.SALE) | Q(
        entry__kind=EntryKind.REVERSAL, entry__reverses__kind=EntryKind.SALE
    )
    rows = (
        Posting.objects.filter(
            of_sales,
            account__purpose="owed_to_member",
            currency=currency,
            entry__date__range=(starts_on, ends_on),
        )
        .values("account__member")
        .annotate(
            owed=Sum("amount"),
            hours=Sum(
                Case(
                    When(entry__kind=EntryKind.SALE, then=F("entry__hours")),
                    default=-F("entry__reverses__hours"),
                    output_field=DecimalField(max_digits=12, decimal_places=2),
                )
            ),
        )
    )
    # SQLite sums decimals as floats: back to the minor unit and to hundredths of an hour
    return {
        row["account__member"]: (
            (-Decimal(row["owed"])).quantize(quantum(currency)),
            Decimal(row["hours"] or 0).quantize(Decimal("0.01")),
        )
        for row in rows
    }


def fund_shares(held: Money, needs: list[Decimal]) -> list[Decimal]:
    """What each need gets from a fund holding ``held``: all of it when the fund holds enough,
    else the fund's whole minor units shared in proportion to the needs (largest remainder)."""
    unit = quantum(held.currency)
    units = [int(need / unit) for need in needs]
    whole = max(0, int((held.amount / unit).to_integral_value(ROUND_FLOOR)))
    shares = apportion(min(whole, sum(units)), [Fraction(n) for n in units])
    return [share * unit for share in shares]


def _floor_run(starts_on: dt.date, ends_on: dt.date) -> FloorRun | None:
    return FloorRun.objects.filter(starts_on=starts_on, ends_on=ends_on).first()


@transaction.atomic
def apply_earnings_floor(*, actor: User, ending_on: dt.date | None = None) -> FloorRun:
    """Top up every member whose earnings per active hour in the window fell below the
    policy's floor, from the fund the policy names, into what the co-op owes them (the next
    payout run pays it). The window is the floor's ``period_days`` ending on ``ending_on``
    (yesterday by default). When the fund holds less than the members need, it is shared in
    proportion to their need, to the last minor unit, and the shortfall recorded. A window is
    applied once (the same window again returns the first run); windows never overlap. Top-ups
    are not work: they add no patronage hours or revenue."""
    require_role(actor, Role.BOARD)
    current = current_policy()
    floor = current.policy.pricing.earnings_floor
    today = timezone.localdate()
    ends_on = ending_on or today - dt.timedelta(days=1)
    if ends_on >= today:
        raise InvalidInput("window_not_over", gettext_noop("The window must end before today."))
    starts_on = ends_on - dt.timedelta(days=floor.period_days - 1)
    done = _floor_run(starts_on, ends_on)
    if done is not None:
        return done
    if not floor.enabled:
        raise DomainError(
            "floor_disabled", gettext_noop("The policy has no earnings floor in force.")
        )
    currency = current.policy.currency
    _open_period(ends_on)  # a closing waits, and a closed period is refused
    account_for(floor.fund, currency)
    _lock_accounts(currency)  # one run at a time, and the fund's balance holds until we post
    done = _floor_run(starts_on, ends_on)  # looked up again under the locks
    if done is not None:
        return done
    overlapping = FloorRun.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if overlapping is not None:
        raise DomainError(
            "floor_window_overlaps",
            gettext_noop(
                "The floor was already applied from %(start)s to %(end)s, which overlaps "
                "this window."
            ),
            start=overlapping.starts_on.isoformat(),
            end=overlapping.ends_on.isoformat(),
        )
    work = _window_work(starts_on, ends_on, currency)
    workers = Membership.objects.filter(pk__in=work).exclude(status=Membership.Status.LEFT)
    zero = Money.zero(currency)
    lines: list[FloorTopUp] = []
    for member in workers.order_by("number"):
        earned, work_hours = work[member.pk]
        if work_hours <= 0:
            continue
        hours = floor_hours(current.policy, work_hours)
        needed = earnings_top_up(
            policy=current.policy, earned=max(Money(earned, currency), zero), active_hours=hours
        )
        if not needed.is_zero:
            lines.append(
                FloorTopUp(member=member, hours=hours, earned=earned, needed=needed.amount)
            )
    held = _natural_balance(floor.fund, currency)
    for line, paid in zip(lines, fund_shares(held, [line.needed for line in lines]), strict=True):
        line.paid = paid
    total = Money(sum((line.paid for line in lines), start=Decimal(0)), currency)
    entry = None
    if not total.is_zero:
        entry = post(
            actor=actor,
            kind=EntryKind.TOP_UP,
            legs=[
                Leg.debit(floor.fund, total),
                *(
                    Leg.credit("owed_to_member", Money(line.paid, currency), line.member)
                    for line in lines
                    if line.paid
                ),
            ],
            memo=f"{starts_on.isoformat()}/{ends_on.isoformat()}",
            on=ends_on,
            policy_version=current.number,
            standalone=False,
        )
    run = FloorRun.objects.create(
        starts_on=starts_on,
        ends_on=ends_on,
        policy_version=current.number,
        fund=floor.fund,
        hourly=floor.hourly,
        total=total.amount,
        shortfall=sum((line.needed for line in lines), start=Decimal(0)) - total.amount,
        currency=currency,
        entry=entry,
        recorded_at=timezone.now(),
        recorded_by=actor,
    )
    for line in lines:
        line.run = run
    FloorTopUp.objects.bulk_create(lines)
    record(
        actor_id=actor.pk,
        action="books.earnings_floor",
        subject_type="floor_run",
        subject_id=f"{starts_on.isoformat()}/{ends_on.isoformat()}",
        policy_version=current.number,
        after={
            "fund": floor.fund,
            "hourly": floor.hourly,
            "entry": entry.number if entry else None,
            "total": run.total,
            "shortfall": run.shortfall,
            "top_ups": [
                [line.member.number, line.hours, line.earned, line.needed, line.paid]
                for line in lines
            ],
        },
    )
    return run
