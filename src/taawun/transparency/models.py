"""The append-only audit trail, the Merkle log built over it, its signed heads, and the gap-free
counters behind every register number."""

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
    # The audit counter only: the size and the hashes of the complete subtrees the log's tree
    # ends in (``log.packed_edge``), so the statement that numbers new entries also hands over
    # all the tree needs to take them.
    edge = models.BinaryField(default=b"", blank=True)

    def __str__(self) -> str:
        return f"{self.name}={self.last}"


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(self.model.refusal)

    delete.queryset_only = True  # type: ignore[attr-defined]


class AppendOnly(models.Model):
    """A row that is written once and never changed or removed (database triggers agree).
    ``refusal`` says why, in the words of the record it belongs to."""

    refusal = APPEND_ONLY
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(self.refusal)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(self.refusal)


class AuditEntry(AppendOnly):
    """One consequential event, and leaf ``seq - 1`` of the transparency log.

    ``canonical`` holds the entry's exact bytes; personal data stays out of it (entries name ids
    and numbers, not people), and it is for members' eyes: the public log carries only the
    entry's envelope, whose ``content`` is ``digest``, the SHA-256 of ``salt`` and these bytes
    (see :func:`taawun.verifier.envelope`). Updates and deletes are refused here and by database
    triggers (deletes by a trigger on PostgreSQL only: SQLite's test flush empties tables with
    DELETE)."""

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
    salt = models.CharField(_("salt"), max_length=32, default="")
    digest = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.subject_type}:{self.subject_id}"


class LogNode(AppendOnly):
    """The hash of a complete subtree of the log: 2**level leaves from leaf position * 2**level
    (see :mod:`taawun.domain.merkle`). Level 0 holds the leaf hashes."""

    pk = models.CompositePrimaryKey("level", "position")
    level = models.PositiveSmallIntegerField()
    position = models.PositiveBigIntegerField()
    digest = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"({self.level}, {self.position})"


class TreeHead(AppendOnly):
    """A signed checkpoint: the log's size and root as the co-op signed them (``note`` is the
    signed note, the evidence a witness keeps)."""

    size = models.PositiveBigIntegerField(_("entries"), unique=True)
    root = models.BinaryField(_("root hash"), max_length=32)
    note = models.TextField(_("signed checkpoint"))
    key = models.CharField(_("public key"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        ordering = ["-size"]
        verbose_name = _("signed tree head")
        verbose_name_plural = _("signed tree heads")

    def __str__(self) -> str:
        return f"{self.size} @ {self.root.hex()[:12]}"


class LogAlarm(AppendOnly):
    """Evidence that the log disagrees with itself or with a head it signed. Never cleared: the
    members decide what it means, and the record of it stays."""

    class Kind(models.TextChoices):
        FORK = "fork", _("A signed head is not part of the log")
        TAMPERED = "tampered", _("An entry no longer matches its leaf")

    kind = models.CharField(_("what"), max_length=16, choices=Kind.choices)
    detail = models.TextField(_("detail"))
    evidence = models.TextField(_("evidence"), blank=True)
    raised_at = models.DateTimeField(_("raised at"))

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("log alarm")
        verbose_name_plural = _("log alarms")

    def __str__(self) -> str:
        return f"{self.kind} at {self.raised_at:%Y-%m-%d %H:%M}"
