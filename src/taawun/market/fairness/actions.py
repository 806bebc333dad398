"""Every write of self-reported groups: only the member themself gives, changes or withdraws
them. Withdrawing deletes the answer; the audit trail records each change of consent with its
dimension, never the group."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain.errors import InvalidInput, NotAllowed, Term, gettext_noop
from taawun.members.models import Membership
from taawun.members.selectors import current_memberships
from taawun.transparency.audit import record

from .models import GROUPS, Dimension, SelfReport


def _audit(actor: User, membership: Membership, change: str, dimension: str) -> None:
    record(
        actor_id=actor.pk,
        action=f"fairness.self_report.{change}",
        subject_type="membership",
        subject_id=membership.number,
        policy_version=current_policy().number,
        after={"dimension": dimension},
    )


def _checked(answers: Mapping[str, str | None]) -> dict[str, str]:
    """The answers given (blank ones dropped), each a group its dimension lists."""
    given: dict[str, str] = {}
    for dimension, value in answers.items():
        if dimension not in GROUPS:
            raise InvalidInput(
                "unknown_dimension",
                gettext_noop("The co-op does not ask about %(dimension)s."),
                dimension=str(dimension)[:40],
            )
        if not value:
            continue
        if value not in {key for key, _label in GROUPS[dimension]}:
            raise InvalidInput(
                "unknown_group",
                gettext_noop("%(value)s is not one of the groups listed for %(dimension)s."),
                value=str(value)[:40],
                dimension=Term(Dimension(dimension).label),
            )
        given[dimension] = value
    return given


@transaction.atomic
def report_groups(
    *, actor: User, answers: Mapping[str, str | None], consent: bool
) -> dict[str, str]:
    """Replace the actor's self-reported groups with ``answers``: a dimension left blank or out
    is withdrawn (its answer deleted). Giving any answer needs consent. Returns what is now
    reported, by dimension."""
    given = _checked(answers)
    if given and not consent:
        raise InvalidInput(
            "consent_needed",
            gettext_noop("Tick the consent box to report a group, or leave every answer blank."),
        )
    # Locked, so two forms sent at once replace the answers one after the other.
    membership = (
        current_memberships().select_for_update(no_key=True).filter(user_id=actor.pk).first()
    )
    if membership is None:
        if given:
            raise NotAllowed(
                "not_a_member", gettext_noop("Only members can report a group for the audit.")
            )
        return withdraw_groups(actor=actor)
    earlier = {
        report.dimension: report
        for report in SelfReport.objects.select_related("membership").filter(
            membership__user_id=actor.pk
        )
    }
    now = timezone.now()
    for dimension in GROUPS:
        report, value = earlier.get(dimension), given.get(dimension)
        if value is None:
            if report is not None:
                report.delete()
                _audit(actor, report.membership, "withdrawn", dimension)
        elif report is None:
            SelfReport.objects.create(
                membership=membership, dimension=dimension, value=value, consented_at=now
            )
            _audit(actor, membership, "given", dimension)
        elif report.value != value or report.membership_id != membership.pk:
            report.membership, report.value, report.consented_at = membership, value, now
            report.save(update_fields=["membership", "value", "consented_at"])
            _audit(actor, membership, "changed", dimension)
    return given


@transaction.atomic
def withdraw_groups(*, actor: User) -> dict[str, str]:
    """Withdraw consent: every group the actor reported, under any of their memberships (a
    former member too), is deleted. Returns what is now reported: nothing."""
    reports = SelfReport.objects.select_related("membership").filter(membership__user_id=actor.pk)
    for report in reports.order_by("dimension"):
        report.delete()
        _audit(actor, report.membership, "withdrawn", report.dimension)
    return {}
