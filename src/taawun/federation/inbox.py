"""What the inbox does with an activity whose signature checked out.

Each activity is stored once by its id, then acted on in the same transaction: a retried
delivery finds its id taken and changes nothing. A refusal on the merits (a transfer over the
limit, a referral answered twice) is kept as the activity's outcome; an activity that is not
valid at all is refused whole and leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError
from taawun.domain.money import Money
from taawun.market.models import Sector
from taawun.transparency.audit import record

from . import actions, learning, offers
from . import vocabulary as vocab
from .models import CreditLine, CreditTransfer, Outbound, Peer, Received, Referral

Handler = Callable[[Peer, dict[str, Any]], str]


_CLAIM = (
    f"INSERT INTO {Received._meta.db_table} "  # noqa: S608  # nosec B608
    "(activity_id, peer_id, kind, payload, received_at, outcome)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (activity_id) DO NOTHING RETURNING id"
)


def _claim(activity_id: str, peer: Peer, kind: str, activity: dict[str, Any], outcome: str) -> bool:
    """Store the activity unless its id is taken; whether it was new. A duplicate writes nothing,
    and waits for a concurrent first delivery to commit or roll back."""
    payload = Received._meta.get_field("payload")
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM,
            [
                activity_id,
                peer.pk,
                kind,
                payload.get_db_prep_save(activity, connection),
                connection.ops.adapt_datetimefield_value(timezone.now()),
                outcome,
            ],
        )
        return cursor.fetchone() is not None


def _ignored(kind: str, activity: dict[str, Any]) -> bool:
    """What the co-op does nothing with (posts, likes, boosts): stored in one statement."""
    if kind not in HANDLERS:
        return True
    obj = activity.get("object")
    return (
        kind == "Create"
        and not vocab.types(obj) & {"Proposal", "EconomicEvent"}
        and not learning.carries_document(obj)
    )


def receive(peer: Peer, activity: dict[str, Any]) -> tuple[bool, str]:
    """Store and act on ``activity`` from ``peer``; (new, outcome). Raises InvalidInput for an
    activity that is not valid (nothing is stored then)."""
    activity_id = vocab.owned_by(activity, peer.actor_id)
    kinds = vocab.types(activity)
    kind = next(iter(sorted(kinds)), "")
    if not kind or len(kind) > 40:
        raise vocab.bad("the type")
    if _ignored(kind, activity):
        new = _claim(activity_id, peer, kind, activity, "ignored")
        return new, "ignored" if new else "duplicate"
    with transaction.atomic():
        if not _claim(activity_id, peer, kind, activity, ""):
            return False, "duplicate"  # delivered before: it was acted on then
        try:
            with transaction.atomic():
                outcome = HANDLERS[kind](peer, activity)
        except DomainError as refusal:
            if refusal.code == "bad_activity":
                raise
            outcome = refusal.code
        Received.objects.filter(activity_id=activity_id).update(outcome=outcome[:200])
        return True, outcome


def _ours(activity_id: str) -> Outbound | None:
    """The activity of ours an Accept or Reject answers."""
    prefix = vocab.url("activities/")
    if not activity_id.startswith(prefix):
        return None
    try:
        return Outbound.objects.filter(pk=uuid.UUID(activity_id.removeprefix(prefix))).first()
    except ValueError:
        return None


def _answered(peer: Peer, activity: dict[str, Any]) -> tuple[Outbound, str] | None:
    answered = _ours(vocab.ref(activity.get("object")))
    if answered is None or peer.actor_id not in answered.payload.get("to", []):
        return None
    obj = answered.payload.get("object")
    action = obj.get("action") if isinstance(obj, dict) else None
    return answered, str(action or "")


def on_follow(peer: Peer, activity: dict[str, Any]) -> str:
    if vocab.ref(activity.get("object")) != vocab.actor_id():
        return "ignored"
    actions.send("Accept", activity, [peer])
    if not peer.follows_us:
        Peer.objects.filter(pk=peer.pk).update(follows_us=True)
        peer.follows_us = True
        actions.welcome(peer)
        learning.welcome(peer)
        record(
            actor_id=None,
            action="federation.follower_added",
            subject_type="peer",
            subject_id=peer.pk,
            after={"actor_id": peer.actor_id},
            policy_version=current_policy().number,
        )
    return "accepted"


def _answer(peer: Peer, activity: dict[str, Any], accepted: bool) -> str:
    found = _answered(peer, activity)
    if found is None:
        return "ignored"
    answered, action = found
    if answered.kind == "Follow":
        state = Peer.Following.ACCEPTED if accepted else Peer.Following.REJECTED
        Peer.objects.filter(pk=peer.pk, following=Peer.Following.REQUESTED).update(following=state)
        return f"follow_{state}"
    if answered.kind != "Offer":
        return "ignored"
    if action == vocab.DELIVER:
        return _referral_answered(peer, answered, accepted, activity)
    if action == vocab.TRANSFER:
        return _transfer_answered(peer, answered, accepted, activity)
    return "ignored"


def _referral_answered(
    peer: Peer, answered: Outbound, accepted: bool, activity: dict[str, Any]
) -> str:
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("order", "peer")
        .filter(offer_id=answered.payload["id"], peer=peer, direction=Referral.Direction.OUT)
        .first()
    )
    if referral is None or referral.status != Referral.Status.OFFERED:
        return "ignored"  # answered after it expired: the timeout already counted as a no
    referral.status = Referral.Status.ACCEPTED if accepted else Referral.Status.REJECTED
    referral.answered_at = timezone.now()
    referral.answer = vocab.text(activity.get("summary"), 300, field="summary")
    referral.save(update_fields=["status", "answered_at", "answer"])
    record(
        actor_id=None,
        action=f"federation.referral_{referral.status}",
        subject_type="referral",
        subject_id=referral.id,
        policy_version=current_policy().number,
    )
    if accepted:
        actions.cancel_referred_order(referral)
    return f"referral_{referral.status}"


def _transfer_answered(
    peer: Peer, answered: Outbound, accepted: bool, activity: dict[str, Any]
) -> str:
    transfer_id = answered.payload["object"].get("taawun:transferId")
    transfer = (
        CreditTransfer.objects.select_for_update(of=("self",))
        .select_related("peer", "reverses")
        .filter(peer=peer, we_pay=True, transfer_id=transfer_id)
        .first()
    )
    if transfer is None or transfer.state != CreditTransfer.State.PROPOSED:
        return "ignored"
    if not accepted:
        transfer.state = CreditTransfer.State.REJECTED
        transfer.save(update_fields=["state"])
        record(
            actor_id=None,
            action="federation.transfer_rejected",
            subject_type="credit_transfer",
            subject_id=transfer.pk,
            policy_version=current_policy().number,
            after={
                "transfer_id": transfer.transfer_id,
                "reason": vocab.text(activity.get("summary"), 200, field="summary"),
            },
        )
        return "transfer_rejected"
    actions.complete_transfer(transfer)
    return "transfer_completed"


def on_accept(peer: Peer, activity: dict[str, Any]) -> str:
    return _answer(peer, activity, True)


def on_reject(peer: Peer, activity: dict[str, Any]) -> str:
    return _answer(peer, activity, False)


def on_offer(peer: Peer, activity: dict[str, Any]) -> str:
    obj = activity.get("object")
    if "Commitment" not in vocab.types(obj) or not isinstance(obj, dict):
        return "ignored"
    if obj.get("action") == vocab.DELIVER:
        return _referral_offered(peer, activity, obj)
    if obj.get("action") == vocab.TRANSFER:
        return _transfer_offered(peer, activity, obj)
    return "ignored"


def _fee_percent(value: Any) -> Decimal:
    try:
        fee = Decimal(str(value))
    except ArithmeticError:
        raise vocab.bad("the referral fee") from None
    if not fee.is_finite() or not 0 <= fee <= 100:
        raise vocab.bad("the referral fee")
    return fee.quantize(Decimal("0.01"))


def _referral_offered(peer: Peer, activity: dict[str, Any], obj: dict[str, Any]) -> str:
    commitment_id = vocab.owned_by(obj, peer.actor_id)
    if vocab.ref(obj.get("provider")) != vocab.actor_id():
        raise vocab.bad("the provider")
    policy = current_policy().policy
    estimate, currency = vocab.amount(obj.get("resourceQuantity"), field="the estimate")
    sector = str(obj.get("resourceConformsTo", "")).removeprefix(vocab.SECTOR_CONFORMS)
    shared = obj.get("taawun:customer")
    customer: dict[str, Any] = shared if isinstance(shared, dict) else {}
    fee = _fee_percent(obj.get("taawun:referralFeePercent", "0"))
    now = timezone.now()
    latest = now + dt.timedelta(hours=policy.federation.referral_timeout_hours)
    until = vocab.moment(activity.get("endTime"), field="endTime") or latest
    if sector not in Sector.values or len(currency) != 3:
        raise vocab.bad("the sector or currency")
    referral, created = Referral.objects.get_or_create(
        commitment_id=commitment_id,
        defaults={
            "direction": Referral.Direction.IN,
            "peer": peer,
            "status": Referral.Status.OFFERED,
            "offer_id": vocab.ref(activity),
            "sector": sector,
            "title": vocab.text(obj.get("name"), 200, field="name") or "-",
            "area": vocab.text(obj.get("location"), 120, field="location"),
            "wanted_at": vocab.moment(obj.get("due"), field="due"),
            "estimate": estimate.quantize(Decimal("0.001")),
            "currency": currency,
            "fee_percent": fee,
            "contact_name": vocab.text(customer.get("name"), 120, field="name"),
            "contact": vocab.text(customer.get("contact"), 200, field="contact"),
            "reason": vocab.text(obj.get("summary"), 300, field="summary"),
            "created_at": now,
            "expires_at": min(until, latest),
            "charged": Decimal(0),
            "fee": Decimal(0),
        },
    )
    if not created:
        return "duplicate"
    record(
        actor_id=None,
        action="federation.referral_received",
        subject_type="referral",
        subject_id=referral.id,
        policy_version=current_policy().number,
        after={"peer": peer.actor_id, "fee_percent": fee},
    )
    if fee > policy.federation.max_referral_fee_percent:
        referral.status, referral.answered_at = Referral.Status.REJECTED, now
        referral.reason = "referral_fee_too_high"
        referral.save(update_fields=["status", "answered_at", "reason"])
        actions.send("Reject", referral.offer_id, [peer], summary="referral_fee_too_high")
        return "referral_fee_too_high"
    return "referral_received"


def _transfer_offered(peer: Peer, activity: dict[str, Any], obj: dict[str, Any]) -> str:
    if (
        vocab.ref(obj.get("provider")) != peer.actor_id
        or vocab.ref(obj.get("receiver")) != vocab.actor_id()
    ):
        raise vocab.bad("the parties")
    transfer_id = actions.check_transfer_id(str(obj.get("taawun:transferId", "")))
    amount, currency = vocab.amount(obj.get("resourceQuantity"), field="the amount")
    purpose = str(obj.get("taawun:purpose", ""))
    if purpose not in CreditTransfer.Purpose.values or amount <= 0:
        raise vocab.bad("the purpose or amount")
    amount = Money(amount, currency[:3]).amount if len(currency) == 3 else amount
    earlier = CreditTransfer.objects.filter(
        peer=peer, we_pay=False, transfer_id=transfer_id
    ).first()
    if earlier is not None:
        if earlier.amount != amount:
            actions.send("Reject", vocab.ref(activity), [peer], summary="transfer_id_conflict")
            return "transfer_id_conflict"
        return "duplicate"
    reverses = None
    if obj.get("taawun:reverses"):
        reverses = CreditTransfer.objects.filter(
            peer=peer,
            we_pay=True,
            transfer_id=str(obj["taawun:reverses"]),
            state=CreditTransfer.State.COMPLETED,
        ).first()
        if reverses is None or reverses.amount != amount:
            actions.send("Reject", vocab.ref(activity), [peer], summary="nothing_to_reverse")
            return "nothing_to_reverse"
    now = timezone.now()
    transfer = CreditTransfer.objects.create(
        peer=peer,
        transfer_id=transfer_id,
        we_pay=False,
        amount=amount,
        currency=currency,
        purpose=purpose,
        memo=vocab.text(obj.get("summary"), 200, field="summary"),
        state=CreditTransfer.State.PROPOSED,
        reverses=reverses,
        proposed_at=now,
        expires_at=vocab.moment(activity.get("endTime"), field="endTime") or now,
    )
    actions.accept_incoming_transfer(transfer, vocab.ref(activity))
    return f"transfer_{transfer.state}"


def on_create(peer: Peer, activity: dict[str, Any]) -> str:
    obj = activity.get("object")
    kinds = vocab.types(obj)
    if learning.carries_document(obj):
        return learning.take(peer, obj)
    if "Proposal" in kinds and isinstance(obj, dict):
        if peer.following != Peer.Following.ACCEPTED:
            return "not_followed"
        offers.take(peer, obj)
        return "offer_stored"
    if "EconomicEvent" in kinds and isinstance(obj, dict):
        if obj.get("action") == vocab.DELIVER:
            return _delivered(peer, obj)
        if obj.get("action") == vocab.TRANSFER:
            return _transfer_done(peer, obj)
    return "ignored"


def _delivered(peer: Peer, event: dict[str, Any]) -> str:
    referral = (
        Referral.objects.select_for_update()
        .filter(
            commitment_id=vocab.ref(event.get("fulfills")),
            peer=peer,
            direction=Referral.Direction.OUT,
        )
        .first()
    )
    if referral is None or referral.status != Referral.Status.ACCEPTED:
        return "ignored"
    charged, currency = vocab.amount(event.get("resourceQuantity"), field="the amount")
    if currency != referral.currency:
        raise vocab.bad("the currency")
    charged = Money(charged, currency).amount
    referral.status = Referral.Status.DELIVERED
    referral.delivered_at = (
        vocab.moment(event.get("hasPointInTime"), field="time") or timezone.now()
    )
    referral.charged = charged
    referral.fee = actions.referral_fee(referral, charged)
    referral.save(update_fields=["status", "delivered_at", "charged", "fee"])
    record(
        actor_id=None,
        action="federation.referral_delivered",
        subject_type="referral",
        subject_id=referral.id,
        policy_version=current_policy().number,
        after={"charged": charged, "fee": referral.fee},
    )
    return "referral_delivered"


def _transfer_done(peer: Peer, event: dict[str, Any]) -> str:
    transfer = (
        CreditTransfer.objects.select_for_update(of=("self",))
        .select_related("peer", "reverses")
        .filter(peer=peer, we_pay=False, transfer_id=str(event.get("taawun:transferId", "")))
        .first()
    )
    if transfer is None or transfer.state != CreditTransfer.State.ACCEPTED:
        return "ignored"
    amount, _currency = vocab.amount(event.get("resourceQuantity"), field="the amount")
    if amount != transfer.amount:
        raise vocab.bad("the amount")
    actions.complete_transfer(transfer)
    return "transfer_completed"


def on_update(peer: Peer, activity: dict[str, Any]) -> str:
    obj = activity.get("object")
    kinds = vocab.types(obj)
    if "Proposal" in kinds or learning.carries_document(obj):
        return on_create(peer, activity)
    if "taawun:CreditLine" in kinds and isinstance(obj, dict):
        if vocab.ref(obj.get("taawun:debtor")) != vocab.actor_id():
            return "ignored"
        limit, currency = vocab.amount(obj.get("taawun:limit"), field="the limit")
        line = CreditLine.objects.select_for_update().filter(peer=peer).first()
        if line is None:
            CreditLine.objects.create(
                peer=peer,
                currency=currency[:3],
                our_limit=Decimal(0),
                their_limit=limit,
                balance=Decimal(0),
                head=actions.mutual_credit.GENESIS,
                opened_at=timezone.now(),
            )
        elif line.currency == currency:
            line.their_limit = limit
            line.save(update_fields=["their_limit"])
        else:
            return "wrong_currency"
        return "credit_limit_noted"
    return "ignored"


def on_delete(peer: Peer, activity: dict[str, Any]) -> str:
    object_id = vocab.ref(activity.get("object"))
    deleted, _ = peer.offers.filter(object_id=object_id).delete()
    return "offer_withdrawn" if deleted else learning.withdraw(peer, object_id)


def on_undo(peer: Peer, activity: dict[str, Any]) -> str:
    obj = activity.get("object")
    kinds = vocab.types(obj)
    if "Follow" in kinds:
        Peer.objects.filter(pk=peer.pk).update(follows_us=False)
        return "follower_removed"
    if "Offer" in kinds and isinstance(obj, dict):
        transfer_url = vocab.ref(obj.get("object"))
        for transfer in CreditTransfer.objects.select_for_update().filter(
            peer=peer,
            we_pay=False,
            state__in=[CreditTransfer.State.PROPOSED, CreditTransfer.State.ACCEPTED],
        ):
            if vocab.transfer_url(peer.actor_id, transfer.transfer_id) == transfer_url:
                transfer.state = CreditTransfer.State.EXPIRED
                transfer.save(update_fields=["state"])
                return "transfer_expired"
    return "ignored"


HANDLERS: dict[str, Handler] = {
    "Follow": on_follow,
    "Accept": on_accept,
    "Reject": on_reject,
    "Offer": on_offer,
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Undo": on_undo,
}
