"""Property test of the registers and the audit trail: any sequence of membership operations,
refused ones included, leaves every numbering gap-free, every capital account equal to what
was paid in and not yet paid out, every share counted once, and every audit entry verifiable."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from taawun.accounts.actions import create_account
from taawun.accounts.models import User
from taawun.coop.actions import found_coop
from taawun.domain.errors import DomainError
from taawun.domain.policy import founding_policy
from taawun.members import actions as members
from taawun.members.models import (
    Application,
    CapitalEntry,
    Instalment,
    Membership,
    Repayment,
    ShareOperation,
)
from taawun.members.selectors import capital_balance, shares_held
from taawun.transparency.models import AuditEntry, Counter

from ..conftest import TEST_CLASSES

CLASSES = ("worker", "user", "supporter")
METHODS = ("cash", "bank", "wallet")


def gap_free(numbers: list[int]) -> bool:
    return sorted(numbers) == list(range(1, len(numbers) + 1))


class MembershipRegister(RuleBasedStateMachine):
    """Each example runs in a transaction rolled back at its end, on a freshly founded co-op."""

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        found_coop(
            name_ar="تعاونية",
            name_en="Co-op",
            handle="coop",
            policy=founding_policy(currency="ILS", classes=TEST_CLASSES),
            founder_email="board@example.org",
            founder_name="Board",
            founder_password=None,
            founder_class="worker",
            starter_lessons=False,
        )
        self.board = User.objects.get(email="board@example.org")
        self.people = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def attempt(self, operation, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """Run an action; a refusal is a legitimate outcome, checked by the invariants."""
        try:
            with transaction.atomic():
                operation(**kwargs)
        except DomainError:
            pass

    def pick(self, queryset, index: int):  # type: ignore[no-untyped-def]
        rows = list(queryset.order_by("pk"))
        return rows[index % len(rows)] if rows else None

    @rule(member_class=st.sampled_from(CLASSES))
    def apply(self, member_class: str) -> None:
        self.people += 1
        person = create_account(
            email=f"p{self.people}@example.org", full_name=f"P{self.people}", password=None
        )
        self.attempt(members.apply_for_membership, actor=person, member_class=member_class)

    @precondition(lambda self: Application.objects.filter(status="pending").exists())
    @rule(index=st.integers(0, 50), approve=st.booleans())
    def decide(self, index: int, approve: bool) -> None:
        application = self.pick(Application.objects.filter(status="pending"), index)
        if approve:
            self.attempt(
                members.approve_application, actor=self.board, application_id=application.pk
            )
        else:
            self.attempt(
                members.refuse_application,
                actor=self.board,
                application_id=application.pk,
                reason="not now",
            )

    @rule(index=st.integers(0, 200), method=st.sampled_from(METHODS))
    def pay(self, index: int, method: str) -> None:
        instalment = self.pick(Instalment.objects.all(), index)
        if instalment is not None:  # paid, cancelled or open: the action decides
            self.attempt(
                members.record_instalment_payment,
                actor=self.board,
                instalment_id=instalment.pk,
                method=method,
                reference="REF-1",
            )

    @rule(index=st.integers(0, 50))
    def give_notice(self, index: int) -> None:
        membership = self.pick(Membership.objects.all(), index)
        if membership is not None:
            self.attempt(members.give_notice, actor=membership.user, membership_id=membership.pk)

    @rule(index=st.integers(0, 50))
    def sell_back(self, index: int) -> None:
        membership = self.pick(Membership.objects.all(), index)
        if membership is not None:
            self.attempt(
                members.sell_back, actor=self.board, membership_id=membership.pk, waive_notice=True
            )

    @rule(index=st.integers(0, 50))
    def repay(self, index: int) -> None:
        membership = self.pick(Membership.objects.all(), index)
        if membership is not None:
            self.attempt(
                members.record_repayment,
                actor=self.board,
                membership_id=membership.pk,
                method="cash",
            )

    @rule(giver=st.integers(0, 50), receiver=st.integers(0, 50))
    def transfer(self, giver: int, receiver: int) -> None:
        first = self.pick(Membership.objects.all(), giver)
        second = self.pick(Membership.objects.all(), receiver)
        if first is not None and second is not None:
            self.attempt(
                members.transfer_shares,
                actor=self.board,
                from_membership_id=first.pk,
                to_membership_id=second.pk,
            )

    @invariant()
    def numbering_is_gap_free(self) -> None:
        assert gap_free(list(Membership.objects.values_list("number", flat=True)))
        assert gap_free(list(ShareOperation.objects.values_list("register_number", flat=True)))
        receipts = Instalment.objects.exclude(receipt_number=None)
        assert gap_free(list(receipts.values_list("receipt_number", flat=True)))
        counters = dict(Counter.objects.values_list("name", "last"))
        assert counters.get("member_register", 0) == Membership.objects.count()
        assert counters.get("receipt", 0) == receipts.count()

    @invariant()
    def the_trail_verifies(self) -> None:
        entries = list(AuditEntry.objects.order_by("seq").values_list("seq", "canonical", "digest"))
        assert [seq for seq, _c, _d in entries] == list(range(1, len(entries) + 1))
        for _seq, canonical, digest in entries:
            assert hashlib.sha256(canonical.encode()).hexdigest() == digest

    @invariant()
    def capital_is_what_was_paid_in_and_not_paid_out(self) -> None:
        paid = Instalment.objects.exclude(paid_at=None).aggregate(t=Sum("amount"))["t"] or 0
        repaid = Repayment.objects.exclude(paid_at=None).aggregate(t=Sum("amount"))["t"] or 0
        held = CapitalEntry.objects.aggregate(t=Sum("amount"))["t"] or 0
        assert held == paid - repaid
        for membership in Membership.objects.all():
            balance = capital_balance(membership).amount
            assert balance >= 0
            if membership.status == Membership.Status.LEFT:
                owed = Repayment.objects.filter(membership=membership, paid_at=None).first()
                assert balance == (owed.amount if owed else Decimal(0))

    @invariant()
    def every_share_is_held_once(self) -> None:
        subscribed = ShareOperation.objects.filter(kind="subscribe").aggregate(t=Sum("shares"))
        sold_back = ShareOperation.objects.filter(kind="sell_back").aggregate(t=Sum("shares"))
        held = sum(shares_held(m) for m in Membership.objects.all())
        assert held == (subscribed["t"] or 0) - (sold_back["t"] or 0)
        for membership in Membership.objects.filter(status="left"):
            assert shares_held(membership) == 0


@pytest.mark.django_db
def test_registers_and_trail_hold_under_any_sequence_of_operations() -> None:
    runner = MembershipRegister.TestCase
    runner.settings = settings(
        max_examples=15,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    runner().runTest()
