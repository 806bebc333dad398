"""SQLite, with the audit trail written as each transaction commits (``deferred``)."""

from __future__ import annotations

from django.db.backends.sqlite3 import base

from ..deferred import DeferredAudit


class DatabaseWrapper(DeferredAudit, base.DatabaseWrapper):
    pass
