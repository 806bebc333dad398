"""What a restore must bring back unchanged, read from whichever database Django is set up on.

The backup tests compare the fingerprint of the co-op they built with that of its restored
copy in another database; run as ``python -m tests.backup_fingerprint`` it prints the
fingerprint of the database the environment names (``DATABASE_URL``, ``TAAWUN_DATA_DIR``) and,
given a directory, writes a backup of that database into it as well.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _all_rows(model: Any) -> list[list[Any]]:
    """Every row of a table, every column, in primary-key order."""
    columns = [f.attname for f in model._meta.concrete_fields]
    pk = [f.attname for f in model._meta.pk_fields]
    return [
        [_plain(v) for v in row] for row in model._base_manager.order_by(*pk).values_list(*columns)
    ]


def fingerprint() -> dict[str, Any]:
    from django.conf import settings

    from taawun.federation.models import CreditLine, Peer
    from taawun.governance.models import Ballot, Participation, Proposal
    from taawun.ledger.models import Account, JournalEntry, Period, Posting
    from taawun.members.models import Instalment, Membership, ShareOperation
    from taawun.school import search
    from taawun.school.models import Attempt, Lesson, Revision
    from taawun.transparency import log
    from taawun.transparency.models import AuditEntry, TreeHead
    from tests.ledger.helpers import books_problems

    size = log.size()
    media = Path(settings.MEDIA_ROOT)
    return {
        "journal": _all_rows(JournalEntry),
        "postings": _all_rows(Posting),
        "balances": {
            f"{a.purpose}:{a.member.number if a.member else '-'}:{a.currency}": str(a.balance)
            for a in Account.objects.select_related("member")
        },
        "periods": _all_rows(Period),
        "books_problems": books_problems(),
        "member_register": [
            [m.number, m.user.email, m.member_class, m.status]
            for m in Membership.objects.select_related("user").order_by("number")
        ],
        "share_register": _all_rows(ShareOperation),
        "instalments": _all_rows(Instalment),
        "proposals": _all_rows(Proposal),
        "tallies": {p.number: p.result for p in Proposal.objects.filter(status="closed")},
        "participations": _all_rows(Participation),
        "ballots": _all_rows(Ballot),
        "audit_trail": _all_rows(AuditEntry),
        "log": {"size": size, "root": log.root_at(size).hex()},
        "signed_heads": _all_rows(TreeHead),
        "peers": _all_rows(Peer),
        "credit_lines": _all_rows(CreditLine),
        "lessons": _all_rows(Lesson),
        "page_versions": _all_rows(Revision),
        "lesson_attempts": _all_rows(Attempt),
        # the index is rebuilt from the texts on restore: the same searches find the same
        "searches": {
            query: [(hit.kind, hit.ref, hit.title) for hit in search.search(query)]
            for query in ("الحجز", "التصويت", "customer", "passkey")
        },
        "media": {
            p.relative_to(media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(media.rglob("*"))
            if p.is_file()
        },
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taawun.settings")
    import django

    django.setup()
    found: dict[str, Any] = {"fingerprint": fingerprint()}
    if len(sys.argv) > 1:  # and a backup of this database into the directory named
        from taawun.backup import backup

        found["archive"] = str(backup(Path(sys.argv[1]), progress=None))
    print(json.dumps(found, sort_keys=True))
