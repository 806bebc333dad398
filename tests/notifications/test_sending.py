"""Emails go after commit, from ``send_pending``: each once, as the person chose, in their
language; a failure is retried later and never lost; two senders at once send each once."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from taawun import background
from taawun.accounts import actions as accounts
from taawun.accounts.models import User
from taawun.domain.errors import InvalidInput
from taawun.notifications import actions
from taawun.notifications.models import EmailState, Kind, Notification, Preference
from taawun.transparency.models import AuditEntry
from tests.races import line_up, race

pytestmark = pytest.mark.django_db
SENDER = "tests.notifications.test_sending.FailingBackend"


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("gone")


def tell(user: User, kind: str = Kind.PAYOUT_PAID, **payload: Any) -> int:
    details = payload or {"run": 7, "amount": "12.50", "currency": "ILS"}
    return actions.notify(recipient=user, kind=kind, payload=details, link="/books/me/")


def test_each_email_is_sent_once_after_commit(
    coop: object,
    make_account: Callable[..., User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    person = make_account()
    with django_capture_on_commit_callbacks() as callbacks:  # type: ignore[operator]
        assert tell(person) == 1
    assert mail.outbox == [] and callbacks[0] is background.wake  # the round is woken, no more
    assert actions.send_pending() == 1
    assert actions.send_pending() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [person.email]
    assert message.body.endswith("\n\nhttp://127.0.0.1:8000/books/me/")
    assert "The co-op paid you 12.50 ILS (payout run #7)." in message.body
    note = Notification.objects.get()
    assert (note.email_state, note.email_attempts, note.email_due_at) == (EmailState.SENT, 1, None)
    assert note.emailed_at is not None


def test_the_email_is_in_the_language_the_person_chose(
    coop: object, make_account: Callable[..., User]
) -> None:
    person = make_account()
    accounts.update_account(actor=person, full_name=person.full_name, language="en")
    tell(person)
    actions.send_pending()
    assert mail.outbox[0].subject == "A payout of 12.50 ILS"
    assert mail.outbox[0].body == (
        "The co-op paid you 12.50 ILS (payout run #7).\n\nhttp://127.0.0.1:8000/books/me/"
    )


def test_choices_are_honoured(coop: object, make_account: Callable[..., User]) -> None:
    no_email, no_list, nothing, default = (make_account() for _ in range(4))
    for person, in_app, email in (
        (no_email, True, False),
        (no_list, False, True),
        (nothing, False, False),
    ):
        actions.set_preferences(actor=person, choices={Kind.PAYOUT_PAID: (in_app, email)})
    for person in (no_email, no_list, nothing, default):
        tell(person)
    stored = Notification.objects.order_by("pk").values_list(
        "recipient_id", "listed", "email_state"
    )
    assert list(stored) == [
        (no_email.pk, True, EmailState.NOT_WANTED),
        (no_list.pk, False, EmailState.PENDING),
        (default.pk, True, EmailState.PENDING),
    ]
    assert actions.send_pending() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([no_list.email, default.email])


def test_other_kinds_keep_their_defaults_and_the_choice_is_audited(
    coop: object, make_account: Callable[..., User]
) -> None:
    person = make_account()
    actions.set_preferences(actor=person, choices={Kind.VOTE_OPENED: (True, False)})
    rows = dict(Preference.objects.filter(user=person).values_list("kind", "email"))
    assert rows == {kind: kind not in (Kind.VOTE_OPENED, Kind.TRIP_OFFERED) for kind in Kind.values}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.subject_type, entry.subject_id) == (
        "notifications.preferences_set",
        "user",
        str(person.pk),
    )
    assert Kind.VOTE_OPENED not in entry.after["email"]


def test_an_unknown_kind_is_refused_and_nothing_changes(
    coop: object, make_account: Callable[..., User]
) -> None:
    person = make_account()
    with pytest.raises(InvalidInput) as refused:
        actions.set_preferences(actor=person, choices={"gossip": (True, True)})
    assert refused.value.code == "unknown_kind"
    assert not Preference.objects.exists()


def test_a_failed_email_is_retried_later_and_never_lost(
    coop: object, make_account: Callable[..., User], settings: Any
) -> None:
    person = make_account()
    tell(person)
    now = timezone.now()
    settings.EMAIL_BACKEND = SENDER
    assert actions.send_pending(now=now) == 0
    note = Notification.objects.get()
    assert (note.email_state, note.email_attempts) == (EmailState.PENDING, 1)
    assert note.email_due_at == now + dt.timedelta(minutes=2)
    assert actions.send_pending(now=now + dt.timedelta(minutes=1)) == 0  # not due yet
    assert Notification.objects.get().email_attempts == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert actions.send_pending(now=now + dt.timedelta(minutes=2)) == 1
    assert len(mail.outbox) == 1
    note = Notification.objects.get()
    assert (note.email_state, note.email_attempts) == (EmailState.SENT, 2)


def test_an_email_that_keeps_failing_is_given_up_after_the_last_attempt(
    coop: object, make_account: Callable[..., User], settings: Any
) -> None:
    tell(make_account())
    settings.EMAIL_BACKEND = SENDER
    later = timezone.now()
    for attempt in range(1, actions.MAX_ATTEMPTS + 1):
        assert actions.send_pending(now=later) == 0
        note = Notification.objects.get()
        assert note.email_attempts == attempt
        later += dt.timedelta(days=1)
    assert (note.email_state, note.email_due_at) == (EmailState.FAILED, None)
    assert actions.send_pending(now=later) == 0
    assert Notification.objects.get().email_attempts == actions.MAX_ATTEMPTS


def test_a_claim_left_by_a_dead_sender_is_taken_up_again(
    coop: object, make_account: Callable[..., User]
) -> None:
    tell(make_account())
    now = timezone.now()
    assert len(actions._claim(10, now)) == 1  # a sender claimed it, then died
    assert actions.send_pending(now=now) == 0
    later = now + dt.timedelta(seconds=actions.CLAIM_SECONDS)
    assert actions.send_pending(now=later) == 1
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_senders_at_once_send_each_email_once(
    monkeypatch: pytest.MonkeyPatch, coop: object, make_account: Callable[..., User]
) -> None:
    people = [make_account() for _ in range(6)]
    for person in people:
        tell(person)
    line_up(monkeypatch, actions, "_claim", 2)  # both claim at the same moment
    outcomes = race([actions.send_pending, actions.send_pending])
    assert [kind for kind, _result in outcomes] == ["ok", "ok"]
    assert sum(result for _kind, result in outcomes) == 6
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
