"""The demo co-op, built once through the real actions: the marketplace with every sector at
every stage, the books sound, the fairness audit reading the consented self-reports, and
governance with votes open and decided."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from taawun.accounts.models import RoleGrant, User
from taawun.demo import DEMO_DOMAIN, create_demo
from taawun.governance import selectors as governance
from taawun.governance.models import Mandate
from taawun.governance.models import Proposal as Proposals
from taawun.ledger.models import Period
from taawun.market.fairness import demo as fairness_demo
from taawun.market.fairness import selectors as fairness
from taawun.market.fairness.models import SelfReport
from taawun.market.models import Order, Rating, Status
from taawun.market.products.models import Basket, Product
from taawun.market.projects.models import Brief, Proposal
from taawun.market.services.models import Availability, Booking, Service
from taawun.market.trips import demo as trips_demo
from taawun.market.trips.models import Offer, Place
from taawun.market.works import selectors as works
from taawun.market.works.models import LicenceGrant, Work
from tests.ledger.helpers import books_problems

pytestmark = pytest.mark.django_db


def statuses(sector: str) -> list[str]:
    return sorted(Order.objects.filter(sector=sector).values_list("status", flat=True))


def test_the_demo_has_every_sector_at_every_stage_and_votes_open_and_decided(
    media: Path,
) -> None:
    create_demo()
    founder = User.objects.get(email=f"amal@{DEMO_DOMAIN}")

    assert Service.objects.count() == 5
    assert Availability.objects.exists()
    assert {"requested", "confirmed", "completed", "cancelled"} <= set(statuses("service"))
    assert Rating.objects.filter(order__sector="service").count() == 5
    assert not Booking.objects.filter(active=True, order__status=Status.CANCELLED).exists()

    assert Place.objects.count() == len(trips_demo.PLACES)
    assert {"cancelled", "completed", "in_progress", "offered", "requested"} <= set(
        statuses("trip")
    )
    assert Offer.objects.filter(status="offered").get().explanation["lines"]
    unpaid = Order.objects.filter(sector="trip", status="completed", payment__isnull=True)
    assert not unpaid.exists()

    assert list(Brief.objects.order_by("pk").values_list("status", flat=True)) == [
        "open",
        "agreed",
        "agreed",
        "closed",
    ]
    assert Proposal.objects.count() == 5
    assert statuses("project") == [
        "completed",
        "completed",
        "completed",
        "confirmed",
        "confirmed",
        "delivered",
        "disputed",
    ]

    assert Product.objects.count() == 8
    assert set(statuses("product")) == {"requested", "confirmed", "completed", "cancelled"}
    assert Basket.objects.filter(fulfilment="delivery").exists()

    assert Work.objects.count() == 7
    assert Work.objects.filter(active=False).count() == 1
    assert LicenceGrant.objects.count() == 7
    assert set(statuses("work")) == {"completed"}
    assert len([p for p in media.rglob("*") if p.is_file()]) == 14  # originals and previews
    desk = works.creator_desk(User.objects.get(email=f"rana@{DEMO_DOMAIN}"))
    assert (desk.sales, desk.royalties.amount) == (3, Decimal("45.00"))

    assert SelfReport.objects.filter(dimension="gender").count() == 11
    assert SelfReport.objects.filter(dimension="area").count() == 10
    last_year = Period.objects.order_by("starts_on").first()
    assert last_year is not None
    audit = fairness.audit(founder, last_year)
    assert audit.figures is not None and audit.figures.count >= 10
    gender = next(line for line in audit.dimensions if line.dimension == "gender")
    assert {g.key: g.mean is not None for g in gender.groups} == {"woman": True, "man": True}
    area = next(line for line in audit.dimensions if line.dimension == "area")
    assert {g.key: g.mean is not None for g in area.groups} == {"centre": True, "periphery": False}
    reports = sorted(SelfReport.objects.values_list("membership__number", "dimension", "value"))
    SelfReport.objects.all().delete()
    fairness_demo.populate(founder)  # the same every time
    assert sorted(SelfReport.objects.values_list("membership__number", "dimension", "value")) == (
        reports
    )

    assert books_problems() == []

    decided = {p.kind: p for p in Proposals.objects.filter(status="closed")}
    assert (decided["poll"].outcome, decided["poll"].result["winners"]) == ("chosen", ["1"])
    assert decided["poll"].outcome_statement
    election = decided["election"]
    assert (election.outcome, election.result["participants"]) == ("elected", 12)
    board = RoleGrant.objects.filter(role="board", revoked_at__isnull=True)
    assert sorted(board.values_list("user__email", flat=True)) == [
        f"{name}@{DEMO_DOMAIN}" for name in ("amal", "khalil", "rana")
    ]
    assert Mandate.objects.filter(ended_at__isnull=True).count() == 3
    open_votes = Proposals.objects.filter(status="open").order_by("number")
    assert [(p.kind, p.participations.count()) for p in open_votes] == [
        ("policy_change", 4),
        ("rate", 3),
    ]
    fee_change = open_votes[0]
    assert len(governance.discussion(fee_change)) == 3
    statements = governance.statements(founder, fee_change)
    assert [r.agree + r.disagree + r.passed for r in statements] == [14] * 6
