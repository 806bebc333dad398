"""The data version: a token that moves with every recorded action, and caching keyed on it."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TypeVar

from django.core.cache import cache
from django.db import connection

from .models import AuditEntry

T = TypeVar("T")
VERSION_SQL = f"SELECT seq, digest FROM {AuditEntry._meta.db_table} ORDER BY seq DESC LIMIT 1"  # noqa: S608  # nosec B608


# Inside a web request the version is read once and kept until this connection records an
# action; outside a request (commands, tests) it is read every time. Another process's commit
# during a request shows from the next request on. See web.middleware.DataVersionMiddleware.
_request_memo: ContextVar[dict[str, str] | None] = ContextVar("taawun_data_version", default=None)


def _as_version(last: tuple[int, str] | None) -> str:
    return f"{last[0]}.{last[1][:16]}" if last else "0"


def _read_version() -> str:
    # Plain SQL on purpose: this runs on every cached page, where the ORM's query building
    # cost more than the query itself.
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        return _as_version(cursor.fetchone())


def remember_version(last: tuple[int, str] | None) -> None:
    """Keep a version read as the request's connection health check (see ``postgresql``)."""
    memo = _request_memo.get()
    if memo is not None:
        memo["version"] = _as_version(last)


def data_version() -> str:
    """A token that changes with every recorded action.

    Every write to the co-op, its policy, roles, memberships and profiles goes through an action
    that appends to the trail in the same transaction, so anything derived only from those rows
    can be cached under this token and is never served stale. The digest part keeps tokens
    unique even when a database is restored or rebuilt and the sequence starts again.
    """
    memo = _request_memo.get()
    if memo is None:
        return _read_version()
    if "version" not in memo:
        connection.close_if_health_check_failed()  # on PostgreSQL, the check reads the version
    if "version" not in memo:
        memo["version"] = _read_version()
    return memo["version"]


def start_request_memo() -> Token[dict[str, str] | None]:
    return _request_memo.set({})


def end_request_memo(token: Token[dict[str, str] | None]) -> None:
    _request_memo.reset(token)


def forget_version() -> None:
    """Called as an action is recorded: the next read in this request sees the new version."""
    memo = _request_memo.get()
    if memo is not None:
        memo.clear()


def cached(name: str, compute: Callable[[], T], *, timeout: int = 24 * 3600) -> T:
    """``compute()`` cached under the current data version (shared cache, any process).

    ``timeout`` bounds how long a value may outlive a change made outside the recorded actions.
    Inside an action that has changed something, the value is computed afresh and not kept: its
    changes are not yet under a version.
    """
    if getattr(connection, "pending_audit", None):
        return compute()
    key = f"taawun:{name}:{data_version()}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, timeout=timeout)
    return value


_MISSING = object()
