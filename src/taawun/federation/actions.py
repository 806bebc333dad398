"""Every write of the federation: following sister co-ops, publishing offers, passing work on,
and trading on mutual credit. Each action runs in one transaction with its audit entry; what it
sends to other co-ops is queued in that same transaction and delivered after it commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy, get_coop_or_404
from taawun.domain import mutual_credit
from taawun.domain.canonical import canonical_bytes
from taawun.domain.errors import DomainError, InvalidInput, NotFound, gettext_noop
from taawun.domain.money import Money, quantum
from taawun.ledger import actions as ledger
from taawun.ledger.models import EntryKind
from taawun.market.actions import advance
from taawun.market.models import Order, OrderEvent, Status
from taawun.transparency.audit import record

from . import delivery, discovery, offers
from . import vocabulary as vocab
from .models import (
    CreditLine,
    CreditTransfer,
    Outbound,
    Peer,
    PublishedOffer,
    Referral,
)

MAX_TRANSFER_ID = 100
MAX_MEMO = 200


def _audit(actor: User | None, action: str, kind: str, subject: object, **after: Any) -> None:
    record(
        actor_id=actor.pk if actor else None,
        action=f"federation.{action}",
        subject_type=kind,
        subject_id=subject,
        policy_version=current_policy().number,
        after=after,
    )


def send(kind: str, obj: Any, peers: Iterable[Peer], **extra: Any) -> Outbound:
    """Queue an activity of ours for each peer's inbox; it leaves once this transaction commits."""
    outbound_id = uuid.uuid4()
    peers = list(peers)
    payload = vocab.activity(
        kind,
        vocab.url(f"activities/{outbound_id}"),
        obj,
        to=[peer.actor_id for peer in peers],
        **extra,
    )
    outbound = Outbound.objects.create(
        id=outbound_id, kind=kind, payload=payload, created_at=timezone.now()
    )
    delivery.queue(outbound, peers)
    return outbound


def _peer(peer_id: int) -> Peer:
    peer = Peer.objects.select_for_update().filter(pk=peer_id).first()
    if peer is None:
        raise NotFound("no_such_peer", gettext_noop("There is no such sister co-op."))
    return peer


# --- Following and offers ---------------------------------------------------------------------


def follow(*, actor: User, address: str) -> Peer:
    """Follow a sister co-op named by ``name@host`` or its actor URL (board only).

    The lookup happens before the transaction: a slow remote server holds no lock of ours."""
    require_role(actor, Role.BOARD)
    document = discovery.look_up(address)
    with transaction.atomic():
        peer = discovery.remember(document)
        if peer.actor_id == vocab.actor_id():
            raise InvalidInput("follow_self", gettext_noop("A co-op cannot follow itself."))
        peer = _peer(peer.pk)
        if peer.following in (Peer.Following.REQUESTED, Peer.Following.ACCEPTED):
            return peer
        send("Follow", peer.actor_id, [peer])
        peer.following = Peer.Following.REQUESTED
        peer.save(update_fields=["following"])
        _audit(actor, "followed", "peer", peer.pk, actor_id=peer.actor_id)
    return peer


@transaction.atomic
def unfollow(*, actor: User, peer_id: int) -> Peer:
    require_role(actor, Role.BOARD)
    peer = _peer(peer_id)
    if peer.following == Peer.Following.NO:
        return peer
    follows = Outbound.objects.filter(kind="Follow", payload__object=peer.actor_id)
    last = follows.order_by("-created_at").first()
    send("Undo", last.payload if last else {"type": "Follow", "object": peer.actor_id}, [peer])
    peer.following = Peer.Following.NO
    peer.save(update_fields=["following"])
    peer.offers.all().delete()
    _audit(actor, "unfollowed", "peer", peer.pk, actor_id=peer.actor_id)
    return peer


def _digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


@transaction.atomic
def publish_offers(*, actor: User | None = None) -> int:
    """Tell followers of every offer added, changed or withdrawn since we last told them.
    Returns how many activities were queued."""
    if actor is not None:
        require_role(actor, Role.BOARD)
    followers = list(Peer.objects.filter(follows_us=True))
    current = {proposal["id"]: proposal for proposal in offers.proposals()}
    known = {row.object_id: row for row in PublishedOffer.objects.select_for_update()}
    sent = 0
    now = timezone.now()
    for object_id, proposal in current.items():
        digest = _digest(proposal)
        row = known.get(object_id)
        if row is not None and row.digest == digest and not row.withdrawn:
            continue
        if followers:
            _send_offer("Create" if row is None or row.withdrawn else "Update", proposal, followers)
            sent += 1
        PublishedOffer.objects.update_or_create(
            object_id=object_id, defaults={"digest": digest, "withdrawn": False, "updated_at": now}
        )
    for object_id, row in known.items():
        if object_id not in current and not row.withdrawn:
            if followers:
                send("Delete", {"id": object_id, "type": "Tombstone"}, followers)
                sent += 1
            row.withdrawn, row.updated_at = True, now
            row.save(update_fields=["withdrawn", "updated_at"])
    if sent:
        _audit(actor, "offers_published", "coop", 1, activities=sent)
    return sent


def _send_offer(kind: str, proposal: dict[str, Any], peers: list[Peer]) -> None:
    """Sister co-ops get the Proposal; other servers a note that says the same in words."""
    ours = [peer for peer in peers if peer.taawun]
    others = [peer for peer in peers if not peer.taawun]
    if ours:
        send(kind, proposal, ours)
    if others:
        send(kind, offers.as_note(proposal), others)


def welcome(peer: Peer) -> None:
    """A new follower gets every offer we have now."""
    for proposal in offers.proposals():
        _send_offer("Create", proposal, [peer])


# --- Referrals ---------------------------------------------------------------------------------


@transaction.atomic
def propose_referral(*, actor: User, order_id: int, peer_id: int, reason: str = "") -> Referral:
    """Suggest passing an order we cannot serve to a sister co-op (board only). Nothing leaves
    until the customer consents."""
    require_role(actor, Role.BOARD)
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound("no_such_order", gettext_noop("There is no such order."))
    if order.status != Status.REQUESTED or order.payment_id is not None:
        raise DomainError(
            "not_referable",
            gettext_noop(
                "Only an order still waiting for a worker, and not paid, can be passed on."
            ),
        )
    if order.referrals.filter(
        status__in=[Referral.Status.AWAITING_CONSENT, Referral.Status.OFFERED]
    ).exists():
        raise DomainError(
            "referral_pending", gettext_noop("This order is already being passed on.")
        )
    peer = _peer(peer_id)
    if not peer.taawun:
        raise DomainError(
            "peer_not_a_coop", gettext_noop("Work can only be passed to a sister Taawun co-op.")
        )
    policy = current_policy().policy
    referral_id = uuid.uuid4()
    referral = Referral.objects.create(
        id=referral_id,
        direction=Referral.Direction.OUT,
        peer=peer,
        status=Referral.Status.AWAITING_CONSENT,
        commitment_id=vocab.url(f"referrals/{referral_id}"),
        order=order,
        sector=order.sector,
        title=order.title,
        area=get_coop_or_404().city,
        wanted_at=order.starts_at,
        estimate=order.price,
        currency=order.currency,
        fee_percent=policy.federation.referral_fee_percent,
        reason=reason.strip()[:300],
        created_at=timezone.now(),
        charged=Decimal(0),
        fee=Decimal(0),
    )
    _audit(actor, "referral_proposed", "referral", referral.id, order=order.pk, peer=peer.actor_id)
    return referral


def referral_fee(referral: Referral, charged: Decimal) -> Decimal:
    """The fee for work passed on: the referring co-op's percent of the price charged, in the
    currency's minor unit. Both co-ops work it out with this rule."""
    return (charged * referral.fee_percent / 100).quantize(
        quantum(referral.currency), ROUND_HALF_EVEN
    )


def _contact_of(customer: User, share: str) -> tuple[str, str]:
    name = (customer.get_full_name() or customer.get_short_name() or "").strip()
    if share == "email":
        return name, customer.email
    if share == "none":
        return name, ""
    raise InvalidInput("bad_contact_choice", gettext_noop("Choose what contact to share."))


@transaction.atomic
def answer_consent(
    *, actor: User, referral_id: uuid.UUID, consent: bool, share: str = "email"
) -> Referral:
    """The customer agrees to have the order passed on (and which contact goes with it), or
    not. On consent the offer goes to the sister co-op, which has the Policy's hours to answer."""
    referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
    order = referral.order if referral is not None else None
    if referral is None or order is None or order.customer_id != actor.pk:
        raise NotFound("no_such_referral", gettext_noop("There is no such referral."))
    if referral.status != Referral.Status.AWAITING_CONSENT:
        raise DomainError("referral_answered", gettext_noop("This was answered already."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    if consent and (order.status != Status.REQUESTED or order.payment_id is not None):
        raise DomainError(
            "not_referable",
            gettext_noop(
                "Only an order still waiting for a worker, and not paid, can be passed on."
            ),
        )
    now = timezone.now()
    if not consent:
        referral.status = Referral.Status.DECLINED_BY_CUSTOMER
        referral.answered_at = now
        referral.save(update_fields=["status", "answered_at"])
        _audit(actor, "referral_declined_by_customer", "referral", referral.id)
        return referral
    referral.contact_name, referral.contact = _contact_of(actor, share)
    hours = current_policy().policy.federation.referral_timeout_hours
    referral.expires_at = now + dt.timedelta(hours=hours)
    referral.status = Referral.Status.OFFERED
    outbound = send(
        "Offer", _commitment(referral), [referral.peer], endTime=vocab.stamp(referral.expires_at)
    )
    referral.offer_id = outbound.payload["id"]
    referral.save(update_fields=["contact_name", "contact", "expires_at", "status", "offer_id"])
    _audit(actor, "referral_offered", "referral", referral.id, shared=share)
    return referral


def _commitment(referral: Referral) -> dict[str, Any]:
    """The work as a ValueFlows Commitment: only what the other co-op needs to do it."""
    return {
        "id": referral.commitment_id,
        "type": "Commitment",
        "action": vocab.DELIVER,
        "resourceConformsTo": vocab.SECTOR_CONFORMS + referral.sector,
        "name": referral.title,
        "summary": referral.reason,
        "location": referral.area,
        "due": vocab.stamp(referral.wanted_at) if referral.wanted_at else None,
        "resourceQuantity": vocab.quantity(referral.estimate, referral.currency),
        "taawun:referralFeePercent": format(referral.fee_percent, "f"),
        "taawun:customer": {"name": referral.contact_name, "contact": referral.contact},
        "provider": referral.peer.actor_id,
        "receiver": vocab.actor_id(),
    }


@transaction.atomic
def answer_referral(
    *, actor: User, referral_id: uuid.UUID, accept: bool, reason: str = ""
) -> Referral:
    """Our board takes on work passed to us (answering with an Agreement) or turns it down."""
    require_role(actor, Role.BOARD)
    referral = _incoming(referral_id)
    if referral.status != Referral.Status.OFFERED:
        raise DomainError("referral_answered", gettext_noop("This was answered already."))
    if referral.expires_at and referral.expires_at <= timezone.now():
        raise DomainError("referral_expired", gettext_noop("The time to answer has passed."))
    referral.answered_at = timezone.now()
    referral.answer = reason.strip()[:300]
    if accept:
        agreement = {
            "id": vocab.url(f"agreements/{referral.id}"),
            "type": "Agreement",
            "stipulates": referral.commitment_id,
            "taawun:referralFeePercent": format(referral.fee_percent, "f"),
        }
        send("Accept", referral.offer_id, [referral.peer], result=agreement)
        referral.status = Referral.Status.ACCEPTED
    else:
        send("Reject", referral.offer_id, [referral.peer], summary=referral.answer)
        referral.status = Referral.Status.REJECTED
    referral.save(update_fields=["status", "answered_at", "answer"])
    _audit(actor, "referral_" + referral.status, "referral", referral.id)
    return referral


def _incoming(referral_id: uuid.UUID) -> Referral:
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("peer")
        .filter(pk=referral_id, direction=Referral.Direction.IN)
        .first()
    )
    if referral is None:
        raise NotFound("no_such_referral", gettext_noop("There is no such referral."))
    return referral


@transaction.atomic
def report_delivered(*, actor: User, referral_id: uuid.UUID, charged: Decimal) -> Referral:
    """The work passed to us is done: tell the co-op that passed it, and pay its referral fee
    on our credit line with it."""
    require_role(actor, Role.BOARD)
    referral = _incoming(referral_id)
    if referral.status != Referral.Status.ACCEPTED:
        raise DomainError(
            "referral_not_accepted", gettext_noop("Only accepted work can be delivered.")
        )
    charged = Money(charged, referral.currency).amount
    if charged <= 0:
        raise InvalidInput("amount_not_positive", gettext_noop("The amount must be positive."))
    fee = referral_fee(referral, charged)
    now = timezone.now()
    referral.status, referral.delivered_at = Referral.Status.DELIVERED, now
    referral.charged, referral.fee = charged, fee
    referral.save(update_fields=["status", "delivered_at", "charged", "fee"])
    event = {
        "id": vocab.url(f"events/{referral.id}"),
        "type": "EconomicEvent",
        "action": vocab.DELIVER,
        "fulfills": referral.commitment_id,
        "resourceQuantity": vocab.quantity(charged, referral.currency),
        "hasPointInTime": vocab.stamp(now),
        "provider": vocab.actor_id(),
        "receiver": referral.peer.actor_id,
    }
    send("Create", event, [referral.peer])
    _audit(actor, "referral_delivered", "referral", referral.id, charged=charged, fee=fee)
    if fee > 0:
        _pay_fee(actor, referral)
    return referral


def _pay_fee(actor: User, referral: Referral) -> None:
    """Propose the referral fee on our credit line. Without a line, or beyond the credit the
    other co-op gives us, the delivery still stands: the fee is on the referral, for the board
    to settle another way."""
    try:
        with transaction.atomic():
            _propose_transfer(
                actor=actor,
                peer=referral.peer,
                transfer_id=f"referral-{referral.id}",
                amount=referral.fee,
                purpose=CreditTransfer.Purpose.REFERRAL_FEE,
                memo=referral.title[:MAX_MEMO],
                referral=referral,
            )
    except DomainError as refusal:
        _audit(actor, "referral_fee_unpaid", "referral", referral.id, reason=refusal.code)


# --- Mutual credit -----------------------------------------------------------------------------


@transaction.atomic
def open_credit_line(*, actor: User, peer_id: int, limit: Decimal) -> CreditLine:
    """Open (or change) how far a sister co-op may go into our debt; the Policy caps it, so the
    members decide the most the board can extend."""
    require_role(actor, Role.BOARD)
    peer = _peer(peer_id)
    policy = current_policy().policy
    limit = Money(limit, policy.currency).amount
    cap = policy.federation.credit_limit
    if limit < 0 or limit > cap:
        raise InvalidInput(
            "credit_limit_over_policy",
            gettext_noop("The limit must be between 0 and %(cap)s, as the members decided."),
            cap=str(cap),
        )
    line, created = CreditLine.objects.select_for_update().get_or_create(
        peer=peer,
        defaults={
            "currency": policy.currency,
            "our_limit": limit,
            "their_limit": Decimal(0),
            "balance": Decimal(0),
            "head": mutual_credit.GENESIS,
            "opened_at": timezone.now(),
        },
    )
    before = None if created else line.our_limit
    line.our_limit = limit
    line.save(update_fields=["our_limit"])
    send("Update", _line_document(line), [peer])
    _audit(
        actor,
        "credit_line_set",
        "peer",
        peer.pk,
        actor_id=peer.actor_id,
        limit=limit,
        before=before,
    )
    return line


def _line_document(line: CreditLine) -> dict[str, Any]:
    return {
        "id": vocab.url(f"credit/{line.peer_id}"),
        "type": "taawun:CreditLine",
        "taawun:creditor": vocab.actor_id(),
        "taawun:debtor": line.peer.actor_id,
        "taawun:limit": vocab.quantity(line.our_limit, line.currency),
    }


def _line(peer: Peer, currency: str) -> CreditLine:
    line = CreditLine.objects.select_for_update().filter(peer=peer).first()
    if line is None:
        raise DomainError(
            "no_credit_line", gettext_noop("There is no credit line with this co-op yet.")
        )
    if line.currency != currency:
        raise InvalidInput(
            "wrong_currency",
            gettext_noop("This credit line is kept in %(currency)s."),
            currency=line.currency,
        )
    return line


def check_transfer_id(transfer_id: str) -> str:
    transfer_id = transfer_id.strip()
    if not transfer_id or len(transfer_id) > MAX_TRANSFER_ID or not transfer_id.isprintable():
        raise InvalidInput("bad_transfer_id", gettext_noop("A transfer id is 1 to 100 characters."))
    return transfer_id


@transaction.atomic
def propose_transfer(
    *, actor: User, peer_id: int, transfer_id: str, amount: Decimal, purpose: str, memo: str = ""
) -> tuple[CreditTransfer, bool]:
    """Pay a sister co-op on credit (board only). The id is ours to choose: sending the same
    id and amount again is the same transfer (returned with ``False``); the same id with
    another amount is refused."""
    require_role(actor, Role.BOARD)
    if purpose not in CreditTransfer.Purpose.values:
        raise InvalidInput("bad_purpose", gettext_noop("Choose what the transfer is for."))
    return _propose_transfer(
        actor=actor,
        peer=_peer(peer_id),
        transfer_id=transfer_id,
        amount=amount,
        purpose=purpose,
        memo=memo,
    )


def _propose_transfer(
    *,
    actor: User | None,
    peer: Peer,
    transfer_id: str,
    amount: Decimal,
    purpose: str,
    memo: str,
    referral: Referral | None = None,
    reverses: CreditTransfer | None = None,
) -> tuple[CreditTransfer, bool]:
    transfer_id = check_transfer_id(transfer_id)
    currency = current_policy().policy.currency
    amount = Money(amount, currency).amount
    earlier = CreditTransfer.objects.filter(peer=peer, we_pay=True, transfer_id=transfer_id).first()
    if earlier is not None:
        return _same_transfer(earlier, amount), False
    if amount <= 0:
        raise InvalidInput("amount_not_positive", gettext_noop("The amount must be positive."))
    line = _line(peer, currency)
    pending = _pending(line, we_pay=True)
    # A limit of 0 is one they have not told us yet; they check their own limit either way.
    if line.their_limit and -(line.balance - pending - amount) > line.their_limit:
        raise DomainError(
            "credit_limit_exceeded",
            gettext_noop("This would take us beyond the credit %(peer)s extends to us."),
            peer=str(peer),
        )
    now = timezone.now()
    hours = current_policy().policy.federation.transfer_timeout_hours
    try:
        with transaction.atomic():
            transfer = CreditTransfer.objects.create(
                peer=peer,
                transfer_id=transfer_id,
                we_pay=True,
                amount=amount,
                currency=currency,
                purpose=purpose,
                memo=memo.strip()[:MAX_MEMO],
                state=CreditTransfer.State.PROPOSED,
                referral=referral,
                reverses=reverses,
                proposed_at=now,
                expires_at=now + dt.timedelta(hours=hours),
                created_by=actor,
            )
    except IntegrityError:  # the same id sent twice at once: the first one stands
        earlier = CreditTransfer.objects.get(peer=peer, we_pay=True, transfer_id=transfer_id)
        return _same_transfer(earlier, amount), False
    send("Offer", transfer_commitment(transfer), [peer], endTime=vocab.stamp(transfer.expires_at))
    _audit(
        actor,
        "transfer_proposed",
        "credit_transfer",
        transfer.pk,
        transfer_id=transfer_id,
        peer=peer.actor_id,
        amount=amount,
        currency=currency,
        purpose=purpose,
    )
    return transfer, True


def _same_transfer(earlier: CreditTransfer, amount: Decimal) -> CreditTransfer:
    if earlier.amount != amount:
        raise DomainError(
            "transfer_id_conflict",
            gettext_noop("This transfer id was already used for a different amount."),
        )
    return earlier


def _pending(line: CreditLine, *, we_pay: bool) -> Decimal:
    """Transfers one way that are agreed or on their way but not yet completed."""
    found = CreditTransfer.objects.filter(
        peer_id=line.peer_id,
        we_pay=we_pay,
        state__in=[CreditTransfer.State.PROPOSED, CreditTransfer.State.ACCEPTED],
    ).values_list("amount", flat=True)
    return sum(found, Decimal(0))


def parties(transfer: CreditTransfer) -> tuple[str, str]:
    """(payer, payee) actor ids."""
    us, them = vocab.actor_id(), transfer.peer.actor_id
    return (us, them) if transfer.we_pay else (them, us)


def as_domain(transfer: CreditTransfer) -> mutual_credit.Transfer:
    payer, payee = parties(transfer)
    return mutual_credit.Transfer(
        transfer_id=transfer.transfer_id,
        payer=payer,
        payee=payee,
        amount=transfer.amount,
        currency=transfer.currency,
        purpose=transfer.purpose,
        reverses=transfer.reverses.transfer_id if transfer.reverses else "",
    )


def transfer_commitment(transfer: CreditTransfer) -> dict[str, Any]:
    payer, payee = parties(transfer)
    return {
        "id": vocab.transfer_url(payer, transfer.transfer_id),
        "type": "Commitment",
        "action": vocab.TRANSFER,
        "taawun:transferId": transfer.transfer_id,
        "taawun:purpose": transfer.purpose,
        "taawun:reverses": transfer.reverses.transfer_id if transfer.reverses else "",
        "summary": transfer.memo,
        "provider": payer,
        "receiver": payee,
        "resourceQuantity": vocab.quantity(transfer.amount, transfer.currency),
    }


def accept_incoming_transfer(transfer: CreditTransfer, offer_id: str) -> None:
    """As payee: accept when the payer stays within the limit our members allow, else refuse."""
    line = CreditLine.objects.select_for_update().filter(peer=transfer.peer).first()
    try:
        if line is None or line.currency != transfer.currency:
            raise DomainError(
                "no_credit_line", gettext_noop("There is no credit line with this co-op yet.")
            )
        exposure = line.balance + _pending(line, we_pay=False) - transfer.amount
        mutual_credit.check_limit(exposure, as_domain(transfer), vocab.actor_id(), line.our_limit)
    except DomainError as refusal:
        transfer.state = CreditTransfer.State.REJECTED
        transfer.save(update_fields=["state"])
        send("Reject", offer_id, [transfer.peer], summary=refusal.code)
        _audit(
            None,
            "transfer_refused",
            "credit_transfer",
            transfer.pk,
            transfer_id=transfer.transfer_id,
            peer=transfer.peer.actor_id,
            reason=refusal.code,
        )
        return
    transfer.state = CreditTransfer.State.ACCEPTED
    transfer.save(update_fields=["state"])
    send("Accept", offer_id, [transfer.peer])
    _audit(
        None,
        "transfer_accepted",
        "credit_transfer",
        transfer.pk,
        transfer_id=transfer.transfer_id,
        peer=transfer.peer.actor_id,
        amount=transfer.amount,
    )


def complete_transfer(transfer: CreditTransfer) -> None:
    """Post the transfer to our books and to the credit line; the payer then tells the payee."""
    line = _line(transfer.peer, transfer.currency)
    domain = as_domain(transfer)
    line.balance = mutual_credit.balance_after(line.balance, domain, vocab.actor_id())
    line.transfers += 1
    now = timezone.now()
    transfer.state, transfer.completed_at = CreditTransfer.State.COMPLETED, now
    transfer.journal = _post(transfer)
    transfer.save(update_fields=["state", "completed_at", "journal"])
    line.head = chain_head(transfer.peer)
    line.save(update_fields=["balance", "transfers", "head"])
    transfer.head = line.head
    transfer.save(update_fields=["head"])
    if transfer.we_pay:
        payer, _payee = parties(transfer)
        event = {
            "id": vocab.url(f"transfer-events/{transfer.pk}"),
            "type": "EconomicEvent",
            "action": vocab.TRANSFER,
            "fulfills": vocab.transfer_url(payer, transfer.transfer_id),
            "taawun:transferId": transfer.transfer_id,
            "resourceQuantity": vocab.quantity(transfer.amount, transfer.currency),
            "hasPointInTime": vocab.stamp(now),
        }
        send("Create", event, [transfer.peer])
    _audit(
        None,
        "transfer_completed",
        "credit_transfer",
        transfer.pk,
        transfer_id=transfer.transfer_id,
        peer=transfer.peer.actor_id,
        amount=transfer.amount,
        balance=line.balance,
        head=line.head,
    )


def chain_head(peer: Peer) -> str:
    """The chain over the pair's completed transfers, in the one order both sides share:
    by payer, then by the payer's id for it (completion order can differ between the two)."""
    done = [
        as_domain(t)
        for t in CreditTransfer.objects.filter(
            peer=peer, state=CreditTransfer.State.COMPLETED
        ).select_related("peer", "reverses")
    ]
    done.sort(key=lambda t: (t.payer, t.transfer_id))
    return mutual_credit.chain_head(done)


def _post(transfer: CreditTransfer) -> Any:
    """Payee: the other co-op owes us more, against income (or money paid to us, for a
    settlement); payer: the reverse."""
    amount = Money(transfer.amount, transfer.currency)
    settlement = transfer.purpose == CreditTransfer.Purpose.SETTLEMENT
    counterpart = ("bank", "bank") if settlement else ("other_income", "expenses")
    if transfer.we_pay:
        legs = [
            ledger.Leg.debit(counterpart[1], amount),
            ledger.Leg.credit("mutual_credit", amount),
        ]
    else:
        legs = [
            ledger.Leg.debit("mutual_credit", amount),
            ledger.Leg.credit(counterpart[0], amount),
        ]
    return ledger.post(
        actor=None,
        kind=EntryKind.MUTUAL_CREDIT,
        legs=legs,
        memo=f"{transfer.peer} · {transfer.transfer_id}"[: ledger.MAX_MEMO],
        standalone=False,
    )


@transaction.atomic
def reverse_transfer(*, actor: User, transfer_pk: int, reason: str) -> CreditTransfer:
    """Undo a completed transfer by a compensating one the other way, proposed by whoever
    received the first (board only). Nothing completed is ever changed or deleted."""
    require_role(actor, Role.BOARD)
    original = CreditTransfer.objects.select_related("peer").filter(pk=transfer_pk).first()
    if original is None:
        raise NotFound("no_such_transfer", gettext_noop("There is no such transfer."))
    if original.state != CreditTransfer.State.COMPLETED or original.we_pay:
        raise DomainError(
            "not_reversible",
            gettext_noop("Only a completed transfer paid to us can be given back."),
        )
    tries = original.reversals.all()
    if tries.exclude(
        state__in=[CreditTransfer.State.REJECTED, CreditTransfer.State.EXPIRED]
    ).exists():
        raise DomainError(
            "already_reversed", gettext_noop("This transfer is already being given back.")
        )
    transfer, _created = _propose_transfer(
        actor=actor,
        peer=original.peer,
        transfer_id=f"reversal-{tries.count() + 1}-{original.transfer_id}"[:MAX_TRANSFER_ID],
        amount=original.amount,
        purpose=original.purpose,
        memo=reason,
        reverses=original,
    )
    return transfer


def expire_overdue(now: dt.datetime | None = None) -> int:
    """Time out what was not answered: a referral offer counts as refused; a transfer we
    proposed is withdrawn (and the payee told). Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        for referral in Referral.objects.select_for_update().filter(
            status=Referral.Status.OFFERED, expires_at__lte=now
        ):
            referral.status = Referral.Status.EXPIRED
            referral.save(update_fields=["status"])
            _audit(None, "referral_expired", "referral", referral.id)
            expired += 1
        for transfer in (
            CreditTransfer.objects.select_for_update(of=("self",))
            .select_related("peer")
            .filter(we_pay=True, state=CreditTransfer.State.PROPOSED, expires_at__lte=now)
        ):
            transfer.state = CreditTransfer.State.EXPIRED
            transfer.save(update_fields=["state"])
            payer, _ = parties(transfer)
            send(
                "Undo",
                {"type": "Offer", "object": vocab.transfer_url(payer, transfer.transfer_id)},
                [transfer.peer],
            )
            _audit(
                None,
                "transfer_expired",
                "credit_transfer",
                transfer.pk,
                transfer_id=transfer.transfer_id,
                peer=transfer.peer.actor_id,
            )
            expired += 1
    return expired


def cancel_referred_order(referral: Referral) -> None:
    """The sister co-op took the work: our order ends here, with the reason on it."""
    if referral.order is None:
        return
    advance(
        order=referral.order,
        actor=None,
        to=Status.CANCELLED,
        allowed_from=[Status.REQUESTED],
        event=OrderEvent.Kind.CANCELLED,
        note=f"→ {referral.peer}",
        data={"referral": str(referral.id)},
    )
