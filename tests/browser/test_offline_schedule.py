"""The installable app in a real browser: a worker opens their schedule, the service worker
keeps it, and with the connection gone the schedule still shows; a page never opened shows the
offline page instead."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from taawun.market.services import actions as services
from taawun.market.services.selectors import at_local
from tests.core.conftest import fast_password_hashing  # noqa: F401  (autouse: quick sign-ins)

from ..conftest import PASSWORD
from .conftest import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MORNINGS = [(day, dt.time(8), dt.time(12)) for day in range(7)]


def test_the_last_schedule_shows_offline(
    browser: Any,
    live_server: Any,
    founder: Any,
    make_account: Any,
    make_member: Any,
    csp_violations: list[str],
) -> None:
    base = live_server.url
    worker = make_member("worker", name="Khalil Hamdan", email="khalil@example.org")
    services.set_availability(actor=worker.user, windows=MORNINGS)
    cleaning = services.create_service(
        actor=founder,
        title_ar="تنظيف منزل",
        title_en="House cleaning",
        description="",
        duration_minutes=60,
    )
    customer = make_account(name="Lina Odeh", email="lina@example.org")
    day = timezone.localdate() + dt.timedelta(days=3)
    services.book(
        actor=customer,
        service_id=cleaning.pk,
        starts_at=at_local(day, dt.time(9)),
        method="cash",
        worker_number=worker.number,
    )

    context = browser.new_context(locale="en")
    page = context.new_page()
    watch(page, csp_violations)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "khalil@example.org")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/accounts/login/'] button[type=submit]")
    page.goto(f"{base}/market/services/schedule/")
    state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")
    assert state == "activated"
    page.reload()  # now through the worker, which keeps the page
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    assert "House cleaning" in page.inner_text("main")

    context.set_offline(True)
    page.reload()
    assert page.inner_text("h1") == "My schedule"
    assert "House cleaning" in page.inner_text("main")
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") == "flex"
    )
    page.goto(f"{base}/members/")  # never opened: the offline page
    assert page.inner_text("h1") == "You are offline"
    context.set_offline(False)

    # Signing out forgets the kept schedule: the next person on this phone cannot read it.
    page.goto(f"{base}/accounts/logout/")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_function(FORGOTTEN)
    context.set_offline(True)
    page.goto(f"{base}/market/services/schedule/")
    assert page.inner_text("h1") == "You are offline"
    context.set_offline(False)
    assert csp_violations == []
    context.close()


FORGOTTEN = """caches.keys()
  .then((names) => Promise.all(names.map((name) => caches.open(name).then((c) => c.keys()))))
  .then((kept) => kept.flat().every((r) => !r.url.includes("/market/services/schedule/")))"""
