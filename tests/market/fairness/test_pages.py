"""The audit page and the self-report page: who may open them, what they show (and never
show), the consent form, and the number of queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taawun.accounts.models import User
from taawun.ledger.models import Period
from taawun.market.fairness.models import SelfReport
from taawun.members.models import Membership

from ...core.helpers import Clock
from ...web.helpers import text
from .conftest import Worked

pytestmark = [pytest.mark.django_db]
AUDIT = reverse("market:fairness:audit")
SELF_REPORT = reverse("market:fairness:self_report")
WITHDRAW = reverse("market:fairness:withdraw")
SIX = [("200", "10"), ("100", "4"), ("75", "2"), ("200", "5"), ("150", "3"), ("400", "8")]


def test_anonymous_visitors_are_sent_to_sign_in(coop: Any, web: Client) -> None:
    for url in (AUDIT, SELF_REPORT):
        response = web.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_a_non_member_is_refused(
    clock: Clock, web: Client, worked: Worked, make_account: Callable[..., User]
) -> None:
    worked("100", "4")
    web.force_login(make_account())
    assert web.get(AUDIT).status_code == 403
    assert web.get(AUDIT, {"period": Period.objects.get().pk}).status_code == 403
    page = web.get(SELF_REPORT)
    assert page.status_code == 200
    assert "Only members can report a group for the audit." in text(page)
    refused = web.post(SELF_REPORT, {"gender": "woman", "consent": "on"})
    assert refused.status_code == 403
    assert SelfReport.objects.count() == 0


def test_the_page_shows_the_figures_and_only_the_viewers_place(
    clock: Clock, web: Client, founder: User, worked: Worked
) -> None:
    workers = [worked(earned, hours, name=f"Worker {i}") for i, (earned, hours) in enumerate(SIX)]
    web.force_login(workers[3].user)
    page = web.get(AUDIT)
    assert page.status_code == 200
    shown = text(page)
    for fact in (
        "Workers with hours in the period 6",
        "Mean 37.08 ILS",
        "Median 38.75 ILS",
        "10th percentile 20.00 ILS",
        "10th percentile over the mean 0.5393",
        "Gini coefficient 0.1704",
        "Earnings floor 30.00 ILS per hour: 2 workers below it.",
        "You are here: number 4 of 6",
        "20.00 ILS 25.00 ILS 37.50 ILS 40.00 ILS you are here 50.00 ILS 50.00 ILS",
    ):
        assert fact in shown
    assert shown.count("you are here") == 1
    assert "Worker " not in shown  # no names
    assert '<svg class="chart"' in page.content.decode()
    assert "No offers of trips to workers were recorded in this period." in shown

    web.force_login(founder)  # on the board, did not work: no place
    board = text(web.get(AUDIT))
    assert "you are here" not in board and "You are here" not in board
    assert "Gini coefficient 0.1704" in board


def test_small_groups_are_not_shown(clock: Clock, web: Client, worked: Worked) -> None:
    workers = [worked(earned, hours) for earned, hours in SIX]
    for worker in workers:
        web.force_login(worker.user)
        area = "periphery" if worker is workers[5] else "centre"
        assert web.post(SELF_REPORT, {"area": area, "consent": "on"}).status_code == 302
    shown = text(web.get(AUDIT))
    assert "city centre 34.50 ILS (5 workers)" in shown
    assert "periphery fewer than 5 — not shown" in shown
    assert "at least 5 workers of the period" in shown


def test_a_period_is_picked_and_a_bad_one_is_not_found(
    clock: Clock, web: Client, worked: Worked
) -> None:
    worker = worked("100", "4")
    later = Period.objects.create(starts_on="2031-01-01", ends_on="2031-12-31")
    web.force_login(worker.user)
    assert "Nobody has recorded hours of work in this period yet." in text(
        web.get(AUDIT, {"period": later.pk})
    )
    assert "You are here: number 1 of 1" in text(web.get(AUDIT))  # today's period
    for bad in ("x", "-1", str(2**64), "99999"):
        assert web.get(AUDIT, {"period": bad}).status_code == 404


def test_the_consent_form(clock: Clock, web: Client, worked: Worked) -> None:
    worker = worked("100", "4")
    web.force_login(worker.user)
    form = text(web.get(SELF_REPORT))
    assert "for the fairness audit only" in form
    assert "never used to give out work or set prices" in form

    refused = web.post(SELF_REPORT, {"gender": "woman"})
    assert refused.status_code == 400
    assert "Tick the consent box to report a group" in text(refused)
    assert SelfReport.objects.count() == 0

    bad = web.post(SELF_REPORT, {"gender": "centre", "consent": "on"})
    assert bad.status_code == 400
    assert SelfReport.objects.count() == 0

    done = web.post(
        SELF_REPORT, {"gender": "woman", "age_band": "25_39", "consent": "on"}, follow=True
    )
    assert "Thank you: the audit now counts your answers." in text(done)
    assert set(SelfReport.objects.values_list("dimension", "value")) == {
        ("gender", "woman"),
        ("age_band", "25_39"),
    }
    assert 'value="woman" selected' in web.get(SELF_REPORT).content.decode()

    web.post(SELF_REPORT, {"gender": "woman", "age_band": "", "consent": "on"})
    assert set(SelfReport.objects.values_list("dimension", "value")) == {("gender", "woman")}

    gone = web.post(WITHDRAW, follow=True)
    assert "Your consent is withdrawn and your answers are deleted." in text(gone)
    assert SelfReport.objects.count() == 0
    assert web.get(WITHDRAW).status_code == 405


def test_the_page_costs_the_same_queries_for_3_workers_as_for_12(
    clock: Clock,
    web: Client,
    worked: Worked,
    make_member: Callable[..., Membership],
    django_assert_num_queries: Any,
) -> None:
    viewer = worked("100", "4")
    web.force_login(viewer.user)
    for _ in range(2):
        worked("90", "3")
    for worker in Membership.objects.all():
        web.force_login(worker.user)
        web.post(SELF_REPORT, {"area": "centre", "gender": "man", "consent": "on"})
    web.force_login(viewer.user)
    web.get(AUDIT)
    cache.clear()
    with CaptureQueriesContext(connection) as three:
        assert "number 1 of 3" in text(web.get(AUDIT))
    queries = len(three)
    for _ in range(9):
        worker = worked("300", "2")
        web.force_login(worker.user)
        web.post(SELF_REPORT, {"area": "centre", "gender": "man", "consent": "on"})
    web.force_login(viewer.user)
    web.get(AUDIT)
    cache.clear()
    with django_assert_num_queries(queries):
        assert "number 1 of 12" in text(web.get(AUDIT))


def test_the_arabic_page_renders(clock: Clock, client: Client, worked: Worked) -> None:
    worker = worked("100", "4")
    client.force_login(worker.user)
    page = client.get(AUDIT, HTTP_ACCEPT_LANGUAGE="ar")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.content.decode()
