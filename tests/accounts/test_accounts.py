"""Accounts through allauth: verified email, argon2, rate-limited login, TOTP, password reset."""

from __future__ import annotations

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail

from taawun.accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_up(client, email: str = "nadia@example.org"):  # type: ignore[no-untyped-def]
    return client.post(
        "/accounts/signup/",
        {"full_name": "نادية سمارة", "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def test_sign_up_needs_the_email_confirmed_before_use(client, coop) -> None:
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="nadia@example.org")
    assert user.full_name == "نادية سمارة"
    assert user.password.startswith("argon2$")
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(
        1
    )

    client.logout()
    refused = client.post("/accounts/login/", {"login": "nadia@example.org", "password": PASSWORD})
    assert refused.status_code == 302 and refused["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(user=user).verified is True


def test_email_address_is_unique_whatever_its_case(client, coop) -> None:
    sign_up(client, "Nadia@Example.org")
    client.logout()
    sign_up(client, "nadia@example.ORG")
    assert User.objects.filter(email__iexact="nadia@example.org").count() == 1


def test_login_is_rate_limited_after_repeated_failures(client, founder) -> None:
    """Five failures for one address lock it for five minutes, even with the right password."""
    for _ in range(5):
        failed = client.post(
            "/accounts/login/", {"login": founder.email, "password": "wrong password"}
        )
        assert failed.status_code == 200
    blocked = client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    assert blocked.status_code == 200
    assert blocked.context["form"].errors["__all__"] == [
        "تجاوزت الحد المسموح لمحاولة تسجيل الدخول. حاول في وقت لاحق."
    ]
    assert "_auth_user_id" not in client.session


def test_totp_two_factor_is_asked_for_at_login_once_enabled(client, founder) -> None:
    client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    activated = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=founder, type=Authenticator.Type.TOTP).count() == 1

    client.post("/accounts/logout/")
    step = client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    assert step.status_code == 302 and step["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    next_code = format_hotp_value(hotp_value(secret, int(time.time()) // 30 + 1))
    done = client.post("/accounts/2fa/authenticate/", {"code": next_code})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(founder.pk)


def test_password_reset_mails_a_one_time_link(client, founder) -> None:
    response = client.post("/accounts/password/reset/", {"email": founder.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [founder.email]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_an_email_change_is_recorded_and_the_directory_shows_the_new_address(
    client, make_member
) -> None:
    from taawun.members import actions as members
    from taawun.transparency.models import AuditEntry

    member = make_member(email="old@example.org")
    members.update_profile(actor=member.user, email_visibility="members")
    viewer = make_member()
    client.force_login(viewer.user)
    assert "old@example.org" in client.get("/members/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    owner = client.__class__()
    owner.post("/accounts/login/", {"login": "old@example.org", "password": PASSWORD})
    owner.post("/accounts/email/", {"email": "new@example.org", "action_add": ""})
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    owner.post(link.group(1))
    changed = owner.post("/accounts/email/", {"email": "new@example.org", "action_primary": ""})
    assert changed.status_code == 302

    page = client.get("/members/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "new@example.org" in page and "old@example.org" not in page
    last = AuditEntry.objects.order_by("-seq").first()
    assert (last.action, last.subject_id) == ("account.email_changed", str(member.user.pk))
    assert "example.org" not in last.canonical


def test_an_operators_edit_in_the_admin_is_recorded(client, founder, make_member) -> None:
    from taawun.transparency.models import AuditEntry

    member = make_member(name="Old Name")
    operator = User.objects.create_superuser(email="operator@example.org", password=PASSWORD)
    client.force_login(operator)
    form = client.get(f"/admin/accounts/user/{member.user.pk}/change/").context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in ("email", "full_name")}
    data.update(
        full_name="New Name",
        is_active="on",
        date_joined_0="2026-01-01",
        date_joined_1="10:00:00",
        last_login_0="",
        last_login_1="",
    )
    response = client.post(f"/admin/accounts/user/{member.user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.user.refresh_from_db()
    assert member.user.full_name == "New Name"
    last = AuditEntry.objects.order_by("-seq").first()
    assert (last.action, last.actor_id, last.subject_id) == (
        "account.changed_by_operator",
        operator.pk,
        str(member.user.pk),
    )


NEW_PASSWORD = "a different long passphrase 7"


def test_a_password_change_is_recorded_and_ends_the_other_sessions(client, founder) -> None:
    """Accounts are cached under the data version; a recorded change moves it, so a browser
    still signed in with the old password is signed out at its next request."""
    from django.test import Client

    from taawun.transparency.models import AuditEntry

    elsewhere = Client()
    elsewhere.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    assert elsewhere.get("/members/me/").status_code == 200
    client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    before = AuditEntry.objects.count()

    changed = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert changed.status_code == 302
    last = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert (last.action, last.actor_id, last.subject_id) == (
        "account.password_changed",
        founder.pk,
        str(founder.pk),
    )
    assert client.get("/members/me/").status_code == 200  # this browser stays signed in
    signed_out = elsewhere.get("/members/me/")
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/accounts/login/")


def test_a_refused_password_change_records_nothing(client, founder) -> None:
    from taawun.transparency.models import AuditEntry

    client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    before = (AuditEntry.objects.count(), User.objects.get(pk=founder.pk).password)
    refused = client.post(
        "/accounts/password/change/",
        {"oldpassword": "not the password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert refused.status_code == 200
    assert (AuditEntry.objects.count(), User.objects.get(pk=founder.pk).password) == before


def test_an_operator_setting_a_password_in_the_admin_is_recorded(client, make_member) -> None:
    from taawun.transparency.models import AuditEntry

    member = make_member()
    operator = User.objects.create_superuser(email="operator@example.org", password=PASSWORD)
    client.force_login(operator)
    response = client.post(
        f"/admin/accounts/user/{member.user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"},
    )
    assert response.status_code == 302
    member.user.refresh_from_db()
    assert member.user.check_password(NEW_PASSWORD)
    last = AuditEntry.objects.order_by("-seq").first()
    assert (last.action, last.actor_id, last.subject_id) == (
        "account.changed_by_operator",
        operator.pk,
        str(member.user.pk),
    )
