"""The books: every money movement is one balanced, numbered, append-only journal entry, and
closing a period shares its surplus (or charges its loss) exactly as the policy says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from taawun.accounts.models import User
from taawun.coop.models import Coop
from taawun.domain import ledger as books
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed
from taawun.domain.ledger import CHART
from taawun.domain.money import Money
from taawun.ledger import actions as ledger
from taawun.ledger import selectors
from taawun.ledger.actions import Leg
from taawun.ledger.models import (
    Account,
    Allocation,
    EntryKind,
    JournalEntry,
    Patronage,
    Payout,
    PayoutRun,
    Period,
    Posting,
    SolidarityClaim,
)
from taawun.members import actions as members
from taawun.members.models import CapitalEntry, Membership
from taawun.transparency.models import AppendOnlyError

from ..core.helpers import Clock, unchanged
from .helpers import (
    account,
    balance,
    balances,
    books_problems,
    ils,
    lines,
    nonzero_balances,
    owed,
)

D = Decimal
YEAR_2030 = (dt.date(2030, 1, 1), dt.date(2030, 12, 31))
MakeMember = Callable[..., Membership]


def sell(
    actor: User,
    worker: Membership,
    price: str,
    *,
    tip: str = "0.00",
    method: str = "cash",
    hours: str = "1",
    key: str | None = None,
) -> JournalEntry:
    entry, _parts = ledger.record_sale(
        actor=actor,
        worker_number=worker.number,
        price=ils(price),
        tip=ils(tip),
        method=method,
        hours=D(hours),
        idempotency_key=key,
    )
    return entry


def period_of(year: int) -> Period:
    return Period.objects.get(starts_on=dt.date(year, 1, 1))


def close(actor: User, year: int) -> Period:
    return ledger.close_period(actor=actor, period_id=period_of(year).pk)


def reopen(actor: User, year: int, reason: str = "a correction") -> Period:
    return ledger.reopen_period(actor=actor, period_id=period_of(year).pk, reason=reason)


def latest(kind: str | None = None) -> JournalEntry:
    entries = JournalEntry.objects.filter(kind=kind) if kind else JournalEntry.objects.all()
    entry = entries.order_by("-number").first()
    assert entry is not None
    return entry


def entry_count() -> int:
    return JournalEntry.objects.count()


# --- Founding and share capital ------------------------------------------------------------


def test_founding_opens_the_shared_accounts_of_the_chart(coop: Coop) -> None:
    shared = {spec.purpose: spec for spec in CHART if not spec.per_member}
    opened = list(Account.objects.filter(member=None))
    assert {a.purpose for a in opened} == set(shared)
    for opened_account in opened:
        spec = shared[opened_account.purpose]
        assert (opened_account.code, opened_account.kind, opened_account.currency) == (
            spec.code,
            spec.kind.value,
            "ILS",
        )
        assert opened_account.balance == 0
    assert not Account.objects.exclude(member=None).exists()
    assert not JournalEntry.objects.exists()


def test_share_payment_sell_back_and_repayment_are_posted(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    member = make_member()
    first = member.instalments.get(number=1)
    members.record_instalment_payment(actor=founder, instalment_id=first.pk, method="cash")
    payment = latest()
    assert (payment.kind, payment.member, payment.date) == (
        EntryKind.SHARE_PAYMENT,
        member,
        dt.date(2030, 3, 1),
    )
    assert lines(payment) == [("cash", None, D("50")), ("share_capital", None, D("-50"))]
    second = member.instalments.get(number=2)
    members.record_instalment_payment(
        actor=founder, instalment_id=second.pk, method="bank", reference="T-9"
    )
    assert lines(latest()) == [("bank", None, D("50")), ("share_capital", None, D("-50"))]
    assert balance("share_capital") == D("-100")

    members.give_notice(actor=member.user, membership_id=member.pk)
    members.sell_back(actor=founder, membership_id=member.pk, waive_notice=True)
    # 100.00 cannot be repaid from 50.00 in the cash box
    with unchanged(), pytest.raises(DomainError) as refused:
        members.record_repayment(actor=founder, membership_id=member.pk, method="cash")
    assert refused.value.code == "insufficient_funds"
    make_member(paid=1)  # another member's 50.00 in cash
    sell_back = latest(EntryKind.SHARE_SELL_BACK)
    assert (sell_back.kind, sell_back.member) == (EntryKind.SHARE_SELL_BACK, member)
    assert lines(sell_back) == [
        ("repayments_due", None, D("-100")),
        ("share_capital", None, D("100")),
    ]
    assert (balance("share_capital"), balance("repayments_due")) == (D("-50"), D("-100"))

    members.record_repayment(actor=founder, membership_id=member.pk, method="cash")
    repayment = latest()
    assert (repayment.kind, repayment.member) == (EntryKind.SHARE_REPAYMENT, member)
    assert lines(repayment) == [("cash", None, D("-100")), ("repayments_due", None, D("100"))]
    assert nonzero_balances() == {("bank", None): D("50"), ("share_capital", None): D("-50")}
    assert books_problems() == []


def capital_held(member: Membership | None = None) -> Decimal:
    entries = CapitalEntry.objects.filter(membership=member) if member else CapitalEntry.objects
    return sum(entries.values_list("amount", flat=True), D(0))


def test_share_capital_reconciles_with_the_members_capital_accounts(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """The control account equals the subsidiary ledger (the members' capital entries), less
    what was sold back and is waiting to be repaid."""
    giver = make_member(paid=4)
    receiver = make_member(paid=1)
    leaver = make_member(paid=3)
    assert -balance("share_capital") == capital_held() == D("400")

    members.transfer_shares(
        actor=founder, from_membership_id=giver.pk, to_membership_id=receiver.pk
    )
    assert -balance("share_capital") == capital_held() == D("400")
    assert capital_held(receiver) == D("250")

    members.give_notice(actor=leaver.user, membership_id=leaver.pk)
    members.sell_back(actor=founder, membership_id=leaver.pk, waive_notice=True)
    assert -balance("share_capital") == D("250")
    assert -balance("repayments_due") == D("150")
    assert -(balance("share_capital") + balance("repayments_due")) == capital_held()

    members.record_repayment(actor=founder, membership_id=leaver.pk, method="cash")
    assert -balance("share_capital") == capital_held() == D("250")
    assert balance("repayments_due") == 0
    assert balance("cash") == D("250")
    assert books_problems() == []


# --- Sales ---------------------------------------------------------------------------------


def test_a_sale_posts_the_breakdown(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    entry, parts = ledger.record_sale(
        actor=founder,
        worker_number=worker.number,
        price=ils("1000.00"),
        tip=ils("10.00"),
        method="bank",
        hours=D("8"),
        memo="kitchen shelves",
        idempotency_key="sale-1",
    )
    assert (parts.price, parts.tip, parts.tax) == (ils("1000.00"), ils("10.00"), ils("0.00"))
    assert (parts.coop_fee, parts.solidarity, parts.worker_share) == (
        ils("100.00"),
        ils("20.00"),
        ils("880.00"),
    )
    assert (parts.worker_total, parts.total_paid, parts.policy_version) == (
        ils("890.00"),
        ils("1010.00"),
        1,
    )
    assert (entry.number, entry.kind, entry.member, entry.hours, entry.memo) == (
        1,
        EntryKind.SALE,
        worker,
        D("8"),
        "kitchen shelves",
    )
    assert (entry.date, entry.period.starts_on, entry.period.ends_on) == (
        dt.date(2030, 3, 1),
        *YEAR_2030,
    )
    assert lines(entry) == [
        ("bank", None, D("1010.00")),
        ("fees_members", None, D("-100.00")),
        ("owed_to_member", worker.number, D("-890.00")),
        ("solidarity_fund", None, D("-20.00")),
    ]
    assert owed(worker) == D("890.00")
    assert account("owed_to_member", worker).code == f"2000-{worker.number:04d}"
    row = Patronage.objects.get(member=worker)
    assert (row.period, row.hours, row.revenue, row.currency) == (
        entry.period,
        D("8"),
        D("890.00"),
        "ILS",
    )
    sell(founder, worker, "100.00", hours="2.5")
    row.refresh_from_db()
    assert (row.hours, row.revenue) == (D("10.5"), D("978.00"))
    assert books_problems() == []


def test_a_retried_sale_returns_the_first_entry(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    first = sell(founder, worker, "1000.00", tip="10.00", method="bank", hours="8", key="k-1")
    with unchanged():
        again, parts = ledger.record_sale(
            actor=founder,
            worker_number=worker.number,
            price=ils("1000.00"),
            tip=ils("10.00"),
            method="bank",
            hours=D("8"),
            idempotency_key="k-1",
        )
    assert again == first
    assert parts.worker_total == ils("890.00")
    assert entry_count() == 1
    assert Patronage.objects.get(member=worker).hours == D("8")


@pytest.mark.parametrize(
    ("price", "tip", "other_worker"),
    [("999.00", "10.00", False), ("1010.00", "0.00", False), ("1000.00", "10.00", True)],
    ids=["different-price", "same-total-different-split", "different-worker"],
)
def test_a_key_reused_for_a_different_sale_is_refused(
    clock: Clock,
    founder: User,
    make_member: MakeMember,
    price: str,
    tip: str,
    other_worker: bool,
) -> None:
    worker, other = make_member(), make_member()
    sell(founder, worker, "1000.00", tip="10.00", key="k-1")
    with unchanged(), pytest.raises(DomainError) as refused:
        sell(founder, other if other_worker else worker, price, tip=tip, key="k-1")
    assert refused.value.code == "idempotency_conflict"


def test_sales_that_are_refused(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    user_member = make_member("user")
    bystander = make_member()
    usd = Money(D("100.00"), "USD")
    cases: list[tuple[type[DomainError], str, Callable[[], object]]] = [
        (InvalidInput, "not_a_worker", lambda: sell(founder, user_member, "100.00")),
        (InvalidInput, "not_a_worker", lambda: sell(founder, Membership(number=999), "100.00")),
        (
            InvalidInput,
            "wrong_currency",
            lambda: ledger.record_sale(
                actor=founder,
                worker_number=worker.number,
                price=usd,
                tip=Money.zero("USD"),
                method="cash",
                hours=D(1),
            ),
        ),
        (InvalidInput, "negative_tip", lambda: sell(founder, worker, "100.00", tip="-1.00")),
        (InvalidInput, "price_not_positive", lambda: sell(founder, worker, "0.00")),
        (InvalidInput, "bad_hours", lambda: sell(founder, worker, "100.00", hours="-1")),
        (InvalidInput, "bad_method", lambda: sell(founder, worker, "100.00", method="cheque")),
        (NotAllowed, "forbidden", lambda: sell(bystander.user, worker, "100.00")),
    ]
    for error, code, call in cases:
        with unchanged(), pytest.raises(error) as refused:
            call()
        assert refused.value.code == code
    members.give_notice(actor=worker.user, membership_id=worker.pk)
    members.sell_back(actor=founder, membership_id=worker.pk, waive_notice=True)
    with unchanged(), pytest.raises(InvalidInput) as refused:
        sell(founder, worker, "100.00")
    assert refused.value.code == "not_a_worker"


# --- The journal as a whole ----------------------------------------------------------------


def test_the_journal_stays_balanced_numbered_and_reconciled(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    one, two = make_member(paid=1), make_member()
    sell(founder, one, "1000.00", tip="10.00", method="bank", hours="8")
    sell(founder, two, "333.33", tip="0.01", method="wallet", hours="3")
    sell(founder, one, "12.34", method="cash", hours="0")
    ledger.record_expense(actor=founder, amount=ils("45.50"), method="cash", memo="paint")
    ledger.record_other_income(actor=founder, amount=ils("120.00"), method="bank", memo="grant")
    ledger.reverse_entry(actor=founder, number=3, reason="refunded")
    for _ in range(5):  # 1000.00 in cash from shares: the box holds enough to pay the workers
        make_member(paid=4)
    ledger.run_payouts(actor=founder, method="cash", idempotency_key="run-1")
    sell(founder, two, "50.00", hours="1")
    assert books_problems() == []
    numbers = list(JournalEntry.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    for acc in Account.objects.all():
        postings = list(acc.postings.order_by("id"))
        running = D(0)
        for posting in postings:
            running += posting.amount
            assert posting.balance_after == running
        assert acc.balance == running
    for entry in JournalEntry.objects.all():
        assert sum(p.amount for p in entry.postings.all()) == 0


# --- Corrections ---------------------------------------------------------------------------


def test_reversing_an_entry(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    original = sell(founder, worker, "1000.00", tip="10.00", method="bank", hours="8")
    before = balances()
    clock.advance(days=3)
    reversal = ledger.reverse_entry(actor=founder, number=original.number, reason="refunded")
    assert (reversal.kind, reversal.reverses, reversal.member, reversal.memo) == (
        EntryKind.REVERSAL,
        original,
        worker,
        "refunded",
    )
    assert reversal.date == dt.date(2030, 3, 4)
    assert lines(reversal) == sorted((p, m, -a) for p, m, a in lines(original))
    assert all(b == 0 for b in balances().values())
    assert before != balances()
    row = Patronage.objects.get(member=worker)
    assert (row.hours, row.revenue) == (D(0), D(0))
    assert books_problems() == []

    for number, code in [
        (original.number, "already_reversed"),
        (reversal.number, "reversal_of_reversal"),
    ]:
        with unchanged(), pytest.raises(DomainError) as refused:
            ledger.reverse_entry(actor=founder, number=number, reason="again")
        assert refused.value.code == code


def test_reversals_that_are_refused(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    entry = sell(founder, worker, "100.00")
    with unchanged(), pytest.raises(InvalidInput) as refused:
        ledger.reverse_entry(actor=founder, number=entry.number, reason="  ")
    assert refused.value.code == "reason_required"
    with unchanged(), pytest.raises(NotAllowed):
        ledger.reverse_entry(actor=worker.user, number=entry.number, reason="mine")
    with unchanged(), pytest.raises(DomainError) as missing:
        ledger.reverse_entry(actor=founder, number=404, reason="typo")
    assert missing.value.code == "not_found"


def test_share_entries_are_corrected_in_the_member_register_not_reversed(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """Reversing a share payment would leave the share-capital account out of step with the
    members' capital accounts."""
    make_member(paid=1)
    payment = latest()
    assert payment.kind == EntryKind.SHARE_PAYMENT
    with unchanged(), pytest.raises(DomainError) as refused:
        ledger.reverse_entry(actor=founder, number=payment.number, reason="typo")
    assert refused.value.code == "member_register"


def test_closing_entries_are_undone_by_reopening_not_reversed(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worked_year(founder, make_member)
    clock.advance(days=400)
    close(founder, 2030)
    closing_entries = JournalEntry.objects.filter(kind__in=ledger.CLOSING_KINDS)
    assert set(closing_entries.values_list("kind", flat=True)) == {
        EntryKind.CLOSING,
        EntryKind.ALLOCATION,
    }
    for entry in closing_entries:
        with unchanged(), pytest.raises(DomainError) as refused:
            ledger.reverse_entry(actor=founder, number=entry.number, reason="wrong")
        assert refused.value.code == "reopen_instead"


# --- Closed periods and the database's rules -----------------------------------------------


def expense_legs(amount: str = "5.00") -> list[Leg]:
    return [Leg.debit("expenses", ils(amount)), Leg.credit("cash", ils(amount))]


def test_no_entry_is_posted_into_a_closed_period(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worked_year(founder, make_member)
    clock.advance(days=400)
    close(founder, 2030)
    with unchanged(), pytest.raises(DomainError) as refused, transaction.atomic():
        ledger.post(
            actor=founder, kind=EntryKind.EXPENSE, legs=expense_legs(), on=dt.date(2030, 6, 1)
        )
    assert refused.value.code == "period_closed"
    assert refused.value.params == {"start": "2030-01-01", "end": "2030-12-31"}
    with unchanged(), pytest.raises(DomainError) as refused:
        ledger.record_expense(
            actor=founder,
            amount=ils("5.00"),
            method="cash",
            memo="late bill",
            on=dt.date(2030, 12, 31),
        )
    assert refused.value.code == "period_closed"
    # Today's period is open.
    entry = ledger.record_expense(actor=founder, amount=ils("5.00"), method="cash", memo="bill")
    assert entry.period.starts_on == dt.date(2031, 1, 1)


def test_the_database_refuses_an_entry_in_a_closed_period(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worked_year(founder, make_member)
    clock.advance(days=400)
    closed = close(founder, 2030)
    with unchanged(), pytest.raises(DatabaseError, match="closed"), transaction.atomic():
        JournalEntry.objects.create(
            number=entry_count() + 1,
            date=dt.date(2030, 6, 1),
            period=closed,
            kind=EntryKind.EXPENSE,
            policy_version=1,
            recorded_at=timezone.now(),
        )


def test_entries_and_postings_are_append_only(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    entry = sell(founder, make_member(), "100.00")
    posting = entry.postings.first()
    assert posting is not None
    entry.memo = "changed"
    posting.amount = D("1")
    for attempt in (
        entry.save,
        posting.save,
        entry.delete,
        posting.delete,
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(memo="x"),
        lambda: Posting.objects.filter(pk=posting.pk).delete(),
    ):
        with unchanged(), pytest.raises(AppendOnlyError):
            attempt()


def test_the_database_refuses_to_change_a_posting(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    entry = sell(founder, make_member(), "100.00")
    posting = entry.postings.first()
    assert posting is not None
    for statement in (
        "UPDATE ledger_posting SET amount = amount + 1 WHERE id = %s",
        "UPDATE ledger_journalentry SET memo = 'x' WHERE id = %s",
    ):
        target = posting.pk if "posting" in statement else entry.pk
        with (
            unchanged(),
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [target])


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred triggers: PostgreSQL")
def test_postgres_refuses_an_unbalanced_entry_at_commit(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    sell(founder, make_member(), "100.00")
    cash, expenses = account("cash"), account("expenses")

    def write(amounts: tuple[str, str]) -> None:
        entry = JournalEntry.objects.create(
            number=entry_count() + 1,
            date=timezone.localdate(),
            period=period_of(2030),
            kind=EntryKind.EXPENSE,
            policy_version=1,
            recorded_at=timezone.now(),
        )
        Posting.objects.bulk_create(
            [
                Posting(
                    entry=entry,
                    account=expenses,
                    amount=D(amounts[0]),
                    currency="ILS",
                    balance_after=D(0),
                ),
                Posting(
                    entry=entry,
                    account=cash,
                    amount=D(amounts[1]),
                    currency="ILS",
                    balance_after=D(0),
                ),
            ]
        )
        connection.check_constraints()  # fires the deferred trigger, as the commit would

    with unchanged(), pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        write(("10.00", "-9.99"))
    with transaction.atomic():  # the trigger passes a balanced entry
        write(("10.00", "-10.00"))
    assert entry_count() == 2


# --- Payouts -------------------------------------------------------------------------------


def test_a_payout_run_pays_what_is_owed(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    one, two = make_member(), make_member()
    sell(founder, one, "1000.00", tip="10.00", hours="8")
    sell(founder, two, "500.00", hours="4")
    claim = ledger.claim_support(actor=two.user, reason="sickness", amount=ils("5.00"))
    ledger.decide_claim(actor=founder, claim_id=claim.pk, approve=True)
    assert (owed(one), owed(two)) == (D("890.00"), D("445.00"))
    cash_before = balance("cash")

    with unchanged(), pytest.raises(InvalidInput) as refused:
        ledger.run_payouts(
            actor=founder, method="bank", idempotency_key="run-bank", references={one.number: "B1"}
        )
    assert refused.value.code == "reference_required"

    run = ledger.run_payouts(actor=founder, method="cash", idempotency_key="run-1")
    assert (run.number, run.method, run.total, run.currency) == (1, "cash", D("1335.00"), "ILS")
    paid = {p.member: p.amount for p in run.payouts.select_related("member")}
    assert paid == {one: D("890.00"), two: D("445.00")}
    for payout in run.payouts.all():
        assert payout.entry.kind == EntryKind.PAYOUT
        assert lines(payout.entry) == [
            ("cash", None, -payout.amount),
            ("owed_to_member", payout.member.number, payout.amount),
        ]
    assert (owed(one), owed(two)) == (D(0), D(0))
    assert balance("cash") == cash_before - D("1335.00")
    assert books_problems() == []

    entries = entry_count()
    with unchanged():
        again = ledger.run_payouts(actor=founder, method="cash", idempotency_key="run-1")
    assert again == run
    with unchanged(), pytest.raises(DomainError) as conflict:
        ledger.run_payouts(actor=founder, method="bank", idempotency_key="run-1")
    assert conflict.value.code == "idempotency_conflict"

    second = ledger.run_payouts(actor=founder, method="bank", idempotency_key="run-2")
    assert (second.number, second.total) == (2, D(0))
    assert not second.payouts.exists()
    assert entry_count() == entries


def test_a_bank_run_pays_with_references(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    one = make_member()
    sell(founder, one, "100.00", method="bank")  # the bank holds what the run pays
    run = ledger.run_payouts(
        actor=founder,
        method="bank",
        idempotency_key="run-1",
        references={one.number: " TX-77 "},
    )
    payout = Payout.objects.get(run=run)
    assert (payout.amount, payout.reference, payout.entry.memo) == (D("88.00"), "TX-77", "TX-77")
    assert lines(payout.entry) == [("bank", None, D("-88.00")), ("owed_to_member", 2, D("88.00"))]


def test_a_settled_balance_is_exactly_zero(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """SQLite adds decimals as floats: 0.10 + 0.20 - 0.30 must still leave nothing owed, so the
    next run has nothing to pay."""
    worker = make_member()
    sell(founder, worker, "0.01", tip="0.09")
    sell(founder, worker, "0.01", tip="0.19")
    assert owed(worker) == D("0.30")
    first = ledger.run_payouts(actor=founder, method="cash", idempotency_key="run-1")
    assert first.total == D("0.30")
    assert Account.objects.filter(purpose="owed_to_member", member=worker, balance=0).exists()
    second = ledger.run_payouts(actor=founder, method="cash", idempotency_key="run-2")
    assert (second.total, second.payouts.count()) == (D(0), 0)
    assert books_problems() == []


def test_money_the_coop_does_not_have_cannot_leave_it(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """The cash box holds 50.00 of shares; the sales were paid into the bank. A cash run owing
    44.00 and 88.00 is refused whole, though the first payout would fit; the same run by bank
    is paid. An expense may empty the box, but not take it below zero."""
    one, two = make_member(paid=1), make_member()
    sell(founder, one, "50.00", method="bank")
    sell(founder, two, "100.00", method="bank")
    assert (balance("cash"), balance("bank"), owed(one), owed(two)) == (
        D("50.00"),
        D("150.00"),
        D("44.00"),
        D("88.00"),
    )

    with unchanged(), pytest.raises(DomainError) as refused:
        ledger.run_payouts(actor=founder, method="cash", idempotency_key="run-1")
    assert refused.value.code == "insufficient_funds"
    assert refused.value.params == {"code": "1000", "balance": "-82.00 ILS"}
    with unchanged(), pytest.raises(DomainError) as refused:
        ledger.record_expense(actor=founder, amount=ils("50.01"), method="cash", memo="tools")
    assert refused.value.code == "insufficient_funds"
    assert refused.value.params == {"code": "1000", "balance": "-0.01 ILS"}

    references = {one.number: "TX-1", two.number: "TX-2"}
    run = ledger.run_payouts(
        actor=founder, method="bank", idempotency_key="run-1", references=references
    )
    assert (run.number, run.method, run.total) == (1, "bank", D("132.00"))
    assert (owed(one), owed(two)) == (D(0), D(0))
    assert (balance("cash"), balance("bank")) == (D("50.00"), D("18.00"))

    ledger.record_expense(actor=founder, amount=ils("50.00"), method="cash", memo="tools")
    assert balance("cash") == 0
    assert books_problems() == []


def test_payout_runs_that_are_refused(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    sell(founder, worker, "100.00")
    for kwargs, error, code in [
        ({"method": "cash", "idempotency_key": " "}, InvalidInput, "bad_key"),
        ({"method": "cash", "idempotency_key": "k" * 121}, InvalidInput, "bad_key"),
        ({"method": "cheque", "idempotency_key": "k"}, InvalidInput, "bad_method"),
    ]:
        with unchanged(), pytest.raises(error) as refused:
            ledger.run_payouts(actor=founder, **kwargs)  # type: ignore[arg-type]
        assert refused.value.code == code
    with unchanged(), pytest.raises(NotAllowed):
        ledger.run_payouts(actor=worker.user, method="cash", idempotency_key="k")


# --- The solidarity fund -------------------------------------------------------------------


def test_an_approved_claim_is_paid_from_the_fund(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    sell(founder, worker, "1000.00")  # 20.00 to the fund; one claim may take 25%: 5.00
    assert balance("solidarity_fund") == D("-20.00")

    too_much = ledger.claim_support(actor=worker.user, reason="sickness", amount=ils("5.01"))
    with unchanged(), pytest.raises(DomainError) as refused:
        ledger.decide_claim(actor=founder, claim_id=too_much.pk, approve=True)
    assert refused.value.code == "claim_over_limit"
    assert refused.value.params == {"limit": "5.00 ILS"}

    claim = ledger.claim_support(
        actor=worker.user, reason="injury", amount=ils("5.00"), details="broken wrist"
    )
    assert (claim.status, claim.entry) == (SolidarityClaim.Status.PENDING, None)
    decided = ledger.decide_claim(actor=founder, claim_id=claim.pk, approve=True, note="ok")
    assert (decided.status, decided.decided_by, decided.decision_note) == (
        SolidarityClaim.Status.PAID,
        founder,
        "ok",
    )
    assert decided.entry is not None
    assert (decided.entry.kind, decided.entry.member) == (EntryKind.SOLIDARITY_PAYMENT, worker)
    assert lines(decided.entry) == [
        ("owed_to_member", worker.number, D("-5.00")),
        ("solidarity_fund", None, D("5.00")),
    ]
    assert balance("solidarity_fund") == D("-15.00")
    assert owed(worker) == D("885.00")
    with unchanged(), pytest.raises(DomainError) as refused:
        ledger.decide_claim(actor=founder, claim_id=claim.pk, approve=True)
    assert refused.value.code == "claim_decided"
    assert books_problems() == []


def test_claims_that_are_refused(
    clock: Clock, founder: User, coop: Coop, make_member: MakeMember
) -> None:
    worker = make_member()
    sell(founder, worker, "1000.00")
    with unchanged(), pytest.raises(InvalidInput) as refused:
        ledger.claim_support(actor=worker.user, reason="holiday", amount=ils("1.00"))
    assert refused.value.code == "bad_reason"
    with unchanged(), pytest.raises(InvalidInput) as refused:
        ledger.claim_support(actor=worker.user, reason="sickness", amount=ils("0.00"))
    assert refused.value.code == "amount_not_positive"

    own = ledger.claim_support(actor=founder, reason="sickness", amount=ils("1.00"))
    with unchanged(), pytest.raises(NotAllowed) as forbidden:
        ledger.decide_claim(actor=founder, claim_id=own.pk, approve=True)
    assert forbidden.value.code == "own_claim"
    other = ledger.claim_support(actor=worker.user, reason="sickness", amount=ils("1.00"))
    with unchanged(), pytest.raises(NotAllowed):
        ledger.decide_claim(actor=worker.user, claim_id=own.pk, approve=True)

    entries = entry_count()
    refusal = ledger.decide_claim(actor=founder, claim_id=other.pk, approve=False, note="no")
    assert (refusal.status, refusal.entry) == (SolidarityClaim.Status.REFUSED, None)
    assert entry_count() == entries
    assert balance("solidarity_fund") == D("-20.00")
    assert owed(worker) == D("880.00")


# --- Closing a period ----------------------------------------------------------------------


def worked_year(founder: User, make_member: MakeMember) -> tuple[Membership, Membership]:
    """Two workers: 1000.00 for 10 hours and 500.00 for 5; an expense of 30.00. The fees are
    150.00, so the result is 120.00."""
    one, two = make_member(), make_member()
    sell(founder, one, "1000.00", hours="10")
    sell(founder, two, "500.00", hours="5")
    ledger.record_expense(actor=founder, amount=ils("30.00"), method="cash", memo="tools")
    return one, two


def test_closing_a_year_shares_its_surplus(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """Result 120.00: reserve 30% = 36.00, education 5% = 6.00, solidarity 10% = 12.00 and
    the remaining 66.00 by hours 10:5, so 44.00 and 22.00, each paid 20% in cash (8.80, 4.40)
    and 80% credited to capital (35.20, 17.60)."""
    one, two = worked_year(founder, make_member)
    clock.advance(days=400)
    period = close(founder, 2030)
    assert (period.status, period.closings, period.closed_at) == (
        Period.Status.CLOSED,
        1,
        timezone.now(),
    )
    closing = JournalEntry.objects.get(kind=EntryKind.CLOSING)
    allocation = JournalEntry.objects.get(kind=EntryKind.ALLOCATION)
    assert closing.date == allocation.date == dt.date(2030, 12, 31)
    assert lines(closing) == [
        ("expenses", None, D("-30.00")),
        ("fees_members", None, D("150.00")),
        ("period_result", None, D("-120.00")),
    ]
    assert lines(allocation) == [
        ("education_fund", None, D("-6.00")),
        ("member_capital", one.number, D("-35.20")),
        ("member_capital", two.number, D("-17.60")),
        ("owed_to_member", one.number, D("-8.80")),
        ("owed_to_member", two.number, D("-4.40")),
        ("period_result", None, D("120.00")),
        ("reserve", None, D("-36.00")),
        ("solidarity_fund", None, D("-12.00")),
    ]
    assert nonzero_balances() == {
        ("cash", None): D("1470.00"),
        ("reserve", None): D("-36.00"),
        ("education_fund", None): D("-6.00"),
        ("solidarity_fund", None): D("-42.00"),  # 20.00 + 10.00 from the sales, 12.00 now
        ("owed_to_member", one.number): D("-888.80"),
        ("member_capital", one.number): D("-35.20"),
        ("owed_to_member", two.number): D("-444.40"),
        ("member_capital", two.number): D("-17.60"),
    }
    for purpose in ("fees_members", "fees_non_members", "other_income", "expenses"):
        assert balance(purpose) == 0
    rows = list(
        Allocation.objects.order_by("member__number").values_list(
            "member",
            "closing",
            "hours",
            "revenue",
            "dividend",
            "cash",
            "retained",
            "loss_charged",
            "entry",
            "reversed",
        )
    )
    assert rows == [
        (one.pk, 1, D("10"), D("880"), D("44"), D("8.8"), D("35.2"), D(0), allocation.pk, False),
        (two.pk, 1, D("5"), D("440"), D("22"), D("4.4"), D("17.6"), D(0), allocation.pk, False),
    ]
    summary = period.allocation
    assert summary is not None
    assert {k: v for k, v in summary.items() if k != "explanation"} == {
        "closing": 1,
        "result": "120.00",
        "deficit_absorbed": "0.00",
        "member_surplus": "120.00",
        "non_member_profit": "0.00",
        "members_allocated": 2,
    }
    assert summary["explanation"][0] == [
        "The member surplus for the period is %(amount)s.",
        {"amount": "120.00 ILS"},
    ]
    assert books_problems() == []


def test_other_income_goes_wholly_to_the_reserve(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    ledger.record_other_income(actor=founder, amount=ils("200.00"), method="bank", memo="grant")
    clock.advance(days=400)
    period = close(founder, 2030)
    assert nonzero_balances() == {("bank", None): D("200.00"), ("reserve", None): D("-200.00")}
    assert not Allocation.objects.exists()
    assert period.allocation is not None
    assert (
        period.allocation["member_surplus"],
        period.allocation["non_member_profit"],
        period.allocation["members_allocated"],
    ) == ("0.00", "200.00", 0)


def test_other_income_is_not_shared_as_dividends(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """Fees 100.00 and a grant of 100.00, no expenses: the grant's 100.00 goes to the reserve,
    the fees are shared (30.00 more to the reserve, 55.00 as the one worker's dividend)."""
    worker = make_member()
    sell(founder, worker, "1000.00", hours="4")
    ledger.record_other_income(actor=founder, amount=ils("100.00"), method="bank", memo="grant")
    clock.advance(days=400)
    close(founder, 2030)
    assert balance("reserve") == D("-130.00")
    assert balance("education_fund") == D("-5.00")
    assert balance("solidarity_fund") == D("-30.00")
    allocation = Allocation.objects.get()
    assert (allocation.dividend, allocation.cash, allocation.retained) == (
        D("55.00"),
        D("11.00"),
        D("44.00"),
    )


def test_a_loss_is_charged_to_the_reserve_then_to_capital_accounts(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """2030 leaves a reserve of 36.00 and capital accounts of 35.20 and 17.60. A 2031 loss of
    50.00 takes the whole reserve; the other 14.00 falls on capital in proportion 2:1,
    9.333… and 4.666…, rounded to 9.33 and 4.67 (largest remainder)."""
    one, two = worked_year(founder, make_member)
    clock.advance(days=400)
    close(founder, 2030)
    ledger.record_expense(actor=founder, amount=ils("50.00"), method="cash", memo="repairs")
    clock.advance(days=400)
    period = close(founder, 2031)
    loss = JournalEntry.objects.get(kind=EntryKind.LOSS)
    assert (loss.date, loss.period) == (dt.date(2031, 12, 31), period)
    assert lines(loss) == [
        ("member_capital", one.number, D("9.33")),
        ("member_capital", two.number, D("4.67")),
        ("period_result", None, D("-50.00")),
        ("reserve", None, D("36.00")),
    ]
    assert balance("reserve") == 0
    assert balance("period_result") == 0
    assert balance("expenses") == 0
    assert (balance("member_capital", one), balance("member_capital", two)) == (
        D("-25.87"),
        D("-12.93"),
    )
    charged = dict(
        Allocation.objects.filter(period=period).values_list("member__number", "loss_charged")
    )
    assert charged == {one.number: D("9.33"), two.number: D("4.67")}
    assert period.allocation is not None
    assert (period.allocation["result"], period.allocation["loss"]) == ("-50.00", "50.00")
    assert period.allocation["uncovered"] == "0.00"
    assert books_problems() == []


def test_an_uncovered_loss_is_carried_forward_and_absorbed_by_the_next_surplus(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    make_member(paid=2)  # 100.00 of shares in the cash box pays the rent
    ledger.record_expense(actor=founder, amount=ils("100.00"), method="cash", memo="rent")
    clock.advance(days=400)
    first = close(founder, 2030)
    assert first.allocation is not None
    assert (first.allocation["loss"], first.allocation["uncovered"]) == ("100.00", "100.00")
    assert not JournalEntry.objects.filter(kind=EntryKind.LOSS).exists()
    assert balance("period_result") == D("100.00")  # a debit: the deficit carried forward

    worker = make_member()
    sell(founder, worker, "2000.00", hours="1")  # fees 200.00: 100.00 absorbs the deficit
    clock.advance(days=400)
    second = close(founder, 2031)
    assert second.allocation is not None
    assert (second.allocation["deficit_absorbed"], second.allocation["member_surplus"]) == (
        "100.00",
        "100.00",
    )
    assert balance("period_result") == 0
    assert (balance("reserve"), balance("education_fund")) == (D("-30.00"), D("-5.00"))
    assert Allocation.objects.get().dividend == D("55.00")
    assert books_problems() == []


def test_closing_sums_exactly_what_floats_cannot_hold(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """SQLite sums decimals as floats: 0.10 + 0.20 - 0.10 - 0.20 is not quite zero there."""
    make_member(paid=1)  # 50.00 of shares in the cash box pays for the stamps
    stamps = [
        ledger.record_expense(actor=founder, amount=ils(amount), method="cash", memo="stamps")
        for amount in ("0.10", "0.20")
    ]
    for entry in stamps:
        ledger.reverse_entry(actor=founder, number=entry.number, reason="returned")
    ledger.record_other_income(actor=founder, amount=ils("5.00"), method="bank", memo="gift")
    clock.advance(days=400)
    period = close(founder, 2030)
    assert period.allocation is not None and period.allocation["result"] == "5.00"
    assert lines(JournalEntry.objects.get(kind=EntryKind.CLOSING)) == [
        ("other_income", None, D("5.00")),
        ("period_result", None, D("-5.00")),
    ]
    assert nonzero_balances() == {
        ("cash", None): D("50.00"),
        ("share_capital", None): D("-50.00"),
        ("bank", None): D("5.00"),
        ("reserve", None): D("-5.00"),
    }
    assert books_problems() == []


def test_closings_that_are_refused(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    sell(founder, worker, "100.00")
    with unchanged(), pytest.raises(DomainError) as refused:
        close(founder, 2030)
    assert refused.value.code == "period_not_over"
    clock.advance(days=400)
    sell(founder, worker, "100.00")  # opens 2031
    clock.advance(days=400)
    with unchanged(), pytest.raises(DomainError) as refused:
        close(founder, 2031)
    assert refused.value.code == "earlier_open"
    with unchanged(), pytest.raises(NotAllowed):
        close(worker.user, 2030)
    close(founder, 2030)
    with unchanged(), pytest.raises(DomainError) as refused:
        close(founder, 2030)
    assert refused.value.code == "period_closed"
    with unchanged(), pytest.raises(DomainError) as refused:
        ledger.close_period(actor=founder, period_id=404)
    assert refused.value.code == "not_found"


def test_reopening_and_closing_again_allocates_once(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    one, _two = worked_year(founder, make_member)
    before_close = balances()
    clock.advance(days=400)
    close(founder, 2030)
    after_close = balances()
    period = reopen(founder, 2030, reason="forgot an invoice")
    assert (period.status, period.closings, period.closed_at) == (Period.Status.OPEN, 1, None)
    opened = balances()
    assert {pk: b for pk, b in opened.items() if pk in before_close} == before_close
    assert all(b == 0 for pk, b in opened.items() if pk not in before_close)
    reversals = JournalEntry.objects.filter(kind=EntryKind.REVERSAL)
    assert {r.reverses.kind for r in reversals if r.reverses} == {
        EntryKind.CLOSING,
        EntryKind.ALLOCATION,
    }
    assert all(r.date == dt.date(2030, 12, 31) and r.period == period for r in reversals)
    assert set(Allocation.objects.values_list("closing", "reversed")) == {(1, True)}

    again = close(founder, 2030)
    assert (again.status, again.closings) == (Period.Status.CLOSED, 2)
    assert balances() == after_close
    assert set(Allocation.objects.values_list("closing", "reversed")) == {(1, True), (2, False)}
    assert Allocation.objects.filter(reversed=False, member=one).get().dividend == D("44.00")
    assert again.allocation is not None and again.allocation["closing"] == 2

    for _ in range(2):
        reopen(founder, 2030)
        close(founder, 2030)
    assert balances() == after_close
    assert Allocation.objects.filter(reversed=False).count() == 2
    assert books_problems() == []


def the_long_way(period: Period) -> dict[str, Decimal]:
    """What the income statement must show: every posting of the period's activity summed."""
    moved = (
        selectors._period_activity(period)
        .filter(account__kind__in=["income", "expense"])
        .values_list("account__purpose")
        .annotate(total=Sum("amount"))
    )
    return {purpose: total for purpose, total in moved if total}


def statement_figures(founder: User, period: Period) -> dict[str, Decimal]:
    statement = selectors.income_statement(founder, period)
    return {  # back to signed amounts, debits positive
        line.spec.purpose: books.natural(line.spec.kind, line.amount.amount)
        for section in (statement.income, statement.expenses)
        for line in section.lines
        if line.amount.amount
    }


def test_the_income_statement_is_every_posting_of_the_period_summed(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """A period's statement counts its own activity only: not the entries of other periods
    written meanwhile (a late sale for the year before, that year's closing), nor anything
    after. The only open period, never closed, reads the accounts' balances alone."""
    one, two = worked_year(founder, make_member)
    ledger.record_other_income(actor=founder, amount=ils("40.00"), method="cash", memo="grant")
    clock.advance(days=400)  # into 2031, 2030 still open
    first = sell(founder, one, "200.00")
    refunded = sell(founder, two, "80.00", tip="5.00")
    ledger.record_sale(
        actor=founder,
        worker_number=two.number,
        price=ils("300.00"),
        tip=ils("0.00"),
        method="bank",
        hours=D(3),
        on=dt.date(2030, 12, 30),  # recorded late, for the year before
    )
    ledger.reverse_entry(actor=founder, number=refunded.number, reason="refunded")
    ledger.record_expense(actor=founder, amount=ils("12.50"), method="cash", memo="tea")
    close(founder, 2030)
    last = sell(founder, one, "60.00")
    clock.advance(days=366)  # into 2032
    sell(founder, two, "70.00")
    this_year, year_before = period_of(2031), period_of(2030)
    strays = JournalEntry.objects.filter(pk__range=(first.pk, last.pk), period=year_before)
    assert strays.filter(kind=EntryKind.SALE).exists()
    assert strays.filter(kind=EntryKind.CLOSING).exists()

    assert (
        statement_figures(founder, this_year)
        == the_long_way(this_year)
        == {
            "fees_members": D("-26.00"),  # 10 % of 200.00 and 60.00; the refunded sale undone
            "expenses": D("12.50"),
        }
    )
    assert (
        statement_figures(founder, year_before)
        == the_long_way(year_before)
        == {
            "fees_members": D("-180.00"),
            "other_income": D("-40.00"),
            "expenses": D("30.00"),
        }
    )
    reopen(founder, 2030)
    assert statement_figures(founder, period_of(2030)) == the_long_way(year_before)
    assert statement_figures(founder, period_of(2032)) == {"fees_members": D("-7.00")}

    close(founder, 2030)
    close(founder, 2031)
    with CaptureQueriesContext(connection) as read:  # the only open period: balances alone
        alone = statement_figures(founder, period_of(2032))
    assert not any(Posting._meta.db_table in query["sql"] for query in read.captured_queries)
    assert alone == the_long_way(period_of(2032)) == {"fees_members": D("-7.00")}


def test_reopening_is_refused_once_dividends_were_paid(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worked_year(founder, make_member)
    clock.advance(days=400)
    close(founder, 2030)
    ledger.run_payouts(actor=founder, method="cash", idempotency_key="after-close")
    with unchanged(), pytest.raises(DomainError) as refused:
        reopen(founder, 2030)
    assert refused.value.code == "dividend_paid"


def test_reopening_is_not_refused_for_a_member_in_debt(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    """A worker paid for two jobs, one later refunded, owes the co-op: their dividend was not
    paid out, so the year can still be reopened."""
    worker = make_member()
    for _ in range(4):  # 800.00 of shares in cash: with 240.00 left after the run, the refund
        make_member(paid=4)  # of 1000.00 can be paid
    sell(founder, worker, "1000.00", hours="10")
    refunded = sell(founder, worker, "1000.00", hours="10")
    ledger.run_payouts(actor=founder, method="cash", idempotency_key="before-close")
    ledger.reverse_entry(actor=founder, number=refunded.number, reason="refunded")
    assert owed(worker) == D("-880.00")
    clock.advance(days=400)
    close(founder, 2030)
    after_close = balances()
    reopen(founder, 2030)
    close(founder, 2030)
    assert balances() == after_close


def test_reopenings_that_are_refused(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    sell(founder, worker, "100.00")
    clock.advance(days=400)
    with unchanged(), pytest.raises(DomainError) as refused:
        reopen(founder, 2030)
    assert refused.value.code == "period_open"
    close(founder, 2030)
    with unchanged(), pytest.raises(InvalidInput) as refused:
        reopen(founder, 2030, reason=" ")
    assert refused.value.code == "reason_required"
    with unchanged(), pytest.raises(NotAllowed):
        reopen(worker.user, 2030)
    sell(founder, worker, "100.00")
    clock.advance(days=400)
    close(founder, 2031)
    with unchanged(), pytest.raises(DomainError) as refused:
        reopen(founder, 2030)
    assert refused.value.code == "later_closed"


def test_payout_runs_are_numbered_and_kept(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    sell(founder, worker, "100.00")
    ledger.run_payouts(actor=founder, method="cash", idempotency_key="a")
    ledger.run_payouts(actor=founder, method="cash", idempotency_key="b")
    assert list(PayoutRun.objects.order_by("number").values_list("number", "total")) == [
        (1, D("88.00")),
        (2, D(0)),
    ]


def test_money_moves_between_cash_bank_and_wallet(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    make_member(paid=2)  # 100.00 in the cash box
    entry = ledger.move_money(
        actor=founder,
        amount=ils("80.00"),
        from_method="cash",
        to_method="bank",
        memo="paid in",
        idempotency_key="deposit-1",
    )
    assert (entry.kind, lines(entry)) == (
        EntryKind.TRANSFER,
        [("bank", None, D("80")), ("cash", None, D("-80"))],
    )
    again = ledger.move_money(
        actor=founder,
        amount=ils("80.00"),
        from_method="cash",
        to_method="bank",
        idempotency_key="deposit-1",
    )
    assert again == entry  # the same form sent twice moves the money once
    assert (balance("cash"), balance("bank")) == (D("20"), D("80"))
    with unchanged():
        for change, code in (
            ({"amount": ils("20.01")}, "insufficient_funds"),
            ({"to_method": "cash"}, "same_account"),
            ({"from_method": "cheque"}, "bad_method"),
            ({"amount": ils("0")}, "amount_not_positive"),
            ({"amount": ils("5"), "idempotency_key": "deposit-1"}, "idempotency_conflict"),
        ):
            arguments = {"amount": ils("10"), "from_method": "cash", "to_method": "bank"}
            with pytest.raises(DomainError) as refused:
                ledger.move_money(actor=founder, **{**arguments, **change})  # type: ignore[arg-type]
            assert refused.value.code == code
    assert books_problems() == []
