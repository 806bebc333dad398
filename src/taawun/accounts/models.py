"""People with an account, and the roles granted to them.

Member and worker roles follow from a person's membership; board and admin are granted (and
revoked) by recorded actions. Every account can act as a customer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    # Blank: follow the browser's choice. Set: the language of pages and of emails to them.
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=[("ar", "العربية"), ("en", "English")]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.get_full_name()


class Role(models.TextChoices):
    MEMBER = "member", _("member")
    WORKER = "worker", _("worker")
    CUSTOMER = "customer", _("customer")
    BOARD = "board", _("board")
    ADMIN = "admin", _("administrator")
    TEACHER = "teacher", _("teacher")  # writes the school's courses


GRANTABLE_ROLES = (Role.BOARD, Role.ADMIN, Role.TEACHER)


class RoleGrant(models.Model):
    """A granted role (board, admin or teacher); revoking sets ``revoked_at``, rows are never
    deleted."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(
        _("role"), max_length=16, choices=[(r.value, r.label) for r in GRANTABLE_ROLES]
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_grant_per_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class Consent(models.Model):
    """One optional sharing a person agreed to or withdrew, with the version of the text they
    read. Rows are only added: the newest row per topic is the answer in force, the rest is the
    history the person may download."""

    class Topic(models.TextChoices):
        DIRECTORY = "directory", _("Show my profile in the member directory")
        VOTE_REMINDERS = "vote_reminders", _("Email me a reminder before a vote closes")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="consents")
    topic = models.CharField(_("what"), max_length=32, choices=Topic.choices)
    given = models.BooleanField(_("agreed"))
    text_version = models.PositiveSmallIntegerField(_("version of the text"))
    at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["user", "topic", "-at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["user", "topic", "-id"], name="consent_latest")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.topic}={self.given}"
