"""Creating accounts and granting or revoking the board and admin roles."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from taawun.domain.errors import DomainError, InvalidInput, gettext_noop
from taawun.transparency.audit import record

from .models import GRANTABLE_ROLES, Role, RoleGrant, User
from .selectors import require_role


@transaction.atomic
def create_account(*, email: str, full_name: str, password: str | None) -> User:
    """An account whose email is already verified (founding, the demo, operators' tools)."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput(
            "email_taken", gettext_noop("An account with this email already exists.")
        )
    user = User.objects.create_user(email=email, password=password, full_name=full_name.strip())
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@transaction.atomic
def grant_role(*, actor: User | None, user: User, role: Role, policy_version: int) -> RoleGrant:
    """Grant board or admin. ``actor=None`` when the members decided it: the founding assembly
    or an election."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    if role not in GRANTABLE_ROLES:
        raise InvalidInput("role_not_grantable", gettext_noop("This role follows from membership."))
    if RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists():
        raise DomainError("role_held", gettext_noop("This person already holds that role."))
    grant = RoleGrant.objects.create(user=user, role=role, granted_by=actor)
    record(
        actor_id=actor.pk if actor else None,
        action="role.granted",
        subject_type="account",
        subject_id=user.pk,
        policy_version=policy_version,
        after={"role": role.value},
    )
    return grant


@transaction.atomic
def revoke_role(*, actor: User | None, user: User, role: Role, policy_version: int) -> None:
    """Revoke board or admin. ``actor=None`` when the members decided it (a recall, a term
    ended, a new board elected)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    grant = (
        RoleGrant.objects.select_for_update()
        .filter(user=user, role=role, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        raise DomainError("role_not_held", gettext_noop("This person does not hold that role."))
    if role == Role.ADMIN and user == actor:
        raise DomainError(
            "self_revoke", gettext_noop("Ask another administrator to remove your role.")
        )
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    record(
        actor_id=actor.pk if actor else None,
        action="role.revoked",
        subject_type="account",
        subject_id=user.pk,
        policy_version=policy_version,
        before={"role": role.value},
    )


@transaction.atomic
def change_password(*, actor: User, user: User, password: str) -> None:
    """Set a password (already validated by the form). Recorded, so sessions signed in under
    the old password end with it everywhere: the data version moves and the account is read
    afresh."""
    from taawun.coop.selectors import current_policy_number

    if actor.pk != user.pk:
        require_role(actor, Role.ADMIN)
    user.set_password(password)
    user.save(update_fields=["password"])
    record(
        actor_id=actor.pk,
        action="account.password_changed",
        subject_type="account",
        subject_id=user.pk,
        policy_version=current_policy_number(),
    )


ACCOUNT_CHANGES = ("email_changed", "changed_by_operator")


@transaction.atomic
def note_account_change(*, actor: User, user: User, what: str) -> None:
    """Record a change made to an account outside our own actions (allauth's e-mail change, an
    operator's edit in the admin), so the trail and the data version move with it."""
    from taawun.coop.selectors import current_policy_number

    if what not in ACCOUNT_CHANGES:
        raise InvalidInput("unknown_change", gettext_noop("Unknown account change."))
    record(
        actor_id=actor.pk,
        action=f"account.{what}",
        subject_type="account",
        subject_id=user.pk,
        policy_version=current_policy_number(),
    )
