"""Property test of the books: any sequence of sales, expenses, other income, reversals, payout
runs and solidarity payments (refusals included) keeps every entry balanced, every balance equal
to its postings, the trial balance at zero, cash, bank and wallet never below zero and no payout
above what was owed; a refused step changes nothing; and closing the year, then reopening and
closing it again any number of times, ends where one closing does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.domain.money import Money
from taawun.domain.policy import Policy, founding_policy
from taawun.ledger import actions as ledger
from taawun.ledger.models import (
    Account,
    Allocation,
    EntryKind,
    JournalEntry,
    PayoutRun,
    Period,
    Posting,
)
from taawun.members import actions as members
from taawun.members.models import Membership

from ..conftest import TEST_CLASSES
from ..core.helpers import START, Clock, snapshot
from .helpers import balance, balances, books_problems

METHODS = ("cash", "bank", "wallet")
REVERSIBLE = (
    EntryKind.SALE,
    EntryKind.EXPENSE,
    EntryKind.OTHER_INCOME,
    EntryKind.PAYOUT,
    EntryKind.SOLIDARITY_PAYMENT,
)

amounts = st.integers(1, 200_000).map(lambda cents: Money(Decimal(cents).scaleb(-2), "ILS"))
operations = st.one_of(
    st.tuples(
        st.just("sale"),
        st.integers(0, 2),  # which worker
        amounts,
        st.integers(0, 5_000),  # tip, in agorot
        st.sampled_from(METHODS),
        st.integers(0, 40),  # hours
    ),
    st.tuples(st.just("expense"), amounts, st.sampled_from(METHODS)),
    st.tuples(st.just("income"), amounts, st.sampled_from(METHODS)),
    st.tuples(st.just("reverse"), st.integers(0, 100)),
    st.tuples(st.just("payout"), st.sampled_from(METHODS)),
    st.tuples(st.just("claim"), st.integers(1, 2), st.integers(1, 3_000)),
    st.tuples(st.just("wait"), st.integers(1, 10)),
)


# Each example starts by funding the co-op with one investor's shares, 1,000.00 into each of
# cash, bank and wallet: enough that most payouts and expenses are paid, few enough that some
# are refused. Share payments touch nothing a closing shares out.
FUNDING = Decimal("1000.00")


@pytest.fixture
def policy() -> Policy:
    """The test co-op's classes, and an investor class whose three instalments fund the books."""
    investor = {
        "key": "investor",
        "name": {"ar": "عضو مستثمر", "en": "Investor member"},
        "share_price": str(FUNDING),
        "shares_required": len(METHODS),
        "instalments": len(METHODS),
        "votes": False,
    }
    return founding_policy(currency="ILS", classes=[*TEST_CLASSES, investor])


def fund(board: User, investor: Membership) -> None:
    instalments = investor.instalments.order_by("number")
    for instalment, method in zip(instalments, METHODS, strict=True):
        members.record_instalment_payment(
            actor=board, instalment_id=instalment.pk, method=method, reference=f"FUND-{method}"
        )
    assert [balance(method) for method in METHODS] == [FUNDING] * len(METHODS)


def attempt(call: Callable[[], Any]) -> DomainError | None:
    """Run an action; a refusal is a legitimate outcome, and it must change nothing at all."""
    before = snapshot()
    try:
        with transaction.atomic():
            call()
    except DomainError as refusal:
        assert snapshot() == before
        return refusal
    return None


def owed_balances() -> dict[int, Decimal]:
    return dict(
        Account.objects.filter(purpose="owed_to_member").values_list("member_id", "balance")
    )


class Books:
    def __init__(self, board: User, workers: list[Membership], clock: Clock) -> None:
        self.board, self.workers, self.clock = board, workers, clock
        self.runs = 0

    def apply(self, operation: tuple[Any, ...]) -> None:
        match operation:
            case ("sale", worker, price, tip, method, hours):
                attempt(
                    lambda: ledger.record_sale(
                        actor=self.board,
                        worker_number=self.workers[worker].number,
                        price=price,
                        tip=Money(Decimal(tip).scaleb(-2), "ILS"),
                        method=method,
                        hours=Decimal(hours),
                    )
                )
            case ("expense", amount, method):
                held = balance(method)
                refusal = attempt(
                    lambda: ledger.record_expense(
                        actor=self.board, amount=amount, method=method, memo="supplies"
                    )
                )
                # refused exactly when the money is not there
                assert (refusal.code if refusal else None) == (
                    "insufficient_funds" if amount.amount > held else None
                )
                event(f"expense {'refused' if refusal else 'paid'}")
            case ("income", amount, method):
                attempt(
                    lambda: ledger.record_other_income(
                        actor=self.board, amount=amount, method=method, memo="grant"
                    )
                )
            case ("reverse", index):
                candidates = list(
                    JournalEntry.objects.filter(kind__in=REVERSIBLE, reversed_by=None).order_by(
                        "number"
                    )
                )
                if candidates:
                    number = candidates[index % len(candidates)].number
                    refusal = attempt(
                        lambda: ledger.reverse_entry(
                            actor=self.board, number=number, reason="correction"
                        )
                    )
                    event(f"reversal {refusal.code if refusal else 'posted'}")
            case ("payout", method):
                self.pay(method)
            case ("claim", worker, cents):
                self.claim(self.workers[worker], Money(Decimal(cents).scaleb(-2), "ILS"))
            case ("wait", days):
                self.clock.advance(days=days)

    def pay(self, method: str) -> None:
        before = owed_balances()
        due = sum((-b for b in before.values() if b < 0), Decimal(0))
        held = balance(method)
        self.runs += 1
        references = {w.number: f"REF-{w.number}" for w in self.workers}
        runs: list[PayoutRun] = []
        refusal = attempt(
            lambda: runs.append(
                ledger.run_payouts(
                    actor=self.board,
                    method=method,
                    idempotency_key=f"run-{self.runs}",
                    references=references,
                )
            )
        )
        # a run is refused whole exactly when the paying account cannot cover all it owes
        assert (refusal.code if refusal else None) == ("insufficient_funds" if due > held else None)
        event(f"payout run {'refused' if refusal else 'paid' if due else 'empty'}")
        if refusal:
            return
        [run] = runs
        paid = {p.member_id: p.amount for p in run.payouts.all()}
        assert paid == {m: -b for m, b in before.items() if b < 0}
        assert run.total == sum(paid.values(), Decimal(0))
        after = owed_balances()
        for member_id, was in before.items():
            # no payout exceeds the balance: what was owed is now zero, a debt stays as it was
            assert after[member_id] == (Decimal(0) if was < 0 else was)
        for payout in run.payouts.select_related("entry"):
            owed_line = Posting.objects.get(entry=payout.entry, account__purpose="owed_to_member")
            assert owed_line.balance_after == 0

    def claim(self, worker: Membership, amount: Money) -> None:
        try:
            with transaction.atomic():
                claim = ledger.claim_support(actor=worker.user, reason="sickness", amount=amount)
        except DomainError:
            return
        attempt(lambda: ledger.decide_claim(actor=self.board, claim_id=claim.pk, approve=True))


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(operations, max_size=14), reclosings=st.integers(0, 3))
def test_the_books_stay_sound_and_reclosing_changes_nothing(
    clock: Clock,
    founder: User,
    make_member: Callable[..., Membership],
    steps: list[tuple[Any, ...]],
    reclosings: int,
) -> None:
    workers = [Membership.objects.get(user=founder)]
    workers += [
        m
        for m in Membership.objects.exclude(user=founder).order_by("number")
        if m.member_class == "worker"
    ]
    while len(workers) < 3:
        workers.append(make_member())
    investor = Membership.objects.filter(member_class="investor").first() or make_member("investor")
    clock.now = START
    with transaction.atomic():  # each example starts from the same freshly founded co-op
        fund(founder, investor)
        books = Books(founder, workers, clock)
        for step in steps:
            books.apply(step)
            assert books_problems() == []
            overdrawn = Account.objects.filter(purpose__in=METHODS, balance__lt=0)
            assert not overdrawn.exists()  # money the co-op does not have never left it
        assert clock.today < dt.date(2031, 1, 1)

        clock.now = START + dt.timedelta(days=400)
        period = Period.objects.filter(starts_on=dt.date(2030, 1, 1)).first()
        if period is not None:
            ledger.close_period(actor=founder, period_id=period.pk)
            assert books_problems() == []
            for purpose in ("fees_members", "fees_non_members", "other_income", "expenses"):
                assert not Account.objects.filter(purpose=purpose).exclude(balance=0).exists()
            closed = balances()
            allocated = set(
                Allocation.objects.filter(reversed=False).values_list(
                    "member", "dividend", "cash", "retained", "loss_charged"
                )
            )
            for _ in range(reclosings):
                ledger.reopen_period(actor=founder, period_id=period.pk, reason="again")
                ledger.close_period(actor=founder, period_id=period.pk)
                assert balances() == closed
                assert (
                    set(
                        Allocation.objects.filter(reversed=False).values_list(
                            "member", "dividend", "cash", "retained", "loss_charged"
                        )
                    )
                    == allocated
                )
            assert books_problems() == []
        transaction.set_rollback(True)
