"""Who may do what: roles derived from membership and from recorded grants."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from taawun.domain.errors import NotAllowed, gettext_noop
from taawun.transparency.versioning import cached, data_version

from .models import Role, RoleGrant

ROLE_MEMO = "_taawun_roles"


def _granted_and_membership_roles(user_id: int) -> frozenset[Role]:
    from taawun.coop.selectors import current_policy
    from taawun.members.models import Membership

    roles = {Role.CUSTOMER}
    grants = RoleGrant.objects.filter(user_id=user_id, revoked_at__isnull=True)
    roles.update(Role(role) for role in grants.values_list("role", flat=True))
    member_class = (
        Membership.objects.filter(user_id=user_id)
        .exclude(status="left")
        .values_list("member_class", flat=True)
        .first()
    )
    if member_class is not None:
        roles.add(Role.MEMBER)
        if current_policy().policy.member_class(member_class).works:
            roles.add(Role.WORKER)
    return frozenset(roles)


def roles_of(user: Any) -> frozenset[Role]:
    """The roles a person holds now. Grants and memberships change only through recorded
    actions, so the answer is cached under the data version (and kept on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    version = data_version()
    memo: tuple[str, frozenset[Role]] | None = getattr(user, ROLE_MEMO, None)
    if memo is not None and memo[0] == version:
        return memo[1]
    roles = cached(f"roles:{user.pk}", lambda: _granted_and_membership_roles(user.pk))
    if user.is_superuser:
        roles = roles | {Role.ADMIN}
    setattr(user, ROLE_MEMO, (version, roles))
    return roles


def has_role(user: Any, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def require_role(user: Any, *roles: Role) -> None:
    """Refuse unless ``user`` holds one of ``roles`` (the admin role grants no board rights)."""
    if roles_of(user) & set(roles):
        return
    raise NotAllowed("forbidden", gettext_noop("You do not have permission to do this."))


def live_grants(viewer: Any) -> list[RoleGrant]:
    """Who holds the board and admin roles now; for administrators."""
    require_role(viewer, Role.ADMIN)
    return list(
        RoleGrant.objects.filter(revoked_at__isnull=True)
        .select_related("user", "granted_by")
        .order_by("role", "granted_at")
    )


def live_grant_or_404(viewer: Any, pk: int) -> RoleGrant:
    require_role(viewer, Role.ADMIN)
    grant = RoleGrant.objects.select_related("user").filter(pk=pk, revoked_at=None).first()
    if grant is None:
        raise Http404
    return grant
