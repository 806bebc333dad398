"""Delivery to a real HTTP server on loopback: signed so the receiver can check it, retried with
backoff after failures, given up on refusals, and sent again with draft-cavage when a server
refuses RFC 9421."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from taawun.accounts.models import User
from taawun.coop.models import Coop
from taawun.federation import actions, delivery, keys
from taawun.federation.models import Delivery, Peer
from taawun.federation.signatures import verify_request
from taawun.market.services.actions import create_service

from .conftest import make_peer


class Inbox(ThreadingHTTPServer):
    """Answers each POST with the next programmed status and keeps what it received."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.statuses: list[int] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.refuse_rfc9421 = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/inbox"


class Handler(BaseHTTPRequestHandler):
    server: Inbox

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = dict(self.headers.items())
        self.server.received.append((headers, body))
        if self.server.refuse_rfc9421 and "Signature-Input" in headers:
            status = 401
        else:
            status = self.server.statuses.pop(0) if self.server.statuses else 202
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    settings.FEDERATION_ALLOW_LOOPBACK = True
    settings.FEDERATION_RETRY_SECONDS = 30
    settings.FEDERATION_MAX_ATTEMPTS = 3
    server = Inbox()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def peer_at(inbox: Inbox, *, taawun: bool = False) -> Peer:
    return make_peer("Listener", "listener.example", inbox=inbox.url, taawun=taawun)


def queue(peer: Peer) -> Delivery:
    with transaction.atomic():
        actions.send("Follow", peer.actor_id, [peer])
    return Delivery.objects.get()


def test_a_delivery_arrives_signed_the_mastodon_way(coop: Coop, inbox: Inbox) -> None:
    sent = queue(peer_at(inbox))

    delivery.deliver_due()

    sent.refresh_from_db()
    assert (sent.attempts, sent.last_error, sent.given_up_at) == (1, "", None)
    assert sent.delivered_at is not None
    headers, body = inbox.received[0]
    assert "Signature-Input" not in headers
    key_id = verify_request(
        method="POST",
        url=inbox.url,
        headers=headers,
        body=body,
        public_key_for=lambda _: keys.private_key().public_key(),
        now=timezone.now(),
    )
    assert key_id == "http://127.0.0.1:8000/ap/actor#main-key"


def test_a_sister_coop_that_refuses_rfc9421_gets_draft_cavage_at_once(
    coop: Coop, inbox: Inbox
) -> None:
    inbox.refuse_rfc9421 = True
    sent = queue(peer_at(inbox, taawun=True))

    delivery.deliver_due()

    sent.refresh_from_db()
    assert sent.delivered_at is not None
    assert ["Signature-Input" in headers for headers, _ in inbox.received] == [True, False]


def test_a_failure_waits_then_is_retried(coop: Coop, inbox: Inbox) -> None:
    inbox.statuses = [503]
    sent = queue(peer_at(inbox))

    delivery.deliver_due()
    sent.refresh_from_db()
    waited = sent.next_attempt_at - timezone.now()
    delivery.deliver_due()  # not due yet: nothing is sent

    assert (sent.attempts, sent.last_error, sent.delivered_at) == (1, "HTTP 503", None)
    assert dt.timedelta(seconds=25) < waited <= dt.timedelta(seconds=30)
    assert len(inbox.received) == 1
    Delivery.objects.update(next_attempt_at=timezone.now())
    delivery.deliver_due()
    sent.refresh_from_db()
    assert (sent.attempts, sent.last_error) == (2, "")
    assert sent.delivered_at is not None
    assert inbox.received[0][1] == inbox.received[1][1]  # the same activity, not a new one


def test_a_refusal_is_not_retried(coop: Coop, inbox: Inbox) -> None:
    inbox.statuses = [410]
    sent = queue(peer_at(inbox))

    delivery.deliver_due()

    sent.refresh_from_db()
    assert (sent.attempts, sent.last_error, sent.delivered_at) == (1, "HTTP 410", None)
    assert sent.given_up_at is not None


def test_an_unreachable_server_is_given_up_after_the_last_attempt(coop: Coop, inbox: Inbox) -> None:
    peer = peer_at(inbox)
    inbox.shutdown()
    inbox.server_close()
    sent = queue(peer)

    for _ in range(3):
        Delivery.objects.update(next_attempt_at=timezone.now())
        delivery.deliver_due()

    sent.refresh_from_db()
    assert sent.attempts == 3
    assert sent.last_error.startswith("127.0.0.1 could not be reached")
    assert (sent.delivered_at is None, sent.given_up_at is not None) == (True, True)


def test_backoff_doubles_up_to_six_hours(settings: Any) -> None:
    settings.FEDERATION_RETRY_SECONDS = 30
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 4, 12)] == [
        30, 60, 120, 240, 6 * 3600,
    ]  # fmt: skip


def test_the_background_round_tells_followers_of_new_offers_once(
    founder: User, inbox: Inbox
) -> None:
    make_peer("Listener", "listener.example", inbox=inbox.url, taawun=False, follows_us=True)
    create_service(
        actor=founder, title_ar="تنظيف منزل", title_en="Home cleaning", duration_minutes=120
    )
    out = StringIO()

    call_command("federation", stdout=out)
    call_command("federation", stdout=out)  # nothing changed: nothing more is sent

    assert out.getvalue() == "next delivery due: none\n" * 2
    assert len(inbox.received) == 1
    sent = json.loads(inbox.received[0][1])
    assert (sent["type"], sent["object"]["type"]) == ("Create", "Note")  # not a Taawun server
    assert sent["object"]["content"] == "<p>Home cleaning: 45.00 ILS / hour</p>"
