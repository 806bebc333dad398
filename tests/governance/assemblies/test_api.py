"""The assemblies API: listing and reading (members and the board only), calling (the board),
checking in, recording attendance and writing the minutes; refusals in the one error shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from taawun.accounts.models import User
from taawun.governance import actions as governance
from taawun.governance.assemblies.models import Assembly, Attendance
from taawun.members.models import Membership
from tests.api.conftest import Api, as_token, as_user, iso  # noqa: F401
from tests.core.helpers import Clock, unchanged

from .conftest import ASSEMBLY_DAY

pytestmark = pytest.mark.django_db
BASE = "/api/governance/assemblies"
NOT_FOUND = {"error": "not_found", "message": "Nothing was found at this address."}


def number_of(user: User) -> int:
    return Membership.objects.get(user=user, status="active").number


def test_only_members_and_the_board_see_assemblies(
    called: Assembly,
    as_user: Callable[[User | None], Api],  # noqa: F811
    make_account: Callable[..., User],
    voters: list[User],
) -> None:
    outsider = as_user(make_account())
    assert outsider.get(BASE).json() == NOT_FOUND
    assert outsider.get(f"{BASE}/1").status_code == 404
    with unchanged():
        assert outsider.post(f"{BASE}/1/check-in").status_code == 404
    anonymous = as_user(None)
    assert anonymous.get(BASE).status_code == 401
    member = as_user(voters[4])
    assert member.get(BASE).json() == [
        {
            "number": 1,
            "kind": "annual",
            "status": "called",
            "title": "Annual general assembly 2030",
            "starts_at": iso(ASSEMBLY_DAY),
            "place": "Co-op hall, Ramallah",
            "online_link": "",
        }
    ]
    assert member.get(f"{BASE}/2").json() == NOT_FOUND


def test_the_board_calls_and_a_member_reads_it(
    clock: Clock,
    voters: list[User],
    as_user: Callable[[User | None], Api],  # noqa: F811
    as_token: Callable[[User], Api],  # noqa: F811
) -> None:
    proposal = governance.propose(actor=voters[0], kind="ordinary", title="Buy a van")
    body = {
        "kind": "extraordinary",
        "title": "The van",
        "starts_at": "2030-03-20T18:30:00+02:00",
        "online_link": "https://meet.example.org/van",
        "notice": "One point: the van.",
        "agenda": [{"title": "The van", "proposal": proposal.number}, {"title": "Other"}],
    }
    refused = as_token(voters[1]).post(BASE, body)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "forbidden",
        "message": "You do not have permission to do this.",
    }
    assert Assembly.objects.count() == 0
    no_place = as_token(voters[0]).post(BASE, {**body, "online_link": ""})
    assert no_place.status_code == 400
    assert no_place.json() == {
        "error": "no_place",
        "message": "Give a place, an online link, or both.",
    }
    created = as_token(voters[0]).post(BASE, body)
    assert created.status_code == 201
    called = Assembly.objects.get()
    assert created.json() == {
        "number": 1,
        "kind": "extraordinary",
        "status": "called",
        "title": "The van",
        "starts_at": iso(called.starts_at),
        "place": "",
        "online_link": "https://meet.example.org/van",
        "notice": "One point: the van.",
        "called_at": iso(clock.now),
        "opened_at": None,
        "closed_at": None,
        "cancelled_at": None,
        "cancel_reason": "",
        "secretary": None,
        "agenda": [
            {
                "position": 1,
                "title": "The van",
                "text": "",
                "proposal": proposal.number,
                "proposal_title": "Buy a van",
                "proposal_status": "open",
                "outcome": None,
            },
            {
                "position": 2,
                "title": "Other",
                "text": "",
                "proposal": None,
                "proposal_title": None,
                "proposal_status": None,
                "outcome": None,
            },
        ],
        "quorum": {"present": 0, "eligible": 6, "quorum_percent": "50.00", "reached": False},
        "attendance": [],
        "minutes": "",
        "minutes_approved_at": None,
        "addenda": [],
    }
    assert as_user(voters[3]).get(f"{BASE}/1").json() == created.json()


def test_check_in_attendance_and_minutes(
    in_session: Assembly,
    clock: Clock,
    voters: list[User],
    as_token: Callable[[User], Api],  # noqa: F811
) -> None:
    member = as_token(voters[2])
    checked = member.post(f"{BASE}/1/check-in")
    assert checked.status_code == 201
    assert checked.json()["attendance"] == [
        {
            "member": number_of(voters[2]),
            "name": voters[2].get_full_name(),
            "at": iso(clock.now),
            "checked_in": True,
        }
    ]
    twice = member.post(f"{BASE}/1/check-in")
    assert twice.status_code == 409
    assert twice.json() == {
        "error": "already_present",
        "message": "You are already recorded as present.",
    }

    marks = {"present": [number_of(voters[3]), number_of(voters[4])], "absent": []}
    assert member.post(f"{BASE}/1/attendance", marks).status_code == 403
    board = as_token(voters[0])
    recorded = board.post(f"{BASE}/1/attendance", marks)
    assert recorded.status_code == 200
    assert recorded.json()["quorum"] == {
        "present": 3,
        "eligible": 6,
        "quorum_percent": "50.00",
        "reached": True,
    }
    assert [a["checked_in"] for a in recorded.json()["attendance"]] == [True, False, False]
    for bad in ({"present": [0]}, {"present": ["3"]}, {"absent": [1], "extra": 1}):
        with unchanged():
            assert board.post(f"{BASE}/1/attendance", bad).status_code == 422
    assert Attendance.objects.count() == 3

    assert member.put(f"{BASE}/1/minutes", {"text": "Mine."}).status_code == 403
    written = board.put(f"{BASE}/1/minutes", {"text": "  Opened at 17:00.\nVan bought.  "})
    assert written.status_code == 200
    assert written.json()["minutes"] == "Opened at 17:00.\nVan bought."
    with unchanged():
        assert board.put(f"{BASE}/1/minutes", {"text": "x\x00"}).status_code == 422
        assert board.put(f"{BASE}/99/minutes", {"text": "x"}).status_code == 404


def test_calling_refusals_are_in_the_one_shape(
    clock: Clock,
    voters: list[User],
    as_user: Callable[[User | None], Api],  # noqa: F811
) -> None:
    board = as_user(voters[0])
    body: dict[str, Any] = {
        "kind": "annual",
        "title": "x",
        "starts_at": "2020-01-01T10:00:00Z",
        "place": "Hall",
        "notice": "Come.",
    }
    with unchanged():
        late = board.post(BASE, body)
        assert late.status_code == 400
        assert late.json()["error"] == "bad_start"
        naive = board.post(BASE, {**body, "starts_at": "2030-04-01T10:00:00"})
        assert naive.status_code == 422
        assert board.post(BASE, {**body, "kind": "weekly"}).status_code == 422
