"""The data version: a token that moves with every recorded action, and caching keyed on it."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from .hostversion import HostVersion
from .models import AuditEntry

T = TypeVar("T")
Last = tuple[int, str] | None  # the trail's last entry: its number and digest
VERSION_SQL = f"SELECT seq, digest FROM {AuditEntry._meta.db_table} ORDER BY seq DESC LIMIT 1"  # noqa: S608  # nosec B608
_HOLDS_SQL = (
    f"SELECT 1 FROM {AuditEntry._meta.db_table} WHERE seq = %s AND substr(digest, 1, 16) = %s"  # noqa: S608  # nosec B608
)


# Inside a web request the version is read once and kept until this connection records an
# action; outside a request (commands, tests) it is read every time. Another process's commit
# during a request shows from the next request on. See web.middleware.DataVersionMiddleware.
_request_memo: ContextVar[dict[str, Last] | None] = ContextVar("taawun_data_version", default=None)
_host: HostVersion | None = None


def _as_version(last: Last) -> str:
    return f"{last[0]}.{last[1][:16]}" if last else "0"


def _read_last() -> Last:
    # Plain SQL on purpose: this runs on every cached page, where the ORM's query building
    # cost more than the query itself.
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        return cursor.fetchone()


def _read_version() -> str:
    return _as_version(_read_last())


def host_version() -> HostVersion | None:
    """This process's view of the version shared on the host, when the co-op runs on one."""
    global _host
    if not settings.DATA_VERSION_ON_HOST:
        return None
    path = settings.DATA_DIR / "run" / "data-version"
    if _host is None or _host.path != path:
        _host = HostVersion(path)
    return _host


def publish(last: Last, *, replace: bool = False) -> None:
    """Share a version just committed (or read from the database) with the host's processes."""
    host = host_version()
    if host is not None and last is not None:
        host.publish((last[0], last[1][:16]), replace=replace)


def publish_from_database() -> None:
    """Put the database's version in the shared file whatever it held (after a restore)."""
    publish(_read_last(), replace=True)


def _confirm(host: HostVersion, last: Last) -> None:
    """Bring the shared file in line with the database's ``last`` entry (see ``hostversion``)."""
    if last is not None:
        shared, truth = host.read(), (last[0], last[1][:16])
        if shared is None or shared[0] < truth[0]:
            host.publish(truth)
        elif shared != truth:
            with connection.cursor() as cursor:
                cursor.execute(_HOLDS_SQL, list(shared))
                if cursor.fetchone() is None:  # a version this database never had
                    host.publish(truth, replace=True)
    host.confirmed()


def remember_version(last: Last) -> None:
    """Keep a version read as the request's connection health check (see ``postgresql``)."""
    memo = _request_memo.get()
    if memo is not None:
        memo["read"] = last


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
    if "read" in memo:
        return _as_version(memo["read"])
    host = host_version()
    if host is not None and not host.due_for_confirmation():
        shared = host.read()
        if shared is not None:
            memo["read"] = shared
            return _as_version(shared)
    connection.close_if_health_check_failed()  # on PostgreSQL, the check reads the version
    if "read" not in memo:
        memo["read"] = _read_last()
    if host is not None:
        _confirm(host, memo["read"])
    return _as_version(memo["read"])


def start_request_memo() -> Token[dict[str, Last] | None]:
    return _request_memo.set({})


def end_request_memo(token: Token[dict[str, Last] | None]) -> None:
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
