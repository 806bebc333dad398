"""Two co-ops, each a real server on its own loopback port with its own database: they find
each other, follow, publish offers, pass work on (the co-op that passed it is killed before the
work is reported done, and catches up when it is back), settle its fee on mutual credit, and end
with mirrored books and logs that check; then one goes down mid-transfer and nothing is lost or
doubled once both are back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .network import Instance, running, wait_for

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def coops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    with running(tmp_path_factory.mktemp("network"), "jenin", "nablus") as (jenin, nablus):
        yield jenin, nablus


def peer_of(instance: Instance, other: Instance) -> dict[str, Any] | None:
    _, peers = instance.api("GET", "/federation/peers")
    return next((p for p in peers if p["actor"] == f"{other.url}/ap/actor"), None)


def line_with(instance: Instance, other: Instance) -> dict[str, Any] | None:
    peer = peer_of(instance, other)
    _, lines = instance.api("GET", "/federation/credit-lines")
    return next((line for line in lines if peer and line["coop"] == peer["id"]), None)


def test_two_coops_work_together(coops: tuple[Instance, Instance]) -> None:
    jenin, nablus = coops

    # Discovery: WebFinger, the actor, NodeInfo.
    finger = jenin.get(f"/.well-known/webfinger?resource=acct:coop@127.0.0.1:{jenin.port}")
    assert finger["links"][0] == {
        "rel": "self",
        "type": "application/activity+json",
        "href": f"{jenin.url}/ap/actor",
    }
    actor = jenin.get("/ap/actor")
    assert actor["type"] == "Organization"
    assert actor["preferredUsername"] == "jenin"
    assert actor["taawun:profile"]["logKey"] == jenin.get("/api/log/key")["key"]
    assert jenin.get("/nodeinfo/2.1")["software"]["name"] == "taawun"

    # Each follows the other; the follows are accepted by the other's server.
    for one, other in ((nablus, jenin), (jenin, nablus)):
        status, peer = one.api("POST", "/federation/follow", {"address": other.address})
        assert status == 200, peer
        assert peer["following"] == "requested"
        assert peer["sister_coop"] is True
    for one, other in ((nablus, jenin), (jenin, nablus)):
        wait_for(lambda o=one, t=other: (peer_of(o, t) or {}).get("following") == "accepted")
        wait_for(lambda o=one, t=other: (peer_of(t, o) or {}).get("follows_us"))

    # The offers each published on accepting the follow are in the other's directory.
    offers = wait_for(lambda: jenin.api("GET", "/federation/offers")[1], what="offers")
    assert [(o["name"], o["sector"], o["price"], o["currency"], o["unit"]) for o in offers] == [
        ("تنظيف منزل", "service", "45.00", "ILS", "hour")  # the co-op reads Arabic first
    ]

    # Credit lines, each within its own Policy's limit; each side learns the other's limit.
    for one, other in ((jenin, nablus), (nablus, jenin)):
        peer = peer_of(one, other)
        assert peer is not None
        status, line = one.api(
            "POST", "/federation/credit-lines", {"peer": peer["id"], "limit": "500.00"}
        )
        assert status == 200, line
    for one, other in ((jenin, nablus), (nablus, jenin)):
        wait_for(lambda o=one, t=other: (line_with(o, t) or {}).get("their_limit") == "500.00")

    # Jenin cannot serve its customer's trip: with consent, it goes to Nablus.
    nablus_at_jenin = peer_of(jenin, nablus)
    assert nablus_at_jenin is not None
    status, referral = jenin.api(
        "POST",
        "/federation/referrals",
        {"order": jenin.order, "peer": nablus_at_jenin["id"], "reason": "No driver free"},
    )
    assert status == 201, referral
    assert referral["status"] == "awaiting_consent"
    status, consented = jenin.api(
        "POST",
        f"/federation/referrals/{referral['id']}/consent",
        {"consent": True, "share": "email"},
        who="customer",
    )
    assert status == 200, consented
    assert consented["status"] == "offered"

    def incoming() -> dict[str, Any] | None:
        _, found = nablus.api("GET", "/federation/referrals")
        return next((r for r in found if r["direction"] == "in"), None)

    offered = wait_for(incoming, what="the referral at Nablus")
    assert (offered["status"], offered["fee_percent"], offered["currency"]) == (
        "offered",
        "5.00",
        "ILS",
    )
    status, taken = nablus.api(
        "POST", f"/federation/referrals/{offered['id']}/answer", {"accept": True}
    )
    assert (status, taken["status"]) == (200, "accepted")

    def referral_at_jenin() -> dict[str, Any]:
        return jenin.api("GET", "/federation/referrals")[1][0]

    wait_for(lambda: referral_at_jenin()["status"] == "accepted", what="the acceptance")
    jenin.stop()  # down mid-flow: the report of the work and its fee wait for it
    status, done = nablus.api(
        "POST", f"/federation/referrals/{offered['id']}/delivered", {"charged": "80.00"}
    )
    assert (status, done["status"], done["fee"]) == (200, "delivered", "4.00")
    jenin.start()
    wait_for(
        lambda: referral_at_jenin()["status"] == "delivered", timeout=60, what="the late report"
    )
    assert referral_at_jenin()["fee"] == "4.00"

    # The fee travelled as a mutual-credit transfer: Nablus owes Jenin 4.00, on both books.
    wait_for(lambda: (line_with(jenin, nablus) or {}).get("balance") == "4.00", what="credit")
    wait_for(lambda: (line_with(nablus, jenin) or {}).get("balance") == "-4.00", what="mirror")

    # A transfer id is the sender's: the same id and amount is one transfer; another amount, 409.
    jenin_at_nablus = peer_of(nablus, jenin)
    assert jenin_at_nablus is not None
    trade = {
        "peer": jenin_at_nablus["id"],
        "transfer_id": "olive-oil-7",
        "amount": "10.00",
        "purpose": "trade",
    }
    first = nablus.api("POST", "/federation/transfers", trade)
    again = nablus.api("POST", "/federation/transfers", trade)
    other = nablus.api("POST", "/federation/transfers", {**trade, "amount": "11.00"})
    assert (first[0], again[0], other[0]) == (201, 200, 409)
    assert again[1]["id"] == first[1]["id"]
    assert other[1]["error"] == "transfer_id_conflict"
    wait_for(lambda: (line_with(jenin, nablus) or {}).get("balance") == "14.00", what="trade")
    wait_for(lambda: (line_with(nablus, jenin) or {}).get("balance") == "-14.00", what="trade")

    assert_consistent(jenin, nablus, transfers=2)


def assert_consistent(jenin: Instance, nablus: Instance, *, transfers: int) -> None:
    """Mirrored lines with one chain head, a network that sums to zero, books that say the
    same as the lines, and both logs recomputed from scratch."""
    ours, theirs = line_with(jenin, nablus), line_with(nablus, jenin)
    assert ours is not None and theirs is not None
    assert ours["head"] == theirs["head"]
    assert ours["transfers"] == theirs["transfers"] == transfers
    for instance in (jenin, nablus):
        status, check = instance.api("GET", "/federation/network-check")
        assert status == 200, check
        assert check == {
            "consistent": True,
            "total": "0.000",
            "disagreements": [],
            "unreachable": [],
        }
    for instance, line in ((jenin, ours), (nablus, theirs)):
        _, sheet = instance.api("GET", "/books/balance-sheet")
        mutual = next(x for x in sheet["assets"]["lines"] if x["purpose"] == "mutual_credit")
        assert mutual["amount"] == line["balance"]
        assert "all match" in instance.run("manage", "transparency", "--audit")


def test_a_coop_down_mid_transfer_loses_nothing(coops: tuple[Instance, Instance]) -> None:
    jenin, nablus = coops
    before = line_with(jenin, nablus)
    assert before is not None
    jenin.stop()  # kill -9: mid-flow, with nothing said to anyone
    peer = peer_of(nablus, jenin)
    assert peer is not None
    status, sent = nablus.api(
        "POST",
        "/federation/transfers",
        {"peer": peer["id"], "transfer_id": "while-down", "amount": "7.00", "purpose": "trade"},
    )
    assert (status, sent["state"]) == (201, "proposed")
    nablus.stop()  # the sender dies too, with the delivery still waiting in its database
    nablus.start()
    jenin.start()
    wait_for(
        lambda: (line_with(jenin, nablus) or {}).get("balance") == "21.00", timeout=60, what="retry"
    )
    wait_for(lambda: (line_with(nablus, jenin) or {}).get("balance") == "-21.00", what="completion")
    _, at_jenin = jenin.api("GET", "/federation/transfers")
    assert [t["transfer_id"] for t in at_jenin].count("while-down") == 1
    assert_consistent(jenin, nablus, transfers=before["transfers"] + 1)
