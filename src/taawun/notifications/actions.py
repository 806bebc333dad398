"""Every write of notifications: storing them for the events of other areas, sending their
emails, reading them, and a person's choices.

``notify`` and ``notify_each`` are called by other areas' actions inside their transactions, so a
notification exists exactly when its event does. They write no audit entry of their own: the
event's action has already recorded it. Reading a notification is not recorded either: it is a
person's own business, not the co-op's, and an entry would change the data version under every
cached page.

An email is never sent inside an action. The notification waits with its email PENDING; after
commit the background round is woken and ``send_pending`` sends it. Rows are claimed (PENDING →
SENDING) in a short transaction of their own, under ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and
the write lock SQLite takes at BEGIN, so two rounds at once never send one twice. A failed send
goes back to PENDING with a later due time (doubling each time) and is given up, marked FAILED,
after ``MAX_ATTEMPTS``. A claim left by a process that died mid-send is taken up again after
``CLAIM_SECONDS``: the one case in which an email could go twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from taawun import background
from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain.errors import InvalidInput, gettext_noop
from taawun.transparency.audit import record

from . import selectors
from .models import (
    EMAIL_BY_DEFAULT,
    CalendarKey,
    EmailState,
    Kind,
    Notification,
    Preference,
)
from .texts import words

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
CLAIM_SECONDS = 600
MAX_LINK = 300
Note = tuple[int, Mapping[str, Any], str]  # (recipient id, payload, link)


def moment(value: dt.datetime) -> str:
    """A time as a payload holds it: ISO 8601 in UTC, the same however it was read."""
    return value.astimezone(dt.UTC).isoformat()


def notify(
    *,
    recipient: User | int,
    kind: str,
    payload: Mapping[str, Any],
    link: str = "",
    actor: User | None = None,
) -> int:
    """Tell one person of an event, as their preferences for ``kind`` say; nobody is told of
    what they did themselves (``actor``). Returns how many notifications were stored (0 or 1)."""
    recipient_id = recipient if isinstance(recipient, int) else recipient.pk
    if actor is not None and actor.pk == recipient_id:
        return 0
    return notify_each(kind=kind, notes=[(recipient_id, payload, link)])


def notify_each(*, kind: str, notes: Iterable[Note]) -> int:
    """Tell many people at once, one notification each, in one bulk insert: a vote opened for
    every member costs two queries, however many members there are."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    notes = list(notes)
    if not notes:
        return 0
    wanted = _preferences(kind, {recipient for recipient, _p, _l in notes})
    now = timezone.now()
    rows = []
    for recipient, payload, link in notes:
        in_app, email = wanted.get(recipient, (True, kind in EMAIL_BY_DEFAULT))
        if not (in_app or email):
            continue
        rows.append(
            Notification(
                recipient_id=recipient,
                kind=kind,
                payload=dict(payload),
                link=link[:MAX_LINK],
                created_at=now,
                listed=in_app,
                email_state=EmailState.PENDING if email else EmailState.NOT_WANTED,
                email_due_at=now if email else None,
            )
        )
    with transaction.atomic(savepoint=False):
        Notification.objects.bulk_create(rows, batch_size=500)
        if any(row.email_state == EmailState.PENDING for row in rows):
            transaction.on_commit(background.wake)
        forget_counts({row.recipient_id for row in rows if row.listed})
    return len(rows)


def forget_counts(people: Iterable[int]) -> None:
    """The cached unread counts of ``people`` are dropped now and again after commit, so that
    a page read in between cannot keep the number from before."""
    keys = [selectors.unread_key(person) for person in people]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(partial(cache.delete_many, keys))


def _preferences(kind: str, recipients: set[int]) -> dict[int, tuple[bool, bool]]:
    """Only people who changed a choice have rows; for a crowd, all rows of the kind are read
    rather than a long ``IN`` list."""
    rows = Preference.objects.filter(kind=kind)
    if len(recipients) <= 500:
        rows = rows.filter(user_id__in=recipients)
    return {
        user: (in_app, email)
        for user, in_app, email in rows.values_list("user_id", "in_app", "email")
    }


# --- Sending the emails --------------------------------------------------------------------


def send_pending(*, limit: int = 200, now: dt.datetime | None = None) -> int:
    """Send the emails that are due, each once; returns how many were sent."""
    now = now or timezone.now()
    claimed = _claim(limit, now)
    if not claimed:
        return 0
    notes = list(Notification.objects.filter(pk__in=claimed).select_related("recipient"))
    sent = 0
    try:
        connection = get_connection()
        connection.open()
    except Exception:
        logger.exception("could not reach the mail server")
        for note in notes:
            _failed(note, now)
        return 0
    try:
        for note in notes:
            try:
                _message(note, connection).send()
            except Exception:
                logger.exception("notification %s: email failed", note.pk)
                _failed(note, now)
            else:
                sent += Notification.objects.filter(
                    pk=note.pk, email_state=EmailState.SENDING
                ).update(
                    email_state=EmailState.SENT,
                    emailed_at=timezone.now(),
                    email_attempts=F("email_attempts") + 1,
                    email_due_at=None,
                )
    finally:
        connection.close()
    return sent


@transaction.atomic
def _claim(limit: int, now: dt.datetime) -> list[int]:
    due = Notification.objects.filter(
        email_state__in=[EmailState.PENDING, EmailState.SENDING], email_due_at__lte=now
    )
    ids = list(
        due.select_for_update(skip_locked=True)
        .order_by("email_due_at", "pk")
        .values_list("pk", flat=True)[: max(limit, 0)]
    )
    if ids:
        Notification.objects.filter(pk__in=ids).update(
            email_state=EmailState.SENDING,
            email_due_at=now + dt.timedelta(seconds=CLAIM_SECONDS),
        )
    return ids


def _failed(note: Notification, now: dt.datetime) -> None:
    attempts = note.email_attempts + 1
    if attempts >= MAX_ATTEMPTS:
        state, due = EmailState.FAILED, None
    else:
        state, due = EmailState.PENDING, now + dt.timedelta(minutes=2**attempts)
    Notification.objects.filter(pk=note.pk, email_state=EmailState.SENDING).update(
        email_state=state, email_attempts=attempts, email_due_at=due
    )


def _languages(user: User) -> list[str]:
    """The person's language if they chose one, else every language of the co-op."""
    chosen = getattr(user, "language", "")
    return [chosen] if chosen else list(current_policy().policy.languages)


def _message(note: Notification, connection: Any) -> EmailMessage:
    subjects, texts = [], []
    for language in _languages(note.recipient):
        with translation.override(language):
            subject, text = words(note.kind, note.payload)
        subjects.append(subject)
        texts.append(text)
    body = "\n\n".join(texts)
    if note.link:
        body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{note.link}"
    return EmailMessage(
        " / ".join(subjects), body, None, [note.recipient.email], connection=connection
    )


# --- Reading -------------------------------------------------------------------------------


@transaction.atomic
def mark_read(*, actor: User, notification_id: int | str) -> Notification:
    """The person has seen it; someone else's notification is not found."""
    note = selectors.notification_or_404(actor, notification_id)
    if note.read_at is None:
        note.read_at = timezone.now()
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=note.read_at)
        forget_counts([actor.pk])
    return note


@transaction.atomic
def mark_all_read(*, actor: User) -> int:
    """Every unread notification of the person is read; returns how many were."""
    marked = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    forget_counts([actor.pk])
    return marked


# --- Choices -------------------------------------------------------------------------------


@transaction.atomic
def set_preferences(*, actor: User, choices: Mapping[str, tuple[bool, bool]]) -> list[Preference]:
    """Store the person's (on this site, by email) choice for every kind; a kind left out keeps
    its default."""
    unknown = set(choices) - set(Kind.values)
    if unknown:
        raise InvalidInput("unknown_kind", gettext_noop("Unknown kind of notification."))
    stored = []
    for kind in Kind.values:
        in_app, email = choices.get(kind, (True, kind in EMAIL_BY_DEFAULT))
        preference, _made = Preference.objects.update_or_create(
            user=actor, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)}
        )
        stored.append(preference)
    record(
        actor_id=actor.pk,
        action="notifications.preferences_set",
        subject_type="user",
        subject_id=actor.pk,
        policy_version=None,
        after={
            "in_app": sorted(p.kind for p in stored if p.in_app),
            "email": sorted(p.kind for p in stored if p.email),
        },
    )
    return stored


@transaction.atomic
def new_calendar_key(*, actor: User) -> CalendarKey:
    """A new secret for the person's calendar links; the links made before stop working."""
    key, _made = CalendarKey.objects.update_or_create(
        user=actor, defaults={"salt": secrets.token_hex(16), "created_at": timezone.now()}
    )
    record(
        actor_id=actor.pk,
        action="notifications.calendar_key_made",
        subject_type="user",
        subject_id=actor.pk,
        policy_version=None,
    )
    return key


@transaction.atomic
def revoke_calendar_key(*, actor: User) -> bool:
    """The person's calendar links stop working; returns whether there were any."""
    deleted, _counts = CalendarKey.objects.filter(user=actor).delete()
    if deleted:
        record(
            actor_id=actor.pk,
            action="notifications.calendar_key_revoked",
            subject_type="user",
            subject_id=actor.pk,
            policy_version=None,
        )
    return bool(deleted)
