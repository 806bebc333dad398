"""JSON endpoints for a person's own data: the export, and closing the account."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from taawun.apikeys.schemas import ERRORS, Input
from taawun.web.errors import explain

from . import actions, selectors
from .models import User

router = Router(tags=["my data"])


def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


class MyDataOut(Schema):
    """Everything held about the caller; docs/data.md describes each part."""

    format: str = Field(examples=["taawun-my-data"])
    format_version: int = Field(examples=[1])
    generated_at: str
    account: dict[str, Any]
    profile: dict[str, Any] | None
    consents: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    applications: list[dict[str, Any]]
    memberships: list[dict[str, Any]]
    orders_as_customer: list[dict[str, Any]]
    project_briefs: list[dict[str, Any]]
    licences: list[dict[str, Any]]
    cart: list[dict[str, Any]]
    governance: dict[str, Any]
    notifications: dict[str, Any]
    school: dict[str, Any]
    api_tokens: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    audit_trail: list[dict[str, Any]]


class MyDataReasonOut(Schema):
    error: str
    message: str


class MyDataClosingOut(Schema):
    can_close: bool
    reasons: list[MyDataReasonOut]


class MyDataCloseIn(Input):
    confirm: str = Field(
        min_length=1,
        max_length=4096,
        description="Your password (for an account without one: its email address).",
    )


class MyDataClosedOut(Schema):
    closed: bool


@router.get("/me/data", response={200: MyDataOut, **ERRORS}, summary="Everything held about me")
def my_data(request: HttpRequest) -> dict[str, Any]:
    return selectors.my_data(_actor(request))


@router.get(
    "/me/closing",
    response={200: MyDataClosingOut, **ERRORS},
    summary="Whether my account can be closed now, and if not why",
)
def my_account_closing(request: HttpRequest) -> dict[str, Any]:
    reasons = selectors.closing_obstacles(_actor(request))
    return {
        "can_close": not reasons,
        "reasons": [{"error": r.code, "message": explain(r)} for r in reasons],
    }


@router.post(
    "/me/close",
    response={200: MyDataClosedOut, **ERRORS},
    summary="Close my account and erase my personal data (final)",
)
def close_my_account(request: HttpRequest, payload: MyDataCloseIn) -> dict[str, Any]:
    actions.close_account(actor=_actor(request), confirm=payload.confirm)
    return {"closed": True}
