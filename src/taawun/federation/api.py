"""Working with sister co-ops under ``/api/federation``: follow, the directory of their offers,
referrals, credit lines and transfers, and the network's zero-sum check.

A transfer's id is chosen by the caller and is its idempotency key: sending the same id and
amount again answers 200 with the transfer already made; the same id with another amount is a
409. Nothing else here moves money."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import cast

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from taawun.accounts.models import User
from taawun.apikeys.schemas import ERRORS, Input, MoneyText, RecordId, SafeText, money_text

from . import actions, learning, selectors
from .models import CreditLine, CreditTransfer, Peer, Referral, RemoteOffer

router = Router(tags=["federation"])


def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


class FedPeerOut(Schema):
    id: int
    actor: str
    handle: str
    name: str
    sister_coop: bool
    following: str
    follows_us: bool
    sectors: list[str]
    area: str


def _peer(peer: Peer) -> FedPeerOut:
    profile = peer.profile if isinstance(peer.profile, dict) else {}
    return FedPeerOut(
        id=peer.pk,
        actor=peer.actor_id,
        handle=peer.handle,
        name=peer.name,
        sister_coop=peer.taawun,
        following=peer.following,
        follows_us=peer.follows_us,
        sectors=[str(s) for s in profile.get("sectors", []) if isinstance(s, str)],
        area=str(profile.get("area", "")),
    )


class FedFollowIn(Input):
    address: SafeText = Field(
        min_length=3, max_length=500, description="name@host or the actor URL"
    )


class FedOfferOut(Schema):
    id: str
    coop: int
    sector: str
    name: str
    summary: str
    price: str | None
    currency: str
    unit: str


class FedPublishedOut(Schema):
    activities: int


class FedReferralIn(Input):
    order: RecordId
    peer: RecordId
    reason: SafeText = Field(default="", max_length=300)


class FedConsentIn(Input):
    consent: bool
    share: str = Field(default="email", pattern="^(email|none)$")


class FedAnswerIn(Input):
    accept: bool
    reason: SafeText = Field(default="", max_length=300)


class FedDeliveredIn(Input):
    charged: MoneyText


class FedReferralOut(Schema):
    id: uuid.UUID
    direction: str
    status: str
    coop: int
    order: int | None
    sector: str
    title: str
    estimate: str
    currency: str
    fee_percent: str
    charged: str
    fee: str


def _referral(referral: Referral) -> FedReferralOut:
    return FedReferralOut(
        id=referral.id,
        direction=referral.direction,
        status=referral.status,
        coop=referral.peer_id,
        order=referral.order_id,
        sector=referral.sector,
        title=referral.title,
        estimate=money_text(referral.estimate, referral.currency),
        currency=referral.currency,
        fee_percent=format(referral.fee_percent, "f"),
        charged=money_text(referral.charged, referral.currency),
        fee=money_text(referral.fee, referral.currency),
    )


class FedLineIn(Input):
    peer: RecordId
    limit: MoneyText


class FedLineOut(Schema):
    coop: int
    currency: str
    balance: str = Field(description="Positive: the sister co-op owes us.")
    our_limit: str
    their_limit: str
    head: str
    transfers: int


def _line(line: CreditLine) -> FedLineOut:
    return FedLineOut(
        coop=line.peer_id,
        currency=line.currency,
        balance=money_text(line.balance, line.currency),
        our_limit=money_text(line.our_limit, line.currency),
        their_limit=money_text(line.their_limit, line.currency),
        head=line.head,
        transfers=line.transfers,
    )


class FedTransferIn(Input):
    peer: RecordId
    transfer_id: SafeText = Field(min_length=1, max_length=100)
    amount: MoneyText
    purpose: str = Field(pattern="^(referral_fee|trade|settlement)$")
    memo: SafeText = Field(default="", max_length=200)


class FedReverseIn(Input):
    reason: SafeText = Field(min_length=1, max_length=200)


class FedTransferOut(Schema):
    id: int
    transfer_id: str
    coop: int
    we_pay: bool
    amount: str
    currency: str
    purpose: str
    state: str
    memo: str


def _transfer(transfer: CreditTransfer) -> FedTransferOut:
    return FedTransferOut(
        id=transfer.pk,
        transfer_id=transfer.transfer_id,
        coop=transfer.peer_id,
        we_pay=transfer.we_pay,
        amount=money_text(transfer.amount, transfer.currency),
        currency=transfer.currency,
        purpose=transfer.purpose,
        state=transfer.state,
        memo=transfer.memo,
    )


class FedDisagreementOut(Schema):
    one: str
    other: str
    one_says: str | None
    other_says: str | None
    heads_match: bool


class FedNetworkOut(Schema):
    consistent: bool
    total: str
    disagreements: list[FedDisagreementOut]
    unreachable: list[str]


@router.get("/peers", response={200: list[FedPeerOut], **ERRORS}, summary="Known co-ops")
def peers(request: HttpRequest) -> list[FedPeerOut]:
    return [_peer(peer) for peer in selectors.peers(_actor(request))]


@router.post("/follow", response={200: FedPeerOut, **ERRORS}, summary="Follow a co-op (board)")
def follow(request: HttpRequest, payload: FedFollowIn) -> FedPeerOut:
    return _peer(actions.follow(actor=_actor(request), address=payload.address))


@router.get("/offers", response={200: list[FedOfferOut], **ERRORS}, summary="Their offers")
def offers(request: HttpRequest, sector: str = "") -> list[FedOfferOut]:
    def out(offer: RemoteOffer) -> FedOfferOut:
        price = None if offer.price is None else money_text(offer.price, offer.currency)
        return FedOfferOut(
            id=offer.object_id,
            coop=offer.peer_id,
            sector=offer.sector,
            name=offer.name,
            summary=offer.summary,
            price=price,
            currency=offer.currency,
            unit=offer.unit,
        )

    return [out(offer) for offer in selectors.directory(_actor(request), sector=sector)]


@router.post(
    "/offers/publish",
    response={200: FedPublishedOut, **ERRORS},
    summary="Send followers our new and changed offers, shared lessons and pages (board)",
)
def publish(request: HttpRequest) -> FedPublishedOut:
    actor = _actor(request)
    sent = actions.publish_offers(actor=actor) + learning.publish_learning(actor=actor)
    return FedPublishedOut(activities=sent)


@router.get("/referrals", response={200: list[FedReferralOut], **ERRORS}, summary="Referrals")
def referrals(request: HttpRequest) -> list[FedReferralOut]:
    return [_referral(referral) for referral in selectors.referrals(_actor(request))]


@router.post(
    "/referrals",
    response={201: FedReferralOut, **ERRORS},
    summary="Suggest passing an order to a sister co-op (board); the customer must consent",
)
def propose_referral(request: HttpRequest, payload: FedReferralIn) -> Status[FedReferralOut]:
    referral = actions.propose_referral(
        actor=_actor(request), order_id=payload.order, peer_id=payload.peer, reason=payload.reason
    )
    return Status(201, _referral(referral))


@router.post(
    "/referrals/{referral_id}/consent",
    response={200: FedReferralOut, **ERRORS},
    summary="The customer's answer to passing their order on",
)
def consent(request: HttpRequest, referral_id: uuid.UUID, payload: FedConsentIn) -> FedReferralOut:
    referral = actions.answer_consent(
        actor=_actor(request), referral_id=referral_id, consent=payload.consent, share=payload.share
    )
    return _referral(referral)


@router.post(
    "/referrals/{referral_id}/answer",
    response={200: FedReferralOut, **ERRORS},
    summary="Take on or refuse work passed to us (board)",
)
def answer(request: HttpRequest, referral_id: uuid.UUID, payload: FedAnswerIn) -> FedReferralOut:
    referral = actions.answer_referral(
        actor=_actor(request), referral_id=referral_id, accept=payload.accept, reason=payload.reason
    )
    return _referral(referral)


@router.post(
    "/referrals/{referral_id}/delivered",
    response={200: FedReferralOut, **ERRORS},
    summary="Report work passed to us as done, and pay its referral fee on credit (board)",
)
def delivered(
    request: HttpRequest, referral_id: uuid.UUID, payload: FedDeliveredIn
) -> FedReferralOut:
    referral = actions.report_delivered(
        actor=_actor(request), referral_id=referral_id, charged=Decimal(payload.charged)
    )
    return _referral(referral)


@router.get("/credit-lines", response={200: list[FedLineOut], **ERRORS}, summary="Credit lines")
def credit_lines(request: HttpRequest) -> list[FedLineOut]:
    selectors.require_member(_actor(request))
    return [_line(line) for line in CreditLine.objects.order_by("peer_id")]


@router.post(
    "/credit-lines",
    response={200: FedLineOut, **ERRORS},
    summary="Open or change how far a sister co-op may owe us (board, within the Policy)",
)
def open_line(request: HttpRequest, payload: FedLineIn) -> FedLineOut:
    line = actions.open_credit_line(
        actor=_actor(request), peer_id=payload.peer, limit=Decimal(payload.limit)
    )
    return _line(line)


@router.get("/transfers", response={200: list[FedTransferOut], **ERRORS}, summary="Transfers")
def transfers(request: HttpRequest) -> list[FedTransferOut]:
    return [_transfer(transfer) for transfer in selectors.transfers(_actor(request))]


@router.post(
    "/transfers",
    response={200: FedTransferOut, 201: FedTransferOut, **ERRORS},
    summary="Pay a sister co-op on credit (board; the transfer id makes retries safe)",
)
def propose_transfer(request: HttpRequest, payload: FedTransferIn) -> Status[FedTransferOut]:
    transfer, created = actions.propose_transfer(
        actor=_actor(request),
        peer_id=payload.peer,
        transfer_id=payload.transfer_id,
        amount=Decimal(payload.amount),
        purpose=payload.purpose,
        memo=payload.memo,
    )
    return Status(201 if created else 200, _transfer(transfer))


@router.post(
    "/transfers/{transfer_pk}/reverse",
    response={201: FedTransferOut, **ERRORS},
    summary="Give back a completed transfer by a compensating one (board)",
)
def reverse(
    request: HttpRequest, transfer_pk: RecordId, payload: FedReverseIn
) -> Status[FedTransferOut]:
    transfer = actions.reverse_transfer(
        actor=_actor(request), transfer_pk=transfer_pk, reason=payload.reason
    )
    return Status(201, _transfer(transfer))


@router.get(
    "/network-check",
    response={200: FedNetworkOut, **ERRORS},
    summary="Check every credit partner's records mirror ours and the network sums to zero",
)
def network_check(request: HttpRequest) -> FedNetworkOut:
    selectors.require_member(_actor(request))
    found = selectors.network_check()
    return FedNetworkOut(
        consistent=found.consistent,
        total=format(found.total, "f"),
        disagreements=[
            FedDisagreementOut(
                one=d.one,
                other=d.other,
                one_says=None if d.one_says is None else format(d.one_says, "f"),
                other_says=None if d.other_says is None else format(d.other_says, "f"),
                heads_match=d.heads_match,
            )
            for d in found.disagreements
        ],
        unreachable=found.unreachable,
    )
