"""Interoperability with an ActivityPub implementation written elsewhere: bovine, from PyPI.

A real Taawun server and a bovine actor find each other, follow each other and accept the
follows, each side checking the other's HTTP signatures with its own code; requests that
bovine signs and then alters, signs with the wrong key, dates an hour back or leaves unsigned
are refused with the reason."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from bovine.clients import signed_http_methods
from bovine.crypto import generate_rsa_public_private_key
from bovine.crypto.types import CryptographicIdentifier
from bovine.utils import GMT_STRING
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from .bovine_peer import BovinePeer, Delivery
from .network import Instance, running, wait_for

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def coop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with running(tmp_path_factory.mktemp("interop"), "bethlehem") as (bethlehem,):
        yield bethlehem


@pytest.fixture(scope="module")
def peer() -> Iterator[BovinePeer]:
    started = BovinePeer()
    started.start()
    try:
        yield started
    finally:
        started.stop()


def actor_of(coop: Instance) -> str:
    return f"{coop.url}/ap/actor"


def inbox_of(coop: Instance) -> str:
    return f"{coop.url}/ap/inbox"


def peer_at(coop: Instance, peer: BovinePeer) -> dict[str, Any]:
    _, peers = coop.api("GET", "/federation/peers")
    return next(p for p in peers if p["actor"] == peer.actor_id)


def received(peer: BovinePeer, kind: str) -> list[Delivery]:
    return [d for d in peer.received if d.activity.get("type") == kind]


def test_bovine_finds_our_coop_by_webfinger(coop: Instance, peer: BovinePeer) -> None:
    found = peer.webfinger(f"acct:{coop.name}@127.0.0.1:{coop.port}", coop.url)
    assert found == (actor_of(coop), False)  # an acct: answer needs no further proof

    document = peer.fetch(actor_of(coop))
    assert (document["id"], document["type"], document["inbox"]) == (
        actor_of(coop),
        "Organization",
        inbox_of(coop),
    )
    assert document["publicKey"]["id"] == f"{actor_of(coop)}#main-key"
    key = CryptographicIdentifier.from_public_key(document["publicKey"])
    assert key.controller == actor_of(coop)
    ours = load_pem_private_key((coop.root / "federation_key.pem").read_bytes(), password=None)
    assert isinstance(key.public_key, RSAPublicKey) and isinstance(ours, RSAPrivateKey)
    assert key.public_key.public_numbers() == ours.public_key().public_numbers()
    assert key.public_key.key_size == 2048


def test_we_follow_bovine_and_it_accepts(coop: Instance, peer: BovinePeer) -> None:
    status, answer = coop.api("POST", "/federation/follow", {"address": peer.address})
    assert status == 200, answer
    assert (answer["actor"], answer["handle"], answer["sister_coop"], answer["following"]) == (
        peer.actor_id,
        peer.address,
        False,
        "requested",
    )

    (follow,) = wait_for(lambda: received(peer, "Follow"), what="our Follow at bovine")
    assert (follow.verified, follow.signer, follow.key_id) == (
        True,
        actor_of(coop),
        f"{actor_of(coop)}#main-key",
    )
    assert {k: follow.activity[k] for k in ("type", "actor", "object", "to")} == {
        "type": "Follow",
        "actor": actor_of(coop),
        "object": peer.actor_id,
        "to": [peer.actor_id],
    }

    accept = peer.activities.accept(follow.activity).build()
    assert accept["object"] == follow.activity["id"]
    assert peer.post(inbox_of(coop), accept) == (202, {"outcome": "follow_accepted", "new": True})
    assert peer_at(coop, peer)["following"] == "accepted"


def test_bovine_follows_us_and_we_accept(coop: Instance, peer: BovinePeer) -> None:
    follow = peer.activities.follow(actor_of(coop)).build()
    assert peer.post(inbox_of(coop), follow) == (202, {"outcome": "accepted", "new": True})

    (accept,) = wait_for(lambda: received(peer, "Accept"), what="our Accept at bovine")
    assert (accept.verified, accept.signer) == (True, actor_of(coop))
    assert {k: accept.activity[k] for k in ("type", "actor", "object", "to")} == {
        "type": "Accept",
        "actor": actor_of(coop),
        "object": follow,
        "to": [peer.actor_id],
    }
    assert peer_at(coop, peer)["follows_us"] is True

    # A new follower that is not a Taawun server is sent our offers as notes.
    (offer,) = wait_for(lambda: received(peer, "Create"), what="our offer at bovine")
    assert (offer.verified, offer.activity["object"]["type"]) == (True, "Note")
    assert offer.activity["object"]["content"] == "<p>Home cleaning: 45.00 ILS / hour</p>"


def test_bad_signatures_are_refused(coop: Instance, peer: BovinePeer) -> None:
    inbox = inbox_of(coop)
    follow = peer.activities.follow(actor_of(coop)).build()
    body = json.dumps(follow)

    def refusal(answer: tuple[int, Any]) -> tuple[int, str]:
        status, document = answer
        return status, document["error"]

    altered = json.dumps({**follow, "type": "Block"}).encode()
    _, stranger = generate_rsa_public_private_key()
    hour_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime(GMT_STRING)
    with mock.patch.object(signed_http_methods, "get_gmt_now", return_value=hour_ago):
        stale = peer.post(inbox, follow)
    assert {
        "body changed after signing": refusal(
            peer.send(inbox, altered, peer.signed_headers(inbox, body))
        ),
        "signed by another key": refusal(peer.post(inbox, follow, private_pem=stranger)),
        "unsigned": refusal(
            peer.send(inbox, body.encode(), {"Content-Type": "application/activity+json"})
        ),
        "an hour old": refusal(stale),
    } == {
        "body changed after signing": (401, "signature_bad_digest"),
        "signed by another key": (401, "signature_bad_signature"),
        "unsigned": (401, "signature_unsigned"),
        "an hour old": (401, "signature_stale"),
    }

    # None of them was stored: the same activity, signed properly, is new.
    assert peer.post(inbox, follow) == (202, {"outcome": "accepted", "new": True})
