"""Every write of governance: proposing, voting, closing, deliberating.

A vote's rule, options and tie-break seed are fixed when it opens: the seed's SHA-256 goes into
the audit trail then, and the seed itself when the vote closes, so anyone can re-run the count
and its tie-breaks. A passed policy change or rate becomes a new policy version, effective at
the date the proposal named; applying it is part of closing, so no one has to remember to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from calendar import monthrange
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from taawun.accounts.actions import grant_role, revoke_role
from taawun.accounts.models import Consent, Role, RoleGrant, User
from taawun.accounts.selectors import declined, has_role
from taawun.coop.actions import adopt_policy
from taawun.coop.selectors import current_policy, latest_policy, policy_number
from taawun.domain import decision
from taawun.domain.canonical import canonical_bytes, plain
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, gettext_noop
from taawun.domain.policy import DecisionRule, Policy
from taawun.domain.policy_change import (
    apply_changes,
    decision_kind,
    differences,
    rules,
    set_rate,
)
from taawun.domain.text import checked_text
from taawun.members.actions import decide_application_by_vote
from taawun.members.models import Application, Membership
from taawun.members.selectors import current_memberships, voters
from taawun.notifications.actions import moment, notify_each
from taawun.notifications.models import Kind as Notice
from taawun.school import selectors as school
from taawun.transparency.audit import next_number, record

from . import selectors
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

Kind = Proposal.Kind
VOTING_KINDS = [k for k in Kind.values if k != Kind.DISCUSSION]
MAX_OPTIONS = 50
MAX_EFFECT_DELAY = dt.timedelta(days=366)


def _audit(actor_id: int | None, action: str, proposal: Proposal, **after: Any) -> None:
    record(
        actor_id=actor_id,
        action=f"governance.{action}",
        subject_type="proposal",
        subject_id=proposal.number,
        policy_version=current_policy().number,
        after=after,
    )


def _voter(actor: User) -> Membership:
    member = selectors.voting_membership(actor)
    if member is None:
        raise NotAllowed("no_vote", gettext_noop("Only members with a vote may do this."))
    return member


def _first_vote_lessons(actor: User, member: Membership) -> None:
    """A member who has never voted passes the lessons the Policy asks for before a first vote."""
    refs = school.first_vote_lessons()
    if refs and not Participation.objects.filter(member=member).exists():
        school.require_lessons(actor, refs, language=get_language() or "ar")


def _member(actor: User) -> Membership:
    member = current_memberships().filter(user=actor).first() if actor.is_authenticated else None
    if member is None:
        raise NotAllowed("members_only", gettext_noop("Only members may take part."))
    return member


def _locked(number: int) -> Proposal:
    proposal = Proposal.objects.select_for_update().filter(number=number).first()
    if proposal is None:
        raise NotFound("no_such_proposal", gettext_noop("There is no such proposal."))
    return proposal


def _tell(kind: str, proposal: Proposal, people: Sequence[int], **details: Any) -> int:
    """One notification to each of ``people`` (user ids) about ``proposal``, in one insert."""
    payload = {"proposal": proposal.number, "title": proposal.title, **details}
    link = reverse("governance:proposal", args=[proposal.number])
    return notify_each(kind=kind, notes=[(person, payload, link) for person in people])


def _tell_voters(proposal: Proposal, now: dt.datetime, *, besides: int | None = None) -> None:
    """Every member who can vote hears that a vote opened (but its author)."""
    people = voters(on=timezone.localdate(now))
    if besides is not None:
        people = people.exclude(user_id=besides)
    assert proposal.closes_at is not None
    closes = moment(proposal.closes_at)
    _tell(
        Notice.VOTE_OPENED, proposal, list(people.values_list("user_id", flat=True)), closes=closes
    )


@transaction.atomic
def propose(
    *,
    actor: User,
    kind: str,
    title: str,
    body: str = "",
    changes: Mapping[str, Any] | None = None,
    rate_rule: str = "",
    options: Sequence[str] = (),
    candidates: Sequence[int] = (),
    seats: int = 1,
    office: str = Mandate.BOARD,
    recall_of: int | None = None,
    effective_from: dt.datetime | None = None,
    rollback_of: int | None = None,
    now: dt.datetime | None = None,
) -> Proposal:
    """Open a discussion or a vote. A change of protected rules is a bylaw change whatever
    kind was asked for; a rollback of policy version N proposes the rules N replaced; a recall
    is an ordinary decision to end a mandate."""
    now = now or timezone.now()
    _voter(actor)
    if kind not in Kind.values or kind == Kind.ADMISSION:  # admission votes open themselves
        raise InvalidInput("unknown_kind", gettext_noop("Unknown kind of proposal."))
    current = latest_policy()
    policy = current.policy
    proposal = Proposal(
        kind=kind,
        title=checked_text(
            title, 200, "bad_title", gettext_noop("Give a title of up to %(limit)s characters.")
        ),
        body=checked_text(
            body,
            20000,
            "bad_text",
            gettext_noop("The text may be up to %(limit)s characters."),
            required=False,
        ),
        author=actor,
        created_at=now,
        policy_version=current.number,
    )
    if rollback_of is not None:
        changes = _rollback(policy, rollback_of)
        proposal.rollback_of = rollback_of
    if kind in (Kind.POLICY_CHANGE, Kind.BYLAW_CHANGE) or rollback_of is not None:
        _policy_change(proposal, policy, changes or {})
    elif changes:
        raise InvalidInput(
            "changes_need_policy_kind", gettext_noop("Only a policy change changes rules.")
        )
    if kind == Kind.RATE:
        _rate(proposal, policy, rate_rule)
    if kind == Kind.POLL:
        proposal.options = _poll_options(options)
    if kind == Kind.ELECTION:
        proposal.options = _candidates(candidates)
        proposal.office = checked_text(
            office, 60, "bad_office", gettext_noop("Name the office in up to %(limit)s characters.")
        )
    if kind in (Kind.POLL, Kind.ELECTION):
        proposal.seats = _seats(seats, proposal.options, elect=kind == Kind.ELECTION)
        if proposal.office == Mandate.BOARD and proposal.seats > policy.governance.board_size:
            raise InvalidInput(
                "too_many_seats",
                gettext_noop("The board has %(seats)s seats."),
                seats=policy.governance.board_size,
            )
        if proposal.office == Mandate.BOARD:
            _candidates_learned(proposal.options)
    if recall_of is not None:
        if kind != Kind.ORDINARY:
            raise InvalidInput("recall_is_ordinary", gettext_noop("A recall is a decision."))
        proposal.recall_of = _live_mandate(recall_of)
    if proposal.kind == Kind.DISCUSSION:
        proposal.status = Proposal.Status.DISCUSSION
    else:
        rule = policy.governance.decisions[proposal.kind]
        proposal.status = Proposal.Status.OPEN
        proposal.rule = plain(rule.model_dump())
        proposal.closes_at = now + dt.timedelta(days=rule.voting_days)
        seed = secrets.token_hex(32)
        proposal.seed_digest = hashlib.sha256(seed.encode()).hexdigest()
        proposal.seed = seed
        if proposal.changes:
            proposal.effective_from = _effective(effective_from, proposal.closes_at)
    proposal.number = next_number("proposal")
    proposal.save()
    _audit(
        actor.pk,
        "opened" if proposal.status == Proposal.Status.OPEN else "discussion_started",
        proposal,
        kind=proposal.kind,
        method=proposal.method,
        closes_at=proposal.closes_at,
        changes=proposal.changes,
        options=[o["key"] for o in proposal.options],
        seats=proposal.seats,
        office=proposal.office,
        recall_of=proposal.recall_of_id,
        seed_sha256=proposal.seed_digest,
        effective_from=proposal.effective_from,
    )
    if proposal.status == Proposal.Status.OPEN:
        _tell_voters(proposal, now, besides=actor.pk)
    return proposal


def _rollback(policy: Policy, version: int) -> dict[str, Any]:
    if version < 2:
        raise InvalidInput(
            "nothing_to_roll_back", gettext_noop("The founding policy cannot be rolled back.")
        )
    replaced = differences(policy_number(version - 1), policy_number(version))
    now = rules(policy)
    return {c.path: c.before for c in replaced if c.path in now and c.before is not None}


def _live_mandate(mandate_id: int) -> Mandate:
    mandate = Mandate.objects.filter(pk=mandate_id, ended_at__isnull=True).first()
    if mandate is None:
        raise NotFound("no_such_mandate", gettext_noop("There is no such mandate in force."))
    return mandate


def _policy_change(proposal: Proposal, policy: Policy, changes: Mapping[str, Any]) -> None:
    changed = apply_changes(policy, changes)  # validated as a whole, floors included
    _lessons_exist(changed)
    after, before = rules(changed), rules(policy)
    paths = [c.path for c in differences(policy, changed)]
    proposal.kind = decision_kind(policy, paths)
    proposal.changes = {path: after[path] for path in paths}
    proposal.before = {path: before[path] for path in paths}


def _lessons_exist(policy: Policy) -> None:
    """A rule may ask only for lessons members can take: published ones, named as they are."""
    unknown = school.unknown_refs(policy.school.lesson_refs())
    if unknown:
        raise InvalidInput(
            "no_such_lesson",
            gettext_noop("There is no published lesson %(ref)s."),
            ref=unknown[0],
        )


def _rate(proposal: Proposal, policy: Policy, path: str) -> None:
    current = rules(policy).get(path)
    if not isinstance(current, str) or not _is_number(current):
        raise InvalidInput(
            "not_a_rate", gettext_noop("Members can set only a numeric rule by a vote.")
        )
    if decision_kind(policy, [path]) == Kind.BYLAW_CHANGE:
        raise InvalidInput(
            "rate_is_protected",
            gettext_noop("%(path)s is a bylaw rule: change it by a bylaw change."),
            path=path,
        )
    proposal.changes = {path: None}
    proposal.before = {path: current}


def _is_number(text: str) -> bool:
    try:
        decision.number_text(text)
    except InvalidInput:
        return False
    return True


def _poll_options(options: Sequence[str]) -> list[dict[str, str]]:
    labels = [
        checked_text(
            o, 120, "bad_option", gettext_noop("Each option is up to %(limit)s characters.")
        )
        for o in options
        if isinstance(o, str) and o.strip()
    ]
    if not 2 <= len(labels) <= MAX_OPTIONS or len(set(labels)) != len(labels):
        raise InvalidInput(
            "bad_options",
            gettext_noop("A poll needs from 2 to %(most)s different options."),
            most=MAX_OPTIONS,
        )
    return [{"key": str(i), "label": label} for i, label in enumerate(labels, 1)]


def _candidates(numbers: Sequence[int]) -> list[dict[str, str]]:
    wanted = list(dict.fromkeys(numbers))
    found = {
        m.number: m for m in current_memberships().filter(number__in=wanted).select_related("user")
    }
    if len(wanted) < 2 or len(wanted) > MAX_OPTIONS or len(found) != len(wanted):
        raise InvalidInput(
            "bad_candidates",
            gettext_noop("An election needs from 2 to %(most)s candidates, all current members."),
            most=MAX_OPTIONS,
        )
    return [{"key": str(n), "label": found[n].user.get_full_name() or f"#{n}"} for n in wanted]


def _candidates_learned(options: list[dict[str, str]]) -> None:
    """Each candidate for the board has passed the lessons the Policy asks of board members."""
    refs = school.role_lessons(Role.BOARD)
    if not refs:
        return
    numbers = [int(option["key"]) for option in options]
    language = get_language() or "ar"
    for member in current_memberships().filter(number__in=numbers).select_related("user"):
        missing = school.lessons_missing(member.user, refs)
        if missing:
            raise DomainError(
                "candidate_lessons_needed",
                gettext_noop(
                    "%(name)s has yet to pass the lessons the co-op's rules ask of board "
                    "members: %(lessons)s."
                ),
                name=member.user.get_full_name() or f"#{member.number}",
                lessons=school.titles(missing, language),
            )


def _seats(seats: int, options: list[dict[str, str]], *, elect: bool) -> int:
    most = len(options) - 1 if elect else 1
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= max(most, 1):
        raise InvalidInput(
            "bad_seats",
            gettext_noop("The number of seats must be from 1 to %(most)s."),
            most=max(most, 1),
        )
    return seats


def _effective(wanted: dt.datetime | None, closes_at: dt.datetime) -> dt.datetime:
    if wanted is None:
        return closes_at
    if not closes_at <= wanted <= closes_at + MAX_EFFECT_DELAY:
        raise InvalidInput(
            "bad_effective_date",
            gettext_noop(
                "A change takes effect when the vote closes or later, within a year of it."
            ),
        )
    return wanted


@transaction.atomic
def withdraw(*, actor: User, number: int) -> Proposal:
    """The author or the board withdraws a proposal nobody has voted on yet."""
    proposal = _locked(number)
    if proposal.author_id != actor.pk and not has_role(actor, Role.BOARD):
        raise NotAllowed("forbidden", gettext_noop("You do not have permission to do this."))
    if proposal.status not in (Proposal.Status.OPEN, Proposal.Status.DISCUSSION):
        raise DomainError("not_open", gettext_noop("This proposal is no longer open."))
    if proposal.participations.exists():
        raise DomainError(
            "votes_cast", gettext_noop("Members have voted: the vote runs until it closes.")
        )
    proposal.status = Proposal.Status.WITHDRAWN
    proposal.closed_at = timezone.now()
    proposal.save(update_fields=["status", "closed_at"])
    _audit(actor.pk, "withdrawn", proposal)
    return proposal


@transaction.atomic
def cast_ballot(*, actor: User, number: int, choice: Any, now: dt.datetime | None = None) -> str:
    """Vote once on an open proposal; returns the ballot's receipt. A secret ballot keeps no
    link between the member and the choice; the receipt lets the voter find their ballot in
    the list published when the vote closes."""
    now = now or timezone.now()
    member = _voter(actor)
    proposal = _locked(number)
    if proposal.status != Proposal.Status.OPEN or proposal.closes_at is None:
        raise DomainError("not_voting", gettext_noop("This proposal is not open for voting."))
    if now >= proposal.closes_at:
        raise DomainError("vote_closed", gettext_noop("Voting on this proposal has closed."))
    _first_vote_lessons(actor, member)
    rule = _rule(proposal)
    checked = decision.checked_choice(rule, choice, options=[o["key"] for o in proposal.options])
    if proposal.kind == Kind.RATE:
        path = next(iter(proposal.changes))
        set_rate(latest_policy().policy, path, checked)
    try:
        with transaction.atomic():
            Participation.objects.create(proposal=proposal, member=member)
    except IntegrityError:
        raise DomainError(
            "already_voted", gettext_noop("You have already voted on this proposal.")
        ) from None
    receipt = hashlib.sha256(
        b"|".join([str(number).encode(), canonical_bytes(checked), secrets.token_bytes(32)])
    ).hexdigest()
    Ballot.objects.create(
        proposal=proposal,
        choice=checked,
        receipt=receipt,
        member=None if proposal.secret else member,
    )
    if proposal.secret:
        _audit(None, "ballot_cast", proposal, receipt=receipt)
    else:
        _audit(actor.pk, "ballot_cast", proposal, receipt=receipt, choice=checked)
    return receipt


def _rule(proposal: Proposal) -> DecisionRule:
    return DecisionRule.model_validate(proposal.rule)


def run_due(*, now: dt.datetime | None = None) -> list[Proposal]:
    """Close every vote whose time is up and remind members who have not voted of votes about
    to close. Called by the governance pages and API, and by ``taawun manage governance``."""
    now = now or timezone.now()
    due = Proposal.objects.filter(status=Proposal.Status.OPEN, closes_at__lte=now)
    due = due.order_by("closes_at", "number")  # in the order the votes ended
    closed = [close_vote(number=n, now=now) for n in due.values_list("number", flat=True)]
    open_admission_votes(now=now)
    end_terms(now=now)
    remind_voters(now=now)
    return closed


@transaction.atomic
def close_vote(*, number: int, now: dt.datetime | None = None) -> Proposal:
    """Count the ballots of a vote whose time is up, reveal the tie-break seed, and give the
    decision its effect."""
    now = now or timezone.now()
    proposal = _locked(number)
    if proposal.status != Proposal.Status.OPEN or proposal.closes_at is None:
        return proposal
    if now < proposal.closes_at:
        raise DomainError("still_voting", gettext_noop("Voting on this proposal is still open."))
    voting_now = voters(on=timezone.localdate(now))
    took_part = Participation.objects.filter(proposal=proposal)
    eligible = voting_now.count() + took_part.exclude(member__in=voting_now).count()
    ballots = list(Ballot.objects.filter(proposal=proposal).values_list("choice", flat=True))
    delegated = [] if proposal.secret else _delegated(proposal, voting_now, now)
    ballots += [choice for _delegator, _delegate, choice in delegated]
    counted = decision.count(
        _rule(proposal),
        ballots,
        eligible=eligible,
        options=[o["key"] for o in proposal.options],
        labels=_distinct_labels(proposal.options),
        seats=proposal.seats,
        election=proposal.kind == Kind.ELECTION,
        seed=proposal.seed.encode(),
    )
    proposal.status = Proposal.Status.CLOSED
    proposal.closed_at = now
    proposal.eligible = eligible
    proposal.outcome = counted.outcome
    proposal.result = counted.document()
    proposal.result["delegated"] = [[giver, taker] for giver, taker, _choice in delegated]
    if counted.outcome in ("passed", "set") and proposal.changes:
        _take_effect(proposal, counted.value, now)
    proposal.save()
    if counted.outcome == "elected":
        _seat(proposal, counted.winners, now)
    if proposal.application_id is not None:
        decide_application_by_vote(
            application_id=proposal.application_id,
            admitted=counted.outcome == "passed",
            decision=proposal.number,
        )
    recalled = proposal.recall_of
    if counted.outcome == "passed" and recalled is not None and recalled.ended_at is None:
        _end_mandates([recalled], now, ended_by=proposal)
    _audit(
        None,
        "closed",
        proposal,
        outcome=proposal.outcome,
        eligible=eligible,
        participants=counted.participants,
        counts=counted.counts,
        winners=list(counted.winners),
        value=counted.value,
        seed=proposal.seed,
        adopted_version=proposal.adopted.number if proposal.adopted else None,
    )
    people = set(voting_now.values_list("user_id", flat=True))
    people.update(took_part.values_list("member__user_id", flat=True))
    _tell(Notice.VOTE_RESULT, proposal, sorted(people), outcome=proposal.outcome)
    return proposal


def _distinct_labels(options: list[dict[str, str]]) -> list[str]:
    """The options' names for the count to speak of, made distinct by their keys if two
    candidates share a name."""
    labels = [o["label"] for o in options]
    if len(set(labels)) == len(labels):
        return labels
    return [f"{o['label']} ({o['key']})" for o in options]


def _delegated(
    proposal: Proposal, voting_now: QuerySet[Membership], now: dt.datetime
) -> list[tuple[int, int, Any]]:
    """(delegator, delegate, choice) for every voter who did not vote but whose delegate on
    this kind of decision (or on all) cast an open ballot; a delegation given for the kind
    comes before one given for all."""
    if not current_policy().policy.governance.delegation:
        return []
    chosen = dict(
        Ballot.objects.filter(proposal=proposal, member__isnull=False).values_list(
            "member_id", "choice"
        )
    )
    live = (
        Delegation.objects.filter(
            revoked_at__isnull=True,
            created_at__lt=now,
            kind__in=["", proposal.kind],
            delegator__in=voting_now,
        )
        .exclude(delegator__in=proposal.participations.values("member"))
        .select_related("delegator", "delegate")
        .order_by("delegator_id", "-kind")
    )
    found: dict[int, tuple[int, int, Any]] = {}
    for given in live:
        if given.delegator_id not in found and given.delegate_id in chosen:
            found[given.delegator_id] = (
                given.delegator.number,
                given.delegate.number,
                chosen[given.delegate_id],
            )
    return sorted(found.values())


def _take_effect(proposal: Proposal, value: str | None, now: dt.datetime) -> None:
    """Adopt the passed change as a new policy version, unless a rule it changes was changed
    by another decision since it was proposed (then members must decide again)."""
    policy = latest_policy().policy
    now_rules = rules(policy)
    stale = [path for path, before in proposal.before.items() if now_rules.get(path) != before]
    if stale:
        proposal.result["not_applied"] = [
            gettext_noop(
                "Not applied: %(path)s was changed by another decision while this one was voted on."
            ),
            {"path": stale[0]},
        ]
        return
    if proposal.kind == Kind.RATE:
        path = next(iter(proposal.changes))
        changed = set_rate(policy, path, str(value))
        if changed is policy:
            return
    else:
        changed = apply_changes(policy, proposal.changes)
    proposal.adopted = adopt_policy(
        actor=None,
        policy=changed,
        reason=f"decision #{proposal.number}",
        effective_from=max(proposal.effective_from or now, now),
    )


def open_admission_votes(*, now: dt.datetime | None = None) -> list[Proposal]:
    """Where the policy has members admitted by a vote, open one for every pending application
    that has none yet: no one has to remember to."""
    now = now or timezone.now()
    current = current_policy()
    if current.policy.membership.admission_by != "vote":
        return []
    waiting = Application.objects.filter(status=Application.Status.PENDING).exclude(
        pk__in=Proposal.objects.filter(application__isnull=False).values("application")
    )
    return [_open_admission(application, current.policy, now) for application in waiting]


@transaction.atomic
def _open_admission(application: Application, policy: Policy, now: dt.datetime) -> Proposal:
    rule = policy.governance.decisions[Kind.ADMISSION]
    seed = secrets.token_hex(32)
    proposal = Proposal.objects.create(
        number=next_number("proposal"),
        kind=Kind.ADMISSION,
        status=Proposal.Status.OPEN,
        title=application.user.get_full_name()[:200] or f"#{application.pk}",
        body=application.motivation,
        author=application.user,
        created_at=now,
        policy_version=latest_policy().number,
        rule=plain(rule.model_dump()),
        closes_at=now + dt.timedelta(days=rule.voting_days),
        seed=seed,
        seed_digest=hashlib.sha256(seed.encode()).hexdigest(),
        application=application,
    )
    _audit(
        None,
        "opened",
        proposal,
        kind=proposal.kind,
        method=proposal.method,
        closes_at=proposal.closes_at,
        application=application.pk,
        seed_sha256=proposal.seed_digest,
    )
    _tell_voters(proposal, now)
    return proposal


def _seat(proposal: Proposal, winners: Sequence[str], now: dt.datetime) -> None:
    """Give each winner a mandate for the policy's term. A board election replaces the board:
    from then on, the board is the members holding a board mandate."""
    ends = _months_later(now, current_policy().policy.governance.board_term_months)
    for number in winners:
        Mandate.objects.create(
            office=proposal.office,
            member=Membership.objects.get(number=int(number)),
            elected_by=proposal,
            starts_at=now,
            ends_at=ends,
        )
    if proposal.office == Mandate.BOARD:
        _board_follows_mandates()


def _months_later(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time ``months`` calendar months on (the month's last day if shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def _board_follows_mandates() -> None:
    """Grant the board role to every holder of a live board mandate, and revoke it from every
    other board member."""
    version = current_policy().number
    seated = set(
        Mandate.objects.filter(office=Mandate.BOARD, ended_at__isnull=True).values_list(
            "member__user_id", flat=True
        )
    )
    holding = set(
        RoleGrant.objects.filter(role=Role.BOARD, revoked_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    for user in User.objects.filter(pk__in=seated - holding):
        grant_role(actor=None, user=user, role=Role.BOARD, policy_version=version)
    for user in User.objects.filter(pk__in=holding - seated):
        revoke_role(actor=None, user=user, role=Role.BOARD, policy_version=version)


def _end_mandates(
    mandates: Sequence[Mandate], now: dt.datetime, *, ended_by: Proposal | None
) -> None:
    for mandate in mandates:
        mandate.ended_at = now
        mandate.ended_by = ended_by
        mandate.save(update_fields=["ended_at", "ended_by"])
        record(
            actor_id=None,
            action="governance.mandate_ended",
            subject_type="mandate",
            subject_id=mandate.pk,
            policy_version=current_policy().number,
            after={
                "office": mandate.office,
                "member": mandate.member.number,
                "recalled_by": ended_by.number if ended_by else None,
            },
        )
    if any(m.office == Mandate.BOARD for m in mandates):
        _board_follows_mandates()


@transaction.atomic
def end_terms(*, now: dt.datetime | None = None) -> int:
    """End the mandates whose term is over; returns how many."""
    now = now or timezone.now()
    over = list(
        Mandate.objects.select_for_update()
        .filter(ended_at__isnull=True, ends_at__lte=now)
        .select_related("member")
    )
    _end_mandates(over, now, ended_by=None)
    return len(over)


def remind_voters(*, now: dt.datetime | None = None) -> int:
    """Remind, once per vote, the members who have not voted on a vote closing within the
    policy's reminder hours: a notification each, emailed by the background round as their
    choices say. Returns how many members with an email were reminded."""
    now = now or timezone.now()
    hours = current_policy().policy.governance.reminder_hours
    if not hours:
        return 0
    soon = Proposal.objects.filter(
        status=Proposal.Status.OPEN,
        reminded_at__isnull=True,
        closes_at__lte=now + dt.timedelta(hours=hours),
        closes_at__gt=now,
    )
    sent = 0
    for number in soon.values_list("number", flat=True):
        with transaction.atomic():
            proposal = _locked(number)
            if proposal.reminded_at is not None:
                continue
            proposal.reminded_at = now
            proposal.save(update_fields=["reminded_at"])
            waiting = list(
                voters(on=timezone.localdate(now))
                .exclude(Q(pk__in=proposal.participations.values("member")))
                .select_related("user")
            )
            _audit(None, "reminded", proposal, members=len(waiting))
            unwilling = declined(Consent.Topic.VOTE_REMINDERS, [m.user_id for m in waiting])
            people = [m.user.email for m in waiting if m.user.email and m.user_id not in unwilling]
            willing = [m.user_id for m in waiting if m.user_id not in unwilling]
            closes = moment(proposal.closes_at) if proposal.closes_at else ""
            _tell(Notice.VOTE_CLOSING, proposal, willing, closes=closes)
            sent += len(people)
    return sent


@transaction.atomic
def state_outcome(*, actor: User, number: int, text: str) -> Proposal:
    """The author or the board says in words what was decided and what happens next; it can be
    rewritten, and each version is in the audit trail."""
    proposal = _locked(number)
    if proposal.author_id != actor.pk and not has_role(actor, Role.BOARD):
        raise NotAllowed("forbidden", gettext_noop("You do not have permission to do this."))
    if proposal.status != Proposal.Status.CLOSED:
        raise DomainError("not_decided", gettext_noop("This proposal has not been decided yet."))
    proposal.outcome_statement = checked_text(
        text, 5000, "bad_text", gettext_noop("The text may be up to %(limit)s characters.")
    )
    proposal.save(update_fields=["outcome_statement"])
    statement = proposal.outcome_statement.encode()
    _audit(actor.pk, "outcome_stated", proposal, sha256=hashlib.sha256(statement).hexdigest())
    return proposal


@transaction.atomic
def delegate_vote(*, actor: User, to_member: int, kind: str = "") -> Delegation:
    """Hand one's vote on a kind of decision ('' for all) to another member with a vote,
    replacing an earlier delegation for that kind."""
    member = _voter(actor)
    if not latest_policy().policy.governance.delegation:
        raise DomainError(
            "delegation_off", gettext_noop("The co-op's rules do not allow delegating votes.")
        )
    if kind and kind not in VOTING_KINDS:
        raise InvalidInput("unknown_kind", gettext_noop("Unknown kind of proposal."))
    delegate = voters().filter(number=to_member).first()
    if delegate is None or delegate == member:
        raise InvalidInput("bad_delegate", gettext_noop("Choose another member who has a vote."))
    now = timezone.now()
    Delegation.objects.select_for_update().filter(
        delegator=member, kind=kind, revoked_at__isnull=True
    ).update(revoked_at=now)
    given = Delegation.objects.create(
        delegator=member, delegate=delegate, kind=kind, created_at=now
    )
    record(
        actor_id=actor.pk,
        action="governance.vote_delegated",
        subject_type="membership",
        subject_id=member.number,
        policy_version=current_policy().number,
        after={"to": delegate.number, "kind": kind},
    )
    return given


@transaction.atomic
def revoke_delegation(*, actor: User, delegation: int) -> Delegation:
    """Take back a delegation; from now on the member's vote is theirs alone again."""
    member = _member(actor)
    given = (
        Delegation.objects.select_for_update()
        .filter(pk=delegation, delegator=member, revoked_at__isnull=True)
        .first()
    )
    if given is None:
        raise NotFound("no_such_delegation", gettext_noop("There is no such delegation of yours."))
    given.revoked_at = timezone.now()
    given.save(update_fields=["revoked_at"])
    record(
        actor_id=actor.pk,
        action="governance.delegation_revoked",
        subject_type="membership",
        subject_id=member.number,
        policy_version=current_policy().number,
        after={"kind": given.kind},
    )
    return given


@transaction.atomic
def comment(*, actor: User, number: int, body: str, parent: int | None = None) -> Comment:
    """Add to a proposal's discussion, or reply to a comment of it."""
    _member(actor)
    proposal = Proposal.objects.filter(number=number).first()
    if proposal is None:
        raise NotFound("no_such_proposal", gettext_noop("There is no such proposal."))
    if proposal.status == Proposal.Status.WITHDRAWN:
        raise DomainError("not_open", gettext_noop("This proposal is no longer open."))
    replying_to = None
    if parent is not None:
        replying_to = Comment.objects.filter(pk=parent, proposal=proposal).first()
        if replying_to is None:
            raise NotFound("no_such_comment", gettext_noop("There is no such comment here."))
    text = checked_text(
        body, 5000, "bad_comment", gettext_noop("Write a comment of up to %(limit)s characters.")
    )
    made = Comment.objects.create(
        proposal=proposal, parent=replying_to, author=actor, body=text, at=timezone.now()
    )
    _audit(actor.pk, "commented", proposal, comment=made.pk, reply_to=parent)
    return made


def _open_for_opinions(number: int) -> Proposal:
    proposal = Proposal.objects.filter(number=number).first()
    if proposal is None:
        raise NotFound("no_such_proposal", gettext_noop("There is no such proposal."))
    if proposal.status not in (Proposal.Status.OPEN, Proposal.Status.DISCUSSION):
        raise DomainError("not_open", gettext_noop("This proposal is no longer open."))
    return proposal


@transaction.atomic
def add_statement(*, actor: User, number: int, text: str) -> Statement:
    """Add a short statement to a proposal's opinion round."""
    _member(actor)
    proposal = _open_for_opinions(number)
    said = checked_text(
        text, 280, "bad_statement", gettext_noop("A statement is up to %(limit)s characters.")
    )
    if Statement.objects.filter(proposal=proposal, text=said).exists():
        raise DomainError("statement_exists", gettext_noop("This statement is already there."))
    made = Statement.objects.create(proposal=proposal, author=actor, text=said, at=timezone.now())
    _audit(actor.pk, "statement_added", proposal, statement=made.pk)
    return made


@transaction.atomic
def say(*, actor: User, statement: int, vote: int) -> StatementVote:
    """Agree (1), disagree (-1) or pass (0) on a statement; a later say replaces the earlier.
    The audit trail records that a say was given, not by whom: opinions are not on record."""
    member = _member(actor)
    if isinstance(vote, bool) or vote not in (-1, 0, 1):
        raise InvalidInput("bad_say", gettext_noop("Agree, disagree or pass."))
    found = Statement.objects.select_related("proposal").filter(pk=statement).first()
    if found is None:
        raise NotFound("no_such_statement", gettext_noop("There is no such statement."))
    _open_for_opinions(found.proposal.number)
    given, _created = StatementVote.objects.update_or_create(
        statement=found, member=member, defaults={"vote": vote, "at": timezone.now()}
    )
    _audit(None, "statement_said", found.proposal, statement=found.pk)
    return given
