"""The earnings floor: a worker who earned less per hour in a window than the policy's floor is
topped up from the fund the policy names, once per window, in one balanced entry; a fund that
holds too little is shared in proportion to need and the shortfall recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.coop.actions import adopt_policy
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed
from taawun.domain.money import Money
from taawun.ledger import actions as ledger
from taawun.ledger.models import EntryKind, FloorRun, FloorTopUp, JournalEntry, Patronage
from taawun.members.models import Membership
from taawun.transparency.models import AuditEntry

from ..api.conftest import Api
from ..core.helpers import Clock, unchanged
from ..races import as_user, errors, line_up, oks, race
from .helpers import balance, books_problems, ils, lines, owed

D = Decimal
MakeMember = Callable[..., Membership]
FEB = (dt.date(2030, 2, 15), dt.date(2030, 2, 28))  # the default window on 2030-03-01


def sell(
    actor: User, worker: Membership, price: str, tip: str, hours: str, on: dt.date
) -> JournalEntry:
    """A sale: the worker is owed 88% of the price and the whole tip; the fund gets 2%."""
    entry, _parts = ledger.record_sale(
        actor=actor,
        worker_number=worker.number,
        price=ils(price),
        tip=ils(tip),
        method="cash",
        hours=D(hours),
        on=on,
    )
    return entry


def fill_the_fund(founder: User, on: dt.date = dt.date(2030, 2, 20)) -> None:
    """The founder's own well-paid work (440.00 an hour) puts 100.00 in the solidarity fund."""
    founder_member = Membership.objects.get(user=founder)
    sell(founder, founder_member, "5000.00", "0.00", "10", on)


def set_floor(founder: User, **floor: Any) -> None:
    policy = current_policy().policy
    pricing = policy.pricing.model_copy(
        update={"earnings_floor": policy.pricing.earnings_floor.model_copy(update=floor)}
    )
    adopt_policy(actor=founder, policy=policy.model_copy(update={"pricing": pricing}), reason="t")


def top_ups(run: FloorRun) -> dict[int, tuple[D, D, D, D]]:
    return {
        t.member.number: (t.hours, t.earned, t.needed, t.paid)
        for t in run.top_ups.select_related("member")
    }


def test_work_longer_than_the_window_counts_the_window_and_the_run_goes_ahead(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    busy, low = make_member(), make_member()
    for day in (20, 21):  # deliveries carried together: 400 hours of work in a 14-day window
        sell(founder, busy, "100.00", "0.00", "200", dt.date(2030, 2, day))
    sell(founder, low, "25.00", "18.00", "2", dt.date(2030, 2, 22))
    fill_the_fund(founder)

    run = ledger.apply_earnings_floor(actor=founder)

    # 14 days x 24 h = 336 h at 30.00 = 10,080.00, less the 176.00 earned
    assert top_ups(run)[busy.number][:3] == (D("336"), D("176.00"), D("9904.00"))
    assert top_ups(run)[low.number][:3] == (D("2"), D("40.00"), D("20.00"))
    assert books_problems() == []


def test_a_worker_below_the_floor_is_topped_up_from_the_fund(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    low, fine, idle = make_member(), make_member(), make_member()
    sell(founder, low, "25.00", "18.00", "2", dt.date(2030, 2, 20))  # 40.00 in 2 h: 20.00 an hour
    sell(founder, fine, "50.00", "26.00", "2", dt.date(2030, 2, 21))  # 70.00 in 2 h: 35.00 an hour
    fill_the_fund(founder)
    fund_before = balance("solidarity_fund")
    patronage_before = list(Patronage.objects.order_by("pk").values_list())
    low_owed = owed(low)

    run = ledger.apply_earnings_floor(actor=founder)

    assert (run.starts_on, run.ends_on) == FEB
    assert (run.total, run.shortfall, run.fund, run.hourly) == (
        D("20.00"),
        D("0"),
        "solidarity_fund",
        D("30.00"),
    )
    assert run.policy_version == current_policy().number
    assert top_ups(run) == {low.number: (D("2"), D("40.00"), D("20.00"), D("20.00"))}
    assert run.entry is not None
    assert (run.entry.kind, run.entry.date, run.entry.member, run.entry.hours) == (
        EntryKind.TOP_UP,
        FEB[1],
        None,
        D(0),
    )
    assert lines(run.entry) == [
        ("owed_to_member", low.number, D("-20.00")),
        ("solidarity_fund", None, D("20.00")),
    ]
    assert owed(low) == low_owed + D("20.00")
    assert owed(idle) == D(0)
    assert balance("solidarity_fund") == fund_before + D("20.00")  # equity: credits negative
    # Top-ups are not work: patronage hours and revenue are as they were.
    assert list(Patronage.objects.order_by("pk").values_list()) == patronage_before
    audit = AuditEntry.objects.order_by("-seq").first()
    assert audit is not None and audit.action == "books.earnings_floor"
    assert books_problems() == []

    # The next payout run pays the top-up with the rest of what the worker is owed.
    payout = ledger.run_payouts(actor=founder, method="cash", idempotency_key="pay")
    assert payout.payouts.get(member=low).amount == D("60.00")
    assert books_problems() == []


def test_the_windows_boundaries(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    fill_the_fund(founder)
    sell(founder, worker, "1000.00", "0.00", "1", dt.date(2030, 2, 14))  # the day before
    sell(founder, worker, "25.00", "18.00", "2", FEB[0])  # first day: 40.00
    sell(founder, worker, "10.00", "11.20", "1", FEB[1])  # last day: 20.00
    sell(founder, worker, "1000.00", "0.00", "1", clock.today)  # today, after the window

    run = ledger.apply_earnings_floor(actor=founder, ending_on=FEB[1])

    # 60.00 in 3 h against 90.00.
    assert top_ups(run) == {worker.number: (D("3"), D("60.00"), D("30.00"), D("30.00"))}
    assert books_problems() == []


def test_a_reversal_in_the_window_counts_against_it(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    clock.advance(days=2)
    earlier = sell(founder, worker, "10.00", "0.00", "0.5", clock.today)  # 8.80, before
    clock.advance(days=7)  # 2030-03-10, inside the window of 03-07 to 03-20
    fill_the_fund(founder, clock.today)
    sell(founder, worker, "25.00", "18.00", "2", clock.today)  # 40.00
    wrong = sell(founder, worker, "100.00", "0.00", "1", clock.today)  # 88.00, undone
    ledger.reverse_entry(actor=founder, number=wrong.number, reason="never happened")
    ledger.reverse_entry(actor=founder, number=earlier.number, reason="refunded")
    clock.advance(days=11)  # 2030-03-21: the window ends yesterday

    run = ledger.apply_earnings_floor(actor=founder)

    # 40.00 - 8.80 = 31.20 in 2 - 0.5 = 1.5 h, against 45.00.
    assert top_ups(run) == {worker.number: (D("1.5"), D("31.20"), D("13.80"), D("13.80"))}
    assert books_problems() == []


def test_a_short_fund_is_shared_by_need_to_the_cent(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    first, second = make_member(), make_member()
    sell(founder, first, "25.00", "18.00", "2", dt.date(2030, 2, 20))  # needs 20.00; fund 0.50
    sell(founder, second, "10.00", "0.00", "3", dt.date(2030, 2, 21))  # needs 81.20; fund 0.20
    assert balance("solidarity_fund") == D("-0.70")

    run = ledger.apply_earnings_floor(actor=founder)

    # 70 cents by 2000 : 8120 → 13.83 and 56.17 cents; the odd cent to the larger remainder.
    assert top_ups(run) == {
        first.number: (D("2"), D("40.00"), D("20.00"), D("0.14")),
        second.number: (D("3"), D("8.80"), D("81.20"), D("0.56")),
    }
    assert (run.total, run.shortfall) == (D("0.70"), D("100.50"))
    assert balance("solidarity_fund") == D(0)
    assert books_problems() == []


def test_an_empty_fund_pays_nothing_and_records_the_shortfall(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    sell(founder, worker, "25.00", "18.00", "2", dt.date(2030, 2, 20))
    set_floor(founder, fund="reserve")  # the reserve holds nothing yet

    run = ledger.apply_earnings_floor(actor=founder)

    assert (run.fund, run.total, run.shortfall, run.entry) == ("reserve", D(0), D("20.00"), None)
    assert top_ups(run) == {worker.number: (D("2"), D("40.00"), D("20.00"), D("0"))}
    assert not JournalEntry.objects.filter(kind=EntryKind.TOP_UP).exists()
    assert books_problems() == []


def test_a_window_is_applied_once_and_windows_never_overlap(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    fill_the_fund(founder)
    sell(founder, worker, "25.00", "18.00", "2", dt.date(2030, 2, 20))
    run = ledger.apply_earnings_floor(actor=founder)

    with unchanged():
        assert ledger.apply_earnings_floor(actor=founder, ending_on=FEB[1]) == run
    assert JournalEntry.objects.filter(kind=EntryKind.TOP_UP).count() == 1

    with unchanged(), pytest.raises(DomainError) as refused:
        ledger.apply_earnings_floor(actor=founder, ending_on=dt.date(2030, 2, 27))
    assert refused.value.code == "floor_window_overlaps"
    assert refused.value.params == {"start": "2030-02-15", "end": "2030-02-28"}

    before = ledger.apply_earnings_floor(actor=founder, ending_on=dt.date(2030, 2, 14))
    assert (before.starts_on, before.total, before.entry) == (dt.date(2030, 2, 1), D(0), None)
    assert FloorRun.objects.count() == 2
    assert books_problems() == []


def test_refusals_change_nothing(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    fill_the_fund(founder)
    sell(founder, worker, "25.00", "18.00", "2", dt.date(2030, 2, 20))

    with unchanged(), pytest.raises(NotAllowed):
        ledger.apply_earnings_floor(actor=worker.user)
    with unchanged(), pytest.raises(InvalidInput) as refused:
        ledger.apply_earnings_floor(actor=founder, ending_on=clock.today)
    assert refused.value.code == "window_not_over"

    set_floor(founder, enabled=False)
    with unchanged(), pytest.raises(DomainError) as disabled:
        ledger.apply_earnings_floor(actor=founder)
    assert disabled.value.code == "floor_disabled"
    assert not FloorRun.objects.exists()
    assert books_problems() == []


def test_a_closed_period_is_refused(clock: Clock, founder: User, make_member: MakeMember) -> None:
    worker = make_member()
    fill_the_fund(founder)
    sell(founder, worker, "25.00", "18.00", "2", dt.date(2030, 2, 20))
    clock.now = dt.datetime(2031, 1, 10, 10, tzinfo=dt.UTC)
    period = ledger.period_for(dt.date(2030, 6, 1))
    ledger.close_period(actor=founder, period_id=period.pk)

    with unchanged(), pytest.raises(DomainError) as refused:
        ledger.apply_earnings_floor(actor=founder, ending_on=FEB[1])
    assert refused.value.code == "period_closed"


@given(
    held=st.decimals(min_value=-100, max_value=10_000, places=2),
    needs=st.lists(st.integers(min_value=1, max_value=1_000_000), max_size=12),
)
def test_shares_never_exceed_the_fund_and_sum_to_what_it_can_pay(
    held: Decimal, needs: list[int]
) -> None:
    wanted = [D(n) / 100 for n in needs]
    shares = ledger.fund_shares(Money(held, "ILS"), wanted)
    assert sum(shares, D(0)) == min(max(held, D(0)), sum(wanted, D(0)))
    assert all(D(0) <= share <= need for share, need in zip(shares, wanted, strict=True))
    assert all(share == share.quantize(D("0.01")) for share in shares)


# --- Pages and API -----------------------------------------------------------------------


def test_the_desk_card_the_runs_page_and_the_statement(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    fill_the_fund(founder)
    sell(founder, worker, "25.00", "18.00", "2", dt.date(2030, 2, 20))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(founder)

    desk = client.get(reverse("ledger:desk"))
    assert desk.status_code == 200
    assert "Earnings floor" in desk.content.decode()
    assert "Not applied yet." in desk.content.decode()

    response = client.post(reverse("ledger:floor"), {"floor-ending_on": ""})
    assert response.status_code == 302
    assert FloorRun.objects.get().total == D("20.00")
    page = client.get(response["Location"]).content.decode()
    assert "20.00" in page and worker.user.get_full_name() in page

    statement = client.get(reverse("ledger:member", args=[worker.number])).content.decode()
    assert "earnings floor top-up" in statement

    again = client.post(reverse("ledger:floor"), {"floor-ending_on": "2030-02-27"})
    assert again.status_code == 409
    assert "overlaps this window" in again.content.decode()

    worker_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    worker_client.force_login(worker.user)
    with unchanged():
        assert worker_client.post(reverse("ledger:floor")).status_code == 403
        assert worker_client.get(reverse("ledger:floor_runs")).status_code == 403
    assert books_problems() == []


def test_the_api_applies_the_floor_once_and_lists_runs(
    clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    fill_the_fund(founder)
    sell(founder, worker, "25.00", "18.00", "2", dt.date(2030, 2, 20))
    board = Api(Client(HTTP_ACCEPT_LANGUAGE="en"))
    board.client.force_login(founder)
    expected = {
        "starts_on": "2030-02-15",
        "ends_on": "2030-02-28",
        "policy_version": current_policy().number,
        "fund": "solidarity_fund",
        "hourly": "30.00",
        "total": "20.00",
        "shortfall": "0.00",
        "currency": "ILS",
        "entry": JournalEntry.objects.count() + 1,
        "top_ups": [
            {
                "member": worker.number,
                "hours": "2.00",
                "earned": "40.00",
                "needed": "20.00",
                "paid": "20.00",
            }
        ],
    }

    response = board.post("/api/books/earnings-floor", {}, HTTP_IDEMPOTENCY_KEY="floor-1")
    assert (response.status_code, response.json()) == (201, expected)
    again = board.post(
        "/api/books/earnings-floor", {"ending_on": "2030-02-28"}, HTTP_IDEMPOTENCY_KEY="floor-2"
    )
    assert (again.status_code, again.json()) == (201, expected)
    assert JournalEntry.objects.filter(kind=EntryKind.TOP_UP).count() == 1

    overlap = board.post(
        "/api/books/earnings-floor", {"ending_on": "2030-02-20"}, HTTP_IDEMPOTENCY_KEY="floor-3"
    )
    assert overlap.status_code == 409
    assert overlap.json()["error"] == "floor_window_overlaps"

    listed = board.get("/api/books/earnings-floor")
    assert (listed.status_code, listed.json()) == (200, [expected])

    own = Api(Client(HTTP_ACCEPT_LANGUAGE="en"))
    own.client.force_login(worker.user)
    with unchanged():
        assert (
            own.post("/api/books/earnings-floor", {}, HTTP_IDEMPOTENCY_KEY="x").status_code == 403
        )
        assert own.get("/api/books/earnings-floor").status_code == 403
    assert books_problems() == []


# --- PostgreSQL race -----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_runs_of_one_window_at_once_make_one_entry(
    monkeypatch: pytest.MonkeyPatch, clock: Clock, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    second = make_member(paid=4)
    grant_role(actor=founder, user=second.user, role=Role.BOARD, policy_version=1)
    fill_the_fund(founder)
    sell(founder, worker, "25.00", "18.00", "2", dt.date(2030, 2, 20))
    line_up(monkeypatch, ledger, "_open_period", 2)

    outcomes = race(
        [
            lambda: ledger.apply_earnings_floor(actor=as_user(founder.pk)).pk,
            lambda: ledger.apply_earnings_floor(actor=as_user(second.user.pk)).pk,
        ]
    )

    assert errors(outcomes) == []
    assert len(set(oks(outcomes))) == 1
    assert FloorRun.objects.count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.TOP_UP).count() == 1
    assert FloorTopUp.objects.get().paid == D("20.00")
    assert owed(worker) == D("60.00")
    assert books_problems() == []
    assert timezone.localdate() == clock.today
