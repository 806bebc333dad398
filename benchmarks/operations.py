"""The operations room at a million orders, on PostgreSQL (``make bench-operations``).

Builds a co-op with monthly accounting periods in a fresh database (``bench_ops`` unless
``--database`` names another): the founder and WORKERS worker members through the real
actions, SALES sales recorded through the books' action, a few open proposals, CUSTOMERS
customer accounts and ORDERS orders spread over the last year and the five sectors; the orders
of the last two days are partly still open. Then, as the real actions would leave them, the
books of the current period: every completed order placed in it paid in cash, each with its
sale entry and postings (cash, what is owed to the worker, the co-op's fee, the solidarity
fund: the accounts and amounts of ``ledger.actions.post_sale``, each posting with its account's
running balance after it), the accounts' balances and the workers' patronage brought up to
date; and the orders' fulfilment events over the whole year (placed, offered and sometimes
declined for trips, confirmed, delivered, completed, paid or cancelled: about four per order).
All of that is written with INSERT … SELECT (the actions would take hours).

Then, as a signed-in member through Django's test client (the whole request: middleware,
selectors, template), it measures the room's server time (the first request, then the median
and p95 of REQUESTS more), its SQL queries (and that the count is the same as with no orders
at all), and the gzip-compressed bytes of the page with its stylesheet and script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import database

HERE = Path(__file__).resolve().parent
TARGETS = {"ms": 200, "queries": 20, "kb": 100}
STATIC = ("taawun/site.css", "taawun/htmx.min.js")


def found(workers: int, sales: int) -> tuple[object, list[int]]:
    """The co-op, its worker members, their sales in the books and three open proposals."""
    from taawun.accounts.actions import create_account
    from taawun.accounts.models import User
    from taawun.coop.actions import found_coop
    from taawun.demo import CLASSES
    from taawun.domain.money import Money
    from taawun.domain.policy import founding_policy
    from taawun.governance import actions as governance
    from taawun.ledger import actions as ledger
    from taawun.members import actions as members

    policy = founding_policy(currency="ILS", classes=CLASSES)
    monthly = policy.accounting.model_copy(update={"period": "month"})
    found_coop(
        name_ar="تعاونية القياس",
        name_en="Bench Co-op",
        handle="bench",
        policy=policy.model_copy(update={"accounting": monthly}),
        founder_email="board@bench.example",
        founder_name="Board",
        founder_password=None,
        founder_class="worker",
    )
    board = User.objects.get(email="board@bench.example")
    memberships = []
    for n in range(workers):
        person = create_account(email=f"w{n}@bench.example", full_name=f"W {n}", password=None)
        application = members.apply_for_membership(actor=person, member_class="worker")
        memberships.append(members.approve_application(actor=board, application_id=application.pk))
    for i in range(sales):
        ledger.record_sale(
            actor=board,
            worker_number=memberships[i % workers].number,
            price=Money(Decimal(20 + i % 60), "ILS"),
            tip=Money(Decimal(i % 3), "ILS"),
            method="cash",
            hours=Decimal(1 + i % 4) / 2,
        )
    for title in ("Buy a second van", "Open on Fridays", "Raise the solidarity share"):
        governance.propose(actor=board, kind="ordinary", title=title)
    return board, [m.pk for m in memberships]


def load_orders(orders: int, customers: int, worker_ids: list[int]) -> float:
    """CUSTOMERS accounts and ORDERS orders over the last year, with SQL. Returns seconds."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, email, full_name, is_staff,"
            " is_active, date_joined) SELECT '!', false, 'c' || g || '@bench.example', 'C ' || g,"
            " false, true, now() FROM generate_series(1, %s) g",
            [customers],
        )
        cursor.execute("SELECT min(id), max(id) FROM accounts_user WHERE email LIKE 'c%%'")
        first_customer, last_customer = cursor.fetchone()
        # Trips are the busiest sector; every part of the price is exact to the minor unit.
        cursor.execute(
            """
            INSERT INTO market_order (sector, status, customer_id, worker_id, title, currency,
                price, tax, coop_fee, solidarity, worker_share, tip, hours, policy_version,
                quote, created_at, updated_at)
            SELECT o.sector,
                   CASE WHEN o.at > now() - interval '2 days' AND o.g %% 3 = 0 THEN 'requested'
                        WHEN o.at > now() - interval '2 days' AND o.g %% 3 = 1 THEN 'confirmed'
                        WHEN o.g %% 10 = 0 THEN 'cancelled' ELSE 'completed' END,
                   %(first)s + o.g %% (%(last)s - %(first)s + 1),
                   CASE WHEN o.at > now() - interval '2 days' AND o.g %% 3 = 0 THEN NULL
                        ELSE (%(workers)s::bigint[])[1 + o.g %% %(n)s] END,
                   'Order ' || o.g, 'ILS', o.price, 0, round(o.price * 0.10, 2),
                   round(o.price * 0.02, 2), o.price - round(o.price * 0.10, 2)
                       - round(o.price * 0.02, 2),
                   0, (1 + o.g %% 6) * 0.5, 1, '[]', o.at, o.at
            FROM (
                SELECT g,
                       (ARRAY['trip', 'trip', 'trip', 'trip', 'service', 'service',
                              'product', 'product', 'project', 'work'])
                           [1 + (g::bigint * 7919) %% 10] AS sector,
                       now() - random() * interval '365 days' AS at,
                       (20 + g %% 180)::numeric(12, 2) AS price
                FROM generate_series(1, %(orders)s) g
            ) o
            """,
            {
                "first": first_customer,
                "last": last_customer,
                "workers": worker_ids,
                "n": len(worker_ids),
                "orders": orders,
            },
        )
    with connection.cursor() as cursor:  # outside a transaction: VACUUM cannot run in one
        cursor.execute("VACUUM ANALYZE market_order")
    return time.perf_counter() - started


PAID = """
CREATE TEMP TABLE paid AS
SELECT row_number() OVER (ORDER BY o.created_at, o.id) AS n, o.id AS order_id,
       o.worker_id AS member_id, owed.id AS owed_account, o.price + o.tip AS paid,
       o.worker_share + o.tip AS earned, o.coop_fee, o.solidarity, o.hours, o.created_at AS at
FROM market_order o
JOIN ledger_account owed ON owed.member_id = o.worker_id AND owed.purpose = 'owed_to_member'
    AND owed.currency = o.currency
WHERE o.status = 'completed' AND o.created_at >= %(since)s
"""
ENTRIES = """
INSERT INTO ledger_journalentry (id, number, date, period_id, kind, memo, member_id, hours,
    idempotency_key, policy_version, recorded_at, recorded_by_id)
SELECT %(first_id)s + n, %(first_number)s + n - 1, (at AT TIME ZONE %(tz)s)::date, %(period)s,
       'sale', '', member_id, hours, 'order-payment:' || order_id, 1, at, %(board)s
FROM paid
"""
# The legs of post_sale (no tax under the bench policy), in its order; each posting's balance
# after it is the account's balance before the load plus the legs up to and including it.
LEGS = """
CREATE TEMP TABLE legs AS
SELECT %(first_posting)s + (n - 1) * 4 + l.leg AS id, %(first_id)s + n AS entry_id,
       l.account_id, l.amount
FROM paid, LATERAL (VALUES (1, %(cash)s::bigint, paid), (2, owed_account, -earned),
                           (3, %(fees)s::bigint, -coop_fee),
                           (4, %(solidarity)s::bigint, -solidarity)) AS l(leg, account_id, amount)
"""
POSTINGS = """
INSERT INTO ledger_posting (id, entry_id, account_id, amount, currency, balance_after)
SELECT l.id, l.entry_id, l.account_id, l.amount, a.currency,
       a.balance + SUM(l.amount) OVER (PARTITION BY l.account_id ORDER BY l.id)
FROM legs l JOIN ledger_account a ON a.id = l.account_id
"""
BALANCES = """
UPDATE ledger_account a SET balance = a.balance + moved.total
FROM (SELECT account_id, SUM(amount) AS total FROM legs GROUP BY account_id) moved
WHERE a.id = moved.account_id
"""
PATRONAGE = """
INSERT INTO ledger_patronage (period_id, member_id, hours, revenue, currency)
SELECT %(period)s, member_id, SUM(hours), SUM(earned), 'ILS' FROM paid GROUP BY member_id
ON CONFLICT (period_id, member_id) DO UPDATE
SET hours = ledger_patronage.hours + excluded.hours,
    revenue = ledger_patronage.revenue + excluded.revenue
"""
# Trips are offered (one in eight declined first and offered again), then confirmed; work
# done is delivered, completed and, in the current period, paid.
EVENTS = """
INSERT INTO market_orderevent (order_id, kind, at, note, data)
SELECT o.id, e.kind, LEAST(o.created_at + e.after, now()), '', '{}'::jsonb
FROM market_order o, LATERAL (VALUES
    ('placed', interval '0', true),
    ('offered', interval '1 minute', o.sector = 'trip' AND o.status <> 'requested'),
    ('declined', interval '2 minutes', o.sector = 'trip' AND o.status <> 'requested'
        AND mod(o.id, 8) = 0),
    ('offered', interval '3 minutes', o.sector = 'trip' AND o.status <> 'requested'
        AND mod(o.id, 8) = 0),
    ('confirmed', interval '5 minutes', o.status IN ('confirmed', 'completed')),
    ('delivered', o.hours * interval '1 hour', o.status = 'completed'),
    ('completed', o.hours * interval '1 hour' + interval '1 hour', o.status = 'completed'),
    ('paid', o.hours * interval '1 hour' + interval '1 hour', o.payment_id IS NOT NULL),
    ('cancelled', interval '10 minutes', o.status = 'cancelled')
) AS e(kind, after, happened)
WHERE e.happened
"""


def load_books(board: object) -> tuple[float, int]:
    """Every completed order placed in the current period paid, as ``market.actions
    .take_payment`` would have posted it. Returns seconds and how many were paid."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from taawun.ledger.models import Account, Period
    from taawun.transparency.audit import next_numbers

    started = time.perf_counter()
    period = Period.objects.containing(timezone.localdate()).get()
    since = timezone.make_aware(dt.datetime.combine(period.starts_on, dt.time()))
    accounts = dict(Account.objects.filter(member__isnull=True).values_list("purpose", "pk"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(PAID, {"since": since})
        cursor.execute("SELECT count(*) FROM paid")
        (paid,) = cursor.fetchone()
        cursor.execute("SELECT max(id) FROM ledger_journalentry")
        (last_entry,) = cursor.fetchone()
        cursor.execute("SELECT max(id) FROM ledger_posting")
        (last_posting,) = cursor.fetchone()
        ids = {
            "first_id": last_entry,
            "first_number": next_numbers("journal", paid),
            "first_posting": last_posting,
            "tz": settings.TIME_ZONE,
            "period": period.pk,
            "board": board.pk,  # type: ignore[attr-defined]
            "cash": accounts["cash"],
            "fees": accounts["fees_members"],
            "solidarity": accounts["solidarity_fund"],
        }
        cursor.execute(ENTRIES, ids)
        cursor.execute(LEGS, ids)
        cursor.execute(POSTINGS)
        cursor.execute(BALANCES)
        cursor.execute(PATRONAGE, ids)
        cursor.execute(
            "UPDATE market_order o SET payment_id = %(first_id)s + p.n FROM paid p"
            " WHERE o.id = p.order_id",
            ids,
        )
        for table in ("ledger_journalentry", "ledger_posting"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        cursor.execute("DROP TABLE paid, legs")
    with connection.cursor() as cursor:
        for table in ("ledger_journalentry", "ledger_posting", "ledger_account", "market_order"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started, paid


def load_events() -> tuple[float, int]:
    """The orders' fulfilment events. Returns seconds and how many."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(EVENTS)
        events = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE market_orderevent")
    return time.perf_counter() - started, events


def measure(board: object, requests: int) -> dict[str, float]:
    from django.contrib.staticfiles import finders
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    client.force_login(board)  # type: ignore[arg-type]
    url = reverse("operations:room")

    def timed() -> tuple[float, bytes]:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed, response.content

    first, _page = timed()
    for _ in range(5):
        timed()
    times = sorted(timed()[0] for _ in range(requests))
    with CaptureQueriesContext(connection) as queries:
        _elapsed, page = timed()
    static = b"".join(Path(str(finders.find(name))).read_bytes() for name in STATIC)
    return {
        "first": first,
        "median": statistics.median(times),
        "p95": times[max(int(len(times) * 0.95) - 1, 0)],
        "queries": len(queries),
        "page_kb": len(gzip.compress(page)) / 1024,
        "static_kb": sum(
            len(gzip.compress(Path(str(finders.find(name))).read_bytes())) for name in STATIC
        )
        / 1024,
        "raw_kb": (len(page) + len(static)) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=60)
    parser.add_argument("--sales", type=int, default=600)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database", default="bench_ops")
    args = parser.parse_args()

    database.recreate(args.database)
    database.setup_django(args.database, "operations")
    board, worker_ids = found(args.workers, args.sales)
    empty = measure(board, 5)
    seconds = load_orders(args.orders, args.customers, worker_ids)
    print(f"Loaded {args.orders:,} orders and {args.customers:,} customers in {seconds:.1f} s")
    seconds, paid = load_books(board)
    print(f"Paid the current period's {paid:,} completed orders in the books in {seconds:.1f} s")
    seconds, events = load_events()
    print(f"Loaded {events:,} order events in {seconds:.1f} s")
    from django.core.cache import cache

    cache.clear()  # the orders were written into weeks that had ended: count them afresh
    full = measure(board, args.requests)
    total_kb = full["page_kb"] + full["static_kb"]
    print(f"\nOperations room, {args.orders:,} orders, PostgreSQL, {args.requests} requests")
    print(f"{'':34}{'measured':>12}{'target':>12}")
    print(f"{'server time, median (ms)':34}{full['median']:>12.1f}{'< 200':>12}")
    print(f"{'server time, p95 (ms)':34}{full['p95']:>12.1f}{'< 200':>12}")
    print(f"{'server time, first request (ms)':34}{full['first']:>12.1f}{'':>12}")
    print("  (the first counts the ended weeks and keeps them; the others count the live days)")
    print(f"{'SQL queries':34}{full['queries']:>12.0f}{'< 20':>12}")
    print(f"{'SQL queries with no orders':34}{empty['queries']:>12.0f}{'the same':>12}")
    print(f"{'page, gzip (KB)':34}{full['page_kb']:>12.1f}")
    print(f"{'stylesheet and script, gzip (KB)':34}{full['static_kb']:>12.1f}")
    print(f"{'transferred in all, gzip (KB)':34}{total_kb:>12.1f}{'< 100':>12}")
    print(f"{'uncompressed in all (KB)':34}{full['raw_kb']:>12.1f}")
    failed = (
        full["p95"] >= TARGETS["ms"]
        or full["queries"] >= TARGETS["queries"]
        or full["queries"] != empty["queries"]
        or total_kb >= TARGETS["kb"]
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
