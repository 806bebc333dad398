"""What a person is told, and how they want to be told it.

A notification stores ids and numbers (its ``payload``), never text in one language: the words
are written when the person reads it or when the email goes, in their language. Its email has a
small life of its own (``EmailState``) so that a background round can send it once, retry it
after a failure, and never lose it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    BOOKING_REQUESTED = "booking_requested", _("A service booked with me")
    BOOKING_CONFIRMED = "booking_confirmed", _("A booking confirmed")
    BOOKING_RESCHEDULED = "booking_rescheduled", _("A booking moved")
    BOOKING_CANCELLED = "booking_cancelled", _("A booking cancelled")
    TRIP_OFFERED = "trip_offered", _("A trip offered to me")
    PRODUCT_ORDERED = "product_ordered", _("An order for my products")
    PROPOSAL_ACCEPTED = "proposal_accepted", _("My project proposal accepted")
    VOTE_OPENED = "vote_opened", _("A vote opened")
    VOTE_CLOSING = "vote_closing", _("A vote closes soon and I have not voted")
    VOTE_RESULT = "vote_result", _("The result of a vote")
    PAYOUT_PAID = "payout_paid", _("A payout paid to me")


# Email unless the person says otherwise: bookings, votes and payouts. A trip offer expires in
# seconds, so an email about it would only arrive too late.
EMAIL_BY_DEFAULT = frozenset(Kind.values) - {Kind.TRIP_OFFERED}


class EmailState(models.TextChoices):
    NOT_WANTED = "none", _("not wanted")
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    payload = models.JSONField(_("details"), default=dict)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # False when the person turned the in-app list off for this kind but still wants the email.
    listed = models.BooleanField(_("listed"), default=True)
    email_state = models.CharField(
        _("email"), max_length=8, choices=EmailState.choices, default=EmailState.NOT_WANTED
    )
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    # When a pending email may next be tried; when a SENDING claim counts as abandoned.
    email_due_at = models.DateTimeField(_("email due at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "listed", "read_at"], name="notification_unread"),
            models.Index(fields=["email_state", "email_due_at"], name="notification_email_due"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.kind} #{self.pk}"


class Preference(models.Model):
    """A person's choice for one kind; with no row, the defaults hold."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    in_app = models.BooleanField(_("on this site"), default=True)
    email = models.BooleanField(_("by email"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class CalendarKey(models.Model):
    """The secret behind a person's calendar feed links. Calendar apps cannot sign in, so the
    link carries a token: an HMAC of this salt under the site's secret key, so neither a copy
    of the database alone nor a guess gives it. A new salt ends every old link."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_key"
    )
    salt = models.CharField(_("salt"), max_length=64)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("calendar key")
        verbose_name_plural = _("calendar keys")

    def __str__(self) -> str:
        return f"{self.user_id}"
