"""The governance pages: the proposals, proposing one, a proposal with its impact preview, vote,
result, outcome statement, discussion and opinion round, finding a ballot by its receipt,
delegations, and the mandates with their recall. Each writing view parses a form, calls one
action and redirects with a message, or shows the page again with the refusal. Every page that
lists or shows proposals or mandates first closes the votes and terms whose time is up, so nobody
has to wait for a scheduled job to see a result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role
from taawun.coop.labels import DECISION_KINDS, METHODS
from taawun.coop.selectors import latest_policy
from taawun.domain.errors import InvalidInput
from taawun.domain.policy_change import rules
from taawun.web.errors import explain, refusals
from taawun.web.flow import person, posted, run_action

from . import actions, selectors
from .forms import (
    CommentForm,
    DelegationForm,
    ImpactForm,
    OutcomeForm,
    ProposalForm,
    ReceiptForm,
    SayForm,
    StatementForm,
    VoteForm,
    delegation_kinds,
    shown_value,
)
from .models import Mandate, Proposal
from .opinions import picture
from .previews import ImpactPicture
from .previews import picture as impact_picture
from .results import choice_text, current_proposal, outcome_badge, result_of

Status = Proposal.Status
MAX_INDENT = 3  # replies deeper than this are drawn at this depth (the stylesheet's steps)


@dataclass(frozen=True)
class Card:
    """A proposal in the list, with what the viewer can do about it."""

    proposal: Proposal
    outcome: tuple[str, str]
    vote_now: bool
    voted: bool


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def proposals(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    found = selectors.proposals(viewer)
    actions.run_due()
    waiting = set(selectors.waiting_for(viewer).values_list("number", flat=True))
    voter = selectors.voting_membership(viewer) is not None
    sections: dict[str, list[Card]] = {status: [] for status in Status.values}
    for proposal in found:
        open_vote = proposal.status == Status.OPEN
        sections[proposal.status].append(
            Card(
                proposal,
                outcome_badge(proposal.outcome),
                vote_now=proposal.number in waiting,
                voted=voter and open_vote and proposal.number not in waiting,
            )
        )
    return render(
        request,
        "governance/proposals.html",
        {
            "voting": sections[Status.OPEN],
            "discussing": sections[Status.DISCUSSION],
            "decided": sections[Status.CLOSED],
            "withdrawn": sections[Status.WITHDRAWN],
            "may_propose": voter,
            "receipt_form": ReceiptForm(auto_id="receipt_%s"),
        },
    )


def _proposal_form(request: HttpRequest, viewer: User) -> ProposalForm:
    policy = latest_policy().policy
    return ProposalForm(
        posted(request),
        rules=rules(policy),
        decisions=policy.governance.decisions,
        members=selectors.members_to_elect(viewer),
        initial={"kind": Proposal.Kind.ORDINARY, "seats": 1},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def propose(request: HttpRequest) -> HttpResponse:
    """Propose a discussion or a vote; a posted rollback of a policy version and a recall of a
    mandate come here too."""
    viewer = person(request)
    form = _proposal_form(request, viewer)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            made, status = run_action(form, actions.propose, actor=viewer, **form.proposal())
            if made is not None:
                messages.success(request, _("Your proposal is open to the members."))
                return redirect("governance:proposal", number=made.number)
    wanted = form["recall_of"].value()
    recalled = (
        selectors.mandates(viewer).filter(pk=wanted, ended_at__isnull=True).first()
        if str(wanted or "").isdecimal()
        else None
    )
    return render(
        request, "governance/propose.html", {"form": form, "recalled": recalled}, status=status
    )


def _impact(
    request: HttpRequest, viewer: User, proposal: Proposal
) -> tuple[ImpactForm | None, ImpactPicture | None]:
    """The preview form and, once there is something to replay, the preview. A rate is replayed
    only at a value the member asks for; nothing else is replayed unless it changes rules."""
    if not selectors.previewable(proposal):
        return None, None
    rate = proposal.kind == Proposal.Kind.RATE
    asked = None
    if request.method in ("GET", "HEAD") and request.GET:
        asked = request.GET.copy()
        asked["weeks"] = asked.get("weeks") or str(selectors.PREVIEW_WEEKS)
    form = ImpactForm(asked, rate=rate, auto_id="impact_%s")
    if form.is_bound and not form.is_valid():
        return form, None
    weeks = form.cleaned_data["weeks"] if form.is_bound else selectors.PREVIEW_WEEKS
    value = None
    if rate:
        typed = form.cleaned_data.get("value") if form.is_bound else ""
        if not typed:
            return form, None
        try:
            value = selectors.rate_value_to_preview(proposal, typed)
        except InvalidInput as exc:
            form.add_error("value", explain(exc))
            return form, None
    view = selectors.impact_of(viewer, proposal, weeks=weeks, value=value)
    return form, impact_picture(view) if view else None


def _proposal_page(
    request: HttpRequest,
    proposal: Proposal,
    *,
    vote_form: VoteForm | None = None,
    comment_form: CommentForm | None = None,
    statement_form: StatementForm | None = None,
    outcome_form: OutcomeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The proposal page, with the form the viewer just sent (and its errors) when refused."""
    viewer = person(request)
    may_vote = selectors.may_vote(viewer, proposal)
    votes_cast = proposal.participations.count()
    member = has_role(viewer, Role.MEMBER)
    opinion_groups = selectors.opinion_groups(viewer, proposal)
    impact_form, impact = _impact(request, viewer, proposal)
    closed = proposal.status == Status.CLOSED
    context: dict[str, Any] = {
        "proposal": proposal,
        "kind": DECISION_KINDS.get(proposal.kind, proposal.get_kind_display()),
        "method": METHODS.get(proposal.method, proposal.method),
        "changes": [
            (c.path, shown_value(c.before), None if c.after is None else shown_value(c.after))
            for c in selectors.changes_of(proposal)
        ],
        # A rule changed by another decision while this one is voted on: it would not apply.
        "changed_since": {
            path: shown_value(value)
            for path, value in selectors.current_values(proposal).items()
            if proposal.status == Status.OPEN and value != proposal.before.get(path)
        },
        "votes_cast": votes_cast,
        "has_voted": selectors.has_voted(viewer, proposal),
        "vote_form": vote_form
        or (VoteForm(proposal=proposal, prefix="vote") if may_vote else None),
        "result": result_of(proposal) if closed else None,
        "ballots": [
            (ballot, choice_text(proposal, ballot.choice))
            for ballot in selectors.published_ballots(viewer, proposal)
        ],
        "may_withdraw": proposal.status in selectors.OPEN
        and not votes_cast
        and (proposal.author_id == viewer.pk or has_role(viewer, Role.BOARD)),
        "may_propose": selectors.voting_membership(viewer) is not None,
        "thread": [(t.comment, min(t.depth, MAX_INDENT)) for t in selectors.discussion(proposal)],
        "discussion_open": member and proposal.status != Status.WITHDRAWN,
        "comment_form": comment_form or CommentForm(auto_id="comment_%s"),
        "statements": selectors.statements(viewer, proposal),
        "opinions_open": member and proposal.status in selectors.OPEN,
        "statement_form": statement_form or StatementForm(auto_id="statement_%s"),
        "opinions": picture(opinion_groups) if opinion_groups else None,
        "impact_form": impact_form,
        "impact": impact,
        "recalled": selectors.mandates(viewer).filter(pk=proposal.recall_of_id).first()
        if proposal.recall_of_id
        else None,
        "may_state_outcome": closed
        and (proposal.author_id == viewer.pk or has_role(viewer, Role.BOARD)),
        "outcome_form": outcome_form
        or OutcomeForm(initial={"text": proposal.outcome_statement}, auto_id="outcome_%s"),
    }
    return render(request, "governance/proposal.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def proposal(request: HttpRequest, number: int) -> HttpResponse:
    return _proposal_page(request, current_proposal(person(request), number))


@login_required
@require_POST
@refusals
def vote(request: HttpRequest, number: int) -> HttpResponse:
    viewer = person(request)
    found = selectors.access_proposal_or_404(viewer, number)
    form = VoteForm(request.POST, proposal=found, prefix="vote")
    status = 400
    if form.is_valid():
        receipt, status = run_action(
            form, actions.cast_ballot, actor=viewer, number=number, choice=form.choice()
        )
        if receipt is not None:
            messages.success(
                request,
                format_html(
                    "{} <code class='digest'>{}</code>",
                    _(
                        "Your vote is counted. Keep this receipt: when the vote closes, it "
                        "finds your ballot in the published list. It is shown only now."
                    ),
                    receipt,
                ),
            )
            return redirect("governance:proposal", number=number)
    return _proposal_page(request, found, vote_form=form, status=status)


@login_required
@require_POST
@refusals
def comment(request: HttpRequest, number: int) -> HttpResponse:
    viewer = person(request)
    found = selectors.access_proposal_or_404(viewer, number)
    form = CommentForm(request.POST, auto_id="comment_%s")
    status = 400
    if form.is_valid():
        made, status = run_action(
            form,
            actions.comment,
            actor=viewer,
            number=number,
            body=form.cleaned_data["body"],
            parent=form.cleaned_data["parent"],
        )
        if made is not None:
            messages.success(request, _("Your comment is added."))
            return redirect(_anchor(number, f"comment-{made.pk}"))
    return _proposal_page(request, found, comment_form=form, status=status)


@login_required
@require_POST
@refusals
def add_statement(request: HttpRequest, number: int) -> HttpResponse:
    viewer = person(request)
    found = selectors.access_proposal_or_404(viewer, number)
    form = StatementForm(request.POST, auto_id="statement_%s")
    status = 400
    if form.is_valid():
        made, status = run_action(
            form, actions.add_statement, actor=viewer, number=number, text=form.cleaned_data["text"]
        )
        if made is not None:
            messages.success(request, _("Your statement is added for members to respond to."))
            return redirect(_anchor(number, f"statement-{made.pk}"))
    return _proposal_page(request, found, statement_form=form, status=status)


@login_required
@require_POST
@refusals
def say(request: HttpRequest, statement_id: int) -> HttpResponse:
    form = SayForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    given = actions.say(
        actor=person(request), statement=statement_id, vote=form.cleaned_data["vote"]
    )
    messages.success(request, _("Noted. You can change your response at any time."))
    return redirect(_anchor(given.statement.proposal.number, f"statement-{statement_id}"))


@login_required
@require_POST
@refusals
def state_outcome(request: HttpRequest, number: int) -> HttpResponse:
    viewer = person(request)
    found = selectors.access_proposal_or_404(viewer, number)
    form = OutcomeForm(request.POST, auto_id="outcome_%s")
    if not form.is_valid():
        return _proposal_page(request, found, outcome_form=form, status=400)
    actions.state_outcome(actor=viewer, number=number, text=form.cleaned_data["text"])
    messages.success(request, _("The outcome statement is published."))
    return redirect(_anchor(number, "result"))


@login_required
@require_POST
@refusals
def withdraw(request: HttpRequest, number: int) -> HttpResponse:
    actions.withdraw(actor=person(request), number=number)
    messages.success(request, _("The proposal is withdrawn."))
    return redirect("governance:proposal", number=number)


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def blt(request: HttpRequest, number: int) -> HttpResponse:
    """A ranked vote's ballots in BLT form, to count again with any STV program."""
    viewer = person(request)
    text = selectors.blt(viewer, current_proposal(viewer, number))
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="proposal-{number}.blt"'
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def receipt(request: HttpRequest) -> HttpResponse:
    """Find a ballot by its receipt, once its vote has closed."""
    viewer = person(request)
    if not selectors.may_see(viewer):
        raise Http404
    actions.run_due()
    form = ReceiptForm(request.GET if "r" in request.GET else None, auto_id="receipt_%s")
    found = selectors.find_ballot(viewer, form.cleaned_data["r"]) if form.is_valid() else None
    return render(
        request,
        "governance/receipt.html",
        {
            "form": form,
            "ballot": found,
            "choice": choice_text(found.proposal, found.choice) if found else "",
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def delegations(request: HttpRequest) -> HttpResponse:
    """The delegations a member gave and received, and handing their vote to another member."""
    viewer = person(request)
    found = selectors.delegations(viewer)
    form = DelegationForm(
        posted(request), members=selectors.possible_delegates(viewer), auto_id="delegation_%s"
    )
    kinds = dict(delegation_kinds())
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            given, status = run_action(
                form,
                actions.delegate_vote,
                actor=viewer,
                to_member=form.cleaned_data["to_member"],
                kind=form.cleaned_data["kind"],
            )
            if given is not None:
                messages.success(
                    request,
                    _(
                        "Your vote is delegated to %(name)s (%(kind)s). It counts on open "
                        "ballots whenever you do not vote yourself."
                    )
                    % {"name": given.delegate.user.get_full_name(), "kind": kinds[given.kind]},
                )
                return redirect("governance:delegations")
    return render(
        request,
        "governance/delegations.html",
        {
            "allowed": found.allowed,
            "given": [(d, kinds.get(d.kind, d.kind)) for d in found.given],
            "received": [(d, kinds.get(d.kind, d.kind)) for d in found.received],
            "form": form,
            "may_delegate": found.allowed and selectors.voting_membership(viewer) is not None,
        },
        status=status,
    )


@login_required
@require_POST
@refusals
def revoke_delegation(request: HttpRequest, delegation_id: int) -> HttpResponse:
    viewer = person(request)
    if not selectors.may_see(viewer):
        raise Http404
    actions.revoke_delegation(actor=viewer, delegation=delegation_id)
    messages.success(request, _("The delegation is revoked: your vote is yours alone again."))
    return redirect("governance:delegations")


@dataclass(frozen=True)
class LiveMandate:
    mandate: Mandate
    recall_title: str
    recall_number: int | None
    """The recall being voted on, if one is."""


@dataclass(frozen=True)
class Office:
    name: str
    mandates: list[LiveMandate]


def recall_title(mandate: Mandate) -> str:
    name = mandate.member.user.get_full_name() or f"#{mandate.member.number}"
    if mandate.office == Mandate.BOARD:
        return _("Recall of %(name)s from the board") % {"name": name}
    return _("Recall of %(name)s from %(office)s") % {"name": name, "office": mandate.office}


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def mandates(request: HttpRequest) -> HttpResponse:
    """Who holds which office, since when and until when, by which election; and the recall."""
    viewer = person(request)
    found = selectors.mandates(viewer)
    actions.run_due()
    recalls = selectors.open_recalls(viewer)
    offices: dict[str, list[LiveMandate]] = {}
    past = []
    for mandate in found:
        if mandate.ended_at is None:
            offices.setdefault(mandate.office, []).append(
                LiveMandate(mandate, recall_title(mandate), recalls.get(mandate.pk))
            )
        else:
            past.append(mandate)
    board = offices.pop(Mandate.BOARD, None)
    return render(
        request,
        "governance/mandates.html",
        {
            "offices": ([Office(Mandate.BOARD, board)] if board else [])
            + [Office(name, held) for name, held in offices.items()],
            "past": sorted(past, key=lambda m: m.ended_at or m.ends_at, reverse=True),
            "may_recall": selectors.voting_membership(viewer) is not None,
        },
    )


def _anchor(number: int, fragment: str) -> str:
    return f"{reverse('governance:proposal', kwargs={'number': number})}#{fragment}"


def _refused(request: HttpRequest, form: forms.Form) -> HttpResponse:
    reason = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return render(request, "web/refused.html", {"reason": reason}, status=400)
