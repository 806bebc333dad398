"""Who may call the API: tokens (valid, revoked, wrong), the session with CSRF, token
management, rate limits, and the one error shape for every refusal."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client
from django.test.utils import CaptureQueriesContext

from taawun.accounts.actions import close_account
from taawun.accounts.models import User
from taawun.api import api
from taawun.apikeys import actions as apikeys
from taawun.apikeys.actions import MAX_LIVE_TOKENS
from taawun.apikeys.models import ApiToken
from taawun.members.models import Application
from taawun.transparency.models import AuditEntry

from ..conftest import PASSWORD
from .conftest import Api, iso

UNAUTHENTICATED = {"error": "unauthenticated", "message": "Sign in, or send a personal API token."}
BAD_TOKEN = {
    "error": "unauthenticated",
    "message": "This API token is not valid or has been revoked.",
}


def _signed_in_operations() -> list[tuple[str, str]]:
    """Every operation in the published schema that does not allow anonymous callers."""
    found = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            if {} not in operation.get("security", []):
                found.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return found


SIGNED_IN_OPERATIONS = _signed_in_operations()


def test_every_write_and_private_read_is_in_the_signed_in_list() -> None:
    assert len(SIGNED_IN_OPERATIONS) == 137
    assert ("post", "/api/school/courses/1/lessons/1/answers") in SIGNED_IN_OPERATIONS
    assert ("post", "/api/federation/transfers") in SIGNED_IN_OPERATIONS
    assert ("post", "/api/market/trips/") in SIGNED_IN_OPERATIONS
    assert ("post", "/api/market/works/1/licences") in SIGNED_IN_OPERATIONS
    assert ("get", "/api/market/services/services") not in SIGNED_IN_OPERATIONS
    assert ("get", "/api/market/works/") not in SIGNED_IN_OPERATIONS
    assert ("get", "/api/me") in SIGNED_IN_OPERATIONS
    assert ("get", "/api/books/balance-sheet") in SIGNED_IN_OPERATIONS
    assert ("post", "/api/books/sales") in SIGNED_IN_OPERATIONS
    assert ("get", "/api/members") not in SIGNED_IN_OPERATIONS


@pytest.mark.parametrize(("method", "path"), SIGNED_IN_OPERATIONS)
def test_anonymous_callers_get_401_everywhere_but_public_reads(
    anonymous: Api, method: str, path: str
) -> None:
    response = getattr(anonymous, method)(path)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "path", ["/api/coop", "/api/policy", "/api/policy/versions", "/api/members"]
)
def test_public_reads_need_no_credentials(anonymous: Api, path: str) -> None:
    assert anonymous.get(path).status_code == 200


# --- Personal tokens -----------------------------------------------------------------------


def test_a_valid_token_authenticates_and_notes_its_use(
    make_member: Callable[..., Any], founder: User
) -> None:
    member = make_member()
    token, raw = apikeys.create_token(actor=member.user, name="phone")
    client = Api(Client(HTTP_ACCEPT_LANGUAGE="en"), HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = client.get("/api/me")

    assert response.status_code == 200
    assert response.json()["number"] == member.number
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(make_member: Callable[..., Any]) -> None:
    member = make_member()
    token, raw = apikeys.create_token(actor=member.user, name="phone")
    apikeys.revoke_token(actor=member.user, token_id=token.pk)

    response = Client().get(
        "/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 401
    assert response.json() == BAD_TOKEN
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_is_read_once_and_refused_at_once_when_revoked(
    make_member: Callable[..., Any],
) -> None:
    member = make_member()
    token, raw = apikeys.create_token(actor=member.user, name="phone")
    client = Api(Client(HTTP_ACCEPT_LANGUAGE="en"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/me").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/me").status_code == 200
    assert not [q for q in queries if "apikeys_apitoken" in q["sql"]]  # cached, use noted

    apikeys.revoke_token(actor=member.user, token_id=token.pk)

    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json() == BAD_TOKEN


def test_a_closed_accounts_cached_token_is_refused(
    coop: Any, make_account: Callable[..., User]
) -> None:
    person = make_account()
    _token, raw = apikeys.create_token(actor=person, name="phone")
    client = Api(Client(HTTP_ACCEPT_LANGUAGE="en"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/market/orders").status_code == 200

    close_account(actor=person, confirm=PASSWORD)

    assert client.get("/api/market/orders").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer taawun_not-a-real-token",
        "Bearer something-else",
        "Bearer ",
        "Bearer",
        "Basic Zm91bmRlckBleGFtcGxlLm9yZzpwdw==",
        "Token taawun_x",
    ],
)
def test_a_wrong_token_is_refused(coop: Any, header: str) -> None:
    response = Client().get("/api/me", HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == BAD_TOKEN


def test_a_wrong_token_does_not_fall_back_to_the_session(founder: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(founder)
    response = client.get("/api/me", HTTP_AUTHORIZATION="Bearer taawun_wrong")
    assert response.status_code == 401
    assert response.json() == BAD_TOKEN


def test_a_wrong_token_is_refused_even_on_public_reads(coop: Any) -> None:
    response = Client().get("/api/coop", HTTP_AUTHORIZATION="Bearer taawun_wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"


def test_the_token_of_a_deactivated_account_is_refused(make_member: Callable[..., Any]) -> None:
    member = make_member()
    _token, raw = apikeys.create_token(actor=member.user, name="phone")
    User.objects.filter(pk=member.user_id).update(is_active=False)

    response = Client().get(
        "/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 401
    assert response.json() == BAD_TOKEN


def test_a_member_creates_a_token_shown_once_and_stored_only_as_its_hash(
    board: Api, founder: User
) -> None:
    response = board.post("/api/tokens", {"name": "  laptop "})

    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get()
    assert body == {
        "id": token.pk,
        "name": "laptop",
        "token": body["token"],
        "created_at": iso(token.created_at),
        "last_used_at": None,
        "revoked_at": None,
    }
    assert body["token"].startswith("taawun_") and len(body["token"]) > 40
    assert token.user == founder
    assert token.digest == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in {str(getattr(token, f.attname)) for f in ApiToken._meta.fields}
    assert (
        AuditEntry.objects.filter(action="api_token.created", subject_id=str(token.pk)).count() == 1
    )
    # It works, and is never shown again.
    listed = board.get("/api/tokens").json()
    assert listed == [{k: v for k, v in body.items() if k != "token"}]
    me = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200


def test_a_member_lists_and_revokes_only_their_own_tokens(
    make_member: Callable[..., Any], as_user: Callable[[User | None], Api], founder: User
) -> None:
    member = make_member()
    own, _ = apikeys.create_token(actor=member.user, name="mine")
    other, _ = apikeys.create_token(actor=founder, name="founder's")
    client = as_user(member.user)

    assert [t["id"] for t in client.get("/api/tokens").json()] == [own.pk]

    refused = client.delete(f"/api/tokens/{other.pk}")
    assert refused.status_code == 404
    assert refused.json() == {"error": "not_found", "message": "Nothing was found at this address."}
    other.refresh_from_db()
    assert other.revoked_at is None

    revoked = client.delete(f"/api/tokens/{own.pk}")
    assert revoked.status_code == 200
    own.refresh_from_db()
    assert own.revoked_at is not None
    assert revoked.json()["revoked_at"] == iso(own.revoked_at)

    again = client.delete(f"/api/tokens/{own.pk}")
    assert again.status_code == 409
    assert again.json() == {
        "error": "token_revoked",
        "message": "This token has already been revoked.",
    }


def test_a_token_cannot_mint_list_or_revoke_tokens(
    founder: User, as_token: Callable[[User], Api]
) -> None:
    client = as_token(founder)
    existing = ApiToken.objects.get()

    for response in (
        client.post("/api/tokens", {"name": "escalation"}),
        client.get("/api/tokens"),
        client.delete(f"/api/tokens/{existing.pk}"),
    ):
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED
    assert ApiToken.objects.count() == 1
    existing.refresh_from_db()
    assert existing.revoked_at is None


def test_token_names_are_checked(board: Api) -> None:
    blank = board.post("/api/tokens", {"name": "   "})
    assert blank.status_code == 400
    assert blank.json() == {"error": "name_required", "message": "Give the token a name."}
    missing = board.post("/api/tokens", {})
    assert missing.status_code == 422
    assert missing.json() == {"error": "invalid_input", "message": "The field name is required."}
    assert not ApiToken.objects.exists()


def test_live_tokens_are_limited(board: Api, founder: User) -> None:
    for n in range(MAX_LIVE_TOKENS):
        apikeys.create_token(actor=founder, name=f"t{n}")
    response = board.post("/api/tokens", {"name": "one more"})
    assert response.status_code == 409
    assert response.json()["error"] == "too_many_tokens"
    assert ApiToken.objects.count() == MAX_LIVE_TOKENS


# --- Session and CSRF ----------------------------------------------------------------------


def test_session_writes_need_the_csrf_token(coop: Any, make_account: Callable[..., User]) -> None:
    person = make_account()
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(person)
    body = '{"member_class": "worker"}'

    refused = browser.post("/api/applications", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "csrf_failed",
        "message": "The CSRF check failed: send the X-CSRFToken header.",
    }
    assert not Application.objects.exists()

    assert browser.get("/api/me").status_code == 404  # reads need no CSRF token (not a member)
    page = HttpRequest()  # as a page of the site would: CSRF cookie plus the masked token
    token = get_token(page)
    browser.cookies["csrftoken"] = page.META["CSRF_COOKIE"]
    accepted = browser.post(
        "/api/applications", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201
    assert Application.objects.filter(user=person).count() == 1


def test_token_writes_need_no_csrf_token(coop: Any, make_account: Callable[..., User]) -> None:
    person = make_account()
    _token, raw = apikeys.create_token(actor=person, name="script")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/applications",
        '{"member_class": "user"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201


# --- Rate limits ---------------------------------------------------------------------------


def test_anonymous_callers_are_rate_limited(anonymous: Api, settings: Any) -> None:
    settings.TAAWUN_API_RATES = {"anon": "2/min", "user": "100/min"}
    assert anonymous.get("/api/coop").status_code == 200
    assert anonymous.get("/api/policy").status_code == 200
    response = anonymous.get("/api/coop")
    assert response.status_code == 429
    assert response.json() == {
        "error": "rate_limited",
        "message": "Too many requests; wait a moment and try again.",
    }
    assert int(response["Retry-After"]) > 0


def test_signed_in_callers_are_limited_per_person(
    board: Api,
    make_member: Callable[..., Any],
    as_user: Callable[[User | None], Api],
    settings: Any,
) -> None:
    other = as_user(make_member().user)
    settings.TAAWUN_API_RATES = {"anon": "100/min", "user": "2/min"}
    assert board.get("/api/me").status_code == 200
    assert board.get("/api/me").status_code == 200
    assert board.get("/api/me").status_code == 429
    assert other.get("/api/me").status_code == 200  # someone else's budget is untouched


# --- The one error shape -------------------------------------------------------------------


def test_unknown_paths_and_methods_answer_in_the_error_shape(anonymous: Api, board: Api) -> None:
    unknown = anonymous.get("/api/no/such/thing")
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "not_found", "message": "Nothing was found at this address."}

    wrong_method = board.client.put("/api/me", HTTP_ACCEPT_LANGUAGE="en")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {
        "error": "method_not_allowed",
        "message": "This address does not accept PUT requests.",
    }
    assert wrong_method["Allow"] == "GET"


def test_bodies_that_are_not_json_are_400(board: Api) -> None:
    response = board.post("/api/applications", "{not json")
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "message": "The request body is not valid JSON.",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "The field member_class is required."),
        ({"member_class": 7}, "The field member_class is not valid."),
        ({"member_class": "Worker!"}, "The field member_class is not valid."),
        (
            {"member_class": "worker", "motivation": "x" * 2001},
            "The field motivation is too long (at most 2000 characters).",
        ),
        ({"member_class": "worker", "motivation": "a\x00b"}, "The field motivation is not valid."),
        ({"member_class": "worker", "colour": "red"}, "The field colour is not expected here."),
        ([], "The field body is not valid."),
    ],
)
def test_invalid_input_is_422_naming_the_field(
    coop: Any,
    make_account: Callable[..., User],
    as_user: Callable[[User | None], Api],
    body: Any,
    message: str,
) -> None:
    response = as_user(make_account()).post("/api/applications", body)
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_input", "message": message}
    assert not Application.objects.exists()


def test_invalid_path_and_query_values_are_422(anonymous: Api) -> None:
    assert anonymous.get("/api/members/abc").json() == {
        "error": "invalid_input",
        "message": "The field number is not valid.",
    }
    response = anonymous.get("/api/members?page=0")
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_input", "message": "The field page is not valid."}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("get", "/api/me", None, 401, "unauthenticated"),
        ("get", "/api/no-such-page", None, 404, "not_found"),
        ("post", "/api/applications", {"member_class": "astronaut"}, 400, "unknown_member_class"),
        ("post", "/api/applications", {"member_class": 5}, 422, "invalid_input"),
        ("post", "/api/applications/1/approve", None, 403, "forbidden"),
        ("post", "/api/applications", {"member_class": "worker"}, 409, "already_member"),
    ],
)
def test_arabic_requests_get_the_same_codes_in_arabic(
    make_member: Callable[..., Any],
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
) -> None:
    member = make_member()
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    if status != 401:
        client.force_login(member.user)
    response = Api(client).post(path, body) if method == "post" else client.get(path)
    assert response.status_code == status
    assert response["Content-Language"] == "ar"
    assert set(response.json()) == {"error", "message"}
    assert response.json()["error"] == code
    assert response.json()["message"]
