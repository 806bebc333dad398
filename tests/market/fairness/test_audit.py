"""The audit's figures read from the books and the orders, the self-reported groups (given,
changed and withdrawn only by the member, with consent), and the wall between them and
dispatch or pricing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction

import taawun.market
from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain.errors import InvalidInput, NotAllowed
from taawun.domain.pricing import quote_service
from taawun.ledger.models import Period
from taawun.market import actions as market
from taawun.market.fairness import actions, selectors
from taawun.market.fairness.models import SelfReport
from taawun.market.models import Order, OrderEvent, Sector, Status
from taawun.members import actions as members
from taawun.members.models import Membership
from taawun.transparency.models import AuditEntry

from ...core.helpers import Clock, actions_since, last_seq
from .conftest import Worked, earn

D = Decimal
pytestmark = [pytest.mark.django_db]

# (earned, hours): 20, 25, 37.50, 40, 50 and 50 per hour
SIX = [("200", "10"), ("100", "4"), ("75", "2"), ("200", "5"), ("150", "3"), ("400", "8")]


@contextmanager
def unchanged() -> Iterator[None]:
    """The block (a refusal) changed no self-report and wrote no audit entry. (Only the tables
    the actions write: other sectors' tables may be mid-migration while they are built.)"""
    before = list(SelfReport.objects.order_by("pk").values_list()), last_seq()
    yield
    assert (list(SelfReport.objects.order_by("pk").values_list()), last_seq()) == before


def period() -> Period:
    found = Period.objects.first()
    assert found is not None
    return found


def six(worked: Worked) -> list[Membership]:
    return [worked(earned, hours) for earned, hours in SIX]


def test_the_figures_of_a_period(clock: Clock, founder: User, worked: Worked) -> None:
    workers = six(worked)
    audit = selectors.audit(workers[2].user, period())
    figures = audit.figures
    assert figures is not None
    assert figures.count == 6
    assert str(figures.mean) == "37.08 ILS"
    assert str(figures.median) == "38.75 ILS"
    assert str(figures.p10) == "20.00 ILS"
    assert figures.p10_over_mean == D("0.5393")
    assert figures.gini == D("0.1704")
    assert str(audit.floor) == "30.00 ILS"
    assert figures.below_floor == 2
    assert [str(p.rate.amount) for p in audit.positions] == [
        "20.00",
        "25.00",
        "37.50",
        "40.00",
        "50.00",
        "50.00",
    ]
    assert [p.mine for p in audit.positions] == [False, False, True, False, False, False]
    assert audit.my_rank == 3
    assert audit.hours == D("32.00")
    assert sum(bar.count for bar in audit.bars) == 6
    assert audit.bars[4].lower.amount == D(20) and audit.bars[4].count == 1


def test_a_worker_who_did_not_work_and_the_board_see_no_place(
    clock: Clock, founder: User, worked: Worked, make_member: Callable[..., Membership]
) -> None:
    six(worked)
    idle = make_member()
    assert selectors.audit(idle.user, period()).my_rank is None
    assert selectors.audit(founder, period()).my_rank is None


def test_a_period_without_work_has_no_figures(clock: Clock, founder: User, worked: Worked) -> None:
    worker = worked("100", "4")
    later = Period.objects.create(starts_on=dt.date(2031, 1, 1), ends_on=dt.date(2031, 12, 31))
    audit = selectors.audit(worker.user, later)
    assert audit.figures is None
    assert audit.positions == [] and audit.bars == []
    assert all(line.groups == [] for line in audit.dimensions)


def test_a_policy_without_a_floor_counts_nobody_below_it(
    clock: Clock, founder: User, worked: Worked, monkeypatch: pytest.MonkeyPatch
) -> None:
    workers = six(worked)
    current = current_policy()
    floor = current.policy.pricing.earnings_floor.model_copy(update={"enabled": False})
    pricing = current.policy.pricing.model_copy(update={"earnings_floor": floor})
    policy = current.policy.model_copy(update={"pricing": pricing})
    monkeypatch.setattr(
        selectors, "current_policy", lambda: type(current)(policy=policy, number=current.number)
    )
    audit = selectors.audit(workers[0].user, period())
    assert audit.floor is None
    assert audit.figures is not None and audit.figures.below_floor is None


def test_the_audit_is_for_members_and_the_board(
    clock: Clock, worked: Worked, make_account: Callable[..., User]
) -> None:
    worker = worked("100", "4")
    with pytest.raises(NotAllowed):
        selectors.audit(make_account(), period())
    members.give_notice(actor=worker.user, membership_id=worker.pk)  # still a member
    assert selectors.audit(worker.user, period()).my_rank == 1


# --- Orders ---------------------------------------------------------------------------------


@transaction.atomic
def completed(customer: User, worker: Membership, founder: User, sector: Sector) -> Order:
    current = current_policy()
    quote = quote_service(policy=current.policy, policy_version=current.number, hours=D(2))
    order = market.place(
        customer=customer,
        sector=sector,
        title="Work",
        quote=quote,
        hours=D(2),
        worker=worker,
        status=Status.IN_PROGRESS,
    )
    order = market.advance(
        order=order,
        actor=founder,
        to=Status.COMPLETED,
        allowed_from=[Status.IN_PROGRESS],
        event=OrderEvent.Kind.COMPLETED,
    )
    market.take_payment(order=order, actor=founder, method="cash")
    return order


def test_completed_orders_by_sector_and_their_share_of_hours(
    clock: Clock, founder: User, worked: Worked, make_account: Callable[..., User]
) -> None:
    worker = worked("100", "4")  # four hours recorded at the desk, without an order
    customer = make_account()
    completed(customer, worker, founder, Sector.SERVICE)
    completed(customer, worker, founder, Sector.SERVICE)
    refunded = completed(customer, worker, founder, Sector.TRIP)
    with transaction.atomic():
        market.refund(order=refunded, actor=founder, reason="a mistake")
    completed(customer, worker, founder, Sector.PRODUCT)
    audit = selectors.audit(worker.user, period())
    assert audit.hours == D("10.00")  # 4 + 3 orders of 2 (the refunded one taken off)
    rows = {s.sector: (s.orders, s.hours, s.share_percent) for s in audit.sectors}
    assert rows == {
        Sector.SERVICE: (2, D("4.00"), D("40.0")),
        Sector.TRIP: (0, D("0.00"), D("0.0")),
        Sector.PROJECT: (0, D("0.00"), D("0.0")),
        Sector.PRODUCT: (1, D("2.00"), D("20.0")),
        Sector.WORK: (0, D("0.00"), D("0.0")),
    }
    assert audit.hours_without_order == D("4.00")


def test_declined_trip_offers_when_the_trips_sector_records_them(
    clock: Clock, founder: User, worked: Worked, make_account: Callable[..., User]
) -> None:
    worker = worked("100", "4")
    assert selectors.audit(worker.user, period()).trips.declined_percent is None
    trip = completed(make_account(), worker, founder, Sector.TRIP)
    for kind in ["offered", "declined", "offered", "offered", "declined", "offered"]:
        OrderEvent.objects.create(order=trip, kind=kind, actor=founder)
    trips = selectors.audit(worker.user, period()).trips
    assert (trips.offered, trips.declined, trips.declined_percent) == (4, 2, D("50.0"))


# --- Self-reported groups -------------------------------------------------------------------


def report(member: Membership, consent: bool = True, **answers: str | None) -> dict[str, str]:
    return actions.report_groups(actor=member.user, answers=answers, consent=consent)


def test_groups_of_fewer_than_five_are_not_shown(clock: Clock, worked: Worked) -> None:
    workers = six(worked)
    for worker in workers[:5]:
        report(worker, area="centre", gender="woman")
    report(workers[5], area="periphery", gender="prefer_not_to_say")
    audit = selectors.audit(workers[0].user, period())
    lines = {line.dimension.value: line for line in audit.dimensions}
    assert [(g.key, g.count, g.mean and str(g.mean)) for g in lines["area"].groups] == [
        ("centre", 5, "34.50 ILS"),  # (20 + 25 + 37.5 + 40 + 50) / 5
        ("periphery", 1, None),
    ]
    assert lines["area"].gap_percent is None  # one group shown: nothing to compare
    assert [g.key for g in lines["gender"].groups] == ["woman"]  # "prefer not to say": no group
    assert lines["age_band"].groups == []


def test_the_gap_between_groups_of_five(clock: Clock, worked: Worked) -> None:
    women = six(worked)[:5]
    men = [worked(str(rate * 2), "2") for rate in (30, 40, 50, 60, 70)]
    for worker in women:
        report(worker, gender="woman")
    for worker in men:
        report(worker, gender="man")
    audit = selectors.audit(women[0].user, period())
    gender = next(line for line in audit.dimensions if line.dimension == "gender")
    assert [(g.key, str(g.mean)) for g in gender.groups] == [
        ("woman", "34.50 ILS"),
        ("man", "50.00 ILS"),
    ]
    # The overall mean counts the sixth worker too: (222.5 + 250) / 11 = 42.95...
    assert gender.gap_percent == D("36.1")  # 15.5 / 42.954...


def test_a_member_reports_changes_and_withdraws_with_an_audit_entry_without_the_value(
    clock: Clock, worked: Worked
) -> None:
    worker = worked("100", "4")
    seq = last_seq()
    assert report(worker, gender="woman", age_band="25_39") == {
        "gender": "woman",
        "age_band": "25_39",
    }
    assert report(worker, gender="woman", age_band="40_54", area=None) == {
        "gender": "woman",
        "age_band": "40_54",
    }
    assert selectors.my_groups(worker.user) == {"gender": "woman", "age_band": "40_54"}
    assert report(worker, consent=False, gender=None, age_band="") == {}
    assert SelfReport.objects.count() == 0
    assert actions_since(seq) == [
        "fairness.self_report.given",
        "fairness.self_report.given",
        "fairness.self_report.changed",
        "fairness.self_report.withdrawn",
        "fairness.self_report.withdrawn",
    ]
    entries = AuditEntry.objects.filter(seq__gt=seq)
    assert {str(e.after) for e in entries} == {
        "{'dimension': 'gender'}",
        "{'dimension': 'age_band'}",
    }
    assert not any(re.search("woman|25_39|40_54", e.canonical) for e in entries)


def test_withdrawing_consent_erases_every_answer(clock: Clock, worked: Worked) -> None:
    worker, other = worked("100", "4"), worked("100", "4")
    report(worker, gender="man", age_band="55_plus", area="periphery")
    report(other, gender="woman")
    seq = last_seq()
    assert actions.withdraw_groups(actor=worker.user) == {}
    assert list(SelfReport.objects.values_list("membership", "value")) == [(other.pk, "woman")]
    assert not SelfReport.objects.filter(membership=worker).exists()
    assert actions_since(seq) == ["fairness.self_report.withdrawn"] * 3


def test_a_former_member_can_still_withdraw(clock: Clock, founder: User, worked: Worked) -> None:
    worker = worked("100", "4")
    report(worker, area="centre")
    Membership.objects.filter(pk=worker.pk).update(status=Membership.Status.LEFT)
    with pytest.raises(NotAllowed), unchanged():
        report(worker, area="periphery")
    assert report(worker, area=None) == {}
    assert SelfReport.objects.count() == 0


@pytest.mark.parametrize(
    ("answers", "consent", "code"),
    [
        ({"gender": "woman"}, False, "consent_needed"),
        ({"gender": "centre"}, True, "unknown_group"),
        ({"religion": "any"}, True, "unknown_dimension"),
    ],
)
def test_a_refused_report_changes_nothing(
    clock: Clock, worked: Worked, answers: dict[str, str], consent: bool, code: str
) -> None:
    worker = worked("100", "4")
    report(worker, area="centre")
    with pytest.raises(InvalidInput) as refused, unchanged():
        actions.report_groups(actor=worker.user, answers=answers, consent=consent)
    assert refused.value.code == code


def test_the_database_refuses_a_group_its_dimension_does_not_list(
    clock: Clock, worked: Worked
) -> None:
    from django.db import IntegrityError

    worker = worked("100", "4")
    with pytest.raises(IntegrityError), transaction.atomic():
        SelfReport.objects.create(
            membership=worker, dimension="area", value="woman", consented_at=clock()
        )
    report(worker, area="centre")
    with pytest.raises(IntegrityError), transaction.atomic():
        SelfReport.objects.create(
            membership=worker, dimension="area", value="periphery", consented_at=clock()
        )


# --- The wall -------------------------------------------------------------------------------

SOURCE = Path(taawun.market.__file__).resolve().parent.parent
MENTIONS = re.compile(r"self.?report|market_fairness|market\.fairness\.(?!urls)|fairness\.models")


def test_dispatch_and_pricing_never_read_self_reports() -> None:
    """Nothing in the pure core or the marketplace (outside the audit itself) names the
    self-reports or their app, so no dispatch or price can depend on them."""
    assert MENTIONS.search("from taawun.market.fairness.models import SelfReport")
    assert MENTIONS.search("apps.get_model('market_fairness', 'selfreport')")
    assert MENTIONS.search("self_reports.all()")
    assert not MENTIONS.search('include("taawun.market.fairness.urls")')
    audit_app = SOURCE / "market" / "fairness"
    files = [
        path
        for folder in (SOURCE / "domain", SOURCE / "market")
        for path in folder.rglob("*")
        if path.suffix in {".py", ".html", ".json"} and audit_app not in path.parents
    ]
    assert any(path.name == "dispatch.py" for path in files)
    assert any(path.name == "pricing.py" for path in files)
    offenders = {
        str(path.relative_to(SOURCE)): MENTIONS.findall(path.read_text(encoding="utf-8"))
        for path in files
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_a_sale_still_counts_without_any_report(
    clock: Clock, founder: User, worked: Worked
) -> None:
    worker = worked("100", "4")
    earn(founder, worker, "100", "4")
    assert selectors.audit(worker.user, period()).positions[0].rate.amount == D("25.00")
