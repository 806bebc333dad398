"""Roles: customer for every account, member/worker from membership, board/admin by grant."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser

from taawun.accounts.actions import grant_role, revoke_role
from taawun.accounts.models import Role, RoleGrant, User
from taawun.accounts.selectors import has_role, require_role, roles_of
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed
from taawun.members import actions as members
from taawun.members.models import Membership

from .helpers import actions_since, last_seq, unchanged

pytestmark = pytest.mark.django_db

C, M, W, B, A = Role.CUSTOMER, Role.MEMBER, Role.WORKER, Role.BOARD, Role.ADMIN


def fresh(user: User) -> frozenset[Role]:
    """Roles read from a new object, so no cached answer can hide a change."""
    return roles_of(User.objects.get(pk=user.pk))


def test_roles_follow_membership(
    founder: User, make_member: Callable[..., Membership], make_account: Callable[..., User]
) -> None:
    customer = make_account()
    worker = make_member("worker")
    user_member = make_member("user")
    supporter = make_member("supporter")
    assert roles_of(customer) == {C}
    assert roles_of(worker.user) == {C, M, W}
    assert roles_of(user_member.user) == {C, M}
    assert roles_of(supporter.user) == {C, M}
    assert roles_of(founder) == {C, M, W, B, A}
    assert roles_of(None) == frozenset()
    assert roles_of(AnonymousUser()) == frozenset()
    customer.is_active = False
    assert roles_of(customer) == frozenset()

    members.give_notice(actor=worker.user, membership_id=worker.pk)
    assert roles_of(worker.user) == {C, M, W}  # still a member while the notice runs
    members.sell_back(actor=founder, membership_id=worker.pk, waive_notice=True)
    assert fresh(worker.user) == {C}


def test_superusers_are_admins_but_not_board(
    make_account: Callable[..., User], coop: object
) -> None:
    operator = make_account()
    operator.is_superuser = True
    operator.save()
    assert fresh(operator) == {C, A}
    with pytest.raises(NotAllowed):
        require_role(operator, B)
    assert has_role(operator, A, B) is True


def test_grant_and_revoke(founder: User, make_member: Callable[..., Membership]) -> None:
    member = make_member()
    user = member.user
    assert roles_of(user) == {C, M, W}  # cached on this object
    seq = last_seq()
    grant = grant_role(actor=founder, user=user, role=B, policy_version=1)
    assert (grant.role, grant.granted_by, grant.revoked_at) == ("board", founder, None)
    assert roles_of(user) == {C, M, W, B}  # the grant is seen at once, even on the same object
    grant_role(actor=founder, user=user, role=A, policy_version=1)
    assert roles_of(user) == {C, M, W, B, A}

    revoke_role(actor=founder, user=user, role=B, policy_version=1)
    assert roles_of(user) == {C, M, W, A}
    assert fresh(user) == {C, M, W, A}
    assert [
        (g.role, g.revoked_at is None) for g in RoleGrant.objects.filter(user=user).order_by("pk")
    ] == [
        ("board", False),
        ("admin", True),
    ]
    # granted again after a revocation: a new row, the old one kept
    grant_role(actor=founder, user=user, role=B, policy_version=1)
    assert RoleGrant.objects.filter(user=user, role="board").count() == 2
    assert fresh(user) == {C, M, W, B, A}
    assert actions_since(seq) == ["role.granted", "role.granted", "role.revoked", "role.granted"]


def test_grant_and_revoke_refusals(
    founder: User, make_member: Callable[..., Membership], make_account: Callable[..., User]
) -> None:
    board_only = make_member().user
    grant_role(actor=founder, user=board_only, role=B, policy_version=1)
    target = make_account()

    for actor in (board_only, target):  # only an administrator grants or revokes
        with unchanged(), pytest.raises(NotAllowed) as refused:
            grant_role(actor=actor, user=target, role=B, policy_version=1)
        assert refused.value.code == "forbidden"
        with unchanged(), pytest.raises(NotAllowed) as refused:
            revoke_role(actor=actor, user=founder, role=B, policy_version=1)
        assert refused.value.code == "forbidden"

    for role in (M, W, C):
        with unchanged(), pytest.raises(InvalidInput) as refused:
            grant_role(actor=founder, user=target, role=role, policy_version=1)
        assert refused.value.code == "role_not_grantable"
    with unchanged(), pytest.raises(DomainError) as refused:
        grant_role(actor=founder, user=board_only, role=B, policy_version=1)
    assert refused.value.code == "role_held"
    with unchanged(), pytest.raises(DomainError) as refused:
        revoke_role(actor=founder, user=target, role=B, policy_version=1)
    assert refused.value.code == "role_not_held"
    with unchanged(), pytest.raises(DomainError) as refused:
        revoke_role(actor=founder, user=founder, role=A, policy_version=1)
    assert refused.value.code == "self_revoke"
    assert roles_of(target) == {C}


def test_an_admin_may_step_down_from_the_board(founder: User) -> None:
    revoke_role(actor=founder, user=founder, role=B, policy_version=1)
    assert roles_of(founder) == {C, M, W, A}
    with pytest.raises(NotAllowed):
        require_role(founder, B)
