"""allauth's hooks into our actions."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.base_user import AbstractBaseUser

from .actions import change_password
from .models import User


class AccountAdapter(DefaultAccountAdapter):
    def set_password(self, user: AbstractBaseUser, password: str) -> None:
        """Every password allauth sets (change, reset, first password) is a recorded action."""
        assert isinstance(user, User)
        change_password(actor=user, user=user, password=password)
