"""The books under concurrency, on PostgreSQL: real threads, each with its own connection, lined
up with a barrier inside their transactions. Two payout runs pay each balance once, a retried
sale is recorded once, a period closes once, and postings racing a payout run or a closing
neither deadlock nor unbalance the books."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.domain.errors import DomainError
from taawun.ledger import actions as ledger
from taawun.ledger.models import (
    Allocation,
    EntryKind,
    JournalEntry,
    Patronage,
    Payout,
    PayoutRun,
    Period,
    Posting,
)
from taawun.members.models import Membership
from taawun.transparency.models import AuditEntry

from ..core.helpers import Clock
from ..races import as_user, errors, line_up, oks, race
from .helpers import account, balance, books_problems, ils, owed

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

D = Decimal


def numbers_are_gap_free() -> bool:
    journal = list(JournalEntry.objects.order_by("number").values_list("number", flat=True))
    audit = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    return journal == list(range(1, len(journal) + 1)) and audit == list(range(1, len(audit) + 1))


def sell(actor: User, worker: Membership, price: str, hours: str = "1") -> JournalEntry:
    entry, _parts = ledger.record_sale(
        actor=actor,
        worker_number=worker.number,
        price=ils(price),
        tip=ils("0.00"),
        method="cash",
        hours=D(hours),
    )
    return entry


@pytest.fixture
def second_board(founder: User, make_member: Callable[..., Membership]) -> User:
    member = make_member(paid=4)
    grant_role(actor=founder, user=member.user, role=Role.BOARD, policy_version=1)
    return member.user


def test_two_payout_runs_at_once_pay_each_balance_once(
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
    founder: User,
    second_board: User,
    make_member: Callable[..., Membership],
) -> None:
    one, two = make_member(), make_member()
    sell(founder, one, "1000.00")
    sell(founder, two, "500.00")
    owed_before = owed(one) + owed(two)
    assert owed_before == D("1320.00")
    cash_before = balance("cash")
    line_up(monkeypatch, ledger, "require_role", 2)
    outcomes = race(
        [
            lambda: ledger.run_payouts(
                actor=as_user(founder.pk), method="cash", idempotency_key="run-a"
            ),
            lambda: ledger.run_payouts(
                actor=as_user(second_board.pk), method="cash", idempotency_key="run-b"
            ),
        ]
    )
    assert errors(outcomes) == []
    runs = sorted(oks(outcomes), key=lambda r: r.total)
    assert [r.total for r in runs] == [D(0), owed_before]
    assert [r.payouts.count() for r in runs] == [0, 2]
    assert set(Payout.objects.values_list("run", flat=True)) == {runs[1].pk}
    assert sum(Payout.objects.values_list("amount", flat=True), D(0)) == owed_before
    assert (owed(one), owed(two)) == (D(0), D(0))
    assert balance("cash") == cash_before - owed_before
    assert PayoutRun.objects.count() == 2
    assert numbers_are_gap_free()
    assert books_problems() == []


def test_two_retries_of_one_sale_at_once_record_it_once(
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
    founder: User,
    make_member: Callable[..., Membership],
) -> None:
    worker = make_member()
    entries_before = JournalEntry.objects.count()
    line_up(monkeypatch, ledger, "current_policy", 2)  # both past the look-up of the key

    def sale(actor_pk: int) -> JournalEntry:
        entry, parts = ledger.record_sale(
            actor=as_user(actor_pk),
            worker_number=worker.number,
            price=ils("1000.00"),
            tip=ils("10.00"),
            method="bank",
            hours=D("8"),
            idempotency_key="sale-7",
        )
        assert parts.worker_total == ils("890.00")
        return entry

    # one person's request sent twice (a double click, a retry after a lost answer)
    outcomes = race([lambda: sale(founder.pk), lambda: sale(founder.pk)])
    assert errors(outcomes) == []
    first, second = oks(outcomes)
    assert first.pk == second.pk
    assert JournalEntry.objects.count() == entries_before + 1
    assert JournalEntry.objects.filter(idempotency_key=f"{founder.pk}:sale-7").count() == 1
    assert owed(worker) == D("890.00")
    row = Patronage.objects.get(member=worker)
    assert (row.hours, row.revenue) == (D("8"), D("890.00"))
    assert AuditEntry.objects.filter(action="books.sale").count() == 1
    assert numbers_are_gap_free()
    assert books_problems() == []


def test_two_closings_of_one_period_at_once_close_it_once(
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
    founder: User,
    second_board: User,
    make_member: Callable[..., Membership],
) -> None:
    one, two = make_member(), make_member()
    sell(founder, one, "1000.00", hours="10")
    sell(founder, two, "500.00", hours="5")
    ledger.record_expense(actor=founder, amount=ils("30.00"), method="cash", memo="tools")
    clock.advance(days=400)
    period = Period.objects.get(starts_on=dt.date(2030, 1, 1))
    line_up(monkeypatch, ledger, "require_role", 2)
    outcomes = race(
        [
            lambda: ledger.close_period(actor=as_user(founder.pk), period_id=period.pk),
            lambda: ledger.close_period(actor=as_user(second_board.pk), period_id=period.pk),
        ]
    )
    assert errors(outcomes) == [(DomainError, "period_closed")]
    period.refresh_from_db()
    assert (period.status, period.closings) == (Period.Status.CLOSED, 1)
    assert JournalEntry.objects.filter(kind=EntryKind.CLOSING).count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.ALLOCATION).count() == 1
    assert sorted(Allocation.objects.values_list("member", "closing", "dividend")) == [
        (one.pk, 1, D("44.00")),
        (two.pk, 1, D("22.00")),
    ]
    assert balance("reserve") == D("-36.00")
    assert AuditEntry.objects.filter(action="period.closed").count() == 1
    assert numbers_are_gap_free()
    assert books_problems() == []


def test_a_sale_during_a_payout_run_is_paid_once_or_left_owed(
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
    founder: User,
    second_board: User,
    make_member: Callable[..., Membership],
) -> None:
    worker, other = make_member(), make_member()
    sell(founder, worker, "100.00")
    sell(founder, other, "200.00")
    line_up(monkeypatch, ledger, "require_role", 2)
    outcomes = race(
        [
            lambda: ledger.run_payouts(
                actor=as_user(founder.pk), method="cash", idempotency_key="run-1"
            ),
            lambda: sell(as_user(second_board.pk), worker, "1000.00"),
        ]
    )
    assert errors(outcomes) == []
    run = PayoutRun.objects.get()
    paid_worker = run.payouts.get(member=worker).amount
    # The run paid the 88.00 owed before the sale, or the 968.00 owed after it.
    assert (paid_worker, owed(worker)) in [(D("88.00"), D("880.00")), (D("968.00"), D(0))]
    assert owed(other) == D(0)
    assert numbers_are_gap_free()
    assert books_problems() == []


def test_a_sale_while_a_year_closes_does_not_deadlock(
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
    founder: User,
    second_board: User,
    make_member: Callable[..., Membership],
) -> None:
    """The closing posts two entries; having drawn the journal number for the first, it must
    not then wait for an account that a sale (waiting for the journal number) holds."""
    one, two = make_member(), make_member()
    sell(founder, one, "1000.00", hours="10")
    sell(founder, two, "500.00", hours="5")
    clock.advance(days=400)
    period = Period.objects.get(starts_on=dt.date(2030, 1, 1))
    line_up(monkeypatch, ledger, "next_number", 2, after=True, timeout=3)
    outcomes = race(
        [
            lambda: ledger.close_period(actor=as_user(founder.pk), period_id=period.pk),
            lambda: sell(as_user(second_board.pk), one, "100.00"),
        ]
    )
    assert errors(outcomes) == []
    assert Period.objects.get(pk=period.pk).status == Period.Status.CLOSED
    # 880.00 for 2030's work; of the 82.50 pool (55% of 150.00) 55.00 is theirs, 11.00 in
    # cash; 88.00 for the new sale.
    assert owed(one) == D("979.00")
    assert numbers_are_gap_free()
    assert books_problems() == []


def test_postgres_refuses_an_unbalanced_entry_at_commit(
    clock: Clock, founder: User, make_member: Callable[..., Membership]
) -> None:
    sell(founder, make_member(), "100.00")
    entries_before = JournalEntry.objects.count()
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        entry = JournalEntry.objects.create(
            number=entries_before + 1,
            date=timezone.localdate(),
            period=Period.objects.get(),
            kind=EntryKind.EXPENSE,
            policy_version=1,
            recorded_at=timezone.now(),
        )
        Posting.objects.bulk_create(
            [
                Posting(
                    entry=entry,
                    account=account("expenses"),
                    amount=D("10.00"),
                    currency="ILS",
                    balance_after=D("10.00"),
                ),
                Posting(
                    entry=entry,
                    account=account("cash"),
                    amount=D("-9.00"),
                    currency="ILS",
                    balance_after=D("79.00"),
                ),
            ]
        )  # accepted here: the check is deferred to the commit
    assert JournalEntry.objects.count() == entries_before
    assert books_problems() == []
