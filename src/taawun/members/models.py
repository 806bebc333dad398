"""Membership: applications, the member register, the share register, instalments, the
capital account, repayments on leaving, and each member's directory profile."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def money_field(verbose_name: StrOrPromise) -> models.DecimalField[Decimal, Decimal]:
    """Amounts up to 10^15 with three decimals: every ISO 4217 minor unit in use here fits."""
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=3)


class Application(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        WITHDRAWN = "withdrawn", _("withdrawn")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    member_class = models.CharField(_("member class"), max_length=32)
    motivation = models.TextField(_("why you want to join"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("reason"), max_length=2000, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version"))

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("membership application")
        verbose_name_plural = _("membership applications")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="one_pending_application_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.member_class} ({self.status})"


class Membership(models.Model):
    """A line of the member register. A person who leaves and rejoins gets a new line."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        LEAVING = "leaving", _("leaving (notice given)")
        LEFT = "left", _("left")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="membership"
    )
    number = models.PositiveIntegerField(_("member number"), unique=True)
    member_class = models.CharField(_("member class"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    joined_on = models.DateField(_("joined on"))
    notice_given_on = models.DateField(_("notice given on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("membership")
        verbose_name_plural = _("member register")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=~models.Q(status="left"),
                name="one_current_membership_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.number}"


class ShareOperation(models.Model):
    """A line of the share register: subscribe, transfer or sell back, numbered without gaps."""

    class Kind(models.TextChoices):
        SUBSCRIBE = "subscribe", _("subscription")
        TRANSFER = "transfer", _("transfer")
        SELL_BACK = "sell_back", _("sell-back")

    register_number = models.PositiveIntegerField(_("register number"), unique=True)
    kind = models.CharField(_("operation"), max_length=16, choices=Kind.choices)
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="share_operations"
    )
    counterparty = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For a transfer: the member receiving the shares."),
    )
    shares = models.PositiveIntegerField(_("shares"))
    nominal = money_field(_("nominal value"))
    currency = models.CharField(_("currency"), max_length=3)
    at = models.DateTimeField(_("at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    policy_version = models.PositiveIntegerField(_("policy version"))

    class Meta:
        ordering = ["register_number"]
        verbose_name = _("share operation")
        verbose_name_plural = _("share register")
        constraints = [
            models.CheckConstraint(condition=models.Q(shares__gt=0), name="positive_shares")
        ]

    def __str__(self) -> str:
        return f"{self.register_number} {self.kind}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("cash")
    BANK = "bank", _("bank transfer")
    WALLET = "wallet", _("mobile wallet")


class Instalment(models.Model):
    """One scheduled payment towards a member's share; paid exactly once."""

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("instalment"))
    due_on = models.DateField(_("due on"))
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(
        _("cancelled at"), null=True, blank=True, help_text=_("Unpaid when the member left.")
    )
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices, blank=True)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    receipt_number = models.PositiveIntegerField(
        _("receipt number"), null=True, blank=True, unique=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["membership", "number"]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        constraints = [
            models.UniqueConstraint(fields=["membership", "number"], name="one_instalment_number"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="positive_instalment"),
        ]

    def __str__(self) -> str:
        return f"{self.membership} #{self.number}"


class CapitalEntry(models.Model):
    """A movement on a member's capital account; the balance is the sum of the entries."""

    class Kind(models.TextChoices):
        SHARE_PAYMENT = "share_payment", _("share payment")
        TRANSFER_IN = "transfer_in", _("shares received by transfer")
        TRANSFER_OUT = "transfer_out", _("shares transferred away")
        REPAYMENT = "repayment", _("repayment on leaving")

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="capital_entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    at = models.DateTimeField(_("at"))
    instalment = models.OneToOneField(
        Instalment, on_delete=models.PROTECT, null=True, blank=True, related_name="capital_entry"
    )
    operation = models.ForeignKey(
        ShareOperation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="capital_entries",
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("capital account entry")
        verbose_name_plural = _("capital account entries")

    def __str__(self) -> str:
        return f"{self.membership} {self.kind} {self.amount}"


class Repayment(models.Model):
    """What the co-op owes a member who sold back their shares, and when it was paid."""

    membership = models.OneToOneField(
        Membership, on_delete=models.PROTECT, related_name="repayment"
    )
    operation = models.OneToOneField(
        ShareOperation, on_delete=models.PROTECT, related_name="repayment"
    )
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    due_on = models.DateField(_("due on"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices, blank=True)
    reference = models.CharField(_("reference"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")

    def __str__(self) -> str:
        return f"{self.membership} {self.amount}"


class Visibility(models.TextChoices):
    PRIVATE = "private", _("only me and the board")
    MEMBERS = "members", _("members")
    PUBLIC = "public", _("everyone")


class Profile(models.Model):
    """What a person shows in the member directory, field by field, as they choose."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(_("name shown"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    city = models.CharField(_("city or area"), max_length=120, blank=True)
    skills = models.CharField(_("skills"), max_length=300, blank=True)
    bio = models.TextField(_("about me"), max_length=1000, blank=True)
    show_in_directory = models.BooleanField(_("list me in the member directory"), default=True)
    name_visibility = models.CharField(
        _("who sees my name"), max_length=8, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    email_visibility = models.CharField(
        _("who sees my email"), max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    phone_visibility = models.CharField(
        _("who sees my phone"), max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    city_visibility = models.CharField(
        _("who sees my city"), max_length=8, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    skills_visibility = models.CharField(
        _("who sees my skills"),
        max_length=8,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
    )
    bio_visibility = models.CharField(
        _("who sees my about text"),
        max_length=8,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
    )

    class Meta:
        verbose_name = _("directory profile")
        verbose_name_plural = _("directory profiles")

    def __str__(self) -> str:
        return self.display_name
