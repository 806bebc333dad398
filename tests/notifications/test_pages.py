"""The pages and the JSON API: a person sees and marks only their own notifications, in their
language; choices are a table of kinds and channels; all of it works without JavaScript."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from taawun.accounts.models import User
from taawun.apikeys.actions import create_token
from taawun.notifications import actions
from taawun.notifications.models import Kind, Notification, Preference

pytestmark = pytest.mark.django_db


def browser(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def tell(user: User, run: int) -> Notification:
    actions.notify(
        recipient=user,
        kind=Kind.PAYOUT_PAID,
        payload={"run": run, "amount": "12.50", "currency": "ILS"},
        link="/books/me/",
    )
    return Notification.objects.latest("pk")


@pytest.fixture
def person(coop: object, make_account: Callable[..., User]) -> User:
    return make_account()


def test_the_list_shows_unread_first_and_the_count_in_the_menu(person: User) -> None:
    _first, _second, third = (tell(person, n) for n in (1, 2, 3))
    actions.mark_read(actor=person, notification_id=third.pk)
    page = browser(person).get(reverse("notifications:list")).content.decode()
    assert page.index("payout run #2") < page.index("payout run #1") < page.index("payout run #3")
    assert 'aria-label="Notifications, 2 unread"' in page
    assert '<span class="badge">2</span>' in page


def test_the_text_is_written_in_the_readers_language(person: User) -> None:
    payload = {"proposal": 3, "title": "Paint", "closes": "2030-03-04T10:00:00+00:00"}
    actions.notify(recipient=person, kind=Kind.VOTE_CLOSING, payload=payload, link="/governance/3/")
    with translation.override("ar"):
        subject = gettext("A vote closes soon: %(title)s") % {"title": "Paint"}
    assert subject != "A vote closes soon: Paint"
    arabic = browser(person, "ar").get(reverse("notifications:list")).content.decode()
    english = browser(person, "en").get(reverse("notifications:list")).content.decode()
    assert subject in arabic and "A vote closes soon: Paint" not in arabic
    assert (
        "A vote closes soon: Paint" in english and "Voting closes at 2030-03-04 12:00." in english
    )


def test_the_menu_count_costs_one_query_then_none_until_it_changes(
    person: User, django_assert_num_queries: Any
) -> None:
    from taawun.notifications.selectors import unread_count

    note = tell(person, 1)
    with django_assert_num_queries(1):
        assert unread_count(person) == 1
    with django_assert_num_queries(0):
        assert unread_count(person) == 1
    tell(person, 2)
    assert unread_count(person) == 2
    actions.mark_read(actor=person, notification_id=note.pk)
    assert unread_count(person) == 1
    actions.mark_all_read(actor=person)
    assert unread_count(person) == 0


def test_marking_read_with_a_form_and_opening_the_link(person: User) -> None:
    note, other = tell(person, 1), tell(person, 2)
    client = browser(person)
    response = client.post(reverse("notifications:read", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    response = client.post(reverse("notifications:read", args=[other.pk]), {"open": "1"})
    assert response["Location"] == "/books/me/"
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_mark_all_read(person: User, make_account: Callable[..., User]) -> None:
    someone = make_account()
    tell(person, 1), tell(person, 2), tell(someone, 3)
    browser(person).post(reverse("notifications:read_all"))
    unread = Notification.objects.filter(read_at__isnull=True)
    assert list(unread.values_list("recipient_id", flat=True)) == [someone.pk]


def test_someone_elses_notification_cannot_be_marked(
    person: User, make_account: Callable[..., User]
) -> None:
    theirs = tell(make_account(), 1)
    response = browser(person).post(reverse("notifications:read", args=[theirs.pk]))
    assert response.status_code == 404
    api = browser(person).post(f"/api/notifications/{theirs.pk}/read")
    assert api.status_code == 404 and api.json()["error"] == "not_found"
    assert Notification.objects.get().read_at is None


def test_pages_need_a_signed_in_person(coop: object) -> None:
    for name in ("notifications:list", "notifications:preferences"):
        assert browser(None).get(reverse(name)).status_code == 302
    assert browser(None).post(reverse("notifications:read_all")).status_code == 302
    assert browser(None).get("/api/notifications").status_code == 401


def test_the_preferences_form_sets_every_kind(person: User) -> None:
    page = browser(person).get(reverse("notifications:preferences")).content.decode()
    assert 'name="email:payout_paid" id="email-payout_paid" checked' in page
    assert 'name="email:trip_offered" id="email-trip_offered">' in page
    posted = {f"in_app:{kind}": "on" for kind in Kind.values} | {"email:vote_result": "on"}
    response = browser(person).post(reverse("notifications:preferences"), posted)
    assert response.status_code == 302
    stored = {k: (a, e) for k, a, e in Preference.objects.values_list("kind", "in_app", "email")}
    assert stored == {kind: (True, kind == Kind.VOTE_RESULT) for kind in Kind.values}


def test_the_api_lists_marks_and_sets_choices(person: User, clock: Any) -> None:
    note = tell(person, 4)
    _token, raw = create_token(actor=person, name="phone")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}
    client = Client()
    listed = client.get("/api/notifications", **auth).json()
    assert listed == {
        "unread": 1,
        "items": [
            {
                "id": note.pk,
                "kind": "payout_paid",
                "subject": "A payout of 12.50 ILS",
                "text": "The co-op paid you 12.50 ILS (payout run #4).",
                "link": "/books/me/",
                "payload": {"run": 4, "amount": "12.50", "currency": "ILS"},
                "created_at": note.created_at.isoformat().replace("+00:00", "Z"),
                "read_at": None,
            }
        ],
    }
    read = client.post(f"/api/notifications/{note.pk}/read", **auth).json()
    assert read["read_at"] == timezone.now().isoformat().replace("+00:00", "Z")
    assert client.post("/api/notifications/read-all", **auth).json() == {"marked": 0}
    body = {"choices": [{"kind": "vote_opened", "in_app": False, "email": False}]}
    saved = client.put(
        "/api/notifications/preferences", json.dumps(body), "application/json", **auth
    ).json()
    assert {c["kind"]: (c["in_app"], c["email"]) for c in saved}["vote_opened"] == (False, False)
    assert len(saved) == len(Kind.values)


def test_the_api_refuses_bad_choices_and_changes_nothing(person: User) -> None:
    _token, raw = create_token(actor=person, name="phone")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    for body, code in (
        ({"choices": [{"kind": "gossip", "in_app": True, "email": True}]}, "unknown_kind"),
        ({"choices": [{"kind": "vote_opened", "in_app": 1, "email": True}]}, None),
    ):
        response = Client().put(
            "/api/notifications/preferences", json.dumps(body), "application/json", **auth
        )
        assert 400 <= response.status_code < 500
        if code:
            assert response.json()["error"] == code
    assert not Preference.objects.exists()


def test_a_page_shared_by_many_people_shows_no_count(
    person: User, make_member: Callable[..., Any]
) -> None:
    member = make_member()
    tell(member.user, 1)
    page = browser(member.user).get(reverse("members:directory")).content.decode()
    assert "Notifications</a>" in page and 'class="badge">1<' not in page
    own = browser(member.user).get(reverse("notifications:list")).content.decode()
    assert '<span class="badge">1</span>' in own
