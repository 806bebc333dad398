"""Real races on PostgreSQL: threads, each with its own connection, lined up with a barrier
inside their transactions, so two operations collide as they would between two people."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from django.db import connections

from taawun.accounts.models import User

BARRIER_TIMEOUT = 10  # seconds; a thread blocked on a lock never reaches the barrier
JOIN_TIMEOUT = 60

Outcome = tuple[str, Any]  # ("ok", result) or ("error", exception)


def race(calls: list[Callable[[], Any]]) -> list[Outcome]:
    """Run each call in its own thread (own database connection) and collect the outcomes."""
    start = threading.Barrier(len(calls))
    outcomes: list[Outcome | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            start.wait(BARRIER_TIMEOUT)
            outcomes[index] = ("ok", call())
        except Exception as exc:
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert [t.is_alive() for t in threads] == [False] * len(threads)
    assert None not in outcomes
    return outcomes  # type: ignore[return-value]


def line_up(
    monkeypatch: pytest.MonkeyPatch,
    module: ModuleType,
    name: str,
    parties: int,
    *,
    after: bool = False,
    timeout: float = BARRIER_TIMEOUT,
) -> None:
    """Make each thread wait for the others at its first call of ``module.<name>`` (before or
    after the call), i.e. inside its transaction, so the operations collide for real."""
    real = getattr(module, name)
    barrier = threading.Barrier(parties)
    seen = threading.local()

    def wait() -> None:
        if not getattr(seen, "done", False):
            seen.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not after:
            wait()
        result = real(*args, **kwargs)
        if after:
            wait()
        return result

    monkeypatch.setattr(module, name, wrapper)


def as_user(pk: int) -> User:
    return User.objects.get(pk=pk)


def errors(outcomes: list[Outcome]) -> list[tuple[type, str]]:
    return [(type(o[1]), getattr(o[1], "code", str(o[1]))) for o in outcomes if o[0] == "error"]


def oks(outcomes: list[Outcome]) -> list[Any]:
    return [o[1] for o in outcomes if o[0] == "ok"]
