"""The books, measured in one run on PostgreSQL (``make bench-books``).

1. Postings per second through the action layer (``record_sale``: the role check, locks,
   running balances, patronage, the audit entry) against plain INSERTs of the same rows (the
   entry, its postings, its audit entry, the log's nodes, the patronage row), one transaction
   per sale in both cases, on the same tables with the same triggers.
2. Closing a period of MEMBERS members and POSTINGS postings: the rows are loaded with SQL, the
   close runs through ``close_period``.
3. A member's balance and statement: the number of queries for a member with a few postings and
   for one with thousands is the same.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from decimal import Decimal
from pathlib import Path

import database

HERE = Path(__file__).resolve().parent
DB_NAME = "taawun_bench_books"


def found() -> tuple[object, list[int]]:
    from taawun.accounts.actions import create_account
    from taawun.accounts.models import User
    from taawun.coop.actions import found_coop
    from taawun.demo import CLASSES
    from taawun.domain.policy import founding_policy
    from taawun.members import actions as members

    found_coop(
        name_ar="تعاونية القياس",
        name_en="Bench Co-op",
        handle="bench",
        policy=founding_policy(currency="ILS", classes=CLASSES),
        founder_email="board@bench.example",
        founder_name="Board",
        founder_password=None,
        founder_class="worker",
    )
    board = User.objects.get(email="board@bench.example")
    workers = []
    for n in range(20):
        person = create_account(email=f"w{n}@bench.example", full_name=f"W {n}", password=None)
        application = members.apply_for_membership(actor=person, member_class="worker")
        workers.append(members.approve_application(actor=board, application_id=application.pk))
    return board, [w.number for w in workers]


def in_request(action: object) -> object:
    """Run as a web request would: the data version read once, then kept."""
    from taawun.transparency.versioning import end_request_memo, start_request_memo

    token = start_request_memo()
    try:
        return action()  # type: ignore[operator]
    finally:
        end_request_memo(token)


def postings_per_second(board: object, workers: list[int], sales: int) -> tuple[float, float]:
    from django.db import connection, transaction
    from django.utils import timezone

    from taawun.domain.money import Money
    from taawun.ledger import actions
    from taawun.ledger.models import Account, JournalEntry, Posting
    from taawun.transparency.models import AuditEntry

    price, tip = Money(Decimal("100.00"), "ILS"), Money(Decimal("0.00"), "ILS")

    def sale(i: int) -> object:
        return actions.record_sale(
            actor=board,  # type: ignore[arg-type]
            worker_number=workers[i % len(workers)],
            price=price,
            tip=tip,
            method="cash",
            hours=Decimal(2),
        )

    for i in range(50):  # warm caches and connections
        in_request(lambda i=i: sale(i))
    before = Posting.objects.count()
    started = time.perf_counter()
    for i in range(sales):
        in_request(lambda i=i: sale(i))
    action_seconds = time.perf_counter() - started
    posted = Posting.objects.count() - before

    # The same rows, written with plain INSERTs: the entry, its postings, its audit entry, the
    # log's nodes it completes and the worker's patronage row; no locks, no running balances,
    # no checks.
    template = JournalEntry.objects.filter(kind="sale").order_by("-number").first()
    assert template is not None
    lines = list(template.postings.values_list("account_id", "amount", "currency", "balance_after"))
    audit = AuditEntry.objects.order_by("-seq").first()
    assert audit is not None
    accounts = {a.pk for a in Account.objects.all()}
    assert all(line[0] in accounts for line in lines)
    entry_sql = (
        "INSERT INTO ledger_journalentry (number, date, period_id, kind, memo, member_id, hours,"
        " reverses_id, idempotency_key, policy_version, recorded_at, recorded_by_id)"
        " VALUES (%s, %s, %s, 'sale', '', %s, 2, NULL, NULL, %s, %s, %s) RETURNING id"
    )
    posting_sql = (
        "INSERT INTO ledger_posting (entry_id, account_id, amount, currency, balance_after) VALUES "
        + ", ".join(["(%s, %s, %s, %s, %s)"] * len(lines))
    )
    audit_sql = (
        "INSERT INTO transparency_auditentry (seq, at, actor_id, action, subject_type,"
        " subject_id, before, after, policy_version, canonical, salt, digest)"
        " VALUES (%s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s, %s)"
    )
    patronage_sql = (
        "INSERT INTO ledger_patronage (period_id, member_id, hours, revenue, currency)"
        " VALUES (%s, %s, 2, 88, 'ILS') ON CONFLICT (period_id, member_id) DO UPDATE"
        " SET hours = ledger_patronage.hours + 2, revenue = ledger_patronage.revenue + 88"
    )
    first_number = 10_000_000

    def log_nodes(position: int) -> list[object]:
        """The transparency log's nodes that appending leaf ``position`` completes, as the action
        writes them: the leaf, and each subtree it closes (level, position, digest)."""
        nodes: list[object] = [0, position, os.urandom(32)]
        level = 1
        while (position + 1) % (1 << level) == 0:
            nodes += [level, position >> level, os.urandom(32)]
            level += 1
        return nodes

    started = time.perf_counter()
    for i in range(sales):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                entry_sql,
                [
                    first_number + i,
                    template.date,
                    template.period_id,
                    template.member_id,
                    template.policy_version,
                    timezone.now(),
                    template.recorded_by_id,
                ],
            )
            entry_id = cursor.fetchone()[0]
            cursor.execute(posting_sql, [v for line in lines for v in (entry_id, *line)])
            cursor.execute(
                audit_sql,
                [
                    first_number + i,
                    timezone.now(),
                    audit.actor_id,
                    audit.action,
                    audit.subject_type,
                    str(first_number + i),
                    json.dumps(audit.after),
                    audit.policy_version,
                    audit.canonical,
                    audit.salt,
                    audit.digest,
                ],
            )
            nodes = log_nodes(first_number + i)
            cursor.execute(
                "INSERT INTO transparency_lognode (level, position, digest) VALUES "
                + ", ".join(["(%s, %s, %s)"] * (len(nodes) // 3)),
                nodes,
            )
            cursor.execute(patronage_sql, [template.period_id, template.member_id])
    raw_seconds = time.perf_counter() - started
    return posted / action_seconds, sales * len(lines) / raw_seconds


def load_a_year(members: int, postings: int) -> int:
    """MEMBERS worker members and POSTINGS postings (sales of four lines each) in last year,
    written with SQL; balances and patronage made to agree with them. Returns the period id."""
    from django.db import connection
    from django.utils import timezone

    from taawun.ledger.actions import account_for, period_for
    from taawun.ledger.models import Period

    today = timezone.localdate()
    period = period_for(dt.date(today.year - 1, 6, 1))
    sales = postings // 4
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # load without the triggers
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, email, full_name, is_staff,"
            " is_active, date_joined, language) SELECT '!', false, 'm' || g || '@bench.example',"
            " 'M ' || g, false, true, now(), '' FROM generate_series(1, %s) g",
            [members],
        )
        cursor.execute("SELECT COALESCE(MAX(number), 0) FROM members_membership")
        start = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO members_membership (user_id, number, member_class, status, joined_on)"
            " SELECT id, %s + row_number() OVER (ORDER BY id), 'worker', 'active', %s"
            " FROM accounts_user WHERE email LIKE 'm%%@bench.example'",
            [start, dt.date(today.year - 1, 1, 1)],
        )
        cursor.execute(
            "INSERT INTO ledger_account (purpose, member_id, currency, kind, code, balance,"
            " opened_on) SELECT 'owed_to_member', id, 'ILS', 'liability',"
            " '2000-' || lpad(number::text, 4, '0'), 0, %s FROM members_membership"
            " WHERE number > %s",
            [dt.date(today.year - 1, 1, 1), start],
        )
        ids = {
            purpose: account_for(purpose, "ILS").pk
            for purpose in ("cash", "fees_members", "solidarity_fund", "expenses")
        }
        cursor.execute("SELECT COALESCE(MAX(number), 0) FROM ledger_journalentry")
        first = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_journalentry (number, date, period_id, kind, memo, member_id,"
            " hours, policy_version, recorded_at) SELECT %s + g, %s::date + (g %% 365), %s,"
            " 'sale', '', m.id, 2, 1, now() FROM generate_series(1, %s) g"
            " JOIN members_membership m ON m.number = %s + 1 + (g %% %s)",
            [first, dt.date(today.year - 1, 1, 1), period.pk, sales, start, members],
        )
        for account, amount, member in (
            (ids["cash"], "100.00", False),
            (None, "-88.00", True),
            (ids["fees_members"], "-10.00", False),
            (ids["solidarity_fund"], "-2.00", False),
        ):
            account_sql = (
                "(SELECT a.id FROM ledger_account a WHERE a.purpose = 'owed_to_member'"
                " AND a.member_id = e.member_id)"
                if member
                else str(account)
            )
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, amount, currency,"
                f" balance_after) SELECT e.id, {account_sql}, %s, 'ILS', 0"
                " FROM ledger_journalentry e WHERE e.number > %s",
                [amount, first],
            )
        cursor.execute(
            "UPDATE ledger_account a SET balance = s.total FROM (SELECT account_id,"
            " SUM(amount) total FROM ledger_posting GROUP BY account_id) s"
            " WHERE a.id = s.account_id"
        )
        cursor.execute(
            "INSERT INTO ledger_patronage (period_id, member_id, hours, revenue, currency)"
            " SELECT %s, member_id, SUM(hours), 88 * COUNT(*), 'ILS' FROM ledger_journalentry"
            " WHERE number > %s GROUP BY member_id",
            [period.pk, first],
        )
        cursor.execute(
            "INSERT INTO transparency_counter (name, last, edge) VALUES ('journal', %s, '')"
            " ON CONFLICT (name) DO UPDATE SET last = EXCLUDED.last",
            [first + sales],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE")
    return Period.objects.get(pk=period.pk).pk


def close_seconds(board: object, period_id: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from taawun.ledger import actions

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        in_request(lambda: actions.close_period(actor=board, period_id=period_id))  # type: ignore[arg-type]
    return time.perf_counter() - started, len(queries)


def statement_queries() -> tuple[int, int, int, int]:
    """Queries for a member's statement, the caches warm: one with the fewest postings, one with
    the most."""
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from taawun.ledger import selectors
    from taawun.ledger.models import Posting
    from taawun.members.models import Membership

    counts = (
        Posting.objects.filter(account__member__isnull=False)
        .values("account__member")
        .annotate(n=Count("id"))
        .order_by("n")
    )
    few, many = counts.first(), counts.last()
    assert few is not None and many is not None
    found = []
    for row in (few, many):
        member = Membership.objects.select_related("user").get(pk=row["account__member"])
        in_request(lambda member=member: selectors.statement(member.user, member))  # warm
        with CaptureQueriesContext(connection) as queries:
            in_request(lambda member=member: selectors.statement(member.user, member))
        found.append((row["n"], len(queries)))
    return found[0][0], found[0][1], found[1][0], found[1][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--postings", type=int, default=1_000_000)
    args = parser.parse_args()
    database.recreate(DB_NAME)
    database.setup_django(DB_NAME)
    board, workers = found()
    action_rate, raw_rate = postings_per_second(board, workers, args.sales)
    print(f"postings/s, action layer     {action_rate:10.0f}")
    print(f"postings/s, raw INSERTs      {raw_rate:10.0f}")
    print(f"action layer vs raw          {action_rate / raw_rate:10.0%}   (target >= 40%)")
    started = time.perf_counter()
    period_id = load_a_year(args.members, args.postings)
    print(
        f"loaded {args.members} members, {args.postings} postings in "
        f"{time.perf_counter() - started:.1f} s"
    )
    seconds, queries = close_seconds(board, period_id)
    print(f"period close                 {seconds:10.2f} s   ({queries} queries; target < 10 s)")
    few, few_q, many, many_q = statement_queries()
    print(f"statement, {few} postings   {few_q:4d} queries")
    print(f"statement, {many} postings  {many_q:4d} queries   (the same: O(1))")


if __name__ == "__main__":
    main()
