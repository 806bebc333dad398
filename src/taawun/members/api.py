"""JSON endpoints for membership: directory, own account and profile, applications, share
payments, leaving, repayment and transfers. Each parses its input, calls one action or selector
and returns a schema; the actions check who may do what."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role
from taawun.apikeys.auth import PUBLIC
from taawun.apikeys.idempotency import idempotent
from taawun.apikeys.schemas import (
    ERRORS,
    MAX_ID,
    MAX_NUMBER,
    QUERY_TEXT_PATTERN,
    CurrencyCode,
    Input,
    MoneyText,
    PaymentMethodName,
    SafeText,
    WholeNumber,
    money_text,
)
from taawun.domain.errors import NotFound, gettext_noop
from taawun.transparency.versioning import cached

from . import actions, selectors
from .models import Application, Instalment, Membership, Profile, Repayment, ShareOperation

router = Router(tags=["members"])

CLASS_KEY = r"^[a-z][a-z0-9_]{1,30}$"
Visibility = Literal["private", "members", "public"]


def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


def _number(description: str = "Member number in the register") -> Any:
    return Path(..., ge=1, le=MAX_NUMBER, description=description)


def _id() -> Any:
    return Path(..., ge=1, le=MAX_ID)


# --- Schemas -------------------------------------------------------------------------------


class DirectoryEntryOut(Schema):
    """A member as the caller may see them: fields the member keeps hidden are ``null``."""

    number: int
    member_class: str
    joined_on: dt.date
    name: str | None
    email: str | None
    phone: str | None
    city: str | None
    skills: str | None
    bio: str | None


class DirectoryPageOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[DirectoryEntryOut]


class MembershipOut(Schema):
    number: int
    member_class: str
    status: Literal["active", "leaving", "left"]
    joined_on: dt.date
    notice_given_on: dt.date | None
    left_on: dt.date | None


class InstalmentOut(Schema):
    id: int
    member_number: int
    number: int
    due_on: dt.date
    amount: MoneyText
    currency: CurrencyCode
    status: Literal["due", "paid", "cancelled"]
    paid_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    method: PaymentMethodName | None
    reference: str
    receipt_number: int | None

    @staticmethod
    def resolve_member_number(obj: Instalment) -> int:
        return obj.membership.number

    @staticmethod
    def resolve_amount(obj: Instalment) -> str:
        return money_text(obj.amount, obj.currency)

    @staticmethod
    def resolve_status(obj: Instalment) -> str:
        if obj.paid_at is not None:
            return "paid"
        return "cancelled" if obj.cancelled_at is not None else "due"

    @staticmethod
    def resolve_method(obj: Instalment) -> str | None:
        return obj.method or None


class RepaymentOut(Schema):
    member_number: int
    amount: MoneyText
    currency: CurrencyCode
    due_on: dt.date
    paid_at: dt.datetime | None
    method: PaymentMethodName | None
    reference: str

    @staticmethod
    def resolve_member_number(obj: Repayment) -> int:
        return obj.membership.number

    @staticmethod
    def resolve_amount(obj: Repayment) -> str:
        return money_text(obj.amount, obj.currency)

    @staticmethod
    def resolve_method(obj: Repayment) -> str | None:
        return obj.method or None


class AccountOut(Schema):
    """The caller's own membership account."""

    number: int
    member_class: str
    status: Literal["active", "leaving", "left"]
    joined_on: dt.date
    notice_given_on: dt.date | None
    currency: CurrencyCode
    shares: int
    subscribed: MoneyText
    paid: MoneyText
    unpaid: MoneyText
    capital: MoneyText = Field(description="Balance of the capital account.")
    may_vote: bool
    instalments: list[InstalmentOut]
    repayment: RepaymentOut | None

    @staticmethod
    def resolve_number(obj: selectors.MemberAccount) -> int:
        return obj.membership.number

    @staticmethod
    def resolve_member_class(obj: selectors.MemberAccount) -> str:
        return obj.membership.member_class

    @staticmethod
    def resolve_status(obj: selectors.MemberAccount) -> str:
        return obj.membership.status

    @staticmethod
    def resolve_joined_on(obj: selectors.MemberAccount) -> dt.date:
        return obj.membership.joined_on

    @staticmethod
    def resolve_notice_given_on(obj: selectors.MemberAccount) -> dt.date | None:
        return obj.membership.notice_given_on

    @staticmethod
    def resolve_currency(obj: selectors.MemberAccount) -> str:
        return obj.capital.currency

    @staticmethod
    def resolve_subscribed(obj: selectors.MemberAccount) -> str:
        return money_text(obj.subscribed.amount, obj.subscribed.currency)

    @staticmethod
    def resolve_paid(obj: selectors.MemberAccount) -> str:
        return money_text(obj.paid.amount, obj.paid.currency)

    @staticmethod
    def resolve_unpaid(obj: selectors.MemberAccount) -> str:
        return money_text(obj.unpaid.amount, obj.unpaid.currency)

    @staticmethod
    def resolve_capital(obj: selectors.MemberAccount) -> str:
        return money_text(obj.capital.amount, obj.capital.currency)


class ProfileOut(Schema):
    display_name: str
    phone: str
    city: str
    skills: str
    bio: str
    show_in_directory: bool
    name_visibility: Visibility
    email_visibility: Visibility
    phone_visibility: Visibility
    city_visibility: Visibility
    skills_visibility: Visibility
    bio_visibility: Visibility


class ProfilePatch(Input):
    """Only the fields sent are changed; ``null`` also leaves a field unchanged."""

    display_name: SafeText | None = Field(None, min_length=1, max_length=150)
    phone: SafeText | None = Field(None, max_length=32)
    city: SafeText | None = Field(None, max_length=120)
    skills: SafeText | None = Field(None, max_length=300)
    bio: SafeText | None = Field(None, max_length=1000)
    show_in_directory: bool | None = None
    name_visibility: Visibility | None = None
    email_visibility: Visibility | None = None
    phone_visibility: Visibility | None = None
    city_visibility: Visibility | None = None
    skills_visibility: Visibility | None = None
    bio_visibility: Visibility | None = None


class ApplicantOut(Schema):
    name: str
    email: str


class ApplicationIn(Input):
    member_class: str = Field(pattern=CLASS_KEY, examples=["worker"])
    motivation: SafeText = Field("", max_length=2000)


class ApplicationOut(Schema):
    id: int
    applicant: ApplicantOut
    member_class: str
    motivation: str
    status: Literal["pending", "approved", "refused", "withdrawn"]
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str
    policy_version: int

    @staticmethod
    def resolve_applicant(obj: Application) -> dict[str, str]:
        return {"name": obj.user.get_full_name(), "email": obj.user.email}


class RefusalIn(Input):
    reason: SafeText = Field(max_length=2000)


class PaymentIn(Input):
    method: PaymentMethodName
    reference: SafeText = Field("", max_length=80, description="Required for bank and wallet.")


class SellBackIn(Input):
    waive_notice: bool = False


class TransferIn(Input):
    to_number: WholeNumber = Field(ge=1, le=MAX_NUMBER)


class ShareOperationOut(Schema):
    register_number: int
    kind: Literal["subscribe", "transfer", "sell_back"]
    member_number: int
    counterparty_number: int | None
    shares: int
    nominal: MoneyText
    currency: CurrencyCode
    at: dt.datetime
    policy_version: int

    @staticmethod
    def resolve_member_number(obj: ShareOperation) -> int:
        return obj.membership.number

    @staticmethod
    def resolve_counterparty_number(obj: ShareOperation) -> int | None:
        return obj.counterparty.number if obj.counterparty else None

    @staticmethod
    def resolve_nominal(obj: ShareOperation) -> str:
        return money_text(obj.nominal, obj.currency)


# --- The member directory ------------------------------------------------------------------


@router.get(
    "/members", response={200: DirectoryPageOut, **ERRORS}, summary="The member directory", **PUBLIC
)
def directory(
    request: HttpRequest,
    page: int = Query(1, ge=1, le=1_000_000),
    member_class: str = Query("", max_length=31, pattern=r"^([a-z][a-z0-9_]{1,30})?$"),
    name: str = Query(
        "",
        max_length=100,
        pattern=QUERY_TEXT_PATTERN,
        description="Only members whose name has this",
    ),
) -> HttpResponse:
    """Each member's privacy choices apply: anonymous callers see public fields only, and a name
    is searchable only by those it is shown to. The JSON of a page is built once per data
    version and kind of viewer, then served as it is."""
    actor = _actor(request)

    def render() -> str:
        listing = selectors.directory(actor, page=page, member_class=member_class, name=name)
        return DirectoryPageOut(
            count=listing.count,
            page=listing.number,
            pages=listing.num_pages,
            page_size=selectors.DIRECTORY_PAGE_SIZE,
            results=[DirectoryEntryOut.from_orm(e) for e in listing.entries],
        ).model_dump_json()

    label = selectors.directory_label(actor, page=page, member_class=member_class, name=name)
    body = cached(f"api:{label}", render)
    return HttpResponse(body, content_type="application/json")


@router.get(
    "/members/{number}",
    response={200: DirectoryEntryOut, **ERRORS},
    summary="One member in the directory",
    **PUBLIC,
)
def directory_member(request: HttpRequest, number: int = _number()) -> selectors.DirectoryEntry:
    return selectors.directory_member(_actor(request), number)


# --- Own account and profile ---------------------------------------------------------------


@router.get("/me", response={200: AccountOut, **ERRORS}, summary="My membership account")
def me(request: HttpRequest) -> selectors.MemberAccount:
    membership = selectors.membership_of(_actor(request))
    if membership is None:
        raise NotFound("not_found", gettext_noop("You are not a member of the co-op."))
    return selectors.member_account(_actor(request), membership)


@router.patch(
    "/me/profile", response={200: ProfileOut, **ERRORS}, summary="Edit my directory entry"
)
def update_profile(request: HttpRequest, payload: ProfilePatch) -> Profile:
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return actions.update_profile(actor=_actor(request), **changes)


# --- Applications --------------------------------------------------------------------------


@router.post("/applications", response={201: ApplicationOut, **ERRORS}, summary="Apply to join")
def apply(request: HttpRequest, payload: ApplicationIn) -> Status[Application]:
    application = actions.apply_for_membership(
        actor=_actor(request), member_class=payload.member_class, motivation=payload.motivation
    )
    return Status(201, application)


@router.get(
    "/applications",
    response={200: list[ApplicationOut], **ERRORS},
    summary="Pending applications (board) or my own applications",
)
def applications(request: HttpRequest) -> list[Application]:
    viewer = _actor(request)
    if has_role(viewer, Role.BOARD):
        return selectors.pending_applications(viewer)
    return selectors.my_applications(viewer)


@router.get(
    "/applications/{id}", response={200: ApplicationOut, **ERRORS}, summary="One application"
)
def application(request: HttpRequest, id: int = _id()) -> Application:
    return selectors.access_application_or_404(_actor(request), id)


@router.post(
    "/applications/{id}/approve",
    response={200: MembershipOut, **ERRORS},
    summary="Approve an application (board): the applicant becomes a member",
)
def approve(request: HttpRequest, id: int = _id()) -> Membership:
    return actions.approve_application(actor=_actor(request), application_id=id)


@router.post(
    "/applications/{id}/refuse",
    response={200: ApplicationOut, **ERRORS},
    summary="Refuse an application, with the reason (board)",
)
def refuse(request: HttpRequest, payload: RefusalIn, id: int = _id()) -> Application:
    return actions.refuse_application(
        actor=_actor(request), application_id=id, reason=payload.reason
    )


@router.post(
    "/applications/{id}/withdraw",
    response={200: ApplicationOut, **ERRORS},
    summary="Withdraw my pending application",
)
def withdraw(request: HttpRequest, id: int = _id()) -> Application:
    return actions.withdraw_application(actor=_actor(request), application_id=id)


# --- Share payments ------------------------------------------------------------------------


@router.post(
    "/instalments/{id}/payments",
    response={200: InstalmentOut, **ERRORS},
    summary="Record a share instalment as paid (board; idempotent)",
)
@idempotent
def pay_instalment(request: HttpRequest, payload: PaymentIn, id: int = _id()) -> Instalment:
    return actions.record_instalment_payment(
        actor=_actor(request), instalment_id=id, method=payload.method, reference=payload.reference
    )


# --- Leaving, repayment and transfers ------------------------------------------------------


@router.post(
    "/members/{number}/notice",
    response={200: MembershipOut, **ERRORS},
    summary="Give notice of leaving (the member or the board)",
)
def give_notice(request: HttpRequest, number: int = _number()) -> Membership:
    membership = selectors.access_membership_or_404(_actor(request), number)
    return actions.give_notice(actor=_actor(request), membership_id=membership.pk)


@router.delete(
    "/members/{number}/notice",
    response={200: MembershipOut, **ERRORS},
    summary="Withdraw a notice of leaving (the member or the board)",
)
def withdraw_notice(request: HttpRequest, number: int = _number()) -> Membership:
    membership = selectors.access_membership_or_404(_actor(request), number)
    return actions.withdraw_notice(actor=_actor(request), membership_id=membership.pk)


@router.post(
    "/members/{number}/sell-back",
    response={200: RepaymentOut, **ERRORS},
    summary="Confirm a departure: shares return to the co-op, capital becomes owed (board)",
)
def sell_back(request: HttpRequest, payload: SellBackIn, number: int = _number()) -> Repayment:
    membership = selectors.access_membership_or_404(_actor(request), number)
    return actions.sell_back(
        actor=_actor(request), membership_id=membership.pk, waive_notice=payload.waive_notice
    )


@router.post(
    "/members/{number}/repayment",
    response={200: RepaymentOut, **ERRORS},
    summary="Record the repayment to a former member (board; idempotent)",
)
@idempotent
def repay(request: HttpRequest, payload: PaymentIn, number: int = _number()) -> Repayment:
    membership = selectors.access_membership_or_404(_actor(request), number)
    return actions.record_repayment(
        actor=_actor(request),
        membership_id=membership.pk,
        method=payload.method,
        reference=payload.reference,
    )


@router.post(
    "/members/{number}/transfer",
    response={200: ShareOperationOut, **ERRORS},
    summary="Transfer a leaving member's fully paid shares to another member (board)",
)
def transfer(request: HttpRequest, payload: TransferIn, number: int = _number()) -> ShareOperation:
    giver = selectors.access_membership_or_404(_actor(request), number)
    receiver = selectors.membership_by_number_or_404(payload.to_number)
    return actions.transfer_shares(
        actor=_actor(request), from_membership_id=giver.pk, to_membership_id=receiver.pk
    )
