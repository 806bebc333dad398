"""Who may do what: roles derived from membership and from recorded grants."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404

from taawun.domain.errors import DomainError, NotAllowed, gettext_noop
from taawun.transparency.versioning import cached, rules_version

from .models import Consent, Role, RoleGrant

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
    actions, so the answer is cached under the rules version (and kept on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    version = rules_version()
    memo: tuple[str, frozenset[Role]] | None = getattr(user, ROLE_MEMO, None)
    if memo is not None and memo[0] == version:
        return memo[1]
    roles = cached(
        f"roles:{user.pk}", lambda: _granted_and_membership_roles(user.pk), rules_only=True
    )
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


# --- A person's own data -------------------------------------------------------------------


def require_self(viewer: Any, person: Any) -> None:
    """A person's data is theirs alone: not even the board or an operator reads it here."""
    if viewer is None or not viewer.is_authenticated or viewer.pk != getattr(person, "pk", None):
        raise NotAllowed("not_yours", gettext_noop("You can only see your own data."))


def my_data(viewer: Any, person: Any = None) -> dict[str, Any]:
    """Everything held about ``person`` (the viewer, unless said otherwise)."""
    from .mydata import build

    person = viewer if person is None else person
    require_self(viewer, person)
    return build(person)


def latest_consents(user_id: int) -> dict[str, Consent]:
    """The newest record per topic: the answer in force."""
    latest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(user_id=user_id).order_by("-id"):
        latest.setdefault(consent.topic, consent)
    return latest


def consents_of(viewer: Any) -> list[dict[str, Any]]:
    """Each optional sharing with its text, whether it is agreed to now, and since when.
    The directory's answer is the profile's own switch (a person without a profile is listed
    nowhere, so the topic does not apply to them)."""
    from taawun.members.models import Profile

    from .consents import TEXTS

    require_self(viewer, viewer)
    latest = latest_consents(viewer.pk)
    profile = Profile.objects.filter(user=viewer).first()
    rows = []
    for topic, text in TEXTS.items():
        record = latest.get(topic)
        given = record.given if record is not None else text.default
        if topic == Consent.Topic.DIRECTORY:
            if profile is None:
                continue
            given = profile.show_in_directory
        rows.append(
            {
                "topic": topic,
                "label": Consent.Topic(topic).label,
                "text": text.text,
                "version": record.text_version if record is not None else text.version,
                "given": given,
                "at": record.at if record is not None else None,
            }
        )
    return rows


def declined(topic: str, user_ids: list[int]) -> set[int]:
    """Of ``user_ids``, those whose answer in force on ``topic`` is no."""
    from .consents import TEXTS

    answers: dict[int, bool] = {}
    for user_id, given in (
        Consent.objects.filter(topic=topic, user_id__in=user_ids)
        .order_by("-id")
        .values_list("user_id", "given")
    ):
        answers.setdefault(user_id, given)
    default = TEXTS[topic].default
    return {u for u in user_ids if not answers.get(u, default)}


def referral_consents(viewer: Any) -> list[Any]:
    """The answers the viewer gave when an order of theirs could be passed to a sister co-op
    (kept on the referral itself)."""
    from taawun.federation.models import Referral

    require_self(viewer, viewer)
    return list(
        Referral.objects.filter(direction=Referral.Direction.OUT, order__customer=viewer)
        .select_related("peer", "order")
        .order_by("-created_at")
    )


def closing_obstacles(user: Any) -> list[DomainError]:
    """Why the account cannot be closed yet; empty when it can. Each reason is something the
    person (or the co-op) must settle first, so nothing owed either way is lost."""
    from taawun.ledger.models import Account, SolidarityClaim
    from taawun.market.models import OPEN_STATUSES, Order
    from taawun.market.projects.models import Brief
    from taawun.members.models import Application, Membership, Repayment

    found: list[DomainError] = []

    def refuse(code: str, message: str) -> None:
        found.append(DomainError(code, message))

    if Application.objects.filter(user=user, status=Application.Status.PENDING).exists():
        refuse(
            "application_pending",
            gettext_noop("Withdraw your membership application first."),
        )
    if Membership.objects.filter(user=user).exclude(status=Membership.Status.LEFT).exists():
        refuse(
            "membership_open",
            gettext_noop(
                "You are still a member. Give notice and leave the co-op first; your shares "
                "are then repaid."
            ),
        )
    if Repayment.objects.filter(membership__user=user, paid_at__isnull=True).exists():
        refuse("shares_not_repaid", gettext_noop("The co-op has not yet repaid your shares."))
    if (
        Order.objects.filter(status__in=OPEN_STATUSES)
        .filter(Q(customer=user) | Q(worker__user=user))
        .exists()
    ):
        refuse(
            "orders_open",
            gettext_noop("You have orders that are not finished, as a customer or as a worker."),
        )
    if Brief.objects.filter(customer=user, status=Brief.Status.OPEN).exists():
        refuse("brief_open", gettext_noop("Close your project brief that is still open."))
    if (
        Account.objects.filter(member__user=user, purpose="owed_to_member")
        .exclude(balance=0)
        .exists()
    ):
        refuse(
            "balance_owed",
            gettext_noop("The co-op still owes you money that has not been paid out."),
        )
    if SolidarityClaim.objects.filter(
        member__user=user,
        status__in=[SolidarityClaim.Status.PENDING, SolidarityClaim.Status.APPROVED],
    ).exists():
        refuse(
            "claim_open",
            gettext_noop("A solidarity claim of yours is still being decided or paid."),
        )
    if RoleGrant.objects.filter(user=user, revoked_at__isnull=True).exists():
        refuse(
            "role_held",
            gettext_noop(
                "You still hold a role (board, administrator or teacher); it must end first."
            ),
        )
    return found
