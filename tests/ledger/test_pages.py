"""The books' pages: who may open them, the board's desk forms (and what a refusal shows), a form
sent twice, closing and reopening a year, the notices and their PDFs, the exports, the number of
queries and the Arabic page. The actions behind them are tested in ``test_books.py``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.ledger import actions as ledger
from taawun.ledger import notices
from taawun.ledger.models import (
    Account,
    Allocation,
    EntryKind,
    JournalEntry,
    Patronage,
    PayoutRun,
    Period,
    Posting,
    SolidarityClaim,
)
from taawun.members import actions as members
from taawun.members.models import Membership

from ..core.helpers import Clock, unchanged
from ..web.helpers import html_attrs, text
from .helpers import lines

D = Decimal
MakeMember = Callable[..., Membership]
READING_PAGES = ["ledger:overview", "ledger:journal", "ledger:mine", "ledger:solidarity"]
FORBIDDEN = "You do not have permission to do this."


@pytest.fixture
def web(client: Client) -> Client:
    """A browser asking for English, so the assertions hold whatever the Arabic catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def ils(amount: str) -> Money:
    return Money(D(amount), "ILS")


def balance(purpose: str, member: Membership | None = None) -> Decimal:
    """The signed (debit-positive) balance of an account; zero when it was never opened."""
    found = Account.objects.filter(purpose=purpose, member=member, currency="ILS").first()
    return found.balance if found is not None else D(0)


def owed(member: Membership) -> Decimal:
    return -balance("owed_to_member", member)


def entry_count() -> int:
    return JournalEntry.objects.count()


def latest() -> JournalEntry:
    entry = JournalEntry.objects.order_by("-number").first()
    assert entry is not None
    return entry


def sell(
    actor: User,
    worker: Membership,
    price: str,
    *,
    tip: str = "0.00",
    method: str = "cash",
    hours: str = "1",
) -> JournalEntry:
    entry, _parts = ledger.record_sale(
        actor=actor,
        worker_number=worker.number,
        price=ils(price),
        tip=ils(tip),
        method=method,
        hours=D(hours),
    )
    return entry


def form_html(response: Any, action: str) -> str:
    """The HTML of the page's form that posts to ``action`` (a URL name, or a path)."""
    path = action if action.startswith("/") else reverse(action)
    content = response.content.decode()
    match = re.search(rf'<form method="post" action="{re.escape(path)}".*?</form>', content, re.S)
    assert match, f"no form posting to {action}"
    return match.group(0)


# The desk's forms share one page, so each has a prefix on its field names.
DESK_PREFIXES = {
    "ledger:sale": "sale",
    "ledger:expense": "expense",
    "ledger:income": "income",
    "ledger:payouts": "payout",
    "ledger:reverse": "reverse",
    "ledger:move": "move",
}


def desk_post(web: Client, action: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """POST ``data`` (plain field names) to the desk form ``action`` (a URL name or path)."""
    path = action if action.startswith("/") else reverse(action)
    prefix = next(p for name, p in DESK_PREFIXES.items() if reverse(name) == path)
    named = {k if k.startswith(f"{prefix}-") else f"{prefix}-{k}": v for k, v in data.items()}
    return web.post(path, named, **kwargs)


def hidden_key(response: Any, action: str) -> str:
    """The key drawn for the form that posts to ``action`` when the page was shown."""
    match = re.search(r'name="(?:[a-z]+-)?key" value="([^"]+)"', form_html(response, action))
    assert match, f"the form posting to {action} has no key"
    return match.group(1)


# --- Who may open what ---------------------------------------------------------------------


@pytest.mark.parametrize("name", READING_PAGES)
def test_the_books_are_open_to_members_and_the_board(
    clock: Clock,
    web: Client,
    founder: User,
    make_member: MakeMember,
    make_account: Callable[..., User],
    name: str,
) -> None:
    url = reverse(name)
    member = make_member(paid=1)
    for reader in (member.user, founder):
        web.force_login(reader)
        response = web.get(url)
        assert response.status_code == 200, (name, reader)

    web.force_login(make_account())  # signed in, but not a member
    refused = web.get(url)
    assert refused.status_code == 403
    reason = "Only members have a statement." if name == "ledger:mine" else FORBIDDEN
    assert reason in text(refused)

    web.logout()
    anonymous = web.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"{reverse('account_login')}?next={url}"


def test_a_non_member_cannot_claim_support(
    clock: Clock, web: Client, coop: Any, make_account: Callable[..., User]
) -> None:
    web.force_login(make_account())
    with unchanged():
        response = web.post(reverse("ledger:solidarity"), {"reason": "sickness", "amount": "1"})
    assert response.status_code == 403


def test_the_board_reads_any_members_statement(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker, other = make_member(), make_member()
    sell(founder, worker, "100.00", tip="5.00")
    url = reverse("ledger:member", args=[worker.number])

    web.force_login(founder)
    page = text(web.get(url))
    assert f"Statement of member {worker.number}" in page
    assert "Owed to you 93.00 ILS" in page
    assert web.get(reverse("ledger:member", args=[999])).status_code == 404

    web.force_login(other.user)
    assert web.get(url).status_code == 403


def test_the_desk_is_for_the_board_only(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member(paid=2)
    sell(founder, worker, "1000.00")
    entry = latest()
    claim = ledger.claim_support(actor=worker.user, reason="sickness", amount=ils("5.00"))
    period = entry.period
    web.force_login(worker.user)

    desk = web.get(reverse("ledger:desk"))
    assert desk.status_code == 403
    assert FORBIDDEN in text(desk)
    assert "Treasurer's desk" not in text(web.get(reverse("ledger:overview")))  # not in the menu

    posts = [
        (
            reverse("ledger:sale"),
            {"key": "k-1", "worker": worker.number, "price": "10", "hours": "1", "method": "cash"},
        ),
        (
            reverse("ledger:expense"),
            {"expense-amount": "1", "expense-method": "cash", "expense-memo": "tea"},
        ),
        (
            reverse("ledger:income"),
            {"income-amount": "1", "income-method": "cash", "income-memo": "grant"},
        ),
        (reverse("ledger:payouts"), {"key": "k-2", "method": "cash"}),
        (reverse("ledger:reverse"), {"number": entry.number, "reason": "a mistake"}),
        (reverse("ledger:close", args=[period.pk]), {}),
        (reverse("ledger:reopen", args=[period.pk]), {"reopen-reason": "a correction"}),
        (reverse("ledger:decide", args=[claim.pk]), {f"claim{claim.pk}-decision": "approve"}),
    ]
    with unchanged():
        for url, data in posts:
            response = web.post(url, data)
            assert response.status_code == 403, url
            assert FORBIDDEN in text(response), url
    claim.refresh_from_db()
    assert claim.status == SolidarityClaim.Status.PENDING


def test_the_board_sees_the_desk(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    sell(founder, worker, "100.00", tip="5.00")
    web.force_login(founder)
    response = web.get(reverse("ledger:desk"))
    assert response.status_code == 200
    page = text(response)
    assert "The co-op keeps 10% and the solidarity fund 2% of the price" in page
    assert f"{worker.number} · {worker.user.get_full_name()} : 93.00 ILS" in page
    assert "No claim is waiting." in page
    assert "Closes after it ends" in page  # 2030 is still running
    # every form that moves money for a worker carries its own key
    assert hidden_key(response, "ledger:sale") != hidden_key(response, "ledger:payouts")


def test_the_desk_has_no_duplicate_ids(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    sell(founder, make_member(), "100.00")  # someone is owed: the payout form is shown
    web.force_login(founder)
    ids = re.findall(r'\bid="([^"]+)"', web.get(reverse("ledger:desk")).content.decode())
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


# --- Reports -------------------------------------------------------------------------------


def test_the_overview_shows_the_income_statement_a_chart_and_a_balanced_sheet(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member(paid=1)  # 50.00 into the cash box
    sell(founder, worker, "1000.00", tip="10.00", hours="8")
    ledger.record_expense(actor=founder, amount=ils("30.00"), method="cash", memo="tools")
    web.force_login(worker.user)

    response = web.get(reverse("ledger:overview"))

    assert response.status_code == 200
    content = response.content.decode()
    assert re.search(r'<svg class="chart"[^>]*\brole="img"', content)
    assert 'aria-label="Income and expenses by month"' in content
    assert 'aria-label="Fund balances"' in content
    page = text(response)
    assert "Surplus: 70.00 ILS" in page
    assert "4000 Fees, members' work 100.00 ILS" in page
    assert "Total income 100.00 ILS" in page
    assert "5000 Operating expenses 30.00 ILS" in page
    assert "Total expenses 30.00 ILS" in page
    assert "Assets equal liabilities plus equity." in page
    assert "does not balance" not in page
    assert "1000 Cash 1030.00 ILS" in page  # 50.00 + 1010.00 - 30.00
    assert "Total assets 1030.00 ILS" in page
    assert "Total liabilities 890.00 ILS" in page
    assert "Total equity 70.00 ILS" in page  # share capital 50.00, solidarity fund 20.00
    assert "Result not yet closed into equity: 70.00 ILS" in page
    assert "At the start of the period 0.00 ILS" in page
    assert "At the end of the period 1030.00 ILS" in page
    assert "Solidarity fund: 20.00 ILS" in page


def test_an_unknown_period_is_404(clock: Clock, web: Client, founder: User) -> None:
    web.force_login(founder)
    for period in ("9999", "x"):
        assert web.get(reverse("ledger:overview"), {"period": period}).status_code == 404


def test_the_journal_page_shows_each_entry(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    entry = sell(founder, worker, "100.00", tip="5.00")
    web.force_login(worker.user)
    page = text(web.get(reverse("ledger:journal")))
    assert f"Entry {entry.number} · March 1, 2030 · " in page
    assert f"member {worker.number}" in page
    assert f"2000-{worker.number:04d} Owed to member 93.00 ILS" in page
    assert "1000 Cash 105.00 ILS" in page


# --- The desk's forms ----------------------------------------------------------------------


def test_a_sale_sent_twice_from_the_desk_is_recorded_once(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    web.force_login(founder)
    desk = web.get(reverse("ledger:desk"))
    data = {
        "key": hidden_key(desk, "ledger:sale"),
        "worker": str(worker.number),
        "price": "100.00",
        "tip": "5.00",
        "hours": "2.5",
        "method": "cash",
        "on": "",
        "memo": "shelves",
    }
    before = entry_count()

    response = desk_post(web, "ledger:sale", data)

    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:desk")
    assert entry_count() == before + 1
    entry = latest()
    assert (entry.kind, entry.member, entry.hours, entry.memo) == (
        EntryKind.SALE,
        worker,
        D("2.5"),
        "shelves",
    )
    assert owed(worker) == D("93.00")
    assert balance("cash") == D("105.00")
    message = f"Entry {entry.number}: the worker is owed 93.00 ILS, the co-op's fee is 10.00 ILS."
    assert message in text(web.get(reverse("ledger:desk")))

    with unchanged():  # a double click, or a resend after a lost connection
        again = desk_post(web, "ledger:sale", data)
    assert again.status_code == 302
    assert message in text(web.get(again["Location"]))
    assert entry_count() == before + 1
    assert owed(worker) == D("93.00")
    assert Patronage.objects.get(member=worker).hours == D("2.5")


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"worker": "999"}, 400, "Member 999 is not a working member."),
        ({"worker": "x"}, 400, "Enter a whole number."),
        ({"price": "-1.00"}, 400, "Ensure this value is greater than or equal to 0."),
        ({"price": "ten"}, 400, "Enter a number."),
        ({"price": "0"}, 400, "The price must be above zero."),
        ({"hours": "745"}, 400, "Ensure this value is less than or equal to 744."),
        ({"method": "cheque"}, 400, "Select a valid choice. cheque is not one of the available"),
        ({"key": ""}, 400, "Record paid work"),  # a browser always sends it
    ],
    ids=[
        "unknown-worker",
        "worker-not-a-number",
        "negative-price",
        "price-not-a-number",
        "zero-price",
        "too-many-hours",
        "unknown-method",
        "no-key",
    ],
)
def test_a_sale_the_desk_refuses_changes_nothing(
    clock: Clock,
    web: Client,
    founder: User,
    make_member: MakeMember,
    change: dict[str, str],
    status: int,
    error: str,
) -> None:
    worker = make_member()
    web.force_login(founder)
    data = {
        "key": "sale-key",
        "worker": str(worker.number),
        "price": "100.00",
        "hours": "1",
        "method": "cash",
        **change,
    }
    with unchanged():
        response = desk_post(web, "ledger:sale", data)
    assert response.status_code == status
    assert error in text(response)
    assert "Record paid work" in text(response)  # the desk, shown again with the form
    assert entry_count() == 0


def test_a_sale_for_a_member_who_does_not_work_is_refused(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    user_member = make_member("user")
    web.force_login(founder)
    data = {"key": "k", "worker": user_member.number, "price": "10", "hours": "1"}
    with unchanged():
        response = desk_post(web, "ledger:sale", {**data, "method": "cash"})
    assert response.status_code == 400
    assert f"Member {user_member.number} is not a working member." in text(response)


def test_an_expense_needs_the_money_to_pay_it(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    member = make_member()  # nothing paid: the cash box and the bank are empty
    web.force_login(founder)
    data = {
        "expense-key": "e-1",
        "expense-amount": "30.00",
        "expense-method": "cash",
        "expense-memo": "tools",
    }

    with unchanged():
        short = desk_post(web, "ledger:expense", data)
    assert short.status_code == 409
    assert "There is not enough money in account 1000 for this: it would be -30.00 ILS." in text(
        short
    )

    members.record_instalment_payment(
        actor=founder,
        instalment_id=member.instalments.get(number=1).pk,
        method="bank",
        reference="T-1",
    )
    assert balance("bank") == D("50.00")
    response = desk_post(web, "ledger:expense", {**data, "expense-method": "bank"}, follow=True)
    assert response.redirect_chain == [(reverse("ledger:desk"), 302)]
    entry = latest()
    assert f"The expense is entry {entry.number}." in text(response)
    assert (entry.kind, entry.memo) == (EntryKind.EXPENSE, "tools")
    assert (balance("bank"), balance("expenses")) == (D("20.00"), D("30.00"))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"expense-memo": ""}, "This field is required."),
        ({"expense-amount": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"expense-amount": "0"}, "The amount must be above zero."),
        ({"expense-method": "gold"}, "Select a valid choice."),
    ],
    ids=["no-memo", "negative", "zero", "unknown-method"],
)
def test_an_expense_the_desk_refuses_changes_nothing(
    clock: Clock,
    web: Client,
    founder: User,
    make_member: MakeMember,
    change: dict[str, str],
    error: str,
) -> None:
    sell(founder, make_member(), "100.00")  # money in the box
    web.force_login(founder)
    data = {
        "expense-key": "e-2",
        "expense-amount": "5",
        "expense-method": "cash",
        "expense-memo": "tea",
        **change,
    }
    with unchanged():
        response = desk_post(web, "ledger:expense", data)
    assert response.status_code == 400
    assert error in text(response)


def test_an_expense_sent_twice_from_the_desk_is_recorded_once(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    sell(founder, make_member(), "100.00")
    web.force_login(founder)
    data = {
        "expense-key": "e-3",
        "expense-amount": "5.00",
        "expense-method": "cash",
        "expense-memo": "tea",
    }
    assert desk_post(web, "ledger:expense", data).status_code == 302
    desk_post(web, "ledger:expense", data)  # a double click
    assert JournalEntry.objects.filter(kind=EntryKind.EXPENSE).count() == 1


def test_other_income_from_the_desk(clock: Clock, web: Client, founder: User) -> None:
    web.force_login(founder)
    data = {
        "income-key": "i-1",
        "income-amount": "200.00",
        "income-method": "bank",
        "income-memo": "grant",
    }
    response = desk_post(web, "ledger:income", data, follow=True)
    entry = latest()
    assert f"The income is entry {entry.number}." in text(response)
    assert (entry.kind, balance("bank"), balance("other_income")) == (
        EntryKind.OTHER_INCOME,
        D("200.00"),
        D("-200.00"),
    )


def test_the_payout_form_pays_everyone_once(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    one, two = make_member(), make_member()
    sell(founder, one, "1000.00", tip="10.00")
    sell(founder, two, "500.00")
    assert (owed(one), owed(two), balance("cash")) == (D("890.00"), D("440.00"), D("1510.00"))
    web.force_login(founder)
    desk = web.get(reverse("ledger:desk"))
    key = hidden_key(desk, "ledger:payouts")
    url = reverse("ledger:payouts")

    with unchanged():
        no_reference = desk_post(
            web, url, {"key": key, "method": "bank", "references": f"{one.number}: TX-1"}
        )
        bad_line = desk_post(web, url, {"key": key, "method": "bank", "references": "TX-1"})
    assert no_reference.status_code == 400
    assert f"A bank or wallet payment needs its reference (member {two.number})." in text(
        no_reference
    )
    assert bad_line.status_code == 400
    assert "Write each line as 'member number: reference'." in text(bad_line)

    data = {"key": key, "method": "cash", "references": ""}
    paid = desk_post(web, url, data, follow=True)
    assert paid.redirect_chain == [(reverse("ledger:desk"), 302)]
    page = text(paid)
    assert "Payout run 1 paid 1330.00 ILS." in page
    assert "Nobody is owed anything now." in page
    assert (owed(one), owed(two), balance("cash")) == (D(0), D(0), D("180.00"))
    run = PayoutRun.objects.get()
    assert (run.number, run.method, run.total) == (1, "cash", D("1330.00"))
    assert sorted(run.payouts.values_list("member__number", "amount")) == [
        (one.number, D("890.00")),
        (two.number, D("440.00")),
    ]

    with unchanged():  # sent twice
        again = desk_post(web, url, data)
    assert again.status_code == 302
    assert PayoutRun.objects.count() == 1


def test_a_bank_payout_run_with_references(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    one = make_member()
    sell(founder, one, "100.00", method="bank")
    web.force_login(founder)
    response = desk_post(
        web,
        "ledger:payouts",
        {"key": "bank-run", "method": "bank", "references": f"\n {one.number} : TX-77 \n"},
    )
    assert response.status_code == 302
    payout = PayoutRun.objects.get().payouts.get()
    assert (payout.member, payout.amount, payout.reference) == (one, D("88.00"), "TX-77")
    assert balance("bank") == D("12.00")


def test_reversing_an_entry_from_the_desk(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    entry = sell(founder, worker, "100.00")
    web.force_login(founder)
    with unchanged():
        no_reason = desk_post(web, "ledger:reverse", {"number": entry.number, "reason": ""})
        missing = desk_post(web, "ledger:reverse", {"number": 99, "reason": "typo"})
    assert no_reason.status_code == 400
    assert missing.status_code == 404

    response = desk_post(
        web, "ledger:reverse", {"number": entry.number, "reason": "typo"}, follow=True
    )
    reversal = latest()
    assert f"Entry {reversal.number} reverses entry {entry.number}." in text(response)
    assert (reversal.reverses, owed(worker)) == (entry, D(0))

    with unchanged():
        twice = desk_post(web, "ledger:reverse", {"number": entry.number, "reason": "typo"})
    assert twice.status_code == 409
    assert "This entry was already reversed." in text(twice)


# --- Closing a year ------------------------------------------------------------------------


def worked_year(
    clock: Clock, founder: User, make_member: MakeMember
) -> tuple[Membership, Membership, Period]:
    """Two workers: 1000.00 for 10 hours and 500.00 for 5; an expense of 30.00. The result is
    120.00, of which 66.00 is shared 44.00 and 22.00 (20% in cash); then a year and more
    passes."""
    one, two = make_member(), make_member()
    sell(founder, one, "1000.00", hours="10")
    sell(founder, two, "500.00", hours="5")
    ledger.record_expense(actor=founder, amount=ils("30.00"), method="cash", memo="tools")
    clock.advance(days=400)
    return one, two, Period.objects.get(starts_on=dt.date(2030, 1, 1))


def test_closing_and_reopening_a_year_through_the_desk(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    one, two, period = worked_year(clock, founder, make_member)
    close, reopen = (
        reverse("ledger:close", args=[period.pk]),
        reverse("ledger:reopen", args=[period.pk]),
    )

    web.force_login(founder)
    desk = web.get(reverse("ledger:desk"))
    assert form_html(desk, close)  # the year has ended: it can be closed
    response = web.post(close, follow=True)
    assert response.redirect_chain == [(reverse("ledger:desk"), 302)]
    page = text(response)
    assert "The period is closed and its result shared." in page
    assert "Jan. 1, 2030 \u2013 Dec. 31, 2030 closed" in page
    assert form_html(response, reopen)
    period.refresh_from_db()
    assert (period.status, period.closings) == (Period.Status.CLOSED, 1)
    overview = text(web.get(reverse("ledger:overview"), {"period": period.pk}))
    assert "2030-01-01 … 2030-12-31 (closed)" in overview

    with unchanged():  # closed twice: the refusal is the message
        twice = web.post(close, follow=True)
    assert "This period is already closed." in text(twice)

    allocation = Allocation.objects.get(member=one)
    notice = reverse("ledger:notice", args=[allocation.pk])
    web.force_login(one.user)
    statement = web.get(reverse("ledger:mine"))
    assert f'href="{notice}"' in statement.content.decode()
    page = text(statement)
    assert "dividend 44.00 ILS" in page
    assert "Owed to you 888.80 ILS" in page  # 880.00 earned and 8.80 of the dividend in cash
    assert "Internal capital account 35.20 ILS" in page

    page = text(web.get(notice))
    assert "Notice of allocation" in page
    assert f"notifies member {one.number}, {one.user.get_full_name()}," in page
    assert "Revenue earned 880.00 ILS" in page
    assert "Patronage dividend 44.00 ILS" in page
    assert "Paid in cash 8.80 ILS" in page
    assert "Credited to your internal capital account 35.20 ILS" in page
    assert "The member surplus for the period is 120.00 ILS." in page

    web.force_login(two.user)  # someone else's notice does not exist for them
    assert web.get(notice).status_code == 404
    assert web.get(reverse("ledger:notice_pdf", args=[allocation.pk])).status_code == 404
    web.force_login(founder)
    assert web.get(notice).status_code == 200

    with unchanged():
        no_reason = web.post(reverse("ledger:reopen", args=[period.pk]), {"reopen-reason": ""})
    assert no_reason.status_code == 400
    assert "This field is required." in text(no_reason)
    response = web.post(reopen, {"reopen-reason": "a sale was missed"}, follow=True)
    assert "The period is open again; its closing was reversed." in text(response)
    period.refresh_from_db()
    assert period.status == Period.Status.OPEN
    allocation.refresh_from_db()
    assert allocation.reversed

    web.force_login(one.user)
    assert "dividend 44.00 ILS (undone by a reopening)" in text(web.get(reverse("ledger:mine")))
    assert "This allocation was undone when the period was reopened." in text(web.get(notice))
    assert owed(one) == D("880.00")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_notice_as_pdf(
    clock: Clock, web: Client, founder: User, make_member: MakeMember, language: str
) -> None:
    try:
        notices.pdf_font()
    except notices.NoFont:
        pytest.skip("no font with Arabic letters is installed")
    one, _two, period = worked_year(clock, founder, make_member)
    ledger.close_period(actor=founder, period_id=period.pk)
    allocation = Allocation.objects.get(member=one)
    web.force_login(one.user)

    response = web.get(
        reverse("ledger:notice_pdf", args=[allocation.pk]), HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="notice-2030-{one.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    assert response.content.rstrip().endswith(b"%%EOF")


def test_the_notice_pdf_without_a_font_is_explained(
    clock: Clock,
    web: Client,
    founder: User,
    make_member: MakeMember,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one, _two, period = worked_year(clock, founder, make_member)
    ledger.close_period(actor=founder, period_id=period.pk)
    allocation = Allocation.objects.get(member=one)

    def no_font() -> None:
        raise notices.NoFont

    monkeypatch.setattr(notices, "pdf_font", no_font)
    web.force_login(one.user)
    response = web.get(reverse("ledger:notice_pdf", args=[allocation.pk]))
    assert response.status_code == 503
    assert "PDF notices need a font with Arabic letters on the server." in text(response)


# --- The solidarity fund -------------------------------------------------------------------


def test_a_member_claims_support_and_the_board_decides(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member()
    sell(founder, worker, "1000.00")  # 20.00 to the fund; a claim may take 25%: 5.00
    url = reverse("ledger:solidarity")
    web.force_login(worker.user)
    page = text(web.get(url))
    assert "In the fund 20.00 ILS" in page
    assert "One claim may take at most 25% of the fund." in page

    response = web.post(
        url, {"reason": "injury", "amount": "5.00", "details": "broken wrist"}, follow=True
    )
    assert response.redirect_chain == [(url, 302)]
    assert "Your claim is with those who decide." in text(response)
    claim = SolidarityClaim.objects.get()
    assert (claim.member, claim.reason, claim.amount, claim.status, claim.details) == (
        worker,
        "injury",
        D("5.00"),
        SolidarityClaim.Status.PENDING,
        "broken wrist",
    )
    assert "5.00 ILS · pending" in text(response)

    decide = reverse("ledger:decide", args=[claim.pk])
    field = f"claim{claim.pk}-decision"
    with unchanged():
        assert web.post(decide, {field: "approve"}).status_code == 403  # not on the board

    web.force_login(founder)
    desk = web.get(reverse("ledger:desk"))
    assert form_html(desk, decide).count(f'name="{field}"') == 1
    assert "broken wrist" in text(desk)
    with unchanged():
        undecided = web.post(decide, {field: "maybe"}, follow=True)
    assert "Choose a decision." in text(undecided)

    response = web.post(
        decide, {field: "approve", f"claim{claim.pk}-note": "get well"}, follow=True
    )
    assert "The claim is decided." in text(response)
    assert "No claim is waiting." in text(response)
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, claim.decision_note) == (
        SolidarityClaim.Status.PAID,
        founder,
        "get well",
    )
    assert owed(worker) == D("885.00")
    assert balance("solidarity_fund") == D("-15.00")

    with unchanged():
        again = web.post(decide, {field: "approve"}, follow=True)
    assert "This claim was already decided." in text(again)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"reason": "holiday", "amount": "1.00"}, "Select a valid choice. holiday is not one"),
        ({"reason": "sickness", "amount": "-1.00"}, "Ensure this value is greater than or equal"),
        ({"reason": "sickness", "amount": "0"}, "The amount must be above zero."),
        ({"reason": "sickness", "amount": "lots"}, "Enter a number."),
    ],
    ids=["unknown-reason", "negative", "zero", "not-a-number"],
)
def test_a_claim_the_page_refuses_creates_nothing(
    clock: Clock,
    web: Client,
    founder: User,
    make_member: MakeMember,
    data: dict[str, str],
    error: str,
) -> None:
    worker = make_member()
    sell(founder, worker, "1000.00")
    web.force_login(worker.user)
    with unchanged():
        response = web.post(reverse("ledger:solidarity"), data)
    assert response.status_code == 400
    assert error in text(response)
    assert not SolidarityClaim.objects.exists()


def test_the_board_cannot_decide_its_own_claim(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    sell(founder, make_member(), "1000.00")
    claim = ledger.claim_support(actor=founder, reason="sickness", amount=ils("1.00"))
    web.force_login(founder)
    with unchanged():
        response = web.post(
            reverse("ledger:decide", args=[claim.pk]), {f"claim{claim.pk}-decision": "approve"}
        )
    assert response.status_code == 403
    assert "Someone else must decide your own claim." in text(response)


# --- Exports -------------------------------------------------------------------------------


def test_the_journal_as_csv(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member(paid=1)
    sell(founder, worker, "100.00", tip="5.00")
    ledger.record_expense(actor=founder, amount=ils("12.34"), method="cash", memo='tea, "good"')
    web.force_login(worker.user)

    response = web.get(reverse("ledger:export_csv"))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="journal.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "entry",
        "date",
        "kind",
        "account",
        "account_name",
        "amount",
        "currency",
        "memo",
    ]
    body = rows[1:]
    assert len(body) == Posting.objects.count() == 8
    member_code = f"2000-{worker.number:04d}"
    day = "2030-03-01"
    sale = [r for r in body if r[2] == "sale"]
    assert sorted(r[3:7] for r in sale) == [
        ["1000", "Cash", "105.00", "ILS"],
        [member_code, "Owed to member", "-93.00", "ILS"],
        ["3400", "Solidarity fund", "-2.00", "ILS"],
        ["4000", "Fees, members' work", "-10.00", "ILS"],
    ]
    expense = [r for r in body if r[2] == "expense"]
    assert sorted(expense) == [
        ["3", day, "expense", "1000", "Cash", "-12.34", "ILS", 'tea, "good"'],
        ["3", day, "expense", "5000", "Operating expenses", "12.34", "ILS", 'tea, "good"'],
    ]
    assert [r[0] for r in body] == ["1", "1", "2", "2", "2", "2", "3", "3"]
    assert {r[1] for r in body} == {day}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in body:
        totals[row[0]] += D(row[5])
    assert set(totals.values()) == {D(0)}


def parse_beancount(
    source: str,
) -> tuple[dict[str, dt.date], list[tuple[dt.date, list[tuple[str, Decimal, str]]]]]:
    """The opened accounts (name → date) and the entries (date, postings) of Beancount text."""
    opened: dict[str, dt.date] = {}
    entries: list[tuple[dt.date, list[tuple[str, Decimal, str]]]] = []
    for line in source.splitlines():
        if not line.strip() or line.startswith("option "):
            continue
        if match := re.fullmatch(r"(\d{4}-\d\d-\d\d) open (\S+) ([A-Z]{3})", line):
            opened[match[2]] = dt.date.fromisoformat(match[1])
        elif match := re.fullmatch(r'(\d{4}-\d\d-\d\d) \* "(?:[^"\\]|\\.)*"', line):
            entries.append((dt.date.fromisoformat(match[1]), []))
        elif re.fullmatch(r'  entry: "\d+"', line):
            continue
        elif match := re.fullmatch(r"  (\S+)  (-?\d+\.\d+) ([A-Z]{3})", line):
            entries[-1][1].append((match[1], D(match[2]), match[3]))
        else:
            raise AssertionError(f"unexpected line {line!r}")
    return opened, entries


def test_the_books_as_beancount(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member(paid=1)
    sell(founder, worker, "100.00", tip="5.00")
    clock.advance(days=40)
    ledger.run_payouts(actor=founder, method="cash", idempotency_key="run")
    web.force_login(worker.user)

    response = web.get(reverse("ledger:export_beancount"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="books.beancount"'
    source = response.content.decode()
    assert source.startswith('option "title" "Test Co-op"\n')
    opened, entries = parse_beancount(source)
    member = f"M{worker.number:04d}"
    assert {
        "Assets:Cash",
        "Assets:Bank",
        "Assets:Wallet",
        "Liabilities:TaxesPayable",
        "Equity:ShareCapital",
        "Equity:SolidarityFund",
        "Income:FeesMembers",
        "Expenses:Expenses",
        f"Liabilities:OwedToMember:{member}",
    } <= set(opened)
    assert len(opened) == Account.objects.count()
    assert len(entries) == entry_count() == 3
    for day, postings in entries:
        assert len(postings) >= 2
        assert sum((amount for _name, amount, _currency in postings), D(0)) == 0
        for name, _amount, currency in postings:
            assert currency == "ILS"
            assert opened[name] <= day, f"{name} is used before it is opened"
    share, sale, payout = entries
    assert (share[0], sorted(share[1])) == (
        dt.date(2030, 3, 1),
        [("Assets:Cash", D("50.00"), "ILS"), ("Equity:ShareCapital", D("-50.00"), "ILS")],
    )
    assert (sale[0], sorted(sale[1])) == (
        dt.date(2030, 3, 1),
        [
            ("Assets:Cash", D("105.00"), "ILS"),
            ("Equity:SolidarityFund", D("-2.00"), "ILS"),
            ("Income:FeesMembers", D("-10.00"), "ILS"),
            (f"Liabilities:OwedToMember:{member}", D("-93.00"), "ILS"),
        ],
    )
    assert (payout[0], sorted(payout[1])) == (
        dt.date(2030, 4, 10),
        [
            ("Assets:Cash", D("-93.00"), "ILS"),
            (f"Liabilities:OwedToMember:{member}", D("93.00"), "ILS"),
        ],
    )


def test_the_beancount_export_is_for_members_and_the_board(
    clock: Clock, web: Client, coop: Any, make_account: Callable[..., User]
) -> None:
    web.force_login(make_account())
    response = web.get(reverse("ledger:export_beancount"))
    assert response.status_code == 403
    assert FORBIDDEN in text(response)


def test_the_csv_export_is_for_members_and_the_board(
    clock: Clock, web: Client, coop: Any, make_account: Callable[..., User]
) -> None:
    web.force_login(make_account())
    response = web.get(reverse("ledger:export_csv"))
    assert response.status_code == 403


# --- Queries -------------------------------------------------------------------------------


def test_a_statement_costs_the_same_queries_for_3_sales_as_for_30(
    clock: Clock,
    web: Client,
    founder: User,
    make_member: MakeMember,
    django_assert_num_queries: Any,
) -> None:
    few, many = make_member(paid=1), make_member(paid=1)
    for _ in range(3):
        sell(founder, few, "10.00")
    for _ in range(30):
        sell(founder, many, "10.00")
    url = reverse("ledger:mine")

    web.force_login(few.user)
    web.get(url)  # warm up the session
    cache.clear()
    with CaptureQueriesContext(connection) as three:
        assert text(web.get(url)).count(" · customer payment for work ") == 3
    queries = len(three)  # counted now: the next request empties the connection's log

    web.force_login(many.user)
    web.get(url)
    cache.clear()
    with django_assert_num_queries(queries):
        assert text(web.get(url)).count(" · customer payment for work ") == 30


def test_the_journal_costs_the_same_queries_for_3_entries_as_for_30(
    clock: Clock,
    web: Client,
    founder: User,
    make_member: MakeMember,
    django_assert_num_queries: Any,
) -> None:
    worker = make_member()
    web.force_login(founder)
    url = reverse("ledger:journal")
    for _ in range(3):
        sell(founder, worker, "10.00")
    web.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as three:
        assert text(web.get(url)).count("Entry ") == 3
    queries = len(three)
    for _ in range(27):
        sell(founder, worker, "10.00")
    cache.clear()
    with django_assert_num_queries(queries):
        assert text(web.get(url)).count("Entry ") == 30


# --- Language ------------------------------------------------------------------------------


def month_labels(response: Any) -> dict[str, float]:
    """Where the bar chart writes each month's label: month number → x."""
    found = re.findall(
        r'<text class="label" x="([\d.]+)"[^>]*>(\d+)</text>', response.content.decode()
    )
    return {label: float(x) for x, label in found}


def test_the_books_in_arabic_read_right_to_left(
    clock: Clock, client: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member(paid=1)
    sell(founder, worker, "100.00")
    clock.advance(days=31)
    sell(founder, worker, "300.00")
    client.force_login(worker.user)

    response = client.get(reverse("ledger:overview"), HTTP_ACCEPT_LANGUAGE="ar")

    assert response.status_code == 200
    assert html_attrs(response)["lang"] == "ar"
    assert html_attrs(response)["dir"] == "rtl"
    content = response.content.decode()
    assert '<svg class="chart"' in content
    page = text(response)
    assert "الصندوق النقدي" in page  # the chart's own Arabic names of the accounts
    assert "صندوق التكافل" in page
    # time runs from right to left: April's bars stand left of March's
    labels = month_labels(response)
    assert labels["4"] < labels["3"]

    english = client.get(reverse("ledger:overview"), HTTP_ACCEPT_LANGUAGE="en")
    assert (html_attrs(english)["lang"], html_attrs(english)["dir"]) == ("en", "ltr")
    labels = month_labels(english)
    assert labels["3"] < labels["4"]


def test_money_is_moved_from_the_desk(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    make_member(paid=2)  # 100.00 in the cash box
    web.force_login(founder)
    key = hidden_key(web.get(reverse("ledger:desk")), "ledger:move")
    data = {"key": key, "amount": "60.00", "source": "cash", "target": "bank"}
    response = desk_post(web, "ledger:move", data, follow=True)
    entry = latest()
    assert (entry.kind, lines(entry)) == (
        "transfer",
        [("bank", None, D("60")), ("cash", None, D("-60"))],
    )
    assert f"The move is entry {entry.number}." in text(response)
    desk_post(web, "ledger:move", data)  # sent twice
    with unchanged():
        refused = desk_post(web, "ledger:move", {**data, "key": "other", "amount": "41.00"})
    assert refused.status_code == 409
    assert "There is not enough money in account 1000 for this" in text(refused)
    assert latest() == entry


def test_the_statement_sums_up_the_members_work_this_period(
    clock: Clock, web: Client, founder: User, make_member: MakeMember
) -> None:
    worker = make_member(paid=1)
    other = make_member(paid=1)
    sell(founder, worker, "100.00", tip="5.00", hours="2")
    wrong = sell(founder, worker, "300.00", hours="6")
    sell(founder, other, "50.00", hours="1")
    clock.advance(days=40)  # April: a second month
    sell(founder, worker, "200.00", hours="4")
    ledger.reverse_entry(actor=founder, number=wrong.number, reason="booked twice")

    web.force_login(worker.user)
    response = web.get(reverse("ledger:mine"))
    work = response.context["statement"].work
    assert (work.hours, work.earned, work.coop_fee, work.solidarity) == (
        D("6.00"),  # 2 + 6 + 4, less the 6 reversed
        ils("269.00"),  # 88.00 + 5.00 tip + 176.00
        ils("30.00"),
        ils("6.00"),
    )
    assert [(month.month, earned) for month, earned in work.by_month] == [
        (3, ils("357.00")),  # 93.00 + 264.00
        (4, ils("-88.00")),  # 176.00, less the 264.00 taken back by the correction in April
    ]
    page = text(response)
    assert "Your work this period" in page and "269.00 ILS" in page
    assert response.content.decode().count('<svg class="chart"') == 1
