"""Races between co-ops' messages and board members on PostgreSQL: one transfer per payer's id,
one stored activity per id, and a credit limit that holds when two transfers arrive at once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from taawun.accounts.models import User
from taawun.coop.models import Coop
from taawun.federation import actions, discovery, inbox
from taawun.federation.models import CreditTransfer, Peer, Received
from taawun.federation.signatures import generate_actor_key, public_key_pem, sign_cavage
from tests.races import as_user, line_up, oks, race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]
THEM = "https://sister.example/ap/actor"


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def sister(coop: Coop) -> Peer:
    return Peer.objects.create(
        actor_id=THEM,
        inbox="https://sister.example/ap/inbox",
        key_id=f"{THEM}#main-key",
        public_key_pem=public_key_pem(generate_actor_key().public_key()),
        taawun=True,
        fetched_at=timezone.now(),
    )


@pytest.fixture
def limit(sister: Peer, founder: User) -> None:
    actions.open_credit_line(actor=founder, peer_id=sister.pk, limit=Decimal("100.00"))


def test_one_transfer_id_sent_twice_at_once_is_one_transfer(
    monkeypatch: pytest.MonkeyPatch, founder: User, sister: Peer, limit: None
) -> None:
    line_up(monkeypatch, actions, "check_transfer_id", 2)  # both find no earlier transfer

    def pay() -> tuple[int, bool]:
        transfer, created = actions.propose_transfer(
            actor=as_user(founder.pk),
            peer_id=sister.pk,
            transfer_id="once",
            amount=Decimal("30.00"),
            purpose="trade",
        )
        return transfer.pk, created

    results = oks(race([pay, pay]))

    assert CreditTransfer.objects.count() == 1
    assert sorted(created for _, created in results) == [False, True]
    assert len({pk for pk, _ in results}) == 1


def test_one_activity_delivered_twice_at_once_is_stored_once(sister: Peer, limit: None) -> None:
    activity = {
        "id": "https://sister.example/ap/activities/1",
        "type": "Offer",
        "actor": THEM,
        "object": {
            "id": f"{THEM}/transfers/t-1",
            "type": "Commitment",
            "action": "transfer",
            "taawun:transferId": "t-1",
            "taawun:purpose": "trade",
            "provider": THEM,
            "receiver": "http://testserver/ap/actor",
            "resourceQuantity": {"hasUnit": "ILS", "hasNumericalValue": "10.00"},
        },
    }

    def deliver() -> tuple[bool, str]:
        return inbox.receive(Peer.objects.get(pk=sister.pk), activity)

    results = oks(race([deliver, deliver]))

    assert sorted(results) == [(False, "duplicate"), (True, "transfer_accepted")]
    assert Received.objects.count() == 1
    assert CreditTransfer.objects.count() == 1


def test_two_transfers_that_together_pass_the_limit_cannot_both_be_accepted(
    monkeypatch: pytest.MonkeyPatch, sister: Peer, limit: None
) -> None:
    line_up(monkeypatch, actions, "accept_incoming_transfer", 2)

    def offer(number: int) -> Any:
        activity = {
            "id": f"https://sister.example/ap/activities/{number}",
            "type": "Offer",
            "actor": THEM,
            "object": {
                "id": f"{THEM}/transfers/t-{number}",
                "type": "Commitment",
                "action": "transfer",
                "taawun:transferId": f"t-{number}",
                "taawun:purpose": "trade",
                "provider": THEM,
                "receiver": "http://testserver/ap/actor",
                "resourceQuantity": {"hasUnit": "ILS", "hasNumericalValue": "60.00"},
            },
        }
        return lambda: inbox.receive(Peer.objects.get(pk=sister.pk), activity)[1]

    results = oks(race([offer(1), offer(2)]))

    assert sorted(results) == ["transfer_accepted", "transfer_rejected"]
    assert sorted(CreditTransfer.objects.values_list("state", flat=True)) == [
        "accepted",
        "rejected",
    ]


def test_an_activity_that_meets_a_dead_connection_is_received_on_a_new_one(
    sister: Peer,
) -> None:
    key = generate_actor_key()
    Peer.objects.filter(pk=sister.pk).update(public_key_pem=public_key_pem(key.public_key()))
    activity = {
        "id": "https://sister.example/ap/activities/note-1",
        "type": "Create",
        "actor": THEM,
        "object": {"type": "Note", "content": "hello"},
    }
    body = json.dumps(activity).encode()
    headers = sign_cavage(
        method="POST",
        url="http://testserver/ap/inbox",
        body=body,
        key_id=sister.key_id,
        private_key=key,
        now=timezone.now(),
    )
    client = Client()
    discovery.key_for(sister.key_id)  # known from an earlier request: no query before the claim
    connection.ensure_connection()
    connection.connection.close()  # the server went away between two requests

    response = client.post(
        "/ap/inbox",
        body,
        content_type="application/activity+json",
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
    )

    assert (response.status_code, response.json()) == (202, {"outcome": "ignored", "new": True})
    assert list(Received.objects.values_list("activity_id", flat=True)) == [activity["id"]]
