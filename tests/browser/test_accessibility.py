"""axe-core checks the pages people use most, in Arabic and English, as visitor, applicant,
member and board member: no accessibility violation of any impact is allowed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from taawun.domain.money import Money
from taawun.ledger.actions import record_sale

from ..conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "visitor": [
        "/",
        "/members/",
        "/rules/",
        "/accounts/login/",
        "/accounts/signup/",
        "/log/",
        "/open-data/",
    ],
    "applicant": ["/members/apply/", "/members/me/", "/accounts/2fa/"],
    "member": [
        "/members/me/",
        "/members/me/profile/",
        "/members/registers/shares/",
        "/audit/",
        "/books/",
        "/books/me/",
        "/books/journal/",
        "/books/solidarity/",
        "/operations/",
        "/federation/",
        "/federation/offers/",
        "/federation/referrals/",
        "/federation/credit/",
    ],
    "board": [
        "/members/board/",
        "/members/board/members/1/",
        "/members/registers/members/",
        "/roles/",
        "/books/desk/",
    ],
}


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_pages_have_no_accessibility_violations(
    browser, live_server, founder, make_member, make_account, language
) -> None:
    member = make_member(paid=1, email="member@example.org")
    make_account(email="applicant@example.org")
    record_sale(  # so the books have figures, a chart and someone owed money on the desk
        actor=founder,
        worker_number=member.number,
        price=Money.of("120.00", "ILS"),
        tip=Money.of("10.00", "ILS"),
        method="cash",
        hours=Decimal(3),
    )
    accounts = {
        "visitor": None,
        "applicant": "applicant@example.org",
        "member": "member@example.org",
        "board": founder.email,
    }
    axe = Axe()
    problems: list[str] = []
    for who, paths in PAGES.items():
        context = browser.new_context(locale=language)
        page = context.new_page()
        if accounts[who]:
            sign_in(page, live_server.url, accounts[who])
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            assert page.url.endswith(path), f"{who} was sent from {path} to {page.url}"
            for violation in axe.run(page).response["violations"]:
                targets = [node["target"] for node in violation["nodes"]][:3]
                problems.append(f"{who} {path}: {violation['impact']} {violation['id']} {targets}")
        context.close()
    assert problems == []
