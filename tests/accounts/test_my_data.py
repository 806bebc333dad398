"""A person's own data: the export covers every relation to them, holds exactly what is known,
is theirs alone; they correct their account and answer the optional sharings."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from taawun.accounts import actions, mydata, selectors
from taawun.accounts.models import Consent, User
from taawun.apikeys.actions import create_token
from taawun.coop.selectors import current_policy
from taawun.domain.errors import InvalidInput, NotAllowed
from taawun.domain.pricing import quote_service
from taawun.market import actions as market
from taawun.market.models import Sector
from taawun.market.services.actions import add_window
from taawun.members import actions as members
from taawun.members.models import Membership, Profile
from taawun.transparency.models import AuditEntry

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def person_relations() -> set[str]:
    """Every relation from any model to an account or a membership."""
    found = set()
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model in (User, Membership):
                found.add(f"{model._meta.label}.{field.name}")
    return found


def test_every_relation_to_a_person_is_exported_or_excluded_with_a_reason() -> None:
    relations = person_relations()
    assert not set(mydata.EXPORTED) & set(mydata.EXCLUDED)
    missing = relations - set(mydata.EXPORTED) - set(mydata.EXCLUDED)
    assert not missing, f"add to mydata.EXPORTED or mydata.EXCLUDED: {sorted(missing)}"
    assert not (set(mydata.EXPORTED) | set(mydata.EXCLUDED)) - relations  # nothing stale
    assert all(reason.strip() for reason in mydata.EXCLUDED.values())


def test_every_exported_place_is_in_the_document(make_member) -> None:
    document = selectors.my_data(make_member().user)
    for place in set(mydata.EXPORTED.values()):
        node: Any = document
        for part in place.split("."):
            if part.endswith("[]"):
                node = node[part[:-2]][0]
            else:
                assert part in node, place
                node = node[part]


@pytest.fixture
def layla(make_member: Callable[..., Membership]) -> Membership:
    """A worker member with one instalment paid, a profile, a consent withdrawn, a token and an
    order for a service."""
    member = make_member(paid=1, name="Layla Haddad", email="layla@example.org")
    user = member.user
    members.update_profile(actor=user, city="Nablus", city_visibility="public")
    actions.set_consent(actor=user, topic=Consent.Topic.VOTE_REMINDERS, given=False)
    create_token(actor=user, name="phone")
    current = current_policy()
    market.place(
        customer=user,
        sector=Sector.SERVICE,
        title="Deep clean, 2 rooms",
        quote=quote_service(policy=current.policy, policy_version=current.number, hours=Decimal(2)),
        hours=Decimal(2),
    )
    return member


def test_the_download_holds_exactly_what_is_known(client: Client, layla: Membership) -> None:
    user = User.objects.get(pk=layla.user_id)
    client.force_login(user)
    response = client.get("/my-data/download/", **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    document = json.loads(response.content)
    assert (document["format"], document["format_version"]) == ("taawun-my-data", 1)
    assert document["account"] == {
        "id": user.pk,
        "email": "layla@example.org",
        "emails": [{"email": "layla@example.org", "verified": True, "primary": True}],
        "full_name": "Layla Haddad",
        "language": "",
        "date_joined": mydata.plain(user.date_joined),
        "last_login": mydata.plain(user.last_login),
        "two_factor": {"totp": False, "recovery_codes": False, "passkeys": []},
    }
    assert document["profile"] == {
        "display_name": "Layla Haddad",
        "phone": "",
        "city": "Nablus",
        "skills": "",
        "bio": "",
        "show_in_directory": True,
        "name_visibility": "members",
        "email_visibility": "private",
        "phone_visibility": "private",
        "city_visibility": "public",
        "skills_visibility": "members",
        "bio_visibility": "members",
    }
    consent = Consent.objects.get(user=user)
    assert document["consents"] == [
        {
            "topic": "vote_reminders",
            "given": False,
            "text_version": 1,
            "at": mydata.plain(consent.at),
        }
    ]
    assert document["roles"] == []
    [application] = document["applications"]
    assert (application["member_class"], application["status"], application["motivation"]) == (
        "worker",
        "approved",
        "",
    )
    [membership] = document["memberships"]
    assert (membership["number"], membership["member_class"], membership["status"]) == (
        layla.number,
        "worker",
        "active",
    )
    assert [
        (op["kind"], op["shares"], op["nominal"], op["member"])
        for op in membership["share_operations"]
    ] == [("subscribe", 2, "200.000", layla.number)]
    assert [(i["number"], i["amount"], i["method"]) for i in membership["instalments"]] == [
        (1, "50.000", "cash"),
        (2, "50.000", ""),
        (3, "50.000", ""),
        (4, "50.000", ""),
    ]
    assert membership["capital_account"]["balance"] == "50.000"
    assert [(e["kind"], e["amount"]) for e in membership["capital_account"]["entries"]] == [
        ("share_payment", "50.000")
    ]
    assert membership["repayment"] is None
    assert membership["votes"] == [] and membership["orders_as_worker"] == []
    [order] = document["orders_as_customer"]
    assert {k: order[k] for k in ("sector", "status", "title", "price", "worker_number")} == {
        "sector": "service",
        "status": "requested",
        "title": "Deep clean, 2 rooms",
        "price": "90.000",
        "worker_number": None,
    }
    assert [(e["kind"], e["by_me"]) for e in order["events"]] == [("placed", True)]
    assert order["rating"] is None and order["details"] == {}
    [token] = document["api_tokens"]
    assert (token["name"], token["revoked_at"]) == ("phone", None)
    assert [e["action"] for e in document["audit_trail"]] == list(
        AuditEntry.objects.filter(actor_id=user.pk).order_by("seq").values_list("action", flat=True)
    )
    assert [e["action"] for e in document["audit_trail"]][-4:] == [
        "profile.updated",
        "consent.withdrawn",
        "api_token.created",
        "order.placed",
    ]
    assert "digest" not in response.content.decode()  # no token secret, no hash of one


def test_the_api_gives_the_same_document(client: Client, layla: Membership) -> None:
    client.force_login(layla.user)
    response = client.get("/api/me/data")
    assert response.status_code == 200
    body = response.json()
    expected = selectors.my_data(layla.user)
    body.pop("generated_at"), expected.pop("generated_at")
    assert body == expected


def test_the_readable_page_shows_the_data(client: Client, layla: Membership) -> None:
    client.force_login(layla.user)
    page = client.get("/my-data/print/", **EN)
    assert page.status_code == 200
    text = page.content.decode()
    assert "layla@example.org" in text and "Nablus" in text and "Deep clean, 2 rooms" in text
    assert "<h2>Memberships</h2>" in text and "<h2>Orders as a customer</h2>" in text


def test_a_long_trail_is_cut_to_the_latest_acts_on_paper(client: Client, layla: Membership) -> None:
    """The page and the PDF list the latest 100 of a person's acts; the JSON lists all."""
    for n in range(101):
        actions.update_account(actor=layla.user, full_name=f"Layla {n}", language="en")
    acts = AuditEntry.objects.filter(actor_id=layla.user.pk).count()
    assert acts > 101
    client.force_login(layla.user)
    page = client.get("/my-data/print/", **EN).content.decode()
    assert f"Audit trail entries you made: the latest 100 of {acts} (all in the JSON)" in page
    assert page.count("account.updated") == 100
    download = json.loads(client.get("/my-data/download/").content)
    assert len(download["audit_trail"]) == acts


def test_nobody_reads_another_persons_data(client: Client, founder, layla: Membership) -> None:
    with pytest.raises(NotAllowed):
        selectors.my_data(founder, layla.user)  # not even the board
    client.force_login(founder)
    document = client.get("/api/me/data").json()
    assert document["account"]["email"] == "founder@example.org"
    assert "layla@example.org" not in json.dumps(document)


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, coop) -> None:
    for path in ("/my-data/", "/my-data/download/", "/my-data/print/", "/my-data/close/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    response = client.get("/api/me/data")
    assert response.status_code == 401 and response.json()["error"] == "unauthenticated"


def test_the_page_lists_consents_and_says_data_is_never_sold(
    client: Client, layla: Membership
) -> None:
    client.force_login(layla.user)
    text = client.get("/my-data/", **EN).content.decode()
    assert "never sells your personal data" in text
    assert "Show my profile in the member directory" in text
    assert "Email me a reminder before a vote closes" in text
    assert text.count('name="given" value="0"') == 1  # directory: agreed, may withdraw
    assert text.count('name="given" value="1"') == 1  # reminders: withdrawn, may agree again


def test_withdrawing_the_directory_consent_hides_the_profile(
    client: Client, layla: Membership
) -> None:
    client.force_login(layla.user)
    response = client.post("/my-data/consents/", {"topic": "directory", "given": "0"}, **EN)
    assert response.status_code == 302
    assert Profile.objects.get(user=layla.user).show_in_directory is False
    record = Consent.objects.filter(user=layla.user, topic="directory").get()
    assert (record.given, record.text_version) == (False, 1)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_id, entry.after) == (
        "consent.withdrawn",
        layla.user_id,
        {"topic": "directory", "text_version": 1},
    )
    # The profile page's own switch keeps the record too.
    members.update_profile(actor=layla.user, show_in_directory=True)
    assert list(
        Consent.objects.filter(user=layla.user, topic="directory")
        .order_by("id")
        .values_list("given", flat=True)
    ) == [False, True]


def test_a_bad_consent_changes_nothing(client: Client, make_account) -> None:
    customer = make_account()
    client.force_login(customer)
    audits = AuditEntry.objects.count()
    response = client.post("/my-data/consents/", {"topic": "selling", "given": "1"}, **EN)
    assert response.status_code == 400
    with pytest.raises(InvalidInput):
        actions.set_consent(actor=customer, topic=Consent.Topic.DIRECTORY, given=True)
    assert Consent.objects.count() == 0 and AuditEntry.objects.count() == audits


def test_a_withdrawn_reminder_consent_is_respected(layla: Membership) -> None:
    assert selectors.declined(Consent.Topic.VOTE_REMINDERS, [layla.user_id, 999]) == {layla.user_id}


def test_correcting_the_account_records_fields_not_values(
    client: Client, layla: Membership
) -> None:
    client.force_login(layla.user)
    response = client.post(
        "/my-data/correct/", {"full_name": "  Layla Haddad-Nasser ", "language": "ar"}, **EN
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "ar"
    user = User.objects.get(pk=layla.user_id)
    assert (user.full_name, user.language) == ("Layla Haddad-Nasser", "ar")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.after) == ("account.updated", {"fields": ["full_name", "language"]})
    assert "Haddad" not in entry.canonical


def test_a_bad_correction_changes_nothing(client: Client, layla: Membership) -> None:
    client.force_login(layla.user)
    audits = AuditEntry.objects.count()
    response = client.post("/my-data/correct/", {"full_name": "   ", "language": "fr"}, **EN)
    assert response.status_code == 400
    with pytest.raises(InvalidInput):
        actions.update_account(actor=layla.user, full_name="X", language="fr")
    user = User.objects.get(pk=layla.user_id)
    assert (user.full_name, user.language) == ("Layla Haddad", "")
    assert AuditEntry.objects.count() == audits


def test_posts_need_the_csrf_token(layla: Membership) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(layla.user)
    for path, data in (
        ("/my-data/consents/", {"topic": "directory", "given": "0"}),
        ("/my-data/correct/", {"full_name": "Someone Else", "language": ""}),
        ("/my-data/close/", {"confirm": "x"}),
    ):
        assert client.post(path, data).status_code == 403
    response = client.post("/api/me/close", {"confirm": "x"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"
    user = User.objects.get(pk=layla.user_id)
    assert (user.full_name, user.is_active) == ("Layla Haddad", True)
    assert Profile.objects.get(user=user).show_in_directory is True


def test_the_pdf_is_a_download_in_the_readers_language(client: Client, layla: Membership) -> None:
    client.force_login(layla.user)
    for language in ("ar", "en"):
        response = client.get("/my-data/pdf/", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
        assert response.content.startswith(b"%PDF-")


def test_a_workers_weekly_hours_are_exported_as_times(client: Client, layla: Membership) -> None:
    """Opening hours are times of day: the download writes them as ISO text."""
    add_window(actor=layla.user, weekday=0, starts=dt.time(8, 30), ends=dt.time(12, 0))
    client.force_login(layla.user)
    response = client.get("/my-data/download/")
    assert response.status_code == 200
    assert '"08:30:00"' in response.content.decode()
    assert '"12:00:00"' in response.content.decode()
