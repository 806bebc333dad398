"""The data version shared through memory on one host: published at commit, never moved back,
confirmed against the database, and enough for a cached page without touching the database."""

from __future__ import annotations

import multiprocessing
import random
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from taawun.accounts.models import User
from taawun.transparency import versioning
from taawun.transparency.hostversion import HostVersion, Version
from taawun.transparency.models import AuditEntry, Counter


def newest() -> Version:
    last = AuditEntry.objects.order_by("-seq").first()
    rules = Counter.objects.get(name="rules")
    assert last is not None
    return Version(last.seq, last.digest[:16], rules.last, bytes(rules.edge).decode())


def v(seq: int, digest: str, rules: int = 1, tag: str = "r" * 16) -> Version:
    return Version(seq, digest, rules, tag)


@pytest.fixture
def on_host(settings: Any, tmp_path: Path) -> HostVersion:
    settings.DATA_VERSION_ON_HOST = True
    settings.DATA_DIR = tmp_path
    host = versioning.host_version()
    assert host is not None
    return host


def test_a_version_published_in_one_mapping_is_read_in_another(tmp_path: Path) -> None:
    writer, reader = HostVersion(tmp_path / "v"), HostVersion(tmp_path / "v")
    assert reader.read() is None  # a new file holds no version yet
    writer.publish(v(41, "a" * 16))
    assert reader.read() == v(41, "a" * 16)


def test_an_older_version_never_replaces_a_newer_one_unless_told(tmp_path: Path) -> None:
    host = HostVersion(tmp_path / "v")
    host.publish(v(10, "b" * 16, rules=4))
    host.publish(v(9, "c" * 16, rules=5, tag="5" * 16))  # its rules part is newer, not the rest
    assert host.read() == v(10, "b" * 16, rules=5, tag="5" * 16)
    host.publish(v(3, "d" * 16), replace=True)  # a restored database
    assert host.read() == v(3, "d" * 16)


def test_a_damaged_record_is_no_version(tmp_path: Path) -> None:
    host = HostVersion(tmp_path / "v")
    host.publish(v(7, "e" * 16))
    raw = bytearray((tmp_path / "v").read_bytes())
    raw[3] ^= 0xFF  # the number changed without its checksum: a torn or damaged write
    (tmp_path / "v").write_bytes(bytes(raw))
    assert host.read() is None
    assert zlib.crc32(b"") == 0  # a zeroed file's checksum matches, but sequence 0 is no version


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=2**63), min_size=1, max_size=30))
def test_whatever_the_order_of_publishing_the_newest_stays(
    tmp_path_factory: pytest.TempPathFactory, numbers: list[int]
) -> None:
    host = HostVersion(tmp_path_factory.mktemp("v") / "v")
    for number in numbers:
        host.publish(v(number, f"{number % 65536:016x}", rules=number % 7))
    top = max(numbers)
    rules = max(number % 7 for number in numbers)
    assert host.read() is not None
    assert host.read()[:3] == (top, f"{top % 65536:016x}", rules)


def _publish_many(path: str, numbers: list[int]) -> None:
    host = HostVersion(Path(path))
    for number in numbers:
        host.publish(v(number, f"{number:016x}"))


def test_processes_publishing_at_once_leave_the_newest(tmp_path: Path) -> None:
    numbers = list(range(1, 2001))
    random.Random(7).shuffle(numbers)
    context = multiprocessing.get_context("fork")  # the child touches only the file
    workers = [
        context.Process(target=_publish_many, args=(str(tmp_path / "v"), numbers[n::4]))
        for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert HostVersion(tmp_path / "v").read() == v(2000, f"{2000:016x}")


@pytest.mark.django_db
def test_a_committed_action_publishes_the_trails_last_entry(
    on_host: HostVersion, founder: User, make_member
) -> None:
    make_member()
    assert on_host.read() == newest()


@pytest.mark.django_db
def test_a_rolled_back_action_publishes_nothing(
    on_host: HostVersion, founder: User, make_member
) -> None:
    make_member()
    before = on_host.read()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_member()
        raise RuntimeError("the action's request failed after it recorded")
    assert on_host.read() == before == newest()


@pytest.mark.django_db
def test_in_a_request_the_shared_version_is_used_until_it_is_due_for_confirmation(
    on_host: HostVersion, founder: User
) -> None:
    truth = newest()
    on_host.confirmed()
    token = versioning.start_request_memo()
    try:
        assert versioning.data_version() == f"{truth.seq}.{truth.digest}"
    finally:
        versioning.end_request_memo(token)
    on_host.publish(truth._replace(seq=truth.seq + 5, digest="f" * 16))  # not in the trail
    token = versioning.start_request_memo()
    try:
        # Not yet due: the file is believed, as every process believes it.
        assert versioning.data_version() == f"{truth.seq + 5}.{'f' * 16}"
    finally:
        versioning.end_request_memo(token)
    on_host.confirmed_at = float("-inf")
    token = versioning.start_request_memo()
    try:
        assert versioning.data_version() == f"{truth.seq}.{truth.digest}"  # the database's, and
    finally:
        versioning.end_request_memo(token)
    assert on_host.read() == truth  # the file put right for every process


@pytest.mark.django_db
def test_confirmation_brings_a_file_left_behind_up_to_date(
    on_host: HostVersion, founder: User
) -> None:
    truth = newest()
    on_host.publish(v(1, "0" * 16, rules=0, tag=""), replace=True)  # died before publishing
    on_host.confirmed_at = float("-inf")
    token = versioning.start_request_memo()
    try:
        versioning.data_version()
    finally:
        versioning.end_request_memo(token)
    assert on_host.read() == truth


@pytest.mark.django_db
def test_confirmation_keeps_a_newer_version_the_trail_holds(
    on_host: HostVersion, founder: User, make_member
) -> None:
    older = newest()
    make_member()  # published; a process that read the database just before would hold `older`
    newer = newest()
    versioning._confirm(on_host, older)
    assert on_host.read() == newer


@pytest.mark.django_db
def test_confirmation_replaces_a_file_from_another_database_in_one_step(
    on_host: HostVersion, founder: User
) -> None:
    truth = newest()
    # Ahead in the trail (an entry this database never had) and behind in the rules.
    on_host.publish(v(truth.seq + 3, "a" * 16, rules=0, tag=""), replace=True)
    versioning._confirm(on_host, truth)
    assert on_host.read() == truth


@pytest.mark.django_db
def test_after_a_restore_the_databases_version_replaces_whatever_the_file_held(
    on_host: HostVersion, founder: User
) -> None:
    on_host.publish(v(10**9, "9" * 16))
    versioning.publish_from_database()
    assert on_host.read() == newest()


@pytest.mark.django_db
def test_a_cached_page_is_served_without_the_database_and_shows_a_new_member_at_once(
    on_host: HostVersion, coop: Any, founder: User, make_member
) -> None:
    browser = Client()
    browser.force_login(founder)
    assert browser.get("/members/").status_code == 200  # cached now
    on_host.confirmed()
    connection.health_check_done = False  # as at the start of a request on a kept connection
    with CaptureQueriesContext(connection) as queries:
        page = browser.get("/members/")
    assert page.status_code == 200
    assert len(queries) == 0
    # On PostgreSQL not even the health check that would read the version from the database:
    assert connection.health_check_done is False or connection.vendor != "postgresql"
    make_member(name="Yasmin Haddad")  # published as it commits
    on_host.confirmed()
    assert "Yasmin Haddad" in browser.get("/members/").content.decode()
