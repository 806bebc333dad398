"""The federation's actions on their own: consent that comes too late, a delivery without a
credit line, and giving back a transfer more than once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from taawun.accounts.models import User
from taawun.domain.errors import DomainError
from taawun.federation import actions, inbox
from taawun.federation.models import CreditTransfer, Outbound, Peer, Referral
from taawun.market.actions import advance
from taawun.market.models import OrderEvent, Status
from taawun.transparency.models import AuditEntry

from .conftest import incoming_referral, trip_order


def test_consent_after_the_order_was_cancelled_sends_nothing(
    founder: User, makers: Peer, customer: User
) -> None:
    order = trip_order(customer)
    referral = actions.propose_referral(actor=founder, order_id=order.pk, peer_id=makers.pk)
    advance(
        order=order,
        actor=customer,
        to=Status.CANCELLED,
        allowed_from=[Status.REQUESTED],
        event=OrderEvent.Kind.CANCELLED,
    )

    with pytest.raises(DomainError) as refused:
        actions.answer_consent(actor=customer, referral_id=referral.id, consent=True)

    assert refused.value.code == "not_referable"
    referral.refresh_from_db()
    assert (referral.status, referral.contact) == (Referral.Status.AWAITING_CONSENT, "")
    assert not Outbound.objects.exists()


def test_work_delivered_without_a_credit_line_is_still_reported(
    founder: User, makers: Peer
) -> None:
    referral = incoming_referral(makers, status=Referral.Status.ACCEPTED)

    done = actions.report_delivered(actor=founder, referral_id=referral.id, charged=Decimal("80"))

    assert (done.status, done.charged, done.fee) == (
        Referral.Status.DELIVERED, Decimal("80.00"), Decimal("4.00"),
    )  # fmt: skip
    assert list(Outbound.objects.values_list("kind", flat=True)) == ["Create"]
    assert not CreditTransfer.objects.exists()
    unpaid = AuditEntry.objects.get(action="federation.referral_fee_unpaid")
    assert unpaid.after == {"reason": "no_credit_line"}


def test_a_refused_reversal_can_be_tried_again_but_not_two_at_once(
    founder: User, makers: Peer
) -> None:
    actions.open_credit_line(actor=founder, peer_id=makers.pk, limit=Decimal("100"))
    now = timezone.now()
    paid_to_us = CreditTransfer.objects.create(
        peer=makers, transfer_id="t-1", we_pay=False, amount=Decimal("20"), currency="ILS",
        purpose="trade", state=CreditTransfer.State.COMPLETED, proposed_at=now, expires_at=now,
    )  # fmt: skip

    first = actions.reverse_transfer(actor=founder, transfer_pk=paid_to_us.pk, reason="Wrong")
    with pytest.raises(DomainError) as twice:
        actions.reverse_transfer(actor=founder, transfer_pk=paid_to_us.pk, reason="Again")
    CreditTransfer.objects.filter(pk=first.pk).update(state=CreditTransfer.State.REJECTED)
    second = actions.reverse_transfer(actor=founder, transfer_pk=paid_to_us.pk, reason="Again")

    assert twice.value.code == "already_reversed"
    assert (first.transfer_id, second.transfer_id) == ("reversal-1-t-1", "reversal-2-t-1")
    assert (second.we_pay, second.amount, second.reverses) == (True, Decimal("20.000"), paid_to_us)


def test_no_answer_in_time_counts_as_a_refusal(founder: User, makers: Peer, customer: User) -> None:
    order = trip_order(customer)
    referral = actions.propose_referral(actor=founder, order_id=order.pk, peer_id=makers.pk)
    referral = actions.answer_consent(actor=customer, referral_id=referral.id, consent=True)
    assert referral.expires_at is not None

    assert actions.expire_overdue(referral.expires_at - dt.timedelta(seconds=1)) == 0
    assert actions.expire_overdue(referral.expires_at) == 1
    late = {
        "id": "https://makers.example/ap/activities/late-accept",
        "type": "Accept",
        "actor": makers.actor_id,
        "object": referral.offer_id,
    }
    assert inbox.receive(makers, late) == (True, "ignored")

    referral.refresh_from_db()
    order.refresh_from_db()
    assert (referral.status, order.status) == (Referral.Status.EXPIRED, Status.REQUESTED)


def test_a_transfer_not_accepted_in_time_is_withdrawn_on_both_sides(
    founder: User, makers: Peer
) -> None:
    actions.open_credit_line(actor=founder, peer_id=makers.pk, limit=Decimal("100"))
    transfer, _ = actions.propose_transfer(
        actor=founder, peer_id=makers.pk, transfer_id="slow", amount=Decimal("5"), purpose="trade"
    )

    assert actions.expire_overdue(transfer.expires_at) == 1

    transfer.refresh_from_db()
    assert transfer.state == CreditTransfer.State.EXPIRED
    undo = Outbound.objects.get(kind="Undo")
    assert undo.payload["object"] == {
        "type": "Offer",
        "object": "http://127.0.0.1:8000/ap/actor/transfers/slow",
    }
    accepted_late = {
        "id": "https://makers.example/ap/activities/late",
        "type": "Accept",
        "actor": makers.actor_id,
        "object": Outbound.objects.get(kind="Offer").payload["id"],
    }
    assert inbox.receive(makers, accepted_late) == (True, "ignored")
    transfer.refresh_from_db()
    assert (transfer.state, transfer.journal) == (CreditTransfer.State.EXPIRED, None)


def test_the_payee_follows_the_payers_withdrawal(founder: User, makers: Peer) -> None:
    actions.open_credit_line(actor=founder, peer_id=makers.pk, limit=Decimal("100"))
    offer = {
        "id": "https://makers.example/ap/activities/offer-1",
        "type": "Offer",
        "actor": makers.actor_id,
        "object": {
            "id": f"{makers.actor_id}/transfers/t-9",
            "type": "Commitment",
            "action": "transfer",
            "taawun:transferId": "t-9",
            "taawun:purpose": "trade",
            "provider": makers.actor_id,
            "receiver": "http://127.0.0.1:8000/ap/actor",
            "resourceQuantity": {"hasUnit": "ILS", "hasNumericalValue": "9.00"},
        },
    }
    withdrawn = {
        "id": "https://makers.example/ap/activities/undo-1",
        "type": "Undo",
        "actor": makers.actor_id,
        "object": {"type": "Offer", "object": f"{makers.actor_id}/transfers/t-9"},
    }

    assert inbox.receive(makers, offer) == (True, "transfer_accepted")
    assert inbox.receive(makers, withdrawn) == (True, "transfer_expired")
    assert CreditTransfer.objects.get().state == CreditTransfer.State.EXPIRED
