"""A member's own account (GET /api/me) and directory entry (PATCH /api/me/profile)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from taawun.accounts.models import User
from taawun.members.models import Membership, Profile

from .conftest import Api, iso


def test_my_account_with_money_as_text(
    make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    member = make_member(paid=1)
    instalments = list(member.instalments.order_by("number"))
    today = timezone.localdate()

    response = as_user(member.user).get("/api/me")

    assert response.status_code == 200
    assert response.json() == {
        "number": 2,
        "member_class": "worker",
        "status": "active",
        "joined_on": today.isoformat(),
        "notice_given_on": None,
        "currency": "ILS",
        "shares": 2,
        "subscribed": "200.00",
        "paid": "50.00",
        "unpaid": "150.00",
        "capital": "50.00",
        "may_vote": True,
        "instalments": [
            {
                "id": instalment.pk,
                "member_number": 2,
                "number": instalment.number,
                "due_on": (today + dt.timedelta(days=30 * (instalment.number - 1))).isoformat(),
                "amount": "50.00",
                "currency": "ILS",
                "status": "paid" if instalment.number == 1 else "due",
                "paid_at": iso(instalment.paid_at),
                "cancelled_at": None,
                "method": "cash" if instalment.number == 1 else None,
                "reference": "",
                "receipt_number": instalment.receipt_number,
            }
            for instalment in instalments
        ],
        "repayment": None,
    }
    assert instalments[0].receipt_number is not None


def test_a_supporter_has_no_vote_and_uneven_instalments(
    make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    member = make_member("supporter")
    body = as_user(member.user).get("/api/me").json()
    assert body["may_vote"] is False
    assert [i["amount"] for i in body["instalments"]] == ["33.34", "33.33", "33.33"]
    assert (body["subscribed"], body["paid"], body["capital"]) == ("100.00", "0.00", "0.00")


def test_the_same_account_over_a_token(
    make_member: Callable[..., Membership], as_token: Callable[[User], Api]
) -> None:
    member = make_member()
    assert as_token(member.user).get("/api/me").json()["number"] == member.number


def test_someone_who_is_not_a_member_has_no_account(
    coop: Any, make_account: Callable[..., User], as_user: Callable[[User | None], Api]
) -> None:
    response = as_user(make_account()).get("/api/me")
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": "You are not a member of the co-op.",
    }


PROFILE_DEFAULTS = {
    "phone": "",
    "city": "",
    "skills": "",
    "bio": "",
    "show_in_directory": True,
    "name_visibility": "members",
    "email_visibility": "private",
    "phone_visibility": "private",
    "city_visibility": "members",
    "skills_visibility": "members",
    "bio_visibility": "members",
}


def test_editing_my_profile_changes_only_what_is_sent(
    make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    member = make_member(name="Rami")
    client = as_user(member.user)

    response = client.patch(
        "/api/me/profile", {"city": " Jenin ", "city_visibility": "public", "bio": None}
    )

    assert response.status_code == 200
    expected = {
        **PROFILE_DEFAULTS,
        "display_name": "Rami",
        "city": "Jenin",
        "city_visibility": "public",
    }
    assert response.json() == expected
    profile = Profile.objects.get(user=member.user)
    assert (profile.city, profile.city_visibility, profile.bio) == ("Jenin", "public", "")
    assert client.get("/api/members/2").json()["city"] == "Jenin"


def test_an_account_without_membership_can_prepare_a_profile(
    coop: Any, make_account: Callable[..., User], as_user: Callable[[User | None], Api]
) -> None:
    person = make_account(name="Lina")
    response = as_user(person).patch("/api/me/profile", {"skills": "accounting"})
    assert response.status_code == 200
    assert response.json() == {**PROFILE_DEFAULTS, "display_name": "Lina", "skills": "accounting"}


@pytest.mark.parametrize(
    ("body", "status", "error", "message"),
    [
        ({"display_name": "   "}, 400, "name_required", "Enter the name to show."),
        ({"display_name": ""}, 422, "invalid_input", "The field display_name is not valid."),
        (
            {"phone_visibility": "everyone"},
            422,
            "invalid_input",
            "The field phone_visibility must be one of: 'private', 'members' or 'public'.",
        ),
        (
            {"show_in_directory": "no"},
            422,
            "invalid_input",
            "The field show_in_directory is not valid.",
        ),
        (
            {"phone": "1" * 33},
            422,
            "invalid_input",
            "The field phone is too long (at most 32 characters).",
        ),
        ({"user": 1}, 422, "invalid_input", "The field user is not expected here."),
    ],
)
def test_refused_profile_edits_change_nothing(
    make_member: Callable[..., Membership],
    as_user: Callable[[User | None], Api],
    body: dict[str, Any],
    status: int,
    error: str,
    message: str,
) -> None:
    member = make_member(name="Rami")
    before = list(Profile.objects.values())

    response = as_user(member.user).patch("/api/me/profile", body)

    assert response.status_code == status
    assert response.json() == {"error": error, "message": message}
    assert list(Profile.objects.values()) == before
