"""The federation inbox against an unsigned no-op POST, side by side, on PostgreSQL.

One command (``make bench-inbox``): founds a co-op in a fresh database, stores one sister co-op
(the sender, whose key is known, so the inbox never fetches it), serves the platform with
gunicorn, and drives it with CLIENTS concurrent clients, one target after the other:

1. an unsigned no-op POST (``/bench/noop/``), the same body as the activities;
2. signed activities (draft-cavage, RSA-2048, as Mastodon signs): each a new ``Create{Note}``,
   which the inbox checks, stores once by its id and ignores;
3. the same with RFC 9421 signatures;
4. the activities of 2 and 3 sent again: the duplicates an idempotent inbox must store nothing
   for.

Signing is the sender's cost, not the inbox's: every request is built and signed before its
run, then the clients only send bytes and read the answer, so the client costs the shared
processors as little as it can for both targets alike. Prints requests per second, p50, p99 and
the ratio to the no-op POST, then checks that every activity acknowledged as new is stored
exactly once and the duplicates stored nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing
import multiprocessing.pool
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database
import run

from taawun.federation import signatures

DB_NAME = "bench_inbox"
HOST, PORT = run.BIND.split(":")
SITE = f"http://{run.BIND}"
INBOX = "/ap/inbox"
NOOP = "/bench/noop/"
SENDER = "http://127.0.0.1:1"  # never contacted: its key is stored with it
ACTOR = f"{SENDER}/ap/actor"
KEY_ID = f"{ACTOR}#main-key"
STATUSES = f"{SENDER}/users/sender/statuses/"
CODES = {"cavage": "c", "rfc": "r"}  # in activity ids: warm-up or timed, scheme, attempt
WARM_POOL = 1000  # signed activities per scheme for the warm-up, which also sizes the runs
TARGET_SHARE, TARGET_RATE = 0.30, 300

_plans: list[list[bytes]] = []  # each client's requests, set before the client processes fork
_key: signatures.PrivateKey | None = None  # the sender's key, in each signing process


@dataclass
class Outcome:
    """What one run measured, summed over its clients."""

    times: list[float] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)  # per client: how many of its plan were sent
    new: int = 0
    duplicates: int = 0
    errors: int = 0
    ran_out: bool = False
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.times) / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def activity(run_code: str, number: int) -> bytes:
    """A Create{Note} shaped like Mastodon's, the same size for every run and number."""
    name = f"{run_code}{number:08d}"
    note = f"{STATUSES}{name}"
    published = "2026-11-24T10:00:00Z"
    return json.dumps(
        {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": f"{note}/activity",
            "type": "Create",
            "actor": ACTOR,
            "published": published,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [f"{ACTOR}/followers"],
            "object": {
                "id": note,
                "type": "Note",
                "summary": None,
                "inReplyTo": None,
                "published": published,
                "url": f"{SENDER}/@sender/{name}",
                "attributedTo": ACTOR,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [f"{ACTOR}/followers"],
                "sensitive": False,
                "content": "<p>وصلت طلبية الخضار إلى المخزن، والتوزيع غداً صباحاً.</p>",
                "contentMap": {"ar": "<p>وصلت طلبية الخضار إلى المخزن، والتوزيع غداً صباحاً.</p>"},
                "attachment": [],
                "tag": [],
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def raw_request(path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {run.BIND}"]
    lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "host"]
    lines += ["Content-Type: application/activity+json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _load_key(pem: str) -> None:
    global _key
    _key = signatures.load_private_key_pem(pem)


def _signed(job: tuple[str, str, int]) -> bytes:
    scheme, run_code, number = job
    assert _key is not None
    body = activity(run_code, number)
    sign = signatures.sign_cavage if scheme == "cavage" else signatures.sign_rfc9421
    headers = sign(
        method="POST",
        url=SITE + INBOX,
        body=body,
        key_id=KEY_ID,
        private_key=_key,
        now=dt.datetime.now(dt.UTC),
        headers={"Host": run.BIND},
    )
    return raw_request(INBOX, headers, body)


def forked(processes: int, **options: object) -> multiprocessing.pool.Pool:
    """A pool of forked processes; no database connection crosses the fork."""
    from django.db import connections

    connections.close_all()
    return multiprocessing.get_context("fork").Pool(processes, **options)  # type: ignore[arg-type]


def sign_all(pem: str, scheme: str, run_code: str, count: int, processes: int) -> list[bytes]:
    """``count`` new activities, signed on every core (the sender's work, before the run)."""
    with forked(processes, initializer=_load_key, initargs=(pem,)) as pool:
        jobs = [(scheme, run_code, n) for n in range(count)]
        return pool.map(_signed, jobs, chunksize=200)


def deal(requests: list[bytes], clients: int) -> list[list[bytes]]:
    return [requests[n::clients] for n in range(clients)]


Tally = tuple[list[float], int, int, int, int, bool, float]


def _client(plan: list[bytes], cycle: bool, start: float, stop: float) -> Tally:
    """Send the plan's requests one at a time until ``stop``, then finish the one in flight.
    Returns the latencies, how many were sent, answered new, answered duplicate and refused,
    whether the plan ran out, and when the client stopped."""
    times: list[float] = []
    sent = new = duplicates = errors = 0
    ran_out = False
    time.sleep(max(0.0, start - time.monotonic()))
    while time.monotonic() < stop:
        if sent == len(plan) and not cycle:
            ran_out = True
            break
        data = plan[sent % len(plan)]
        sent += 1
        began = time.perf_counter()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as connection:
                connection.settimeout(30)
                connection.connect((HOST, int(PORT)))
                connection.sendall(data)
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
        except OSError:
            errors += 1
            continue
        times.append((time.perf_counter() - began) * 1000)
        if answer[9:10] != b"2":
            errors += 1
        elif b'"new": true' in answer:
            new += 1
        elif b'"outcome": "duplicate"' in answer:
            duplicates += 1
    return times, sent, new, duplicates, errors, ran_out, time.monotonic()


def _client_process(job: tuple[list[int], bool, float, float]) -> list[Tally]:
    """One client process: a thread per client; the threads wait on the network, not the GIL."""
    indexes, cycle, start, stop = job
    with ThreadPoolExecutor(len(indexes)) as threads:
        return list(threads.map(lambda i: _client(_plans[i], cycle, start, stop), indexes))


def drive(plans: list[list[bytes]], seconds: float, cycle: bool, processes: int) -> Outcome:
    """Every client sends its own plan for ``seconds``, spread over ``processes`` processes."""
    global _plans
    _plans = plans
    start = time.monotonic() + 0.5
    share = math.ceil(len(plans) / processes)
    jobs = [
        (list(range(len(plans)))[p * share : (p + 1) * share], cycle, start, start + seconds)
        for p in range(processes)
    ]
    with forked(processes) as pool:
        results = [out for outs in pool.map(_client_process, jobs) for out in outs]  # in order
    outcome = Outcome()
    ends = []
    for times, sent, new, duplicates, errors, ran_out, end in results:
        outcome.times += times
        outcome.sent.append(sent)
        outcome.new += new
        outcome.duplicates += duplicates
        outcome.errors += errors
        outcome.ran_out |= ran_out
        ends.append(end)
    outcome.seconds = max(ends) - start
    return outcome


def sent_requests(plans: list[list[bytes]], outcome: Outcome) -> list[bytes]:
    return [data for plan, sent in zip(plans, outcome.sent, strict=True) for data in plan[:sent]]


def seed() -> str:
    """The co-op and its one sister co-op, the sender; returns the sender's private key (PEM)."""
    os.environ["SITE_URL"] = SITE
    database.recreate(DB_NAME)
    database.setup_django(DB_NAME)
    from django.utils import timezone

    from taawun.coop.actions import found_coop
    from taawun.demo import CLASSES
    from taawun.domain.policy import founding_policy
    from taawun.federation.models import Peer

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
    key = signatures.generate_actor_key()
    Peer.objects.create(
        actor_id=ACTOR,
        handle="sender@127.0.0.1:1",
        name="Sender",
        inbox=f"{SENDER}/ap/inbox",
        key_id=KEY_ID,
        public_key_pem=signatures.public_key_pem(key.public_key()),
        fetched_at=timezone.now(),
    )
    return signatures.private_key_pem(key)


def stored(run_code: str = "") -> int:
    from taawun.federation.models import Received

    return Received.objects.filter(activity_id__startswith=STATUSES + run_code).count()


def signed_run(
    pem: str, scheme: str, rate: float, args: argparse.Namespace
) -> tuple[list[list[bytes]], Outcome, str]:
    """Sign enough new activities for ``args.seconds`` at ``args.margin`` times ``rate``, then
    send them; if the clients run out (the server was faster than the warm-up said), sign twice
    as many and run again. Returns the plans, what was measured, and the run's code."""
    per_client = math.ceil(args.margin * rate * args.seconds / args.clients) + 5
    for attempt in range(3):
        code = f"t{CODES[scheme]}{attempt}"
        signed = sign_all(pem, scheme, code, per_client * args.clients, os.cpu_count() or 1)
        plans = deal(signed, args.clients)
        outcome = drive(plans, args.seconds, False, args.client_processes)
        if not outcome.ran_out:
            break
        print(f"{scheme}: {per_client} activities a client were too few; signing twice as many")
        per_client *= 2
    return plans, outcome, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="per run; at most 40")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the clients run in"
    )
    parser.add_argument(
        "--margin", type=float, default=1.6, help="sign this many times the warm-up rate's need"
    )
    args = parser.parse_args()
    if args.seconds > 40:  # the duplicates' signatures must still be fresh (300 s)
        parser.error("--seconds is at most 40")
    load_before = os.getloadavg()
    pem = seed()
    noop = deal([raw_request(NOOP, {}, activity("np0", 0))] * args.clients, args.clients)
    server = subprocess.Popen(
        [
            str(run.BIN / "gunicorn"),
            "taawun.wsgi:application",
            "--bind",
            run.BIND,
            "--workers",
            str(args.workers),
        ],
        env={**run.env(), "DATABASE_URL": database.url(DB_NAME), "SITE_URL": SITE},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run.wait_until_up(f"{SITE}/bench/bare/")
        drive(noop, 2, True, args.client_processes)
        warm = {}
        for scheme in CODES:
            signed = sign_all(pem, scheme, f"w{CODES[scheme]}0", WARM_POOL, os.cpu_count() or 1)
            warm[scheme] = drive(deal(signed, args.clients), 2, False, args.client_processes).rate

        base = drive(noop, args.seconds, True, args.client_processes)
        runs, codes, again = {}, {}, []
        for scheme in CODES:
            plans, runs[scheme], codes[scheme] = signed_run(pem, scheme, warm[scheme], args)
            again += sent_requests(plans, runs[scheme])
        before = stored()
        runs["duplicates"] = drive(
            deal(again, args.clients), args.seconds, True, args.client_processes
        )
        after = stored()
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, base, runs, codes, warm, load_before, (before, after))


def report(
    args: argparse.Namespace,
    base: Outcome,
    runs: dict[str, Outcome],
    codes: dict[str, str],
    warm: dict[str, float],
    load_before: tuple[float, float, float],
    totals: tuple[int, int],
) -> None:
    body = len(activity("np0", 0))
    print(
        f"inbox, PostgreSQL, {args.workers} gunicorn sync workers, {args.clients} clients in"
        f" {args.client_processes} processes (pre-built requests on raw sockets), {args.seconds:g}s"
        f" each, {body}-byte bodies"
    )
    print(
        f"warm-up, not counted: 2 s no-op, then 2 s of signed activities per scheme (each worker"
        f" reads the sender's key once and opens its database connection):"
        f" {warm['cavage']:.0f}/s draft-cavage, {warm['rfc']:.0f}/s RFC 9421"
    )
    labels = {
        "cavage": "signed, draft-cavage, new",
        "rfc": "signed, RFC 9421, new",
        "duplicates": "signed, duplicates",
    }
    print(f"{'target':<28}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'vs no-op':>10}{'errors':>8}")
    for label, outcome in [("unsigned no-op POST", base)] + [
        (labels[k], v) for k, v in runs.items()
    ]:
        print(
            f"{label:<28}{outcome.rate:>8.0f}{outcome.percentile(0.5):>9.1f}"
            f"{outcome.percentile(0.99):>9.1f}{outcome.rate / base.rate:>9.0%}{outcome.errors:>8}"
        )
    failures = []
    for scheme in ("cavage", "rfc"):
        outcome = runs[scheme]
        share, rate = outcome.rate / base.rate, outcome.rate
        print(
            f"{labels[scheme]}: {rate:.0f} activities/s, {share:.0%} of the no-op POST"
            f" (target >= {TARGET_SHARE:.0%}: {'met' if share >= TARGET_SHARE else 'MISSED'};"
            f" >= {TARGET_RATE}/s: {'met' if rate >= TARGET_RATE else 'MISSED'})"
        )
        rows = stored(codes[scheme])
        print(
            f"check {scheme}: {sum(outcome.sent)} sent, {outcome.new} acknowledged as new,"
            f" {rows} stored"
        )
        if outcome.ran_out:
            failures.append(f"{scheme}: ran out of signed activities (raise --margin)")
        if rows != outcome.new or outcome.new != sum(outcome.sent):
            failures.append(f"{scheme}: stored {rows}, acknowledged {outcome.new} as new")
    dup = runs["duplicates"]
    print(
        f"check duplicates: {len(dup.times)} sent, {dup.duplicates} answered duplicate,"
        f" {dup.new} as new; activities stored before {totals[0]}, after {totals[1]}"
    )
    if dup.new or dup.duplicates != len(dup.times) or totals[0] != totals[1]:
        failures.append("duplicates: something was stored again")
    if any(outcome.errors for outcome in (base, *runs.values())):
        failures.append("some answers were not 2xx")
    load_after = os.getloadavg()
    print(
        f"load average (1, 5, 15 min): before {' '.join(f'{v:.2f}' for v in load_before)},"
        f" after {' '.join(f'{v:.2f}' for v in load_after)}, on {os.cpu_count()} cores"
    )
    for failure in failures:
        print(f"FAILED {failure}")
    if failures:
        raise SystemExit(1)
    print("checks passed: every new activity stored exactly once, no duplicate stored, all 2xx")


if __name__ == "__main__":
    main()
