"""Audit entries written as their transaction is about to commit.

Every action appends to the audit trail, whose entries are numbered without gaps from one
counter row. Drawing the number when the action starts would keep that row locked for the whole
transaction, so every write in the co-op would queue behind it, and an action that locked the
counter before its other rows could deadlock with one that locked them the other way round. So
``audit.record`` keeps the entry on the connection, and the database wrapper writes the
entries just before the transaction commits: the counter is the last lock each transaction
takes, and it is held only for that moment.

Savepoints are followed: an entry recorded inside a savepoint that is rolled back is dropped
with it. Inside a test case (whose transaction never commits), the entries are written when the
outermost block that is not the test's own ends.

Once committed, the version the entries made is shared with the host's other processes when
the co-op runs on one host (``hostversion``).
"""

from __future__ import annotations

from typing import Any


class DeferredAudit:
    """Mixin for a Django ``DatabaseWrapper``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending_audit: list[dict[str, Any]] = []
        self._audit_marks: dict[str, int] = {}
        self.audit_written: Any = None  # the version the entries made (hostversion.Version)

    def _write_pending_audit(self) -> None:
        from .audit import write  # the models need this backend loaded first

        pending, self.pending_audit = self.pending_audit, []
        self._audit_marks.clear()
        write(pending)

    def savepoint(self) -> Any:
        sid = super().savepoint()  # type: ignore[misc]
        if sid is not None:
            self._audit_marks[sid] = len(self.pending_audit)
        return sid

    def savepoint_rollback(self, sid: str) -> None:
        super().savepoint_rollback(sid)  # type: ignore[misc]
        mark = self._audit_marks.pop(sid, None)
        if mark is not None:
            del self.pending_audit[mark:]

    def savepoint_commit(self, sid: str) -> None:
        blocks = self.atomic_blocks  # type: ignore[attr-defined]
        as_commit = all(getattr(b, "_from_testcase", False) for b in blocks)
        if self.pending_audit and as_commit:
            try:
                self._write_pending_audit()
            except Exception:
                super().savepoint_rollback(sid)  # type: ignore[misc]
                raise
        super().savepoint_commit(sid)  # type: ignore[misc]
        self._audit_marks.pop(sid, None)
        if as_commit:
            self._publish_written()

    def commit(self) -> None:
        if self.pending_audit:
            try:
                self._write_pending_audit()
            except Exception:
                self.rollback()  # nothing of the action may be kept without its entry
                raise
        super().commit()  # type: ignore[misc]
        self._publish_written()

    def _publish_written(self) -> None:
        """Share the version this transaction's entries made, now that they are kept."""
        written, self.audit_written = self.audit_written, None
        if written is not None:
            from .versioning import publish

            publish(written)

    def rollback(self) -> None:
        self.pending_audit.clear()
        self._audit_marks.clear()
        self.audit_written = None
        super().rollback()  # type: ignore[misc]
