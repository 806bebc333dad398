"""Signing tree heads, checking heads that witnesses kept, and auditing the stored log.

None of these writes the audit trail: a head signed over the log cannot itself be in the log it
signs. A disagreement — a signed head the tree no longer contains, an entry that no longer
hashes to its leaf — is written down as a :class:`LogAlarm` in its own transaction, so the
evidence stays even though the operation that found it is refused.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import Generator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing, nullcontext
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from taawun.accounts.models import Role
from taawun.accounts.selectors import require_role
from taawun.domain import merkle
from taawun.domain.errors import DomainError, InvalidInput, gettext_noop
from taawun.verifier import (
    Checkpoint,
    VerificationFailed,
    entry_leaves,
    open_checkpoint,
    parse_key,
)

from . import log, signing
from .models import AuditEntry, LogAlarm, TreeHead

AUDIT_CHUNK = 5000
AUDIT_IN_PARALLEL_FROM = 50_000
"""Entries from which an audit rebuilds leaves on every core."""
AUDIT_IN_FLIGHT = 4
"""Chunks being rebuilt while the next ones are read."""
ENTRY_CHANGED = gettext_noop("Entry %(seq)s no longer matches the log. The members are alerted.")
MAX_NOTE = 2000


class LogForked(DomainError):
    """The stored log contradicts a head the co-op signed: refused loudly, never papered over."""

    status = 409


def _forked(detail: str, evidence: str = "") -> LogForked:
    _alarm(LogAlarm.Kind.FORK, detail, evidence)
    return LogForked(
        "log_forked",
        gettext_noop(
            "The log does not contain a tree head the co-op signed: its past has been "
            "rewritten. The members have been alerted on the log's page."
        ),
    )


def _alarm(kind: str, detail: str, evidence: str) -> None:
    """Record the alarm for good (once per finding), whatever happens to the caller's work."""
    with transaction.atomic():
        if not LogAlarm.objects.filter(kind=kind, detail=detail).exists():
            LogAlarm.objects.create(
                kind=kind, detail=detail, evidence=evidence, raised_at=timezone.now()
            )


def _check_still_holds(head: TreeHead, size: int) -> None:
    if head.size > size:
        raise _forked(f"the log has {size} entries but the co-op signed {head.size}", head.note)
    if log.root_at(head.size) != bytes(head.root):
        raise _forked(f"the first {head.size} entries no longer make the signed root", head.note)


def sign_tree_head(*, now: dt.datetime | None = None) -> TreeHead:
    """Sign the log as it stands now, unless the newest head already covers it.

    The newest head must still hold (the tree still has its root at its size) before a new one
    is signed over it: otherwise the co-op would sign a rewritten past."""
    size = log.size()  # nodes are written with the counter, so the tree has at least this many
    latest = TreeHead.objects.first()
    if latest is not None:
        _check_still_holds(latest, size)
        if latest.size >= size:
            return latest
    head = Checkpoint(signing.origin(), size, log.root_at(size))
    try:
        with transaction.atomic():
            return TreeHead.objects.create(
                size=size,
                root=head.root,
                note=signing.sign(head),
                key=str(signing.public_key()),
                signed_at=now or timezone.now(),
            )
    except IntegrityError:  # another process signed this size a moment ago
        return TreeHead.objects.get(size=size)


def fresh_tree_head(*, now: dt.datetime | None = None) -> TreeHead:
    """The newest signed head, signing a new one first if it is older than the setting allows
    and the log has grown since: readers get timely heads without a scheduler."""
    now = now or timezone.now()
    latest = TreeHead.objects.first()
    max_age = dt.timedelta(seconds=settings.LOG_HEAD_MAX_AGE)
    if latest is not None and (now - latest.signed_at < max_age or latest.size == log.size()):
        return latest
    return sign_tree_head(now=now)


def sign_on_request(*, actor: object) -> TreeHead:
    """A member's or the board's request for a head of the log as it is this moment."""
    require_role(actor, Role.MEMBER, Role.BOARD)
    return sign_tree_head()


def check_kept_head(note: str) -> tuple[TreeHead, Checkpoint, list[bytes]]:
    """Check a head a witness kept against the log; returns the newest head, the kept one and
    the consistency proof between them. A head the co-op signed that the log no longer
    contains raises the alarm."""
    if len(note) > MAX_NOTE:
        raise InvalidInput("note_too_long", gettext_noop("That is too long to be a tree head."))
    kept = None
    for key in TreeHead.objects.values_list("key", flat=True).distinct():
        try:
            kept = open_checkpoint(note.replace("\r\n", "\n"), parse_key(key))
            break
        except VerificationFailed:
            continue
    if kept is None:
        raise InvalidInput(
            "not_a_signed_head",
            gettext_noop("This is not a tree head signed by this co-op's log key."),
        )
    latest = fresh_tree_head()
    size = log.size()
    if kept.size > size:
        raise _forked(f"a witness kept a head of {kept.size} entries; the log has {size}", note)
    if log.root_at(kept.size) != kept.root:
        raise _forked(f"a witness kept a head of {kept.size} entries the log no longer makes", note)
    if kept.size > latest.size:
        latest = sign_tree_head()
    return latest, kept, log.consistency_proof(kept.size, latest.size)


def _streamed(sql: str) -> Generator[list[tuple[Any, ...]]]:
    """The rows of ``sql`` a chunk at a time, through a server-side cursor where there is one,
    so a log of millions is audited without holding it all in memory twice."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(AUDIT_CHUNK):
            yield rows


def _workers(entries: int) -> ProcessPoolExecutor | None:
    """Processes to rebuild leaves on every core, for a log big enough to be worth starting
    them (fresh interpreters: they share nothing with this one, database connections least)."""
    if entries < AUDIT_IN_PARALLEL_FROM:
        return None
    return ProcessPoolExecutor(mp_context=multiprocessing.get_context("spawn"))


def _rebuilt(pool: ProcessPoolExecutor | None, rows: list[tuple[Any, ...]]) -> Future[Any]:
    entries = [(canonical, salt) for _seq, canonical, salt, _digest in rows]
    if pool is not None:
        return pool.submit(entry_leaves, entries)
    done: Future[Any] = Future()
    done.set_result(entry_leaves(entries))
    return done


def _first_changed(
    rows: list[tuple[Any, ...]], rebuilt: Future[Any], stored: list[bytes], leaves: list[bytes]
) -> tuple[int, int] | None:
    """Check a chunk's rebuilt leaves against the stored ones, keeping them in ``leaves``; the
    entry and leaf numbers of the first that disagrees, if one does."""
    for (seq, _canonical, _salt, digest), (leaf, content) in zip(
        rows, rebuilt.result(), strict=True
    ):
        size = len(leaves)
        if seq != size + 1 or content != digest or size >= len(stored) or stored[size] != leaf:
            return seq, size
        leaves.append(leaf)
    return None


def audit_log() -> int:
    """Recompute every leaf from the stored entries, compare it with the stored tree, and check
    the root of every signed head; raise the alarm at the first disagreement. Returns the number
    of entries checked. A big log's leaves are rebuilt on every core, chunk by chunk, while the
    next chunks are read."""
    stored = [
        bytes(digest)
        for rows in _streamed(f"SELECT digest FROM {log.TABLE} WHERE level = 0 ORDER BY position")  # noqa: S608  # nosec B608
        for (digest,) in rows
    ]
    leaves: list[bytes] = []
    changed = None
    query = f"SELECT seq, canonical, salt, digest FROM {AuditEntry._meta.db_table} ORDER BY seq"  # noqa: S608  # nosec B608
    pool = _workers(len(stored))
    in_flight: deque[tuple[list[tuple[Any, ...]], Future[Any]]] = deque()
    with (
        pool or nullcontext(),
        transaction.atomic(),  # server-side cursors live in a transaction
        closing(_streamed(query)) as chunks,
    ):
        for rows in chunks:
            in_flight.append((rows, _rebuilt(pool, rows)))
            if len(in_flight) > AUDIT_IN_FLIGHT:
                changed = _first_changed(*in_flight.popleft(), stored, leaves)
                if changed is not None:
                    break
        while changed is None and in_flight:
            changed = _first_changed(*in_flight.popleft(), stored, leaves)
    if changed is not None:  # raised out here, so that the alarm is kept
        seq, size = changed
        raise _tampered(f"entry {seq} does not match leaf {size}", ENTRY_CHANGED, seq=seq)
    rebuilt = merkle.MemoryNodeStore.of_leaves(leaves)
    size = len(leaves)
    for head in TreeHead.objects.all():
        if head.size > size or merkle.root_at(rebuilt, head.size) != bytes(head.root):
            raise _forked(f"the entries do not make the root signed for {head.size}", head.note)
    if size and merkle.root_at(rebuilt, size) != log.root_at(size):
        raise _tampered(
            f"the stored tree of {size} entries has a wrong node",
            gettext_noop("The stored log no longer matches its entries. The members are alerted."),
        )
    return size


def _tampered(detail: str, message: str, **params: object) -> DomainError:
    _alarm(LogAlarm.Kind.TAMPERED, detail, "")
    return DomainError("log_tampered", message, **params)
