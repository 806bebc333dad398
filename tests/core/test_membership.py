"""The whole membership life through the real actions: apply, decide, pay, leave, repay, rejoin,
transfer; and every refusal leaves the database exactly as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.coop.actions import adopt_policy
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from taawun.domain.money import Money
from taawun.domain.policy import founding_policy, parse
from taawun.members import actions as members
from taawun.members.models import (
    Application,
    CapitalEntry,
    Instalment,
    Membership,
    Repayment,
    ShareOperation,
)
from taawun.members.selectors import capital_balance, member_account, shares_held
from taawun.transparency.models import AuditEntry, Counter
from tests.conftest import TEST_CLASSES

from .helpers import START, Clock, actions_since, last_seq, unchanged

pytestmark = pytest.mark.django_db

ILS = "ILS"


def ils(amount: str) -> Money:
    return Money.of(amount, ILS)


def counters() -> dict[str, int]:
    return dict(Counter.objects.values_list("name", "last"))


def instalment_rows(membership: Membership) -> list[tuple[int, dt.date, Decimal, int | None, bool]]:
    return [
        (i.number, i.due_on, i.amount, i.receipt_number, i.cancelled_at is not None)
        for i in membership.instalments.order_by("number")
    ]


def pay(
    actor: User, membership: Membership, number: int, method: str = "cash", reference: str = ""
) -> Instalment:
    instalment = membership.instalments.get(number=number)
    return members.record_instalment_payment(
        actor=actor, instalment_id=instalment.pk, method=method, reference=reference
    )


# --- the whole life -------------------------------------------------------------------------


def test_membership_life_from_application_to_rejoining(
    clock: Clock, founder: User, make_account: Callable[..., User]
) -> None:
    person = make_account(name="ليلى حداد", email="layla@example.org")
    seq0 = last_seq()

    # apply
    application = members.apply_for_membership(
        actor=person, member_class="worker", motivation="  I clean.  "
    )
    application.refresh_from_db()
    assert (application.status, application.member_class, application.motivation) == (
        "pending",
        "worker",
        "I clean.",
    )
    assert (application.submitted_at, application.decided_at, application.policy_version) == (
        START,
        None,
        1,
    )

    # approve: member number 2 (the founder is 1), subscription 2 in the share register
    membership = members.approve_application(actor=founder, application_id=application.pk)
    membership.refresh_from_db()
    application.refresh_from_db()
    assert (application.status, application.decided_by, application.decided_at) == (
        "approved",
        founder,
        START,
    )
    assert (membership.number, membership.user, membership.application) == (2, person, application)
    assert (membership.status, membership.member_class, membership.joined_on) == (
        "active",
        "worker",
        dt.date(2030, 3, 1),
    )
    subscription = ShareOperation.objects.get(membership=membership)
    assert (subscription.register_number, subscription.kind, subscription.shares) == (
        2,
        "subscribe",
        2,
    )
    assert (subscription.nominal, subscription.currency, subscription.at) == (
        Decimal("200.00"),
        ILS,
        START,
    )
    assert (subscription.recorded_by, subscription.policy_version, subscription.counterparty) == (
        founder,
        1,
        None,
    )
    assert instalment_rows(membership) == [
        (1, dt.date(2030, 3, 1), Decimal("50.00"), None, False),
        (2, dt.date(2030, 3, 31), Decimal("50.00"), None, False),
        (3, dt.date(2030, 4, 30), Decimal("50.00"), None, False),
        (4, dt.date(2030, 5, 30), Decimal("50.00"), None, False),
    ]
    assert capital_balance(membership) == ils("0")
    assert shares_held(membership) == 2
    assert person.profile.display_name == "ليلى حداد"

    # pay two instalments: receipts 1 and 2, one capital entry each, balance exact
    clock.advance(days=1)
    # into the mobile wallet, which later repays the member
    first = pay(founder, membership, 1, method="wallet", reference="W-1")
    second = pay(founder, membership, 2, method="wallet", reference="  TX-991  ")
    assert (first.receipt_number, second.receipt_number) == (1, 2)
    second.refresh_from_db()
    assert (second.method, second.reference, second.recorded_by, second.paid_at) == (
        "wallet",
        "TX-991",
        founder,
        START + dt.timedelta(days=1),
    )
    assert list(
        CapitalEntry.objects.filter(membership=membership).values_list(
            "kind", "amount", "instalment__number"
        )
    ) == [("share_payment", Decimal("50.00"), 1), ("share_payment", Decimal("50.00"), 2)]
    assert capital_balance(membership) == ils("100.00")
    account = member_account(person, membership)
    assert (account.shares, account.capital, account.subscribed, account.paid, account.unpaid) == (
        2,
        ils("100"),
        ils("200"),
        ils("100"),
        ils("100"),
    )
    assert account.may_vote is True
    assert account.repayment is None

    # give notice (the member themself) on 2 March 2030
    membership = members.give_notice(actor=person, membership_id=membership.pk)
    membership.refresh_from_db()
    assert (membership.status, membership.notice_given_on) == ("leaving", dt.date(2030, 3, 2))

    # the 30-day notice runs until 1 April; a day early the sell-back is refused
    clock.advance(days=29)
    with unchanged(), pytest.raises(DomainError) as refused:
        members.sell_back(actor=founder, membership_id=membership.pk)
    assert (refused.value.code, refused.value.params) == ("notice_running", {"date": "2030-04-01"})

    clock.advance(days=1)
    repayment = members.sell_back(actor=founder, membership_id=membership.pk)
    repayment.refresh_from_db()
    membership.refresh_from_db()
    assert (membership.status, membership.left_on) == ("left", dt.date(2030, 4, 1))
    assert (repayment.amount, repayment.currency, repayment.due_on, repayment.paid_at) == (
        Decimal("100.00"),
        ILS,
        dt.date(2030, 6, 30),
        None,
    )
    sale = repayment.operation
    assert (sale.register_number, sale.kind, sale.shares, sale.nominal, sale.membership) == (
        3,
        "sell_back",
        2,
        Decimal("100.00"),
        membership,
    )
    assert instalment_rows(membership) == [
        (1, dt.date(2030, 3, 1), Decimal("50.00"), 1, False),
        (2, dt.date(2030, 3, 31), Decimal("50.00"), 2, False),
        (3, dt.date(2030, 4, 30), Decimal("50.00"), None, True),
        (4, dt.date(2030, 5, 30), Decimal("50.00"), None, True),
    ]
    assert shares_held(membership) == 0
    assert capital_balance(membership) == ils("100.00")  # owed until repaid

    # a cancelled instalment cannot be paid any more
    with unchanged(), pytest.raises(DomainError) as refused:
        pay(founder, membership, 3)
    assert refused.value.code == "cancelled"

    # repay: the capital account returns to zero
    clock.advance(days=10)
    repayment = members.record_repayment(
        actor=founder, membership_id=membership.pk, method="wallet", reference="W-7"
    )
    repayment.refresh_from_db()
    assert (repayment.paid_at, repayment.method, repayment.reference) == (
        START + dt.timedelta(days=41),
        "wallet",
        "W-7",
    )
    assert list(membership.capital_entries.values_list("kind", "amount")) == [
        ("share_payment", Decimal("50.00")),
        ("share_payment", Decimal("50.00")),
        ("repayment", Decimal("-100.00")),
    ]
    assert capital_balance(membership) == ils("0")
    with unchanged(), pytest.raises(DomainError) as refused:
        members.record_repayment(actor=founder, membership_id=membership.pk, method="cash")
    assert refused.value.code == "already_repaid"

    # rejoin: a new line in the member register, a new subscription in the share register
    again = members.apply_for_membership(actor=person, member_class="user")
    rejoined = members.approve_application(actor=founder, application_id=again.pk)
    rejoined.refresh_from_db()
    assert rejoined.pk != membership.pk
    assert (rejoined.number, rejoined.status, rejoined.member_class, rejoined.joined_on) == (
        3,
        "active",
        "user",
        dt.date(2030, 4, 11),
    )
    assert list(
        ShareOperation.objects.filter(membership=rejoined).values_list(
            "register_number", "kind", "nominal"
        )
    ) == [(4, "subscribe", Decimal("25.00"))]
    assert instalment_rows(rejoined) == [(1, dt.date(2030, 4, 11), Decimal("25.00"), None, False)]
    assert list(Membership.objects.filter(user=person).values_list("number", "status")) == [
        (2, "left"),
        (3, "active"),
    ]

    # the register numbers are gap-free and the log tells the whole story, in order
    assert list(Membership.objects.values_list("number", flat=True)) == [1, 2, 3]
    assert list(ShareOperation.objects.values_list("register_number", flat=True)) == [1, 2, 3, 4]
    assert counters() == {
        "audit": last_seq(),
        "member_register": 3,
        "share_register": 4,
        "receipt": 2,
        "journal": 4,  # two payments, the sell-back and the repayment
        "policy_version": 1,
        "rules": 10,  # the founding and each of the nine transactions listed below
    }
    assert actions_since(seq0) == [
        "application.submitted",
        "application.approved",
        "membership.admitted",
        "shares.subscribed",
        "instalment.paid",
        "instalment.paid",
        "membership.give_notice",
        "shares.sold_back",
        "membership.sell_back",
        "repayment.paid",
        "application.submitted",
        "application.approved",
        "membership.admitted",
        "shares.subscribed",
    ]


def test_member_numbers_and_receipts_are_gap_free(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    made = [make_member(paid=2), make_member("user", paid=1), make_member("supporter", paid=3)]
    assert [m.number for m in made] == [2, 3, 4]
    assert list(
        ShareOperation.objects.values_list("register_number", "membership__number", "nominal")
    ) == [
        (1, 1, Decimal("200.00")),
        (2, 2, Decimal("200.00")),
        (3, 3, Decimal("25.00")),
        (4, 4, Decimal("100.00")),
    ]
    assert list(
        Instalment.objects.filter(receipt_number__isnull=False)
        .order_by("receipt_number")
        .values_list("receipt_number", "membership__number", "number", "amount")
    ) == [
        (1, 2, 1, Decimal("50.00")),
        (2, 2, 2, Decimal("50.00")),
        (3, 3, 1, Decimal("25.00")),
        (4, 4, 1, Decimal("33.34")),
        (5, 4, 2, Decimal("33.33")),
        (6, 4, 3, Decimal("33.33")),
    ]
    assert [capital_balance(m) for m in made] == [ils("100"), ils("25"), ils("100")]


def test_sell_back_with_waived_notice_and_nothing_paid(
    clock: Clock, founder: User, make_member: Callable[..., Membership]
) -> None:
    membership = make_member()
    members.give_notice(actor=founder, membership_id=membership.pk)  # the board may give it
    repayment = members.sell_back(actor=founder, membership_id=membership.pk, waive_notice=True)
    repayment.refresh_from_db()
    assert (repayment.amount, repayment.due_on) == (Decimal("0.00"), dt.date(2030, 5, 30))
    assert repayment.operation.shares == 2
    assert membership.instalments.filter(cancelled_at=START).count() == 4
    seq = last_seq()
    members.record_repayment(actor=founder, membership_id=membership.pk, method="cash")
    assert actions_since(seq) == ["repayment.paid"]
    assert not membership.capital_entries.exists()  # nothing paid, nothing to book back


def test_sell_back_needs_notice_first(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    membership = make_member(paid=4)
    for waive in (False, True):
        with unchanged(), pytest.raises(DomainError) as refused:
            members.sell_back(actor=founder, membership_id=membership.pk, waive_notice=waive)
        assert (refused.value.code, refused.value.params) == (
            "invalid_transition",
            {"status": "active"},
        )


def test_withdrawing_notice(clock: Clock, make_member: Callable[..., Membership]) -> None:
    membership = make_member()
    members.give_notice(actor=membership.user, membership_id=membership.pk)
    with unchanged(), pytest.raises(DomainError) as refused:
        members.give_notice(actor=membership.user, membership_id=membership.pk)
    assert refused.value.code == "invalid_transition"
    members.withdraw_notice(actor=membership.user, membership_id=membership.pk)
    membership.refresh_from_db()
    assert (membership.status, membership.notice_given_on) == ("active", None)
    with unchanged(), pytest.raises(DomainError) as refused:
        members.withdraw_notice(actor=membership.user, membership_id=membership.pk)
    assert refused.value.code == "invalid_transition"


def test_second_payment_of_an_instalment_is_refused(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    membership = make_member(paid=1)
    with unchanged(), pytest.raises(DomainError) as refused:
        pay(founder, membership, 1)
    assert refused.value.code == "already_paid"


@pytest.mark.parametrize(
    ("method", "reference", "code"),
    [
        ("cheque", "", "bad_method"),
        ("bank", "   ", "reference_required"),
        ("wallet", "", "reference_required"),
    ],
)
def test_payment_method_checks(
    founder: User, make_member: Callable[..., Membership], method: str, reference: str, code: str
) -> None:
    membership = make_member()
    with unchanged(), pytest.raises(InvalidInput) as refused:
        pay(founder, membership, 1, method=method, reference=reference)
    assert refused.value.code == code


def test_unknown_ids_are_refused(founder: User, coop: object) -> None:
    calls = [
        lambda: members.approve_application(actor=founder, application_id=999_999),
        lambda: members.record_instalment_payment(
            actor=founder, instalment_id=999_999, method="cash"
        ),
        lambda: members.give_notice(actor=founder, membership_id=999_999),
        lambda: members.sell_back(actor=founder, membership_id=999_999),
        lambda: members.record_repayment(actor=founder, membership_id=999_999, method="cash"),
        lambda: members.transfer_shares(
            actor=founder, from_membership_id=999_998, to_membership_id=999_999
        ),
    ]
    for call in calls:
        with unchanged(), pytest.raises(NotFound) as refused:
            call()
        assert refused.value.code == "not_found"


def test_record_repayment_without_sell_back_is_refused(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    membership = make_member(paid=4)
    with unchanged(), pytest.raises(NotFound) as refused:
        members.record_repayment(actor=founder, membership_id=membership.pk, method="cash")
    assert refused.value.code == "not_found"


# --- applications: refuse, withdraw, re-apply ---------------------------------------------------


def test_refusal_needs_a_reason_and_is_final(
    clock: Clock, founder: User, make_applicant: Callable[..., Application]
) -> None:
    application = make_applicant()
    for reason in ("", "   "):
        with unchanged(), pytest.raises(InvalidInput) as refused:
            members.refuse_application(actor=founder, application_id=application.pk, reason=reason)
        assert refused.value.code == "reason_required"
    members.refuse_application(
        actor=founder, application_id=application.pk, reason="  Too many members.  "
    )
    application.refresh_from_db()
    assert (
        application.status,
        application.decision_reason,
        application.decided_by,
        application.decided_at,
    ) == ("refused", "Too many members.", founder, START)
    for call in (
        lambda: members.approve_application(actor=founder, application_id=application.pk),
        lambda: members.refuse_application(
            actor=founder, application_id=application.pk, reason="again"
        ),
        lambda: members.withdraw_application(actor=application.user, application_id=application.pk),
    ):
        with unchanged(), pytest.raises(DomainError) as refused:
            call()
        assert (refused.value.code, refused.value.params) == (
            "application_decided",
            {"status": "refused"},
        )
    assert not Membership.objects.filter(user=application.user).exists()
    # a refused person may apply again
    assert (
        members.apply_for_membership(actor=application.user, member_class="user").status
        == "pending"
    )


def test_withdrawal_by_the_applicant_only(
    clock: Clock,
    founder: User,
    make_applicant: Callable[..., Application],
    make_account: Callable[..., User],
) -> None:
    application = make_applicant()
    for other in (make_account(), founder):
        with unchanged(), pytest.raises(NotAllowed) as refused:
            members.withdraw_application(actor=other, application_id=application.pk)
        assert refused.value.code == "forbidden"
    members.withdraw_application(actor=application.user, application_id=application.pk)
    application.refresh_from_db()
    assert (application.status, application.decided_at, application.decided_by) == (
        "withdrawn",
        START,
        None,
    )
    with unchanged(), pytest.raises(DomainError) as refused:
        members.approve_application(actor=founder, application_id=application.pk)
    assert refused.value.code == "application_decided"


def test_apply_refusals(
    founder: User, make_member: Callable[..., Membership], make_account: Callable[..., User]
) -> None:
    member = make_member()
    with unchanged(), pytest.raises(DomainError) as refused:
        members.apply_for_membership(actor=member.user, member_class="user")
    assert refused.value.code == "already_member"
    with unchanged(), pytest.raises(DomainError) as refused:
        members.apply_for_membership(actor=founder, member_class="worker")
    assert refused.value.code == "already_member"
    person = make_account()
    members.apply_for_membership(actor=person, member_class="worker")
    with unchanged(), pytest.raises(DomainError) as refused:
        members.apply_for_membership(actor=person, member_class="user")
    assert refused.value.code == "application_pending"
    newcomer = make_account()
    with unchanged(), pytest.raises(InvalidInput) as refused:
        members.apply_for_membership(actor=newcomer, member_class="founder")
    assert (refused.value.code, refused.value.params) == (
        "unknown_member_class",
        {"key": "founder"},
    )


def test_admission_by_vote_refuses_board_decisions(
    founder: User, make_applicant: Callable[..., Application]
) -> None:
    application = make_applicant()
    adopt_policy(
        actor=founder,
        policy=founding_policy(currency=ILS, classes=TEST_CLASSES, admission_by="vote"),
        reason="members decided to vote on admissions",
    )
    for call in (
        lambda: members.approve_application(actor=founder, application_id=application.pk),
        lambda: members.refuse_application(
            actor=founder, application_id=application.pk, reason="no"
        ),
    ):
        with unchanged(), pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == "admission_by_vote"
    application.refresh_from_db()
    assert application.status == "pending"


# --- transfers --------------------------------------------------------------------------------


def test_transfer_of_fully_paid_shares(
    clock: Clock, founder: User, make_member: Callable[..., Membership]
) -> None:
    giver = make_member(paid=4)
    receiver = make_member(paid=1)
    seq = last_seq()
    operation = members.transfer_shares(
        actor=founder, from_membership_id=giver.pk, to_membership_id=receiver.pk
    )
    operation.refresh_from_db()
    giver.refresh_from_db()
    assert (
        operation.register_number,
        operation.kind,
        operation.membership,
        operation.counterparty,
    ) == (4, "transfer", giver, receiver)
    assert (
        operation.shares,
        operation.nominal,
        operation.recorded_by,
        operation.policy_version,
    ) == (2, Decimal("200.00"), founder, 1)
    assert (giver.status, giver.left_on) == ("left", dt.date(2030, 3, 1))
    assert list(
        operation.capital_entries.order_by("amount").values_list("membership", "kind", "amount")
    ) == [
        (giver.pk, "transfer_out", Decimal("-200.00")),
        (receiver.pk, "transfer_in", Decimal("200.00")),
    ]
    assert (capital_balance(giver), shares_held(giver)) == (ils("0"), 0)
    assert (capital_balance(receiver), shares_held(receiver)) == (ils("250.00"), 4)
    assert not Repayment.objects.exists()  # the co-op owes the transferor nothing
    assert actions_since(seq) == ["shares.transferred", "membership.transfer_out"]


def test_transfer_from_a_leaving_member(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    giver, receiver = make_member(paid=4), make_member()
    members.give_notice(actor=giver.user, membership_id=giver.pk)
    members.transfer_shares(
        actor=founder, from_membership_id=giver.pk, to_membership_id=receiver.pk
    )
    giver.refresh_from_db()
    assert giver.status == "left"


def test_transfer_refusals(founder: User, make_member: Callable[..., Membership]) -> None:
    paid = make_member(paid=4)
    unpaid = make_member(paid=3)
    user_class = make_member("user", paid=1)
    leaving = make_member(paid=4)
    members.give_notice(actor=leaving.user, membership_id=leaving.pk)
    gone = make_member(paid=4)
    members.give_notice(actor=gone.user, membership_id=gone.pk)
    members.sell_back(actor=founder, membership_id=gone.pk, waive_notice=True)

    cases = [
        (paid, paid, "same_member"),
        (paid, user_class, "class_mismatch"),
        (unpaid, paid, "not_fully_paid"),
        (paid, leaving, "receiver_inactive"),
        (paid, gone, "receiver_inactive"),
        (gone, paid, "invalid_transition"),
    ]
    for giver, receiver, code in cases:
        with unchanged(), pytest.raises(DomainError) as refused:
            members.transfer_shares(
                actor=founder, from_membership_id=giver.pk, to_membership_id=receiver.pk
            )
        assert refused.value.code == code


def test_transfers_closed_by_policy(founder: User, make_member: Callable[..., Membership]) -> None:
    giver, receiver = make_member(paid=4), make_member(paid=4)
    document = founding_policy(currency=ILS, classes=TEST_CLASSES).to_document()
    document["membership"]["transfers_allowed"] = False
    adopt_policy(actor=founder, policy=parse(document), reason="no transfers")
    with unchanged(), pytest.raises(DomainError) as refused:
        members.transfer_shares(
            actor=founder, from_membership_id=giver.pk, to_membership_id=receiver.pk
        )
    assert refused.value.code == "transfers_closed"


# --- permissions ------------------------------------------------------------------------------


def test_only_the_board_decides_pays_and_settles(
    founder: User,
    make_member: Callable[..., Membership],
    make_applicant: Callable[..., Application],
    make_account: Callable[..., User],
) -> None:
    application = make_applicant()
    member = make_member(paid=4)
    leaving = make_member(paid=4)
    members.give_notice(actor=leaving.user, membership_id=leaving.pk)
    also_leaving = make_member(paid=4)
    members.give_notice(actor=also_leaving.user, membership_id=also_leaving.pk)
    other = make_member(paid=1)
    sold = make_member(paid=1)
    members.give_notice(actor=sold.user, membership_id=sold.pk)
    members.sell_back(actor=founder, membership_id=sold.pk, waive_notice=True)
    admin_only = make_account()
    grant_role(actor=founder, user=admin_only, role=Role.ADMIN, policy_version=1)
    outsiders = [make_account(), other.user, leaving.user, admin_only, application.user]
    unpaid = other.instalments.get(number=2)

    calls = [
        lambda a: members.approve_application(actor=a, application_id=application.pk),
        lambda a: members.refuse_application(actor=a, application_id=application.pk, reason="no"),
        lambda a: members.record_instalment_payment(
            actor=a, instalment_id=unpaid.pk, method="cash"
        ),
        lambda a: members.sell_back(actor=a, membership_id=leaving.pk, waive_notice=True),
        lambda a: members.record_repayment(actor=a, membership_id=sold.pk, method="cash"),
        lambda a: members.transfer_shares(
            actor=a, from_membership_id=leaving.pk, to_membership_id=member.pk
        ),
        lambda a: members.give_notice(actor=a, membership_id=member.pk),
        lambda a: members.withdraw_notice(actor=a, membership_id=also_leaving.pk),
    ]
    for actor in outsiders:
        for call in calls:
            with unchanged(), pytest.raises(NotAllowed) as refused:
                call(actor)
            assert (refused.value.code, refused.value.status) == ("forbidden", 403)


def test_a_member_gives_only_their_own_notice(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    alice, bob = make_member(), make_member()
    with unchanged(), pytest.raises(NotAllowed):
        members.give_notice(actor=alice.user, membership_id=bob.pk)
    assert members.give_notice(actor=bob.user, membership_id=bob.pk).status == "leaving"
    assert members.give_notice(actor=founder, membership_id=alice.pk).status == "leaving"


# --- gap-free numbers survive a failure inside the transaction ---------------------------------


def _fail_on(monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    real = members.record

    def failing(**kwargs: object):  # type: ignore[no-untyped-def]
        if kwargs["action"] == action:
            raise RuntimeError("simulated crash")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(members, "record", failing)


def _numbers_given_back(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    make_applicant: Callable[..., Application],
    make_member: Callable[..., Membership],
) -> None:
    payer = make_member()
    applications = [make_applicant(), make_applicant()]
    seq = last_seq()
    # crash after the member number, the register number and two audit numbers were drawn
    _fail_on(monkeypatch, "shares.subscribed")
    with unchanged(), pytest.raises(RuntimeError):
        members.approve_application(actor=founder, application_id=applications[0].pk)
    # crash after the receipt number was drawn
    _fail_on(monkeypatch, "instalment.paid")
    with unchanged(), pytest.raises(RuntimeError):
        pay(founder, payer, 1)
    monkeypatch.undo()

    second = members.approve_application(actor=founder, application_id=applications[1].pk)
    first = members.approve_application(actor=founder, application_id=applications[0].pk)
    receipt = pay(founder, payer, 1).receipt_number
    assert (second.number, first.number, receipt) == (3, 4, 1)
    assert list(ShareOperation.objects.values_list("register_number", flat=True)) == [1, 2, 3, 4]
    assert list(ShareOperation.objects.values_list("membership__number", flat=True)) == [1, 2, 3, 4]
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(actions_since(seq)) == 7


def test_a_failed_operation_gives_its_numbers_back(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    make_applicant: Callable[..., Application],
    make_member: Callable[..., Membership],
) -> None:
    _numbers_given_back(monkeypatch, founder, make_applicant, make_member)


@pytest.mark.django_db(transaction=True)
def test_a_failed_operation_gives_its_numbers_back_when_committing(
    monkeypatch: pytest.MonkeyPatch,
    founder: User,
    make_applicant: Callable[..., Application],
    make_member: Callable[..., Membership],
) -> None:
    """The same with real commits and rollbacks (no test transaction around the actions)."""
    _numbers_given_back(monkeypatch, founder, make_applicant, make_member)
