"""In Arabic, a person signs up, confirms their email and applies to join, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from taawun.accounts.models import User
from taawun.coop.actions import found_coop
from taawun.domain.policy import founding_policy
from taawun.members.models import Application

from ..conftest import PASSWORD, TEST_CLASSES
from .conftest import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def found() -> None:
    found_coop(
        name_ar="تعاونية الاختبار",
        name_en="Test Co-op",
        handle="test-coop",
        city="رام الله",
        about_ar="تعاونية يملكها العاملون فيها ويديرونها معاً.",
        about_en="A co-op its workers own and run together.",
        policy=founding_policy(currency="ILS", classes=TEST_CLASSES),
        founder_email="founder@example.org",
        founder_name="سعاد الفلاحي",
        founder_password=PASSWORD,
        founder_class="worker",
    )


def html_attrs(page: Any) -> tuple[str, str]:
    return (
        page.eval_on_selector("html", "e => e.getAttribute('lang')"),
        page.eval_on_selector("html", "e => e.getAttribute('dir')"),
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_sign_up_confirm_and_apply_in_arabic(browser, live_server, csp_violations, javascript):
    """The whole way in works in Arabic, right to left, with JavaScript on or off."""
    found()
    context = browser.new_context(
        locale="ar", viewport={"width": 390, "height": 844}, java_script_enabled=javascript
    )
    page = context.new_page()
    watch(page, csp_violations)

    page.goto(f"{live_server.url}/accounts/signup/")
    assert html_attrs(page) == ("ar", "rtl")
    page.fill("input[name=full_name]", "ليلى حداد")
    page.fill("input[name=email]", "layla@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("form[action='/accounts/signup/'] button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/confirm-email/" in page.url

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["layla@example.org"]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page.goto(link.group(0))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert User.objects.get(email="layla@example.org").emailaddress_set.get().verified

    page.goto(f"{live_server.url}/members/apply/")
    assert html_attrs(page) == ("ar", "rtl")
    page.screenshot(path="/tmp/shots/apply-phone.png", full_page=True)
    page.check("input[name=member_class][value=user]")
    page.fill("textarea[name=motivation]", "أريد أن أشارك في بناء التعاونية.")
    page.click("form[action='/members/apply/'] button[type=submit]")
    page.wait_for_load_state()

    assert page.url.endswith("/members/me/")
    assert html_attrs(page) == ("ar", "rtl")
    application = Application.objects.get(user__email="layla@example.org")
    assert (application.status, application.member_class) == (Application.Status.PENDING, "user")
    assert application.motivation == "أريد أن أشارك في بناء التعاونية."
    assert csp_violations == []
    context.close()


@pytest.mark.parametrize(("name", "width"), [("desktop", 1280), ("phone", 360)])
def test_screenshots_of_arabic_pages(
    browser, live_server, shots: Path, csp_violations, name, width
):
    """Pictures for a person to look at; also checks nothing overflows a phone's width."""
    context = browser.new_context(locale="ar", viewport={"width": width, "height": 800})
    page = context.new_page()
    watch(page, csp_violations)

    def shoot(path: str, label: str) -> None:
        page.goto(f"{live_server.url}{path}")
        assert html_attrs(page) == ("ar", "rtl")
        page.screenshot(path=str(shots / f"{label}-{name}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is wider than the {width}px screen by {overflow}px"

    shoot("/found/", "found")
    page.fill("input[name=name_ar]", "تعاونية")
    page.fill("input[name=name_en]", "Co-op")
    page.fill("input[name=handle]", "coop")
    page.fill("input[name=founder_name]", "هدى")
    page.fill("input[name=founder_email]", "huda@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD + "!")
    page.fill("input[name=handle]", "not a slug")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("ul.errorlist").count() == 2
    page.screenshot(path=str(shots / f"found-errors-{name}.png"), full_page=True)
    found()
    shoot("/", "home")
    page.keyboard.press("Tab")  # the first stop is the skip link, shown when focused
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator(".skip").bounding_box()["y"] >= 0
    shoot("/rules/", "rules")
    shoot("/accounts/login/", "login")
    shoot("/accounts/signup/", "signup")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "founder@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()
    shoot("/audit/", "audit")
    page.click("main details summary")
    page.screenshot(path=str(shots / f"audit-open-{name}.png"), full_page=True)
    shoot("/accounts/2fa/", "mfa")
    shoot("/accounts/email/", "email")
    shoot("/accounts/password/change/", "password")
    # changing two-factor settings asks for the password again first
    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    assert "/accounts/reauthenticate/" in page.url
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/accounts/2fa/totp/activate/")
    shoot("/accounts/2fa/totp/activate/", "totp")
    shoot("/accounts/2fa/webauthn/add/", "passkey")
    shoot("/no-such-page/", "404")
    # the language switch in the header: English pages read left to right with the same CSS
    page.goto(f"{live_server.url}/rules/")
    page.click("form.language button[value=en]")
    page.wait_for_load_state()
    assert page.url.endswith("/rules/")
    assert html_attrs(page) == ("en", "ltr")
    page.screenshot(path=str(shots / f"rules-en-{name}.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / f"rules-print-{name}.png"), full_page=True)
    assert csp_violations == []
    context.close()
