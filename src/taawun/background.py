"""The platform's background round: the work that must happen even when nobody is looking.

One round runs every job below. Each job reads its work from the database and claims it there,
so the database is the queue of record: a round may run in any process, twice at once, or not
at all for a while (a broker down, a server restarted), and nothing is lost or done twice.

Where rounds run is a setting, ``TAAWUN_BACKGROUND``:

- ``thread`` (the embedded default): a thread in each server process, woken after an action
  of that process commits work for it and otherwise every ``IDLE_SECONDS`` or when a job says
  it is due;
- ``celery``: Celery workers run the round, on beat's clock and when woken through the broker;
  a wake that cannot reach the broker is only logged, the next beat picks the work up;
- ``off``: only ``taawun manage background --loop`` (and the pages themselves) do it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

IDLE_SECONDS = 30.0
# After the broker refused a wake, wakes are not tried again for this long (each try would make
# the request that committed the work wait for the connection to fail).
BROKER_PAUSE_SECONDS = 30.0


@dataclass(frozen=True)
class Job:
    """One kind of background work: ``run`` does what is due now and returns when it will next
    have something to do (None: only when woken)."""

    name: str
    run: Callable[[], dt.datetime | None]


def _federation() -> dt.datetime | None:
    from taawun.federation.delivery import run_once

    return run_once()


def _notifications() -> dt.datetime | None:
    from taawun.notifications.actions import send_pending
    from taawun.notifications.selectors import next_email_due

    send_pending()
    return next_email_due()


def _governance() -> dt.datetime | None:
    from taawun.governance.actions import run_due

    run_due()
    return None


def _dispatch() -> dt.datetime | None:
    """Trips waiting for a worker get a batch on the policy's clock."""
    from taawun.coop.selectors import current_policy
    from taawun.market.trips.actions import maybe_dispatch
    from taawun.market.trips.selectors import awaiting_dispatch

    if not awaiting_dispatch():
        return None
    maybe_dispatch()
    seconds = current_policy().policy.dispatch.batch_seconds
    return timezone.now() + dt.timedelta(seconds=seconds)


def _log_head() -> dt.datetime | None:
    from taawun.transparency.actions import sign_tree_head

    sign_tree_head()
    return None


JOBS = (
    Job("federation", _federation),
    Job("notifications", _notifications),
    Job("governance", _governance),
    Job("dispatch", _dispatch),
    Job("log head", _log_head),
)


def run_round() -> dt.datetime | None:
    """Run every job once; returns the earliest time one of them asked to run again. A job that
    fails is logged and the others still run: the next round retries it."""
    from taawun.coop.selectors import get_coop

    if get_coop() is None:  # nothing to do before the co-op is founded
        return None
    next_due: dt.datetime | None = None
    for job in JOBS:
        try:
            due = job.run()
        except Exception:
            logger.exception("background job %r failed", job.name)
            continue
        if due is not None and (next_due is None or due < next_due):
            next_due = due
    return next_due


def wake() -> None:
    """Something was committed that a round should handle soon. Safe to call anywhere, usually
    through ``transaction.on_commit(wake)``: it never raises and never waits long."""
    mode = settings.TAAWUN_BACKGROUND
    if mode == "thread":
        # Only server processes have the thread (``taawun.serving`` starts it). Elsewhere (a
        # command, the demo's creation) this sets nothing anyone waits on: the servers' own
        # rounds find the work in the database.
        _woken.set()
    elif mode == "celery":
        _send_round()


# --- Rounds in a thread of each server process (the embedded default) -------------------------

_woken = threading.Event()
_starting = threading.Lock()
_thread: threading.Thread | None = None


def start() -> None:
    """Start this process's round thread unless it is running."""
    global _thread
    with _starting:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="taawun-background", daemon=True)
            _thread.start()


@contextmanager
def _alone_on_this_machine() -> Iterator[None]:
    """Wait until no other process of this installation is in a round. Every server process
    has a round thread; on SQLite, rounds side by side would only queue on its one write lock
    (long enough, under load, to time out), and they would find the same work anyway."""
    path = Path(settings.DATA_DIR) / "background.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _loop() -> None:
    while True:
        _woken.clear()
        next_due = None
        try:
            with _alone_on_this_machine():
                next_due = run_round()
        except Exception:  # the thread must outlive any round; the next one retries
            logger.exception("background round failed")
        finally:
            close_old_connections()  # a database restarted meanwhile: reconnect next round
        wait = IDLE_SECONDS
        if next_due is not None:
            wait = min(wait, max((next_due - timezone.now()).total_seconds(), 0.05))
        _woken.wait(timeout=wait)


# --- Rounds in Celery workers (scale-out) --------------------------------------------------------

_broker_paused_until = 0.0


def _send_round() -> None:
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        return
    from taawun.celery import run_round_task

    try:
        run_round_task.apply_async(retry=False, expires=IDLE_SECONDS)
    except Exception as error:  # the broker is down: the work waits in the database
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("could not wake a background worker (%s); beat will pick it up", error)
