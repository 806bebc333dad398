"""The transparency log on PostgreSQL, measured in one run (``make bench-log``).

1. Appends: ENTRIES audit entries shaped like a sale's, written through ``audit.write`` in
   batches of 1,000, one transaction each (numbered, salted, enveloped, stored and folded into
   the stored tree). After each batch the very rows it wrote are inserted raw into twin tables,
   one transaction per batch: the entries alone (``executemany``), then the entries with their
   tree nodes, so every rate comes from the same run and the same rows.
2. A full audit (``audit_log``) of those entries, and where its time goes: a profile of the same
   audit taken when the log held 100,000 entries.
3. What the log adds to an ordinary action, a trip request: timed with the log as it is and with
   a baseline ``write`` that leaves the log out, in alternating blocks.
4. Proofs at 10,000,000 entries: a tree built in memory and loaded into ``LogNode`` with COPY,
   then inclusion and consistency proofs served from the database, each checked against the
   root.

Every number is measured here; a missed target is printed as MISSED.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import database
from seeds import DROPOFF, PICKUP, found_bench_coop

HERE = Path(__file__).resolve().parent
DB_NAME = "bench_log"
BATCH = 1000
PROFILE_AT = 100_000
BLOCK = 25
"""Actions per timed block; blocks with and without the log alternate (ABBA)."""
SAMPLES = 200
ENTRY_COLUMNS = (
    "seq, at, actor_id, action, subject_type, subject_id, before, after, policy_version,"
    " canonical, salt, digest"
)
RESULTS: list[tuple[str, str, str, str]] = []


def result(what: str, shown: str, target: str = "", met: bool | None = None) -> None:
    """Print a measurement now and keep it for the final table."""
    verdict = "" if met is None else ("ok" if met else "MISSED")
    RESULTS.append((what, shown, target, verdict))
    print(f"  {what:<46} {shown:>16}  {target:<14} {verdict}".rstrip())


def raw_cursor() -> Any:
    """A psycopg cursor on Django's connection that binds on the server: ``executemany`` then
    sends one prepared statement, pipelined, which is as fast as plain INSERTs get."""
    import psycopg
    from django.db import connection

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def found() -> tuple[list[Any], Any]:
    """The co-op, through the real actions as ``booking_seed.py`` builds it, with two places
    and a few customers to ask for trips."""
    from taawun.accounts.actions import create_account

    board, _places = found_bench_coop(
        handle="bench", name_ar="تعاونية القياس", name_en="Bench Co-op", password=None
    )
    customers = [
        create_account(email=f"customer{n}@bench.example", full_name=f"C {n}", password=None)
        for n in range(4)
    ]
    return customers, board


def sale_entries(first: int, count: int, actor_id: int, rng: random.Random) -> list[dict]:
    """Entries as ``audit.record`` hands them to ``write``: a sale in the books, with the
    member's number, the amount and its lines (Decimals, made plain as ``record`` does)."""
    from django.utils import timezone

    from taawun.domain.canonical import plain

    today = timezone.localdate()
    entries = []
    for number in range(first, first + count):
        amount = Decimal(rng.randrange(500, 50_000)) / 100
        fee = (amount / 10).quantize(Decimal("0.01"))
        member = rng.randrange(1, 500)
        after = {
            "date": today,
            "member": member,
            "amount": amount,
            "lines": [
                ["1000", amount, "ILS"],
                [f"2000-{member:04d}", -(amount - fee), "ILS"],
                ["4100", -fee, "ILS"],
            ],
        }
        entries.append(
            {
                "at": timezone.now(),
                "actor": actor_id,
                "action": "books.sale",
                "subject": {"type": "journal_entry", "id": str(number)},
                "policy_version": 1,
                "before": None,
                "after": plain(after),
            }
        )
    return entries


def written_rows(cursor: Any, size: int, count: int) -> tuple[list[tuple], list[tuple]]:
    """The entry rows and tree nodes that appending leaves ``size`` … ``size + count - 1``
    wrote. Leaf i closes node (level, p) when (p + 1) * 2**level == i + 1."""
    cursor.execute(
        f"SELECT {ENTRY_COLUMNS} FROM transparency_auditentry"
        " WHERE seq > %s AND seq <= %s ORDER BY seq",
        [size, size + count],
    )
    entries = cursor.fetchall()
    clauses, params = [], []
    level = 0
    while (size + count) >> level:
        low = -(-(size + 1) >> level) - 1
        high = ((size + count) >> level) - 1
        if low <= high:
            clauses.append("(level = %s AND position BETWEEN %s AND %s)")
            params += [level, low, high]
        level += 1
    cursor.execute(
        "SELECT level, position, digest FROM transparency_lognode WHERE " + " OR ".join(clauses),
        params,
    )
    return entries, cursor.fetchall()


def top_of(profile: cProfile.Profile, count: int = 12) -> None:
    """The functions the profiled run spent most of its own time in."""
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    items = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    print(f"  profile of audit_log() at {PROFILE_AT:,} entries: {total:.2f} s under cProfile")
    print("    own time  share      calls  cumulative  function")
    for (file, line, name), (_primitive, calls, own, cumulative, _callers) in items[:count]:
        where = name if file == "~" else f"{Path(file).parent.name}/{Path(file).name}:{line} {name}"
        print(f"    {own:7.2f} s {own / total:6.1%} {calls:>10,} {cumulative:9.2f} s  {where}")


def appends(total: int, actor_id: int, rng: random.Random) -> cProfile.Profile:
    """Step 1: the log path and raw INSERTs of the same rows, batch after batch."""
    from django.db import connection, transaction

    from taawun.transparency import actions, audit, log

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_raw (LIKE transparency_auditentry INCLUDING ALL)")
        cursor.execute("CREATE TABLE bench_raw_entry (LIKE transparency_auditentry INCLUDING ALL)")
        cursor.execute("CREATE TABLE bench_raw_node (LIKE transparency_lognode INCLUDING ALL)")
    cursor = raw_cursor()
    values = ", ".join(["%s"] * 12)
    to_raw = f"INSERT INTO bench_raw ({ENTRY_COLUMNS}) VALUES ({values})"
    to_raw_entry = f"INSERT INTO bench_raw_entry ({ENTRY_COLUMNS}) VALUES ({values})"
    # The nodes as one multi-row INSERT of three arrays: four times faster than executemany for
    # these small rows, so the raw figure is the lower bound it should be.
    to_raw_node = (
        "INSERT INTO bench_raw_node (level, position, digest)"
        " SELECT * FROM unnest(%s::int2[], %s::int8[], %s::bytea[])"
    )
    spent = {"log": 0.0, "raw": 0.0, "raw_tree": 0.0}
    nodes = 0
    profile = cProfile.Profile()
    started_all = time.perf_counter()
    done = 0
    while done < total:
        count = min(BATCH, total - done)
        entries = sale_entries(done + 1, count, actor_id, rng)
        size = log.size()
        started = time.perf_counter()
        with transaction.atomic():
            audit.write(entries)
        spent["log"] += time.perf_counter() - started

        entry_rows, node_rows = written_rows(cursor, size, count)  # untimed
        assert len(entry_rows) == count
        nodes += len(node_rows)
        started = time.perf_counter()
        with transaction.atomic():
            cursor.executemany(to_raw, entry_rows)
        spent["raw"] += time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic():
            cursor.executemany(to_raw_entry, entry_rows)
            cursor.execute(to_raw_node, [list(column) for column in zip(*node_rows, strict=True)])
        spent["raw_tree"] += time.perf_counter() - started

        done += count
        if done == min(PROFILE_AT, total):
            profile.runcall(actions.audit_log)
        if done % 100_000 == 0 or done == total:
            print(
                f"  … {done:,} entries ({time.perf_counter() - started_all:.0f} s; log path so"
                f" far {done / spent['log']:,.0f}/s)",
                flush=True,
            )
    size = log.size()
    with connection.cursor() as check:
        check.execute("SELECT count(*) FROM transparency_lognode")
        stored = check.fetchone()[0]
    # A tree of n leaves stores 2n - popcount(n) complete subtrees, no more, no less.
    assert stored == 2 * size - size.bit_count(), (stored, size)

    log_rate, raw_rate = total / spent["log"], total / spent["raw"]
    result("append: audit.write, log path", f"{log_rate:,.0f} /s", ">= 10,000 /s", log_rate >= 1e4)
    result("append: raw INSERTs, entries", f"{raw_rate:,.0f} /s")
    result("append: raw INSERTs, entries + nodes", f"{total / spent['raw_tree']:,.0f} /s")
    result("append: log path vs raw entries", f"{log_rate / raw_rate:.0%}")
    print(f"  ({nodes:,} tree nodes written with {total:,} entries; {stored:,} in the tree)")
    return profile


def full_audit(profile: cProfile.Profile) -> None:
    """Step 2: ``audit_log`` over everything step 1 wrote (the founding's entries too)."""
    from taawun.transparency import actions

    started = time.perf_counter()
    checked = actions.audit_log()
    seconds = time.perf_counter() - started
    result(f"full audit of {checked:,} entries", f"{seconds:.1f} s", "< 10 s", seconds < 10)
    result("  per entry", f"{seconds / checked * 1e6:.1f} µs")
    top_of(profile)


def action_cost(customers: list[Any], per_mode: int) -> None:
    """Step 3: a trip request with the log and with the baseline write, alternating blocks."""
    from django.db import transaction

    from taawun.domain import geo
    from taawun.domain.canonical import plain
    from taawun.market.trips import actions as trips
    from taawun.transparency import audit, log
    from taawun.transparency.models import AuditEntry
    from taawun.transparency.rows import append_rows
    from taawun.transparency.versioning import end_request_memo, start_request_memo
    from taawun.verifier import canonical_json, envelope, envelope_leaf, verify_inclusion

    noted: list[tuple[int, str]] = []

    def baseline_write(entries: list[dict[str, Any]]) -> None:
        """BASELINE, for comparison only: ``audit.write`` without the transparency log.

        The same numbering, canonical JSON and row insert as ``audit.write``, with a plain
        SHA-256 of each entry in place of the salt, the envelope and the tree. Its entries are
        noted so that the tree can be brought up to date between blocks, untimed."""
        first = audit.next_numbers("audit", len(entries))
        rows = []
        for seq, entry in enumerate(entries, start=first):
            body = plain({"seq": seq, **entry})
            text = canonical_json(body).decode("utf-8")
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
                    "",
                    hashlib.sha256(text.encode()).hexdigest(),
                )
            )
        append_rows((AuditEntry, audit.ENTRY_COLUMNS, rows))
        noted.extend((row[0], row[9]) for row in rows)

    def catch_up() -> None:
        """Fold the baseline's entries into the tree. With an empty salt an entry's envelope
        hashes its text to exactly the baseline's digest, so they are valid log entries."""
        if not noted:
            return
        first = noted[0][0]
        assert [seq for seq, _ in noted] == list(range(first, first + len(noted)))
        with transaction.atomic():
            log.extend(first - 1, [envelope_leaf(envelope(json.loads(t), t, "")) for _, t in noted])
        noted.clear()

    real_write = audit.write
    writes = {"log": real_write, "baseline": baseline_write}
    write_times: dict[str, list[float]] = {"log": [], "baseline": []}
    action_times: dict[str, list[float]] = {"log": [], "baseline": []}
    pickup, dropoff = geo.point(*PICKUP), geo.point(*DROPOFF)

    def request(customer: Any) -> None:
        token = start_request_memo()  # as a web request runs it: the data version read once
        try:
            trips.request_trip(
                actor=customer,
                kind="ride",
                pickup=pickup,
                dropoff=dropoff,
                pickup_label="Al-Manara",
                dropoff_label="Al-Bireh municipality",
                method="cash",
                tip=Decimal(0),
            )
        finally:
            end_request_memo(token)

    def block(mode: str, record: bool) -> None:
        write = writes[mode]

        def timed_write(entries: list[dict[str, Any]]) -> None:
            started = time.perf_counter()
            write(entries)
            if record:
                write_times[mode].append(time.perf_counter() - started)

        audit.write = timed_write
        try:
            for n in range(BLOCK):
                started = time.perf_counter()
                request(customers[n % len(customers)])
                if record:
                    action_times[mode].append(time.perf_counter() - started)
        finally:
            audit.write = real_write
        catch_up()

    for mode in ("log", "baseline"):  # warm-up
        block(mode, record=False)
    blocks = max(1, per_mode // BLOCK)
    for n in range(blocks):
        order = ("log", "baseline") if n % 2 == 0 else ("baseline", "log")  # ABBA
        for mode in order:
            block(mode, record=True)

    size = log.size()  # the tree still holds every entry: the last one's proof checks out
    last = AuditEntry.objects.get(seq=size)
    leaf = envelope_leaf(envelope(json.loads(last.canonical), last.canonical, last.salt))
    assert verify_inclusion(
        leaf, size - 1, size, log.inclusion_proof(size - 1, size), log.root_at(size)
    )

    ms = {mode: [t * 1000 for t in times] for mode, times in action_times.items()}
    medians = {mode: statistics.median(times) for mode, times in ms.items()}
    means = {mode: statistics.fmean(times) for mode, times in ms.items()}
    print(f"  {len(ms['log'])} trip requests each way, log at {size:,} entries, blocks of {BLOCK}")
    result("trip request, with the log (median)", f"{medians['log']:.2f} ms")
    result("trip request, baseline (median)", f"{medians['baseline']:.2f} ms")
    result("trip request, with the log (mean)", f"{means['log']:.2f} ms")
    result("trip request, baseline (mean)", f"{means['baseline']:.2f} ms")
    for mode in ("log", "baseline"):
        result(
            f"  audit write alone, {mode} (median)",
            f"{statistics.median(write_times[mode]) * 1000:.2f} ms",
        )
    added = medians["log"] / medians["baseline"] - 1
    result("cost the log adds to an action (medians)", f"{added:+.1%}", "<= 10%", added <= 0.10)
    result("cost the log adds to an action (means)", f"{means['log'] / means['baseline'] - 1:+.1%}")


def proofs(leaves: int, rng: random.Random) -> None:
    """Step 4: a tree of ``leaves`` entries in ``LogNode``, and proofs served from it."""
    from django.db import connection

    from taawun.domain import merkle
    from taawun.transparency import log
    from taawun.verifier import leaf_hash, verify_consistency, verify_inclusion

    store = merkle.MemoryNodeStore()
    started = time.perf_counter()
    for index in range(leaves):
        merkle.append(store, index, leaf_hash(b"entry %d" % index))
        if (index + 1) % 2_000_000 == 0:
            print(
                f"  … built {index + 1:,} leaves ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    print(f"  built a tree of {leaves:,} leaves in memory in {time.perf_counter() - started:.1f} s")
    head = merkle.root_at(store, leaves)

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE transparency_lognode")  # the append-only trigger is per row
    rows = 2 * leaves - leaves.bit_count()
    started = time.perf_counter()
    copied = 0
    with (
        raw_cursor() as cursor,
        cursor.copy(
            "COPY transparency_lognode (level, position, digest) FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["int2", "int8", "bytea"])
        for level in range(leaves.bit_length()):
            for position in range(leaves >> level):
                copy.write_row((level, position, store.get(level, position)))
            copied += leaves >> level
            print(
                f"  … level {level}: {copied:,} of {rows:,} nodes copied"
                f" ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE transparency_counter SET last = %s WHERE name = 'audit'", [leaves])
        cursor.execute("ANALYZE transparency_lognode")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('transparency_lognode'))")
        table_size = cursor.fetchone()[0]
    took = time.perf_counter() - started
    print(f"  loaded {rows:,} nodes with COPY and analysed them in {took:.0f} s ({table_size})")
    assert log.size() == leaves
    started = time.perf_counter()
    served = log.root_at(leaves)
    root_ms = (time.perf_counter() - started) * 1000
    assert served == head, "the stored tree's root is not the one built in memory"

    def timed(call: Callable[[], object]) -> tuple[float, object]:
        started = time.perf_counter()
        answer = call()
        return (time.perf_counter() - started) * 1000, answer

    proof_ms, verify_ms, lengths = [], [], set()
    for index in (rng.randrange(leaves) for _ in range(SAMPLES)):
        took, path = timed(lambda index=index: log.inclusion_proof(index, leaves))
        proof_ms.append(took)
        lengths.add(len(path))  # type: ignore[arg-type]
        took, ok = timed(
            lambda index=index, path=path: verify_inclusion(
                leaf_hash(b"entry %d" % index), index, leaves, path, served
            )
        )
        verify_ms.append(took)
        assert ok, f"the inclusion proof of leaf {index} does not verify"
    old_proof_ms, old_verify_ms = [], []
    for old in (rng.randrange(1, leaves) for _ in range(SAMPLES)):
        old_root = log.root_at(old)
        assert old_root == merkle.root_at(store, old)
        took, path = timed(lambda old=old: log.consistency_proof(old, leaves))
        old_proof_ms.append(took)
        took, ok = timed(
            lambda old=old, path=path, old_root=old_root: verify_consistency(
                old, leaves, old_root, served, path
            )
        )
        old_verify_ms.append(took)
        assert ok, f"the consistency proof from {old} does not verify"
    print(
        f"  {SAMPLES} inclusion and {SAMPLES} consistency proofs, all verified against the root;"
        f" inclusion proofs of {min(lengths)} to {max(lengths)} hashes"
    )
    inclusion, verify = statistics.median(proof_ms), statistics.median(verify_ms)
    at = f"{leaves:,} entries"
    result(f"root of the log of {at}", f"{root_ms:.2f} ms")
    result(f"inclusion proof at {at} (median)", f"{inclusion:.2f} ms", "< 5 ms", inclusion < 5)
    result("  verifying it (median)", f"{verify:.3f} ms", "< 1 ms", verify < 1)
    result(f"consistency proof at {at} (median)", f"{statistics.median(old_proof_ms):.2f} ms")
    result("  verifying it (median)", f"{statistics.median(old_verify_ms):.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (about a minute)")
    parser.add_argument("--entries", type=int, help="entries appended (1,000,000; quick 100,000)")
    parser.add_argument("--leaves", type=int, help="leaves for the proofs (10,000,000; quick 1M)")
    parser.add_argument("--actions", type=int, help="trip requests each way (300; quick 50)")
    args = parser.parse_args()
    entries = args.entries or (100_000 if args.quick else 1_000_000)
    leaves = args.leaves or (1_000_000 if args.quick else 10_000_000)
    per_mode = args.actions or (50 if args.quick else 300)
    rng = random.Random(9162)
    started = time.perf_counter()

    database.recreate(DB_NAME)
    database.setup_django(DB_NAME)
    with raw_cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(f"nproc {len(os.sched_getaffinity(0))}, PostgreSQL {version}, database {DB_NAME}")
    print("load average at the start: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    customers, board = found()

    print(f"1. Appends: {entries:,} entries in batches of {BATCH:,}, one transaction each;")
    print("   after each batch its rows raw, into twin tables (same rows, same run)")
    profile = appends(entries, board.pk, rng)
    print("2. Full audit")
    full_audit(profile)
    print(
        f"3. The cost the log adds to an action: {per_mode} trip requests with, {per_mode} without"
    )
    action_cost(customers, per_mode)
    print(f"4. Proofs at {leaves:,} entries, served from the database")
    proofs(leaves, rng)

    print(
        f"\nSummary ({time.perf_counter() - started:.0f} s in all; load average at the end:"
        f" {', '.join(f'{load:.2f}' for load in os.getloadavg())})"
    )
    print(f"  {'what':<46} {'measured':>16}  {'target':<14} verdict")
    for what, shown, target, verdict in RESULTS:
        print(f"  {what:<46} {shown:>16}  {target:<14} {verdict}".rstrip())


if __name__ == "__main__":
    main()
