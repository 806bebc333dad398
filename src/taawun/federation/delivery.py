"""Delivering our activities to other inboxes, signed, retried with backoff until they land.

Deliveries are rows written in the sending action's transaction, so nothing is sent for an
action that rolled back and nothing is lost when a process dies: the next worker picks up what
is due. A worker claims a delivery with one conditional UPDATE (a short lease), so several
processes can deliver side by side without sending one activity twice at once.

Sister co-ops get RFC 9421 signatures; other servers get draft-cavage, which Mastodon and the
rest of the fediverse speak. A 9421 request that is refused is sent again with draft-cavage at
once ("double knocking")."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from taawun import background

from . import keys, net
from . import vocabulary as vocab
from .models import Delivery, Outbound, Peer
from .signatures import sign_cavage, sign_rfc9421

logger = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=60)
LONGEST_WAIT = dt.timedelta(hours=6)
PERMANENT = frozenset({400, 401, 403, 404, 405, 410, 413, 422})


def queue(outbound: Outbound, peers: Iterable[Peer]) -> None:
    now = timezone.now()
    Delivery.objects.bulk_create(
        [
            Delivery(outbound=outbound, peer=peer, inbox=peer.inbox, next_attempt_at=now)
            for peer in peers
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(background.wake)


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure: doubling, capped at six hours."""
    wait = dt.timedelta(seconds=settings.FEDERATION_RETRY_SECONDS * 2 ** min(attempts - 1, 20))
    return min(wait, LONGEST_WAIT)


def _signed_post(inbox: str, body: bytes, *, rfc9421: bool) -> net.Answer:
    base = {"Content-Type": net.ACTIVITY_JSON, "Accept": net.ACTIVITY_JSON}
    sign = sign_rfc9421 if rfc9421 else sign_cavage
    added = sign(
        method="POST",
        url=inbox,
        body=body,
        key_id=vocab.key_id(),
        private_key=keys.private_key(),
        now=timezone.now(),
        headers=base,
    )
    return net.request("POST", inbox, headers={**base, **added}, body=body)


def attempt(delivery: Delivery) -> None:
    """Send one delivery and record how it went."""
    body = json.dumps(delivery.outbound.payload, ensure_ascii=False).encode()
    now = timezone.now()
    try:
        answer = _signed_post(delivery.inbox, body, rfc9421=delivery.peer.taawun)
        if delivery.peer.taawun and answer.status in (400, 401):
            answer = _signed_post(delivery.inbox, body, rfc9421=False)
        error = "" if 200 <= answer.status < 300 else f"HTTP {answer.status}"
        permanent = answer.status in PERMANENT
    except net.FetchRefused as refused:
        error, permanent = str(refused)[:300], False
    delivery.attempts += 1
    if not error:
        delivery.delivered_at, delivery.last_error = now, ""
    elif permanent or delivery.attempts >= settings.FEDERATION_MAX_ATTEMPTS:
        delivery.given_up_at, delivery.last_error = now, error
    else:
        delivery.next_attempt_at, delivery.last_error = now + backoff(delivery.attempts), error
    delivery.save(
        update_fields=["attempts", "delivered_at", "given_up_at", "next_attempt_at", "last_error"]
    )


def _claim(delivery: Delivery, now: dt.datetime) -> bool:
    return bool(
        Delivery.objects.filter(
            pk=delivery.pk,
            next_attempt_at=delivery.next_attempt_at,
            delivered_at__isnull=True,
            given_up_at__isnull=True,
        ).update(next_attempt_at=now + LEASE)
    )


def deliver_due(limit: int = 200) -> dt.datetime | None:
    """Send every delivery whose time has come; returns when the next one will be due."""
    pending = Delivery.objects.filter(delivered_at__isnull=True, given_up_at__isnull=True)
    while True:
        now = timezone.now()
        due = list(
            pending.filter(next_attempt_at__lte=now)
            .select_related("outbound", "peer")
            .order_by("next_attempt_at", "id")[:limit]
        )
        if not due:
            break
        for delivery in due:
            if _claim(delivery, now):
                attempt(delivery)
    following = pending.order_by("next_attempt_at").values_list("next_attempt_at", flat=True)
    return following.first()


def run_once() -> dt.datetime | None:
    """One round of the background work: time out what is overdue, tell followers of changed
    offers and shared lessons and pages, deliver what is due. Nothing to do before the co-op is
    founded."""
    from taawun.coop.selectors import get_coop

    from .actions import expire_overdue, publish_offers
    from .learning import publish_learning

    if get_coop() is None:
        return None
    expire_overdue()
    publish_offers()
    publish_learning()
    return deliver_due()
