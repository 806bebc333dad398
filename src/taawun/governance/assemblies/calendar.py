"""An assembly as an iCalendar file (RFC 5545), for members to add to their own calendars.

Written by hand, as it is one event: text values escaped (section 3.3.11), lines folded at 75
octets without splitting a character (3.1), every line ended by CRLF, times in UTC. A cancelled
assembly keeps its UID with a higher SEQUENCE, so a calendar that imported it updates it.
"""

from __future__ import annotations

import datetime as dt

from .models import Assembly

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


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def assembly_calendar(assembly: Assembly, *, page_url: str, host: str, now: dt.datetime) -> str:
    """The assembly as a one-event calendar; ``page_url`` is its page, ``host`` names the
    site in the event's UID."""
    cancelled = assembly.status == Assembly.Status.CANCELLED
    description = assembly.notice
    if assembly.place and assembly.online_link:
        description = f"{description}\n\n{assembly.online_link}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Taawun//General assemblies//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:assembly-{assembly.number}@{host}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(assembly.starts_at)}",
        f"SUMMARY:{escaped(assembly.title)}",
        f"DESCRIPTION:{escaped(description)}",
        f"LOCATION:{escaped(assembly.place or assembly.online_link)}",
        f"URL:{page_url}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SEQUENCE:{1 if cancelled else 0}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(f"{folded(line)}\r\n" for line in lines)
