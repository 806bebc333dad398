"""Scheduled services: what the co-op offers (a cleaning, a repair), when each working member is
available, and the booking that ties an order to a service, a worker and a time.

A booking keeps its worker's time: two live bookings of one worker never overlap. The actions
serialise on the worker (a row lock on the membership) before checking; on PostgreSQL an
exclusion constraint over the booked range (migration 0002) is the last word, so even code that
forgot the lock could not double-book. ``active`` mirrors "the order is not cancelled", because
a constraint can only look at the row it guards.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taawun.market.models import Order
from taawun.members.models import Membership, PaymentMethod

SHORTEST_MINUTES = 15
LONGEST_MINUTES = 720
MINUTE_STEP = 15


class Weekday(models.IntegerChoices):
    """Python's numbering (``date.weekday()``): Monday is 0."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Service(models.Model):
    """A kind of work the board offers, priced by the Policy's hourly rate for its duration."""

    title_ar = models.CharField(_("title in Arabic"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration in minutes"))
    active = models.BooleanField(_("offered now"), default=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["title_en", "id"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    duration_minutes__gte=SHORTEST_MINUTES, duration_minutes__lte=LONGEST_MINUTES
                ),
                name="service_duration_in_range",
            ),
            models.CheckConstraint(
                condition=Exact(Mod("duration_minutes", MINUTE_STEP), 0),
                name="service_duration_in_steps",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        """The title in the reader's language."""
        return self.title_ar if (get_language() or "").startswith("ar") else self.title_en

    @property
    def order_title(self) -> str:
        """Both titles, so the customer and the worker each read theirs (orders keep 200
        characters)."""
        both = f"{self.title_ar} · {self.title_en}"
        return both if len(both) <= 200 else f"{self.title_ar[:98]} · {self.title_en[:99]}"


class Availability(models.Model):
    """One weekly window in which a working member takes bookings (local time)."""

    worker = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="service_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["worker", "weekday", "starts"]
        verbose_name = _("availability")
        verbose_name_plural = _("availability")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="availability_starts_first"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="availability_weekday_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker}: {self.get_weekday_display()} {self.starts}-{self.ends}"


class Booking(models.Model):
    """A service order's slot: which service, which worker, when, and how the customer pays."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="booking")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    worker = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="service_bookings"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    method = models.CharField(_("paid by"), max_length=16, choices=PaymentMethod.choices)
    active = models.BooleanField(_("holds the worker's time"), default=True)
    late_fee = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="late_fee_for",
        verbose_name=_("late cancellation fee"),
    )

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="booking_starts_first"
            ),
        ]
        indexes = [models.Index(fields=["worker", "starts_at"], name="booking_worker_time")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.starts_at:%Y-%m-%d %H:%M}"
