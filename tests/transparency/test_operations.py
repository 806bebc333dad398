"""The operations room: what it shows (from orders, the fairness audit, the books and
governance), who may see it, and that its cost does not grow with the number of orders."""

# ruff: noqa: F811 - pytest fixtures imported from .orders are parameters here

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.urls import reverse

from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.governance import actions as governance
from taawun.market.fairness import selectors as fairness
from taawun.market.models import Sector
from taawun.transparency.operations import selectors
from taawun.transparency.operations.selectors import SectorNow

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
URL = "/operations/"
QUERIES = 9  # for a member, whatever the number of orders


def test_the_room_adds_up_the_orders_earnings_money_and_decisions(
    clock: Clock, trip: Trip, founder: User
) -> None:
    trip(minutes=60)  # on Friday 1 March 2030
    clock.advance(days=15)  # to Saturday 16 March: that week has ended, the next one too
    trip(minutes=30)
    trip(minutes=30, tip="2.00")
    trip(done=False)
    proposal = governance.propose(actor=founder, kind="ordinary", title="Paint the office")

    room = selectors.room(founder)

    assert room.sectors == [
        SectorNow(Sector.SERVICE, 0, 0, 0),
        SectorNow(Sector.TRIP, today=3, last_7_days=3, waiting=1),
        SectorNow(Sector.PROJECT, 0, 0, 0),
        SectorNow(Sector.PRODUCT, 0, 0, 0),
        SectorNow(Sector.WORK, 0, 0, 0),
    ]
    assert (room.total_today, room.total_last_7_days, room.total_waiting) == (3, 3, 1)
    assert len(room.weeks) == 12
    assert room.weeks[0].starts_on == dt.date(2029, 12, 24)
    assert [(w.starts_on, w.counts) for w in room.weeks[-3:]] == [
        (dt.date(2030, 2, 25), [0, 1, 0, 0, 0]),
        (dt.date(2030, 3, 4), [0, 0, 0, 0, 0]),
        (dt.date(2030, 3, 11), [0, 3, 0, 0, 0]),
    ]
    assert sum(w.total for w in room.weeks) == 4
    assert selectors.room(founder).weeks == room.weeks  # the ended weeks now from the cache
    assert room.earnings is not None and room.earnings.figures is not None
    figures = room.earnings.figures
    # Each ride earned its worker 20.77 (88 % of 23.60): in an hour, in half an hour, and in
    # half an hour with a tip of 2.00: 20.77, 41.54 and 45.54 per hour.
    assert (figures.count, figures.mean, figures.median, figures.p10) == (
        3,
        Money(Decimal("35.95"), "ILS"),
        Money(Decimal("41.54"), "ILS"),
        Money(Decimal("20.77"), "ILS"),
    )
    assert (figures.gini, figures.p10_over_mean) == (Decimal("0.1531"), Decimal("0.5777"))
    audit = fairness.audit(founder, room.period)  # type: ignore[arg-type]
    assert (room.earnings.floor, room.earnings.bars) == (audit.floor, audit.bars)
    assert figures == audit.figures
    assert [(line.spec.purpose, line.amount) for line in room.fees] == [
        ("fees_members", Money(Decimal("7.08"), "ILS")),  # 3 * 2.36
        ("fees_non_members", Money(Decimal("0.00"), "ILS")),
    ]
    assert [(spec.purpose, amount) for spec, amount in room.funds] == [
        ("reserve", Money(Decimal("0.00"), "ILS")),
        ("education_fund", Money(Decimal("0.00"), "ILS")),
        ("solidarity_fund", Money(Decimal("1.41"), "ILS")),  # 3 * 0.47
    ]
    assert [p.number for p in room.decisions] == [proposal.number]

    page = browser(founder).get(URL)
    assert page.status_code == 200
    shown = text(page)
    assert "Trip 3 3 1" in shown
    assert "All sectors 3 3 1" in shown
    assert "2030-02-25 0 1 0 0 0 1" in shown
    assert "Gini coefficient 0.1531" in shown
    assert "Solidarity fund 1.41 ILS" in shown
    assert f"#{proposal.number} Paint the office" in shown
    assert page.content.decode().count('<svg class="chart"') == 2
    assert 'hx-trigger="every 60s"' in page.content.decode()


def test_before_any_work_the_room_is_empty_but_whole(founder: User) -> None:
    room = selectors.room(founder)
    assert room.total_today == room.total_waiting == 0
    assert (room.period, room.earnings, room.fees) == (None, None, [])
    shown = text(browser(founder).get(URL))
    assert "Nothing has been recorded in the books yet." in shown
    assert "No proposal is under discussion or being voted on." in shown


def test_only_members_and_the_board_may_enter(
    founder: User, make_account: Callable[..., User], make_member: Callable[..., object]
) -> None:
    stranger = browser(make_account())
    refused = stranger.get(URL)
    assert refused.status_code == 403
    assert "You do not have permission to do this." in text(refused)
    anonymous = browser().get(URL)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"{reverse('account_login')}?next={URL}"
    member = make_member()
    assert browser(member.user).get(URL).status_code == 200  # type: ignore[attr-defined]
    assert browser(founder).post(URL).status_code == 405


def test_the_room_takes_the_same_queries_however_many_orders(
    clock: Clock,
    trip: Trip,
    founder: User,
    django_assert_num_queries: Callable[..., object],
) -> None:
    member = browser(founder)
    trip()
    member.get(URL)  # the session and the cached policy and roles, as on any later visit
    with django_assert_num_queries(QUERIES):  # type: ignore[operator]
        assert member.get(URL).status_code == 200
    for _ in range(3):
        trip()
        trip(done=False)
    governance.propose(actor=founder, kind="ordinary", title="Paint the office")
    member.get(URL)
    with django_assert_num_queries(QUERIES):  # type: ignore[operator]
        assert member.get(URL).status_code == 200


def test_the_room_in_arabic_reads_right_to_left(clock: Clock, trip: Trip, founder: User) -> None:
    trip()
    page = browser(founder, "ar").get(URL)
    assert page.status_code == 200
    assert html_attrs(page)["dir"] == "rtl"
    assert html_attrs(page)["lang"] == "ar"


@pytest.mark.parametrize("query", ["?week=garbage", "?period=%00", "?x=%00", "?page=-1"])
def test_odd_query_parameters_do_no_harm(founder: User, query: str) -> None:
    assert browser(founder).get(URL + query).status_code in (200, 400)
