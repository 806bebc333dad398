"""PostgreSQL whose per-request connection health check also reads the data version, and
which writes the audit trail as each transaction commits (``deferred``).

Django checks a kept connection with ``SELECT 1`` before its first query in each request, and
nearly every request's first need is the data version. Asking for the version as the check
spares one round trip per request; a request that never needs the version pays the same as
before.
"""

from __future__ import annotations

import psycopg
from django.db.backends.postgresql import base

from ..deferred import DeferredAudit


class DatabaseWrapper(DeferredAudit, base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None:
            return False
        # Imported here: the versioning module needs the models, which need this backend.
        from taawun.transparency.versioning import VERSION_SQL, remember_version

        try:
            # A server-binding cursor, so PostgreSQL keeps this statement prepared.
            with psycopg.Cursor(self.connection) as cursor:
                cursor.execute(VERSION_SQL, prepare=True)
                remember_version(cursor.fetchone())
        except psycopg.Error:
            return False
        return True
