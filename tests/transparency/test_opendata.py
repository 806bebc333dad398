"""The open data: the public page, the CSV and the JSON of a small week of trips, with the
threshold and the complementary suppression at work, and refusals of odd requests."""

# ruff: noqa: F811 - pytest fixtures imported from .orders are parameters here

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from taawun.accounts.models import User
from taawun.market import actions as market
from taawun.market.models import Order
from taawun.transparency.opendata.models import PublishedWeek

from ..web.helpers import html_attrs, text
from .orders import (  # noqa: F401 - fixtures
    Clock,
    Trip,
    browser,
    clock,
    fast_password_hashing,
    online,
    places,
    trip,
)

pytestmark = [pytest.mark.django_db]
PAGE = "/open-data/"
CSV = "/open-data/open-data.csv"
API = "/api/open-data/"

HEADER = (
    "week,week_starts,currency,sector,area,area_ar,suppressed,orders_completed,total_paid,"
    "median_price,hours_worked,earnings_per_hour"
)
# Eleven rides of 23.60 in half an hour each: 20.77 to the worker, 41.54 an hour.
WEEK_TOTAL = "2030-W09,2030-02-25,ILS,all,all,,false,11,259.60,23.60,5.50,41.54"
TRIPS = "2030-W09,2030-02-25,ILS,trip,all,,false,11,259.60,23.60,5.50,41.54"
# Birzeit has one customer and one worker; Al-Manara's ten would give Birzeit away as
# all trips less Al-Manara, so both are suppressed.
MANARA = "2030-W09,2030-02-25,ILS,trip,Al-Manara Square,دوار المنارة,true,,,,,"
BIRZEIT = "2030-W09,2030-02-25,ILS,trip,Birzeit University,جامعة بيرزيت,true,,,,,"


@pytest.fixture
def week_of_trips(clock: Clock, trip: Trip) -> list[Order]:
    """Week 2030-W09: ten rides from Al-Manara and one from Birzeit, each by its own customer
    and worker, and one ride still waiting; then a ride in the week after (still running)."""
    done = [trip("manara", "birzeit") for _ in range(10)]
    done.append(trip("birzeit", "manara"))
    trip(done=False)
    clock.advance(days=4)  # Tuesday 5 March 2030
    trip()
    return done


def test_the_csv_of_every_closed_week(week_of_trips: list[Order]) -> None:
    response = browser().get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="open-data.csv"'
    assert response.content.decode().splitlines() == [HEADER, WEEK_TOTAL, TRIPS, MANARA, BIRZEIT]


def test_the_json_of_one_week(week_of_trips: list[Order]) -> None:
    response = browser().get(API, {"week": "2030-W09"})
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("licence", "threshold", "through")} == {
        "licence": "CC-BY-4.0",
        "threshold": 10,
        "through": "2030-W09",
    }
    assert body["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
    published = {
        "week": "2030-W09",
        "week_starts": "2030-02-25",
        "currency": "ILS",
        "suppressed": False,
        "orders_completed": 11,
        "total_paid": "259.60",
        "median_price": "23.60",
        "hours_worked": "5.50",
        "earnings_per_hour": "41.54",
    }
    hidden = {
        **published,
        "sector": "trip",
        "suppressed": True,
        "orders_completed": None,
        "total_paid": None,
        "median_price": None,
        "hours_worked": None,
        "earnings_per_hour": None,
    }
    assert body["cells"] == [
        {**published, "sector": "all", "area": "all", "area_ar": None},
        {**published, "sector": "trip", "area": "all", "area_ar": None},
        {**hidden, "area": "Al-Manara Square", "area_ar": "دوار المنارة"},
        {**hidden, "area": "Birzeit University", "area_ar": "جامعة بيرزيت"},
    ]
    assert browser().get(API).json()["cells"] == body["cells"]  # every week: the same one


def test_a_week_without_work_is_empty_and_the_running_week_is_not_published(
    week_of_trips: list[Order],
) -> None:
    assert browser().get(API, {"week": "2030-W08"}).json()["cells"] == []
    assert browser().get(CSV, {"week": "2030-W08"}).content.decode() == HEADER + "\n"
    running = browser().get(API, {"week": "2030-W10"})
    assert running.status_code == 400
    assert running.json() == {
        "error": "week_not_closed",
        "message": "Only weeks that have ended are published.",
    }
    assert browser().get(CSV, {"week": "2031-W01"}).status_code == 400


def test_the_page_explains_and_shows_the_latest_week(week_of_trips: list[Order]) -> None:
    page = browser().get(PAGE)
    assert page.status_code == 200
    shown = text(page)
    assert "at least 10 different customers and at least 10 different workers" in shown
    assert "Creative Commons Attribution 4.0" in shown
    assert "All sectors All areas ILS 11 259.60 23.60 5.50 41.54" in shown
    assert "Trip Al-Manara Square ILS suppressed" in shown
    assert f'href="{reverse("api-1.0.0:open_data")}"' in page.content.decode()
    arabic = browser(language="ar").get(PAGE, {"week": "2030-W09"})
    assert arabic.status_code == 200
    assert html_attrs(arabic)["dir"] == "rtl"
    assert "دوار المنارة" in text(arabic)


def test_before_any_week_has_ended_nothing_is_published(clock: Clock, trip: Trip) -> None:
    trip()
    assert browser().get(API).json()["through"] is None
    assert browser().get(CSV).content.decode() == HEADER + "\n"
    assert "No week has been published yet" in text(browser().get(PAGE))


@pytest.mark.parametrize("week", ["garbage", "2030-W54", "2030-W9", "x" * 500, "2030-W09\x00"])
def test_a_bad_week_is_refused_clearly(coop: object, week: str) -> None:
    assert browser().get(PAGE, {"week": week}).status_code == 400
    assert browser().get(CSV, {"week": week}).status_code == 400
    api = browser().get(API, {"week": week})
    assert api.status_code in (400, 422)
    assert api.json()["error"] in ("invalid_input", "bad_week", "week_not_closed")  # NUL dropped


def test_only_reading_is_allowed(coop: object) -> None:
    assert browser().post(CSV).status_code == 405
    assert browser().post(PAGE).status_code == 405
    assert json.loads(browser().post(API).content)["error"] == "method_not_allowed"


def test_a_published_week_is_frozen_and_only_new_weeks_are_counted(
    week_of_trips: list[Order], clock: Clock, trip: Trip, founder: User
) -> None:
    """A refund after publication would make two downloads of a week differ by one order:
    the week stays as first published. The next week is published when it closes, alone."""
    first = browser().get(CSV).content.decode()
    market.refund(order=week_of_trips[0], actor=founder, reason="a late refund")
    cache.clear()
    assert browser().get(CSV).content.decode() == first
    assert PublishedWeek.objects.count() == 1
    clock.advance(days=7)  # the week of the last ride has closed
    cache.clear()
    lines = browser().get(CSV).content.decode().splitlines()
    assert lines[:5] == first.splitlines()
    assert lines[5:] == [
        "2030-W10,2030-03-04,ILS,all,all,,true,,,,,",
        "2030-W10,2030-03-04,ILS,trip,all,,true,,,,,",
        "2030-W10,2030-03-04,ILS,trip,Al-Manara Square,دوار المنارة,true,,,,,",
    ]
    assert list(PublishedWeek.objects.values_list("monday", flat=True)) == [
        dt.date(2030, 2, 25),
        dt.date(2030, 3, 4),
    ]
