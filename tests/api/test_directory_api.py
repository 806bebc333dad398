"""The member directory over the API: each member's privacy choices, paging, filters, and a
fixed number of queries whatever the number of members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from taawun.accounts.models import User
from taawun.members import actions, selectors
from taawun.members.models import Membership

from .conftest import Api


@pytest.fixture
def amal(make_member: Callable[..., Membership]) -> Membership:
    """Member #2, who shows her name and city to everyone and keeps her phone and bio private."""
    membership = make_member(name="Amal Haddad", email="amal@example.org")
    actions.update_profile(
        actor=membership.user,
        display_name="Amal",
        phone="0599 000 000",
        city="Nablus",
        skills="plumbing",
        bio="Hello",
        name_visibility="public",
        email_visibility="members",
        phone_visibility="private",
        city_visibility="public",
        skills_visibility="members",
        bio_visibility="private",
    )
    return membership


ALL = {
    "number": 2,
    "member_class": "worker",
    "name": "Amal",
    "email": "amal@example.org",
    "phone": "0599 000 000",
    "city": "Nablus",
    "skills": "plumbing",
    "bio": "Hello",
}
PUBLIC = {**ALL, "email": None, "phone": None, "skills": None, "bio": None}
MEMBERS = {**ALL, "phone": None, "bio": None}


def _entry(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "joined_on"}


def test_anonymous_callers_see_public_fields_only(anonymous: Api, amal: Membership) -> None:
    response = anonymous.get("/api/members")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (2, 1, 1, 50)
    assert _entry(body["results"][1]) == PUBLIC
    assert body["results"][1]["joined_on"] == amal.joined_on.isoformat()
    # The founder kept the defaults: name and the rest are for members only.
    assert _entry(body["results"][0]) == {
        "number": 1,
        "member_class": "worker",
        "name": None,
        "email": None,
        "phone": None,
        "city": None,
        "skills": None,
        "bio": None,
    }
    assert _entry(anonymous.get("/api/members/2").json()) == PUBLIC


def test_members_see_what_members_may_see(
    amal: Membership, make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    other = as_user(make_member().user)
    assert _entry(other.get("/api/members").json()["results"][1]) == MEMBERS
    assert _entry(other.get("/api/members/2").json()) == MEMBERS


def test_a_signed_in_non_member_sees_public_fields_only(
    amal: Membership, make_account: Callable[..., User], as_user: Callable[[User | None], Api]
) -> None:
    client = as_user(make_account())
    assert _entry(client.get("/api/members/2").json()) == PUBLIC


def test_the_board_and_the_member_herself_see_everything(
    amal: Membership, board: Api, as_user: Callable[[User | None], Api]
) -> None:
    assert _entry(board.get("/api/members/2").json()) == ALL
    assert _entry(as_user(amal.user).get("/api/members/2").json()) == ALL


def test_the_same_privacy_applies_over_a_token(
    amal: Membership, make_member: Callable[..., Membership], as_token: Callable[[User], Api]
) -> None:
    other = as_token(make_member().user)
    assert _entry(other.get("/api/members/2").json()) == MEMBERS


def test_members_who_hide_from_the_directory_are_not_listed(
    amal: Membership,
    anonymous: Api,
    board: Api,
    make_member: Callable[..., Membership],
    as_user: Callable[[User | None], Api],
) -> None:
    actions.update_profile(actor=amal.user, show_in_directory=False)
    other = as_user(make_member().user)

    for client in (anonymous, other):
        assert [e["number"] for e in client.get("/api/members").json()["results"]] == [1, 3]
        hidden = client.get("/api/members/2")
        assert hidden.status_code == 404
        assert hidden.json()["error"] == "not_found"
    assert [e["number"] for e in board.get("/api/members").json()["results"]] == [1, 2, 3]
    assert as_user(amal.user).get("/api/members/2").status_code == 200


def test_former_members_are_not_in_the_directory(
    amal: Membership, board: Api, founder: User
) -> None:
    actions.give_notice(actor=amal.user, membership_id=amal.pk)
    actions.sell_back(actor=founder, membership_id=amal.pk, waive_notice=True)

    assert [e["number"] for e in board.get("/api/members").json()["results"]] == [1]
    assert board.get("/api/members/2").status_code == 404


def test_pages_and_member_class_filter(
    anonymous: Api, make_member: Callable[..., Membership], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_member("user")
    make_member("worker")
    make_member("user")
    monkeypatch.setattr(selectors, "DIRECTORY_PAGE_SIZE", 2)

    first = anonymous.get("/api/members").json()
    second = anonymous.get("/api/members?page=2").json()
    beyond = anonymous.get("/api/members?page=99").json()
    users = anonymous.get("/api/members?member_class=user").json()
    nobody = anonymous.get("/api/members?member_class=supporter").json()

    assert [e["number"] for e in first["results"]] == [1, 2]
    assert (first["count"], first["pages"], first["page_size"]) == (4, 2, 2)
    assert [e["number"] for e in second["results"]] == [3, 4]
    assert (beyond["page"], [e["number"] for e in beyond["results"]]) == (2, [3, 4])
    assert [e["number"] for e in users["results"]] == [2, 4]
    assert (nobody["count"], nobody["results"]) == (0, [])


def test_unknown_member_numbers_are_404(anonymous: Api, coop: Any) -> None:
    response = anonymous.get("/api/members/999")
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": "Nothing was found at this address.",
    }


def _queries_for_directory(client: Api) -> int:
    """Queries on a cold cache: what a page costs the first time after any change."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/members")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("caller", ["anonymous", "member", "board", "board_token"])
def test_the_directory_takes_the_same_number_of_queries_for_5_or_30_members(
    caller: str,
    founder: User,
    make_member: Callable[..., Membership],
    as_user: Callable[[User | None], Api],
    as_token: Callable[[User], Api],
) -> None:
    member = make_member()
    client = {
        "anonymous": lambda: as_user(None),
        "member": lambda: as_user(member.user),
        "board": lambda: as_user(founder),
        "board_token": lambda: as_token(founder),
    }[caller]()
    for _ in range(3):
        make_member()
    _queries_for_directory(client)  # warm up: session, token use, caches
    assert len(client.get("/api/members").json()["results"]) == 5
    with_5 = _queries_for_directory(client)

    for n in range(25):
        make_member("user" if n % 2 else "worker")
    with_30 = _queries_for_directory(client)

    assert len(client.get("/api/members").json()["results"]) == 30
    assert with_30 == with_5
    assert with_5 <= 8


def test_the_directory_can_be_searched_by_shown_name(
    founder: User, make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    from taawun.members import actions as members

    public = make_member(name="Rana Odeh")
    members.update_profile(actor=public.user, name_visibility="public")
    make_member(name="Rami Haddad")
    anonymous = as_user(None).get("/api/members?name=ra").json()
    assert [(r["name"], r["number"]) for r in anonymous["results"]] == [("Rana Odeh", 2)]
    assert anonymous["count"] == 1
    board = as_user(founder).get("/api/members?name=RA").json()
    assert [r["name"] for r in board["results"]] == ["Rana Odeh", "Rami Haddad"]
    nul = as_user(None).get("/api/members?name=r%00a")  # the NUL is dropped: "ra"
    assert nul.status_code == 200
    assert [r["name"] for r in nul.json()["results"]] == ["Rana Odeh"]
    assert as_user(None).get("/api/members?name=r%01a").status_code == 422  # other controls
