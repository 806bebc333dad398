"""Founding the co-op and adopting policy versions."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone

from taawun.accounts.actions import create_account, grant_role
from taawun.accounts.models import Role, User
from taawun.domain import policy as policy_rules
from taawun.domain.canonical import canonical_bytes
from taawun.domain.errors import DomainError, gettext_noop
from taawun.transparency.audit import next_number, record

from .models import Coop, PolicyVersion


@transaction.atomic
def adopt_policy(
    *,
    actor: User | None,
    policy: policy_rules.Policy,
    reason: str,
    effective_from: dt.datetime | None = None,
) -> PolicyVersion:
    """Store a new policy version (founding, or a passed decision). Validated again here."""
    policy_rules.validate(policy)
    document = policy.to_document()
    number = next_number("policy_version")
    now = timezone.now()
    version = PolicyVersion.objects.create(
        number=number,
        document=document,
        digest=hashlib.sha256(canonical_bytes(document)).hexdigest(),
        reason=reason,
        created_at=now,
        effective_from=effective_from or now,
        created_by=actor,
    )
    record(
        actor_id=actor.pk if actor else None,
        action="policy.adopted",
        subject_type="policy",
        subject_id=number,
        policy_version=number,
        after={
            "digest": version.digest,
            "reason": reason,
            "effective_from": version.effective_from,
        },
    )
    return version


@transaction.atomic
def found_coop(
    *,
    name_ar: str,
    name_en: str,
    handle: str,
    policy: policy_rules.Policy,
    founder_email: str,
    founder_name: str,
    founder_password: str | None,
    founder_class: str,
    city: str = "",
    about_ar: str = "",
    about_en: str = "",
    starter_lessons: bool = True,
) -> Coop:
    """The founding assembly: the co-op, its first policy, its first member on the board, and
    (unless asked not to) the platform's own lessons in its school."""
    from taawun.ledger.actions import open_books
    from taawun.members.actions import admit_founder
    from taawun.school import starter

    if Coop.objects.exists():
        raise DomainError("already_founded", gettext_noop("This co-op has already been founded."))
    policy.member_class(founder_class)
    coop = Coop.objects.create(
        pk=1,
        name_ar=name_ar,
        name_en=name_en,
        handle=handle,
        city=city,
        about_ar=about_ar,
        about_en=about_en,
        founded_at=timezone.now(),
    )
    founder = create_account(email=founder_email, full_name=founder_name, password=founder_password)
    version = adopt_policy(actor=founder, policy=policy, reason="founding assembly")
    record(
        actor_id=founder.pk,
        action="coop.founded",
        subject_type="coop",
        subject_id=coop.pk,
        policy_version=version.number,
        after={"handle": handle, "currency": policy.currency, "founded_at": coop.founded_at},
    )
    open_books(policy.currency)
    grant_role(actor=None, user=founder, role=Role.ADMIN, policy_version=version.number)
    grant_role(actor=None, user=founder, role=Role.BOARD, policy_version=version.number)
    admit_founder(user=founder, member_class=founder_class)
    if starter_lessons:
        starter.install()
    return coop
