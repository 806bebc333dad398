"""The books' pages: reports every member can open, their own statement and notices, the
solidarity fund, and the board's desk. Each writing view parses a form, calls one action and
redirects with a message, or shows the form again with the refusal explained."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.coop.selectors import current_policy, get_coop_or_404
from taawun.domain.errors import DomainError
from taawun.domain.money import Money
from taawun.members import selectors as members
from taawun.web.charts import bar_chart, share_bars
from taawun.web.errors import explain, refusals
from taawun.web.flow import board_desk, person, posted, run_action

from . import actions, notices, selectors
from .forms import (
    ClaimForm,
    DecisionForm,
    FloorForm,
    MoneyForm,
    MoveForm,
    PayoutForm,
    ReasonForm,
    ReverseForm,
    SaleForm,
)
from .templatetags.books import chart_name

# --- Every member ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def overview(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    period = selectors.period_or_current(viewer, request.GET.get("period"))
    funds = selectors.fund_balances(viewer)
    context: dict[str, Any] = {
        "period": period,
        "periods": selectors.periods(viewer),
        "sheet": selectors.balance_sheet(viewer),
        "funds": funds,
        "funds_chart": share_bars(
            title=_("Fund balances"),
            items=[(chart_name(spec), money.amount) for spec, money in funds],
        ),
    }
    if period is not None:
        months = selectors.monthly_flows(viewer, period)
        context.update(
            income=selectors.income_statement(viewer, period),
            cash=selectors.cash_flow(viewer, period),
            months=months,
            flow_chart=bar_chart(
                title=_("Income and expenses by month"),
                labels=[str(m.month) for m, _i, _e in months],
                series=[
                    (_("Income"), [i.amount for _m, i, _e in months]),
                    (_("Expenses"), [e.amount for _m, _i, e in months]),
                ],
                rtl=get_language_bidi(),
            ),
        )
    return render(request, "ledger/overview.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def journal(request: HttpRequest) -> HttpResponse:
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    return render(
        request, "ledger/journal.html", {"page": selectors.journal(person(request), page)}
    )


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def my_statement(request: HttpRequest) -> HttpResponse:
    return _statement_page(request, selectors.statement(person(request)))


def _statement_page(request: HttpRequest, statement: selectors.Statement) -> HttpResponse:
    context: dict[str, Any] = {"statement": statement}
    if statement.work is not None and statement.work.by_month:
        context["work_chart"] = bar_chart(
            title=_("Earned per month"),
            labels=[str(month.month) for month, _earned in statement.work.by_month],
            series=[(_("Earned"), [earned.amount for _month, earned in statement.work.by_month])],
            rtl=get_language_bidi(),
        )
    return render(request, "ledger/statement.html", context)


@board_desk
@require_http_methods(["GET", "HEAD"])
def member_statement(request: HttpRequest, number: int) -> HttpResponse:
    member = members.membership_by_number_or_404(number)
    return _statement_page(request, selectors.statement(person(request), member))


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = selectors.allocation_notice(person(request), pk)
    return render(
        request,
        "ledger/notice.html",
        {"allocation": allocation, "summary": allocation.period.allocation or {}},
    )


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = selectors.allocation_notice(person(request), pk)
    try:
        document = notices.notice_pdf(allocation, get_coop_or_404().name)
    except notices.NoFont:
        return render(
            request,
            "web/refused.html",
            {"reason": _("PDF notices need a font with Arabic letters on the server.")},
            status=503,
        )
    response = HttpResponse(document, content_type="application/pdf")
    name = f"notice-{allocation.period.starts_on.year}-{allocation.member.number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@refusals
def solidarity(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    summary = selectors.solidarity_summary(viewer)
    form = ClaimForm(posted(request), reasons=summary["rules"].reasons)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            claim, status = run_action(
                form,
                actions.claim_support,
                actor=viewer,
                reason=form.cleaned_data["reason"],
                amount=selectors.in_books_currency(form.cleaned_data["amount"]),
                details=form.cleaned_data["details"],
            )
            if claim is not None:
                messages.success(request, _("Your claim is with those who decide."))
                return redirect("ledger:solidarity")
    return render(
        request,
        "ledger/solidarity.html",
        {"summary": summary, "form": form, "claims": selectors.my_claims(viewer)},
        status=status,
    )


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    class Line:
        def write(self, text: str) -> str:
            return text

    writer = csv.writer(Line())
    for row in rows:
        yield writer.writerow(row)


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def export_csv(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.journal_rows(person(request))
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="journal.csv"'
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
@refusals
def export_beancount(request: HttpRequest) -> HttpResponse:
    coop = get_coop_or_404()
    text = selectors.beancount_text(person(request), title=coop.name_en)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="books.beancount"'
    return response


# --- The board's desk ----------------------------------------------------------------------


def _desk(request: HttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
    viewer = person(request)
    context: dict[str, Any] = {
        "sale_form": SaleForm(prefix="sale"),
        "expense_form": MoneyForm(prefix="expense"),
        "income_form": MoneyForm(prefix="income"),
        "move_form": MoveForm(prefix="move"),
        "payout_form": PayoutForm(prefix="payout"),
        "reverse_form": ReverseForm(prefix="reverse"),
        "reopen_form": ReasonForm(prefix="reopen"),
        "floor_form": FloorForm(prefix="floor"),
        "floor_runs": selectors.floor_runs(viewer, limit=1),
        "owed": selectors.owed_to_members(viewer),
        "claims": [
            (c, DecisionForm(prefix=f"claim{c.pk}")) for c in selectors.claims_to_decide(viewer)
        ],
        "periods": selectors.periods(viewer),
        "policy": current_policy().policy,
        "today": timezone.localdate(),
    }
    context.update(forms)
    return render(request, "ledger/desk.html", context, status=status)


@board_desk
@require_http_methods(["GET", "HEAD"])
def desk(request: HttpRequest) -> HttpResponse:
    return _desk(request)


@board_desk
@require_POST
def record_sale(request: HttpRequest) -> HttpResponse:
    form = SaleForm(request.POST, prefix="sale")
    if not form.is_valid():
        return _desk(request, 400, sale_form=form)
    data = form.cleaned_data
    result, status = run_action(
        form,
        actions.record_sale,
        actor=person(request),
        worker_number=data["worker"],
        price=selectors.in_books_currency(data["price"]),
        tip=selectors.in_books_currency(data["tip"]),
        method=data["method"],
        hours=data["hours"],
        memo=data["memo"],
        on=data["on"],
        idempotency_key=data["key"],
    )
    if result is None:
        return _desk(request, status, sale_form=form)
    entry, parts = result
    messages.success(
        request,
        _("Entry %(number)s: the worker is owed %(worker)s, the co-op's fee is %(fee)s.")
        % {"number": entry.number, "worker": parts.worker_total, "fee": parts.coop_fee},
    )
    return redirect("ledger:desk")


def _money_movement(request: HttpRequest, prefix: str, action: Any, done: str) -> HttpResponse:
    form = MoneyForm(request.POST, prefix=prefix)
    if form.is_valid():
        data = form.cleaned_data
        entry, status = run_action(
            form,
            action,
            actor=person(request),
            amount=selectors.in_books_currency(data["amount"]),
            method=data["method"],
            memo=data["memo"],
            on=data["on"],
            idempotency_key=data["key"],
        )
        if entry is not None:
            messages.success(request, done % {"number": entry.number})
            return redirect("ledger:desk")
    else:
        status = 400
    return _desk(request, status, **{f"{prefix}_form": form})


@board_desk
@require_POST
def record_expense(request: HttpRequest) -> HttpResponse:
    return _money_movement(
        request, "expense", actions.record_expense, _("The expense is entry %(number)s.")
    )


@board_desk
@require_POST
def record_income(request: HttpRequest) -> HttpResponse:
    return _money_movement(
        request, "income", actions.record_other_income, _("The income is entry %(number)s.")
    )


@board_desk
@require_POST
def move_money(request: HttpRequest) -> HttpResponse:
    form = MoveForm(request.POST, prefix="move")
    if not form.is_valid():
        return _desk(request, 400, move_form=form)
    data = form.cleaned_data
    entry, status = run_action(
        form,
        actions.move_money,
        actor=person(request),
        amount=selectors.in_books_currency(data["amount"]),
        from_method=data["source"],
        to_method=data["target"],
        memo=data["memo"],
        idempotency_key=data["key"],
    )
    if entry is None:
        return _desk(request, status, move_form=form)
    messages.success(request, _("The move is entry %(number)s.") % {"number": entry.number})
    return redirect("ledger:desk")


@board_desk
@require_POST
def run_payouts(request: HttpRequest) -> HttpResponse:
    form = PayoutForm(request.POST, prefix="payout")
    if not form.is_valid():
        return _desk(request, 400, payout_form=form)
    run, status = run_action(
        form,
        actions.run_payouts,
        actor=person(request),
        method=form.cleaned_data["method"],
        idempotency_key=form.cleaned_data["key"],
        references=form.cleaned_data["references"],
    )
    if run is None:
        return _desk(request, status, payout_form=form)
    messages.success(
        request,
        _("Payout run %(number)s paid %(total)s.")
        % {"number": run.number, "total": Money(run.total, run.currency)},
    )
    return redirect("ledger:desk")


@board_desk
@require_POST
def reverse(request: HttpRequest) -> HttpResponse:
    form = ReverseForm(request.POST, prefix="reverse")
    if not form.is_valid():
        return _desk(request, 400, reverse_form=form)
    entry, status = run_action(
        form,
        actions.reverse_entry,
        actor=person(request),
        number=form.cleaned_data["number"],
        reason=form.cleaned_data["reason"],
    )
    if entry is None:
        return _desk(request, status, reverse_form=form)
    messages.success(
        request,
        _("Entry %(number)s reverses entry %(original)s.")
        % {"number": entry.number, "original": form.cleaned_data["number"]},
    )
    return redirect("ledger:desk")


@board_desk
@require_POST
def close_period(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.close_period(actor=person(request), period_id=pk)
    except DomainError as exc:
        messages.error(request, explain(exc))
    else:
        messages.success(request, _("The period is closed and its result shared."))
    return redirect("ledger:desk")


@board_desk
@require_POST
def reopen_period(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST, prefix="reopen")
    if not form.is_valid():
        return _desk(request, 400, reopen_form=form)
    period, status = run_action(
        form,
        actions.reopen_period,
        actor=person(request),
        period_id=pk,
        reason=form.cleaned_data["reason"],
    )
    if period is None:
        return _desk(request, status, reopen_form=form)
    messages.success(request, _("The period is open again; its closing was reversed."))
    return redirect("ledger:desk")


@board_desk
@require_POST
def decide_claim(request: HttpRequest, pk: int) -> HttpResponse:
    form = DecisionForm(request.POST, prefix=f"claim{pk}")
    if form.is_valid():
        claim, _status = run_action(
            form,
            actions.decide_claim,
            actor=person(request),
            claim_id=pk,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
        )
        if claim is not None:
            messages.success(request, _("The claim is decided."))
            return redirect("ledger:desk")
    for error in form.non_field_errors() or [_("Choose a decision.")]:
        messages.error(request, str(error))
    return redirect("ledger:desk")


@board_desk
@require_POST
def apply_earnings_floor(request: HttpRequest) -> HttpResponse:
    form = FloorForm(request.POST, prefix="floor")
    if not form.is_valid():
        return _desk(request, 400, floor_form=form)
    run, status = run_action(
        form,
        actions.apply_earnings_floor,
        actor=person(request),
        ending_on=form.cleaned_data["ending_on"],
    )
    if run is None:
        return _desk(request, status, floor_form=form)
    messages.success(
        request,
        _("From %(start)s to %(end)s the floor paid %(total)s; %(shortfall)s was not in the fund.")
        % {
            "start": date_format(run.starts_on),
            "end": date_format(run.ends_on),
            "total": Money(run.total, run.currency),
            "shortfall": Money(run.shortfall, run.currency),
        },
    )
    return redirect("ledger:floor_runs")


@board_desk
@require_http_methods(["GET", "HEAD"])
def floor_runs(request: HttpRequest) -> HttpResponse:
    return render(
        request, "ledger/floor_runs.html", {"runs": selectors.floor_runs(person(request))}
    )
