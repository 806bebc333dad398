"""The calendar feeds (RFC 5545): a worker's schedule and the co-op's assemblies, opened by a
secret link that can be made anew or stopped; the text is checked by a strict reader."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from taawun.accounts.models import User
from taawun.domain.ical import Event, calendar, escaped, folded
from taawun.governance.assemblies import actions as assemblies
from taawun.market.services import actions as services
from taawun.market.services.models import Service
from taawun.members.models import Membership
from taawun.notifications import actions
from taawun.notifications.models import CalendarKey
from taawun.notifications.selectors import calendar_links
from taawun.transparency.models import AuditEntry
from tests.market.services.conftest import MONDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
NAME = re.compile(r"^[A-Z][A-Z0-9-]*$")


def read_strictly(text: str) -> list[dict[str, str]]:
    """The events of a calendar, refusing anything RFC 5545 does not allow: lines not ended by
    CRLF, physical lines over 75 octets, bad names, unbalanced BEGIN/END, events missing UID,
    DTSTAMP or DTSTART, times not in UTC."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in physical)
    assert all(len(line.encode()) <= 75 for line in physical)
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack: list[str] = []
    events: list[dict[str, str]] = []
    for line in lines:
        name, _, value = line.partition(":")
        base = name.split(";")[0]
        assert NAME.match(base), line
        if base == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif base == "END":
            assert stack.pop() == value
        elif stack and stack[-1] == "VEVENT":
            events[-1][name] = value
    assert stack == [] and lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    for event in events:
        assert {"UID", "DTSTAMP"} <= set(event) and any(k.startswith("DTSTART") for k in event)
        for key in ("DTSTAMP", "DTSTART", "DTEND"):
            if key in event:
                assert re.fullmatch(r"\d{8}T\d{6}Z", event[key]), event[key]
    return events


def test_text_is_escaped_and_folded_exactly() -> None:
    assert escaped("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    line = "SUMMARY:" + "x" * 70
    assert folded(line) == "SUMMARY:" + "x" * 67 + "\r\n " + "x" * 3
    arabic = "SUMMARY:" + "ت" * 40  # two octets each: a character is never split
    assert folded(arabic) == "SUMMARY:" + "ت" * 33 + "\r\n " + "ت" * 7


def test_an_all_day_event_and_a_calendar_name() -> None:
    text = calendar(
        [Event(uid="m-1@x", starts=dt.date(2030, 3, 4), ends=dt.date(2030, 3, 5), summary="Logo")],
        product="Schedule",
        now=dt.datetime(2030, 3, 1, 10, tzinfo=dt.UTC),
        name="Co-op, Ramallah",
    )
    assert text.split("\r\n") == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Taawun//Schedule//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Co-op\\, Ramallah",
        "BEGIN:VEVENT",
        "UID:m-1@x",
        "DTSTAMP:20300301T100000Z",
        "DTSTART;VALUE=DATE:20300304",
        "DTEND;VALUE=DATE:20300305",
        "SUMMARY:Logo",
        "STATUS:CONFIRMED",
        "SEQUENCE:0",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        calendar(
            [Event(uid="u", starts=dt.datetime(2030, 1, 1), summary="x")],
            product="p",
            now=timezone.now(),
        )


def feed(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content.decode()


def test_the_schedule_feed_follows_the_bookings(
    customer: User, cleaning: Service, khalil: Membership
) -> None:
    order = services.book(
        actor=customer,
        service_id=cleaning.pk,
        starts_at=at(MONDAY, 9),
        method="cash",
        worker_number=khalil.number,
    )
    actions.new_calendar_key(actor=khalil.user)
    links = calendar_links(khalil.user)
    assert links is not None
    events = read_strictly(feed(Client(), links["schedule"]))
    assert events == [
        {
            "UID": f"service-order-{order.pk}@testserver",
            "DTSTAMP": timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
            "DTSTART": "20300304T070000Z",
            "DTEND": "20300304T090000Z",
            "SUMMARY": "تنظيف منزل / House cleaning",
            "DESCRIPTION": f"#{order.pk}",
            "URL": f"http://127.0.0.1:8000/market/orders/{order.pk}/",
            "STATUS": "CONFIRMED",
            "SEQUENCE": "0",
        }
    ]
    services.reschedule(actor=customer, order_id=order.pk, starts_at=at(MONDAY, 10))
    moved = read_strictly(feed(Client(), links["schedule"]))[0]
    assert (moved["DTSTART"], moved["SEQUENCE"]) == ("20300304T080000Z", "1")
    services.cancel(actor=customer, order_id=order.pk)
    gone = read_strictly(feed(Client(), links["schedule"]))[0]
    assert (gone["STATUS"], gone["SEQUENCE"]) == ("CANCELLED", "2")


def test_a_wrong_old_or_stopped_link_finds_nothing(khalil: Membership) -> None:
    actions.new_calendar_key(actor=khalil.user)
    old = calendar_links(khalil.user)
    assert old is not None
    wrong = old["schedule"].replace("/schedule.ics", "").rsplit("/", 1)[0] + "/0000/schedule.ics"
    assert Client().get(wrong).status_code == 404
    actions.new_calendar_key(actor=khalil.user)
    new = calendar_links(khalil.user)
    assert new is not None and new != old
    assert Client().get(old["schedule"]).status_code == 404
    assert Client().get(new["schedule"]).status_code == 200
    assert actions.revoke_calendar_key(actor=khalil.user) is True
    assert Client().get(new["schedule"]).status_code == 404
    assert not CalendarKey.objects.exists()
    assert list(
        AuditEntry.objects.filter(action__startswith="notifications.").values_list(
            "action", flat=True
        )
    ) == [
        "notifications.calendar_key_made",
        "notifications.calendar_key_made",
        "notifications.calendar_key_revoked",
    ]


def test_links_are_made_and_stopped_from_the_preferences_page(khalil: Membership) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(khalil.user)
    assert (
        "Make my calendar links"
        in client.get(reverse("notifications:preferences")).content.decode()
    )
    client.post(reverse("notifications:new_calendar"))
    links = calendar_links(khalil.user)
    assert links is not None
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert f"http://testserver{links['schedule']}" in page
    schedule = client.get(reverse("market:services:schedule")).content.decode()
    assert f'href="http://testserver{links["schedule"]}"' in schedule
    client.post(reverse("notifications:revoke_calendar"))
    assert calendar_links(khalil.user) is None


def test_the_assemblies_feed_is_for_members_only(
    founder: User, make_account: Callable[..., User]
) -> None:
    called = assemblies.call_assembly(
        actor=founder,
        kind="annual",
        title="Annual general assembly 2030",
        starts_at=timezone.now() + dt.timedelta(days=20),
        place="Co-op hall, Ramallah",
        notice="The accounts.",
    )
    actions.new_calendar_key(actor=founder)
    links = calendar_links(founder)
    assert links is not None
    events = read_strictly(feed(Client(), links["assemblies"]))
    assert [(e["UID"], e["LOCATION"]) for e in events] == [
        (f"assembly-{called.number}@testserver", "Co-op hall\\, Ramallah")
    ]
    outsider = make_account()
    actions.new_calendar_key(actor=outsider)
    theirs = calendar_links(outsider)
    assert theirs is not None
    assert Client().get(theirs["assemblies"]).status_code == 404
