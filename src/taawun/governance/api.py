"""JSON endpoints of governance under ``/api/governance``: proposals, their impact preview and
outcome statement, ballots, the published ballots and their BLT form, receipts, the discussion
and the opinion round, delegations and mandates. Each calls one action or selector; reads of
proposals and mandates first close the votes and terms whose time is up.

A ballot needs no ``Idempotency-Key``: a member's second ballot is refused (409), so a retried
request cannot count twice."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, cast

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import AwareDatetime, Field, StringConstraints

from taawun.accounts.models import User
from taawun.apikeys.schemas import (
    ERRORS,
    MAX_ID,
    MAX_NUMBER,
    TEXT_PATTERN,
    CurrencyCode,
    Input,
    MoneyText,
    PositiveNumber,
    RecordId,
    SafeText,
    WholeNumber,
    money_text,
)
from taawun.domain.errors import DomainError, InvalidInput, NotFound, gettext_noop
from taawun.domain.explanation import Line
from taawun.domain.impact import Figures, MemberOutcome, Outcome
from taawun.domain.money import Money

from . import actions, selectors
from .actions import MAX_OPTIONS
from .models import Ballot, Delegation, Mandate, Proposal
from .results import current_proposal

router = Router(tags=["governance"])

# Pydantic's strict mode (the house default) takes no text for a time; this takes ISO text.
Moment = Annotated[AwareDatetime, Field(strict=False, examples=["2030-04-01T00:00:00+03:00"])]
RulePath = Annotated[str, StringConstraints(max_length=120)]  # the action names an unknown one
Word = Annotated[str, StringConstraints(max_length=120, pattern=TEXT_PATTERN)]
RuleValue = (
    Annotated[str, StringConstraints(max_length=500, pattern=TEXT_PATTERN)] | WholeNumber | bool
)
OptionKey = Annotated[str, StringConstraints(max_length=60)]
VotingKind = Literal[
    "ordinary", "admission", "policy_change", "bylaw_change", "election", "rate", "poll"
]
Choice = (
    Annotated[str, StringConstraints(max_length=60)]
    | WholeNumber
    | list[OptionKey]
    | dict[OptionKey, WholeNumber]
)


def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


def _number() -> Any:
    return Path(..., ge=1, le=MAX_NUMBER, description="The proposal's number")


# --- Schemas -------------------------------------------------------------------------------


class ProposalOptionOut(Schema):
    key: str
    label: str


class VoteResultOut(Schema):
    """A closed vote's count. ``explanation`` is in the request's language; ``counts``,
    ``rounds`` and ``ties`` name options by their keys."""

    outcome: str
    participants: int
    eligible: int
    explanation: list[str]
    counts: dict[str, Any]
    winners: list[str]
    value: str | None
    rounds: list[dict[str, Any]]
    ties: list[dict[str, Any]]
    not_applied: str | None = Field(
        description="Why a passed change was not applied (a rule changed meanwhile), if so."
    )


class GovernanceProposalOut(Schema):
    number: int
    kind: str
    status: Literal["discussion", "open", "closed", "withdrawn"]
    title: str
    body: str
    author: str
    created_at: dt.datetime
    closes_at: dt.datetime | None
    closed_at: dt.datetime | None
    policy_version: int = Field(description="The policy version in force when it was opened.")
    method: str = Field(description="How the vote is counted; empty for a discussion.")
    rule: dict[str, Any] = Field(description="The decision rule copied when the vote opened.")
    options: list[ProposalOptionOut]
    seats: int
    changes: dict[str, Any] = Field(description="Rule path to proposed value (none: a rate).")
    before: dict[str, Any]
    effective_from: dt.datetime | None
    rollback_of: int | None
    seed_sha256: str
    seed: str | None = Field(description="The tie-break seed, published when the vote closes.")
    votes_cast: int
    adopted_version: int | None
    result: VoteResultOut | None
    outcome_statement: str = Field(
        description="What was decided and what happens next, in the words of the author or "
        "the board; empty until one of them writes it."
    )


class GovernanceProposalIn(Input):
    """The fields of the proposal form; the action uses those of the kind chosen."""

    kind: Literal[
        "discussion", "ordinary", "policy_change", "bylaw_change", "rate", "poll", "election"
    ]
    title: SafeText = Field(max_length=200)
    body: SafeText = Field(default="", max_length=20000)
    changes: dict[RulePath, RuleValue | list[Word]] = Field(
        default_factory=dict,
        max_length=50,
        description='A policy change: rule path to new value, e.g. {"fees.coop_fee_percent": "8"}.',
    )
    rate_rule: RulePath = Field(default="", description="A rate: the numeric rule to set.")
    options: list[Word] = Field(default_factory=list, max_length=MAX_OPTIONS)
    candidates: list[PositiveNumber] = Field(
        default_factory=list, max_length=MAX_OPTIONS, description="Member numbers."
    )
    seats: WholeNumber = Field(default=1, ge=1, le=MAX_OPTIONS)
    effective_from: Moment | None = None
    rollback_of: PositiveNumber | None = Field(
        default=None, description="Propose again the rules this policy version replaced."
    )
    office: SafeText = Field(
        default="board",
        max_length=60,
        description='An election: the office, "board" or the name of a committee.',
    )
    recall_of: RecordId | None = Field(
        default=None, description="An ordinary decision recalling this mandate (its id)."
    )


class BallotIn(Input):
    choice: Choice = Field(
        description="A position (yes, no, abstain; agree, abstain, disagree, block); a number "
        "as text for a rate; a list of option keys (approval; ranked and STV, best first); or "
        "option key to points (score 0-5, dots 8 in all).",
        examples=["yes"],
    )


class BallotReceiptOut(Schema):
    receipt: str = Field(description="Keep it: it finds your ballot once the vote closes.")


class BallotOut(Schema):
    proposal: int
    receipt: str
    choice: Any
    member: int | None = Field(description="The voter's member number, on an open ballot only.")


class CommentIn(Input):
    body: SafeText = Field(max_length=5000)
    parent: RecordId | None = None


class CommentOut(Schema):
    id: int
    parent: int | None
    author: str
    body: str
    at: dt.datetime
    depth: int


class OpinionStatementIn(Input):
    text: SafeText = Field(max_length=280)


class OpinionSayIn(Input):
    vote: Literal[-1, 0, 1] = Field(description="1 agree, -1 disagree, 0 pass.")


class OpinionStatementOut(Schema):
    id: int
    text: str
    agree: int
    disagree: int
    passed: int
    mine: int | None


class OpinionRepresentativeOut(Schema):
    statement: int
    direction: Literal["agree", "disagree"]
    agreed: int
    disagreed: int
    seen: int
    group_ratio: float
    rest_ratio: float
    z_score: float


class OpinionGroupOut(Schema):
    members: list[int]
    centre: tuple[float, float]
    representatives: list[OpinionRepresentativeOut]


class OpinionConsensusOut(Schema):
    statement: int
    score: float


class OpinionsOut(Schema):
    """Participants are anonymous indices; ``you`` is the caller's own, if they responded."""

    positions: list[tuple[float, float]]
    groups: list[OpinionGroupOut]
    unclustered: list[int]
    consensus_agree: list[OpinionConsensusOut]
    consensus_disagree: list[OpinionConsensusOut]
    you: int | None


class GovernanceOutcomeIn(Input):
    text: SafeText = Field(max_length=5000)


class GovernanceImpactQuery(Schema):
    weeks: int = Field(
        default=selectors.PREVIEW_WEEKS,
        ge=1,
        le=selectors.MAX_PREVIEW_WEEKS,
        description="How many weeks back to replay.",
    )
    value: str | None = Field(
        default=None, max_length=30, description="A rate: the value to preview, e.g. 8.5."
    )


class GovernanceImpactFiguresOut(Schema):
    """Money figures of the replayed orders (or their change), exact text in the currency."""

    orders: int = Field(description="Orders charged.")
    price: MoneyText = Field(description="Taxes included, tips excluded.")
    tax: MoneyText
    coop_fee: MoneyText
    solidarity: MoneyText = Field(description="The solidarity shares of the prices.")
    worker_share: MoneyText
    tip: MoneyText
    paid: MoneyText = Field(description="What customers paid, tips included.")
    earned: MoneyText = Field(description="What workers earned, tips included.")


class GovernanceSurplusSplitOut(Schema):
    reserve: MoneyText
    education: MoneyText
    solidarity: MoneyText
    dividends: MoneyText = Field(description="To members as patronage dividends.")


class GovernanceImpactSideOut(Schema):
    """What the replayed weeks come to under one set of rules."""

    totals: GovernanceImpactFiguresOut
    surplus: MoneyText = Field(description="The co-op's fees less the weeks' expenses.")
    surplus_split: GovernanceSurplusSplitOut | None = Field(
        description="None when there is no surplus to share."
    )
    top_ups: MoneyText = Field(description="Earnings-floor top-ups, paid from top_up_fund.")
    top_up_fund: str
    solidarity_fund: MoneyText = Field(
        description="Net into the solidarity fund: its shares and part of the surplus, less "
        "the top-ups it pays."
    )
    gini: str | None = Field(description="Of earnings per active hour; none without hours.")
    p10_over_mean: str | None


class GovernanceFloorCheckOut(Schema):
    hourly: MoneyText | None = Field(description="The earnings floor per active hour judged by.")
    below_now: int
    below_proposed: int
    pushed_below: int = Field(description="Members above the floor now and below it proposed.")


class GovernanceMemberSideOut(Schema):
    earned: MoneyText
    per_hour: str | None
    below_floor: bool
    top_up: MoneyText
    dividend: MoneyText


class GovernanceMemberImpactOut(Schema):
    """The caller's own work in the replayed weeks."""

    hours: str
    current: GovernanceMemberSideOut
    proposed: GovernanceMemberSideOut
    change: MoneyText = Field(description="The change in what they earned.")


class GovernanceImpactOut(Schema):
    """The weeks' paid orders replayed under the newest rules and under the proposed ones.
    ``explanation``, ``warnings`` and ``not_replayed`` are in the request's language."""

    proposal: int
    weeks: int
    value: str | None = Field(description="A rate: the value previewed.")
    currency: CurrencyCode
    first_day: dt.date | None
    last_day: dt.date | None
    left_out: int = Field(description="Orders one of the two sets of rules cannot price.")
    current: GovernanceImpactSideOut
    proposed: GovernanceImpactSideOut
    change: GovernanceImpactFiguresOut
    floor: GovernanceFloorCheckOut
    mine: GovernanceMemberImpactOut | None
    earnings_changes: list[MoneyText] = Field(
        description="Every member's change in earnings, lowest first, without names."
    )
    explanation: list[str]
    warnings: list[str]
    not_replayed: list[str]


class GovernanceDelegationIn(Input):
    to_member: PositiveNumber = Field(description="The member number of the delegate.")
    kind: VotingKind | Literal[""] = Field(
        default="", description="The kind of decision; empty for all."
    )


class GovernanceDelegationOut(Schema):
    id: int
    kind: str = Field(description="The kind of decision; empty for all.")
    delegator: int = Field(description="Member number.")
    delegator_name: str
    delegate: int = Field(description="Member number.")
    delegate_name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class GovernanceDelegationsOut(Schema):
    allowed: bool = Field(description="Whether the newest rules let members delegate.")
    given: list[GovernanceDelegationOut] = Field(description="Mine, in force.")
    received: list[GovernanceDelegationOut] = Field(description="To me, in force.")


class GovernanceMandateOut(Schema):
    id: int
    office: str = Field(description='"board" or the name of a committee.')
    member: int = Field(description="Member number.")
    name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    ended_at: dt.datetime | None = Field(description="None while it is in force.")
    elected_by: int = Field(description="The number of the election.")
    ended_by: int | None = Field(description="The number of the recall that ended it, if any.")


class ProposalStatusIn(Schema):
    status: Literal["", "open", "closed"] = Field(
        default="", description="open: voting or under discussion; closed: decided or withdrawn."
    )


# --- Shaping -------------------------------------------------------------------------------


def _translated(message: str, params: dict[str, str]) -> str:
    return gettext(message) % params if params else gettext(message)


def _result(proposal: Proposal) -> VoteResultOut | None:
    if proposal.status != Proposal.Status.CLOSED:
        return None
    stored = proposal.result
    not_applied = stored.get("not_applied")
    return VoteResultOut(
        outcome=proposal.outcome,
        participants=stored["participants"],
        eligible=stored["eligible"],
        explanation=[_translated(m, p) for m, p in stored["explanation"]],
        counts=stored["counts"],
        winners=stored["winners"],
        value=stored["value"],
        rounds=stored["rounds"],
        ties=stored["ties"],
        not_applied=_translated(*not_applied) if not_applied else None,
    )


def _out(proposal: Proposal, votes_cast: int) -> GovernanceProposalOut:
    closed = proposal.status == Proposal.Status.CLOSED
    return GovernanceProposalOut(
        number=proposal.number,
        kind=proposal.kind,
        status=cast(Any, proposal.status),
        title=proposal.title,
        body=proposal.body,
        author=proposal.author.get_full_name(),
        created_at=proposal.created_at,
        closes_at=proposal.closes_at,
        closed_at=proposal.closed_at,
        policy_version=proposal.policy_version,
        method=proposal.method,
        rule=proposal.rule,
        options=[ProposalOptionOut(**o) for o in proposal.options],
        seats=proposal.seats,
        changes=proposal.changes,
        before=proposal.before,
        effective_from=proposal.effective_from,
        rollback_of=proposal.rollback_of,
        seed_sha256=proposal.seed_digest,
        seed=proposal.seed if closed else None,
        votes_cast=votes_cast,
        adopted_version=proposal.adopted.number if proposal.adopted else None,
        result=_result(proposal),
        outcome_statement=proposal.outcome_statement,
    )


def _money(amount: Money) -> str:
    return money_text(amount.amount, amount.currency)


def _lines(lines: tuple[Line, ...]) -> list[str]:
    return [_translated(line.message, dict(line.params)) for line in lines]


def _figures_out(figures: Figures) -> GovernanceImpactFiguresOut:
    return GovernanceImpactFiguresOut(
        orders=figures.orders,
        price=_money(figures.price),
        tax=_money(figures.tax),
        coop_fee=_money(figures.coop_fee),
        solidarity=_money(figures.solidarity),
        worker_share=_money(figures.worker_share),
        tip=_money(figures.tip),
        paid=_money(figures.paid),
        earned=_money(figures.earned),
    )


def _side_out(outcome: Outcome) -> GovernanceImpactSideOut:
    split = outcome.allocation
    summary = outcome.spread.summary if outcome.spread else None
    return GovernanceImpactSideOut(
        totals=_figures_out(outcome.totals),
        surplus=_money(outcome.member_surplus),
        surplus_split=GovernanceSurplusSplitOut(
            reserve=_money(split.reserve),
            education=_money(split.education),
            solidarity=_money(split.solidarity),
            dividends=_money(split.pool),
        )
        if split
        else None,
        top_ups=_money(outcome.top_ups),
        top_up_fund=outcome.top_up_fund,
        solidarity_fund=_money(outcome.solidarity_fund),
        gini=str(summary.gini) if summary else None,
        p10_over_mean=str(summary.p10_over_mean) if summary else None,
    )


def _member_side_out(outcome: MemberOutcome) -> GovernanceMemberSideOut:
    return GovernanceMemberSideOut(
        earned=_money(outcome.figures.earned),
        per_hour=None if outcome.per_hour is None else str(outcome.per_hour),
        below_floor=outcome.below_floor,
        top_up=_money(outcome.top_up),
        dividend=_money(outcome.dividend),
    )


def _impact_out(number: int, view: selectors.ImpactView, value: str | None) -> GovernanceImpactOut:
    preview, mine = view.preview, view.mine
    return GovernanceImpactOut(
        proposal=number,
        weeks=view.weeks,
        value=value,
        currency=preview.currency,
        first_day=preview.first_day,
        last_day=preview.last_day,
        left_out=preview.left_out,
        current=_side_out(preview.current),
        proposed=_side_out(preview.proposed),
        change=_figures_out(preview.change),
        floor=GovernanceFloorCheckOut(
            hourly=_money(preview.floor.hourly) if preview.floor.hourly else None,
            below_now=preview.floor.below_now,
            below_proposed=preview.floor.below_proposed,
            pushed_below=len(preview.floor.pushed_below),
        ),
        mine=GovernanceMemberImpactOut(
            hours=str(mine.hours),
            current=_member_side_out(mine.current),
            proposed=_member_side_out(mine.proposed),
            change=_money(mine.earnings_change),
        )
        if mine
        else None,
        earnings_changes=[
            _money(change) for change in sorted(m.earnings_change for m in preview.members)
        ],
        explanation=_lines(preview.explanation),
        warnings=_lines(preview.warnings),
        not_replayed=_lines(preview.not_replayed),
    )


def _delegation_out(given: Delegation) -> GovernanceDelegationOut:
    return GovernanceDelegationOut(
        id=given.pk,
        kind=given.kind,
        delegator=given.delegator.number,
        delegator_name=given.delegator.user.get_full_name(),
        delegate=given.delegate.number,
        delegate_name=given.delegate.user.get_full_name(),
        created_at=given.created_at,
        revoked_at=given.revoked_at,
    )


def _mandate_out(mandate: Mandate) -> GovernanceMandateOut:
    return GovernanceMandateOut(
        id=mandate.pk,
        office=mandate.office,
        member=mandate.member.number,
        name=mandate.member.user.get_full_name(),
        starts_at=mandate.starts_at,
        ends_at=mandate.ends_at,
        ended_at=mandate.ended_at,
        elected_by=mandate.elected_by.number,
        ended_by=mandate.ended_by.number if mandate.ended_by else None,
    )


def _ballot_out(ballot: Ballot, number: int) -> BallotOut:
    return BallotOut(
        proposal=number,
        receipt=ballot.receipt,
        choice=ballot.choice,
        member=ballot.member.number if ballot.member else None,
    )


# --- Proposals and ballots -----------------------------------------------------------------


@router.get(
    "/proposals",
    response={200: list[GovernanceProposalOut], **ERRORS},
    summary="Proposals, newest first (members and the board)",
)
def list_proposals(
    request: HttpRequest, filters: Query[ProposalStatusIn]
) -> list[GovernanceProposalOut]:
    found = selectors.proposals(_actor(request), status=filters.status)
    actions.run_due()
    return [_out(p, p.voted) for p in found.select_related("adopted")]  # type: ignore[attr-defined]


@router.post(
    "/proposals",
    response={201: GovernanceProposalOut, **ERRORS},
    summary="Open a discussion or a vote (a member with a vote)",
)
def create_proposal(
    request: HttpRequest, payload: GovernanceProposalIn
) -> Status[GovernanceProposalOut]:
    made = actions.propose(actor=_actor(request), **payload.model_dump())
    return Status(201, _out(made, 0))


@router.get(
    "/proposals/{number}",
    response={200: GovernanceProposalOut, **ERRORS},
    summary="One proposal, with its result once voting has closed",
)
def get_proposal(request: HttpRequest, number: int = _number()) -> GovernanceProposalOut:
    found = current_proposal(_actor(request), number)
    return _out(found, found.participations.count())


@router.post(
    "/proposals/{number}/withdraw",
    response={200: GovernanceProposalOut, **ERRORS},
    summary="Withdraw a proposal nobody has voted on (its author or the board)",
)
def withdraw_governance_proposal(
    request: HttpRequest, number: int = _number()
) -> GovernanceProposalOut:
    actions.withdraw(actor=_actor(request), number=number)
    return _out(selectors.access_proposal_or_404(_actor(request), number), 0)


@router.get(
    "/proposals/{number}/impact",
    response={200: GovernanceImpactOut, **ERRORS},
    summary="What a change of the rules or a rate being voted on would have done lately",
)
def impact_preview(
    request: HttpRequest, filters: Query[GovernanceImpactQuery], number: int = _number()
) -> GovernanceImpactOut:
    viewer = _actor(request)
    found = current_proposal(viewer, number)
    if not selectors.previewable(found):
        raise NotFound(
            "no_impact_preview",
            gettext_noop("Only a change of the rules or a rate being voted on has a preview."),
        )
    value = None
    if found.kind == Proposal.Kind.RATE:
        if not filters.value:
            raise InvalidInput(
                "preview_value_needed", gettext_noop("Give the value of the rate to preview.")
            )
        value = selectors.rate_value_to_preview(found, filters.value)
    view = selectors.impact_of(viewer, found, weeks=filters.weeks, value=value)
    if view is None:
        raise DomainError(
            "change_no_longer_fits",
            gettext_noop(
                "This change no longer fits the rules as they are now, so it cannot be replayed."
            ),
        )
    return _impact_out(number, view, value)


@router.put(
    "/proposals/{number}/outcome",
    response={200: GovernanceProposalOut, **ERRORS},
    summary="Write or replace a decided proposal's outcome statement (its author or the board)",
)
def state_outcome(
    request: HttpRequest, payload: GovernanceOutcomeIn, number: int = _number()
) -> GovernanceProposalOut:
    stated = actions.state_outcome(actor=_actor(request), number=number, text=payload.text)
    return _out(stated, stated.participations.count())


@router.post(
    "/proposals/{number}/ballots",
    response={201: BallotReceiptOut, **ERRORS},
    summary="Vote, once; returns the receipt that finds the ballot when the vote closes",
)
def cast_ballot(
    request: HttpRequest, payload: BallotIn, number: int = _number()
) -> Status[BallotReceiptOut]:
    receipt = actions.cast_ballot(actor=_actor(request), number=number, choice=payload.choice)
    return Status(201, BallotReceiptOut(receipt=receipt))


@router.get(
    "/proposals/{number}/ballots",
    response={200: list[BallotOut], **ERRORS},
    summary="Every ballot of a closed vote, by receipt (empty while voting is open)",
)
def published_ballots(request: HttpRequest, number: int = _number()) -> list[BallotOut]:
    viewer = _actor(request)
    return [
        _ballot_out(b, number)
        for b in selectors.published_ballots(viewer, current_proposal(viewer, number))
    ]


@router.get(
    "/proposals/{number}/ballots.blt",
    response={200: None, **ERRORS},
    summary="A closed ranked vote's ballots in BLT form, to count again",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The ballots in BLT form.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        }
    },
)
def ballots_blt(request: HttpRequest, number: int = _number()) -> HttpResponse:
    viewer = _actor(request)
    text = selectors.blt(viewer, current_proposal(viewer, number))
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@router.get(
    "/receipts/{receipt}",
    response={200: BallotOut, **ERRORS},
    summary="Find a ballot by its receipt, once its vote has closed",
)
def find_ballot(
    request: HttpRequest, receipt: str = Path(..., pattern=r"^[0-9a-fA-F]{64}$")
) -> BallotOut:
    viewer = _actor(request)
    if not selectors.may_see(viewer):
        raise Http404
    actions.run_due()
    found = selectors.find_ballot(viewer, receipt)
    if found is None:
        raise NotFound(
            "no_such_ballot", gettext_noop("No ballot of a closed vote has this receipt.")
        )
    return _ballot_out(found, found.proposal.number)


# --- Discussion and the opinion round ------------------------------------------------------


@router.get(
    "/proposals/{number}/comments",
    response={200: list[CommentOut], **ERRORS},
    summary="The discussion, in thread order",
)
def list_comments(request: HttpRequest, number: int = _number()) -> list[CommentOut]:
    found = selectors.access_proposal_or_404(_actor(request), number)
    return [
        CommentOut(
            id=t.comment.pk,
            parent=t.comment.parent_id,
            author=t.comment.author.get_full_name(),
            body=t.comment.body,
            at=t.comment.at,
            depth=t.depth,
        )
        for t in selectors.discussion(found)
    ]


@router.post(
    "/proposals/{number}/comments",
    response={201: CommentOut, **ERRORS},
    summary="Comment on a proposal, or reply to a comment (a member)",
)
def add_comment(
    request: HttpRequest, payload: CommentIn, number: int = _number()
) -> Status[CommentOut]:
    made = actions.comment(
        actor=_actor(request), number=number, body=payload.body, parent=payload.parent
    )
    depth = next(t.depth for t in selectors.discussion(made.proposal) if t.comment.pk == made.pk)
    return Status(
        201,
        CommentOut(
            id=made.pk,
            parent=made.parent_id,
            author=made.author.get_full_name(),
            body=made.body,
            at=made.at,
            depth=depth,
        ),
    )


def _statements(viewer: User, proposal: Proposal) -> list[OpinionStatementOut]:
    return [
        OpinionStatementOut(
            id=row.statement.pk,
            text=row.statement.text,
            agree=row.agree,
            disagree=row.disagree,
            passed=row.passed,
            mine=row.mine,
        )
        for row in selectors.statements(viewer, proposal)
    ]


@router.get(
    "/proposals/{number}/statements",
    response={200: list[OpinionStatementOut], **ERRORS},
    summary="The opinion round's statements, their counts and my own response",
)
def list_statements(request: HttpRequest, number: int = _number()) -> list[OpinionStatementOut]:
    viewer = _actor(request)
    return _statements(viewer, selectors.access_proposal_or_404(viewer, number))


@router.post(
    "/proposals/{number}/statements",
    response={201: OpinionStatementOut, **ERRORS},
    summary="Add a statement to the opinion round (a member)",
)
def add_statement(
    request: HttpRequest, payload: OpinionStatementIn, number: int = _number()
) -> Status[OpinionStatementOut]:
    made = actions.add_statement(actor=_actor(request), number=number, text=payload.text)
    return Status(
        201,
        OpinionStatementOut(id=made.pk, text=made.text, agree=0, disagree=0, passed=0, mine=None),
    )


@router.post(
    "/statements/{statement_id}/say",
    response={200: list[OpinionStatementOut], **ERRORS},
    summary="Agree, disagree or pass on a statement; a later response replaces the earlier",
)
def say(
    request: HttpRequest, payload: OpinionSayIn, statement_id: int = Path(..., ge=1, le=MAX_ID)
) -> list[OpinionStatementOut]:
    viewer = _actor(request)
    given = actions.say(actor=viewer, statement=statement_id, vote=payload.vote)
    return _statements(viewer, given.statement.proposal)


@router.get(
    "/proposals/{number}/opinions",
    response={200: OpinionsOut, **ERRORS},
    summary="The opinion groups of the statements' responses (participants anonymous)",
)
def opinion_groups(request: HttpRequest, number: int = _number()) -> OpinionsOut:
    viewer = _actor(request)
    found = selectors.opinion_groups(viewer, selectors.access_proposal_or_404(viewer, number))
    if found is None:
        return OpinionsOut(
            positions=[],
            groups=[],
            unclustered=[],
            consensus_agree=[],
            consensus_disagree=[],
            you=None,
        )
    ids = [s.pk for s in found.statements]
    opinion_map = found.map
    return OpinionsOut(
        positions=list(opinion_map.positions),
        groups=[
            OpinionGroupOut(
                members=list(g.members),
                centre=g.centre,
                representatives=[
                    OpinionRepresentativeOut(
                        statement=ids[r.statement],
                        direction=r.direction,
                        agreed=r.agreed,
                        disagreed=r.disagreed,
                        seen=r.seen,
                        group_ratio=r.group_ratio,
                        rest_ratio=r.rest_ratio,
                        z_score=r.z_score,
                    )
                    for r in g.representatives
                ],
            )
            for g in opinion_map.groups
        ],
        unclustered=list(opinion_map.unclustered),
        consensus_agree=[
            OpinionConsensusOut(statement=ids[c.statement], score=c.score)
            for c in opinion_map.consensus_agree
        ],
        consensus_disagree=[
            OpinionConsensusOut(statement=ids[c.statement], score=c.score)
            for c in opinion_map.consensus_disagree
        ],
        you=found.you,
    )


# --- Delegations and mandates --------------------------------------------------------------


@router.get(
    "/delegations",
    response={200: GovernanceDelegationsOut, **ERRORS},
    summary="The delegations of my vote I gave, and those given to me, in force",
)
def list_delegations(request: HttpRequest) -> GovernanceDelegationsOut:
    found = selectors.delegations(_actor(request))
    return GovernanceDelegationsOut(
        allowed=found.allowed,
        given=[_delegation_out(d) for d in found.given],
        received=[_delegation_out(d) for d in found.received],
    )


@router.post(
    "/delegations",
    response={201: GovernanceDelegationOut, **ERRORS},
    summary="Delegate my vote on a kind of decision, or on all (a member with a vote)",
)
def delegate_vote(
    request: HttpRequest, payload: GovernanceDelegationIn
) -> Status[GovernanceDelegationOut]:
    given = actions.delegate_vote(
        actor=_actor(request), to_member=payload.to_member, kind=payload.kind
    )
    return Status(201, _delegation_out(given))


@router.post(
    "/delegations/{delegation_id}/revoke",
    response={200: GovernanceDelegationOut, **ERRORS},
    summary="Take back a delegation of my vote",
)
def revoke_delegation(
    request: HttpRequest, delegation_id: int = Path(..., ge=1, le=MAX_ID)
) -> GovernanceDelegationOut:
    taken_back = actions.revoke_delegation(actor=_actor(request), delegation=delegation_id)
    return _delegation_out(taken_back)


@router.get(
    "/mandates",
    response={200: list[GovernanceMandateOut], **ERRORS},
    summary="Every mandate members elected, by office, with how it ended",
)
def list_mandates(request: HttpRequest) -> list[GovernanceMandateOut]:
    found = selectors.mandates(_actor(request))
    actions.run_due()
    return [_mandate_out(m) for m in found]
