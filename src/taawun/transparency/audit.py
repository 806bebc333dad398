"""Writing the audit trail: one entry per action, in the action's own transaction."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection, transaction
from django.db.utils import IntegrityError
from django.utils import timezone

from taawun.domain.canonical import canonical_bytes, plain

from .models import AuditEntry, Counter
from .versioning import forget_version

_INCREMENT = f"UPDATE {Counter._meta.db_table} SET last = last + 1 WHERE name = %s RETURNING last"  # noqa: S608


def next_number(name: str) -> int:
    """The next number of the gap-free sequence ``name``; call inside the operation's transaction.

    The counter row stays locked until the transaction ends. To keep one lock order (and so no
    deadlock), an action locks its own rows first, then draws its register numbers, and writes
    its audit entries (which draw from the ``audit`` counter) last.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("gap-free numbers must be drawn inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENT, [name])
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    try:
        with transaction.atomic():
            Counter.objects.create(name=name, last=1)
        return 1
    except IntegrityError:  # another transaction created it first; its row lock now queues us
        with connection.cursor() as cursor:
            cursor.execute(_INCREMENT, [name])
            return int(cursor.fetchone()[0])


def record(
    *,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: object,
    policy_version: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Its canonical bytes fix every field, so a later change is detectable."""
    seq = next_number("audit")
    at = timezone.now()
    body = {
        "seq": seq,
        "at": at,
        "actor": actor_id,
        "action": action,
        "subject": {"type": subject_type, "id": str(subject_id)},
        "policy_version": policy_version,
        "before": before,
        "after": after,
    }
    data = canonical_bytes(body)
    forget_version()
    return AuditEntry.objects.create(
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=plain(before),
        after=plain(after),
        policy_version=policy_version,
        canonical=data.decode("utf-8"),
        digest=hashlib.sha256(data).hexdigest(),
    )
