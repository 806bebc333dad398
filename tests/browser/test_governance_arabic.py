"""A decision in Arabic, in a real browser with JavaScript off: a member proposes a lower co-op
fee through the form, two members vote through theirs, the vote closes, and the proposal page
shows the result, in Arabic and right to left, on a phone-sized screen."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from taawun.coop.selectors import policy_number
from taawun.governance import actions
from taawun.governance.models import Ballot, Proposal
from tests.core.conftest import fast_password_hashing  # noqa: F401  (autouse: quick sign-ins)

from ..conftest import PASSWORD
from .conftest import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 780}


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


def html_attrs(page: Any) -> tuple[str, str]:
    return (
        page.eval_on_selector("html", "e => e.getAttribute('lang')"),
        page.eval_on_selector("html", "e => e.getAttribute('dir')"),
    )


def click(page: Any, locator: Any) -> None:
    """Press a button that submits a form and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()


def arabic(message: str, params: dict[str, Any] | None = None) -> str:
    """A message as the Arabic page writes it."""
    with translation.override("ar"):
        return gettext(message) % params if params else gettext(message)


def messages(page: Any) -> list[str]:
    return [m.strip() for m in page.locator("ul.messages li").all_inner_texts()]


def vote_yes(page: Any, base: str, number: int) -> str:
    """Vote yes on the proposal page; the receipt the page shows once."""
    page.goto(f"{base}/governance/{number}/")
    assert html_attrs(page) == ("ar", "rtl")
    page.check("input[name=vote-position][value=yes]")
    click(page, page.locator("button[type=submit]", has_text=arabic("Cast my vote")))
    assert page.url == f"{base}/governance/{number}/"
    receipt: str = page.locator("ul.messages li code.digest").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", receipt)
    return receipt


def test_a_fee_change_decided_in_arabic_without_javascript(
    browser, live_server, founder, make_member, csp_violations, shots
) -> None:
    base = live_server.url
    author = make_member(paid=1, name="ريم ناصر", email="reem@example.org")
    other = make_member(paid=1, name="يوسف عمر", email="yousef@example.org")

    proposing = browser.new_context(locale="ar", java_script_enabled=False, viewport=PHONE)
    page = proposing.new_page()
    watch(page, csp_violations)
    sign_in(page, base, author.user.email)
    page.goto(f"{base}/")
    with page.expect_navigation():
        page.locator("header nav a", has_text=arabic("Decisions")).click()
    assert page.url == f"{base}/governance/"
    assert html_attrs(page) == ("ar", "rtl")
    with page.expect_navigation():
        page.locator("main a.button", has_text=arabic("Make a proposal")).click()
    assert page.url == f"{base}/governance/new/"

    page.check("input[name=kind][value=policy_change]")
    page.fill("input[name=title]", "خفض رسم التعاونية إلى 8٪")
    page.fill("textarea[name=body]", "ثمانية بالمئة تكفي لتغطية التكاليف.")
    page.locator("summary", has_text=arabic("Fees")).click()
    page.fill("input[name='new_fees.coop_fee_percent']", "8")
    click(page, page.locator("button[type=submit]", has_text=arabic("Open the proposal")))

    proposal = Proposal.objects.get()
    assert page.url == f"{base}/governance/{proposal.number}/"
    assert messages(page) == [arabic("Your proposal is open to the members.")]
    assert (proposal.kind, proposal.changes) == ("policy_change", {"fees.coop_fee_percent": "8"})
    assert page.locator("h1").inner_text() == f"#{proposal.number} · خفض رسم التعاونية إلى 8٪"
    change = page.locator("section[aria-labelledby=changes-heading] tbody tr")
    assert [c.strip() for c in change.locator("th, td").all_inner_texts()] == [
        "fees.coop_fee_percent",
        "10",
        "8",
    ]
    page.screenshot(path=str(shots / "governance_vote_open.png"), full_page=True)

    receipts = [vote_yes(page, base, proposal.number)]
    page.reload()
    assert page.locator("ul.messages").count() == 0  # the receipt is shown once
    assert page.locator("#vote p").inner_text() == arabic(
        "You have voted. The result is shown here when voting closes."
    )

    voting = browser.new_context(locale="ar", java_script_enabled=False, viewport=PHONE)
    second = voting.new_page()
    watch(second, csp_violations)
    sign_in(second, base, other.user.email)
    receipts.append(vote_yes(second, base, proposal.number))
    voting.close()
    assert sorted(Ballot.objects.values_list("receipt", flat=True)) == sorted(receipts)

    assert proposal.closes_at is not None
    actions.run_due(now=proposal.closes_at + dt.timedelta(minutes=1))
    proposal.refresh_from_db()
    assert proposal.outcome == "passed"
    assert proposal.adopted is not None and proposal.adopted.number == 2
    assert policy_number(2).fees.coop_fee_percent == 8

    page.goto(f"{base}/governance/{proposal.number}/")
    assert html_attrs(page) == ("ar", "rtl")
    assert page.locator("#proposal-outcome").inner_text() == arabic("passed")
    result = page.locator("#result")
    lines = [li.strip() for li in result.locator("ol li").all_inner_texts()]
    assert lines == [arabic(message, params) for message, params in proposal.result["explanation"]]
    assert result.locator("a[href='/rules/#versions']").count() == 1
    counted = result.locator("table").first.locator("tbody tr")
    assert [r.split("\t") for r in counted.all_inner_texts()] == [
        [arabic("Yes"), "2"],
        [arabic("No"), "0"],
        [arabic("I abstain"), "0"],
    ]
    assert proposal.seed in page.locator("dl.facts").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing overflows the phone's screen
    page.screenshot(path=str(shots / "governance_vote_closed.png"), full_page=True)
    assert timezone.now() < proposal.closes_at  # closed by the clock given, not by waiting
    assert csp_violations == []
    proposing.close()
