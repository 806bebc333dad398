"""The governance API with personal tokens: the same flow as the pages (propose, vote, close,
read the result and the published ballots), refusals in the one error shape with nothing kept,
who may see and do what, and the discussion and opinion round."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.test import Client

from taawun.accounts.models import User
from taawun.apikeys import actions as apikeys
from taawun.governance import actions
from taawun.governance.models import Ballot, Participation, Proposal, StatementVote
from taawun.members.models import Membership
from tests.api.conftest import Api, iso
from tests.core.conftest import fast_password_hashing  # noqa: F401  (autouse: quick accounts)
from tests.core.helpers import snapshot

from .conftest import after_close

pytestmark = pytest.mark.django_db

BASE = "/api/governance"


@contextmanager
def unchanged() -> Iterator[None]:
    """Nothing changed in the database but the token's time of last use."""

    def rows() -> dict[str, list[tuple[Any, ...]]]:
        return {label: r for label, r in snapshot().items() if label != "apikeys.ApiToken"}

    before = rows()
    yield
    assert rows() == before


@pytest.fixture
def token_for() -> Callable[[User], Api]:
    """``token_for(user)``: a JSON client sending a fresh personal token of ``user``."""

    def make(user: User) -> Api:
        _token, raw = apikeys.create_token(actor=user, name="tests")
        return Api(Client(HTTP_ACCEPT_LANGUAGE="en"), HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


def test_a_fee_change_over_the_api(voters: list[User], token_for: Callable[[User], Api]) -> None:
    clients = [token_for(person) for person in voters]
    made = clients[1].post(
        f"{BASE}/proposals",
        {
            "kind": "policy_change",
            "title": "Lower the co-op fee",
            "body": "Eight is enough.",
            "changes": {"fees.coop_fee_percent": "8"},
        },
    )
    assert made.status_code == 201, made.json()
    proposal = Proposal.objects.get()
    author = voters[1].get_full_name()
    assert made.json() == {
        "number": proposal.number,
        "kind": "policy_change",
        "status": "open",
        "title": "Lower the co-op fee",
        "body": "Eight is enough.",
        "author": author,
        "created_at": iso(proposal.created_at),
        "closes_at": iso(proposal.closes_at),
        "closed_at": None,
        "policy_version": 1,
        "method": "majority",
        "rule": proposal.rule,
        "options": [],
        "seats": 1,
        "changes": {"fees.coop_fee_percent": "8"},
        "before": {"fees.coop_fee_percent": "10"},
        "effective_from": iso(proposal.closes_at),
        "rollback_of": None,
        "seed_sha256": hashlib.sha256(proposal.seed.encode()).hexdigest(),
        "seed": None,
        "votes_cast": 0,
        "adopted_version": None,
        "result": None,
        "outcome_statement": "",
    }

    ballots = f"{BASE}/proposals/{proposal.number}/ballots"
    receipts = []
    for client, choice in zip(clients[:4], ["yes", "yes", "yes", "no"], strict=True):
        cast = client.post(ballots, {"choice": choice})
        assert cast.status_code == 201
        receipts.append(cast.json()["receipt"])
    assert sorted(Ballot.objects.values_list("receipt", flat=True)) == sorted(receipts)
    assert clients[0].get(ballots).json() == []  # nothing is published while voting is open
    listed = clients[5].get(f"{BASE}/proposals?status=open").json()
    assert [(p["number"], p["votes_cast"]) for p in listed] == [(proposal.number, 4)]
    assert clients[5].get(f"{BASE}/proposals?status=closed").json() == []

    actions.run_due(now=after_close())

    shown = clients[5].get(f"{BASE}/proposals/{proposal.number}").json()
    proposal.refresh_from_db()
    assert (shown["status"], shown["adopted_version"], shown["seed"]) == (
        "closed",
        2,
        proposal.seed,
    )
    assert shown["result"] == {
        "outcome": "passed",
        "participants": 4,
        "eligible": 6,
        "explanation": [
            "Yes: 3, no: 1, abstain: 0.",
            "4 of 6 eligible members took part (66.67%); the quorum is 50%.",
            "3 of the 4 votes for and against are in favour (75%); more than 3/5 (60%) is needed.",
            "It passes.",
        ],
        "counts": {"yes": 3, "no": 1, "abstain": 0},
        "winners": [],
        "value": None,
        "rounds": [],
        "ties": [],
        "not_applied": None,
    }
    numbers = {m.user_id: m.number for m in Membership.objects.filter(user__in=voters[:4])}
    expected = sorted(
        [
            {
                "proposal": proposal.number,
                "receipt": receipt,
                "choice": choice,
                "member": numbers[person.pk],
            }
            for person, receipt, choice in zip(
                voters[:4], receipts, ["yes", "yes", "yes", "no"], strict=True
            )
        ],
        key=lambda b: b["receipt"],
    )
    assert clients[0].get(ballots).json() == expected
    found = clients[2].get(f"{BASE}/receipts/{receipts[3]}").json()
    assert found == next(b for b in expected if b["receipt"] == receipts[3])


@pytest.mark.parametrize(
    ("choice", "status", "code"),
    [
        ("maybe", 400, "bad_choice"),
        (["yes"], 400, "bad_choice"),
        ({"yes": 1}, 400, "bad_choice"),
        (7, 400, "bad_choice"),
        (None, 422, "invalid_input"),
        (1.5, 422, "invalid_input"),
    ],
)
def test_a_bad_choice_is_refused_and_nothing_is_kept(
    voters: list[User], token_for: Callable[[User], Api], choice: Any, status: int, code: str
) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    client = token_for(voters[1])
    with unchanged():
        response = client.post(f"{BASE}/proposals/{proposal.number}/ballots", {"choice": choice})
    assert response.status_code == status
    assert response.json()["error"] == code


def test_a_second_ballot_is_409(voters: list[User], token_for: Callable[[User], Api]) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    client = token_for(voters[1])
    url = f"{BASE}/proposals/{proposal.number}/ballots"
    assert client.post(url, {"choice": "yes"}).status_code == 201
    with unchanged():
        again = client.post(url, {"choice": "no"})
    assert again.status_code == 409
    assert again.json() == {
        "error": "already_voted",
        "message": "You have already voted on this proposal.",
    }
    assert list(Ballot.objects.values_list("choice", flat=True)) == ["yes"]


def test_who_may_see_and_vote(
    voters: list[User],
    token_for: Callable[[User], Api],
    make_account: Callable[..., User],
    make_member: Callable[..., Membership],
) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    outsider = token_for(make_account())
    not_found = {"error": "not_found", "message": "Nothing was found at this address."}
    for path in (
        "/proposals",
        f"/proposals/{proposal.number}",
        f"/proposals/{proposal.number}/comments",
        f"/proposals/{proposal.number}/opinions",
        f"/receipts/{'a' * 64}",
    ):
        response = outsider.get(BASE + path)
        assert (response.status_code, response.json()) == (404, not_found)
    supporter = token_for(make_member("supporter").user)
    assert supporter.get(f"{BASE}/proposals/{proposal.number}").status_code == 200
    no_vote = {"error": "no_vote", "message": "Only members with a vote may do this."}
    with unchanged():
        for client in (outsider, supporter):
            cast = client.post(f"{BASE}/proposals/{proposal.number}/ballots", {"choice": "yes"})
            assert (cast.status_code, cast.json()) == (403, no_vote)
            made = client.post(f"{BASE}/proposals", {"kind": "ordinary", "title": "Mine"})
            assert (made.status_code, made.json()) == (403, no_vote)
    assert Participation.objects.count() == 0


def test_a_refused_proposal_is_400_and_nothing_is_kept(
    voters: list[User], token_for: Callable[[User], Api]
) -> None:
    client = token_for(voters[0])
    with unchanged():
        response = client.post(
            f"{BASE}/proposals",
            {"kind": "policy_change", "title": "x", "changes": {"fees.coop_fee_percent": "99"}},
        )
    assert response.status_code == 400
    assert response.json() == {
        "error": "fees_over_100",
        "message": "The co-op fee and the solidarity share together exceed the whole price.",
    }


def test_an_election_counted_by_stv_with_its_blt(
    voters: list[User], token_for: Callable[[User], Api]
) -> None:
    numbers = sorted(
        Membership.objects.filter(user__in=voters[:3]).values_list("number", flat=True)
    )
    client = token_for(voters[0])
    made = client.post(
        f"{BASE}/proposals",
        {"kind": "election", "title": "The board", "candidates": numbers, "seats": 2},
    )
    assert made.status_code == 201
    number = made.json()["number"]
    a, b, c = (str(n) for n in numbers)
    for person, ranking in zip(voters, [[a, b], [b, a], [a, c], [c], [b, c], [a]], strict=True):
        cast = token_for(person).post(f"{BASE}/proposals/{number}/ballots", {"choice": ranking})
        assert cast.status_code == 201
    assert client.get(f"{BASE}/proposals/{number}/ballots.blt").status_code == 404  # still open
    actions.run_due(now=after_close(15))
    result = client.get(f"{BASE}/proposals/{number}").json()["result"]
    assert (result["outcome"], result["winners"], result["counts"]) == (
        "elected",
        [a, b],
        {"quota": 3},
    )
    assert result["rounds"][0]["tallies"] == {a: "3", b: "2", c: "1"}
    published = client.get(f"{BASE}/proposals/{number}/ballots").json()
    assert {p["member"] for p in published} == {None}  # a secret ballot
    blt = client.get(f"{BASE}/proposals/{number}/ballots.blt")
    assert blt.status_code == 200
    assert blt["Content-Type"] == "text/plain; charset=utf-8"
    text = blt.content.decode().splitlines()
    assert (text[0], text[-1]) == ("3 2", '"The board"')


def test_discussion_and_opinion_round_over_the_api(
    voters: list[User], token_for: Callable[[User], Api]
) -> None:
    proposal = actions.propose(actor=voters[0], kind="discussion", title="Summer hours")
    url = f"{BASE}/proposals/{proposal.number}"
    clients = [token_for(person) for person in voters]
    first = clients[1].post(f"{url}/comments", {"body": "Start at 7?"})
    assert first.status_code == 201
    reply = clients[2].post(f"{url}/comments", {"body": "Yes", "parent": first.json()["id"]})
    assert (reply.json()["parent"], reply.json()["depth"]) == (first.json()["id"], 1)
    thread = clients[0].get(f"{url}/comments").json()
    assert [(c["body"], c["depth"]) for c in thread] == [("Start at 7?", 0), ("Yes", 1)]
    with unchanged():
        missing = clients[0].post(f"{url}/comments", {"body": "x", "parent": 10**6})
    assert (missing.status_code, missing.json()["error"]) == (404, "no_such_comment")

    ids = []
    for said in ("Start at 7", "Close at 3", "Work Fridays", "Longer lunch"):
        added = clients[0].post(f"{url}/statements", {"text": said})
        assert added.status_code == 201
        ids.append(added.json()["id"])
    for index, client in enumerate(clients):
        for statement in ids:
            said = client.post(
                f"{BASE}/statements/{statement}/say", {"vote": 1 if index < 3 else -1}
            )
            assert said.status_code == 200
    assert StatementVote.objects.count() == 24
    with unchanged():
        bad = clients[0].post(f"{BASE}/statements/{ids[0]}/say", {"vote": 2})
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_input")
    rows = clients[4].get(f"{url}/statements").json()
    assert rows[0] == {
        "id": ids[0],
        "text": "Start at 7",
        "agree": 3,
        "disagree": 3,
        "passed": 0,
        "mine": -1,
    }
    opinions = clients[0].get(f"{url}/opinions").json()
    assert len(opinions["positions"]) == 6
    assert sorted(len(g["members"]) for g in opinions["groups"]) == [3, 3]
    assert opinions["unclustered"] == []
    mine = next(g for g in opinions["groups"] if opinions["you"] in g["members"])
    assert {r["direction"] for r in mine["representatives"]} == {"agree"}
