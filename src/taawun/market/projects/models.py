"""Freelance projects: a customer's brief, members' proposals, and the agreement's milestones.

A :class:`Brief` is the customer's request; a :class:`Proposal` is a working member's offer
(price, days, plan) split into :class:`PlannedMilestone` rows that add up to the price. When the
customer chooses a proposal, each planned milestone becomes an ``Order`` (the shared economic
model) with a :class:`Milestone` row holding what only projects need: its number, due date and the
delivery. The database keeps one proposal per member per brief and one chosen proposal per brief.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from taawun.market.models import Order
from taawun.members.models import Membership, PaymentMethod, money_field


class Brief(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open for proposals")
        AGREED = "agreed", _("agreed")
        CLOSED = "closed", _("closed")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="project_briefs"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=4000)
    currency = models.CharField(_("currency"), max_length=3)
    budget = models.DecimalField(
        _("budget"), max_digits=18, decimal_places=3, null=True, blank=True
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    payment_method = models.CharField(
        _("paid by"), max_length=16, choices=PaymentMethod.choices, blank=True
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("brief")
        verbose_name_plural = _("briefs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget__isnull=True) | models.Q(budget__gt=0),
                name="brief_budget_positive",
            ),
        ]
        indexes = [models.Index(fields=["status", "-id"], name="brief_status_recent")]

    def __str__(self) -> str:
        return self.title


class Proposal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the customer")
        ACCEPTED = "accepted", _("accepted")
        NOT_CHOSEN = "not_chosen", _("not chosen")
        WITHDRAWN = "withdrawn", _("withdrawn")

    brief = models.ForeignKey(Brief, on_delete=models.PROTECT, related_name="proposals")
    worker = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="project_proposals"
    )
    currency = models.CharField(_("currency"), max_length=3)
    price = money_field(_("price"))
    days = models.PositiveSmallIntegerField(_("days to deliver"))
    plan = models.TextField(_("plan"), max_length=4000)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["brief", "id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        constraints = [
            models.UniqueConstraint(fields=["brief", "worker"], name="one_proposal_per_member"),
            models.UniqueConstraint(
                fields=["brief"],
                condition=models.Q(status="accepted"),
                name="one_accepted_proposal_per_brief",
            ),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="proposal_price_positive"),
            models.CheckConstraint(
                condition=models.Q(days__gte=1, days__lte=365), name="proposal_days_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brief_id}/{self.worker_id}"


class PlannedMilestone(models.Model):
    """One step of a proposal, as offered; it becomes a :class:`Milestone` once agreed."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="steps")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=120)
    amount = money_field(_("amount"))

    class Meta:
        ordering = ["proposal", "number"]
        verbose_name = _("planned milestone")
        verbose_name_plural = _("planned milestones")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="one_step_per_number"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="step_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Milestone(models.Model):
    """An agreed milestone: the order it is paid through, and its delivery."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="milestone")
    brief = models.ForeignKey(Brief, on_delete=models.PROTECT, related_name="milestones")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=120)
    due_on = models.DateField(_("due on"))
    delivery_note = models.TextField(_("delivery note"), max_length=2000, blank=True)
    delivery_link = models.URLField(_("link to the work"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    dispute_reason = models.CharField(_("why it is disputed"), max_length=500, blank=True)
    resolution_note = models.CharField(
        _("how the dispute was resolved"), max_length=500, blank=True
    )

    class Meta:
        ordering = ["brief", "number"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["brief", "number"], name="one_milestone_per_number"),
        ]

    def __str__(self) -> str:
        return f"{self.brief_id}/{self.number} {self.title}"
