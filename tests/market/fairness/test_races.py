"""Real races on PostgreSQL: a member's two forms sent at once replace the answers one after
the other, never both creating a row (a unique-constraint error)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from taawun.accounts.models import User
from taawun.market.fairness import actions
from taawun.market.fairness.models import SelfReport
from taawun.members.models import Membership
from taawun.transparency.models import AuditEntry

from ...races import as_user, line_up, race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_two_reports_at_once_are_applied_one_after_the_other(
    founder: User, make_member: Callable[..., Membership], monkeypatch: pytest.MonkeyPatch
) -> None:
    member = make_member()
    line_up(monkeypatch, actions, "current_memberships", 2)

    def report(gender: str) -> Callable[[], dict[str, str]]:
        return lambda: actions.report_groups(
            actor=as_user(member.user_id), answers={"gender": gender}, consent=True
        )

    outcomes = race([report("woman"), report("other")])
    assert [kind for kind, _result in outcomes] == ["ok", "ok"]
    assert SelfReport.objects.filter(membership=member).count() == 1
    changes = AuditEntry.objects.filter(action__startswith="fairness.self_report.")
    assert sorted(changes.values_list("action", flat=True)) == [
        "fairness.self_report.changed",
        "fairness.self_report.given",
    ]
