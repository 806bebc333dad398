"""An assembly as an iCalendar event, for members to add to their own calendars; the writing
itself is ``domain/ical.py``, shared with the calendar feeds. A cancelled assembly keeps its UID
with a higher SEQUENCE, so a calendar that imported it updates it."""

from __future__ import annotations

import datetime as dt

from taawun.domain.ical import Event, calendar, escaped, folded

from .models import Assembly

__all__ = ["assembly_calendar", "assembly_event", "escaped", "folded"]


def assembly_event(assembly: Assembly, *, page_url: str, host: str) -> Event:
    """The assembly as one event; ``page_url`` is its page, ``host`` names the site in its UID."""
    cancelled = assembly.status == Assembly.Status.CANCELLED
    description = assembly.notice
    if assembly.place and assembly.online_link:
        description = f"{description}\n\n{assembly.online_link}"
    return Event(
        uid=f"assembly-{assembly.number}@{host}",
        starts=assembly.starts_at,
        summary=assembly.title,
        description=description,
        location=assembly.place or assembly.online_link,
        url=page_url,
        cancelled=cancelled,
        sequence=1 if cancelled else 0,
    )


def assembly_calendar(assembly: Assembly, *, page_url: str, host: str, now: dt.datetime) -> str:
    """The assembly as a one-event calendar file."""
    event = assembly_event(assembly, page_url=page_url, host=host)
    return calendar([event], product="General assemblies", now=now)
