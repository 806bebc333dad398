"""Applying to join, and the board deciding applications, over the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from taawun.accounts.models import User
from taawun.members.models import Application, Membership
from taawun.transparency.models import AuditEntry

from .conftest import Api, iso

FORBIDDEN = {"error": "forbidden", "message": "You do not have permission to do this."}
NOT_FOUND = {"error": "not_found", "message": "Nothing was found at this address."}


def _snapshot() -> tuple[list[Any], int, int]:
    return (
        list(Application.objects.values()),
        Membership.objects.count(),
        AuditEntry.objects.count(),
    )


def _body(application: Application) -> dict[str, Any]:
    application.refresh_from_db()
    return {
        "id": application.pk,
        "applicant": {"name": application.user.get_full_name(), "email": application.user.email},
        "member_class": application.member_class,
        "motivation": application.motivation,
        "status": application.status,
        "submitted_at": iso(application.submitted_at),
        "decided_at": iso(application.decided_at),
        "decision_reason": application.decision_reason,
        "policy_version": 1,
    }


def test_a_person_applies(
    coop: Any, make_account: Callable[..., User], as_user: Callable[[User | None], Api]
) -> None:
    person = make_account(name="Omar", email="omar@example.org")

    response = as_user(person).post(
        "/api/applications", {"member_class": "worker", "motivation": " I drive. "}
    )

    assert response.status_code == 201
    application = Application.objects.get(user=person)
    assert response.json() == _body(application)
    assert response.json()["applicant"] == {"name": "Omar", "email": "omar@example.org"}
    assert (application.status, application.motivation) == ("pending", "I drive.")


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"member_class": "astronaut"}, 400, "unknown_member_class"),
        ({"member_class": "worker"}, 409, "application_pending"),
    ],
)
def test_refused_applications_change_nothing(
    make_applicant: Callable[..., Application],
    as_user: Callable[[User | None], Api],
    body: dict[str, Any],
    status: int,
    error: str,
) -> None:
    application = make_applicant()
    before = _snapshot()

    response = as_user(application.user).post("/api/applications", body)

    assert response.status_code == status
    assert response.json()["error"] == error
    assert _snapshot() == before


def test_members_cannot_apply_again(
    make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    member = make_member()
    before = _snapshot()
    response = as_user(member.user).post("/api/applications", {"member_class": "user"})
    assert response.status_code == 409
    assert response.json() == {"error": "already_member", "message": "You are already a member."}
    assert _snapshot() == before


def test_the_board_lists_pending_applications_and_applicants_their_own(
    board: Api,
    make_applicant: Callable[..., Application],
    as_user: Callable[[User | None], Api],
    founder: User,
) -> None:
    first = make_applicant()
    second = make_applicant("user")
    decided = make_applicant()
    board.post(f"/api/applications/{decided.pk}/refuse", {"reason": "Not now"})

    assert board.get("/api/applications").json() == [_body(first), _body(second)]
    assert as_user(decided.user).get("/api/applications").json() == [_body(decided)]
    assert as_user(first.user).get("/api/applications").json() == [_body(first)]


def test_an_application_is_seen_by_its_applicant_and_the_board_only(
    board: Api, make_applicant: Callable[..., Application], as_user: Callable[[User | None], Api]
) -> None:
    application = make_applicant()
    other = make_applicant()

    assert as_user(application.user).get(f"/api/applications/{application.pk}").json() == _body(
        application
    )
    assert board.get(f"/api/applications/{application.pk}").json() == _body(application)
    hidden = as_user(other.user).get(f"/api/applications/{application.pk}")
    assert (hidden.status_code, hidden.json()) == (404, NOT_FOUND)
    missing = board.get("/api/applications/9999")
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)


def test_the_board_approves_and_the_applicant_becomes_member_2(
    board: Api, make_applicant: Callable[..., Application], as_user: Callable[[User | None], Api]
) -> None:
    application = make_applicant()

    response = board.post(f"/api/applications/{application.pk}/approve")

    assert response.status_code == 200
    membership = Membership.objects.get(user=application.user)
    assert response.json() == {
        "number": 2,
        "member_class": "worker",
        "status": "active",
        "joined_on": membership.joined_on.isoformat(),
        "notice_given_on": None,
        "left_on": None,
    }
    application.refresh_from_db()
    assert application.status == "approved"
    assert as_user(application.user).get("/api/me").json()["number"] == 2

    again = board.post(f"/api/applications/{application.pk}/approve")
    assert again.status_code == 409
    assert again.json() == {
        "error": "application_decided",
        "message": "This application has already been decided (approved).",
    }
    assert Membership.objects.count() == 2


def test_only_the_board_decides(
    make_member: Callable[..., Membership],
    make_applicant: Callable[..., Application],
    as_user: Callable[[User | None], Api],
    as_token: Callable[[User], Api],
) -> None:
    member = make_member()
    application = make_applicant()
    clients = (as_user(member.user), as_token(member.user), as_user(application.user))
    before = _snapshot()

    for client in clients:
        for path, body in (
            (f"/api/applications/{application.pk}/approve", None),
            (f"/api/applications/{application.pk}/refuse", {"reason": "No"}),
        ):
            response = client.post(path, body)
            assert response.status_code == 403
            assert response.json() == FORBIDDEN
    assert _snapshot() == before


def test_the_board_refuses_with_a_reason(
    board: Api, make_applicant: Callable[..., Application], founder: User
) -> None:
    application = make_applicant()
    before = _snapshot()

    blank = board.post(f"/api/applications/{application.pk}/refuse", {"reason": "  "})
    assert blank.status_code == 400
    assert blank.json() == {
        "error": "reason_required",
        "message": "Give the applicant the reason for the refusal.",
    }
    assert _snapshot() == before

    response = board.post(f"/api/applications/{application.pk}/refuse", {"reason": "Full for now"})
    assert response.status_code == 200
    assert response.json() == _body(application)
    application.refresh_from_db()
    assert (application.status, application.decision_reason, application.decided_by) == (
        "refused",
        "Full for now",
        founder,
    )


def test_deciding_a_missing_application_is_404(board: Api) -> None:
    response = board.post("/api/applications/9999/approve")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "No such application."}


def test_applicants_withdraw_their_own_application_only(
    board: Api, make_applicant: Callable[..., Application], as_user: Callable[[User | None], Api]
) -> None:
    application = make_applicant()
    other = make_applicant()
    before = _snapshot()

    for client in (as_user(other.user), board):
        refused = client.post(f"/api/applications/{application.pk}/withdraw")
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    assert _snapshot() == before

    response = as_user(application.user).post(f"/api/applications/{application.pk}/withdraw")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json() == _body(application)
