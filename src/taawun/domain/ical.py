"""iCalendar text (RFC 5545), the one writer of it: a general assembly's file and the feeds that
calendar apps subscribe to are all made here.

Text values are escaped (section 3.3.11), lines folded at 75 octets without splitting a
character (3.1), every line ended by CRLF, times written in UTC with ``Z``. An event keeps its
UID for life and carries a higher SEQUENCE once changed, so a calendar that imported it updates
it instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

LINE_OCTETS = 75


def escaped(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def folded(line: str) -> str:
    """``line`` split into lines of at most 75 octets, each continuation starting with a space."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        limit = LINE_OCTETS if not parts else LINE_OCTETS - 1
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def utc(moment: dt.datetime) -> str:
    """A DATE-TIME in UTC; a naive time is refused rather than guessed."""
    if moment.tzinfo is None:
        raise ValueError("an iCalendar time needs its time zone")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Event:
    """One VEVENT. ``starts`` is a moment, or a date for an all-day event (a due date).
    Optional text left as None is not written at all."""

    uid: str
    starts: dt.datetime | dt.date
    summary: str
    ends: dt.datetime | dt.date | None = None
    description: str | None = None
    location: str | None = None
    url: str | None = None
    cancelled: bool = False
    sequence: int = 0

    def lines(self, stamp: str) -> list[str]:
        lines = ["BEGIN:VEVENT", f"UID:{self.uid}", f"DTSTAMP:{stamp}"]
        lines.append(_when("DTSTART", self.starts))
        if self.ends is not None:
            lines.append(_when("DTEND", self.ends))
        lines.append(f"SUMMARY:{escaped(self.summary)}")
        if self.description is not None:
            lines.append(f"DESCRIPTION:{escaped(self.description)}")
        if self.location is not None:
            lines.append(f"LOCATION:{escaped(self.location)}")
        if self.url is not None:
            lines.append(f"URL:{self.url}")
        lines.append(f"STATUS:{'CANCELLED' if self.cancelled else 'CONFIRMED'}")
        lines.append(f"SEQUENCE:{self.sequence}")
        lines.append("END:VEVENT")
        return lines


def _when(name: str, value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        return f"{name}:{utc(value)}"
    return f"{name};VALUE=DATE:{value:%Y%m%d}"


def calendar(
    events: Iterable[Event], *, product: str, now: dt.datetime, name: str | None = None
) -> str:
    """A whole VCALENDAR; ``product`` names what made it (PRODID), ``name`` is the title a
    calendar app shows for a subscribed feed."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//Taawun//{product}//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name is not None:
        lines.append(f"X-WR-CALNAME:{escaped(name)}")
    stamp = utc(now)
    for event in events:
        lines.extend(event.lines(stamp))
    lines.append("END:VCALENDAR")
    return "".join(f"{folded(line)}\r\n" for line in lines)
