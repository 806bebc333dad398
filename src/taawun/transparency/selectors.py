"""Reading the audit trail: open to members and the board, newest entries first."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator

from taawun.accounts.models import Role
from taawun.accounts.selectors import require_role

from .models import AuditEntry

AUDIT_PAGE_SIZE = 50


def audit_page(viewer: Any, *, page: int | str | None = 1) -> Page:
    """One page of the audit trail, newest first. Refuses anyone but members and the board."""
    require_role(viewer, Role.MEMBER, Role.BOARD)
    entries = AuditEntry.objects.order_by("-seq")
    return Paginator(entries, AUDIT_PAGE_SIZE).get_page(page)
