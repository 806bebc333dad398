"""Fixtures for the core tests."""

from __future__ import annotations

import pytest
from django.utils import timezone

from .helpers import START, Clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """``django.utils.timezone.now`` (and so ``localdate``) frozen at START until advanced."""
    frozen = Clock(START)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    """Argon2 is deliberately slow; these tests create many accounts and never log in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
