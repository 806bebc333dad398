"""The zero-sum check walks the credit network partner to partner, over HTTP, reading co-ops
we have never met through their actors, and names every pair whose records disagree."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import strip_tags

from taawun.coop.models import Coop
from taawun.domain.mutual_credit import GENESIS
from taawun.federation import selectors
from taawun.federation.models import CreditLine

from .conftest import make_peer

US = "http://127.0.0.1:8000/ap/actor"
HEAD_AB, HEAD_BC = "a" * 64, "b" * 64


class Documents(ThreadingHTTPServer):
    """Serves a fixed JSON document per path, 404 for the rest."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Serve)
        self.documents: dict[str, Any] = {}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class Serve(BaseHTTPRequestHandler):
    server: Documents

    def do_GET(self) -> None:
        found = self.server.documents.get(self.path)
        body = json.dumps(found).encode()
        self.send_response(200 if found is not None else 404)
        self.send_header("Content-Type", "application/activity+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def network(settings: Any, coop: Coop) -> Iterator[Documents]:
    """Us ↔ B (B owes us 10), B ↔ C (C owes B 5); we know B only; B also lists D, who is down."""
    settings.FEDERATION_ALLOW_LOOPBACK = True
    server = Documents()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    b, c, d = server.url("/b/actor"), server.url("/c/actor"), server.url("/d/actor")
    peer = make_peer("B", "b.example", profile={"credit": server.url("/b/credit")})
    peer.actor_id = b
    peer.save(update_fields=["actor_id"])
    CreditLine.objects.create(
        peer=peer, currency="ILS", our_limit=Decimal(100), their_limit=Decimal(100),
        balance=Decimal(10), head=HEAD_AB, opened_at=timezone.now(),
    )  # fmt: skip
    server.documents = {
        "/b/credit": {
            "lines": [
                {"peer": US, "balance": "-10.00", "head": HEAD_AB},
                {"peer": c, "balance": "5.00", "head": HEAD_BC},
                {"peer": d, "balance": "7.00", "head": GENESIS},
            ]
        },
        "/c/actor": {
            "id": c,
            "type": "Organization",
            "taawun:profile": {"credit": server.url("/c/credit")},
        },
        "/c/credit": {"lines": [{"peer": b, "balance": "-5.00", "head": HEAD_BC}]},
    }
    yield server
    server.shutdown()
    server.server_close()


def test_a_consistent_network_sums_to_zero(network: Documents) -> None:
    found = selectors.network_check()

    assert (found.total, found.disagreements) == (Decimal(0), [])
    assert found.unreachable == [network.url("/d/actor")]
    assert found.consistent is False  # a co-op could not be read: the check is not complete


def test_a_record_two_partners_away_that_disagrees_is_named(network: Documents) -> None:
    network.documents["/c/credit"] = {
        "lines": [{"peer": network.url("/b/actor"), "balance": "-4.00", "head": HEAD_BC}]
    }

    found = selectors.network_check()

    assert found.total == Decimal(1)
    assert [
        (d.one, d.other, d.one_says, d.other_says, d.heads_match) for d in found.disagreements
    ] == [
        (network.url("/b/actor"), network.url("/c/actor"), Decimal("5.00"), Decimal("-4.00"), True)
    ]


def test_the_walk_stops_at_its_limit(network: Documents) -> None:
    found = selectors.network_check(limit=2)  # us and B

    assert found.unreachable == []
    assert (found.total, found.disagreements) == (Decimal(0), [])


def test_the_members_page_shows_who_disagrees(network: Documents, make_member: Any) -> None:
    network.documents["/c/credit"] = {
        "lines": [{"peer": network.url("/b/actor"), "balance": "-4.00", "head": HEAD_BC}]
    }
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_member().user)

    page = client.post("/federation/credit/check/")

    shown = " ".join(strip_tags(page.content.decode()).split())
    assert page.status_code == 200
    assert "The network does not add up. Total of every balance: 1.00 ILS (it must be 0)." in shown
    assert f"Could not be read: {network.url('/d/actor')}" in shown
    assert (
        f"B 5.00 ILS {network.url('/c/actor')} -4.00 ILS the same" in shown  # known by name
    )
