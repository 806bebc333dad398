"""Concurrency on PostgreSQL: real threads, each with its own connection, lined up with a barrier
inside their transactions. Of two people doing the same thing at once, exactly one wins; numbers
stay unique and gap-free; and no mix of operations deadlocks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.domain.errors import DomainError
from taawun.members import actions as members
from taawun.members.models import (
    Application,
    CapitalEntry,
    Instalment,
    Membership,
    Repayment,
    ShareOperation,
)
from taawun.transparency.models import AuditEntry, Counter

from ..races import BARRIER_TIMEOUT, as_user, errors, line_up, oks, race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def counters() -> dict[str, int]:
    return dict(Counter.objects.values_list("name", "last"))


def audit_is_gap_free() -> bool:
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    return seqs == list(range(1, len(seqs) + 1))


@pytest.fixture
def second_board(founder: User, make_member: Callable[..., Membership]) -> User:
    member = make_member(paid=4)
    grant_role(actor=founder, user=member.user, role=Role.BOARD, policy_version=1)
    return member.user


def test_the_postgres_marker_runs_here() -> None:
    assert connection.vendor == "postgresql"


def test_two_approvals_of_one_application(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    second_board: User,
    make_applicant: Callable[..., Application],
) -> None:
    application = make_applicant()
    before = counters()
    line_up(monkeypatch, members, "_locked_pending", 2)
    outcomes = race(
        [
            lambda: members.approve_application(
                actor=as_user(founder.pk), application_id=application.pk
            ),
            lambda: members.approve_application(
                actor=as_user(second_board.pk), application_id=application.pk
            ),
        ]
    )
    assert errors(outcomes) == [(DomainError, "application_decided")]
    [membership] = oks(outcomes)
    assert list(Membership.objects.filter(user=application.user).values_list("pk", flat=True)) == [
        membership.pk
    ]
    assert membership.number == before["member_register"] + 1
    assert ShareOperation.objects.filter(membership=membership).count() == 1
    assert Instalment.objects.filter(membership=membership).count() == 4
    assert counters()["member_register"] == before["member_register"] + 1
    assert counters()["share_register"] == before["share_register"] + 1
    assert (
        AuditEntry.objects.filter(
            action="application.approved", subject_id=str(application.pk)
        ).count()
        == 1
    )
    assert audit_is_gap_free()


def test_two_applications_by_one_person_at_once(
    monkeypatch: pytest.MonkeyPatch, coop: object, make_account: Callable[..., User]
) -> None:
    person = make_account()
    line_up(
        monkeypatch, members, "_current_membership", 2
    )  # both pass the "already waiting?" check
    outcomes = race(
        [
            lambda: members.apply_for_membership(actor=as_user(person.pk), member_class="worker"),
            lambda: members.apply_for_membership(actor=as_user(person.pk), member_class="user"),
        ]
    )
    assert errors(outcomes) == [(DomainError, "application_pending")]
    [application] = oks(outcomes)
    assert list(Application.objects.filter(user=person).values_list("pk", "status")) == [
        (application.pk, "pending")
    ]
    assert AuditEntry.objects.filter(action="application.submitted").count() == 1
    assert audit_is_gap_free()


def test_two_payments_of_one_instalment(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    second_board: User,
    make_member: Callable[..., Membership],
) -> None:
    membership = make_member()
    instalment = membership.instalments.get(number=1)
    before = counters()
    line_up(monkeypatch, members, "_check_method", 2)
    outcomes = race(
        [
            lambda: members.record_instalment_payment(
                actor=as_user(founder.pk), instalment_id=instalment.pk, method="cash"
            ),
            lambda: members.record_instalment_payment(
                actor=as_user(second_board.pk),
                instalment_id=instalment.pk,
                method="bank",
                reference="T-1",
            ),
        ]
    )
    assert errors(outcomes) == [(DomainError, "already_paid")]
    [paid] = oks(outcomes)
    instalment.refresh_from_db()
    assert (instalment.receipt_number, instalment.method) == (before["receipt"] + 1, paid.method)
    assert list(
        CapitalEntry.objects.filter(membership=membership).values_list("amount", flat=True)
    ) == [Decimal("50")]
    assert counters()["receipt"] == before["receipt"] + 1
    assert (
        AuditEntry.objects.filter(action="instalment.paid", subject_id=str(instalment.pk)).count()
        == 1
    )
    assert audit_is_gap_free()


def test_many_approvals_get_unique_gap_free_numbers(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    second_board: User,
    make_applicant: Callable[..., Application],
) -> None:
    applications = [make_applicant(("worker", "user", "supporter")[i % 3]) for i in range(12)]
    before = counters()
    boards = [founder.pk, second_board.pk]
    line_up(monkeypatch, members, "_locked_pending", len(applications))
    outcomes = race(
        [
            (
                lambda a=a, i=i: members.approve_application(
                    actor=as_user(boards[i % 2]), application_id=a.pk
                )
            )
            for i, a in enumerate(applications)
        ]
    )
    assert errors(outcomes) == []
    numbers = sorted(m.number for m in oks(outcomes))
    first = before["member_register"] + 1
    assert numbers == list(range(first, first + 12))
    assert list(Membership.objects.order_by("number").values_list("number", flat=True)) == list(
        range(1, first + 12)
    )
    registers = list(
        ShareOperation.objects.order_by("register_number").values_list("register_number", flat=True)
    )
    assert registers == list(range(1, before["share_register"] + 13))
    assert counters()["member_register"] == first + 11
    assert audit_is_gap_free()


def test_two_sell_backs_of_one_member(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    second_board: User,
    make_member: Callable[..., Membership],
) -> None:
    membership = make_member(paid=2)
    members.give_notice(actor=membership.user, membership_id=membership.pk)
    before = counters()
    line_up(monkeypatch, members, "_locked_membership", 2)
    outcomes = race(
        [
            lambda: members.sell_back(
                actor=as_user(founder.pk), membership_id=membership.pk, waive_notice=True
            ),
            lambda: members.sell_back(
                actor=as_user(second_board.pk), membership_id=membership.pk, waive_notice=True
            ),
        ]
    )
    assert errors(outcomes) == [(DomainError, "invalid_transition")]
    [repayment] = oks(outcomes)
    assert list(Repayment.objects.values_list("pk", "amount")) == [(repayment.pk, Decimal("100"))]
    assert ShareOperation.objects.filter(membership=membership, kind="sell_back").count() == 1
    assert counters()["share_register"] == before["share_register"] + 1
    assert AuditEntry.objects.filter(action="shares.sold_back").count() == 1
    assert audit_is_gap_free()


def test_an_approval_and_a_sell_back_do_not_deadlock(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    second_board: User,
    make_applicant: Callable[..., Application],
    make_member: Callable[..., Membership],
) -> None:
    """Each holds the first number it drew while the other draws its numbers: the lock order
    (register counters before the audit counter) must be the same in both."""
    application = make_applicant()
    leaving = make_member(paid=1)
    members.give_notice(actor=leaving.user, membership_id=leaving.pk)
    line_up(monkeypatch, members, "next_number", 2, after=True)
    outcomes = race(
        [
            lambda: members.approve_application(
                actor=as_user(founder.pk), application_id=application.pk
            ),
            lambda: members.sell_back(
                actor=as_user(second_board.pk), membership_id=leaving.pk, waive_notice=True
            ),
        ]
    )
    assert errors(outcomes) == []
    assert audit_is_gap_free()


def test_a_payment_racing_a_sell_back_of_the_same_member(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    second_board: User,
    make_member: Callable[..., Membership],
) -> None:
    """The sell-back holds the member while the payment arrives: no deadlock, and the repayment
    owed is exactly what was paid."""
    membership = make_member(paid=1)
    members.give_notice(actor=membership.user, membership_id=membership.pk)
    second = membership.instalments.get(number=2)
    barrier = threading.Barrier(2)
    real_check, real_lock = members._check_method, members._locked_membership

    def check(*args: Any) -> None:
        barrier.wait(BARRIER_TIMEOUT)  # the payment waits here for the sell-back ...
        real_check(*args)

    def lock(membership_id: int) -> Membership:
        locked = real_lock(membership_id)
        if threading.current_thread().name == "sell-back":
            barrier.wait(BARRIER_TIMEOUT)  # ... which holds the member's row by now
        return locked

    monkeypatch.setattr(members, "_check_method", check)
    monkeypatch.setattr(members, "_locked_membership", lock)

    def sell() -> Repayment:
        threading.current_thread().name = "sell-back"
        return members.sell_back(
            actor=as_user(founder.pk), membership_id=membership.pk, waive_notice=True
        )

    outcomes = race(
        [
            sell,
            lambda: members.record_instalment_payment(
                actor=as_user(second_board.pk), instalment_id=second.pk, method="cash"
            ),
        ]
    )
    assert errors(outcomes) == [(DomainError, "cancelled")]
    repayment = Repayment.objects.get(membership=membership)
    assert repayment.amount == Decimal("50")
    assert list(membership.capital_entries.values_list("amount", flat=True)) == [Decimal("50")]
    assert audit_is_gap_free()


@pytest.fixture
def mixed(
    founder: User,
    second_board: User,
    make_member: Callable[..., Membership],
    make_applicant: Callable[..., Application],
) -> Iterator[list[Callable[[], Any]]]:
    boards = [founder.pk, second_board.pk]
    calls: list[Callable[[], Any]] = []
    for i in range(4):
        application = make_applicant()
        calls.append(
            lambda a=application, i=i: members.approve_application(
                actor=as_user(boards[i % 2]), application_id=a.pk
            )
        )
        payer = make_member(paid=1)
        instalment = payer.instalments.get(number=2)
        calls.append(
            lambda n=instalment, i=i: members.record_instalment_payment(
                actor=as_user(boards[(i + 1) % 2]), instalment_id=n.pk, method="cash"
            )
        )
        leaving = make_member(paid=2)
        members.give_notice(actor=leaving.user, membership_id=leaving.pk)
        calls.append(
            lambda m=leaving, i=i: members.sell_back(
                actor=as_user(boards[i % 2]), membership_id=m.pk, waive_notice=True
            )
        )
        giver, receiver = make_member(paid=4), make_member()
        calls.append(
            lambda g=giver, r=receiver, i=i: members.transfer_shares(
                actor=as_user(boards[(i + 1) % 2]), from_membership_id=g.pk, to_membership_id=r.pk
            )
        )
    yield calls


def test_a_mix_of_operations_all_succeed_with_gap_free_numbers(
    mixed: list[Callable[[], Any]],
) -> None:
    before = counters()
    outcomes = race(mixed)
    assert errors(outcomes) == []
    after = counters()
    assert after["member_register"] == before["member_register"] + 4
    assert (
        after["share_register"] == before["share_register"] + 12
    )  # 4 subscriptions, 4 sell-backs, 4 transfers
    assert after["receipt"] == before["receipt"] + 4
    assert list(Membership.objects.order_by("number").values_list("number", flat=True)) == list(
        range(1, after["member_register"] + 1)
    )
    assert list(
        ShareOperation.objects.order_by("register_number").values_list("register_number", flat=True)
    ) == list(range(1, after["share_register"] + 1))
    receipts = list(
        Instalment.objects.exclude(receipt_number=None)
        .order_by("receipt_number")
        .values_list("receipt_number", flat=True)
    )
    assert receipts == list(range(1, after["receipt"] + 1))
    assert audit_is_gap_free()
    assert after["audit"] == AuditEntry.objects.count()
