"""Every read of the federation, public (the co-op's profile, its credit lines) or for members
(the directory of sister co-ops, referrals, transfers), with its permission check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role, roles_of
from taawun.coop.selectors import current_policy, get_coop_or_404
from taawun.domain import mutual_credit
from taawun.domain.errors import InvalidInput, NotFound, gettext_noop
from taawun.market.models import Order
from taawun.members.selectors import current_memberships
from taawun.transparency import signing

from . import discovery, keys, offers
from . import vocabulary as vocab
from .models import (
    CreditLine,
    CreditTransfer,
    Delivery,
    Peer,
    PublishedLearning,
    Referral,
    RemoteOffer,
)


def handle() -> str:
    return get_coop_or_404().handle


def our_address() -> str:
    """The address sister co-ops follow us by (WebFinger's ``name@host``)."""
    return f"{handle()}@{vocab.host()}"


def coop_name() -> str:
    return get_coop_or_404().name_en


def member_count() -> int:
    return current_memberships().count()


def sectors() -> list[str]:
    """The sectors we work in: those of our offers and of the orders of the last 90 days."""
    found = {proposal["taawun:sector"] for proposal in offers.proposals()}
    recent = Order.objects.filter(created_at__gte=timezone.now() - dt.timedelta(days=90))
    found.update(recent.values_list("sector", flat=True).distinct())
    return sorted(found)


def profile() -> dict[str, Any]:
    """What a sister co-op needs to know of us, beside what every actor has."""
    coop = get_coop_or_404()
    return {
        "sectors": sectors(),
        "area": coop.city,
        "currency": current_policy().policy.currency,
        "logKey": str(signing.public_key()),
        "logHead": vocab.site() + "/log/head.txt",
        "credit": vocab.url("credit"),
        "referralFeePercent": format(current_policy().policy.federation.referral_fee_percent, "f"),
    }


def actor_document() -> dict[str, Any]:
    coop = get_coop_or_404()
    info = profile()
    return {
        "@context": vocab.CONTEXT,
        "id": vocab.actor_id(),
        "type": "Organization",
        "preferredUsername": coop.handle,
        "name": coop.name_en,
        "nameMap": {"ar": coop.name_ar, "en": coop.name_en},
        "summary": coop.about_en,
        "summaryMap": {"ar": coop.about_ar, "en": coop.about_en},
        "url": vocab.site() + "/",
        "inbox": vocab.url("inbox"),
        "outbox": vocab.url("outbox"),
        "followers": vocab.url("followers"),
        "following": vocab.url("following"),
        "endpoints": {"sharedInbox": vocab.url("inbox")},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "publicKey": {
            "id": vocab.key_id(),
            "owner": vocab.actor_id(),
            "publicKeyPem": keys.public_pem(),
        },
        "attachment": [
            {"type": "PropertyValue", "name": "Sectors", "value": ", ".join(info["sectors"])},
            {"type": "PropertyValue", "name": "Area", "value": info["area"]},
            {"type": "PropertyValue", "name": "Transparency log key", "value": info["logKey"]},
        ],
        "taawun:profile": info,
    }


def credit_lines_public() -> list[dict[str, Any]]:
    return [
        {
            "peer": line.peer.actor_id,
            "currency": line.currency,
            "balance": format(line.balance, "f"),
            "head": line.head,
            "transfers": line.transfers,
        }
        for line in CreditLine.objects.select_related("peer").order_by("peer__actor_id")
    ]


# --- For members -------------------------------------------------------------------------------


def require_member(viewer: User) -> None:
    require_role(viewer, Role.MEMBER, Role.BOARD)


def is_board(viewer: User) -> bool:
    return Role.BOARD in roles_of(viewer)


def peers(viewer: User) -> QuerySet[Peer]:
    require_member(viewer)
    return Peer.objects.annotate(offer_count=Count("offers")).select_related("credit_line")


def directory(viewer: User, *, sector: str = "") -> QuerySet[RemoteOffer]:
    """Sister co-ops' offers, from the co-ops we follow."""
    require_member(viewer)
    found = RemoteOffer.objects.filter(peer__following=Peer.Following.ACCEPTED).select_related(
        "peer"
    )
    return found.filter(sector=sector) if sector else found


def referrals(viewer: User) -> QuerySet[Referral]:
    require_member(viewer)
    return Referral.objects.select_related("peer", "order")


def referral_for_customer(viewer: User, referral_id: Any) -> Referral:
    """A referral of the viewer's own order (the customer decides whether it is passed on)."""
    found = (
        Referral.objects.select_related("peer", "order")
        .filter(pk=referral_id, direction=Referral.Direction.OUT, order__customer=viewer)
        .first()
    )
    if found is None:
        raise NotFound("no_such_referral", gettext_noop("There is no such referral."))
    return found


def consents_waiting(viewer: User) -> QuerySet[Referral]:
    return Referral.objects.filter(
        order__customer=viewer, status=Referral.Status.AWAITING_CONSENT
    ).select_related("peer", "order")


def transfers(viewer: User) -> QuerySet[CreditTransfer]:
    require_member(viewer)
    return CreditTransfer.objects.select_related("peer")


MAX_NETWORK = 100  # co-ops read by one check, so a walk through a huge network stays bounded


@dataclass(frozen=True)
class NetworkCheck:
    total: Decimal
    disagreements: list[mutual_credit.Disagreement]
    unreachable: list[str]

    @property
    def consistent(self) -> bool:
        return self.total == 0 and not self.disagreements and not self.unreachable


def network_check(limit: int = MAX_NETWORK) -> NetworkCheck:
    """Walk the credit network from us, partner to partner (up to ``limit`` co-ops), reading
    each co-op's public lines, and check that it sums to zero and every pair's two records
    mirror each other, chain heads included."""
    me = vocab.actor_id()
    books: dict[str, dict[str, tuple[Decimal, str]]] = {me: _lines(credit_lines_public())}
    known = {peer.actor_id: peer.profile for peer in Peer.objects.all()}
    unreachable: list[str] = []
    waiting = list(books[me])
    while waiting and len(books) + len(unreachable) < limit:
        actor = waiting.pop(0)
        if actor in books or actor in unreachable:
            continue
        try:
            books[actor] = _lines(_public_lines(actor, known.get(actor)))
        except (InvalidInput, AttributeError, KeyError, TypeError, ValueError, ArithmeticError):
            unreachable.append(actor)
            continue
        waiting.extend(other for other in books[actor] if other not in books)
    total, disagreements = mutual_credit.network_check(books)
    return NetworkCheck(total, disagreements, unreachable)


def _public_lines(actor: str, profile: dict[str, Any] | None) -> Any:
    """A co-op's published credit lines, found through its actor when we don't know it."""
    if profile is None:
        profile = discovery.look_up(actor).get("taawun:profile")
    address = str(profile.get("credit", "")) if isinstance(profile, dict) else ""
    if not vocab.same_host(address, actor):
        raise vocab.bad("the credit address")
    return discovery.fetch_json(address)["lines"]


def _lines(lines: list[dict[str, Any]]) -> dict[str, tuple[Decimal, str]]:
    found = {str(line["peer"]): (Decimal(line["balance"]), str(line["head"])) for line in lines}
    if any(not balance.is_finite() for balance, _ in found.values()):
        raise ValueError("a balance that is not a number")
    return found


def too_large_to_share(kind: str, key: str) -> bool:
    """Whether the last round found the shared course or page (``kind`` "course" or "page",
    ``key`` its key or address) too large for a sister co-op's inbox: its page then offers the
    file to download instead. Sister co-ops keep the version they were last sent, if any."""
    return PublishedLearning.objects.filter(
        kind=kind, key=key, too_large=True, withdrawn=False
    ).exists()


def deliveries_pending() -> int:
    return Delivery.objects.filter(delivered_at__isnull=True, given_up_at__isnull=True).count()
