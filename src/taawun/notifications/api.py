"""/api/notifications: a person's own notifications (read in the request's language), marking
them read, and their choices per kind. Someone else's notification is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from taawun.apikeys.auth import SIGNED_IN
from taawun.apikeys.schemas import ERRORS, MAX_ID, Input

from . import actions, selectors
from .models import Kind, Notification
from .texts import words

router = Router(tags=["notifications"], auth=SIGNED_IN)


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str
    text: str
    link: str
    payload: dict[str, Any]
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationListQuery(Schema):
    limit: int = Field(default=50, ge=1, le=selectors.PAGE)


class NotificationListOut(Schema):
    unread: int
    items: list[NotificationOut]


class NotificationChoice(Input):
    kind: str = Field(max_length=32)
    in_app: bool
    email: bool


class NotificationChoicesIn(Input):
    choices: list[NotificationChoice] = Field(max_length=len(Kind.values))


class NotificationChoiceOut(Schema):
    kind: str
    label: str
    in_app: bool
    email: bool


class NotificationReadAllOut(Schema):
    marked: int


def _out(note: Notification) -> NotificationOut:
    subject, text = words(note.kind, note.payload)
    return NotificationOut(
        id=note.pk,
        kind=note.kind,
        subject=subject,
        text=text,
        link=note.link,
        payload=note.payload,
        created_at=note.created_at,
        read_at=note.read_at,
    )


@router.get("", response={200: NotificationListOut, **ERRORS}, summary="My notifications")
def list_notifications(
    request: HttpRequest, query: Query[NotificationListQuery]
) -> NotificationListOut:
    """Unread first, newest first; the text is in the request's language."""
    viewer = request.auth  # type: ignore[attr-defined]
    return NotificationListOut(
        unread=selectors.unread_count(viewer),
        items=[_out(n) for n in selectors.listed(viewer, limit=query.limit)],
    )


@router.post(
    "/{id}/read", response={200: NotificationOut, **ERRORS}, summary="Mark a notification read"
)
def read_notification(
    request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)
) -> NotificationOut:
    return _out(actions.mark_read(actor=request.auth, notification_id=id))  # type: ignore[attr-defined]


@router.post("/read-all", response={200: NotificationReadAllOut, **ERRORS}, summary="Mark all read")
def read_all_notifications(request: HttpRequest) -> NotificationReadAllOut:
    return NotificationReadAllOut(marked=actions.mark_all_read(actor=request.auth))  # type: ignore[attr-defined]


@router.get(
    "/preferences",
    response={200: list[NotificationChoiceOut], **ERRORS},
    summary="My notification choices",
)
def get_preferences(request: HttpRequest) -> list[selectors.Choice]:
    return selectors.choices(request.auth)  # type: ignore[attr-defined]


@router.put(
    "/preferences",
    response={200: list[NotificationChoiceOut], **ERRORS},
    summary="Set my notification choices",
)
def set_preferences(request: HttpRequest, payload: NotificationChoicesIn) -> list[selectors.Choice]:
    """Kinds left out go back to their defaults."""
    viewer = request.auth  # type: ignore[attr-defined]
    actions.set_preferences(
        actor=viewer, choices={c.kind: (c.in_app, c.email) for c in payload.choices}
    )
    return selectors.choices(viewer)
