"""In Arabic, a board member opens the books, sees the chart, and records a sale at the desk, in
a real browser."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from taawun.domain.money import Money
from taawun.ledger import actions as ledger
from taawun.ledger.models import EntryKind, JournalEntry

from ..conftest import PASSWORD
from .conftest import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMO = "رفوف المطبخ"


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


def test_the_board_records_a_sale_in_arabic(
    browser, live_server, founder, make_member, csp_violations
) -> None:
    worker = make_member(paid=1)
    ledger.record_sale(  # a month with income, so the overview draws its bar chart
        actor=founder,
        worker_number=worker.number,
        price=Money(Decimal("50.00"), "ILS"),
        tip=Money(Decimal("0.00"), "ILS"),
        method="cash",
        hours=Decimal(1),
    )
    context = browser.new_context(locale="ar", viewport={"width": 390, "height": 844})
    page = context.new_page()
    watch(page, csp_violations)
    sign_in(page, live_server.url, founder.email)

    page.goto(f"{live_server.url}/books/")
    assert html_attrs(page) == ("ar", "rtl")
    charts = page.locator("svg.chart[role=img]")
    assert charts.count() == 2  # income and expenses by month; the funds
    for index in range(2):
        chart = charts.nth(index)
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 20

    page.goto(f"{live_server.url}/books/desk/")
    assert html_attrs(page) == ("ar", "rtl")
    form = page.locator("form[action='/books/desk/sale/']")
    form.locator("input[name=sale-worker]").fill(str(worker.number))
    form.locator("input[name=sale-price]").fill("100.00")
    form.locator("input[name=sale-tip]").fill("5.00")
    form.locator("input[name=sale-hours]").fill("2.5")
    form.locator("select[name=sale-method]").select_option("bank")
    form.locator("input[name=sale-memo]").fill(MEMO)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()

    assert page.url == f"{live_server.url}/books/desk/"
    entry = JournalEntry.objects.order_by("-number").get(kind=EntryKind.SALE, memo=MEMO)
    assert (entry.number, entry.hours) == (3, Decimal("2.5"))  # shares, the first sale, this
    message = page.locator("ul.messages li.success")
    assert message.is_visible()
    said = message.inner_text()
    assert re.search(rf"(?<!\d){entry.number}(?!\d)", said), said
    assert "93.00 ILS" in said and "10.00 ILS" in said, said

    page.goto(f"{live_server.url}/books/journal/")
    assert html_attrs(page) == ("ar", "rtl")
    newest = page.locator("main table caption").first.inner_text()
    assert MEMO in newest
    assert re.search(rf"(?<![\d.]){entry.number} ·", newest), newest
    assert csp_violations == []
    context.close()
