"""Personal API tokens (only their SHA-256 is kept) and stored idempotent responses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A member's personal token for the JSON API. The token itself is shown once, at creation;
    the database keeps only its SHA-256, so a leaked database does not leak usable tokens."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    digest = models.CharField(_("SHA-256"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"


class IdempotencyRecord(models.Model):
    """The response given to one money-moving request, keyed by the caller's Idempotency-Key.

    Written in the same transaction as the action, so either both the action and its stored
    response exist, or neither does. ``fingerprint`` is the SHA-256 of method, path and body."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(_("request SHA-256"), max_length=64)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=500)
    status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    body = models.TextField(_("response body"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("idempotent response")
        verbose_name_plural = _("idempotent responses")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_response_per_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
