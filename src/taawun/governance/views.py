"""The governance pages: the proposals, proposing one, a proposal with its vote, result,
discussion and opinion round, and finding a ballot by its receipt. Each writing view parses a
form, calls one action and redirects with a message, or shows the page again with the refusal.
Every page that lists or shows proposals first closes the votes whose time is up, so nobody has
to wait for a scheduled job to see a result."""

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
from taawun.domain.policy_change import rules
from taawun.web.errors import refusals
from taawun.web.flow import person, posted, run_action

from . import actions, selectors
from .forms import (
    CommentForm,
    ProposalForm,
    ReceiptForm,
    SayForm,
    StatementForm,
    VoteForm,
    shown_value,
)
from .models import Proposal
from .opinions import picture
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
    voter = selectors.membership_of(viewer) is not None
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
    """Propose a discussion or a vote; a posted rollback of a policy version comes here too."""
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
    return render(request, "governance/propose.html", {"form": form}, status=status)


def _proposal_page(
    request: HttpRequest,
    proposal: Proposal,
    *,
    vote_form: VoteForm | None = None,
    comment_form: CommentForm | None = None,
    statement_form: StatementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The proposal page, with the form the viewer just sent (and its errors) when refused."""
    viewer = person(request)
    may_vote = selectors.may_vote(viewer, proposal)
    votes_cast = proposal.participations.count()
    member = has_role(viewer, Role.MEMBER)
    opinion_groups = selectors.opinion_groups(viewer, proposal)
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
        "result": result_of(proposal) if proposal.status == Status.CLOSED else None,
        "ballots": [
            (ballot, choice_text(proposal, ballot.choice))
            for ballot in selectors.published_ballots(viewer, proposal)
        ],
        "may_withdraw": proposal.status in selectors.OPEN
        and not votes_cast
        and (proposal.author_id == viewer.pk or has_role(viewer, Role.BOARD)),
        "may_propose": selectors.membership_of(viewer) is not None,
        "thread": [(t.comment, min(t.depth, MAX_INDENT)) for t in selectors.discussion(proposal)],
        "discussion_open": member and proposal.status != Status.WITHDRAWN,
        "comment_form": comment_form or CommentForm(auto_id="comment_%s"),
        "statements": selectors.statements(viewer, proposal),
        "opinions_open": member and proposal.status in selectors.OPEN,
        "statement_form": statement_form or StatementForm(auto_id="statement_%s"),
        "opinions": picture(opinion_groups) if opinion_groups else None,
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


def _anchor(number: int, fragment: str) -> str:
    return f"{reverse('governance:proposal', kwargs={'number': number})}#{fragment}"


def _refused(request: HttpRequest, form: forms.Form) -> HttpResponse:
    reason = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return render(request, "web/refused.html", {"reason": reason}, status=400)
