"""Creating accounts, granting or revoking the board and admin roles, and what a person does
with their own data: correct it, answer the optional sharings, close the account."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language

from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, gettext_noop
from taawun.transparency.audit import record

from .models import GRANTABLE_ROLES, Consent, Role, RoleGrant, User
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
    """Grant board, admin or teacher. ``actor=None`` when the members decided it: the founding
    assembly or an election. An administrator's grant waits for the lessons the Policy asks for
    before the role."""
    from taawun.school.selectors import require_lessons, role_lessons

    if actor is not None:
        require_role(actor, Role.ADMIN)
    if role not in GRANTABLE_ROLES:
        raise InvalidInput("role_not_grantable", gettext_noop("This role follows from membership."))
    if RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists():
        raise DomainError("role_held", gettext_noop("This person already holds that role."))
    if actor is not None:  # the members' own decisions (founding, elections) are not second-guessed
        require_lessons(user, role_lessons(role), language=get_language() or "ar")
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


# --- A person's own data -------------------------------------------------------------------

LANGUAGES = ("", "ar", "en")


@transaction.atomic
def update_account(*, actor: User, full_name: str, language: str) -> User:
    """The person corrects their own name and chosen language; the trail names the fields that
    changed, never their values."""
    from taawun.coop.selectors import current_policy_number

    full_name = full_name.strip()
    if not full_name:
        raise InvalidInput("name_required", gettext_noop("Enter your name."))
    if len(full_name) > 150:
        raise InvalidInput("name_too_long", gettext_noop("A name has at most 150 characters."))
    if language not in LANGUAGES:
        raise InvalidInput("bad_language", gettext_noop("Choose Arabic, English or the browser's."))
    user = User.objects.select_for_update().get(pk=actor.pk)
    changed = sorted(
        field
        for field, value in (("full_name", full_name), ("language", language))
        if getattr(user, field) != value
    )
    if not changed:
        return user
    user.full_name, user.language = full_name, language
    user.save(update_fields=changed)
    record(
        actor_id=actor.pk,
        action="account.updated",
        subject_type="account",
        subject_id=user.pk,
        policy_version=current_policy_number(),
        after={"fields": changed},
    )
    return user


def note_consent(*, user: User, topic: str, given: bool) -> Consent:
    """Add the record of an answer; for actions that change a sharing (they write the trail)."""
    from .consents import TEXTS

    return Consent.objects.create(
        user=user,
        topic=topic,
        given=given,
        text_version=TEXTS[topic].version,
        at=timezone.now(),
    )


@transaction.atomic
def set_consent(*, actor: User, topic: str, given: bool) -> Consent:
    """Agree to, or withdraw from, one optional sharing. For the directory the profile's switch
    is the sharing itself, so it changes with the record."""
    from taawun.coop.selectors import current_policy_number
    from taawun.members.models import Profile

    from .consents import TEXTS

    if topic not in TEXTS:
        raise InvalidInput("unknown_consent", gettext_noop("There is no such choice."))
    if topic == Consent.Topic.DIRECTORY:
        profile = Profile.objects.select_for_update().filter(user=actor).first()
        if profile is None:
            raise InvalidInput(
                "no_profile", gettext_noop("Only members have an entry in the directory.")
            )
        profile.show_in_directory = given
        profile.save(update_fields=["show_in_directory"])
    consent = note_consent(user=actor, topic=topic, given=given)
    record(
        actor_id=actor.pk,
        action="consent.given" if given else "consent.withdrawn",
        subject_type="account",
        subject_id=actor.pk,
        policy_version=current_policy_number(),
        after={"topic": topic, "text_version": consent.text_version},
    )
    return consent


def _scrubbed(value: Any, replace: dict[str, str]) -> Any:
    """``value`` with every string that is one of ``replace``'s keys swapped for its value."""
    if isinstance(value, str):
        return replace.get(value.strip().lower(), value) if value.strip() else value
    if isinstance(value, dict):
        return {k: _scrubbed(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, replace) for v in value]
    return value


def _session_keys(user: User) -> list[str]:
    from django.contrib.sessions.models import Session

    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            keys.append(session.session_key)
    return keys


def _forget_sessions(keys: list[str]) -> None:
    """Drop the sessions from the cache too (the database rows went with the transaction)."""
    from importlib import import_module

    from django.conf import settings

    engine = import_module(settings.SESSION_ENGINE)
    for key in keys:
        engine.SessionStore(session_key=key).delete()


@transaction.atomic
def close_account(*, actor: User, confirm: str) -> User:
    """Close the actor's own account and erase what identifies them.

    ``confirm`` is their password (or, for an account without one, their email address).
    Refused while anything is still open between the person and the co-op (see
    ``selectors.closing_obstacles``). The books, the registers and the audit trail keep their
    rows, naming the member by number; the account row stays for them to point at, with a
    placeholder name and an address that cannot receive mail."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.models import Session

    from taawun.apikeys.models import ApiToken, IdempotencyRecord
    from taawun.coop.selectors import current_policy_number
    from taawun.federation.models import Outbound, Referral
    from taawun.governance.models import Proposal
    from taawun.ledger.models import SolidarityClaim
    from taawun.market.fairness.models import SelfReport
    from taawun.market.models import Order, Rating
    from taawun.market.products.models import Basket, Cart, Product
    from taawun.market.projects.models import Brief
    from taawun.market.services.models import Availability
    from taawun.market.trips.models import Presence, Trip
    from taawun.members.models import Application, Profile

    from .selectors import closing_obstacles

    user = User.objects.select_for_update().filter(pk=actor.pk, is_active=True).first()
    if user is None:
        raise NotAllowed("account_closed", gettext_noop("This account is closed."))
    if user.has_usable_password():
        confirmed = user.check_password(confirm)
    else:
        confirmed = confirm.strip().lower() == user.email.lower()
    if not confirmed:
        raise InvalidInput(
            "not_confirmed", gettext_noop("That is not your password; the account stays open.")
        )
    obstacles = closing_obstacles(user)
    if obstacles:
        raise obstacles[0]

    number = user.memberships.order_by("-number").values_list("number", flat=True).first()
    placeholder_name = f"Former member {number}" if number else f"Former account {user.pk}"
    placeholder_email = f"erased-{user.pk}@invalid"
    profile = Profile.objects.filter(user=user).first()
    emails = set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    replace = {e.lower(): placeholder_email for e in {*emails, user.email} if e}
    for name in (user.full_name, profile.display_name if profile else "", user.get_full_name()):
        if name.strip() and name.strip().lower() not in replace:
            replace[name.strip().lower()] = placeholder_name
    memberships = list(user.memberships.values_list("pk", flat=True))

    # What the person told us about themselves, and how to reach them.
    Profile.objects.filter(user=user).delete()
    Application.objects.filter(user=user).update(motivation="")
    SolidarityClaim.objects.filter(member__in=memberships).update(details="")
    SelfReport.objects.filter(membership__in=memberships).delete()
    Availability.objects.filter(worker__in=memberships).delete()
    Presence.objects.filter(worker__in=memberships).update(online=False, latitude=0, longitude=0)
    Product.objects.filter(producer__in=memberships).update(
        active=False, place_label="", place_lat=0, place_lon=0
    )
    Rating.objects.filter(order__customer=user).update(comment="")
    Brief.objects.filter(customer=user).update(description="")
    Cart.objects.filter(customer=user).delete()
    # Where they were picked up or had things delivered (a trip's title names its route).
    for trip in Trip.objects.filter(order__customer=user).select_related("order"):
        if trip.order.title.strip():
            replace.setdefault(trip.order.title.strip().lower(), trip.kind)
        Order.objects.filter(pk=trip.order_id).update(title=trip.kind)
        Referral.objects.filter(order_id=trip.order_id).update(title=trip.kind)
    Trip.objects.filter(order__customer=user).update(
        pickup_label="",
        pickup_latitude=0,
        pickup_longitude=0,
        dropoff_label="",
        dropoff_latitude=0,
        dropoff_longitude=0,
    )
    Basket.objects.filter(order__customer=user).update(dropoff_label="")
    Basket.objects.filter(order__customer=user, dropoff_lat__isnull=False).update(
        dropoff_lat=0, dropoff_lon=0
    )
    # The contact passed to a sister co-op with a referral, here and in what we sent.
    referrals = Referral.objects.filter(direction=Referral.Direction.OUT, order__customer=user)
    offers = [o for o in referrals.values_list("offer_id", flat=True) if o]
    referrals.update(contact_name="", contact="")
    for outbound in Outbound.objects.filter(payload__id__in=offers):
        outbound.payload = _scrubbed(outbound.payload, replace)
        outbound.save(update_fields=["payload"])
    # Their name as the title of their admission vote, or as a candidate's label.
    for proposal in Proposal.objects.filter(
        Q(application__user=user) | Q(kind=Proposal.Kind.ELECTION)
    ).select_for_update(of=("self",)):
        title, options, result = (
            _scrubbed(proposal.title, replace),
            _scrubbed(proposal.options, replace),
            _scrubbed(proposal.result, replace),
        )
        if (title, options, result) != (proposal.title, proposal.options, proposal.result):
            proposal.title, proposal.options, proposal.result = title, options, result
            proposal.save(update_fields=["title", "options", "result"])
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=placeholder_name)

    if apps.is_installed("taawun.notifications"):
        from taawun.notifications.models import CalendarKey, Notification, Preference

        Notification.objects.filter(recipient=user).delete()
        Preference.objects.filter(user=user).delete()
        CalendarKey.objects.filter(user=user).delete()

    # The ways in.
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    IdempotencyRecord.objects.filter(user=user).delete()
    sessions = _session_keys(user)
    Session.objects.filter(session_key__in=sessions).delete()
    transaction.on_commit(lambda: _forget_sessions(sessions))

    user.email = placeholder_email
    user.full_name = placeholder_name
    user.language = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "full_name", "language", "is_active", "password"])
    record(
        actor_id=user.pk,
        action="account.closed",
        subject_type="account",
        subject_id=user.pk,
        policy_version=current_policy_number(),
        after={"memberships": len(memberships)},
    )
    return user
