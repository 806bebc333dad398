"""The freelance projects' pages: open briefs, posting a brief, a brief with its proposals and
milestones, and the buttons of each milestone (shown on the shared order page). Each writing
view parses a form, calls one action and redirects with a message, or shows the form again with
the refusal explained."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.ledger.selectors import in_books_currency
from taawun.market.selectors import access_order_or_404
from taawun.web.errors import refusals
from taawun.web.flow import person, posted, run_action

from . import actions, selectors
from .forms import (
    AcceptForm,
    BriefForm,
    CancelForm,
    ChooseForm,
    DeliverForm,
    DisputeForm,
    ProposalForm,
    ResolveForm,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@login_required
@require_http_methods(["GET", "HEAD"])
def open_briefs(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    return render(
        request,
        "market_projects/list.html",
        {
            "briefs": selectors.open_briefs()[:100],
            "mine": selectors.briefs_posted(viewer)[:50],
            "proposals": selectors.proposals_made(viewer)[:50],
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def new(request: HttpRequest) -> HttpResponse:
    form = BriefForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            brief, status = run_action(
                form, _post_brief, actor=person(request), data=form.cleaned_data
            )
            if brief is not None:
                messages.success(request, _("Your brief is posted: members can now propose."))
                return redirect("market:projects:brief", brief_id=brief.pk)
    return render(request, "market_projects/new.html", {"form": form}, status=status)


def _money(amount: Any) -> Money | None:
    return in_books_currency(amount) if amount is not None else None


def _post_brief(*, actor: User, data: dict[str, Any]) -> Any:
    return actions.post_brief(
        actor=actor,
        title=data["title"],
        description=data["description"],
        budget=_money(data["budget"]),
        deadline=data["deadline"],
    )


def _brief_page(
    request: HttpRequest,
    brief_id: int,
    *,
    proposal_form: forms.Form | None = None,
    choose_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    view = selectors.brief_view(person(request), brief_id)
    return render(
        request,
        "market_projects/brief.html",
        {
            "view": view,
            "brief": view.brief,
            "proposal_form": proposal_form or (ProposalForm() if view.may_propose else None),
            "choose_form": choose_form or ChooseForm(),
            "cancel_form": CancelForm(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def brief(request: HttpRequest, brief_id: int) -> HttpResponse:
    return _brief_page(request, brief_id)


def _propose(*, actor: User, brief_id: int, data: dict[str, Any]) -> Any:
    return actions.propose(
        actor=actor,
        brief_id=brief_id,
        price=in_books_currency(data["price"]),
        days=data["days"],
        plan=data["plan"],
        milestones=[
            actions.Step(title=title, amount=in_books_currency(amount))
            for title, amount in data["milestones"]
        ],
    )


@login_required
@require_POST
@refusals
def propose(request: HttpRequest, brief_id: int) -> HttpResponse:
    form = ProposalForm(request.POST)
    status = 400
    if form.is_valid():
        proposal, status = run_action(
            form, _propose, actor=person(request), brief_id=brief_id, data=form.cleaned_data
        )
        if proposal is not None:
            messages.success(request, _("Your proposal is with the customer."))
            return redirect("market:projects:brief", brief_id=brief_id)
    return _brief_page(request, brief_id, proposal_form=form, status=status)


@login_required
@require_POST
@refusals
def withdraw(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = actions.withdraw_proposal(actor=person(request), proposal_id=proposal_id)
    messages.success(request, _("Your proposal is withdrawn."))
    return redirect("market:projects:brief", brief_id=proposal.brief_id)


@login_required
@require_POST
@refusals
def choose(request: HttpRequest, brief_id: int, proposal_id: int) -> HttpResponse:
    form = ChooseForm(request.POST)
    status = 400
    if form.is_valid():
        agreed, status = run_action(
            form,
            actions.choose_proposal,
            actor=person(request),
            proposal_id=proposal_id,
            method=form.cleaned_data["method"],
        )
        if agreed is not None:
            messages.success(request, _("Agreed: the worker can start on the first milestone."))
            return redirect("market:projects:brief", brief_id=agreed.pk)
    return _brief_page(request, brief_id, choose_form=form, status=status)


@login_required
@require_POST
@refusals
def cancel_remaining(request: HttpRequest, brief_id: int) -> HttpResponse:
    form = CancelForm(request.POST)
    if form.is_valid():
        actions.cancel_remaining(
            actor=person(request), brief_id=brief_id, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The milestones not yet delivered are cancelled."))
    else:
        messages.error(request, _("The reason is too long."))
    return redirect("market:projects:brief", brief_id=brief_id)


# --- A milestone's buttons (on the shared order page) ------------------------------------------


def _deliver(*, data: dict[str, Any], **who: Any) -> Any:
    return actions.deliver(note=data["note"], link=data["link"], **who)


def _accept(*, data: dict[str, Any], **who: Any) -> Any:
    return actions.accept(tip=_money(data["tip"]), **who)


def _dispute(*, data: dict[str, Any], **who: Any) -> Any:
    return actions.dispute(reason=data["reason"], **who)


def _resolve(*, data: dict[str, Any], **who: Any) -> Any:
    return actions.resolve(pay_worker=data["outcome"] == "pay", note=data["note"], **who)


def _cancel(*, data: dict[str, Any], **who: Any) -> Any:
    return actions.cancel_milestone(reason=data["reason"], **who)


STEPS: dict[str, tuple[type[forms.Form], Callable[..., Any], StrOrPromise]] = {
    "deliver": (
        DeliverForm,
        _deliver,
        gettext_lazy("Delivered: the customer is asked to accept the work."),
    ),
    "accept": (AcceptForm, _accept, gettext_lazy("Accepted and paid. Thank you.")),
    "dispute": (DisputeForm, _dispute, gettext_lazy("Disputed: the board will look at it.")),
    "resolve": (ResolveForm, _resolve, gettext_lazy("The dispute is resolved.")),
    "cancel": (CancelForm, _cancel, gettext_lazy("The milestone is cancelled.")),
}


@login_required
@require_POST
@refusals
def milestone_step(request: HttpRequest, order_id: int, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    viewer = person(request)
    order = access_order_or_404(viewer, order_id)
    form_class, act, done = STEPS[step]
    form = form_class(request.POST)
    status = 400
    if form.is_valid():
        milestone, status = run_action(
            form, act, data=form.cleaned_data, actor=viewer, order_id=order.pk
        )
        if milestone is not None:
            messages.success(request, done)
            return redirect("market:order", order_id=order.pk)
    return render(
        request,
        "market_projects/milestone_step.html",
        {"order": order, "milestone": selectors.milestone_of(order), "form": form, "step": step},
        status=status,
    )
