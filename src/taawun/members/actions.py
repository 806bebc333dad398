"""Every write to membership: apply, decide, admit, pay, transfer, leave, repay, profile.

Each action is atomic, checks the actor's rights itself, records the policy version it ran
under and writes one audit entry per operation. Rows that two people might act on at once are
locked first, so of two approvals or two payments exactly one wins.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from taawun.accounts.actions import note_consent
from taawun.accounts.models import Consent, Role, User
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy
from taawun.domain import shares
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, Term, gettext_noop
from taawun.domain.money import Money
from taawun.ledger.actions import Leg, payment_account, post
from taawun.ledger.models import EntryKind
from taawun.transparency.audit import next_number, record

from .models import (
    Application,
    CapitalEntry,
    Instalment,
    Membership,
    PaymentMethod,
    Profile,
    Repayment,
    ShareOperation,
    Visibility,
)
from .selectors import capital_balance, shares_held


def _current_membership(user: User) -> Membership | None:
    return Membership.objects.filter(user=user).exclude(status=Membership.Status.LEFT).first()


@transaction.atomic
def apply_for_membership(*, actor: User, member_class: str, motivation: str = "") -> Application:
    current = current_policy()
    current.policy.member_class(member_class)
    if _current_membership(actor) is not None:
        raise DomainError("already_member", gettext_noop("You are already a member."))
    pending = DomainError(
        "application_pending", gettext_noop("You already have an application waiting.")
    )
    if Application.objects.filter(user=actor, status=Application.Status.PENDING).exists():
        raise pending
    try:
        with transaction.atomic():  # a double submission at the same moment: the constraint
            application = Application.objects.create(  # refuses the second one
                user=actor,
                member_class=member_class,
                motivation=motivation.strip(),
                submitted_at=timezone.now(),
                policy_version=current.number,
            )
    except IntegrityError:
        raise pending from None
    record(
        actor_id=actor.pk,
        action="application.submitted",
        subject_type="application",
        subject_id=application.pk,
        policy_version=current.number,
        after={"member_class": member_class, "status": application.status},
    )
    return application


def _locked_pending(application_id: int) -> Application:
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise NotFound("not_found", gettext_noop("No such application."))
    if application.status != Application.Status.PENDING:
        raise DomainError(
            "application_decided",
            gettext_noop("This application has already been decided (%(status)s)."),
            status=Term(application.status),
        )
    return application


@transaction.atomic
def withdraw_application(*, actor: User, application_id: int) -> Application:
    application = _locked_pending(application_id)
    if application.user_id != actor.pk:
        raise NotAllowed("forbidden", gettext_noop("You do not have permission to do this."))
    application.status = Application.Status.WITHDRAWN
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    record(
        actor_id=actor.pk,
        action="application.withdrawn",
        subject_type="application",
        subject_id=application.pk,
        policy_version=current_policy().number,
        before={"status": "pending"},
        after={"status": application.status},
    )
    return application


def _require_board_admission() -> None:
    if current_policy().policy.membership.admission_by != "board":
        raise DomainError(
            "admission_by_vote",
            gettext_noop("Under the co-op's policy, applications are decided by a member vote."),
        )


@transaction.atomic
def approve_application(*, actor: User, application_id: int) -> Membership:
    require_role(actor, Role.BOARD)
    _require_board_admission()
    application = _locked_pending(application_id)
    if _current_membership(application.user) is not None:
        raise DomainError("already_member", gettext_noop("This person is already a member."))
    application.status = Application.Status.APPROVED
    application.decided_at = timezone.now()
    application.decided_by = actor
    application.save(update_fields=["status", "decided_at", "decided_by"])
    # _admit records the approval first among its entries, after its rows are written: every
    # action draws its register numbers before the audit number (one lock order, no deadlock).
    return _admit(
        user=application.user,
        member_class=application.member_class,
        application=application,
        actor=actor,
    )


@transaction.atomic
def refuse_application(*, actor: User, application_id: int, reason: str) -> Application:
    require_role(actor, Role.BOARD)
    _require_board_admission()
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            "reason_required", gettext_noop("Give the applicant the reason for the refusal.")
        )
    application = _locked_pending(application_id)
    application.status = Application.Status.REFUSED
    application.decided_at = timezone.now()
    application.decided_by = actor
    application.decision_reason = reason
    application.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    record(
        actor_id=actor.pk,
        action="application.refused",
        subject_type="application",
        subject_id=application.pk,
        policy_version=current_policy().number,
        before={"status": "pending"},
        after={"status": application.status},
    )
    return application


@transaction.atomic
def decide_application_by_vote(*, application_id: int, admitted: bool, decision: int) -> None:
    """Admit or refuse an applicant as the members decided in vote ``decision`` (where the
    policy has applications decided by a vote)."""
    if current_policy().policy.membership.admission_by != "vote":
        raise DomainError(
            "admission_by_board", gettext_noop("Under the co-op's policy, the board admits.")
        )
    application = _locked_pending(application_id)
    application.decided_at = timezone.now()
    if admitted and _current_membership(application.user) is None:
        application.status = Application.Status.APPROVED
        application.save(update_fields=["status", "decided_at"])
        _admit(
            user=application.user,
            member_class=application.member_class,
            application=application,
            actor=None,
        )
        return
    application.status = Application.Status.REFUSED
    application.decision_reason = f"decision #{decision}"
    application.save(update_fields=["status", "decided_at", "decision_reason"])
    record(
        actor_id=None,
        action="application.refused",
        subject_type="application",
        subject_id=application.pk,
        policy_version=current_policy().number,
        before={"status": "pending"},
        after={"status": application.status, "decision": decision},
    )


def admit_founder(*, user: User, member_class: str) -> Membership:
    """Founders become members at the founding assembly, without an application."""
    return _admit(user=user, member_class=member_class, application=None, actor=user)


def _admit(
    *, user: User, member_class: str, application: Application | None, actor: User | None
) -> Membership:
    """Enter the member register and subscribe the class's shares, payable in instalments."""
    current = current_policy()
    policy = current.policy
    terms = policy.member_class(member_class)
    now = timezone.now()
    today = timezone.localdate(now)
    membership = Membership.objects.create(
        user=user,
        application=application,
        number=next_number("member_register"),
        member_class=member_class,
        status=Membership.Status.ACTIVE,
        joined_on=today,
    )
    total = policy.share_total(member_class)
    operation = _register(
        ShareOperation.Kind.SUBSCRIBE,
        membership,
        terms.shares_required,
        total,
        actor,
        current.number,
    )
    Instalment.objects.bulk_create(
        Instalment(
            membership=membership,
            number=planned.number,
            due_on=planned.due,
            amount=planned.amount.amount,
            currency=planned.amount.currency,
        )
        for planned in shares.instalment_plan(policy, member_class, today)
    )
    Profile.objects.get_or_create(user=user, defaults={"display_name": user.get_full_name()})
    if application is not None:
        record(
            actor_id=actor.pk if actor else None,
            action="application.approved",
            subject_type="application",
            subject_id=application.pk,
            policy_version=current.number,
            before={"status": "pending"},
            after={"status": application.status},
        )
    record(
        actor_id=actor.pk if actor else None,
        action="membership.admitted",
        subject_type="membership",
        subject_id=membership.number,
        policy_version=current.number,
        after={"member_class": member_class, "joined_on": today, "account": user.pk},
    )
    record(
        actor_id=actor.pk if actor else None,
        action="shares.subscribed",
        subject_type="share_register",
        subject_id=operation.register_number,
        policy_version=current.number,
        after={
            "member": membership.number,
            "shares": operation.shares,
            "nominal": total.amount,
            "currency": total.currency,
            "instalments": terms.instalments,
        },
    )
    return membership


def _register(
    kind: str,
    membership: Membership,
    count: int,
    nominal: Money,
    actor: User | None,
    policy_version: int,
    *,
    at: dt.datetime | None = None,
    counterparty: Membership | None = None,
) -> ShareOperation:
    """Write the next line of the share register (its number drawn without gaps)."""
    return ShareOperation.objects.create(
        register_number=next_number("share_register"),
        kind=kind,
        membership=membership,
        counterparty=counterparty,
        shares=count,
        nominal=nominal.amount,
        currency=nominal.currency,
        at=at or timezone.now(),
        recorded_by=actor,
        policy_version=policy_version,
    )


def _check_method(method: str, reference: str) -> None:
    payment_account(method)  # refuses an unknown method
    if method != PaymentMethod.CASH and not reference.strip():
        raise InvalidInput(
            "reference_required",
            gettext_noop("A bank or wallet payment needs its transaction reference."),
        )


@transaction.atomic
def record_instalment_payment(
    *, actor: User, instalment_id: int, method: str, reference: str = ""
) -> Instalment:
    """The treasurer records a share instalment as paid; a second recording is refused."""
    require_role(actor, Role.BOARD)
    _check_method(method, reference)
    membership_id = (
        Instalment.objects.filter(pk=instalment_id).values_list("membership", flat=True).first()
    )
    if membership_id is None:
        raise NotFound("not_found", gettext_noop("No such instalment."))
    # The member first, as a sell-back does, so a payment and a sell-back queue, never deadlock.
    _locked_membership(membership_id)
    instalment = (
        Instalment.objects.select_for_update(of=("self",))
        .select_related("membership")
        .get(pk=instalment_id)
    )
    if instalment.paid_at is not None:
        raise DomainError("already_paid", gettext_noop("This instalment has already been paid."))
    if instalment.cancelled_at is not None:
        raise DomainError("cancelled", gettext_noop("This instalment was cancelled."))
    now = timezone.now()
    instalment.paid_at = now
    instalment.method = method
    instalment.reference = reference.strip()
    instalment.receipt_number = next_number("receipt")
    instalment.recorded_by = actor
    instalment.save(
        update_fields=["paid_at", "method", "reference", "receipt_number", "recorded_by"]
    )
    CapitalEntry.objects.create(
        membership=instalment.membership,
        kind=CapitalEntry.Kind.SHARE_PAYMENT,
        amount=instalment.amount,
        currency=instalment.currency,
        at=now,
        instalment=instalment,
    )
    paid = Money(instalment.amount, instalment.currency)
    entry = post(
        actor=actor,
        kind=EntryKind.SHARE_PAYMENT,
        legs=[Leg.debit(payment_account(method), paid), Leg.credit("share_capital", paid)],
        memo=f"receipt {instalment.receipt_number}",
        member=instalment.membership,
        standalone=False,
    )
    record(
        actor_id=actor.pk,
        action="instalment.paid",
        subject_type="instalment",
        subject_id=instalment.pk,
        policy_version=current_policy().number,
        before={"paid": False},
        after={
            "member": instalment.membership.number,
            "number": instalment.number,
            "amount": Money(instalment.amount, instalment.currency).amount,  # currency's scale
            "currency": instalment.currency,
            "method": method,
            "receipt": instalment.receipt_number,
            "journal": entry.number,
        },
    )
    return instalment


def _locked_membership(membership_id: int) -> Membership:
    # NO KEY: rows of the books that point at the member (their accounts) may still be written.
    membership = (
        Membership.objects.select_for_update(of=("self",), no_key=True)
        .select_related("user")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound("not_found", gettext_noop("No such member."))
    return membership


def _self_or_board(actor: User, membership: Membership) -> None:
    if membership.user_id != actor.pk:
        require_role(actor, Role.BOARD)


@transaction.atomic
def give_notice(*, actor: User, membership_id: int) -> Membership:
    """A member announces they will leave; the policy's notice period starts today."""
    membership = _locked_membership(membership_id)
    _self_or_board(actor, membership)
    return _move(actor, membership, "give_notice", notice_given_on=timezone.localdate())


@transaction.atomic
def withdraw_notice(*, actor: User, membership_id: int) -> Membership:
    membership = _locked_membership(membership_id)
    _self_or_board(actor, membership)
    return _move(actor, membership, "withdraw_notice", notice_given_on=None)


def _move(actor: User, membership: Membership, operation: str, **changes: Any) -> Membership:
    before = membership.status
    membership.status = shares.next_status(before, operation)
    for field, value in changes.items():
        setattr(membership, field, value)
    membership.save(update_fields=["status", *changes])
    record(
        actor_id=actor.pk,
        action=f"membership.{operation}",
        subject_type="membership",
        subject_id=membership.number,
        policy_version=current_policy().number,
        before={"status": before},
        after={"status": membership.status, **changes},
    )
    return membership


def _cancel_unpaid(membership: Membership, now: Any) -> int:
    return membership.instalments.filter(paid_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now
    )


@transaction.atomic
def sell_back(*, actor: User, membership_id: int, waive_notice: bool = False) -> Repayment:
    """The board confirms a departure: the shares return to the co-op and the paid-in capital
    becomes a repayment due within the policy's delay."""
    require_role(actor, Role.BOARD)
    membership = _locked_membership(membership_id)
    current = current_policy()
    policy = current.policy
    today = timezone.localdate()
    if membership.status == Membership.Status.LEAVING and not waive_notice:
        assert membership.notice_given_on is not None
        ends = membership.notice_given_on + dt.timedelta(days=policy.membership.exit_notice_days)
        if today < ends:
            raise DomainError(
                "notice_running",
                gettext_noop("The notice period runs until %(date)s."),
                date=ends.isoformat(),
            )
    shares.next_status(membership.status, "sell_back")
    held = shares_held(membership)
    owed = capital_balance(membership)
    now = timezone.now()
    operation = _register(
        ShareOperation.Kind.SELL_BACK, membership, held, owed, actor, current.number, at=now
    )
    cancelled = _cancel_unpaid(membership, now)
    repayment = Repayment.objects.create(
        membership=membership,
        operation=operation,
        amount=owed.amount,
        currency=owed.currency,
        due_on=shares.repayment_due(policy, today),
    )
    journal = None
    if not owed.is_zero:
        journal = post(
            actor=actor,
            kind=EntryKind.SHARE_SELL_BACK,
            legs=[Leg.debit("share_capital", owed), Leg.credit("repayments_due", owed)],
            member=membership,
            policy_version=current.number,
            standalone=False,
        ).number
    record(
        actor_id=actor.pk,
        action="shares.sold_back",
        subject_type="share_register",
        subject_id=operation.register_number,
        policy_version=current.number,
        after={
            "member": membership.number,
            "shares": held,
            "owed": owed.amount,
            "currency": owed.currency,
            "due_on": repayment.due_on,
            "instalments_cancelled": cancelled,
            "notice_waived": waive_notice,
            "journal": journal,
        },
    )
    _move(actor, membership, "sell_back", left_on=today)
    return repayment


@transaction.atomic
def record_repayment(
    *, actor: User, membership_id: int, method: str, reference: str = ""
) -> Repayment:
    """The treasurer pays a former member back; the capital account returns to zero."""
    require_role(actor, Role.BOARD)
    _check_method(method, reference)
    repayment = (
        Repayment.objects.select_for_update(of=("self",))
        .select_related("membership")
        .filter(membership_id=membership_id)
        .first()
    )
    if repayment is None:
        raise NotFound("not_found", gettext_noop("Nothing is owed to this member."))
    if repayment.paid_at is not None:
        raise DomainError("already_repaid", gettext_noop("This repayment has already been made."))
    now = timezone.now()
    repayment.paid_at = now
    repayment.method = method
    repayment.reference = reference.strip()
    repayment.save(update_fields=["paid_at", "method", "reference"])
    journal = None
    if repayment.amount:
        CapitalEntry.objects.create(
            membership=repayment.membership,
            kind=CapitalEntry.Kind.REPAYMENT,
            amount=-repayment.amount,
            currency=repayment.currency,
            at=now,
            operation=repayment.operation,
        )
        repaid = Money(repayment.amount, repayment.currency)
        journal = post(
            actor=actor,
            kind=EntryKind.SHARE_REPAYMENT,
            legs=[Leg.debit("repayments_due", repaid), Leg.credit(payment_account(method), repaid)],
            memo=reference.strip()[:80],
            member=repayment.membership,
            standalone=False,
        ).number
    record(
        actor_id=actor.pk,
        action="repayment.paid",
        subject_type="membership",
        subject_id=repayment.membership.number,
        policy_version=current_policy().number,
        before={"paid": False},
        after={
            "amount": Money(repayment.amount, repayment.currency).amount,
            "currency": repayment.currency,
            "method": method,
            "journal": journal,
        },
    )
    return repayment


@transaction.atomic
def transfer_shares(
    *, actor: User, from_membership_id: int, to_membership_id: int
) -> ShareOperation:
    """The board records a transfer of a leaving member's fully paid shares to another member of
    the same class; the transferor leaves the register with nothing owed by the co-op."""
    require_role(actor, Role.BOARD)
    current = current_policy()
    if not current.policy.membership.transfers_allowed:
        raise DomainError(
            "transfers_closed", gettext_noop("The co-op's policy does not allow share transfers.")
        )
    if from_membership_id == to_membership_id:
        raise InvalidInput("same_member", gettext_noop("Choose two different members."))
    first, second = sorted([from_membership_id, to_membership_id])  # lock in one order: no deadlock
    locked = {m.pk: m for m in (_locked_membership(first), _locked_membership(second))}
    giver, receiver = locked[from_membership_id], locked[to_membership_id]
    if receiver.status != Membership.Status.ACTIVE:
        raise DomainError(
            "receiver_inactive", gettext_noop("Shares can only go to an active member.")
        )
    if giver.member_class != receiver.member_class:
        raise DomainError("class_mismatch", gettext_noop("Both members must be of the same class."))
    shares.next_status(giver.status, "transfer_out")
    if giver.instalments.filter(paid_at__isnull=True, cancelled_at__isnull=True).exists():
        raise DomainError(
            "not_fully_paid", gettext_noop("Only fully paid shares can be transferred.")
        )
    held = shares_held(giver)
    value = capital_balance(giver)
    now = timezone.now()
    operation = _register(
        ShareOperation.Kind.TRANSFER,
        giver,
        held,
        value,
        actor,
        current.number,
        at=now,
        counterparty=receiver,
    )
    CapitalEntry.objects.bulk_create(
        [
            CapitalEntry(
                membership=giver,
                kind=CapitalEntry.Kind.TRANSFER_OUT,
                amount=-value.amount,
                currency=value.currency,
                at=now,
                operation=operation,
            ),
            CapitalEntry(
                membership=receiver,
                kind=CapitalEntry.Kind.TRANSFER_IN,
                amount=value.amount,
                currency=value.currency,
                at=now,
                operation=operation,
            ),
        ]
    )
    record(
        actor_id=actor.pk,
        action="shares.transferred",
        subject_type="share_register",
        subject_id=operation.register_number,
        policy_version=current.number,
        after={"from": giver.number, "to": receiver.number, "shares": held, "value": value.amount},
    )
    _move(actor, giver, "transfer_out", left_on=timezone.localdate())
    return operation


PROFILE_FIELDS = (
    "display_name",
    "phone",
    "city",
    "skills",
    "bio",
    "show_in_directory",
    "name_visibility",
    "email_visibility",
    "phone_visibility",
    "city_visibility",
    "skills_visibility",
    "bio_visibility",
)


@transaction.atomic
def update_profile(*, actor: User, **changes: Any) -> Profile:
    """A person edits their own directory entry and chooses who sees each field."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(
            "unknown_field", gettext_noop("Unknown field %(field)s."), field=sorted(unknown)[0]
        )
    for field, value in changes.items():
        if field.endswith("_visibility") and value not in Visibility.values:
            raise InvalidInput("bad_visibility", gettext_noop("Choose who may see this field."))
    if "display_name" in changes and not str(changes["display_name"]).strip():
        raise InvalidInput("name_required", gettext_noop("Enter the name to show."))
    profile, _created = Profile.objects.select_for_update().get_or_create(
        user=actor, defaults={"display_name": actor.get_full_name()}
    )
    listed = profile.show_in_directory
    for field, value in changes.items():
        setattr(profile, field, value.strip() if isinstance(value, str) else value)
    profile.full_clean()
    profile.save()
    if profile.show_in_directory != listed:  # a consent given or withdrawn: keep its record
        note_consent(user=actor, topic=Consent.Topic.DIRECTORY, given=profile.show_in_directory)
    record(
        actor_id=actor.pk,
        action="profile.updated",
        subject_type="account",
        subject_id=actor.pk,
        policy_version=current_policy().number,
        after={"fields": sorted(changes)},
    )
    return profile
