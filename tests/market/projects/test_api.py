"""The projects over the JSON API: open briefs, posting, proposing, choosing (again: the same
answer), and each milestone's steps; accepting and resolving need an Idempotency-Key. Every
refusal is ``{"error", "message"}`` with a 4xx and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from taawun.accounts.models import User
from taawun.ledger.models import EntryKind, JournalEntry
from taawun.market.models import Order
from taawun.market.projects.models import Brief
from taawun.members.models import Membership
from tests.api.conftest import Api
from tests.core.helpers import Clock, unchanged
from tests.ledger.helpers import books_problems, owed

from .conftest import post

pytestmark = [pytest.mark.django_db]
D = Decimal
BASE = "/api/market/projects"
PROPOSAL = {
    "price": "500.00",
    "days": 10,
    "plan": "Sketches, then the final files.",
    "milestones": [
        {"title": "First designs", "amount": "200.00"},
        {"title": "Final files", "amount": "300.00"},
    ],
}


def key(value: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": value}


@pytest.fixture
def api() -> Callable[[User | None], Api]:
    def make(user: User | None) -> Api:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        api = Api(client)
        if user is not None:
            api.get(f"{BASE}/")  # the session is settled before any unchanged() block
        return api

    return make


def refused(response: Any, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.content
    body: dict[str, str] = response.json()
    assert body["error"] == code
    return body


def test_the_whole_project_over_the_api(
    clock: Clock,
    customer: User,
    worker: Membership,
    other_worker: Membership,
    founder: User,
    api: Callable[[User | None], Api],
) -> None:
    buyer, seller, other, board = (
        api(customer),
        api(worker.user),
        api(other_worker.user),
        api(founder),
    )
    made = buyer.post(
        f"{BASE}/",
        {"title": "A logo", "description": "Round, in two languages", "budget": "600.00"},
    )
    assert made.status_code == 201
    brief = made.json()
    assert (brief["status"], brief["budget"], brief["proposals"]) == ("open", "600.00", [])
    assert [b["id"] for b in seller.get(f"{BASE}/").json()] == [brief["id"]]
    proposed = seller.post(f"{BASE}/{brief['id']}/proposals", PROPOSAL)
    assert proposed.status_code == 201
    proposal = proposed.json()
    assert proposal["milestones"] == [
        {"number": 1, "title": "First designs", "amount": "200.00"},
        {"number": 2, "title": "Final files", "amount": "300.00"},
    ]
    assert (
        other.post(
            f"{BASE}/{brief['id']}/proposals",
            {**PROPOSAL, "price": "450.00", "milestones": [{"title": "All", "amount": "450.00"}]},
        ).status_code
        == 201
    )
    seen = other.get(f"{BASE}/{brief['id']}").json()
    assert (seen["proposal_count"], len(seen["proposals"])) == (2, 1)
    assert len(buyer.get(f"{BASE}/{brief['id']}").json()["proposals"]) == 2

    chosen = buyer.post(f"{BASE}/proposals/{proposal['id']}/choose", {"method": "bank"})
    assert chosen.status_code == 200
    agreed = chosen.json()
    assert (agreed["status"], agreed["payment_method"]) == ("agreed", "bank")
    first, second = (m["order"]["id"] for m in agreed["milestones"])
    assert agreed["milestones"][0]["order"]["receipt"]["worker_share"] == "176.00"
    with unchanged():
        again = buyer.post(f"{BASE}/proposals/{proposal['id']}/choose", {"method": "bank"})
    assert again.status_code == 200 and again.json()["milestones"] == agreed["milestones"]

    delivered = seller.post(f"{BASE}/milestones/{first}/deliver", {"note": "Three sketches"})
    assert delivered.json()["order"]["status"] == "delivered"
    with unchanged():
        refused(
            buyer.post(f"{BASE}/milestones/{first}/accept", {}), 400, "idempotency_key_required"
        )
        refused(
            seller.post(f"{BASE}/milestones/{first}/accept", {}, **key("s")), 403, "not_a_party"
        )
    accepted = buyer.post(f"{BASE}/milestones/{first}/accept", {"tip": "15.00"}, **key("k1"))
    assert accepted.status_code == 200
    assert accepted.json()["order"]["receipt"]["total_paid"] == "215.00"
    with unchanged():
        replay = buyer.post(f"{BASE}/milestones/{first}/accept", {"tip": "15.00"}, **key("k1"))
        assert replay.content == accepted.content
    assert buyer.post(f"{BASE}/milestones/{first}/accept", {}, **key("k2")).status_code == 200
    assert JournalEntry.objects.filter(kind=EntryKind.SALE).count() == 1
    assert owed(worker) == D("191.00")

    seller.post(
        f"{BASE}/milestones/{second}/deliver", {"note": "Files", "link": "https://x.example/f"}
    )
    disputed = buyer.post(f"{BASE}/milestones/{second}/dispute", {"reason": "Wrong colours"})
    assert disputed.json()["dispute_reason"] == "Wrong colours"
    with unchanged():
        refused(
            buyer.post(
                f"{BASE}/milestones/{second}/resolve", {"outcome": "pay", "note": "x"}, **key("r")
            ),
            403,
            "forbidden",
        )
    resolved = board.post(
        f"{BASE}/milestones/{second}/resolve",
        {"outcome": "cancel", "note": "Not as agreed"},
        **key("r1"),
    )
    assert resolved.json()["order"]["status"] == "cancelled"
    assert buyer.get(f"{BASE}/{brief['id']}").json()["status"] == "closed"
    assert JournalEntry.objects.filter(kind=EntryKind.SALE).count() == 1
    assert books_problems() == []


def test_bad_input_is_a_clear_4xx(
    clock: Clock, customer: User, worker: Membership, api: Callable[[User | None], Api]
) -> None:
    buyer, seller = api(customer), api(worker.user)
    brief = post(customer)
    with unchanged():
        refused(
            buyer.post(f"{BASE}/", {"title": "x", "description": "y", "budget": 5.5}),
            422,
            "invalid_input",
        )
        refused(
            buyer.post(f"{BASE}/", {"title": "x", "description": "y", "deadline": "2020-01-01"}),
            400,
            "past_deadline",
        )
        refused(
            buyer.post(f"{BASE}/", {"title": "x", "description": "y", "budget": "1.001"}),
            400,
            "too_precise",
        )
        refused(api(None).get(f"{BASE}/"), 401, "unauthenticated")
        body = refused(
            seller.post(
                f"{BASE}/{brief.pk}/proposals",
                {**PROPOSAL, "milestones": [{"title": "All", "amount": "499.00"}]},
            ),
            400,
            "milestones_do_not_add_up",
        )
        assert (
            body["message"] == "The milestones add up to 499.00 ILS, but the price is 500.00 ILS."
        )
        refused(
            seller.post(f"{BASE}/{brief.pk}/proposals", {**PROPOSAL, "days": 0}),
            422,
            "invalid_input",
        )
        refused(buyer.post(f"{BASE}/{brief.pk}/proposals", PROPOSAL), 403, "not_a_worker")
        refused(seller.get(f"{BASE}/{2**63}"), 404, "not_found")
        refused(seller.get(f"{BASE}/99999999999999999999999"), 404, "not_found")
        refused(seller.post(f"{BASE}/proposals/{2**64}/withdraw"), 404, "not_found")
        refused(seller.post(f"{BASE}/milestones/{2**64}/deliver", {"note": "x"}), 404, "not_found")
        refused(buyer.post(f"{BASE}/proposals/1/choose", {"method": "gold"}), 422, "invalid_input")
    assert Brief.objects.count() == 1 and not Order.objects.exists()
