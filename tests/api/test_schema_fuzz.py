"""Fuzz every operation of the published OpenAPI schema, signed in as a board member.

Schemathesis reads /api/openapi.json from the WSGI app (in process, no server), generates valid
and invalid requests for each operation (examples, coverage and fuzzing phases; positive and
negative data) and calls the app: no operation may answer 5xx, and every response must match the
schema (status code, content type, headers, body); invalid data must be refused. Each operation
gets a fresh co-op with a second member, so low ids and member numbers exist and the write
endpoints act for real. Calls carry the founder's API token, except /api/tokens, which takes only
the session (with its CSRF token). Bounded so the file runs in well under a minute."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.specs.openapi.checks import ignored_auth

from taawun.accounts.models import User
from taawun.apikeys import actions as apikeys
from taawun.wsgi import application

EXAMPLES_PER_OPERATION = 15

# Loading the schema needs no database: ninja builds it from the code.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
# Credentials are the test's own (below), never generated or mutated by schemathesis.
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, with_security_parameters=False)
# A request can fit the schema and still break a co-op rule the schema cannot express (a member
# class the policy does not define, a blank refusal reason, transferring to oneself): those are
# 400 refusals by design, so schema-valid data may also get a 400.
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=["2xx", "400", "401", "403", "404", "409", "429"]
)


@dataclass
class Credentials:
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def as_kwargs(self) -> dict[str, Any]:
        return {"headers": self.headers, "cookies": self.cookies}


# The board member's credentials for the running test (set by the fixture below).
CURRENT: dict[str, Credentials] = {}


@pytest.fixture
def board_member(founder: User, make_member: Callable[..., Any], settings: Any) -> Iterator[None]:
    settings.TAAWUN_API_RATES = {"anon": "100000/min", "user": "100000/min"}
    make_member(paid=1)
    _token, raw = apikeys.create_token(actor=founder, name="fuzz")
    browser = Client()
    browser.force_login(founder)
    request = HttpRequest()
    csrf_token = get_token(request)
    CURRENT["token"] = Credentials(headers={"Authorization": f"Bearer {raw}"})
    CURRENT["session"] = Credentials(
        headers={"X-CSRFToken": csrf_token},
        cookies={
            "sessionid": browser.cookies["sessionid"].value,
            "csrftoken": request.META["CSRF_COOKIE"],
        },
    )
    # Schemathesis calls the WSGI app directly. Like Django's test client, keep the request
    # signals from closing the test's connection, which holds the test's open transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        CURRENT.clear()


@schema.parametrize()
@settings(
    deadline=None, suppress_health_check=list(HealthCheck), max_examples=EXAMPLES_PER_OPERATION
)
def test_no_server_errors_and_responses_match_the_schema(
    case: schemathesis.Case, board_member: None
) -> None:
    if case.operation.path.startswith("/api/tokens"):
        # Session only. Schemathesis cannot tell our session cookie from a generated one, so its
        # ignored-auth check would misfire; test_auth.py checks these refuse tokens and no-one.
        case.call_and_validate(**CURRENT["session"].as_kwargs(), excluded_checks=[ignored_auth])
    else:
        case.call_and_validate(**CURRENT["token"].as_kwargs())
