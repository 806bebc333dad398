"""Authentication backends that read the signed-in account from the cache.

Loading the account row on every request was the largest cost of a signed-in page. Every
change to an account that matters to authentication (password, e-mail, active flag) is recorded
as an action, which moves the rules version, so an account cached under that version is the row
as it stands. A change made around the actions (an operator's ``manage changepassword``) is
caught when the entry expires.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend

from taawun.transparency.versioning import cached

ACCOUNT_CACHE_SECONDS = 300


class CachedAccountMixin:
    def get_user(self, user_id: Any) -> Any:
        load = super().get_user  # type: ignore[misc]
        return cached(
            f"account:{user_id}",
            lambda: load(user_id),
            timeout=ACCOUNT_CACHE_SECONDS,
            rules_only=True,
        )


class PasswordBackend(CachedAccountMixin, ModelBackend):
    """Django's own backend (the admin's login form)."""


class AccountBackend(CachedAccountMixin, AuthenticationBackend):
    """allauth's backend (login by e-mail, passkeys)."""
