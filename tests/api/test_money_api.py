"""Share payments, leaving, repayment and transfers over the API, and the idempotency of every
money-moving call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.apikeys import actions as apikeys
from taawun.apikeys.models import IdempotencyRecord
from taawun.members import actions
from taawun.members.models import CapitalEntry, Instalment, Membership, Repayment, ShareOperation
from taawun.transparency.models import AuditEntry

from .conftest import Api, iso

FORBIDDEN = {"error": "forbidden", "message": "You do not have permission to do this."}
KEY_REQUIRED = {
    "error": "idempotency_key_required",
    "message": "This request needs an Idempotency-Key header.",
}
CONFLICT = {
    "error": "idempotency_conflict",
    "message": "This Idempotency-Key was already used for a different request.",
}


def snapshot() -> dict[str, Any]:
    """Everything a money-moving call may change."""
    return {
        "instalments": list(Instalment.objects.order_by("pk").values()),
        "capital": list(CapitalEntry.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "repayments": list(Repayment.objects.order_by("pk").values()),
        "share_register": ShareOperation.objects.count(),
        "audit": AuditEntry.objects.count(),
        "idempotency": IdempotencyRecord.objects.count(),
    }


def key(value: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": value}


def _second_instalment(member: Membership) -> Instalment:
    return member.instalments.get(number=2)


# --- Share instalments ---------------------------------------------------------------------


def test_the_board_records_an_instalment_payment(
    board: Api, make_member: Callable[..., Membership], founder: User
) -> None:
    member = make_member(paid=1)
    instalment = _second_instalment(member)

    response = board.post(
        f"/api/instalments/{instalment.pk}/payments",
        {"method": "bank", "reference": " TX-1 "},
        **key("pay-2-2"),
    )

    assert response.status_code == 200
    instalment.refresh_from_db()
    assert response.json() == {
        "id": instalment.pk,
        "member_number": 2,
        "number": 2,
        "due_on": instalment.due_on.isoformat(),
        "amount": "50.00",
        "currency": "ILS",
        "status": "paid",
        "paid_at": iso(instalment.paid_at),
        "cancelled_at": None,
        "method": "bank",
        "reference": "TX-1",
        "receipt_number": instalment.receipt_number,
    }
    assert instalment.recorded_by == founder
    entry = CapitalEntry.objects.get(instalment=instalment)
    assert (entry.kind, entry.amount) == ("share_payment", 50)
    record = IdempotencyRecord.objects.get()
    assert (record.user, record.key, record.status, record.body) == (
        founder,
        "pay-2-2",
        200,
        response.content.decode(),
    )


def test_a_replay_returns_the_same_body_without_paying_again(
    board: Api, make_member: Callable[..., Membership]
) -> None:
    member = make_member(paid=1)
    instalment = _second_instalment(member)
    path = f"/api/instalments/{instalment.pk}/payments"
    first = board.post(path, {"method": "cash"}, **key("k-1"))
    after_first = snapshot()

    replay = board.post(path, {"method": "cash"}, **key("k-1"))
    # The same JSON with other spacing and key order is the same request.
    respaced = board.post(path, '{ "method" :"cash" }', **key("k-1"))

    for again in (replay, respaced):
        assert again.status_code == 200
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert snapshot() == after_first
    assert CapitalEntry.objects.filter(instalment=instalment).count() == 1
    assert (
        AuditEntry.objects.filter(action="instalment.paid", subject_id=str(instalment.pk)).count()
        == 1
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda path: (path, {"method": "bank", "reference": "TX"}),  # another body
        lambda path: (
            path.replace("/payments", "/payments?x=1"),
            {"method": "cash"},
        ),  # another path
    ],
)
def test_the_same_key_for_a_different_request_is_409_and_changes_nothing(
    board: Api, make_member: Callable[..., Membership], change: Callable[[str], Any]
) -> None:
    member = make_member(paid=1)
    path = f"/api/instalments/{_second_instalment(member).pk}/payments"
    board.post(path, {"method": "cash"}, **key("k-1"))
    before = snapshot()

    other_path, other_body = change(path)
    response = board.post(other_path, other_body, **key("k-1"))

    assert response.status_code == 409
    assert response.json() == CONFLICT
    assert snapshot() == before


def test_the_same_key_on_another_instalment_is_409(
    board: Api, make_member: Callable[..., Membership]
) -> None:
    member = make_member(paid=1)
    board.post(
        f"/api/instalments/{_second_instalment(member).pk}/payments", {"method": "cash"}, **key("k")
    )
    before = snapshot()
    third = member.instalments.get(number=3)

    response = board.post(f"/api/instalments/{third.pk}/payments", {"method": "cash"}, **key("k"))

    assert (response.status_code, response.json()) == (409, CONFLICT)
    assert snapshot() == before


def test_keys_belong_to_one_person(
    founder: User, make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    treasurer = make_member(paid=4)
    grant_role(actor=founder, user=treasurer.user, role=Role.BOARD, policy_version=1)
    member = make_member()
    board = as_user(founder)
    other_board = as_user(treasurer.user)

    first = board.post(
        f"/api/instalments/{member.instalments.get(number=1).pk}/payments",
        {"method": "cash"},
        **key("same"),
    )
    second = other_board.post(
        f"/api/instalments/{member.instalments.get(number=2).pk}/payments",
        {"method": "cash"},
        **key("same"),
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert member.instalments.filter(paid_at__isnull=False).count() == 2


def test_a_payment_needs_an_idempotency_key(
    board: Api, make_member: Callable[..., Membership]
) -> None:
    member = make_member()
    before = snapshot()
    path = f"/api/instalments/{_second_instalment(member).pk}/payments"

    for extra in ({}, key(""), key("   ")):
        response = board.post(path, {"method": "cash"}, **extra)
        assert (response.status_code, response.json()) == (400, KEY_REQUIRED)
    assert snapshot() == before


def test_a_refused_payment_keeps_no_response_so_the_key_can_be_retried(
    board: Api, make_member: Callable[..., Membership]
) -> None:
    member = make_member()
    instalment = _second_instalment(member)
    path = f"/api/instalments/{instalment.pk}/payments"
    before = snapshot()

    refused = board.post(path, {"method": "bank"}, **key("retry-me"))
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "reference_required",
        "message": "A bank or wallet payment needs its transaction reference.",
    }
    assert snapshot() == before

    fixed = board.post(path, {"method": "bank", "reference": "TX-9"}, **key("retry-me"))
    assert fixed.status_code == 200
    assert fixed.json()["reference"] == "TX-9"


def test_an_instalment_is_paid_once(board: Api, make_member: Callable[..., Membership]) -> None:
    member = make_member(paid=1)
    paid = member.instalments.get(number=1)
    before = snapshot()

    response = board.post(f"/api/instalments/{paid.pk}/payments", {"method": "cash"}, **key("new"))

    assert response.status_code == 409
    assert response.json() == {
        "error": "already_paid",
        "message": "This instalment has already been paid.",
    }
    assert snapshot() == before


def test_only_the_board_records_payments(
    make_member: Callable[..., Membership],
    as_user: Callable[[User | None], Api],
    as_token: Callable[[User], Api],
) -> None:
    member = make_member()
    clients = (as_user(member.user), as_token(member.user))
    path = f"/api/instalments/{_second_instalment(member).pk}/payments"
    before = snapshot()

    for client in clients:
        response = client.post(path, {"method": "cash"}, **key("mine"))
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert snapshot() == before


def test_missing_instalments_are_404(board: Api, coop: Any) -> None:
    response = board.post("/api/instalments/9999/payments", {"method": "cash"}, **key("k"))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "No such instalment."}
    assert not IdempotencyRecord.objects.exists()


def test_the_action_and_its_stored_response_commit_together(
    board: Api, make_member: Callable[..., Membership], monkeypatch: pytest.MonkeyPatch
) -> None:
    member = make_member()
    before = snapshot()

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(apikeys, "store_idempotent_response", fail)
    response = board.post(
        f"/api/instalments/{_second_instalment(member).pk}/payments", {"method": "cash"}, **key("k")
    )

    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert snapshot() == before  # the payment was rolled back with the failed store


def test_replays_work_over_a_token_too(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    member = make_member()
    _token, raw = apikeys.create_token(actor=founder, name="treasury script")
    client = Api(Client(), HTTP_AUTHORIZATION=f"Bearer {raw}")
    path = f"/api/instalments/{_second_instalment(member).pk}/payments"

    first = client.post(path, {"method": "wallet", "reference": "W-1"}, **key("t-1"))
    again = client.post(path, {"method": "wallet", "reference": "W-1"}, **key("t-1"))

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert CapitalEntry.objects.filter(membership=member).count() == 1


# --- Notice, sell-back, repayment, transfer ------------------------------------------------


def _membership_body(membership: Membership) -> dict[str, Any]:
    membership.refresh_from_db()
    return {
        "number": membership.number,
        "member_class": membership.member_class,
        "status": membership.status,
        "joined_on": iso(membership.joined_on),
        "notice_given_on": iso(membership.notice_given_on),
        "left_on": iso(membership.left_on),
    }


def test_a_member_gives_and_withdraws_notice(
    make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    member = make_member()
    client = as_user(member.user)

    given = client.post("/api/members/2/notice")
    assert given.status_code == 200
    assert given.json() == _membership_body(member)
    assert (given.json()["status"], given.json()["notice_given_on"]) == (
        "leaving",
        timezone.localdate().isoformat(),
    )

    twice = client.post("/api/members/2/notice")
    assert twice.status_code == 409
    assert twice.json() == {
        "error": "invalid_transition",
        "message": "This cannot be done while the membership is leaving.",
    }

    withdrawn = client.delete("/api/members/2/notice")
    assert withdrawn.status_code == 200
    assert withdrawn.json() == {
        **_membership_body(member),
        "status": "active",
        "notice_given_on": None,
    }


def test_notice_for_someone_else_is_hidden_unless_board(
    board: Api, make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    member = make_member()
    other = as_user(make_member().user)
    before = snapshot()

    for response in (other.post("/api/members/2/notice"), other.delete("/api/members/2/notice")):
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert snapshot() == before

    assert board.post("/api/members/2/notice").json()["status"] == "leaving"
    member.refresh_from_db()
    assert member.status == "leaving"


def test_the_board_confirms_a_departure_and_the_capital_becomes_owed(
    board: Api, make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    member = make_member(paid=1)
    as_user(member.user).post("/api/members/2/notice")
    before = snapshot()

    running = board.post("/api/members/2/sell-back", {"waive_notice": False})
    assert running.status_code == 409
    ends = timezone.localdate() + dt.timedelta(days=30)
    assert running.json() == {
        "error": "notice_running",
        "message": f"The notice period runs until {ends.isoformat()}.",
    }
    assert snapshot() == before

    own = as_user(member.user).post("/api/members/2/sell-back", {"waive_notice": True})
    assert (own.status_code, own.json()) == (403, FORBIDDEN)
    assert snapshot() == before

    response = board.post("/api/members/2/sell-back", {"waive_notice": True})
    assert response.status_code == 200
    assert response.json() == {
        "member_number": 2,
        "amount": "50.00",
        "currency": "ILS",
        "due_on": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
        "paid_at": None,
        "method": None,
        "reference": "",
    }
    member.refresh_from_db()
    assert member.status == "left"
    assert member.instalments.filter(cancelled_at__isnull=False).count() == 3


def test_the_board_repays_a_former_member_once(
    board: Api, make_member: Callable[..., Membership], founder: User
) -> None:
    member = make_member(paid=2)
    actions.give_notice(actor=member.user, membership_id=member.pk)
    actions.sell_back(actor=founder, membership_id=member.pk, waive_notice=True)
    before = snapshot()

    missing_key = board.post("/api/members/2/repayment", {"method": "cash"})
    assert (missing_key.status_code, missing_key.json()) == (400, KEY_REQUIRED)
    assert snapshot() == before

    response = board.post("/api/members/2/repayment", {"method": "cash"}, **key("repay-2"))
    assert response.status_code == 200
    repayment = Repayment.objects.get(membership=member)
    assert response.json() == {
        "member_number": 2,
        "amount": "100.00",
        "currency": "ILS",
        "due_on": repayment.due_on.isoformat(),
        "paid_at": iso(repayment.paid_at),
        "method": "cash",
        "reference": "",
    }
    after = snapshot()

    replay = board.post("/api/members/2/repayment", {"method": "cash"}, **key("repay-2"))
    assert replay.content == response.content
    assert snapshot() == after

    conflict = board.post(
        "/api/members/2/repayment", {"method": "wallet", "reference": "W"}, **key("repay-2")
    )
    assert (conflict.status_code, conflict.json()) == (409, CONFLICT)

    twice = board.post("/api/members/2/repayment", {"method": "cash"}, **key("repay-2-again"))
    assert twice.status_code == 409
    assert twice.json() == {
        "error": "already_repaid",
        "message": "This repayment has already been made.",
    }
    assert snapshot() == after
    assert sum(e.amount for e in CapitalEntry.objects.filter(membership=member)) == 0


def test_nothing_is_owed_to_a_current_member(
    board: Api, make_member: Callable[..., Membership]
) -> None:
    make_member(paid=1)
    before = snapshot()
    response = board.post("/api/members/2/repayment", {"method": "cash"}, **key("k"))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "Nothing is owed to this member."}
    assert snapshot() == before


def test_the_board_transfers_fully_paid_shares(
    board: Api, make_member: Callable[..., Membership], founder: User
) -> None:
    giver = make_member(paid=4)
    receiver = make_member()
    actions.give_notice(actor=giver.user, membership_id=giver.pk)

    response = board.post("/api/members/2/transfer", {"to_number": 3})

    assert response.status_code == 200
    operation = ShareOperation.objects.get(kind="transfer")
    assert response.json() == {
        "register_number": operation.register_number,
        "kind": "transfer",
        "member_number": 2,
        "counterparty_number": 3,
        "shares": 2,
        "nominal": "200.00",
        "currency": "ILS",
        "at": iso(operation.at),
        "policy_version": 1,
    }
    giver.refresh_from_db()
    assert giver.status == "left"
    assert sum(e.amount for e in CapitalEntry.objects.filter(membership=receiver)) == 200


@pytest.mark.parametrize(
    ("to_number", "status", "error"),
    [
        (4, 409, "class_mismatch"),
        (2, 400, "same_member"),
        (99, 404, "not_found"),
        (3, 409, "not_fully_paid"),
    ],
)
def test_refused_transfers_change_nothing(
    board: Api,
    make_member: Callable[..., Membership],
    to_number: int,
    status: int,
    error: str,
) -> None:
    giver = make_member(paid=4 if error != "not_fully_paid" else 3)
    make_member()
    make_member("user")
    actions.give_notice(actor=giver.user, membership_id=giver.pk)
    before = snapshot()

    response = board.post("/api/members/2/transfer", {"to_number": to_number})

    assert response.status_code == status
    assert response.json()["error"] == error
    assert snapshot() == before


def test_members_cannot_transfer_their_own_shares(
    make_member: Callable[..., Membership], as_user: Callable[[User | None], Api]
) -> None:
    giver = make_member(paid=4)
    make_member()
    actions.give_notice(actor=giver.user, membership_id=giver.pk)
    before = snapshot()

    response = as_user(giver.user).post("/api/members/2/transfer", {"to_number": 3})

    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert snapshot() == before
