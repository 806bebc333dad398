"""The invariants after a load test (load.py runs it once locust has stopped and the background
worker has drained); prints one line per check and exits non-zero on any violation.

``python load_check.py OUT LOG...``: OUT is the locust users' record (acknowledged bookings with
their Idempotency-Keys); LOG are the servers' logs, searched for 500s.

- the books balance (``books_problems``) and every journal entry balances per currency;
- the transparency log audits clean (``audit_log``);
- one ballot per member per proposal, and as many ballots as members who voted;
- every acknowledged booking persisted: its order exists and is a service order, and no key was
  answered with two orders;
- orders created == distinct keys acknowledged, and any other order is explained by a key whose
  stored answer never reached the client (a request cut off when the test stopped);
- no 500 in the servers' logs.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import database
import load_seed

BOOKINGS_PATH = "/api/market/services/bookings"
# gunicorn's access log: ... "POST /path HTTP/1.1" 500 ...; Django's log of a server error.
SERVER_ERROR = re.compile(r'" 5(?!03)\d\d |Internal Server Error|Traceback')


def main(out: str, logs: list[str]) -> int:
    database.setup_django(load_seed.DB_NAME, "load")

    from django.db.models import Count, Sum
    from tests.ledger.helpers import books_problems

    from taawun.apikeys.models import IdempotencyRecord
    from taawun.governance.models import Ballot, Participation
    from taawun.ledger.models import Posting
    from taawun.market.models import Order
    from taawun.transparency.actions import audit_log

    violations: list[str] = []

    def check(ok: bool, label: str, detail: str = "") -> None:
        shown = detail if detail not in ("", "[]", "{}", "set()") else ""
        print(f"{'ok  ' if ok else 'FAIL'} {label}{f': {shown}' if shown else ''}")
        if not ok:
            violations.append(label)

    problems = books_problems()
    check(not problems, "the books are sound", "; ".join(problems[:3]))
    unbalanced = [
        row
        for row in Posting.objects.values("entry_id", "currency").annotate(total=Sum("amount"))
        if row["total"] != Decimal(0)
    ]
    check(not unbalanced, "every journal entry balances per currency", str(unbalanced[:3]))

    try:
        entries = audit_log()
        check(True, "the transparency log audits clean", f"{entries} entries")
    except Exception as problem:  # the audit raises the alarm with what it found
        check(False, "the transparency log audits clean", repr(problem))

    twice = list(
        Participation.objects.values("proposal_id", "member_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    check(not twice, "one ballot per member per proposal", str(twice[:3]))
    voted = dict(
        Participation.objects.values_list("proposal_id").annotate(n=Count("id")).order_by()
    )
    ballots = dict(Ballot.objects.values_list("proposal_id").annotate(n=Count("id")).order_by())
    check(
        voted == ballots,
        "as many ballots as members who voted, per proposal",
        f"{sum(ballots.values())} ballots on {len(ballots)} proposals",
    )

    record = json.loads(Path(out).read_text())
    acknowledged: dict[str, list[int]] = record["acknowledged"]
    two = {key: ids for key, ids in acknowledged.items() if len(set(ids)) > 1}
    check(not two, "no Idempotency-Key was answered with two orders", str(list(two.items())[:3]))
    acked_ids = {ids[0] for ids in acknowledged.values()}
    services = set(Order.objects.filter(sector="service").values_list("pk", flat=True))
    every = set(Order.objects.values_list("pk", flat=True))
    missing = acked_ids - every
    check(not missing, "every acknowledged booking persisted", f"{len(acked_ids)} acknowledged")
    not_service = (acked_ids & every) - services
    check(not not_service, "every acknowledged booking is a service order", str(not_service))

    stored: dict[int, list[str]] = defaultdict(list)
    for key, body in IdempotencyRecord.objects.filter(path=BOOKINGS_PATH, status=201).values_list(
        "key", "body"
    ):
        stored[json.loads(body)["id"]].append(key)
    doubled = {order: keys for order, keys in stored.items() if len(keys) > 1}
    check(not doubled, "no order was stored as the answer to two keys", str(doubled)[:200])
    wrong = {
        k: ids[0] for k, ids in acknowledged.items() if ids[0] in stored and k not in stored[ids[0]]
    }
    check(not wrong, "each acknowledged order is the one stored for its key", str(wrong)[:200])
    unexplained = services - set(stored)
    unacknowledged = set(stored) - acked_ids
    check(
        not unexplained and len(services) == len(acknowledged) + len(unacknowledged),
        "orders created == distinct keys acknowledged (+ answers that never reached the client)",
        f"{len(services)} service orders, {len(acknowledged)} keys acknowledged,"
        f" {len(unacknowledged)} answered but not received, {len(unexplained)} unexplained",
    )

    server_errors = []
    for log in logs:
        for line in Path(log).read_text(errors="replace").splitlines():
            if SERVER_ERROR.search(line):
                server_errors.append(f"{Path(log).name}: {line[:160]}")
    check(not server_errors, "no 500 in the servers' logs", "; ".join(server_errors[:3]))

    if violations:
        print(f"VIOLATIONS: {', '.join(violations)}")
        return 1
    print("all invariants hold")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
