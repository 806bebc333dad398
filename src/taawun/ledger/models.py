"""The co-op's double-entry books: accounts with running balances, periods, journal entries and
their postings, payouts and the solidarity fund's claims.

Journal entries and postings are append-only: a correction is a reversing entry. Each posting
stores the account's balance after it, so a statement needs no scan of earlier postings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from taawun.domain.ledger import Kind
from taawun.members.models import Membership, PaymentMethod, money_field
from taawun.transparency.models import AppendOnly as AppendOnlyRecord
from taawun.transparency.models import AppendOnlyError, AppendOnlyQuerySet

BOOKS_APPEND_ONLY = "the books are append-only: correct with a reversing entry"


class Account(models.Model):
    """An account of the chart (``domain.ledger.CHART``), once per currency, and for the
    per-member purposes once per member. ``balance`` is signed, debits positive."""

    purpose = models.CharField(_("purpose"), max_length=32)
    member = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    currency = models.CharField(_("currency"), max_length=3)
    kind = models.CharField(_("kind"), max_length=12, choices=[(k.value, k.value) for k in Kind])
    code = models.CharField(_("code"), max_length=16)
    balance = money_field(_("balance"))
    opened_on = models.DateField(_("opened on"))

    class Meta:
        ordering = ["code", "currency"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "currency"],
                condition=models.Q(member__isnull=True),
                name="one_account_per_purpose",
            ),
            models.UniqueConstraint(
                fields=["purpose", "member", "currency"],
                condition=models.Q(member__isnull=False),
                name="one_member_account_per_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.currency}"


class PeriodQuerySet(models.QuerySet["Period"]):
    def containing(self, day: dt.date) -> PeriodQuerySet:
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class Period(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    starts_on = models.DateField(_("starts on"), unique=True)
    ends_on = models.DateField(_("ends on"), unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closings = models.PositiveIntegerField(
        _("times closed"), default=0, help_text=_("A reopened period keeps its count.")
    )
    allocation = models.JSONField(_("allocation"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="period_in_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on} to {self.ends_on}"


class EntryKind(models.TextChoices):
    SHARE_PAYMENT = "share_payment", _("share payment")
    SHARE_SELL_BACK = "share_sell_back", _("shares sold back")
    SHARE_REPAYMENT = "share_repayment", _("share repayment")
    SALE = "sale", _("customer payment for work")
    EXPENSE = "expense", _("expense")
    OTHER_INCOME = "other_income", _("other income")
    PAYOUT = "payout", _("payout")
    TRANSFER = "transfer", _("money moved between cash, bank and wallet")
    SOLIDARITY_PAYMENT = "solidarity_payment", _("solidarity fund payment")
    CLOSING = "closing", _("period closing")
    ALLOCATION = "allocation", _("surplus allocation")
    LOSS = "loss", _("loss charged")
    REVERSAL = "reversal", _("reversal")
    TOP_UP = "top_up", _("earnings floor top-up")
    MUTUAL_CREDIT = "mutual_credit", _("mutual credit with a sister co-op")


class BooksQuerySet(AppendOnlyQuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(BOOKS_APPEND_ONLY)


class AppendOnly(AppendOnlyRecord):
    """A record of the books, whose bulk updates are refused here too, before the database."""

    refusal = BOOKS_APPEND_ONLY
    objects = BooksQuerySet.as_manager()  # type: ignore[misc]  # a manager of the same rows

    class Meta:
        abstract = True


class JournalEntry(AppendOnly):
    """One balanced movement of money, numbered without gaps."""

    number = models.PositiveBigIntegerField(_("number"), unique=True)
    date = models.DateField(_("date"))
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=24, choices=EntryKind.choices)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    member = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hours = models.DecimalField(_("hours worked"), max_digits=9, decimal_places=2, default=0)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    policy_version = models.PositiveIntegerField(_("policy version"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="hours_not_negative")
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.kind}"


class Posting(AppendOnly):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = money_field(_("amount"))  # debit positive, credit negative
    currency = models.CharField(_("currency"), max_length=3)
    balance_after = money_field(_("balance after"))

    class Meta:
        ordering = ["entry", "id"]
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="posting_not_zero")
        ]
        indexes = [
            models.Index(fields=["account", "-id"], name="posting_account_recent"),
            # Lets the database check an entry once, at its last posting (migration 0003).
            models.Index(fields=["entry", "id"], name="posting_entry_order"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.amount} {self.currency}"


class Patronage(models.Model):
    """A member's work with the co-op in a period, kept up to date as sales are recorded, so
    closing a period reads one row per member."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="patronage")
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="patronage")
    hours = models.DecimalField(_("hours"), max_digits=12, decimal_places=2, default=0)
    revenue = money_field(_("revenue"))
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("patronage")
        verbose_name_plural = _("patronage")
        constraints = [
            models.UniqueConstraint(fields=["period", "member"], name="one_patronage_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.period_id}: {self.hours} h"


class Allocation(models.Model):
    """A member's share of a period's surplus: the written notice of allocation."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="allocations")
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="allocations")
    closing = models.PositiveIntegerField(_("closing"))
    hours = models.DecimalField(_("hours"), max_digits=12, decimal_places=2)
    revenue = money_field(_("revenue"))
    dividend = money_field(_("dividend"))
    cash = money_field(_("paid in cash"))
    retained = money_field(_("credited to capital account"))
    loss_charged = money_field(_("loss charged to capital account"))
    currency = models.CharField(_("currency"), max_length=3)
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")
    reversed = models.BooleanField(_("reversed by a reopening"), default=False)

    class Meta:
        ordering = ["period", "member"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "member", "closing"], name="one_allocation_per_closing"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.period_id}: {self.dividend}"


class PayoutRun(models.Model):
    """One run paying workers what the co-op owes them; retried safely by its key."""

    number = models.PositiveIntegerField(_("number"), unique=True)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    idempotency_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    total = money_field(_("total"))
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")

    def __str__(self) -> str:
        return f"#{self.number}"


class Payout(models.Model):
    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="payouts")
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="payout")

    class Meta:
        ordering = ["run", "member"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payout_positive"),
            models.UniqueConstraint(fields=["run", "member"], name="one_payout_per_run"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.member_id}: {self.amount}"


class SolidarityClaim(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        PAID = "paid", _("paid")

    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="claims")
    reason = models.CharField(_("reason"), max_length=32)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    details = models.TextField(_("details"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="claim"
    )

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("solidarity claim")
        verbose_name_plural = _("solidarity claims")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="claim_positive")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.reason} {self.amount}"


class FloorRun(models.Model):
    """The earnings floor applied to one window of days: who earned less per hour than the
    floor, what each needed, and what the fund the policy names could pay. A window is applied
    once; windows never overlap."""

    starts_on = models.DateField(_("window starts on"))
    ends_on = models.DateField(_("window ends on"))
    policy_version = models.PositiveIntegerField(_("policy version"))
    fund = models.CharField(_("paid from"), max_length=32)
    hourly = money_field(_("floor per hour"))
    total = money_field(_("total paid"))
    shortfall = money_field(_("needed but not in the fund"))
    currency = models.CharField(_("currency"), max_length=3)
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="floor_run"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("earnings floor run")
        verbose_name_plural = _("earnings floor runs")
        constraints = [
            models.UniqueConstraint(
                fields=["starts_on", "ends_on"], name="one_floor_run_per_window"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="floor_run_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_on} to {self.ends_on}"


class FloorTopUp(models.Model):
    """One member's line of a floor run: their work in the window and their top-up."""

    run = models.ForeignKey(FloorRun, on_delete=models.PROTECT, related_name="top_ups")
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    hours = models.DecimalField(_("hours"), max_digits=12, decimal_places=2)
    earned = money_field(_("earned"))
    needed = money_field(_("needed to reach the floor"))
    paid = money_field(_("top-up paid"))

    class Meta:
        ordering = ["run", "member"]
        verbose_name = _("earnings floor top-up")
        verbose_name_plural = _("earnings floor top-ups")
        constraints = [
            models.UniqueConstraint(fields=["run", "member"], name="one_top_up_per_run"),
            models.CheckConstraint(
                condition=models.Q(paid__gte=0, paid__lte=models.F("needed")),
                name="top_up_within_need",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.member_id}: {self.paid}"
