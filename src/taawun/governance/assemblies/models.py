"""General assemblies: the call with its notice, the agenda, who attended, the minutes and the
members' requests for an extraordinary assembly.

An assembly is called, then opened on its day, then closed; or cancelled before it opens. When it
closes, the numbers that decide its quorum (members present, members eligible, the quorum in
force when it opened) are kept on it, so a later change to the register cannot rewrite the
record. Once the board approves the minutes they are final: a correction is an addendum.
One attendance per member per assembly, and one signature per member per request, are database
constraints.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taawun.governance.models import Proposal
from taawun.members.models import Membership

from .rules import request_rules

MAX_NUMBER = 2**31 - 1  # a member's, an assembly's or a proposal's number (PositiveIntegerField)
MAX_ID = 2**63 - 1  # a request's id (BigAutoField)


def text_digest(text: str) -> str:
    """The SHA-256 of a text, as the audit trail records texts too long to copy into it."""
    return hashlib.sha256(text.encode()).hexdigest()


class Assembly(models.Model):
    class Kind(models.TextChoices):
        ANNUAL = "annual", _("annual")
        EXTRAORDINARY = "extraordinary", _("extraordinary")

    class Status(models.TextChoices):
        CALLED = "called", _("called")
        OPEN = "open", _("in session")
        CLOSED = "closed", pgettext_lazy("assembly", "closed")
        CANCELLED = "cancelled", _("cancelled")

    number = models.PositiveIntegerField(_("number"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), max_length=500, blank=True)
    notice = models.TextField(_("notice"))
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    called_at = models.DateTimeField(_("called at"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    secretary = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("secretary"),
    )
    # The ordinary decisions' quorum when it opened; the attendance figures when it closed.
    quorum_percent = models.DecimalField(
        _("quorum (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    eligible = models.PositiveIntegerField(_("members with a vote"), null=True, blank=True)
    present = models.PositiveIntegerField(_("members present"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_written_at = models.DateTimeField(_("minutes written at"), null=True, blank=True)
    minutes_approved_at = models.DateTimeField(_("minutes approved at"), null=True, blank=True)
    minutes_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at", "-number"]
        verbose_name = _("general assembly")
        verbose_name_plural = _("general assemblies")
        indexes = [models.Index(fields=["status", "starts_at"], name="assembly_status_starts")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["annual", "extraordinary"]), name="assembly_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["called", "open", "closed", "cancelled"]),
                name="assembly_status",
            ),
            models.CheckConstraint(
                condition=~models.Q(place="", online_link=""), name="assembly_has_a_place"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                name="assembly_cancelled_with_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(minutes_approved_at__isnull=True) | models.Q(status="closed"),
                name="assembly_minutes_approved_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def minutes_final(self) -> bool:
        return self.minutes_approved_at is not None

    @property
    def minutes_sha256(self) -> str:
        return text_digest(self.minutes)


class AgendaItem(models.Model):
    """One point of the agenda, in order; it may name the proposal decided at or around it."""

    assembly = models.ForeignKey(Assembly, on_delete=models.PROTECT, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    proposal = models.ForeignKey(
        Proposal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposal"),
    )

    class Meta:
        ordering = ["assembly", "position"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        constraints = [
            models.UniqueConstraint(fields=["assembly", "position"], name="agenda_position_once"),
            models.UniqueConstraint(
                fields=["assembly", "proposal"],
                condition=models.Q(proposal__isnull=False),
                name="agenda_proposal_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assembly_id}.{self.position} {self.title}"


class Attendance(models.Model):
    """That a member was present, and who recorded it (the member, the board or the secretary)."""

    assembly = models.ForeignKey(Assembly, on_delete=models.PROTECT, related_name="attendance")
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["assembly", "member"], name="one_attendance_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.assembly_id}:{self.member_id}"

    @property
    def checked_in(self) -> bool:
        """Recorded by the member themselves."""
        return self.recorded_by_id == self.member.user_id


class MinutesAddendum(models.Model):
    """A correction or note appended to approved minutes; the minutes themselves never change."""

    assembly = models.ForeignKey(Assembly, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(_("text"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("written at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("addendum to the minutes")
        verbose_name_plural = _("addenda to the minutes")

    def __str__(self) -> str:
        return f"{self.assembly_id}:{self.pk}"


class AssemblyRequest(models.Model):
    """Members with a vote asking for an extraordinary assembly. Once enough of them sign in
    time it is ``supported``, and the board must call the assembly (which then ``answers``
    it)."""

    title = models.CharField(_("title"), max_length=200)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    supported_at = models.DateTimeField(_("supported at"), null=True, blank=True)
    assembly = models.ForeignKey(
        Assembly,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("answered by the assembly"),
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("request for an assembly")
        verbose_name_plural = _("requests for an assembly")

    def __str__(self) -> str:
        return self.title

    @property
    def signing_ends_at(self) -> dt.datetime:
        return self.requested_at + dt.timedelta(days=request_rules().signing_days)

    @property
    def answer_due_at(self) -> dt.datetime | None:
        if self.supported_at is None:
            return None
        return self.supported_at + dt.timedelta(days=request_rules().answer_days)

    def gathering(self, now: dt.datetime) -> bool:
        """Still open for signatures."""
        return self.supported_at is None and now < self.signing_ends_at


class RequestSignature(models.Model):
    request = models.ForeignKey(
        AssemblyRequest, on_delete=models.PROTECT, related_name="signatures"
    )
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(fields=["request", "member"], name="one_signature_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.member_id}"
