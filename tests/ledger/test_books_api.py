"""The books over the JSON API: the reports and a member's statement, and the board's
money-moving calls (sales, expenses, payout runs), each safe to retry with its Idempotency-Key.
The actions behind them are tested in ``test_books.py``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.domain.money import Money
from taawun.ledger import actions as ledger
from taawun.ledger.models import Account, EntryKind, JournalEntry, PayoutRun
from taawun.members import actions as members
from taawun.members.models import Membership

from ..api.conftest import Api
from ..core.helpers import Clock, unchanged

D = Decimal
MakeMember = Callable[..., Membership]
AsUser = Callable[[User | None], Api]

FORBIDDEN = {"error": "forbidden", "message": "You do not have permission to do this."}
UNAUTHENTICATED = {"error": "unauthenticated", "message": "Sign in, or send a personal API token."}
KEY_REQUIRED = {
    "error": "idempotency_key_required",
    "message": "This request needs an Idempotency-Key header.",
}
CONFLICT = {
    "error": "idempotency_conflict",
    "message": "This Idempotency-Key was already used for a different request.",
}


@pytest.fixture
def as_user() -> AsUser:
    """``as_user(user)``: a JSON client signed in by session; ``as_user(None)``: anonymous."""

    def make(user: User | None) -> Api:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        return Api(client)

    return make


@pytest.fixture
def board(founder: User, as_user: AsUser) -> Api:
    return as_user(founder)


@pytest.fixture
def anonymous(coop: Any, as_user: AsUser) -> Api:
    return as_user(None)


def key(value: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": value}


def ils(amount: str) -> Money:
    return Money(D(amount), "ILS")


def balance(purpose: str, member: Membership | None = None) -> Decimal:
    found = Account.objects.filter(purpose=purpose, member=member, currency="ILS").first()
    return found.balance if found is not None else D(0)


def owed(member: Membership) -> Decimal:
    return -balance("owed_to_member", member)


def entry_count() -> int:
    return JournalEntry.objects.count()


def sell(
    actor: User, worker: Membership, price: str, *, tip: str = "0.00", hours: str = "1"
) -> None:
    ledger.record_sale(
        actor=actor,
        worker_number=worker.number,
        price=ils(price),
        tip=ils(tip),
        method="cash",
        hours=D(hours),
    )


def sale(worker: Membership, /, **change: Any) -> dict[str, Any]:
    return {
        "worker": worker.number,
        "price": "100.00",
        "tip": "5.00",
        "hours": "2.5",
        "method": "cash",
        **change,
    }


BREAKDOWN = {
    "currency": "ILS",
    "price": "100.00",
    "tax": "0.00",
    "coop_fee": "10.00",
    "solidarity": "2.00",
    "worker_share": "88.00",
    "tip": "5.00",
    "worker_total": "93.00",
    "policy_version": 1,
}


# --- Reading -------------------------------------------------------------------------------


def section(kind: str, total: str, *lines: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "kind": kind,
        "lines": [{"code": c, "purpose": p, "amount": a} for c, p, a in lines],
        "total": total,
    }


def test_the_balance_sheet_after_a_sale(
    clock: Clock, founder: User, make_member: MakeMember, as_user: AsUser
) -> None:
    worker = make_member(paid=1)  # 50.00 of shares in the cash box
    sell(founder, worker, "100.00", tip="5.00")

    response = as_user(worker.user).get("/api/books/balance-sheet")

    assert response.status_code == 200
    assert response.json() == {
        "on": "2030-03-01",
        "currency": "ILS",
        "assets": section(
            "asset",
            "155.00",
            ("1000", "cash", "155.00"),
            ("1010", "bank", "0.00"),
            ("1020", "wallet", "0.00"),
            ("1300", "mutual_credit", "0.00"),
        ),
        "liabilities": section(
            "liability",
            "93.00",
            ("2000", "owed_to_member", "93.00"),
            ("2100", "repayments_due", "0.00"),
            ("2200", "taxes_payable", "0.00"),
        ),
        "equity": section(
            "equity",
            "52.00",
            ("3000", "share_capital", "50.00"),
            ("3100", "member_capital", "0.00"),
            ("3200", "reserve", "0.00"),
            ("3300", "education_fund", "0.00"),
            ("3400", "solidarity_fund", "2.00"),
            ("3900", "period_result", "0.00"),
        ),
        "unclosed_result": "10.00",
        "balances": True,
    }


def test_the_income_statement_after_a_sale_and_an_expense(
    clock: Clock, founder: User, board: Api, make_member: MakeMember
) -> None:
    worker = make_member()
    sell(founder, worker, "100.00", tip="5.00")
    ledger.record_expense(actor=founder, amount=ils("2.50"), method="cash", memo="tea")

    response = board.get("/api/books/income-statement")

    assert response.status_code == 200
    body = response.json()
    period = JournalEntry.objects.get(number=1).period
    assert body == {
        "period_id": period.pk,
        "starts_on": "2030-01-01",
        "ends_on": "2030-12-31",
        "status": "open",
        "currency": "ILS",
        "income": section(
            "income",
            "10.00",
            ("4000", "fees_members", "10.00"),
            ("4100", "fees_non_members", "0.00"),
            ("4200", "other_income", "0.00"),
        ),
        "expenses": section("expense", "2.50", ("5000", "expenses", "2.50")),
        "result": "7.50",
    }
    assert board.get(f"/api/books/income-statement?period={period.pk}").json() == body
    missing = board.get("/api/books/income-statement?period=9999")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "not_found", "message": "No such period."},
    )


def test_a_members_statement(
    clock: Clock, founder: User, make_member: MakeMember, as_user: AsUser
) -> None:
    worker = make_member(paid=1)
    sell(founder, worker, "100.00", tip="5.00")
    sell(founder, worker, "10.00")

    response = as_user(worker.user).get("/api/books/statement")

    assert response.status_code == 200
    assert response.json() == {
        "member": worker.number,
        "currency": "ILS",
        "owed": "101.80",
        "share_capital": "50.00",
        "internal_capital": "0.00",
        "latest": [
            {
                "entry": 3,
                "date": "2030-03-01",
                "kind": "sale",
                "account": "owed_to_member",
                "amount": "8.80",
                "balance_after": "101.80",
            },
            {
                "entry": 2,
                "date": "2030-03-01",
                "kind": "sale",
                "account": "owed_to_member",
                "amount": "93.00",
                "balance_after": "93.00",
            },
        ],
    }


@pytest.mark.parametrize(
    ("path", "refusal"),
    [
        ("/api/books/balance-sheet", FORBIDDEN),
        ("/api/books/income-statement", FORBIDDEN),
        (
            "/api/books/statement",
            {"error": "members_only", "message": "Only members have a statement."},
        ),
    ],
)
def test_the_books_are_closed_to_non_members_and_anonymous_callers(
    clock: Clock,
    coop: Any,
    make_account: Callable[..., User],
    as_user: AsUser,
    anonymous: Api,
    path: str,
    refusal: dict[str, str],
) -> None:
    outside = as_user(make_account())
    with unchanged():
        outsider = outside.get(path)
        nobody = anonymous.get(path)
    assert (outsider.status_code, outsider.json()) == (403, refusal)
    assert (nobody.status_code, nobody.json()) == (401, UNAUTHENTICATED)


# --- Sales ---------------------------------------------------------------------------------


def test_the_board_records_a_sale_once(clock: Clock, board: Api, make_member: MakeMember) -> None:
    worker = make_member()

    response = board.post("/api/books/sales", sale(worker), **key("sale-1"))

    assert response.status_code == 201
    assert response.json() == {"entry": 1, **BREAKDOWN}
    entry = JournalEntry.objects.get()
    assert (entry.kind, entry.member, entry.hours, entry.date.isoformat()) == (
        EntryKind.SALE,
        worker,
        D("2.5"),
        "2030-03-01",
    )
    assert owed(worker) == D("93.00")

    with unchanged():
        again = board.post("/api/books/sales", sale(worker), **key("sale-1"))
    assert again.status_code == 201
    assert again.content == response.content
    assert again["Idempotent-Replayed"] == "true"

    with unchanged():
        other = board.post("/api/books/sales", sale(worker, price="99.00"), **key("sale-1"))
    assert (other.status_code, other.json()) == (409, CONFLICT)

    second = board.post("/api/books/sales", sale(worker), **key("sale-2"))
    assert (second.status_code, second.json()) == (201, {"entry": 2, **BREAKDOWN})
    assert owed(worker) == D("186.00")


def test_a_sale_needs_a_key_and_the_board(
    clock: Clock, board: Api, make_member: MakeMember, as_user: AsUser
) -> None:
    worker = make_member()
    own = as_user(worker.user)
    with unchanged():
        for extra in ({}, key(""), key("  ")):
            response = board.post("/api/books/sales", sale(worker), **extra)
            assert (response.status_code, response.json()) == (400, KEY_REQUIRED)
        response = own.post("/api/books/sales", sale(worker), **key("mine"))
        assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_a_sale_on_a_date_given_as_text(clock: Clock, board: Api, make_member: MakeMember) -> None:
    worker = make_member()
    clock.advance(days=10)
    response = board.post("/api/books/sales", sale(worker, on="2030-03-01"), **key("dated"))
    assert (response.status_code, response.json()) == (201, {"entry": 1, **BREAKDOWN})
    assert JournalEntry.objects.get().date.isoformat() == "2030-03-01"


@pytest.mark.parametrize(
    ("change", "status", "refusal"),
    [
        ({"price": 100.0}, 422, ("invalid_input", "The field price is not valid.")),
        ({"price": "1e2"}, 422, ("invalid_input", "The field price is not valid.")),
        ({"worker": "2"}, 422, ("invalid_input", "The field worker is not valid.")),
        ({"worker": 999}, 400, ("not_a_worker", "Member 999 is not a working member.")),
        ({"colour": "red"}, 422, ("invalid_input", "The field colour is not expected here.")),
        ({"price": "0"}, 400, ("price_not_positive", "The price must be above zero.")),
        ({"tip": "-1.00"}, 400, ("negative_tip", "A tip cannot be negative.")),
        ({"hours": "1.234"}, 422, ("invalid_input", "The field hours is not valid.")),
        ({"hours": "745"}, 400, ("bad_hours", "Hours must be between 0 and 744.")),
        (
            {"method": "cheque"},
            422,
            ("invalid_input", "The field method must be one of: 'cash', 'bank' or 'wallet'."),
        ),
        ({"on": "2030-13-01"}, 422, ("invalid_input", "The field on is not valid.")),
        (
            {"on": "2029-12-31", "price": None},
            422,
            ("invalid_input", "The field price is not valid."),
        ),
    ],
    ids=[
        "float-price",
        "exponent-price",
        "worker-as-text",
        "unknown-worker",
        "extra-field",
        "zero-price",
        "negative-tip",
        "hours-too-precise",
        "too-many-hours",
        "unknown-method",
        "bad-date",
        "null-price",
    ],
)
def test_a_sale_with_bad_input_is_refused_and_changes_nothing(
    clock: Clock,
    board: Api,
    make_member: MakeMember,
    change: dict[str, Any],
    status: int,
    refusal: tuple[str, str],
) -> None:
    worker = make_member()
    with unchanged():
        response = board.post("/api/books/sales", sale(worker, **change), **key("k"))
    assert response.status_code == status
    assert response.json() == {"error": refusal[0], "message": refusal[1]}
    # nothing was kept, so the key can be used again for the right request
    retried = board.post("/api/books/sales", sale(worker), **key("k"))
    assert retried.status_code == 201


def test_a_sale_that_is_not_json_is_refused(clock: Clock, board: Api, coop: Any) -> None:
    with unchanged():
        response = board.post("/api/books/sales", "{not json", **key("k"))
    assert (response.status_code, response.json()["error"]) == (400, "bad_request")


# --- Expenses ------------------------------------------------------------------------------


def test_an_expense_needs_the_money_and_is_recorded_once(
    clock: Clock, founder: User, board: Api, make_member: MakeMember
) -> None:
    member = make_member()
    body = {"amount": "30.00", "method": "cash", "memo": "tools"}

    with unchanged():
        short = board.post("/api/books/expenses", body, **key("e-1"))
    assert short.status_code == 409
    assert short.json() == {
        "error": "insufficient_funds",
        "message": "There is not enough money in account 1000 for this: it would be -30.00 ILS.",
    }

    members.record_instalment_payment(
        actor=founder,
        instalment_id=member.instalments.get(number=1).pk,
        method="bank",
        reference="T-1",
    )
    by_bank = {**body, "method": "bank"}
    response = board.post("/api/books/expenses", by_bank, **key("e-1"))
    assert response.status_code == 201
    assert response.json() == {"entry": 2, "date": "2030-03-01", "kind": "expense"}
    assert (balance("bank"), balance("expenses")) == (D("20.00"), D("30.00"))

    with unchanged():
        again = board.post("/api/books/expenses", by_bank, **key("e-1"))
        other = board.post("/api/books/expenses", {**by_bank, "amount": "1.00"}, **key("e-1"))
    assert (again.status_code, again.content) == (201, response.content)
    assert (other.status_code, other.json()) == (409, CONFLICT)


@pytest.mark.parametrize(
    ("body", "status", "refusal"),
    [
        (
            {"amount": "1.00", "method": "cash"},
            422,
            ("invalid_input", "The field memo is required."),
        ),
        (
            {"amount": "1.00", "method": "cash", "memo": " "},
            400,
            ("memo_required", "Say what the money was spent on."),
        ),
        (
            {"amount": "-1.00", "method": "cash", "memo": "tea"},
            400,
            ("amount_not_positive", "The amount must be above zero."),
        ),
        (
            {"amount": 1, "method": "cash", "memo": "tea"},
            422,
            ("invalid_input", "The field amount is not valid."),
        ),
    ],
    ids=["no-memo", "blank-memo", "negative", "number"],
)
def test_an_expense_with_bad_input_changes_nothing(
    clock: Clock,
    founder: User,
    board: Api,
    make_member: MakeMember,
    body: dict[str, Any],
    status: int,
    refusal: tuple[str, str],
) -> None:
    sell(founder, make_member(), "100.00")
    with unchanged():
        response = board.post("/api/books/expenses", body, **key("e"))
    assert (response.status_code, response.json()) == (
        status,
        {"error": refusal[0], "message": refusal[1]},
    )


def test_an_expense_needs_a_key_and_the_board(
    clock: Clock, founder: User, board: Api, make_member: MakeMember, as_user: AsUser
) -> None:
    worker = make_member()
    sell(founder, worker, "100.00")
    body = {"amount": "1.00", "method": "cash", "memo": "tea"}
    own = as_user(worker.user)
    with unchanged():
        missing = board.post("/api/books/expenses", body)
        member = own.post("/api/books/expenses", body, **key("e"))
    assert (missing.status_code, missing.json()) == (400, KEY_REQUIRED)
    assert (member.status_code, member.json()) == (403, FORBIDDEN)


# --- Payout runs ---------------------------------------------------------------------------


def test_a_payout_run_pays_everyone_once(
    clock: Clock, founder: User, board: Api, make_member: MakeMember, as_user: AsUser
) -> None:
    one, two = make_member(), make_member()
    sell(founder, one, "1000.00", tip="10.00")
    sell(founder, two, "500.00")
    entries = entry_count()
    own = as_user(one.user)

    with unchanged():
        no_reference = board.post(
            "/api/books/payout-runs",
            {"method": "bank", "references": {str(one.number): "TX-1"}},
            **key("run-1"),
        )
        member = own.post("/api/books/payout-runs", {"method": "cash"}, **key("r"))
        missing = board.post("/api/books/payout-runs", {"method": "cash"})
        bad = board.post("/api/books/payout-runs", {"method": "cash", "references": []}, **key("x"))
        # "³" is a digit to str.isdigit() but no number to int(): a reference to no member
        odd = board.post(
            "/api/books/payout-runs",
            {"method": "bank", "references": {"³": "TX-3", str(one.number): "TX-1"}},
            **key("odd"),
        )
    assert (odd.status_code, odd.json()["error"]) == (400, "reference_required")
    assert (no_reference.status_code, no_reference.json()) == (
        400,
        {
            "error": "reference_required",
            "message": f"A bank or wallet payment needs its reference (member {two.number}).",
        },
    )
    assert (member.status_code, member.json()) == (403, FORBIDDEN)
    assert (missing.status_code, missing.json()) == (400, KEY_REQUIRED)
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_input")

    response = board.post("/api/books/payout-runs", {"method": "cash"}, **key("run-1"))

    assert response.status_code == 201
    assert response.json() == {
        "run": 1,
        "method": "cash",
        "total": "1330.00",
        "currency": "ILS",
        "payouts": 2,
    }
    assert (owed(one), owed(two), balance("cash")) == (D(0), D(0), D("180.00"))
    assert entry_count() == entries + 2

    with unchanged():
        again = board.post("/api/books/payout-runs", {"method": "cash"}, **key("run-1"))
        other = board.post("/api/books/payout-runs", {"method": "bank"}, **key("run-1"))
    assert (again.status_code, again.content) == (201, response.content)
    assert (other.status_code, other.json()) == (409, CONFLICT)
    assert PayoutRun.objects.count() == 1


def test_a_bank_payout_run_with_references(
    clock: Clock, founder: User, board: Api, make_member: MakeMember
) -> None:
    one = make_member()
    ledger.record_sale(
        actor=founder,
        worker_number=one.number,
        price=ils("100.00"),
        tip=ils("0.00"),
        method="bank",
        hours=D(1),
    )
    response = board.post(
        "/api/books/payout-runs",
        {"method": "bank", "references": {str(one.number): "TX-77"}},
        **key("bank-run"),
    )
    assert (response.status_code, response.json()) == (
        201,
        {"run": 1, "method": "bank", "total": "88.00", "currency": "ILS", "payouts": 1},
    )
    payout = PayoutRun.objects.get().payouts.get()
    assert (payout.member, payout.amount, payout.reference) == (one, D("88.00"), "TX-77")


def test_payout_keys_belong_to_one_caller(
    clock: Clock,
    founder: User,
    board: Api,
    make_member: MakeMember,
    as_user: AsUser,
) -> None:
    treasurer = make_member(paid=4)
    grant_role(actor=founder, user=treasurer.user, role=Role.BOARD, policy_version=1)
    worker = make_member()
    sell(founder, worker, "100.00")
    first = board.post("/api/books/payout-runs", {"method": "cash"}, **key("weekly"))
    assert first.json()["total"] == "88.00"
    sell(founder, worker, "50.00")

    second = as_user(treasurer.user).post(
        "/api/books/payout-runs", {"method": "cash"}, **key("weekly")
    )

    assert second.status_code == 201
    assert second.json()["total"] == "44.00"
    assert owed(worker) == 0
