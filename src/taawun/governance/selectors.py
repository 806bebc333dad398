"""Every read of governance, with the permission check next to the query.

Proposals, discussions and results are the members' business: current members (and the board)
see them, nobody else. How each member voted is visible only on an open ballot; a secret
ballot's choices are published, once the vote has closed, by receipt alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role
from taawun.coop.selectors import latest_policy
from taawun.domain import decision, impact, voting
from taawun.domain.errors import InvalidInput, gettext_noop
from taawun.domain.opinion import OpinionMap, cluster_opinions
from taawun.domain.policy import Policy
from taawun.domain.policy_change import apply_changes, rules, set_rate
from taawun.ledger.selectors import expenses_between
from taawun.market.replay import orders_for_replay
from taawun.members.models import Membership
from taawun.members.selectors import current_memberships, voters
from taawun.members.selectors import membership_of as current_membership
from taawun.transparency.versioning import cached

from .models import (
    Ballot,
    Comment,
    Delegation,
    Mandate,
    Participation,
    Proposal,
    Statement,
    StatementVote,
)

OPEN = (Proposal.Status.OPEN, Proposal.Status.DISCUSSION)


def may_see(viewer: User) -> bool:
    return viewer.is_authenticated and (
        current_memberships().filter(user=viewer).exists() or has_role(viewer, Role.BOARD)
    )


def _require_member(viewer: User) -> None:
    if not may_see(viewer):
        raise Http404


def proposals(viewer: User, *, status: str = "") -> QuerySet[Proposal]:
    """Proposals newest first, optionally only open (voting or under discussion) or closed."""
    _require_member(viewer)
    found = Proposal.objects.annotate(voted=Count("participations")).select_related("author")
    if status == "open":
        found = found.filter(status__in=OPEN)
    elif status == "closed":
        found = found.exclude(status__in=OPEN)
    return found


def access_proposal_or_404(viewer: User, number: int) -> Proposal:
    _require_member(viewer)
    proposal = Proposal.objects.select_related("author", "adopted").filter(number=number).first()
    if proposal is None:
        raise Http404
    return proposal


def voting_membership(viewer: User) -> Membership | None:
    return voters().filter(user=viewer).first() if viewer.is_authenticated else None


def has_voted(viewer: User, proposal: Proposal) -> bool:
    return Participation.objects.filter(proposal=proposal, member__user=viewer).exists()


def may_vote(viewer: User, proposal: Proposal) -> bool:
    """Whether the viewer may still vote on ``proposal`` (a voter who has not voted yet)."""
    return (
        proposal.status == Proposal.Status.OPEN
        and voting_membership(viewer) is not None
        and not has_voted(viewer, proposal)
    )


def waiting_for(viewer: User) -> QuerySet[Proposal]:
    """Open votes the viewer may vote on and has not (for their home page)."""
    member = voting_membership(viewer)
    if member is None:
        return Proposal.objects.none()
    return Proposal.objects.filter(status=Proposal.Status.OPEN).exclude(
        participations__member=member
    )


@dataclass(frozen=True)
class Change:
    path: str
    before: Any
    after: Any


def changes_of(proposal: Proposal) -> list[Change]:
    """The rules a policy change or rate changes, as they were and as proposed."""
    return [Change(p, proposal.before.get(p), v) for p, v in proposal.changes.items()]


def current_values(proposal: Proposal) -> dict[str, Any]:
    """The changed rules as the newest policy version has them (to show a change is stale)."""
    found = rules(latest_policy().policy)
    return {path: found.get(path) for path in proposal.changes}


def published_ballots(viewer: User, proposal: Proposal) -> list[Ballot]:
    """Every ballot of a closed vote, in receipt order (which says nothing about who or
    when); on an open ballot, with the member who cast it."""
    _require_member(viewer)
    if proposal.status != Proposal.Status.CLOSED:
        return []
    return list(
        Ballot.objects.filter(proposal=proposal).select_related("member").order_by("receipt")
    )


def find_ballot(viewer: User, receipt: str) -> Ballot | None:
    """The ballot with ``receipt``, once its vote has closed."""
    _require_member(viewer)
    text = receipt.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        return None
    return (
        Ballot.objects.select_related("proposal")
        .filter(receipt=text, proposal__status=Proposal.Status.CLOSED)
        .first()
    )


def blt(viewer: User, proposal: Proposal) -> str:
    """A closed ranked vote's ballots in BLT form, for anyone who wants to count it again."""
    ballots = published_ballots(viewer, proposal)
    if proposal.method not in ("ranked", "stv") or not ballots:
        raise Http404
    keys = [o["key"] for o in proposal.options]
    index = {key: i for i, key in enumerate(keys)}
    width = max(len(b.choice) for b in ballots)
    table = np.full((len(ballots), width), -1, dtype=np.int32)
    for row, ballot in enumerate(ballots):
        table[row, : len(ballot.choice)] = [index[k] for k in ballot.choice]
    labels = [o["label"] for o in proposal.options]
    return voting.to_blt(
        voting.ranked_ballots(labels, table), seats=proposal.seats, title=proposal.title
    )


@dataclass(frozen=True)
class ThreadedComment:
    comment: Comment
    depth: int


def discussion(proposal: Proposal) -> list[ThreadedComment]:
    """The comments in thread order: each followed by its replies, depth-first."""
    comments = list(Comment.objects.filter(proposal=proposal).select_related("author"))
    children: dict[int | None, list[Comment]] = {}
    for c in comments:
        children.setdefault(c.parent_id, []).append(c)
    ordered: list[ThreadedComment] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        comment, depth = stack.pop()
        ordered.append(ThreadedComment(comment, depth))
        stack += [(c, depth + 1) for c in reversed(children.get(comment.pk, []))]
    return ordered


@dataclass(frozen=True)
class StatementRow:
    statement: Statement
    agree: int
    disagree: int
    passed: int
    mine: int | None


def statements(viewer: User, proposal: Proposal) -> list[StatementRow]:
    """The opinion round's statements with their counts and the viewer's own say."""
    _require_member(viewer)
    mine = dict(
        StatementVote.objects.filter(statement__proposal=proposal, member__user=viewer).values_list(
            "statement_id", "vote"
        )
    )
    found = Statement.objects.filter(proposal=proposal).annotate(
        agree=Count("votes", filter=Q(votes__vote=1)),
        disagree=Count("votes", filter=Q(votes__vote=-1)),
        passed=Count("votes", filter=Q(votes__vote=0)),
    )
    return [StatementRow(s, s.agree, s.disagree, s.passed, mine.get(s.pk)) for s in found]


def members_to_elect(viewer: User) -> list[tuple[int, str]]:
    """Current members by number with their names, for choosing an election's candidates."""
    _require_member(viewer)
    found = current_memberships().select_related("user").order_by("number")
    return [(m.number, m.user.get_full_name()) for m in found]


@dataclass(frozen=True)
class OpinionGroups:
    """A proposal's opinion map and what its indices stand for: ``statements[i]`` is statement
    ``i``; participants are anonymous, in an order keyed by the site's secret rather than by who
    they are, and ``you`` is the viewer's own index when they took part."""

    map: OpinionMap
    statements: list[Statement]
    you: int | None


def opinion_groups(viewer: User, proposal: Proposal) -> OpinionGroups | None:
    """The opinion groups of a proposal's statements, or None before anyone has said anything."""
    _require_member(viewer)
    said = list(
        StatementVote.objects.filter(statement__proposal=proposal).values_list(
            "member_id", "statement_id", "vote"
        )
    )
    if not said:
        return None
    listed = list(Statement.objects.filter(proposal=proposal))
    statement_index = {s.pk: i for i, s in enumerate(listed)}
    members = sorted(
        {member for member, _statement, _vote in said},
        key=lambda member: salted_hmac(
            "governance.opinions", f"{proposal.number}:{member}"
        ).hexdigest(),
    )
    member_index = {member: i for i, member in enumerate(members)}
    columns = np.array(
        [(member_index[m], statement_index[s], vote) for m, s, vote in said], dtype=np.int64
    )
    found = cluster_opinions(
        columns[:, 0],
        columns[:, 1],
        columns[:, 2],
        participant_count=len(members),
        statement_count=len(listed),
    )
    mine = current_memberships().filter(user=viewer).values_list("pk", flat=True).first()
    return OpinionGroups(found, listed, member_index.get(mine) if mine is not None else None)


PREVIEW_WEEKS = 8
MAX_PREVIEW_WEEKS = 52


@dataclass(frozen=True)
class ImpactView:
    """A proposal's impact preview, with the viewer's own line picked out (other members'
    changes are shown without names)."""

    preview: impact.ImpactPreview
    weeks: int
    mine: impact.MemberImpact | None


def proposed_policy(proposal: Proposal, value: str | None = None) -> Policy | None:
    """The newest policy with the proposal's change made (a rate at ``value``); None when the
    proposal changes no rule or its change no longer applies."""
    latest = latest_policy().policy
    try:
        if proposal.kind == Proposal.Kind.RATE:
            if value is None:
                return None
            return set_rate(latest, next(iter(proposal.changes)), value)
        if not proposal.changes:
            return None
        return apply_changes(latest, proposal.changes)
    except InvalidInput:
        return None


def impact_of(
    viewer: User, proposal: Proposal, *, weeks: int = PREVIEW_WEEKS, value: str | None = None
) -> ImpactView | None:
    """Replay the last ``weeks`` weeks of paid orders under the newest policy and under the
    proposed one (``domain.impact``), with the co-op's expenses of those weeks."""
    _require_member(viewer)
    proposed = proposed_policy(proposal, value)
    if proposed is None:
        return None
    weeks = min(max(int(weeks), 1), MAX_PREVIEW_WEEKS)
    now = timezone.now()

    def replay() -> impact.ImpactPreview:
        since = now - dt.timedelta(weeks=weeks)
        return impact.preview(
            latest_policy().policy,
            proposed,
            orders_for_replay(since=since),
            expenses=expenses_between(timezone.localdate(since), timezone.localdate(now)),
        )

    found = cached(f"impact:{proposal.number}:{weeks}:{value}", replay, timeout=3600)
    member = current_membership(viewer)  # a worker without a vote sees their change too
    mine = next((m for m in found.members if member and m.member == member.pk), None)
    return ImpactView(found, weeks, mine)


def previewable(proposal: Proposal) -> bool:
    """Whether the proposal has an impact preview: a change of rules or a rate being voted on.
    Once decided, an adopted change is part of the rules it would be compared with."""
    return bool(proposal.changes) and proposal.status == Proposal.Status.OPEN


def rate_value_to_preview(proposal: Proposal, value: str) -> str:
    """A rate's value to preview, written as a ballot stores it; refused, with the rule it
    breaks, when members could not set the rate to it."""
    try:
        wanted = decision.number_text(value)
    except InvalidInput:
        raise InvalidInput(
            "bad_preview_value", gettext_noop("Type a number, such as 8 or 9.5.")
        ) from None
    set_rate(latest_policy().policy, next(iter(proposal.changes)), wanted)  # refuses, or fits
    return wanted


@dataclass(frozen=True)
class Delegations:
    """A member's live delegations: those they gave and those given to them."""

    allowed: bool
    """Whether the newest rules let members delegate their vote."""
    given: list[Delegation]
    received: list[Delegation]


def delegations(viewer: User) -> Delegations:
    _require_member(viewer)
    live = Delegation.objects.filter(revoked_at__isnull=True).select_related(
        "delegator__user", "delegate__user"
    )
    return Delegations(
        allowed=latest_policy().policy.governance.delegation,
        given=list(live.filter(delegator__user=viewer)),
        received=list(live.filter(delegate__user=viewer).order_by("delegator__number")),
    )


def possible_delegates(viewer: User) -> list[tuple[int, str]]:
    """The other members with a vote, by number with their names: whom a vote can go to."""
    _require_member(viewer)
    found = voters().exclude(user=viewer).select_related("user").order_by("number")
    return [(m.number, m.user.get_full_name()) for m in found]


def mandates(viewer: User) -> QuerySet[Mandate]:
    """Every mandate, by office and newest first, with its holder and the decisions that gave
    and ended it."""
    _require_member(viewer)
    return Mandate.objects.select_related("member__user", "elected_by", "ended_by")


def open_recalls(viewer: User) -> dict[int, int]:
    """Mandate id to the number of the recall being voted on for it."""
    _require_member(viewer)
    found = Proposal.objects.filter(status=Proposal.Status.OPEN, recall_of__isnull=False)
    return dict(found.values_list("recall_of_id", "number"))
