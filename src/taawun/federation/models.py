"""Sister co-ops and what passes between them: follows, offers, referrals and mutual credit.

Everything received is kept as received (:class:`Received`, one row per activity id, so a
retried delivery is stored once); everything sent is kept as sent (:class:`Outbound`) with one
:class:`Delivery` per inbox, retried with backoff until it lands or is given up.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from taawun.ledger.models import JournalEntry
from taawun.market.models import Order, Sector
from taawun.members.models import money_field

URL_LENGTH = 500


class Peer(models.Model):
    """Another ActivityPub actor: a sister co-op, or any server that wrote to us."""

    class Following(models.TextChoices):
        NO = "no", _("not followed")
        REQUESTED = "requested", _("follow requested")
        ACCEPTED = "accepted", _("followed")
        REJECTED = "rejected", _("follow refused")

    actor_id = models.URLField(_("actor"), max_length=URL_LENGTH, unique=True)
    handle = models.CharField(_("address"), max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    summary = models.TextField(_("about"), blank=True)
    inbox = models.URLField(_("inbox"), max_length=URL_LENGTH)
    outbox = models.URLField(_("outbox"), max_length=URL_LENGTH, blank=True)
    key_id = models.CharField(_("key"), max_length=URL_LENGTH, unique=True)
    public_key_pem = models.TextField(_("public key"))
    profile = models.JSONField(_("profile"), default=dict)  # sectors, area, log key
    taawun = models.BooleanField(_("speaks Taawun's vocabulary"), default=False)
    following = models.CharField(
        _("we follow them"), max_length=12, choices=Following.choices, default=Following.NO
    )
    follows_us = models.BooleanField(_("they follow us"), default=False)
    fetched_at = models.DateTimeField(_("profile fetched at"))

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("sister co-op")
        verbose_name_plural = _("sister co-ops")

    def __str__(self) -> str:
        return self.name or self.handle or self.actor_id


class Outbound(models.Model):
    """An activity we sent, servable at its id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    kind = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class Delivery(models.Model):
    """One activity on its way to one inbox."""

    outbound = models.ForeignKey(Outbound, on_delete=models.PROTECT, related_name="deliveries")
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="deliveries")
    inbox = models.URLField(max_length=URL_LENGTH)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["outbound", "inbox"], name="one_delivery_per_inbox")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(delivered_at__isnull=True, given_up_at__isnull=True),
                name="delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.outbound_id} → {self.inbox}"


class Received(models.Model):
    """An activity that reached our inbox with a good signature, stored once per id."""

    activity_id = models.URLField(max_length=URL_LENGTH, unique=True)
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="received")
    kind = models.CharField(max_length=40)
    payload = models.JSONField()
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.activity_id}"


class RemoteOffer(models.Model):
    """A sister co-op's offer (a FEP-0837 Proposal) in our directory."""

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="offers")
    object_id = models.URLField(max_length=URL_LENGTH, unique=True)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    name = models.CharField(_("what"), max_length=200)
    summary = models.TextField(_("about"), blank=True)
    price = models.DecimalField(_("price"), max_digits=18, decimal_places=3, null=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    unit = models.CharField(_("per"), max_length=20, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["peer", "sector", "name"]
        verbose_name = _("sister co-op's offer")
        verbose_name_plural = _("sister co-ops' offers")

    def __str__(self) -> str:
        return self.name


class Referral(models.Model):
    """Work passed from one co-op to another: Offer(Commitment) → Accept | Reject → delivery.

    Outgoing referrals start from one of our orders we cannot serve and wait for the customer's
    consent before anything leaves; incoming ones wait for our board's answer. Only what the
    other co-op needs to do the work crosses: what, where (the area, not the address), when,
    and the contact the customer chose to share."""

    class Direction(models.TextChoices):
        OUT = "out", _("passed to a sister co-op")
        IN = "in", _("passed to us")

    class Status(models.TextChoices):
        AWAITING_CONSENT = "awaiting_consent", _("waiting for the customer's consent")
        DECLINED_BY_CUSTOMER = "declined_by_customer", _("the customer said no")
        OFFERED = "offered", _("offered, waiting for an answer")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("refused")
        EXPIRED = "expired", _("no answer in time")
        DELIVERED = "delivered", _("delivered")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    commitment_id = models.URLField(max_length=URL_LENGTH, unique=True)
    offer_id = models.URLField(max_length=URL_LENGTH, blank=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    title = models.CharField(_("what"), max_length=200)
    area = models.CharField(_("area"), max_length=120, blank=True)
    wanted_at = models.DateTimeField(_("wanted at"), null=True, blank=True)
    estimate = money_field(_("estimated price"))
    currency = models.CharField(_("currency"), max_length=3)
    fee_percent = models.DecimalField(_("referral fee %"), max_digits=5, decimal_places=2)
    contact_name = models.CharField(_("customer's name"), max_length=120, blank=True)
    contact = models.CharField(_("customer's contact"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)  # the sender's
    answer = models.CharField(_("answer"), max_length=300, blank=True)  # the receiver's
    created_at = models.DateTimeField(_("made at"))
    expires_at = models.DateTimeField(_("answer due by"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    charged = money_field(_("price charged"))
    fee = money_field(_("referral fee"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(estimate__gte=0, charged__gte=0, fee__gte=0),
                name="referral_amounts_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.title


class CreditLine(models.Model):
    """Mutual credit with one sister co-op, seen from our side.

    ``balance`` is positive when they owe us. ``our_limit`` is how far they may go into our debt
    (opened by our board within the Policy's limit); ``their_limit`` is what they told us of
    theirs. ``head`` is the hash chain over completed transfers both sides compute alike."""

    peer = models.OneToOneField(Peer, on_delete=models.PROTECT, related_name="credit_line")
    currency = models.CharField(_("currency"), max_length=3)
    our_limit = money_field(_("they may owe us up to"))
    their_limit = money_field(_("we may owe them up to"))
    balance = money_field(_("balance (they owe us)"))
    head = models.CharField(_("chain head"), max_length=64)
    transfers = models.PositiveIntegerField(_("completed transfers"), default=0)
    opened_at = models.DateTimeField(_("opened at"))

    class Meta:
        verbose_name = _("credit line")
        verbose_name_plural = _("credit lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(our_limit__gte=0, their_limit__gte=0),
                name="credit_limits_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.peer} {self.balance} {self.currency}"


class CreditTransfer(models.Model):
    """A transfer of credit, proposed → accepted → completed, or rejected or expired.

    The payer chooses ``transfer_id``; a retry with the same id and amount is the same
    transfer. Completed transfers are never changed: a reversal is a new transfer the other way
    that names the one it reverses."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACCEPTED = "accepted", _("accepted")
        COMPLETED = "completed", _("completed")
        REJECTED = "rejected", _("refused")
        EXPIRED = "expired", _("expired")

    class Purpose(models.TextChoices):
        REFERRAL_FEE = "referral_fee", _("referral fee")
        TRADE = "trade", _("goods or services")
        SETTLEMENT = "settlement", _("settlement in money")

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="transfers")
    transfer_id = models.CharField(_("transfer id"), max_length=100)
    we_pay = models.BooleanField(_("we pay"))
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers"
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    expires_at = models.DateTimeField(_("to be completed by"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    head = models.CharField(_("chain head after it"), max_length=64, blank=True)
    journal = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("credit transfer")
        verbose_name_plural = _("credit transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "we_pay", "transfer_id"], name="one_transfer_per_payer_id"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="transfer_positive"),
        ]

    def __str__(self) -> str:
        return self.transfer_id


class PublishedOffer(models.Model):
    """What we last told our followers of one of our offers, so only changes are sent."""

    object_id = models.URLField(max_length=URL_LENGTH, unique=True)
    digest = models.CharField(max_length=64)
    withdrawn = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.object_id


class PublishedLearning(models.Model):
    """What we last told our followers of one of our shared courses or knowledge-base pages.

    ``stamp`` names the version of the rows the document was built from, so a round rebuilds
    (and re-encodes the pictures of) only what was edited since; ``digest`` is of the Article
    last sent, so an edit that changes nothing sends nothing. An item whose activity would be
    larger than a sister co-op's inbox takes is not sent and is marked ``too_large``: its
    followers keep the version they last had, and the page offers the file instead."""

    class Kind(models.TextChoices):
        COURSE = "course", _("course")
        PAGE = "page", _("knowledge-base page")

    kind = models.CharField(max_length=6, choices=Kind.choices)
    key = models.CharField(max_length=80)  # a course's key or a page's address
    object_id = models.URLField(max_length=URL_LENGTH, unique=True)
    stamp = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, blank=True)  # empty: never sent
    size = models.PositiveIntegerField(default=0)  # bytes of the activity last built
    too_large = models.BooleanField(default=False)
    withdrawn = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="one_publication_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
