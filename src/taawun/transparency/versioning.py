"""The data version: a token that moves with every recorded action, and caching keyed on it;
and the rules version, which moves only when roles, memberships, accounts or the policy do."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from .hostversion import HostVersion, Version
from .models import AuditEntry, Counter

T = TypeVar("T")
VERSION_SQL = (
    f"SELECT a.seq, a.digest, r.last, r.edge FROM {AuditEntry._meta.db_table} a"  # noqa: S608  # nosec B608
    f" LEFT JOIN {Counter._meta.db_table} r ON r.name = 'rules' ORDER BY a.seq DESC LIMIT 1"
)
_HOLDS_SQL = (
    f"SELECT 1 FROM {AuditEntry._meta.db_table} WHERE seq = %s AND substr(digest, 1, 16) = %s"  # noqa: S608  # nosec B608
)


# Inside a web request the version is read once and kept until this connection records an
# action; outside a request (commands, tests) it is read every time. Another process's commit
# during a request shows from the next request on. See web.middleware.DataVersionMiddleware.
_request_memo: ContextVar[dict[str, Version | None] | None] = ContextVar(
    "taawun_data_version", default=None
)
_host: tuple[Path, HostVersion] | None = None  # the data directory it lives in, and it


def _as_version(last: Version | None) -> str:
    return f"{last.seq}.{last.digest}" if last else "0"


def _as_rules_version(last: Version | None) -> str:
    return f"{last.rules}.{last.rules_tag}" if last else "0"


def _read_last() -> Version | None:
    # Plain SQL on purpose: this runs on every cached page, where the ORM's query building
    # cost more than the query itself.
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    return Version.from_row(row) if row else None


def host_version() -> HostVersion | None:
    """This process's view of the version shared on the host, when the co-op runs on one."""
    global _host
    if not settings.DATA_VERSION_ON_HOST:
        return None
    if _host is None or _host[0] != settings.DATA_DIR:  # read on every request: no path work
        _host = (settings.DATA_DIR, HostVersion(settings.DATA_DIR / "run" / "data-version"))
    return _host[1]


def publish(last: Version | None, *, replace: bool = False) -> None:
    """Share a version just committed (or read from the database) with the host's processes."""
    host = host_version()
    if host is not None and last is not None:
        host.publish(last, replace=replace)


def publish_from_database() -> None:
    """Put the database's version in the shared file whatever it held (after a restore)."""
    publish(_read_last(), replace=True)


def _confirm(host: HostVersion, truth: Version | None) -> None:
    """Bring the shared file in line with the database's ``truth`` (see ``hostversion``)."""
    if truth is not None:
        shared = host.read()
        if shared is not None and shared.seq >= truth.seq and shared[:2] != truth[:2]:
            with connection.cursor() as cursor:
                cursor.execute(_HOLDS_SQL, [shared.seq, shared.digest])
                held = cursor.fetchone() is not None
            # Ahead of what was just read is fine (a commit since); an entry this database
            # never had is not (a restored or rebuilt database).
            host.publish(truth, replace=not held)
        elif shared != truth:
            host.publish(truth)  # whichever part is behind moves forward, never back
    host.confirmed()


def remember_version(row: tuple[int, str, int | None, bytes | None] | None) -> None:
    """Keep a version read as the request's connection health check (see ``postgresql``)."""
    memo = _request_memo.get()
    if memo is not None:
        memo["read"] = Version.from_row(row) if row else None


def _current() -> Version | None:
    """The versions as this request sees them: read once, from the host's shared file when
    there is one and it is not due for confirmation, else from the database."""
    memo = _request_memo.get()
    if memo is None:
        return _read_last()
    if "read" in memo:
        return memo["read"]
    host = host_version()
    if host is not None and not host.due_for_confirmation():
        shared = host.read()
        if shared is not None:
            memo["read"] = shared
            return shared
    connection.close_if_health_check_failed()  # on PostgreSQL, the check reads the version
    if "read" not in memo:
        memo["read"] = _read_last()
    if host is not None:
        _confirm(host, memo["read"])
    return memo["read"]


def data_version() -> str:
    """A token that changes with every recorded action.

    Every write to the co-op, its policy, roles, memberships and profiles goes through an action
    that appends to the trail in the same transaction, so anything derived only from those rows
    can be cached under this token and is never served stale. The digest part keeps tokens
    unique even when a database is restored or rebuilt and the sequence starts again.
    """
    return _as_version(_current())


def rules_version() -> str:
    """A token that changes whenever roles, memberships, accounts, the co-op or its policy may
    have changed (``audit.changes_rules``), and not with a sale or an order.

    What depends only on those (a person's roles, the policy in force, the signed-in account)
    is cached under it, so a busy co-op's stream of sales does not make every request read them
    again. The tag is the digest of the entry that moved it, unique like the data version's."""
    return _as_rules_version(_current())


def start_request_memo() -> Token[dict[str, Version | None] | None]:
    return _request_memo.set({})


def end_request_memo(token: Token[dict[str, Version | None] | None]) -> None:
    _request_memo.reset(token)


def forget_version() -> None:
    """Called as an action is recorded: the next read in this request sees the new version."""
    memo = _request_memo.get()
    if memo is not None:
        memo.clear()


def cached(
    name: str, compute: Callable[[], T], *, timeout: int = 24 * 3600, rules_only: bool = False
) -> T:
    """``compute()`` cached under the current data version (shared cache, any process), or under
    the rules version when it reads only roles, memberships, accounts, the co-op or its policy.

    ``timeout`` bounds how long a value may outlive a change made outside the recorded actions.
    Inside an action that has changed something, the value is computed afresh and not kept: its
    changes are not yet under a version.
    """
    if getattr(connection, "pending_audit", None):
        return compute()
    current = _current()
    version = _as_rules_version(current) if rules_only else _as_version(current)
    key = f"taawun:{name}:{'r' if rules_only else ''}{version}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, timeout=timeout)
    return value


_MISSING = object()
