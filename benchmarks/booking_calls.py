"""What one booking call costs the server, in process (``make bench-booking-calls``).

Builds the booking benchmark's co-op (``booking_seed.py``) in a fresh PostgreSQL database, then
runs whole bookings one after the other through Django's test client (no network, no other
load): the upfront price, the request, the driver taking it, pick-up and completion. For each
call it prints the median time, the statements sent (besides BEGIN and COMMIT) and the
database driver's waits (round trips); then the time Python's garbage collector spent during
the timed bookings, and its longest full collection. The process is set up as a server
process is (``taawun.wsgi``: every URL loaded, then what was loaded set aside from the
collector); ``--no-freeze`` leaves that last step out, to see what it saves.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
import uuid
from collections import defaultdict
from typing import Any

import database

DB_NAME = "taawun_bench_booking_calls"
TRIPS = "/api/market/trips"


def server_seconds(pid: int) -> float:
    """Processor time the PostgreSQL process ``pid`` has used, in seconds (Linux schedstat)."""
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[0]) / 1e9


class Collector:
    """Time spent in each generation's collections, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.started = 0.0
        self.spent: dict[int, list[float]] = defaultdict(list)
        gc.callbacks.append(self.note)

    def note(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.spent[info["generation"]].append(time.perf_counter() - self.started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--no-freeze", action="store_true")
    args = parser.parse_args()
    database.recreate(DB_NAME)
    database.setup_django(DB_NAME)
    if args.no_freeze:
        gc.freeze = lambda: None  # type: ignore[assignment]
    import psycopg
    from booking_seed import seed
    from django.db import connection
    from django.test import Client

    import taawun.wsgi  # noqa: F401  # loads as a server process does

    people = seed(1)
    customer, driver = people["customers"][0], people["workers"][0]
    where = {"pickup": {"place": people["pickup"]}, "dropoff": {"place": people["dropoff"]}}
    client = Client()
    waits = [0]
    waiting = psycopg.Connection.wait

    def counted(self: psycopg.Connection[Any], *args: Any, **kwargs: Any) -> Any:
        waits[0] += 1
        return waiting(self, *args, **kwargs)

    psycopg.Connection.wait = counted  # type: ignore[method-assign]
    times: dict[str, list[float]] = defaultdict(list)
    trips: dict[str, list[int]] = defaultdict(list)
    statements: dict[str, list[int]] = defaultdict(list)
    own_cpu: dict[str, list[float]] = defaultdict(list)
    server_cpu: dict[str, list[float]] = defaultdict(list)

    sent = [0]

    def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent[0] += 1
        return execute(sql, params, many, context)

    def call(name: str, path: str, token: str, body: object = None, key: bool = False) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if key:
            headers["HTTP_IDEMPOTENCY_KEY"] = uuid.uuid4().hex
        before, before_sent = waits[0], sent[0]
        cpu, server = time.process_time(), server_seconds(backend)
        started = time.perf_counter()
        response = client.post(
            path,
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            **headers,
        )
        times[name].append((time.perf_counter() - started) * 1000)
        own_cpu[name].append((time.process_time() - cpu) * 1000)
        server_cpu[name].append((server_seconds(backend) - server) * 1000)
        trips[name].append(waits[0] - before)
        statements[name].append(sent[0] - before_sent)
        if response.status_code >= 300:
            raise RuntimeError(f"{name}: {response.status_code} {response.content[:200]!r}")
        return response.json()

    def booking() -> None:
        quote = call("quote", f"{TRIPS}/quote", customer, {"kind": "ride", **where})
        body = {"kind": "ride", **where, "method": "cash", "expected_price": quote["price"]}
        order = call("request", f"{TRIPS}/", customer, body, key=True)
        number = order["order"]["id"]
        call("take", f"{TRIPS}/{number}/take", driver)
        call("pickup", f"{TRIPS}/{number}/pickup", driver)
        call("complete", f"{TRIPS}/{number}/complete", driver, {"km": "1.9", "minutes": 6}, True)

    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    connection.execute_wrappers.append(counting)
    for _ in range(20):  # warm caches, connections and imports
        booking()
    for measures in (times, trips, statements, own_cpu, server_cpu):
        measures.clear()
    collector = Collector()
    started = time.perf_counter()
    for _ in range(args.bookings):
        booking()
    whole = (time.perf_counter() - started) * 1000 / args.bookings
    print(f"{args.bookings} bookings in process, one after the other, PostgreSQL")
    print(
        f"{'call':<10}{'p50 ms':>9}{'Python ms':>11}{'PostgreSQL ms':>15}{'statements':>12}"
        f"{'round trips':>13}"
    )
    for name, values in times.items():
        print(
            f"{name:<10}{statistics.median(values):>9.2f}{statistics.fmean(own_cpu[name]):>11.2f}"
            f"{statistics.fmean(server_cpu[name]):>15.2f}{statistics.median(statements[name]):>12.0f}"
            f"{statistics.median(trips[name]):>13.0f}"
        )
    print(f"a whole booking: {whole:.1f} ms")
    for generation, spent in sorted(collector.spent.items()):
        print(
            f"garbage collection, generation {generation}: {len(spent)} runs,"
            f" {sum(spent) * 1000:.1f} ms, longest {max(spent) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
