"""JSON endpoints for the books: the reports every member can read, their own statement, and
the board's money-moving calls (each needs an ``Idempotency-Key``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, cast

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator, Field

from taawun.accounts.models import User
from taawun.apikeys.idempotency import idempotent
from taawun.apikeys.schemas import (
    ERRORS,
    MAX_NUMBER,
    CurrencyCode,
    Input,
    MoneyText,
    PaymentMethodName,
    SafeText,
    WholeNumber,
)
from taawun.domain import ledger as books
from taawun.domain.errors import NotFound, gettext_noop
from taawun.domain.money import Money

from . import actions, selectors
from .models import FloorRun

router = Router(tags=["books"])


def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


# --- Schemas -------------------------------------------------------------------------------


class LineOut(Schema):
    code: str
    purpose: str
    amount: MoneyText


class SectionOut(Schema):
    kind: str
    lines: list[LineOut]
    total: MoneyText


def _section(section: selectors.Section) -> SectionOut:
    return SectionOut(
        kind=section.kind.value,
        lines=[
            LineOut(code=line.spec.code, purpose=line.spec.purpose, amount=str(line.amount.amount))
            for line in section.lines
        ],
        total=str(section.total.amount),
    )


class BalanceSheetOut(Schema):
    on: dt.date
    currency: CurrencyCode
    assets: SectionOut
    liabilities: SectionOut
    equity: SectionOut
    unclosed_result: MoneyText
    balances: bool


class IncomeStatementOut(Schema):
    period_id: int
    starts_on: dt.date
    ends_on: dt.date
    status: str
    currency: CurrencyCode
    income: SectionOut
    expenses: SectionOut
    result: MoneyText


class MovementOut(Schema):
    entry: int
    date: dt.date
    kind: str
    account: str
    amount: MoneyText = Field(description="Positive into the member's account, negative out of it.")
    balance_after: MoneyText


class StatementOut(Schema):
    member: int
    currency: CurrencyCode
    owed: MoneyText
    share_capital: MoneyText
    internal_capital: MoneyText
    latest: list[MovementOut]


class BreakdownOut(Schema):
    """The receipt both the customer and the worker see."""

    entry: int
    currency: CurrencyCode
    price: MoneyText
    tax: MoneyText
    coop_fee: MoneyText
    solidarity: MoneyText
    worker_share: MoneyText
    tip: MoneyText
    worker_total: MoneyText
    policy_version: int


class EntryOut(Schema):
    entry: int
    date: dt.date
    kind: str


class PayoutRunOut(Schema):
    run: int
    method: str
    total: MoneyText
    currency: CurrencyCode
    payouts: int


class TopUpOut(Schema):
    member: int
    hours: str
    earned: MoneyText
    needed: MoneyText
    paid: MoneyText


class FloorRunOut(Schema):
    starts_on: dt.date
    ends_on: dt.date
    policy_version: int
    fund: str
    hourly: MoneyText
    total: MoneyText
    shortfall: MoneyText = Field(description="What members needed that the fund did not hold.")
    currency: CurrencyCode
    entry: int | None
    top_ups: list[TopUpOut]


def _floor_run(run: FloorRun) -> FloorRunOut:
    def text(amount: Decimal) -> str:
        return str(Money(amount, run.currency).amount)

    return FloorRunOut(
        starts_on=run.starts_on,
        ends_on=run.ends_on,
        policy_version=run.policy_version,
        fund=run.fund,
        hourly=text(run.hourly),
        total=text(run.total),
        shortfall=text(run.shortfall),
        currency=run.currency,
        entry=run.entry.number if run.entry else None,
        top_ups=[
            TopUpOut(
                member=line.member.number,
                hours=str(line.hours),
                earned=text(line.earned),
                needed=text(line.needed),
                paid=text(line.paid),
            )
            for line in run.top_ups.all()
        ],
    )


def _text_only(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("a date is written as text, YYYY-MM-DD")
    return value


# JSON carries dates as text: ISO 8601 text is parsed though the body is otherwise strict (and
# a number is not taken for a timestamp).
Day = Annotated[dt.date, BeforeValidator(_text_only), Field(strict=False)]


class SaleIn(Input):
    worker: WholeNumber = Field(ge=1, le=MAX_NUMBER, description="The worker's member number")
    price: MoneyText
    tip: MoneyText = "0"
    hours: str = Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$", examples=["3.5"])
    method: PaymentMethodName
    on: Day | None = None
    memo: SafeText = Field(default="", max_length=200)


class MoneyIn(Input):
    amount: MoneyText
    method: PaymentMethodName
    memo: SafeText = Field(max_length=200)
    on: Day | None = None


class PayoutIn(Input):
    method: PaymentMethodName
    references: dict[str, SafeText] = Field(
        default_factory=dict, description="Member number → payment reference (bank, wallet)"
    )


class FloorIn(Input):
    ending_on: Day | None = Field(default=None, description="The window's last day (yesterday)")


# --- Reading -------------------------------------------------------------------------------


@router.get("/balance-sheet", response={200: BalanceSheetOut, **ERRORS}, summary="Balance sheet")
def balance_sheet(request: HttpRequest) -> BalanceSheetOut:
    sheet = selectors.balance_sheet(_actor(request))
    return BalanceSheetOut(
        on=sheet.on,
        currency=sheet.assets.currency,
        assets=_section(sheet.assets),
        liabilities=_section(sheet.liabilities),
        equity=_section(sheet.equity),
        unclosed_result=str(sheet.unclosed_result.amount),
        balances=sheet.balances,
    )


@router.get(
    "/income-statement",
    response={200: IncomeStatementOut, **ERRORS},
    summary="Income statement of a period (today's when none is named)",
)
def income_statement(request: HttpRequest, period: int | None = None) -> IncomeStatementOut:
    viewer = _actor(request)
    found = selectors.period_or_current(viewer, str(period) if period else None)
    if found is None:
        raise NotFound("not_found", gettext_noop("Nothing has been recorded yet."))
    statement = selectors.income_statement(viewer, found)
    return IncomeStatementOut(
        period_id=found.pk,
        starts_on=found.starts_on,
        ends_on=found.ends_on,
        status=found.status,
        currency=statement.income.currency,
        income=_section(statement.income),
        expenses=_section(statement.expenses),
        result=str(statement.result.amount),
    )


@router.get("/statement", response={200: StatementOut, **ERRORS}, summary="My statement")
def my_statement(request: HttpRequest) -> StatementOut:
    statement = selectors.statement(_actor(request))
    return StatementOut(
        member=statement.member.number,
        currency=statement.owed.currency,
        owed=str(statement.owed.amount),
        share_capital=str(statement.share_capital.amount),
        internal_capital=str(statement.internal_capital.amount),
        latest=[
            MovementOut(
                entry=p.entry.number,
                date=p.entry.date,
                kind=p.entry.kind,
                account=p.account.purpose,
                amount=str(Money(-p.amount, p.currency).amount),
                balance_after=str(
                    Money(
                        books.natural(books.Kind(p.account.kind), p.balance_after), p.currency
                    ).amount
                ),
            )
            for p in statement.lines
        ],
    )


# --- The board's money-moving calls --------------------------------------------------------


@router.post(
    "/sales",
    response={201: BreakdownOut, **ERRORS},
    summary="Record work a customer paid for (board; idempotent)",
)
@idempotent
def record_sale(request: HttpRequest, payload: SaleIn) -> Status[BreakdownOut]:
    entry, parts = actions.record_sale(
        actor=_actor(request),
        worker_number=payload.worker,
        price=selectors.in_books_currency(payload.price),
        tip=selectors.in_books_currency(payload.tip),
        method=payload.method,
        hours=Decimal(payload.hours),
        memo=payload.memo,
        on=payload.on,
    )
    return Status(
        201,
        BreakdownOut(
            entry=entry.number,
            currency=parts.price.currency,
            price=str(parts.price.amount),
            tax=str(parts.tax.amount),
            coop_fee=str(parts.coop_fee.amount),
            solidarity=str(parts.solidarity.amount),
            worker_share=str(parts.worker_share.amount),
            tip=str(parts.tip.amount),
            worker_total=str(parts.worker_total.amount),
            policy_version=parts.policy_version,
        ),
    )


def _entry(entry: Any) -> EntryOut:
    return EntryOut(entry=entry.number, date=entry.date, kind=entry.kind)


@router.post(
    "/expenses", response={201: EntryOut, **ERRORS}, summary="Record an expense (board; idempotent)"
)
@idempotent
def record_expense(request: HttpRequest, payload: MoneyIn) -> Status[EntryOut]:
    entry = actions.record_expense(
        actor=_actor(request),
        amount=selectors.in_books_currency(payload.amount),
        method=payload.method,
        memo=payload.memo,
        on=payload.on,
    )
    return Status(201, _entry(entry))


@router.post(
    "/payout-runs",
    response={201: PayoutRunOut, **ERRORS},
    summary="Pay every member what the co-op owes them (board; idempotent)",
)
@idempotent
def run_payouts(request: HttpRequest, payload: PayoutIn) -> Status[PayoutRunOut]:
    references = {
        int(number): text for number, text in payload.references.items() if number.isdecimal()
    }
    run = actions.run_payouts(
        actor=_actor(request),
        method=payload.method,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        references=references,
    )
    return Status(
        201,
        PayoutRunOut(
            run=run.number,
            method=run.method,
            total=str(Money(run.total, run.currency).amount),
            currency=run.currency,
            payouts=run.payouts.count(),
        ),
    )


@router.post(
    "/earnings-floor",
    response={201: FloorRunOut, **ERRORS},
    summary="Top up members who earned less than the floor in a window (board; idempotent)",
)
@idempotent
def apply_earnings_floor(request: HttpRequest, payload: FloorIn) -> Status[FloorRunOut]:
    run = actions.apply_earnings_floor(actor=_actor(request), ending_on=payload.ending_on)
    return Status(201, _floor_run(run))


@router.get(
    "/earnings-floor",
    response={200: list[FloorRunOut], **ERRORS},
    summary="The earnings floor's runs, newest first (board)",
)
def floor_runs(request: HttpRequest) -> list[FloorRunOut]:
    return [_floor_run(run) for run in selectors.floor_runs(_actor(request))]
