"""The audit and a member's own self-report over the JSON API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from taawun.accounts.models import User
from taawun.ledger.models import Period
from taawun.market.fairness.models import SelfReport

from ...api.conftest import Api
from ...core.helpers import Clock
from .conftest import Worked

pytestmark = [pytest.mark.django_db]
AsUser = Callable[[User | None], Api]
URL = "/api/market/fairness/"
ME = "/api/market/fairness/me/self-report"
SIX = [("200", "10"), ("100", "4"), ("75", "2"), ("200", "5"), ("150", "3"), ("400", "8")]
FORBIDDEN = {"error": "forbidden", "message": "You do not have permission to do this."}


@pytest.fixture
def as_user() -> AsUser:
    def make(user: User | None) -> Api:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        return Api(client)

    return make


def put(api: Api, body: dict[str, Any] | str) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return api.client.put(ME, data=data, content_type="application/json", **api.headers)


def test_the_audit_of_a_period(clock: Clock, as_user: AsUser, worked: Worked) -> None:
    workers = [worked(earned, hours) for earned, hours in SIX]
    for worker in workers[:5]:
        put(as_user(worker.user), {"area": "centre", "consent": True})
    put(as_user(workers[5].user), {"area": "periphery", "consent": True})
    response = as_user(workers[1].user).get(f"{URL}?period={Period.objects.get().pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "ILS"
    assert body["earnings_floor"] == "30.00"
    assert body["figures"] == {
        "workers": 6,
        "mean": "37.08",
        "median": "38.75",
        "p10": "20.00",
        "p10_over_mean": "0.5393",
        "gini": "0.1704",
        "below_floor": 2,
    }
    assert body["earnings_per_hour"] == ["20.00", "25.00", "37.50", "40.00", "50.00", "50.00"]
    assert body["my_position"] == 2
    assert sum(b["workers"] for b in body["histogram"]) == 6
    assert body["hours"] == "32.00"
    assert body["trips"] == {"offered": 0, "declined": 0, "declined_percent": None}
    assert body["min_group"] == 5
    area = next(d for d in body["groups"] if d["dimension"] == "area")
    assert area == {
        "dimension": "area",
        "groups": [
            {"group": "centre", "shown": True, "workers": 5, "mean": "34.50"},
            {"group": "periphery", "shown": False, "workers": None, "mean": None},
        ],
        "gap_percent": None,
    }
    assert as_user(workers[0].user).get(ME).json() == {
        "gender": None,
        "age_band": None,
        "area": "centre",
    }


def test_a_non_member_and_an_anonymous_caller_are_refused(
    clock: Clock, as_user: AsUser, worked: Worked, make_account: Callable[..., User]
) -> None:
    worked("100", "4")
    stranger = as_user(make_account())
    response = stranger.get(URL)
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    refused = put(stranger, {"gender": "woman", "consent": True})
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_a_member"
    assert as_user(None).get(URL).status_code == 401
    assert put(as_user(None), {"gender": "woman", "consent": True}).status_code == 401
    assert SelfReport.objects.count() == 0


def test_bad_periods_are_not_found(clock: Clock, as_user: AsUser, worked: Worked) -> None:
    member = as_user(worked("100", "4").user)
    for bad in ("99999", str(2**63), "-3"):
        response = member.get(f"{URL}?period={bad}")
        assert response.status_code == 404, bad
        assert response.json()["error"] == "not_found"
    assert member.get(f"{URL}?period=abc").status_code == 422


def test_my_self_report_is_put_read_and_deleted(
    clock: Clock, as_user: AsUser, worked: Worked
) -> None:
    me = as_user(worked("100", "4").user)
    assert me.get(ME).json() == {"gender": None, "age_band": None, "area": None}
    given = put(me, '{"gender": "other", "age_band": "under_25", "consent": true}')
    assert given.status_code == 200
    assert given.json() == {"gender": "other", "age_band": "under_25", "area": None}
    assert me.get(ME).json() == {"gender": "other", "age_band": "under_25", "area": None}
    deleted = me.delete(ME)
    assert deleted.status_code == 200
    assert deleted.json() == {"gender": None, "age_band": None, "area": None}
    assert SelfReport.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ('{"gender": "woman"}', 400, "consent_needed"),
        ('{"gender": "woman", "consent": false}', 400, "consent_needed"),
        ('{"gender": "centre", "consent": true}', 400, "unknown_group"),
        ('{"religion": "x", "consent": true}', 422, None),
        ('{"gender": "woman", "consent": "yes"}', 422, None),
        ('{"gender": 7, "consent": true}', 422, None),
        ('{"gender": "' + "w" * 100 + '", "consent": true}', 422, None),
        ('{"gender": "wo\\u0000man", "consent": true}', 422, None),
        ("not json", 400, None),
    ],
)
def test_a_bad_self_report_is_refused_and_nothing_changes(
    clock: Clock, as_user: AsUser, worked: Worked, body: str, status: int, code: str | None
) -> None:
    me = as_user(worked("100", "4").user)
    put(me, {"area": "centre", "consent": True})
    before = list(SelfReport.objects.values_list())
    response = put(me, body)
    assert response.status_code == status
    if code:
        assert response.json()["error"] == code
    assert set(response.json()) == {"error", "message"}
    assert list(SelfReport.objects.values_list()) == before
