"""Gunicorn's hooks for ``taawun serve`` (``gunicorn -c python:taawun.serving``)."""

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Each server process delivers what an earlier one left waiting, without waiting for a
    new action to wake its delivery thread."""
    from taawun.federation.delivery import kick

    kick()
