"""The data version: it moves with every recorded action, is read once per request, and on
PostgreSQL is read by the connection's own health check."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from taawun.accounts.models import User
from taawun.transparency.models import AuditEntry
from taawun.transparency.versioning import data_version, end_request_memo, start_request_memo

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
