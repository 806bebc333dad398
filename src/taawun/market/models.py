"""The one economic model every sector shares (after ValueFlows).

An :class:`Order` is an agreement between a customer and the co-op that one working member
does a piece of work (a cleaning, a trip, a project milestone, a shop's order, a licence) at a
price fixed when it was made, under a policy version; its :class:`OrderEvent` rows are the
fulfilment events (offered, accepted, started, delivered, paid...). Each sector keeps its own
details (the slot, the route, the brief, the basket, the work) in its own app, pointing here.
The receipt every party sees is the price's breakdown stored on the order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from taawun.domain.money import Money
from taawun.domain.receipt import Breakdown
from taawun.ledger.models import JournalEntry
from taawun.members.models import Membership, money_field


class Sector(models.TextChoices):
    SERVICE = "service", _("scheduled service")
    TRIP = "trip", _("trip")
    PROJECT = "project", _("freelance project")
    PRODUCT = "product", _("local product")
    WORK = "work", _("creative work")


class Status(models.TextChoices):
    """Every sector's orders move through these; each sector uses the ones it needs."""

    REQUESTED = "requested", _("requested")  # waiting for the co-op or dispatch
    OFFERED = "offered", _("offered to a worker")
    CONFIRMED = "confirmed", _("confirmed")  # a worker has committed to it
    IN_PROGRESS = "in_progress", _("in progress")
    DELIVERED = "delivered", _("delivered")  # the worker says done; waiting for the customer
    DISPUTED = "disputed", _("disputed")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATUSES = (
    Status.REQUESTED,
    Status.OFFERED,
    Status.CONFIRMED,
    Status.IN_PROGRESS,
    Status.DELIVERED,
    Status.DISPUTED,
)


_PARTS = models.F("tax") + models.F("coop_fee") + models.F("solidarity") + models.F("worker_share")
HALF_THOUSANDTH = models.Value(Decimal("0.0005"))


class Order(models.Model):
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    worker = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    title = models.CharField(_("what"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3)
    price = money_field(_("price"))  # taxes included, tip excluded
    tax = money_field(_("tax"))
    coop_fee = money_field(_("co-op fee"))
    solidarity = money_field(_("solidarity fund"))
    worker_share = money_field(_("worker's share"))
    tip = money_field(_("tip"))
    hours = models.DecimalField(_("hours of work"), max_digits=9, decimal_places=2, default=0)
    policy_version = models.PositiveIntegerField(_("policy version"))
    quote = models.JSONField(_("how the price was worked out"), default=list)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    payment = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=300, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="order_price_not_negative"
            ),
            models.CheckConstraint(condition=models.Q(tip__gte=0), name="order_tip_not_negative"),
            # Within half a thousandth: exact on PostgreSQL; SQLite adds decimals as floats.
            models.CheckConstraint(
                condition=models.Q(price__gt=_PARTS - HALF_THOUSANDTH)
                & models.Q(price__lt=_PARTS + HALF_THOUSANDTH),
                name="order_parts_add_up",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-id"], name="order_customer_recent"),
            models.Index(fields=["worker", "status"], name="order_worker_status"),
            models.Index(fields=["sector", "status"], name="order_sector_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def breakdown(self) -> Breakdown:
        def money(amount: Any) -> Money:
            return Money(amount, self.currency)

        return Breakdown(
            price=money(self.price),
            tax=money(self.tax),
            coop_fee=money(self.coop_fee),
            solidarity=money(self.solidarity),
            worker_share=money(self.worker_share),
            tip=money(self.tip),
            policy_version=self.policy_version,
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class OrderEvent(models.Model):
    """A fulfilment event: what happened to an order, who did it, when. Never edited."""

    class Kind(models.TextChoices):
        PLACED = "placed", _("placed")
        OFFERED = "offered", _("offered to a worker")
        DECLINED = "declined", _("declined by the worker")
        EXPIRED = "expired", _("offer not answered in time")
        CONFIRMED = "confirmed", _("confirmed")
        RESCHEDULED = "rescheduled", _("rescheduled")
        STARTED = "started", _("started")
        DELIVERED = "delivered", _("delivered")
        ACCEPTED = "accepted", _("accepted by the customer")
        DISPUTED = "disputed", _("disputed")
        RESOLVED = "resolved", _("dispute resolved")
        PAID = "paid", _("paid")
        REFUNDED = "refunded", _("refunded")
        CANCELLED = "cancelled", _("cancelled")
        COMPLETED = "completed", _("completed")
        RATED = "rated", _("rated")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("what happened"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        indexes = [
            # The fairness audit counts a period's offers of trips by kind and time.
            models.Index(fields=["kind", "at"], name="order_event_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.kind}"


class Rating(models.Model):
    """The customer's rating of a piece of work: shown openly with the service or product it
    rates, never turned into a hidden score that decides who gets work."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="rating")
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    rated_at = models.DateTimeField(_("rated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="rating_one_to_five"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.stars}"
