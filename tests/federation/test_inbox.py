"""The inbox in process: who gets in (signatures, keys, actors), what is stored (once), and what
each activity does; every refusal leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from taawun.accounts.models import User
from taawun.coop.models import Coop
from taawun.federation import actions
from taawun.federation.models import (
    CreditLine,
    CreditTransfer,
    Delivery,
    Outbound,
    Peer,
    Received,
    Referral,
)
from taawun.federation.signatures import (
    generate_actor_key,
    public_key_pem,
    sign_cavage,
    sign_rfc9421,
)

SITE = "http://testserver"
INBOX = f"{SITE}/ap/inbox"
OURS = f"{SITE}/ap/actor"
THEM = "https://sister.example/ap/actor"
KEY = generate_actor_key()
OTHER_KEY = generate_actor_key()


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.SITE_URL = SITE


@pytest.fixture
def sister(coop: Coop) -> Peer:
    return Peer.objects.create(
        actor_id=THEM,
        handle="sister@sister.example",
        name="Sister Co-op",
        inbox="https://sister.example/ap/inbox",
        key_id=f"{THEM}#main-key",
        public_key_pem=public_key_pem(KEY.public_key()),
        profile={"sectors": ["trip"], "credit": "https://sister.example/ap/credit"},
        taawun=True,
        fetched_at=timezone.now(),
    )


def post(
    activity: dict[str, Any],
    *,
    key: Any = KEY,
    key_id: str = f"{THEM}#main-key",
    scheme: Any = sign_cavage,
    now: dt.datetime | None = None,
    tamper: bytes | None = None,
) -> Any:
    body = json.dumps(activity).encode()
    headers = scheme(
        method="POST",
        url=INBOX,
        body=body,
        key_id=key_id,
        private_key=key,
        now=now or timezone.now(),
        headers={"Content-Type": "application/activity+json"},
    )
    sent = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return Client().post(
        "/ap/inbox", tamper or body, content_type="application/activity+json", **sent
    )


def follow(number: int = 1) -> dict[str, Any]:
    return {
        "id": f"https://sister.example/ap/activities/follow-{number}",
        "type": "Follow",
        "actor": THEM,
        "object": OURS,
    }


def nothing_stored() -> bool:
    return not Received.objects.exists() and not Outbound.objects.exists()


@pytest.mark.parametrize("scheme", [sign_cavage, sign_rfc9421], ids=["cavage", "rfc9421"])
def test_a_signed_follow_is_accepted_once(sister: Peer, scheme: Any) -> None:
    first = post(follow(), scheme=scheme)
    again = post(follow(), scheme=scheme)  # the same delivery retried

    assert (first.status_code, first.json()) == (202, {"outcome": "accepted", "new": True})
    assert (again.status_code, again.json()) == (202, {"outcome": "duplicate", "new": False})
    assert Received.objects.count() == 1
    sister.refresh_from_db()
    assert sister.follows_us is True
    accept = Outbound.objects.get(kind="Accept")
    assert accept.payload["object"]["id"] == follow()["id"]
    assert accept.payload["to"] == [THEM]
    assert list(Delivery.objects.values_list("inbox", "outbound__kind")) == [
        ("https://sister.example/ap/inbox", "Accept")
    ]


def test_an_unsigned_request_is_refused(sister: Peer) -> None:
    response = Client().post("/ap/inbox", follow(), content_type="application/activity+json")

    assert response.status_code == 401
    assert response.json()["error"] == "signature_unsigned"
    assert nothing_stored()


def test_a_body_changed_after_signing_is_refused(sister: Peer) -> None:
    tampered = json.dumps({**follow(), "object": THEM}).encode()

    response = post(follow(), tamper=tampered)

    assert (response.status_code, response.json()["error"]) == (401, "signature_bad_digest")
    assert nothing_stored()


def test_a_signature_by_another_key_is_refused(sister: Peer) -> None:
    response = post(follow(), key=OTHER_KEY)

    assert (response.status_code, response.json()["error"]) == (401, "signature_bad_signature")
    assert nothing_stored()


@pytest.mark.parametrize("seconds", [-301, 301])
def test_a_replayed_or_future_request_is_refused(sister: Peer, seconds: int) -> None:
    response = post(follow(), now=timezone.now() + dt.timedelta(seconds=seconds))

    assert (response.status_code, response.json()["error"]) == (401, "signature_stale")
    assert nothing_stored()


def test_an_unknown_key_is_refused_without_fetching_private_addresses(coop: Coop) -> None:
    response = post(follow(), key_id="http://127.0.0.1:9/ap/actor#main-key")

    assert (response.status_code, response.json()["error"]) == (401, "signature_unknown_key")
    assert nothing_stored()
    assert not Peer.objects.exists()


def test_an_activity_for_someone_else_is_refused(sister: Peer) -> None:
    response = post({**follow(), "actor": "https://sister.example/ap/someone-else"})

    assert (response.status_code, response.json()["error"]) == (401, "signature_wrong_actor")
    assert nothing_stored()


def test_an_activity_with_an_id_on_another_host_is_refused(sister: Peer) -> None:
    response = post({**follow(), "id": "https://elsewhere.example/follow/1"})

    assert (response.status_code, response.json()["error"]) == (400, "bad_activity")
    assert nothing_stored()


def test_a_body_that_is_not_json_is_refused(sister: Peer) -> None:
    body = b"not json"
    headers = sign_cavage(
        method="POST", url=INBOX, body=body, key_id=sister.key_id, private_key=KEY,
        now=timezone.now(),
    )  # fmt: skip
    sent = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    response = Client().post("/ap/inbox", body, content_type="application/activity+json", **sent)

    assert (response.status_code, response.json()["error"]) == (400, "bad_json")
    assert nothing_stored()


def transfer_offer(transfer_id: str, amount: str, number: int = 1) -> dict[str, Any]:
    return {
        "id": f"https://sister.example/ap/activities/offer-{number}",
        "type": "Offer",
        "actor": THEM,
        "object": {
            "id": f"{THEM}/transfers/{transfer_id}",
            "type": "Commitment",
            "action": "transfer",
            "taawun:transferId": transfer_id,
            "taawun:purpose": "trade",
            "provider": THEM,
            "receiver": OURS,
            "resourceQuantity": {"hasUnit": "ILS", "hasNumericalValue": amount},
        },
    }


@pytest.fixture
def line(sister: Peer, founder: User) -> CreditLine:
    return actions.open_credit_line(actor=founder, peer_id=sister.pk, limit=Decimal("100.00"))


def test_a_transfer_within_our_limit_is_accepted(line: CreditLine) -> None:
    response = post(transfer_offer("t-1", "60.00"))

    assert response.json()["outcome"] == "transfer_accepted"
    transfer = CreditTransfer.objects.get()
    assert (transfer.transfer_id, transfer.we_pay, transfer.amount, transfer.state) == (
        "t-1", False, Decimal("60.000"), "accepted",
    )  # fmt: skip
    assert Outbound.objects.filter(kind="Accept").count() == 1


def test_a_transfer_beyond_our_limit_counting_agreed_ones_is_refused(line: CreditLine) -> None:
    post(transfer_offer("t-1", "60.00", 1))

    response = post(transfer_offer("t-2", "50.00", 2))

    assert response.json()["outcome"] == "transfer_rejected"
    refused = CreditTransfer.objects.get(transfer_id="t-2")
    assert refused.state == "rejected"
    reject = Outbound.objects.get(kind="Reject")
    assert reject.payload["summary"] == "credit_limit_exceeded"
    line.refresh_from_db()
    assert line.balance == 0


def test_a_transfer_id_sent_again_with_another_amount_is_refused(line: CreditLine) -> None:
    post(transfer_offer("t-1", "10.00", 1))

    same = post(transfer_offer("t-1", "10.00", 2))
    other = post(transfer_offer("t-1", "11.00", 3))

    assert same.json()["outcome"] == "duplicate"
    assert other.json()["outcome"] == "transfer_id_conflict"
    assert list(CreditTransfer.objects.values_list("amount", flat=True)) == [Decimal("10.000")]


def test_a_completed_transfer_posts_to_the_books_and_the_line(line: CreditLine) -> None:
    post(transfer_offer("t-1", "25.00", 1))
    done = {
        "id": "https://sister.example/ap/activities/done-1",
        "type": "Create",
        "actor": THEM,
        "object": {
            "id": "https://sister.example/ap/transfer-events/1",
            "type": "EconomicEvent",
            "action": "transfer",
            "taawun:transferId": "t-1",
            "resourceQuantity": {"hasUnit": "ILS", "hasNumericalValue": "25.00"},
        },
    }

    response = post(done)

    assert response.json()["outcome"] == "transfer_completed"
    line.refresh_from_db()
    assert (line.balance, line.transfers) == (Decimal("25.000"), 1)
    transfer = CreditTransfer.objects.get()
    assert transfer.state == "completed"
    assert transfer.journal is not None
    lines = sorted(
        (p.account.purpose, p.amount) for p in transfer.journal.postings.select_related("account")
    )
    assert lines == [("mutual_credit", Decimal("25.000")), ("other_income", Decimal("-25.000"))]
    assert line.head == actions.chain_head(line.peer)


def test_a_referral_asking_too_high_a_fee_is_refused_at_once(sister: Peer) -> None:
    offer = {
        "id": "https://sister.example/ap/activities/referral-1",
        "type": "Offer",
        "actor": THEM,
        "object": {
            "id": "https://sister.example/ap/referrals/1",
            "type": "Commitment",
            "action": "deliverService",
            "resourceConformsTo": "https://w3id.org/taawun/sectors#trip",
            "name": "A ride to Birzeit",
            "resourceQuantity": {"hasUnit": "ILS", "hasNumericalValue": "40.00"},
            "taawun:referralFeePercent": "25",
            "provider": OURS,
            "receiver": THEM,
        },
    }

    response = post(offer)

    assert response.json()["outcome"] == "referral_fee_too_high"
    referral = Referral.objects.get()
    assert (referral.direction, referral.status, referral.fee_percent) == (
        "in", "rejected", Decimal("25.00"),
    )  # fmt: skip
    assert Outbound.objects.get(kind="Reject").payload["summary"] == "referral_fee_too_high"


def test_only_public_activities_can_be_fetched_by_their_id(sister: Peer, line: CreditLine) -> None:
    post(follow())  # we answer with an Accept of the Follow: public
    post(transfer_offer("t-1", "10.00"))  # we answer with an Accept of a transfer: private

    accepts = {
        "Follow" in str(o.payload["object"]): o.id for o in Outbound.objects.filter(kind="Accept")
    }
    public = Client().get(f"/ap/activities/{accepts[True]}")
    private = Client().get(f"/ap/activities/{accepts[False]}")
    line_update = Outbound.objects.get(kind="Update")  # our credit limit, told to them alone

    assert (public.status_code, public.json()["type"]) == (200, "Accept")
    assert private.status_code == 404
    assert Client().get(f"/ap/activities/{line_update.id}").status_code == 404
