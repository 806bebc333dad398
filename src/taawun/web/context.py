"""What every page needs: the co-op, the viewer's roles and the text direction."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from taawun.accounts.models import Role
from taawun.accounts.selectors import roles_of
from taawun.coop.selectors import get_coop


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles = SimpleLazyObject(lambda: {role.value: True for role in roles_of(user)})
    return {"coop": SimpleLazyObject(get_coop), "roles": roles, "Role": Role}
