"""Gunicorn's hooks for ``taawun serve`` (``gunicorn -c python:taawun.serving``)."""

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Each server process starts its background round thread (the embedded default), or asks
    the Celery workers for a round: work an earlier process left waiting is done at once,
    without waiting for a new action to wake a round."""
    from django.conf import settings

    from taawun.background import start, wake

    if settings.TAAWUN_BACKGROUND == "thread":
        start()
    wake()
