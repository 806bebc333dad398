"""Rides and deliveries: the co-op's named places, a trip's route (pointing at its order), where
the workers are, and the batches of dispatch with the offers they made and why.

The dispatcher is shown positions, earnings and hours only: nothing here describes who a worker
is, so no protected attribute can become an input (keep it that way).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from taawun.market.models import Order
from taawun.members.models import Membership, PaymentMethod
from taawun.statements import Prepared

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def latitude_field(
    verbose_name: StrOrPromise | None = None,
) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(verbose_name or _("latitude"), max_digits=9, decimal_places=6)


def longitude_field(
    verbose_name: StrOrPromise | None = None,
) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(verbose_name or _("longitude"), max_digits=10, decimal_places=6)


def _in_range(prefix: str) -> models.Q:
    return models.Q(
        **{
            f"{prefix}latitude__gte": -90,
            f"{prefix}latitude__lte": 90,
            f"{prefix}longitude__gte": -180,
            f"{prefix}longitude__lte": 180,
        }
    )


class Place(models.Model):
    """A named place of the co-op's area, chosen by the board, to pick from instead of typing
    coordinates; their centre bounds where trips may go."""

    name_ar = models.CharField(_("name in Arabic"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120)
    latitude = latitude_field()
    longitude = longitude_field()
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["name_en", "id"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [
            models.UniqueConstraint(fields=["name_en"], name="trips_place_name_en_unique"),
            models.UniqueConstraint(fields=["name_ar"], name="trips_place_name_ar_unique"),
            models.CheckConstraint(condition=_in_range(""), name="trips_place_on_earth"),
        ]

    def __str__(self) -> str:
        return self.name_en


class Trip(models.Model):
    """A ride or a delivery: the order's route, the upfront estimate and what it really took."""

    class Kind(models.TextChoices):
        RIDE = "ride", _("ride")
        DELIVERY = "delivery", _("delivery")

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="trip")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    pickup_latitude = latitude_field(_("pickup latitude"))
    pickup_longitude = longitude_field(_("pickup longitude"))
    pickup_label = models.CharField(_("pickup"), max_length=120)
    dropoff_latitude = latitude_field(_("drop-off latitude"))
    dropoff_longitude = longitude_field(_("drop-off longitude"))
    dropoff_label = models.CharField(_("drop-off"), max_length=120)
    estimated_km = models.DecimalField(_("estimated km"), max_digits=7, decimal_places=1)
    estimated_minutes = models.DecimalField(_("estimated minutes"), max_digits=7, decimal_places=0)
    actual_km = models.DecimalField(
        _("actual km"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    actual_minutes = models.DecimalField(
        _("actual minutes"), max_digits=7, decimal_places=0, null=True, blank=True
    )
    method = models.CharField(_("paid by"), max_length=8, choices=PaymentMethod.choices)

    class Meta:
        ordering = ["-order_id"]
        verbose_name = _("trip")
        verbose_name_plural = _("trips")
        constraints = [
            models.CheckConstraint(condition=_in_range("pickup_"), name="trips_pickup_on_earth"),
            models.CheckConstraint(condition=_in_range("dropoff_"), name="trips_dropoff_on_earth"),
            models.CheckConstraint(
                condition=models.Q(estimated_km__gte=0, estimated_minutes__gte=0),
                name="trips_estimate_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.pickup_label} → {self.dropoff_label}"

    @property
    def current_offer(self) -> Offer | None:
        """The offer behind the order's worker (live or accepted), whose explanation the trip's
        parties may read; None while nobody is assigned or when the worker took it directly."""
        if self.order.worker_id is None:
            return None
        return _CURRENT_OFFER.first(self.pk, self.order.worker_id)


class Presence(models.Model):
    """Whether a worker is taking trips now, and where they last said they were."""

    worker = models.OneToOneField(
        Membership, on_delete=models.PROTECT, related_name="trip_presence"
    )
    online = models.BooleanField(_("online"), default=False)
    latitude = latitude_field()
    longitude = longitude_field()
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("presence")
        verbose_name_plural = _("presence")
        constraints = [
            models.CheckConstraint(condition=_in_range(""), name="trips_presence_on_earth")
        ]
        indexes = [models.Index(fields=["online"], name="trips_presence_online")]

    def __str__(self) -> str:
        return f"{self.worker_id}: {'online' if self.online else 'offline'}"


class DispatchClock(models.Model):
    """One row, locked by the batch that runs, so that only one batch runs at a time."""

    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch clock")
        verbose_name_plural = _("dispatch clock")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="trips_one_clock")]

    def __str__(self) -> str:
        return str(self.last_run_at)


class DispatchRun(models.Model):
    """One batch: when it ran, which solver, how many requests and workers, what it assigned,
    and what it was shown, so that the impact preview can solve it again under other rules."""

    at = models.DateTimeField(_("at"))
    solver = models.CharField(_("solver"), max_length=16)
    requests = models.PositiveIntegerField(_("requests"))
    workers = models.PositiveIntegerField(_("workers"))
    assigned = models.PositiveIntegerField(_("assigned"))
    policy_version = models.PositiveIntegerField(_("policy version"))
    pickup_km = models.DecimalField(_("total pickup km"), max_digits=12, decimal_places=3)
    inputs = models.JSONField(
        _("inputs"),
        null=True,
        blank=True,
        help_text=_(
            "Each request's order and pickup, each available worker's member, position, "
            "earnings per active hour and active hours, and the barred pairs; empty for batches "
            "run before inputs were kept."
        ),
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("dispatch run")
        verbose_name_plural = _("dispatch runs")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.assigned}/{self.requests}"


class Offer(models.Model):
    """A trip offered to one worker by a batch, with the dispatcher's explanation: its lines as
    ``[msgid, params]`` pairs plus the numeric terms."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("offered")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")
        WITHDRAWN = "withdrawn", _("withdrawn: the trip was cancelled")

    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="offers")
    worker = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="trip_offers")
    run = models.ForeignKey(DispatchRun, on_delete=models.PROTECT, related_name="offers")
    explanation = models.JSONField(_("why this worker"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OFFERED
    )
    offered_at = models.DateTimeField(_("offered at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    counts_against = models.BooleanField(
        _("counted decline"),
        default=False,
        help_text=_("A decline the members' rules say to count (shown in the worker's record)."),
    )

    class Meta:
        ordering = ["-offered_at", "-id"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.UniqueConstraint(
                fields=["trip"],
                condition=models.Q(status="offered"),
                name="trips_one_live_offer_per_trip",
            ),
            models.UniqueConstraint(
                fields=["worker"],
                condition=models.Q(status="offered"),
                name="trips_one_live_offer_per_worker",
            ),
        ]
        indexes = [models.Index(fields=["status", "offered_at"], name="trips_offer_status_at")]

    def __str__(self) -> str:
        return f"{self.trip_id} → {self.worker_id}: {self.status}"


_CURRENT_OFFER = Prepared(
    lambda trip_id, worker_id: Offer.objects.filter(
        trip_id=trip_id,
        worker_id=worker_id,
        status__in=[Offer.Status.OFFERED, Offer.Status.ACCEPTED],
    ).select_related("run")
)
