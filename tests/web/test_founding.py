"""The founding page: open only while there is no co-op; all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import roles_of
from taawun.coop.models import Coop, PolicyVersion
from taawun.coop.selectors import current_policy
from taawun.members.models import Instalment, Membership
from taawun.transparency.models import AuditEntry

from .helpers import text

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PASSWORD = "olive press cooperative 1987"


def founding_data(**changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "name_ar": "تعاونية الزيتون",
        "name_en": "Olive Co-op",
        "handle": "olive",
        "city": "Nablus",
        "about_ar": "نعصر الزيتون معاً.",
        "about_en": "We press olives together.",
        "currency": "JOD",
        "languages": ["ar", "en"],
        "admission_by": "vote",
        "worker_include": "on",
        "worker_share_price": "50.000",
        "worker_shares_required": "2",
        "worker_instalments": "5",
        "worker_interval_days": "14",
        "worker_votes": "on",
        "supporter_include": "on",
        "supporter_share_price": "10.500",
        "supporter_shares_required": "1",
        "supporter_instalments": "1",
        "supporter_interval_days": "30",
        # the user class is left out: its fields are ignored even when invalid
        "user_share_price": "not a number",
        "founder_name": "Huda Saleh",
        "founder_email": "Huda@Example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "founder_class": "worker",
    }
    data.update(changes)
    return data


def nothing_written() -> None:
    assert Coop.objects.count() == 0
    assert User.objects.count() == 0
    assert PolicyVersion.objects.count() == 0
    assert Membership.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_home_sends_a_fresh_installation_to_the_founding_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/found/"


def test_founding_page_shows_the_form(client, db):
    response = client.get("/found/", **EN)
    assert response.status_code == 200
    content = response.content.decode()
    for name in (
        "name_ar",
        "name_en",
        "handle",
        "currency",
        "admission_by",
        "worker_share_price",
        "user_include",
        "supporter_votes",
        "founder_email",
        "password1",
        "password2",
    ):
        assert f'name="{name}"' in content
    assert '<option value="JOD">JOD</option>' in content
    assert "Found the co-op" in text(response)


def test_founding_creates_coop_policy_and_founder(client, db):
    response = client.post("/found/", founding_data(), **EN)

    assert response.status_code == 302
    assert response["Location"] == "/"
    coop = Coop.objects.get()
    assert (coop.name_ar, coop.name_en, coop.handle, coop.city) == (
        "تعاونية الزيتون",
        "Olive Co-op",
        "olive",
        "Nablus",
    )
    version = PolicyVersion.objects.get()
    assert version.number == 1
    assert version.reason == "founding assembly"
    policy = current_policy().policy
    assert policy.currency == "JOD"
    assert policy.membership.admission_by == "vote"
    assert [c.key for c in policy.membership.classes] == ["worker", "supporter"]
    worker, supporter = policy.membership.classes
    assert (worker.share_price, worker.shares_required, worker.instalments) == (
        Decimal("50.000"),
        2,
        5,
    )
    assert (worker.instalment_interval_days, worker.votes, worker.works) == (14, True, True)
    assert (supporter.share_price, supporter.votes, supporter.works) == (
        Decimal("10.500"),
        False,
        False,
    )
    assert policy.share_total("worker").amount == Decimal("100.000")

    founder = User.objects.get()
    assert founder.email == "huda@example.org"
    assert founder.full_name == "Huda Saleh"
    assert founder.check_password(PASSWORD)
    membership = Membership.objects.get()
    assert (membership.user, membership.number, membership.member_class) == (founder, 1, "worker")
    assert [i.amount for i in Instalment.objects.order_by("number")] == [Decimal("20.000")] * 5
    assert {Role.MEMBER, Role.WORKER, Role.BOARD, Role.ADMIN} <= roles_of(founder)
    assert int(client.session["_auth_user_id"]) == founder.pk

    home = client.get("/", **EN)
    assert "The co-op is founded. You are member number 1." in text(home)
    assert "Olive Co-op" in text(home)


BAD_INPUT = [
    (
        {"currency": "XXX"},
        "currency",
        "Select a valid choice. XXX is not one of the available choices.",
    ),
    ({"password2": "something else entirely"}, "password2", "The two passwords differ."),
    (
        {"worker_instalments": "0"},
        "worker_instalments",
        "Ensure this value is greater than or equal to 1.",
    ),
    ({"worker_share_price": ""}, "worker_share_price", "This field is required."),
    (
        {"password1": "password", "password2": "password"},
        "password1",
        "This password is too common.",
    ),
    (
        {"password1": "olive1987", "password2": "olive1987"},
        "password1",
        "This password is too short. It must contain at least 10 characters.",
    ),
    ({"founder_class": "user"}, "founder_class", "Your class must be one of the co-op's classes."),
    ({"handle": "no spaces please"}, "handle", "Enter a valid “slug”"),
    ({"worker_votes": ""}, None, "At least one member class must have a vote."),
    (
        {"worker_share_price": "50.0001"},
        "worker_share_price",
        "Ensure that there are no more than 3 decimal places.",
    ),
    (
        {"currency": "ILS", "worker_share_price": "50.005"},
        None,
        "50.005 has more decimals than ILS allows.",
    ),
    ({"worker_include": "", "supporter_include": ""}, None, "Choose at least one member class."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUT)
def test_bad_founding_input_rerenders_with_errors_and_writes_nothing(
    client, db, changes, field, message
):
    data = founding_data(**changes)
    data = {k: v for k, v in data.items() if v != ""}
    response = client.post("/found/", data, **EN)

    assert response.status_code == 400
    form = response.context["form"]
    errors = form.errors.get(field or "__all__", [])
    assert any(message in error for error in errors), form.errors
    assert message.split("“")[0] in text(response)
    assert 'aria-invalid="true"' in response.content.decode() or field is None
    nothing_written()


def test_founding_refuses_a_taken_email_and_writes_nothing(client, db):
    User.objects.create_user(email="huda@example.org", password=PASSWORD)  # e.g. an operator
    response = client.post("/found/", founding_data(), **EN)

    assert response.status_code == 400
    assert "An account with this email already exists." in text(response)
    assert Coop.objects.count() == 0
    assert PolicyVersion.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert User.objects.count() == 1


def test_founding_page_is_closed_once_founded(client, coop):
    assert client.get("/found/").status_code == 302
    response = client.post("/found/", founding_data(handle="second"))
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert Coop.objects.get().handle == "test-coop"
    assert PolicyVersion.objects.count() == 1
    assert not User.objects.filter(email="huda@example.org").exists()


@pytest.mark.parametrize(
    ("token", "given", "status"), [("", "", 404), ("s3cret-founding", "wrong", 404)]
)
def test_production_founding_page_needs_the_operators_token(
    client, db, settings, token, given, status
):
    settings.PRODUCTION = True
    settings.FOUNDING_TOKEN = token
    assert client.get(f"/found/?token={given}", **EN).status_code == status
    assert client.post("/found/", founding_data(token=given), **EN).status_code == status
    nothing_written()


def test_production_founding_page_opens_with_the_operators_token(client, db, settings):
    settings.PRODUCTION = True
    settings.FOUNDING_TOKEN = "s3cret-founding"
    page = client.get("/found/?token=s3cret-founding", **EN)
    assert page.status_code == 200
    assert 'name="token" value="s3cret-founding"' in page.content.decode()
    response = client.post("/found/", founding_data(token="s3cret-founding"), **EN)
    assert response.status_code == 302
    assert Coop.objects.count() == 1
