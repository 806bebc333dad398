"""The demo co-op's self-reports: enough workers report for some groups to be shown."""

from __future__ import annotations

import pytest

from taawun.accounts.models import User
from taawun.demo import DEMO_DOMAIN, create_demo
from taawun.ledger.models import Period
from taawun.market.fairness import selectors
from taawun.market.fairness.demo import populate
from taawun.market.fairness.models import SelfReport

pytestmark = [pytest.mark.django_db]


def test_the_demo_reports_groups_and_the_audit_reads_them() -> None:
    create_demo()
    founder = User.objects.get(email=f"amal@{DEMO_DOMAIN}")
    populate(founder)
    assert SelfReport.objects.filter(dimension="gender").count() == 11
    assert SelfReport.objects.filter(dimension="area").count() == 10
    last_year = Period.objects.order_by("starts_on").first()
    assert last_year is not None
    audit = selectors.audit(founder, last_year)
    assert audit.figures is not None and audit.figures.count >= 10
    gender = next(line for line in audit.dimensions if line.dimension == "gender")
    assert {g.key: g.mean is not None for g in gender.groups} == {"woman": True, "man": True}
    area = next(line for line in audit.dimensions if line.dimension == "area")
    assert {g.key: g.mean is not None for g in area.groups} == {
        "centre": True,
        "periphery": False,
    }
    snapshot = sorted(SelfReport.objects.values_list("membership__number", "dimension", "value"))
    SelfReport.objects.all().delete()
    populate(founder)
    assert (
        sorted(SelfReport.objects.values_list("membership__number", "dimension", "value"))
        == snapshot
    )
