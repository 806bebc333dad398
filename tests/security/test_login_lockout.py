"""Guessing passwords: after five failures for one address (in five minutes) that address is
locked, the right password included, for the rest of the five minutes; ten failures from one
IP in a minute lock that IP for every address. Both come from allauth's ``login_failed``
limit (ACCOUNT_RATE_LIMITS), which is checked before the password is, so a lock cannot be
told apart from a wrong password by timing or by a success."""

from __future__ import annotations

import time
import types
from collections.abc import Callable
from typing import Any

import pytest
from allauth.core.internal import ratelimit
from django.test import Client

from taawun.accounts.models import User
from taawun.transparency.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    """Argon2 is slow on purpose; what is measured here is the count of attempts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


LOCKED = {
    "en": "Too many failed login attempts. Try again later.",
    "ar": "تجاوزت الحد المسموح لمحاولة تسجيل الدخول. حاول في وقت لاحق.",
}


class Clock:
    """allauth's rate limits read ``time.time``; this one moves only when told."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_900_000_000.0
        fake = types.SimpleNamespace(
            time=lambda: self.now, monotonic=time.monotonic, sleep=time.sleep
        )
        monkeypatch.setattr(ratelimit, "time", fake)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def login(email: str, password: str, *, ip: str = "10.0.0.1", language: str = "en") -> Any:
    client = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/accounts/login/", {"login": email, "password": password})
    response.signed_in = "_auth_user_id" in client.session
    return response


def errors(response: Any) -> list[str]:
    form = response.context["form"]
    return list(form.non_field_errors())


def fail(email: str, times: int, **where: str) -> None:
    for _ in range(times):
        response = login(email, "wrong password 123", **where)
        assert response.status_code == 200 and not response.signed_in


def test_five_failures_lock_the_address_even_for_the_right_password(
    founder: User, clock: Clock
) -> None:
    fail(founder.email, 4)
    clock.advance(60)
    fail(founder.email, 1)
    seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()

    locked = login(founder.email, PASSWORD)
    assert locked.status_code == 200 and not locked.signed_in
    assert errors(locked) == [LOCKED["en"]]
    assert errors(login(founder.email, PASSWORD, language="ar")) == [LOCKED["ar"]]
    # from another IP too: the lock is on the address, not on where the guesses came from
    assert errors(login(founder.email, PASSWORD, ip="10.9.9.9")) == [LOCKED["en"]]
    assert AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() == seq
    assert User.objects.get(pk=founder.pk).last_login is None

    clock.advance(4 * 60 - 1)  # the first four failures are 4:59 old: still locked
    assert errors(login(founder.email, PASSWORD)) == [LOCKED["en"]]
    clock.advance(1)  # five minutes after the first four: one failure left in the window
    assert login(founder.email, PASSWORD).signed_in


def test_the_lock_is_per_address(founder: User, make_account: Callable[..., User]) -> None:
    other = make_account(email="other@example.org")
    fail(founder.email, 5)
    assert errors(login(founder.email, PASSWORD)) == [LOCKED["en"]]
    assert login(other.email, PASSWORD).signed_in


def test_a_success_does_not_wipe_the_failures_before_it(founder: User) -> None:
    """Otherwise a guesser who also knows one password could keep the count low forever."""
    fail(founder.email, 4)
    assert login(founder.email, PASSWORD).signed_in
    fail(founder.email, 1)
    assert errors(login(founder.email, PASSWORD)) == [LOCKED["en"]]


def test_ten_failures_from_one_ip_lock_that_ip_for_every_address(
    founder: User, clock: Clock
) -> None:
    for n in range(10):
        fail(f"nobody{n}@example.org", 1, ip="10.0.0.7")
    assert errors(login(founder.email, PASSWORD, ip="10.0.0.7")) == [LOCKED["en"]]
    assert login(founder.email, PASSWORD, ip="10.0.0.8").signed_in
    clock.advance(60)
    assert login(founder.email, PASSWORD, ip="10.0.0.7").signed_in
