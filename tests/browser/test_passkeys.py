"""Passkeys end to end: a member adds one and signs in with it, in chromium with a virtual
authenticator (the Chrome DevTools WebAuthn domain stands in for the phone or security key)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator

from ..conftest import PASSWORD
from .conftest import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def with_authenticator(context: Any, page: Any) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_add_a_passkey_then_sign_in_with_it_alone(
    browser, live_server, founder, csp_violations
) -> None:
    context = browser.new_context(locale="en")
    page = context.new_page()
    watch(page, csp_violations)
    with_authenticator(context, page)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", founder.email)
    page.fill("input[name=password]", PASSWORD)
    page.click(
        "form#login_form button[type=submit], form[action$='/accounts/login/'] button[type=submit]"
    )
    page.wait_for_url(f"{live_server.url}/members/me/")

    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/webauthn/add/**")
    page.fill("input[name=name]", "my phone")
    page.check("input[name=passwordless]")
    with page.expect_navigation():
        page.click("#mfa_webauthn_add")
    keys = Authenticator.objects.filter(user=founder, type=Authenticator.Type.WEBAUTHN)
    assert keys.count() == 1
    assert keys.get().wrap().name == "my phone"  # type: ignore[attr-defined]

    page.click("header form[action$='/accounts/logout/'] button")
    page.wait_for_load_state()
    context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_navigation(url=f"{live_server.url}/members/me/"):
        page.click("#passkey_login")
    assert page.locator("header form[action$='/accounts/logout/']").count() == 1
    assert csp_violations == []
    context.close()
