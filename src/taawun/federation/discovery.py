"""Finding other servers' actors and their keys: WebFinger (RFC 7033) and actor documents.

Keys are kept parsed in memory per process: an inbox checks hundreds of signatures a second
and a PEM parse costs more than the check. A key that no longer verifies is fetched afresh once
(the actor may have rotated it), as Mastodon does."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from taawun.domain.errors import InvalidInput, gettext_noop

from . import net
from . import vocabulary as vocab
from .models import Peer
from .signatures import PublicKey, SignatureRefused, load_public_key_pem

ACCOUNT = re.compile(
    r"^@?(?P<user>[A-Za-z0-9_.~-]{1,64})@(?P<host>[A-Za-z0-9.-]{1,253}(:\d{1,5})?)$"
)
REFRESH_AFTER = dt.timedelta(minutes=1)
_keys: dict[str, tuple[int, str, PublicKey]] = {}  # key id → (peer pk, actor id, key)


def unreachable(reason: str) -> InvalidInput:
    return InvalidInput(
        "peer_unreachable",
        gettext_noop("That co-op could not be reached or did not answer as a co-op: %(reason)s."),
        reason=reason,
    )


def fetch_json(url: str) -> Any:
    """GET an ActivityPub (or plain JSON) document, refusing what may not be fetched."""
    try:
        answer = net.request("GET", url, headers={"Accept": net.ACCEPT_ACTIVITY})
    except net.FetchRefused as refused:
        raise unreachable(str(refused)) from None
    if answer.status != 200:
        raise unreachable(f"HTTP {answer.status}")
    try:
        return answer.json()
    except net.FetchRefused as refused:
        raise unreachable(str(refused)) from None


def webfinger(user: str, host: str) -> str:
    """The actor URL of ``user@host``. Tries https, and http only for loopback tests."""
    query = urlencode({"resource": f"acct:{user}@{host}"})
    schemes = ("https", "http") if _loopback(host) else ("https",)
    last: InvalidInput | None = None
    for scheme in schemes:
        try:
            document = fetch_json(urlunsplit((scheme, host, "/.well-known/webfinger", query, "")))
        except InvalidInput as error:
            last = error
            continue
        for link in document.get("links", []) if isinstance(document, dict) else []:
            if (
                isinstance(link, dict)
                and link.get("rel") == "self"
                and any(kind in str(link.get("type", "")) for kind in ("activity+json", "ld+json"))
                and isinstance(link.get("href"), str)
            ):
                return str(link["href"])
        last = unreachable("no actor in the WebFinger answer")
    assert last is not None
    raise last


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0]
    return name in ("127.0.0.1", "localhost", "[::1]")


def look_up(address: str) -> dict[str, Any]:
    """The actor document named by ``name@host`` or by its URL."""
    address = address.strip()
    account = ACCOUNT.match(address)
    if account:
        actor_url = webfinger(account["user"], account["host"])
    elif address.startswith(("https://", "http://")):
        actor_url = address
    else:
        raise InvalidInput(
            "bad_address", gettext_noop("Give the co-op's address as name@host or its URL.")
        )
    document = fetch_json(actor_url)
    if not isinstance(document, dict) or not vocab.same_host(str(document.get("id")), actor_url):
        raise unreachable("the actor document names another address")
    return document


def remember(document: dict[str, Any]) -> Peer:
    """Store or refresh the peer an actor document describes (call inside a transaction)."""
    if not vocab.storable(document):
        raise vocab.bad("the actor document")
    try:
        actor_id = vocab.ref(document)
        inbox = vocab.owned_by(document.get("inbox"), actor_id)
        key = document.get("publicKey")
        if isinstance(key, list):
            key = key[0] if key else None
        if not isinstance(key, dict):
            raise vocab.bad("the public key")
        key_id = vocab.owned_by(key.get("id"), actor_id)
        pem = key.get("publicKeyPem")
        if not isinstance(pem, str) or len(pem) > 5000:
            raise vocab.bad("the public key")
        load_public_key_pem(pem)
    except SignatureRefused:
        raise vocab.bad("the public key") from None
    outbox = document.get("outbox")
    profile = document.get("taawun:profile") or {}
    username = vocab.text(document.get("preferredUsername"), 64, field="name")
    fields = {
        "handle": f"{username}@{urlsplit(actor_id).netloc}",
        "name": vocab.text(document.get("nameMap") or document.get("name"), 200, field="name"),
        "summary": vocab.text(
            document.get("summaryMap") or document.get("summary"), 2000, field="summary"
        ),
        "inbox": inbox,
        "outbox": outbox if isinstance(outbox, str) and vocab.same_host(outbox, actor_id) else "",
        "key_id": key_id,
        "public_key_pem": pem,
        "profile": profile if isinstance(profile, dict) else {},
        "taawun": isinstance(profile, dict) and bool(profile),
        "fetched_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            peer, _ = Peer.objects.update_or_create(actor_id=actor_id, defaults=fields)
    except IntegrityError:  # the key id belongs to another actor we know: refuse the claim
        raise vocab.bad("a key that belongs to another actor") from None
    _keys.pop(key_id, None)
    return peer


def key_for(key_id: str) -> tuple[int, str, PublicKey] | None:
    """(peer pk, actor id, key) for a signature's key id: from memory, the database, or the
    network (a first contact), or None when no actor of that key can be found."""
    known = _keys.get(key_id)
    if known is not None:
        return known
    peer = Peer.objects.filter(key_id=key_id).only("pk", "actor_id", "public_key_pem").first()
    if peer is None:
        if not key_id.startswith(("https://", "http://")):
            return None
        try:
            document = look_up(key_id.split("#", 1)[0])
            with transaction.atomic():
                peer = remember(document)
        except InvalidInput:
            return None
        if peer.key_id != key_id:
            return None
    found = (peer.pk, peer.actor_id, load_public_key_pem(peer.public_key_pem))
    _keys[key_id] = found
    return found


def refresh_key(key_id: str) -> tuple[int, str, PublicKey] | None:
    """Fetch the actor of ``key_id`` again (it may have rotated its key), at most once a
    minute: a stream of forged signatures must not turn us into its fetching machine."""
    peer = Peer.objects.filter(key_id=key_id).first()
    if peer is None or timezone.now() - peer.fetched_at < REFRESH_AFTER:
        return None
    _keys.pop(key_id, None)
    try:
        with transaction.atomic():
            remember(look_up(peer.actor_id))
    except InvalidInput:
        return None
    return key_for(key_id)
