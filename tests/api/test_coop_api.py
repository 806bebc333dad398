"""Public reads: the co-op's profile with its member classes, and its policy versions."""

from __future__ import annotations

from typing import Any

from django.test import Client

from taawun.coop.models import Coop, PolicyVersion
from taawun.transparency import signing

from .conftest import Api, iso


def test_the_public_profile_lists_member_classes_with_share_terms(
    anonymous: Api, coop: Coop
) -> None:
    response = anonymous.get("/api/coop")

    assert response.status_code == 200
    assert response.json() == {
        "name": "Test Co-op",
        "name_ar": "تعاونية الاختبار",
        "name_en": "Test Co-op",
        "handle": "test-coop",
        "city": "",
        "about": "",
        "founded_at": iso(coop.founded_at),
        "currency": "ILS",
        "languages": ["ar", "en"],
        "policy_version": 1,
        "membership": {
            "admission_by": "board",
            "voting_rights": "on_admission",
            "exit_notice_days": 30,
            "repayment_days": 90,
            "transfers_allowed": True,
        },
        "member_classes": [
            {
                "key": "worker",
                "name": "Worker member",
                "name_ar": "عضو عامل",
                "name_en": "Worker member",
                "share_price": "100.00",
                "shares_required": 2,
                "share_total": "200.00",
                "currency": "ILS",
                "instalments": 4,
                "instalment_interval_days": 30,
                "votes": True,
                "works": True,
            },
            {
                "key": "user",
                "name": "User member",
                "name_ar": "عضو مستخدم",
                "name_en": "User member",
                "share_price": "25.00",
                "shares_required": 1,
                "share_total": "25.00",
                "currency": "ILS",
                "instalments": 1,
                "instalment_interval_days": 30,
                "votes": True,
                "works": False,
            },
            {
                "key": "supporter",
                "name": "Supporter member",
                "name_ar": "عضو داعم",
                "name_en": "Supporter member",
                "share_price": "100.00",
                "shares_required": 1,
                "share_total": "100.00",
                "currency": "ILS",
                "instalments": 3,
                "instalment_interval_days": 30,
                "votes": False,
                "works": False,
            },
        ],
        "log_key": str(signing.public_key()),
    }


def test_names_follow_the_request_language(coop: Coop) -> None:
    body = Client(HTTP_ACCEPT_LANGUAGE="ar").get("/api/coop").json()
    assert body["name"] == "تعاونية الاختبار"
    assert body["member_classes"][0]["name"] == "عضو عامل"


def test_the_current_policy_with_a_digest_anyone_can_check(anonymous: Api, coop: Coop) -> None:
    response = anonymous.get("/api/policy")

    assert response.status_code == 200
    body = response.json()
    stored = PolicyVersion.objects.get(number=1)
    assert body["version"] == 1
    assert body["digest"] == stored.digest
    assert body["document"] == stored.document
    assert body["document"]["membership"]["classes"][0]["share_price"] == "100.00"


def test_policy_versions_newest_first(anonymous: Api, coop: Coop) -> None:
    response = anonymous.get("/api/policy/versions")

    stored = PolicyVersion.objects.get(number=1)
    assert response.status_code == 200
    assert response.json() == [
        {
            "version": 1,
            "digest": stored.digest,
            "reason": "founding assembly",
            "created_at": iso(stored.created_at),
            "effective_from": iso(stored.effective_from),
        }
    ]


def test_before_founding_there_is_nothing_to_show(db: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for path in ("/api/coop", "/api/policy"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {
            "error": "not_found",
            "message": "Nothing was found at this address.",
        }
    assert client.get("/api/policy/versions").json() == []
    assert client.get("/api/members").json()["results"] == []
