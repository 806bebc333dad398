"""The append-only audit trail and the gap-free counters behind every register number."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(DatabaseError):
    """A change to, or removal of, a recorded audit entry."""


APPEND_ONLY = "the audit trail is append-only"


class Counter(models.Model):
    """A named gap-free sequence. Incremented under a row lock inside the caller's transaction,
    so a rolled-back operation gives its number back and no two operations share one."""

    name = models.CharField(max_length=40, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.last}"


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(APPEND_ONLY)

    delete.queryset_only = True  # type: ignore[attr-defined]


class AuditEntry(models.Model):
    """One consequential event. ``canonical`` holds the exact bytes later hashed into the
    transparency log; personal data stays out of it (entries name ids and numbers, not people).
    Updates and deletes are refused here and by database triggers (deletes by a trigger on
    PostgreSQL only: SQLite's test flush empties tables with DELETE)."""

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("at"))
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=60)
    subject_type = models.CharField(_("subject type"), max_length=40)
    subject_id = models.CharField(_("subject"), max_length=40)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version"), null=True, blank=True)
    canonical = models.TextField(_("canonical form"))
    digest = models.CharField(_("SHA-256"), max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.subject_type}:{self.subject_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(APPEND_ONLY)
