"""The data version: it moves with every recorded action, is read once per request, and on
PostgreSQL is read by the connection's own health check. The rules version: it moves only with
actions that may change roles, memberships, accounts, the co-op or its policy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.domain.money import Money
from taawun.ledger.actions import record_sale
from taawun.transparency.audit import changes_rules
from taawun.transparency.models import AuditEntry
from taawun.transparency.versioning import (
    data_version,
    end_request_memo,
    rules_version,
    start_request_memo,
)

pytestmark = pytest.mark.django_db


def newest() -> str:
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    return f"{last.seq}.{last.digest[:16]}"


def test_the_version_names_the_newest_entry_and_moves_with_an_action(
    founder: User, make_member
) -> None:
    before = data_version()
    assert before == newest()
    make_member()
    assert data_version() == newest() != before


def test_within_a_request_the_version_is_read_once_until_an_action_records(
    founder: User, make_member
) -> None:
    token = start_request_memo()
    try:
        with CaptureQueriesContext(connection) as first:
            version = data_version()
        with CaptureQueriesContext(connection) as again:
            assert data_version() == version
        assert (len(first), len(again)) == (1, 0)
        make_member()  # records, so this request's next read sees the new version
        assert data_version() == newest() != version
    finally:
        end_request_memo(token)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's check")
def test_on_postgresql_the_health_check_reads_the_version(founder: User) -> None:
    expected = newest()
    token = start_request_memo()
    try:
        connection.health_check_enabled = True
        connection.health_check_done = False  # as at the start of a request on a kept connection
        with CaptureQueriesContext(connection) as queries:
            assert data_version() == expected
        assert len(queries) == 0  # the check itself answered: no second round trip
        assert connection.health_check_done is True
    finally:
        end_request_memo(token)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's check")
def test_on_postgresql_a_dead_connection_fails_the_check() -> None:
    kept = connection.copy()
    try:
        kept.ensure_connection()
        assert kept.is_usable() is True
        with kept.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with connection.cursor() as cursor:  # as a database restart would
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert kept.is_usable() is False
    finally:
        kept.close()


def sale(founder: User, worker_number: int) -> None:
    record_sale(
        actor=founder,
        worker_number=worker_number,
        price=Money(Decimal("100.00"), "ILS"),
        tip=Money(Decimal("0.00"), "ILS"),
        method="cash",
        hours=Decimal(1),
    )


def test_a_sale_moves_the_data_version_but_not_the_rules_version(
    founder: User, make_member
) -> None:
    worker = make_member()
    data, rules = data_version(), rules_version()
    sale(founder, worker.number)
    assert data_version() != data
    assert rules_version() == rules
    grant_role(actor=None, user=worker.user, role=Role.BOARD, policy_version=1)
    assert rules_version() != rules


def test_roles_and_the_policy_are_read_once_across_a_stream_of_sales(
    founder: User, make_member
) -> None:
    worker = make_member()
    sale(founder, worker.number)  # warms the roles and the policy under the rules version
    with CaptureQueriesContext(connection) as queries:
        sale(founder, worker.number)
    tables = " ".join(query["sql"] for query in queries)
    assert "accounts_rolegrant" not in tables
    assert "coop_policyversion" not in tables
    assert "members_membership" in tables  # the worker's row, locked for the sale


@pytest.mark.parametrize(
    ("action", "moves"),
    [
        ("books.sale", False),
        ("order.placed", False),
        ("trips.completed", False),
        ("trips.place_added", True),  # the board setting up the area: places are cached
        ("school.lesson_passed", False),
        ("role.granted", True),
        ("role.revoked", True),
        ("membership.admitted", True),
        ("application.approved", True),
        ("policy.adopted", True),
        ("account.password_changed", True),
        ("notifications.preferences_set", True),
        ("coop.founded", True),
        ("governance.ballot_cast", True),
        ("something.new", True),  # an action nobody listed moves it: safe by default
    ],
)
def test_which_actions_move_the_rules_version(action: str, moves: bool) -> None:
    assert changes_rules(action) is moves
