"""/api/tokens: a signed-in person creates, lists and revokes their personal API tokens.

Session only: a token cannot mint or revoke tokens."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Path, Router, Schema
from ninja.responses import Status
from pydantic import Field

from . import actions, selectors
from .auth import SESSION_ONLY
from .models import ApiToken
from .schemas import ERRORS, MAX_ID, Input, SafeText

router = Router(tags=["tokens"], auth=SESSION_ONLY)


class TokenIn(Input):
    name: SafeText = Field(min_length=1, max_length=80, examples=["my laptop"])


class TokenOut(Schema):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, never again.")


@router.get("", response={200: list[TokenOut], **ERRORS}, summary="My API tokens")
def list_tokens(request: HttpRequest) -> list[ApiToken]:
    return selectors.tokens_of(request.auth)  # type: ignore[attr-defined]


@router.post("", response={201: NewTokenOut, **ERRORS}, summary="Create an API token")
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    """The token is in this response only; keep it safe. Send it as ``Authorization: Bearer``."""
    token, raw = actions.create_token(actor=request.auth, name=payload.name)  # type: ignore[attr-defined]
    return Status(201, NewTokenOut(**TokenOut.from_orm(token).model_dump(), token=raw))


@router.delete("/{id}", response={200: TokenOut, **ERRORS}, summary="Revoke an API token")
def revoke_token(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> ApiToken:
    return actions.revoke_token(actor=request.auth, token_id=id)  # type: ignore[attr-defined]
