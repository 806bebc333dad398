"""More of the governance API with personal tokens, in English and in Arabic: the impact preview
of a change, the outcome statement, delegations and mandates; refusals in the one error shape,
with nothing kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from taawun.accounts.models import User
from taawun.apikeys import actions as apikeys
from taawun.governance import actions
from taawun.governance.models import Delegation, Mandate, Proposal
from taawun.members.models import Membership
from tests.api.conftest import Api, iso
from tests.core.conftest import fast_password_hashing  # noqa: F401  (autouse: quick accounts)

from .conftest import after_close
from .test_api import unchanged
from .test_delegation import allowed, number  # noqa: F401  (a fixture and a helper)
from .test_impact import producer  # noqa: F401  (a member who sold 90.00 of honey)
from .test_mandates import elect_board

pytestmark = pytest.mark.django_db

BASE = "/api/governance"
Tokens = Callable[..., Api]


@pytest.fixture
def token_for() -> Tokens:
    """``token_for(user, "ar")``: a JSON client sending a fresh personal token of ``user``."""

    def make(user: User, language: str = "en") -> Api:
        _token, raw = apikeys.create_token(actor=user, name="tests")
        return Api(Client(HTTP_ACCEPT_LANGUAGE=language), HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


def in_language(language: str, message: str, params: dict[str, Any] | None = None) -> str:
    with translation.override(language):
        return gettext(message) % params if params else gettext(message)


def refusal(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


# --- The impact preview ----------------------------------------------------------------------


def side(fee: str, share: str, surplus: dict[str, str], fund: str) -> dict[str, Any]:
    """One side of the honey sale of 90.00: the co-op's fee, the worker's share, the split of
    the surplus and the net into the solidarity fund (no tax, no tip, no hours)."""
    return {
        "totals": {
            "orders": 1,
            "price": "90.00",
            "tax": "0.00",
            "coop_fee": fee,
            "solidarity": "1.80",
            "worker_share": share,
            "tip": "0.00",
            "paid": "90.00",
            "earned": share,
        },
        "surplus": fee,
        "surplus_split": surplus,
        "top_ups": "0.00",
        "top_up_fund": "solidarity_fund",
        "solidarity_fund": fund,
        "gini": None,
        "p10_over_mean": None,
    }


def member_side(earned: str) -> dict[str, Any]:
    return {
        "earned": earned,
        "per_hour": None,
        "below_floor": False,
        "top_up": "0.00",
        "dividend": "0.00",
    }


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_impact_of_a_fee_change(
    voters: list[User],
    producer: Membership,  # noqa: F811
    token_for: Tokens,
    language: str,
) -> None:
    proposal = actions.propose(
        actor=voters[0], kind="policy_change", title="Fee", changes={"fees.coop_fee_percent": "8"}
    )
    response = token_for(producer.user, language).get(f"{BASE}/proposals/{proposal.number}/impact")
    assert response.status_code == 200
    today = str(timezone.localdate())

    def said(message: str, **params: str) -> str:
        return in_language(language, message, params)

    assert response.json() == {
        "proposal": proposal.number,
        "weeks": 8,
        "value": None,
        "currency": "ILS",
        "first_day": today,
        "last_day": today,
        "left_out": 0,
        "current": side(
            "9.00",
            "79.20",
            {"reserve": "7.65", "education": "0.45", "solidarity": "0.90", "dividends": "0.00"},
            "2.70",
        ),
        "proposed": side(
            "7.20",
            "81.00",
            {"reserve": "6.12", "education": "0.36", "solidarity": "0.72", "dividends": "0.00"},
            "2.52",
        ),
        "change": {
            "orders": 0,
            "price": "0.00",
            "tax": "0.00",
            "coop_fee": "-1.80",
            "solidarity": "0.00",
            "worker_share": "1.80",
            "tip": "0.00",
            "paid": "0.00",
            "earned": "1.80",
        },
        "floor": {"hourly": "30.00", "below_now": 0, "below_proposed": 0, "pushed_below": 0},
        "mine": {
            "hours": "0.00",
            "current": member_side("79.20"),
            "proposed": member_side("81.00"),
            "change": "1.80",
        },
        "earnings_changes": ["1.80"],
        "explanation": [
            said(
                "%(orders)s paid orders from %(first)s to %(last)s are priced again under the "
                "current rules and under the proposed ones.",
                orders="1",
                first=today,
                last=today,
            ),
            said(
                "Workers would earn %(proposed)s, tips included, against %(current)s under the "
                "current rules (%(change)s).",
                proposed="81.00 ILS",
                current="79.20 ILS",
                change="+1.80 ILS",
            ),
            said(
                "Customers would pay %(proposed)s, tips included, against %(current)s "
                "(%(change)s).",
                proposed="90.00 ILS",
                current="90.00 ILS",
                change="0.00 ILS",
            ),
            said(
                "The co-op's fees would come to %(proposed)s, against %(current)s (%(change)s).",
                proposed="7.20 ILS",
                current="9.00 ILS",
                change="-1.80 ILS",
            ),
            said(
                "Net into the solidarity fund: %(proposed)s, against %(current)s (%(change)s): "
                "its share of each price and of the surplus, less the earnings-floor top-ups it "
                "pays.",
                proposed="2.52 ILS",
                current="2.70 ILS",
                change="-0.18 ILS",
            ),
            said(
                "The surplus is worked out as if these weeks were a period of their own: the "
                "co-op's fees less %(expenses)s of expenses.",
                expenses="0.00 ILS",
            ),
            said(
                "Under the current rules the surplus would go %(reserve)s to the reserve, "
                "%(education)s to the education fund, %(solidarity)s to the solidarity fund and "
                "%(dividends)s to members as patronage dividends.",
                reserve="7.65 ILS",
                education="0.45 ILS",
                solidarity="0.90 ILS",
                dividends="0.00 ILS",
            ),
            said(
                "Under the proposed rules the surplus would go %(reserve)s to the reserve, "
                "%(education)s to the education fund, %(solidarity)s to the solidarity fund and "
                "%(dividends)s to members as patronage dividends.",
                reserve="6.12 ILS",
                education="0.36 ILS",
                solidarity="0.72 ILS",
                dividends="0.00 ILS",
            ),
            said(
                "The earnings floor is applied to windows of %(current)s days under the current "
                "rules and %(proposed)s days under the proposed ones, counted back from "
                "%(last)s.",
                current="14",
                proposed="14",
                last=today,
            ),
        ],
        "warnings": [],
        "not_replayed": [
            said(
                "The replay assumes the same work would have been ordered and done at the other "
                "prices: how customers and workers would have acted instead cannot be known. It "
                "covers the marketplace's paid orders, not sales the board recorded directly in "
                "the books."
            )
        ],
    }
    others = token_for(voters[3]).get(f"{BASE}/proposals/{proposal.number}/impact?weeks=1").json()
    assert (others["weeks"], others["mine"], others["earnings_changes"]) == (1, None, ["1.80"])


def test_a_rate_is_previewed_at_a_value_and_bad_values_are_refused(
    voters: list[User],
    producer: Membership,  # noqa: F811
    token_for: Tokens,
) -> None:
    rate = actions.propose(
        actor=voters[0], kind="rate", title="Fee", rate_rule="fees.coop_fee_percent"
    )
    client = token_for(voters[1])
    url = f"{BASE}/proposals/{rate.number}/impact"
    five = client.get(f"{url}?value=5.0").json()
    assert (five["value"], five["proposed"]["totals"]["coop_fee"], five["change"]["earned"]) == (
        "5",
        "4.50",
        "4.50",
    )
    assert client.get(f"{url}?value=10").json()["change"]["earned"] == "0.00"  # as it is now
    assert client.get(url).json() == {
        "error": "preview_value_needed",
        "message": "Give the value of the rate to preview.",
    }
    assert client.get(f"{url}?value=ninety").json() == {
        "error": "bad_preview_value",
        "message": "Type a number, such as 8 or 9.5.",
    }
    assert client.get(f"{url}?value=99").json() == {
        "error": "fees_over_100",
        "message": "The co-op fee and the solidarity share together exceed the whole price.",
    }
    for weeks in ("0", "53", "two"):
        assert refusal(client.get(f"{url}?value=5&weeks={weeks}")) == (422, "invalid_input")


def test_only_an_open_change_has_a_preview_and_only_members_see_it(
    voters: list[User],
    producer: Membership,  # noqa: F811
    token_for: Tokens,
    make_account: Callable[..., User],
) -> None:
    change = actions.propose(
        actor=voters[0], kind="policy_change", title="Fee", changes={"fees.coop_fee_percent": "8"}
    )
    ordinary = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    client = token_for(voters[1])
    no_preview = {
        "error": "no_impact_preview",
        "message": "Only a change of the rules or a rate being voted on has a preview.",
    }
    assert client.get(f"{BASE}/proposals/{ordinary.number}/impact").json() == no_preview
    assert refusal(client.get(f"{BASE}/proposals/999/impact")) == (404, "not_found")
    outsider = token_for(make_account())
    assert refusal(outsider.get(f"{BASE}/proposals/{change.number}/impact")) == (404, "not_found")
    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=change.number, choice="yes")
    actions.run_due(now=after_close())
    decided = client.get(f"{BASE}/proposals/{change.number}/impact")
    assert (decided.status_code, decided.json()) == (404, no_preview)


# --- The outcome statement -------------------------------------------------------------------


def test_the_author_or_the_board_states_the_outcome(
    voters: list[User], token_for: Tokens, make_account: Callable[..., User]
) -> None:
    proposal = actions.propose(actor=voters[2], kind="ordinary", title="Paint")
    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=proposal.number, choice="yes")
    actions.run_due(now=after_close())
    running = actions.propose(actor=voters[2], kind="ordinary", title="Open")
    author, other, board = token_for(voters[2]), token_for(voters[4]), token_for(voters[0])
    outsider = token_for(make_account())
    url = f"{BASE}/proposals/{proposal.number}/outcome"
    assert author.get(f"{BASE}/proposals/{proposal.number}").json()["outcome_statement"] == ""

    with unchanged():
        assert other.put(url, {"text": "x"}).json() == {
            "error": "forbidden",
            "message": "You do not have permission to do this.",
        }
        assert refusal(outsider.put(url, {"text": "x"})) == (403, "forbidden")
        early = author.put(f"{BASE}/proposals/{running.number}/outcome", {"text": "x"})
        assert (early.status_code, early.json()) == (
            409,
            {"error": "not_decided", "message": "This proposal has not been decided yet."},
        )
        assert refusal(author.put(url, {"text": "  "})) == (400, "bad_text")
        assert refusal(author.put(url, {"text": "x" * 5001})) == (422, "invalid_input")
        assert refusal(author.put(url, {"words": "x"})) == (422, "invalid_input")
        assert refusal(author.put(f"{BASE}/proposals/999/outcome", {"text": "x"})) == (
            404,
            "no_such_proposal",
        )

    stated = author.put(url, {"text": " We paint in May. "})
    assert stated.status_code == 200
    assert (stated.json()["number"], stated.json()["outcome_statement"]) == (
        proposal.number,
        "We paint in May.",
    )
    assert board.put(url, {"text": "We paint in June."}).status_code == 200
    shown = other.get(f"{BASE}/proposals/{proposal.number}").json()
    assert shown["outcome_statement"] == "We paint in June."
    proposal.refresh_from_db()
    assert proposal.outcome_statement == "We paint in June."


# --- Delegations -----------------------------------------------------------------------------


def test_delegations_over_the_api(allowed: list[User], token_for: Tokens) -> None:  # noqa: F811
    people = allowed
    giver, taker = token_for(people[3]), token_for(people[1])
    made = giver.post(f"{BASE}/delegations", {"to_member": number(people[1]), "kind": "ordinary"})
    assert made.status_code == 201
    given = Delegation.objects.get()
    expected = {
        "id": given.pk,
        "kind": "ordinary",
        "delegator": number(people[3]),
        "delegator_name": people[3].get_full_name(),
        "delegate": number(people[1]),
        "delegate_name": people[1].get_full_name(),
        "created_at": iso(given.created_at),
        "revoked_at": None,
    }
    assert made.json() == expected
    assert giver.get(f"{BASE}/delegations").json() == {
        "allowed": True,
        "given": [expected],
        "received": [],
    }
    assert taker.get(f"{BASE}/delegations").json() == {
        "allowed": True,
        "given": [],
        "received": [expected],
    }

    revoke = f"{BASE}/delegations/{given.pk}/revoke"
    with unchanged():
        assert taker.post(revoke).json() == {
            "error": "no_such_delegation",
            "message": "There is no such delegation of yours.",
        }
    taken = giver.post(revoke)
    given.refresh_from_db()
    assert taken.status_code == 200
    assert taken.json() == {**expected, "revoked_at": iso(given.revoked_at)}
    assert giver.get(f"{BASE}/delegations").json()["given"] == []
    with unchanged():
        assert refusal(giver.post(revoke)) == (404, "no_such_delegation")


def test_delegation_refusals_keep_nothing(
    voters: list[User],
    token_for: Tokens,
    make_member: Callable[..., Membership],
    make_account: Callable[..., User],
) -> None:
    supporter = token_for(make_member("supporter").user)
    outsider = token_for(make_account())
    client = token_for(voters[3])
    to_one = {"to_member": number(voters[1])}
    with unchanged():
        off = client.post(f"{BASE}/delegations", to_one)
        assert (off.status_code, off.json()) == (
            409,
            {
                "error": "delegation_off",
                "message": "The co-op's rules do not allow delegating votes.",
            },
        )
        assert client.get(f"{BASE}/delegations").json() == {
            "allowed": False,
            "given": [],
            "received": [],
        }
        assert refusal(supporter.post(f"{BASE}/delegations", to_one)) == (403, "no_vote")
        assert refusal(outsider.post(f"{BASE}/delegations", to_one)) == (403, "no_vote")
        assert refusal(outsider.get(f"{BASE}/delegations")) == (404, "not_found")
        assert refusal(client.post(f"{BASE}/delegations", {**to_one, "kind": "coup"})) == (
            422,
            "invalid_input",
        )
        assert refusal(client.post(f"{BASE}/delegations", {"to_member": "2"})) == (
            422,
            "invalid_input",
        )
    assert not Delegation.objects.exists()


# --- Mandates --------------------------------------------------------------------------------


def test_mandates_and_a_recall_over_the_api(
    voters: list[User], token_for: Tokens, make_account: Callable[..., User]
) -> None:
    elect_board(voters, [voters[1], voters[2]])
    election = Proposal.objects.get(kind="election")
    client = token_for(voters[3], "ar")
    seats = list(Mandate.objects.order_by("office", "-starts_at", "pk"))

    def shown(mandate: Mandate) -> dict[str, Any]:
        return {
            "id": mandate.pk,
            "office": "board",
            "member": mandate.member.number,
            "name": mandate.member.user.get_full_name(),
            "starts_at": iso(mandate.starts_at),
            "ends_at": iso(mandate.ends_at),
            "ended_at": iso(mandate.ended_at) if mandate.ended_at else None,
            "elected_by": election.number,
            "ended_by": mandate.ended_by.number if mandate.ended_by else None,
        }

    listed = client.get(f"{BASE}/mandates").json()
    assert sorted(listed, key=lambda m: m["id"]) == [shown(m) for m in seats]
    assert refusal(token_for(make_account()).get(f"{BASE}/mandates")) == (404, "not_found")

    seat = Mandate.objects.get(member__user=voters[1])
    made = client.post(
        f"{BASE}/proposals", {"kind": "ordinary", "title": "Recall", "recall_of": seat.pk}
    )
    assert made.status_code == 201
    recall = Proposal.objects.get(recall_of=seat)
    with unchanged():
        assert refusal(
            client.post(
                f"{BASE}/proposals", {"kind": "discussion", "title": "x", "recall_of": seat.pk}
            )
        ) == (400, "recall_is_ordinary")
        assert refusal(
            client.post(f"{BASE}/proposals", {"kind": "ordinary", "title": "x", "recall_of": 999})
        ) == (404, "no_such_mandate")
    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=recall.number, choice="yes")
    actions.run_due(now=after_close(23))
    seat.refresh_from_db()
    ended = next(m for m in client.get(f"{BASE}/mandates").json() if m["id"] == seat.pk)
    assert ended == {**shown(seat), "ended_by": recall.number}
    assert ended["ended_at"] is not None


def test_an_election_of_a_committee_over_the_api(voters: list[User], token_for: Tokens) -> None:
    client = token_for(voters[0])
    numbers = [number(person) for person in voters[:5]]
    made = client.post(
        f"{BASE}/proposals",
        {
            "kind": "election",
            "title": "Education",
            "candidates": numbers,
            "seats": 4,
            "office": "Education committee",
        },
    )
    assert made.status_code == 201
    assert Proposal.objects.get().office == "Education committee"
    with unchanged():
        too_many = client.post(
            f"{BASE}/proposals",
            {"kind": "election", "title": "Board", "candidates": numbers, "seats": 4},
        )
    assert too_many.json() == {"error": "too_many_seats", "message": "The board has 3 seats."}
