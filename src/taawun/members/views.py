"""Membership pages: each view parses a form, calls one action and redirects with a message, or
re-renders the page with the refusal explained. Reads go through ``selectors``."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.accounts.models import Role
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy
from taawun.domain.shares import allowed_operations
from taawun.web.errors import refusals
from taawun.web.flow import board_desk, person, posted, run_action
from taawun.web.pagecache import shared_page

from . import actions, selectors
from .forms import (
    ApplicationForm,
    ApproveForm,
    DirectoryFilterForm,
    LookupForm,
    NoticeForm,
    PaymentForm,
    ProfileForm,
    RefuseForm,
    SellBackForm,
    TransferForm,
)
from .models import Application, Membership, Profile


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


# --- Everyone -----------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@refusals
@shared_page
def directory(request: HttpRequest) -> HttpResponse:
    policy = current_policy().policy
    form = DirectoryFilterForm(request.GET or None, policy=policy)
    filters = {"member_class": "", "name": ""}
    if form.is_valid():
        filters = {key: form.cleaned_data[key].strip() for key in filters}
    viewer = person(request) if request.user.is_authenticated else None
    listing = selectors.directory(viewer, page=_page_number(request), **filters)
    return render(
        request,
        "members/directory.html",
        {
            "form": form,
            "listing": listing,
            "policy": policy,
            "filter_query": urlencode({key: value for key, value in filters.items() if value}),
        },
    )


# --- The applicant and the member ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def apply(request: HttpRequest) -> HttpResponse:
    user = person(request)
    if selectors.membership_of(user) is not None:
        return redirect("members:mine")
    form = ApplicationForm(posted(request), policy=current_policy().policy)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            application, status = run_action(
                form, actions.apply_for_membership, actor=user, **form.cleaned_data
            )
            if application is not None:
                messages.success(request, _("Your application has been sent to the board."))
                return redirect("members:mine")
    pending = [a for a in selectors.my_applications(user) if a.status == Application.Status.PENDING]
    return render(
        request,
        "members/apply.html",
        {"form": form, "pending": pending[0] if pending else None},
        status=status,
    )


@login_required
@require_POST
@refusals
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.access_application_or_404(person(request), pk)
    form = forms.Form(request.POST)
    result, status = run_action(
        form, actions.withdraw_application, actor=person(request), application_id=pk
    )
    if result is not None:
        messages.success(request, _("Your application has been withdrawn."))
        return redirect("members:mine")
    return _render_mine(request, error_form=form, status=status)


def _render_mine(
    request: HttpRequest, *, error_form: forms.BaseForm | None = None, status: int = 200
) -> HttpResponse:
    user = person(request)
    current = current_policy()
    membership = selectors.own_membership(user)
    account = selectors.member_account(user, membership) if membership else None
    return render(
        request,
        "members/mine.html",
        {
            "account": account,
            "applications": selectors.my_applications(user),
            "policy": current.policy,
            "error_form": error_form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def mine(request: HttpRequest) -> HttpResponse:
    return _render_mine(request)


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def notice(request: HttpRequest) -> HttpResponse:
    """Give notice (after a confirmation page, which works without JavaScript) or withdraw it."""
    membership = selectors.membership_of(person(request))
    if membership is None:
        raise Http404
    leaving = membership.status == Membership.Status.LEAVING
    form = NoticeForm(posted(request), initial={"operation": "withdraw" if leaving else "give"})
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            operation = form.cleaned_data["operation"]
            status = 200
            if operation == "withdraw" or form.cleaned_data["confirm"]:
                action = actions.give_notice if operation == "give" else actions.withdraw_notice
                result, status = run_action(
                    form, action, actor=person(request), membership_id=membership.pk
                )
                if result is not None:
                    if operation == "give":
                        messages.success(request, _("Your notice has been recorded."))
                    else:
                        messages.success(request, _("Your notice has been withdrawn."))
                    return redirect("members:mine")
    policy = current_policy().policy
    return render(
        request,
        "members/notice.html",
        {
            "form": form,
            "membership": membership,
            "operation": form.initial["operation"],  # what the membership's state allows now
            "capital": selectors.capital_balance(membership),
            "notice_days": policy.membership.exit_notice_days,
            "repayment_days": policy.membership.repayment_days,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals
def profile(request: HttpRequest) -> HttpResponse:
    user = person(request)
    instance = selectors.profile_of(user) or Profile(user=user, display_name=user.get_full_name())
    form = ProfileForm(posted(request), instance=instance)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            result, status = run_action(
                form, actions.update_profile, actor=user, **form.cleaned_data
            )
            if result is not None:
                messages.success(request, _("Your profile has been saved."))
                return redirect("members:mine")
    return render(request, "members/profile.html", {"form": form}, status=status)


# --- The board ------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@board_desk
def board(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    lookup = LookupForm(request.GET if "number" in request.GET else None)
    status = 200
    if lookup.is_bound:
        status = 400
        if lookup.is_valid():
            number = lookup.cleaned_data["number"]
            try:
                selectors.access_membership_or_404(viewer, number)
            except Http404:
                lookup.add_error("number", _("No member has this number."))
                status = 404
            else:
                return redirect("members:member", number=number)
    return render(
        request,
        "members/board.html",
        {
            "lookup": lookup,
            "pending": selectors.pending_applications(viewer),
            "due": selectors.instalments_due(viewer),
            "exits": selectors.exits_in_progress(viewer),
            "repayments": selectors.repayments_owed(viewer),
            "policy": current_policy().policy,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@board_desk
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.access_application_or_404(person(request), pk)
    decision = request.POST.get("decision") if request.method == "POST" else None
    approve_form = ApproveForm(request.POST if decision == "approve" else None)
    refuse_form = RefuseForm(request.POST if decision == "refuse" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if decision == "approve" and approve_form.is_valid():
            membership, status = run_action(
                approve_form, actions.approve_application, actor=person(request), application_id=pk
            )
            if membership is not None:
                message = _("Application approved: member number %(number)s.")
                messages.success(request, message % {"number": membership.number})
                return redirect("members:member", number=membership.number)
        elif decision == "refuse" and refuse_form.is_valid():
            refused, status = run_action(
                refuse_form,
                actions.refuse_application,
                actor=person(request),
                application_id=pk,
                reason=refuse_form.cleaned_data["reason"],
            )
            if refused is not None:
                messages.success(
                    request, _("Application refused; the applicant can read the reason.")
                )
                return redirect("members:board")
    return render(
        request,
        "members/application.html",
        {
            "application": application,
            "approve_form": approve_form,
            "refuse_form": refuse_form,
            "policy": current_policy().policy,
        },
        status=status,
    )


def _render_member(
    request: HttpRequest,
    membership: Membership,
    *,
    failed: tuple[str, forms.BaseForm, int] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The board's page for one member; ``failed`` is (section, bound form, instalment id)."""
    account = selectors.member_account(person(request), membership)
    section, failed_form, failed_id = failed or ("", None, 0)
    pay_forms = []
    for instalment in account.instalments:
        if instalment.paid_at is None and instalment.cancelled_at is None:
            form = (
                failed_form
                if section == "pay" and failed_id == instalment.pk
                else PaymentForm(auto_id=f"pay-{instalment.pk}-%s")
            )
            pay_forms.append((instalment, form))
    allowed = allowed_operations(account.membership.status)
    shown = {
        "pay": any(form is failed_form for _instalment, form in pay_forms),
        "sell_back": "sell_back" in allowed,
        "repay": account.repayment is not None and account.repayment.paid_at is None,
        "transfer": "transfer_out" in allowed,
    }
    return render(
        request,
        "members/member.html",
        {
            "account": account,
            "policy": current_policy().policy,
            "shown": shown,
            # A refusal whose form is no longer on the page (say, a second recording of a payment)
            # is shown at the top instead.
            "top_error": failed_form if section and not shown[section] else None,
            "pay_forms": pay_forms,
            "sell_back_form": failed_form if section == "sell_back" else SellBackForm(),
            "repay_form": failed_form if section == "repay" else PaymentForm(auto_id="repay-%s"),
            "transfer_form": failed_form if section == "transfer" else TransferForm(),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD"])
@board_desk
def member_detail(request: HttpRequest, number: int) -> HttpResponse:
    membership = selectors.access_membership_or_404(person(request), number)
    return _render_member(request, membership)


@require_POST
@board_desk
def pay_instalment(request: HttpRequest, pk: int) -> HttpResponse:
    instalment = selectors.instalment_or_404(person(request), pk)
    form = PaymentForm(request.POST, auto_id=f"pay-{pk}-%s")
    status = 400
    if form.is_valid():
        paid, status = run_action(
            form,
            actions.record_instalment_payment,
            actor=person(request),
            instalment_id=pk,
            **form.cleaned_data,
        )
        if paid is not None:
            messages.success(
                request,
                _("Instalment %(number)s recorded as paid; receipt number %(receipt)s.")
                % {"number": paid.number, "receipt": paid.receipt_number},
            )
            return redirect("members:member", number=instalment.membership.number)
    return _render_member(request, instalment.membership, failed=("pay", form, pk), status=status)


@require_POST
@board_desk
def sell_back(request: HttpRequest, number: int) -> HttpResponse:
    membership = selectors.access_membership_or_404(person(request), number)
    form = SellBackForm(request.POST)
    status = 400
    if form.is_valid():
        repayment, status = run_action(
            form,
            actions.sell_back,
            actor=person(request),
            membership_id=membership.pk,
            waive_notice=form.cleaned_data["waive_notice"],
        )
        if repayment is not None:
            messages.success(
                request, _("The shares have been sold back; the repayment is now owed.")
            )
            return redirect("members:member", number=number)
    return _render_member(request, membership, failed=("sell_back", form, 0), status=status)


@require_POST
@board_desk
def repay(request: HttpRequest, number: int) -> HttpResponse:
    membership = selectors.access_membership_or_404(person(request), number)
    form = PaymentForm(request.POST, auto_id="repay-%s")
    status = 400
    if form.is_valid():
        repayment, status = run_action(
            form,
            actions.record_repayment,
            actor=person(request),
            membership_id=membership.pk,
            **form.cleaned_data,
        )
        if repayment is not None:
            messages.success(request, _("The repayment has been recorded."))
            return redirect("members:member", number=number)
    return _render_member(request, membership, failed=("repay", form, 0), status=status)


@require_POST
@board_desk
def transfer(request: HttpRequest, number: int) -> HttpResponse:
    membership = selectors.access_membership_or_404(person(request), number)
    form = TransferForm(request.POST)
    status = 400
    if form.is_valid():
        to_number = form.cleaned_data["to_number"]
        try:
            receiver = selectors.access_membership_or_404(person(request), to_number)
        except Http404:
            form.add_error("to_number", _("No member has this number."))
        else:
            operation, status = run_action(
                form,
                actions.transfer_shares,
                actor=person(request),
                from_membership_id=membership.pk,
                to_membership_id=receiver.pk,
            )
            if operation is not None:
                messages.success(
                    request,
                    _("%(shares)s shares transferred to member number %(number)s.")
                    % {"shares": operation.shares, "number": to_number},
                )
                return redirect("members:member", number=number)
    return _render_member(request, membership, failed=("transfer", form, 0), status=status)


# --- The legal registers (members and board) -----------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def registers(request: HttpRequest) -> HttpResponse:
    require_role(person(request), Role.MEMBER, Role.BOARD)
    return render(request, "members/registers.html")


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def member_register(request: HttpRequest) -> HttpResponse:
    rows = selectors.member_register(person(request))
    return render(
        request,
        "members/member_register.html",
        {"rows": rows, "policy": current_policy().policy},
    )


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def share_register(request: HttpRequest) -> HttpResponse:
    rows = selectors.share_register(person(request))
    return render(request, "members/share_register.html", {"rows": rows})
