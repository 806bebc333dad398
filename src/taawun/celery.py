"""Celery, for scale-out deployments (``TAAWUN_BACKGROUND=celery``): workers run the background
round (``taawun.background``) on beat's clock and whenever a server process wakes them.

The broker carries only wake-ups, never work: the work is in the database, so a lost message,
a broker restart or a worker killed mid-round loses nothing. ``taawun worker`` starts a worker
(``--beat`` also runs the clock; run exactly one beat per co-op)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taawun.settings")

app = Celery("taawun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # A wake-up that cannot be sent at once is given up (the next beat covers it), so a request
    # never hangs on a broker that is down.
    broker_connection_timeout=1,
    broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 2},
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
)


@app.task(name="taawun.round")
def run_round_task() -> None:
    from taawun.background import run_round

    run_round()


@app.on_after_finalize.connect
def _beat(sender: Celery, **_: object) -> None:
    from django.conf import settings

    seconds = settings.CELERY_BEAT_SECONDS
    sender.add_periodic_task(seconds, run_round_task.s().set(expires=seconds), name="round")
