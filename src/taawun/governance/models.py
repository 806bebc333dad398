"""Proposals, ballots and deliberation.

A proposal is opened with the decision rule then in force copied onto it, so a policy change
passed while it runs cannot change how it is decided. Who voted (``Participation``) is kept
apart from what was voted (``Ballot``): for a secret ballot nothing links the two, not even an
order or a time — both have random keys and no timestamps. One participation per member per
proposal is a database constraint: that is the one-member-one-vote rule.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taawun.coop.models import PolicyVersion
from taawun.members.models import Application, Membership


class Proposal(models.Model):
    class Kind(models.TextChoices):
        DISCUSSION = "discussion", _("discussion")
        ORDINARY = "ordinary", _("decision")
        ADMISSION = "admission", _("admission of a member")
        POLICY_CHANGE = "policy_change", _("change of the rules")
        BYLAW_CHANGE = "bylaw_change", _("change of the bylaws")
        ELECTION = "election", _("election")
        RATE = "rate", _("setting a rate")
        POLL = "poll", _("poll")

    class Status(models.TextChoices):
        DISCUSSION = "discussion", _("under discussion")
        OPEN = "open", _("voting")
        CLOSED = "closed", _("decided")
        WITHDRAWN = "withdrawn", _("withdrawn")

    number = models.PositiveIntegerField(_("number"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(pgettext_lazy("proposal", "proposed at"))
    closes_at = models.DateTimeField(_("voting closes at"), null=True, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version when opened"))
    # The decision rule in force when the vote opened (a DecisionRule document).
    rule = models.JSONField(_("decision rule"), default=dict)
    # Options of a poll or candidates of an election: [{"key": ..., "label": ...}].
    options = models.JSONField(_("options"), default=list)
    seats = models.PositiveSmallIntegerField(_("seats"), default=1)
    # An election's office: "board", or the name of a committee.
    office = models.CharField(_("office"), max_length=60, blank=True)
    # An admission vote: the application it decides.
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A recall: the mandate this decision would end.
    recall_of = models.ForeignKey(
        "Mandate", on_delete=models.PROTECT, null=True, blank=True, related_name="recalls"
    )
    # A policy change: {path: new value}; a rate: {path: null}, the value comes from the vote.
    changes = models.JSONField(_("rule changes"), default=dict)
    before = models.JSONField(_("rules before"), default=dict)
    effective_from = models.DateTimeField(_("takes effect"), null=True, blank=True)
    rollback_of = models.PositiveIntegerField(_("rolls back policy version"), null=True, blank=True)
    seed_digest = models.CharField(_("SHA-256 of the tie-break seed"), max_length=64, blank=True)
    seed = models.CharField(_("tie-break seed"), max_length=64, blank=True)  # shown when closed
    reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    eligible = models.PositiveIntegerField(_("eligible members"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, blank=True)
    result = models.JSONField(_("result"), default=dict)
    # What the author or the board writes for members once the vote is counted.
    outcome_statement = models.TextField(_("outcome statement"), blank=True)
    adopted = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        indexes = [models.Index(fields=["status", "closes_at"], name="proposal_status_closes")]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def secret(self) -> bool:
        return bool(self.rule.get("secret"))

    @property
    def method(self) -> str:
        return str(self.rule.get("method", ""))


class Participation(models.Model):
    """That a member voted on a proposal (and nothing about how)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="participations")
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="one_vote_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}:{self.member_id}"


class Ballot(models.Model):
    """What was voted. ``member`` is set only on an open ballot; ``receipt`` is the hash the
    voter keeps to find their ballot in the published list."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="ballots")
    choice = models.JSONField(_("choice"))
    receipt = models.CharField(_("receipt"), max_length=64, unique=True)
    member = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")

    def __str__(self) -> str:
        return self.receipt


class Comment(models.Model):
    """A contribution to the discussion of a proposal; replies form a thread."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    at = models.DateTimeField(_("written at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.proposal_id}:{self.pk}"


class Statement(models.Model):
    """A short statement in a proposal's opinion round, for members to agree or disagree with."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="statements")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(_("statement"), max_length=280)
    at = models.DateTimeField(_("written at"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "text"], name="statement_said_once")
        ]

    def __str__(self) -> str:
        return self.text


class StatementVote(models.Model):
    """A member's agree (1), disagree (-1) or pass (0) on a statement; they may change it."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="votes")
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    vote = models.SmallIntegerField(_("vote"))
    at = models.DateTimeField(_("voted at"))

    class Meta:
        verbose_name = _("statement vote")
        verbose_name_plural = _("statement votes")
        constraints = [
            models.UniqueConstraint(fields=["statement", "member"], name="one_say_per_statement"),
            models.CheckConstraint(
                condition=models.Q(vote__in=[-1, 0, 1]), name="statement_vote_is_a_say"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.member_id}={self.vote}"


class Mandate(models.Model):
    """A seat won in an election: held for the policy's term, unless recalled earlier."""

    BOARD = "board"

    office = models.CharField(_("office"), max_length=60)
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="mandates")
    elected_by = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="mandates")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["office", "-starts_at"]
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")

    def __str__(self) -> str:
        return f"{self.office}: {self.member_id}"


class Delegation(models.Model):
    """A member's vote handed to another member, on one kind of decision or on all ('').

    It counts only on open ballots (where the delegate's choice is known), only when the
    delegator does not vote themself, and it can be revoked at any time."""

    delegator = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="delegations_received"
    )
    kind = models.CharField(_("kind of decision"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("given at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.UniqueConstraint(
                fields=["delegator", "kind"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_delegation_per_kind",
            ),
            models.CheckConstraint(
                condition=~models.Q(delegator=models.F("delegate")), name="no_self_delegation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator_id}->{self.delegate_id} ({self.kind or '*'})"
