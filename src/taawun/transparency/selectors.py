"""Reading the audit trail (members and the board) and the public log built over it."""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Page, Paginator

from taawun.accounts.models import Role
from taawun.accounts.selectors import require_role
from taawun.domain.errors import InvalidInput, NotFound, gettext_noop
from taawun.verifier import envelope

from . import log
from .models import AuditEntry, LogAlarm, TreeHead

AUDIT_PAGE_SIZE = 50


def audit_page(viewer: Any, *, page: int | str | None = 1) -> Page:
    """One page of the audit trail, newest first. Refuses anyone but members and the board."""
    require_role(viewer, Role.MEMBER, Role.BOARD)
    entries = AuditEntry.objects.order_by("-seq")
    return Paginator(entries, AUDIT_PAGE_SIZE).get_page(page)


ENTRIES_PAGE = 1000


def _within_log(size: int) -> int:
    """``size`` if the log has that many entries; the refusal says how many it has."""
    entries = log.size()
    if not 0 <= size <= entries:
        raise InvalidInput(
            "beyond_log",
            gettext_noop("The log has %(entries)s entries, not %(size)s."),
            entries=entries,
            size=size,
        )
    return size


def envelopes(start: int, limit: int = ENTRIES_PAGE) -> list[dict[str, Any]]:
    """The public envelopes of entries ``start``, ``start + 1``…: anyone may read them."""
    limit = max(1, min(limit, ENTRIES_PAGE))
    rows = AuditEntry.objects.filter(seq__gte=start, seq__lt=start + limit).order_by("seq")
    return [
        envelope(json.loads(canonical), canonical, salt)
        for canonical, salt in rows.values_list("canonical", "salt")
    ]


def inclusion(seq: int, size: int) -> tuple[dict[str, Any], list[bytes]]:
    """Entry ``seq``'s envelope and its audit path in the log of ``size`` entries."""
    _within_log(size)
    if not 1 <= seq <= size:
        raise InvalidInput(
            "entry_beyond_head",
            gettext_noop("Entry %(seq)s is not among the first %(size)s entries."),
            seq=seq,
            size=size,
        )
    return envelopes(seq, 1)[0], log.inclusion_proof(seq - 1, size)


def consistency(old_size: int, new_size: int) -> list[bytes]:
    """The proof that the log of ``new_size`` entries extends the one of ``old_size``."""
    _within_log(new_size)
    _within_log(old_size)
    return log.consistency_proof(old_size, new_size)


def entry_content(viewer: Any, seq: int) -> AuditEntry:
    """An entry with its content and salt, so a member can check it against the log."""
    require_role(viewer, Role.MEMBER, Role.BOARD)
    found = AuditEntry.objects.filter(seq=seq).first()
    if found is None:
        raise NotFound("no_entry", gettext_noop("There is no entry %(seq)s."), seq=seq)
    return found


def latest_head() -> TreeHead | None:
    return TreeHead.objects.first()


def alarms() -> list[LogAlarm]:
    """Every alarm ever raised: they are public, as the log is."""
    return list(LogAlarm.objects.all())
