"""Who may do what: roles derived from membership and from recorded grants."""

from __future__ import annotations

from typing import Any

from taawun.domain.errors import NotAllowed, gettext_noop

from .models import Role, User

ROLE_CACHE = "_taawun_roles"


def roles_of(user: Any) -> frozenset[Role]:
    """The roles a person holds now; computed once per request object and kept on it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, ROLE_CACHE, None)
    if cached is not None:
        return cached
    from taawun.coop.selectors import current_policy
    from taawun.members.models import Membership

    roles = {Role.CUSTOMER}
    roles.update(Role(r) for r in user.role_grants.filter(revoked_at__isnull=True).values_list("role", flat=True))
    if user.is_superuser:
        roles.add(Role.ADMIN)
    member_class = (
        Membership.objects.filter(user=user)
        .exclude(status="left")
        .values_list("member_class", flat=True)
        .first()
    )
    if member_class is not None:
        roles.add(Role.MEMBER)
        if current_policy().policy.member_class(member_class).works:
            roles.add(Role.WORKER)
    result = frozenset(roles)
    setattr(user, ROLE_CACHE, result)
    return result


def forget_roles(user: User) -> None:
    """Drop the cached roles after an action changed them."""
    if hasattr(user, ROLE_CACHE):
        delattr(user, ROLE_CACHE)


def has_role(user: Any, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def require_role(user: Any, *roles: Role) -> None:
    """Refuse unless ``user`` holds one of ``roles`` (the admin role grants no board rights)."""
    if roles_of(user) & set(roles):
        return
    raise NotAllowed("forbidden", gettext_noop("You do not have permission to do this."))
