"""The background round: every job runs, a failing one does not stop the others, and in
Celery mode real workers run it on beat's clock and when woken, while a broker that is down
delays work without losing it or holding up the request that made it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from taawun import background
from taawun.accounts.models import User
from taawun.coop.models import Coop
from taawun.notifications.actions import notify
from taawun.notifications.models import EmailState, Kind, Notification
from tests.federation.network import Instance, database_for, drop_database, kill

BROKER = "redis://127.0.0.1:6379/14"
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_every_job_runs_and_a_failure_does_not_stop_the_others(
    coop: Coop, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []
    soon = timezone.now() + dt.timedelta(seconds=5)
    later = soon + dt.timedelta(seconds=5)

    def failing() -> dt.datetime | None:
        ran.append("failing")
        raise RuntimeError("boom")

    def job(name: str, due: dt.datetime | None) -> background.Job:
        return background.Job(name, lambda: ran.append(name) or due)  # type: ignore[func-returns-value]

    monkeypatch.setattr(
        background,
        "JOBS",
        (job("first", later), background.Job("failing", failing), job("last", soon)),
    )
    assert background.run_round() == soon
    assert ran == ["first", "failing", "last"]
    assert "background job 'failing' failed" in caplog.text


def test_nothing_runs_before_the_coop_is_founded(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    monkeypatch.setattr(background, "JOBS", (background.Job("any", lambda: ran.append("x")),))  # type: ignore[arg-type,func-returns-value]
    assert background.run_round() is None
    assert ran == []


def test_the_real_jobs_run_on_a_founded_coop(coop: Coop) -> None:
    """One round of the real jobs on a fresh co-op: it signs the log's first head."""
    from taawun.transparency.models import TreeHead

    assert TreeHead.objects.count() == 0
    assert background.run_round() is None
    assert TreeHead.objects.count() == 1


def test_rounds_on_one_machine_take_turns(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    entered = threading.Event()

    def second() -> None:
        with background._alone_on_this_machine():
            entered.set()

    with background._alone_on_this_machine():
        other = threading.Thread(target=second)
        other.start()
        assert not entered.wait(0.5)  # waits while the first round runs
    assert entered.wait(10)
    other.join()


def test_the_command_runs_one_round(coop: Coop, capsys: pytest.CaptureFixture[str]) -> None:
    from taawun.transparency.models import TreeHead

    call_command("background")
    assert TreeHead.objects.count() == 1
    assert capsys.readouterr().out == "round done; next due: when woken\n"
    with pytest.raises(CommandError, match="at least 1"):
        call_command("background", "--loop", "0")


def test_a_round_sends_waiting_emails_and_says_when_a_retry_is_due(
    coop: Coop, founder: User, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.test_sending.FailingBackend"
    payload = {"run": 7, "amount": "12.50", "currency": "ILS"}
    notify(recipient=founder, kind=Kind.PAYOUT_PAID, payload=payload, link="/books/me/")
    retry_at = background.run_round()  # the mail server refuses: tried again later
    note = Notification.objects.get()
    assert note.email_state == EmailState.PENDING
    assert retry_at == note.email_due_at

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.update(email_due_at=timezone.now())
    assert background.run_round() is None
    assert [m.to for m in mail.outbox] == [[founder.email]]


# --- Celery workers on a real Redis, servers in their own processes ----------------------------

HEADS = "from taawun.transparency.models import TreeHead; print(TreeHead.objects.count())"


def answer(coop: Instance, script: str) -> int:
    """The number the script prints last (the shell prints its own lines first)."""
    return int(coop.shell(script).strip().splitlines()[-1])


def heads(coop: Instance) -> int:
    return answer(coop, HEADS)


def wait_for(predicate: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.5)


@pytest.fixture
def celery_coop(tmp_path: Path, transactional_db: None) -> Iterator[Instance]:
    redis.Redis.from_url(BROKER).flushdb()
    database = database_for("celery")
    coop = Instance(
        "celery",
        tmp_path / "celery",
        database,
        settings={"TAAWUN_BACKGROUND": "celery", "CELERY_BROKER_URL": BROKER},
    )
    coop.found()
    try:
        yield coop
    finally:
        coop.stop()
        drop_database(database)


@pytest.mark.network
def test_a_celery_worker_runs_rounds_on_beats_clock(celery_coop: Instance) -> None:
    assert heads(celery_coop) == 0
    worker = celery_coop.spawn("worker", "--beat", "--concurrency", "1", log="worker.log")
    try:
        wait_for(lambda: heads(celery_coop) == 1)
    finally:
        kill(worker)


@pytest.mark.network
def test_a_wake_reaches_a_worker_through_the_broker(celery_coop: Instance) -> None:
    redis.Redis.from_url(BROKER).flushdb()  # the wakes of the founding are gone
    worker = celery_coop.spawn("worker", "--concurrency", "1", log="worker.log")  # no beat
    try:
        time.sleep(3)  # the worker is up and has nothing to do
        assert heads(celery_coop) == 0
        celery_coop.shell("from taawun.background import wake; wake()")
        wait_for(lambda: heads(celery_coop) == 1)
    finally:
        kill(worker)


@pytest.mark.network
def test_with_redis_down_the_site_serves_and_the_work_waits(celery_coop: Instance) -> None:
    """The broker and the cache unreachable: pages and API writes still work, each wake gives
    up at once, and a worker started once Redis is back does the waiting work."""
    celery_coop.settings.update(CELERY_BROKER_URL=NOWHERE, REDIS_URL=NOWHERE)
    celery_coop.start()
    started = time.monotonic()
    status, presence = celery_coop.api(
        "POST", "/market/trips/presence", {"online": True, "lat": "31.9038", "lon": "35.2034"}
    )
    assert status == 200, presence
    assert time.monotonic() - started < 5
    assert celery_coop.status_of("/accounts/login/") == 200
    assert heads(celery_coop) == 0  # nobody has run a round

    celery_coop.settings.update(CELERY_BROKER_URL=BROKER, REDIS_URL="")
    worker = celery_coop.spawn("worker", "--beat", "--concurrency", "1", log="worker.log")
    try:
        wait_for(lambda: heads(celery_coop) == 1)
    finally:
        kill(worker)
    size = answer(celery_coop, "from taawun.transparency import log; print(log.size())")
    signed = "from taawun.transparency.models import TreeHead; print(TreeHead.objects.first().size)"
    assert answer(celery_coop, signed) == size  # what was written meanwhile is in the head
