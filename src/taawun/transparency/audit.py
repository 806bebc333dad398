"""Writing the audit trail: one entry per action, in the action's own transaction."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import connection, transaction
from django.db.utils import IntegrityError
from django.utils import timezone

from taawun.domain.canonical import canonical_bytes, plain
from taawun.verifier import canonical_json, envelope, envelope_leaf

from . import log
from .hostversion import Version
from .models import AuditEntry, Counter
from .rows import append_rows
from .versioning import forget_version

_ADVANCE = f"UPDATE {Counter._meta.db_table} SET last = last + %s WHERE name = %s RETURNING last"  # noqa: S608  # nosec B608


def next_number(name: str) -> int:
    """The next number of the gap-free sequence ``name``; call inside the operation's transaction.

    The counter row stays locked until the transaction ends. To keep one lock order (and so no
    deadlock), an action locks its own rows first, then draws its register numbers; its audit
    entries draw from the ``audit`` counter last of all, as the transaction commits.
    """
    return next_numbers(name, 1)


def next_numbers(name: str, count: int) -> int:
    """Draw ``count`` consecutive numbers of the sequence ``name`` at once; returns the first.

    Same locking rule as ``next_number``."""
    if connection.get_autocommit():
        raise RuntimeError("gap-free numbers must be drawn inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute(_ADVANCE, [count, name])
        row = cursor.fetchone()
    if row is not None:
        return int(row[0]) - count + 1
    try:
        with transaction.atomic():
            Counter.objects.create(name=name, last=count)
        return 1
    except IntegrityError:  # another transaction created it first; its row lock now queues us
        with connection.cursor() as cursor:
            cursor.execute(_ADVANCE, [count, name])
            return int(cursor.fetchone()[0]) - count + 1


def record(
    *,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: object,
    policy_version: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one entry for the action under way.

    Inside a transaction the entry waits until the transaction is about to commit (see
    ``deferred.DeferredAudit``): then it gets the next number of the trail. The trail's counter
    is so locked only for the last moment of each transaction, and the trail's order is the
    order in which actions took effect. An action that is rolled back leaves no entry.
    """
    entry = {
        "at": timezone.now(),
        "actor": actor_id,
        "action": action,
        "subject": {"type": subject_type, "id": str(subject_id)},
        "policy_version": policy_version,
        "before": plain(before),  # copies, so later changes by the caller cannot reach them
        "after": plain(after),
    }
    canonical_bytes(entry)  # refuses what has no canonical form now, inside the action
    forget_version()
    pending = getattr(connection, "pending_audit", None)
    if pending is not None and not connection.get_autocommit():
        pending.append(entry)
    else:
        with transaction.atomic():
            write([entry])


ENTRY_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "action",
    "subject_type",
    "subject_id",
    "before",
    "after",
    "policy_version",
    "canonical",
    "salt",
    "digest",
)


def write(entries: list[dict[str, Any]]) -> None:
    """Number ``entries`` (as ``record`` makes them) in order, store them, and append them to
    the transparency log.

    Each entry's canonical bytes fix every field, so a later change is detectable; a fresh
    random salt per entry keeps its public hash from revealing what it hashes."""
    first, edge = _numbered(len(entries))
    rows, leaves = [], []
    for seq, entry in enumerate(entries, start=first):
        body = {"seq": seq, **entry, "at": plain(entry["at"])}  # the rest is plain already
        text = canonical_json(body).decode("utf-8")
        salt = secrets.token_hex(16)
        public = envelope(body, text, salt)
        leaves.append(envelope_leaf(public))
        subject = body["subject"]
        rows.append(
            (
                seq,
                entry["at"],
                body["actor"],
                body["action"],
                subject["type"],
                subject["id"],
                body["before"],
                body["after"],
                body["policy_version"],
                text,
                salt,
                public["content"],
            )
        )
    nodes, packed = log.grown(first - 1, leaves, edge)
    append_rows((AuditEntry, ENTRY_COLUMNS, rows), nodes, then=(log.STORE_EDGE, [packed]))
    last_seq, last_digest = rows[-1][0], str(rows[-1][-1])[:16]
    kept: Version | None = getattr(connection, "audit_written", None)  # earlier in this commit
    if any(changes_rules(entry["action"]) for entry in entries):
        rules, tag = _move_rules_version(last_digest), last_digest
    else:
        rules, tag = (kept.rules, kept.rules_tag) if kept else (0, "")
    connection.audit_written = Version(last_seq, last_digest, rules, tag)  # type: ignore[attr-defined]  # shared at commit


RULES_NEUTRAL = (
    "books.",
    "order.",
    "trips.",
    "services.",
    "shop.",
    "works.",
    "project.",
    "school.",
    "fairness.",
)
"""Actions that never change a role, a membership, an account, the co-op or its policy. Every
other action moves the rules version (see ``versioning.rules_version``): an action missing from
this list only costs a cache refresh, while one wrongly in it would leave a role or a rule stale,
so the list names whole families of work, payments and learning, and nothing else."""


SETTING_UP = ("trips.place_",)
"""Actions inside those families that set up the co-op's work rather than do it (the board
naming the trips' places): they move the rules version, under which they are cached."""


def changes_rules(action: str) -> bool:
    return action.startswith(SETTING_UP) or not action.startswith(RULES_NEUTRAL)


_MOVE_RULES = (
    f"UPDATE {Counter._meta.db_table} SET last = last + 1, edge = %s"  # noqa: S608  # nosec B608
    " WHERE name = 'rules' RETURNING last"
)


def _move_rules_version(tag: str) -> int:
    """Count one more change of roles or rules, tagged with the entry that made it. Taken after
    the audit counter, as the transaction commits: the same lock order for every action."""
    with connection.cursor() as cursor:
        cursor.execute(_MOVE_RULES, [tag.encode("ascii")])
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    number = next_number("rules")  # the first change ever: the counter row is made
    Counter.objects.filter(name="rules").update(edge=tag.encode("ascii"))
    return number


def _numbered(count: int) -> tuple[int, dict[tuple[int, int], bytes] | None]:
    """The first of ``count`` new numbers of the trail, and the log's edge before them, from one
    statement: the counter's row keeps the edge, and its lock, held from here to the commit,
    keeps both current. At the trail's very first entry there is no row yet, nor any edge."""
    with connection.cursor() as cursor:
        cursor.execute(log.ADVANCE, [count])
        advanced = cursor.fetchone()
    if advanced is None:
        return next_numbers("audit", count), None
    last, packed = advanced
    return last - count + 1, log.unpacked(last - count, bytes(packed))
