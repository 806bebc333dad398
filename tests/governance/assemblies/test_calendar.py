"""The iCalendar file of an assembly: RFC 5545 escaping, folding at 75 octets, CRLF lines."""

from __future__ import annotations

import datetime as dt

import pytest

from taawun.accounts.models import User
from taawun.governance.assemblies import actions
from taawun.governance.assemblies.calendar import assembly_calendar, escaped, folded
from taawun.governance.assemblies.models import Assembly

from .conftest import call

pytestmark = pytest.mark.django_db


def test_text_is_escaped() -> None:
    assert escaped("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_long_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    line = "SUMMARY:" + "جمعية عمومية " * 12
    lines = folded(line).split("\r\n")
    assert [len(part.encode()) <= 75 for part in lines] == [True] * len(lines)
    assert all(part.startswith(" ") for part in lines[1:])
    assert "".join(part.removeprefix(" ") if i else part for i, part in enumerate(lines)) == line
    assert folded("SHORT:x") == "SHORT:x"


def test_an_assembly_as_a_calendar(called: Assembly, voters: list[User]) -> None:
    text = assembly_calendar(
        called,
        page_url="https://coop.example/governance/assemblies/1/",
        host="coop.example",
        now=dt.datetime(2030, 3, 2, 8, 30, tzinfo=dt.UTC),
    )
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert text.split("\r\n") == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Taawun//General assemblies//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        "UID:assembly-1@coop.example",
        "DTSTAMP:20300302T083000Z",
        "DTSTART:20300315T150000Z",
        "SUMMARY:Annual general assembly 2030",
        "DESCRIPTION:The annual accounts and the board election.\\nBring your member ",
        " card.",
        "LOCATION:Co-op hall\\, Ramallah",
        "URL:https://coop.example/governance/assemblies/1/",
        "STATUS:CONFIRMED",
        "SEQUENCE:0",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    actions.cancel_assembly(actor=voters[0], number=called.number, reason="Flooded.")
    called.refresh_from_db()
    cancelled = assembly_calendar(called, page_url="https://x/", host="x", now=called.called_at)
    assert "STATUS:CANCELLED\r\nSEQUENCE:1\r\n" in cancelled


def test_an_online_assembly_is_located_at_its_link(clock: object, voters: list[User]) -> None:
    online = call(voters[0], place="", online_link="https://meet.example.org/ga")
    text = assembly_calendar(online, page_url="https://x/", host="x", now=online.called_at)
    assert "LOCATION:https://meet.example.org/ga\r\n" in text
