"""The Merkle log, measured in one run (``.venv/bin/python benchmarks/merkle.py``).

1. Appends: an in-memory log of 10,000,000 entries (hash each entry, then ``append``), or as many
   as fit in the time budget, which is then said.
2. Proofs at that size: an inclusion proof (target < 5 ms) and its verification (target < 1 ms),
   and a consistency proof and its verification, as medians over random positions.
3. A full audit: recompute the root of 1,000,000 entries from the entries themselves
   (target < 10 s) and check it against the root the log serves.

Every number is measured here; a missed target is printed as MISSED.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from taawun.domain.merkle import (
    MemoryNodeStore,
    append,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    root_at,
    verify_consistency,
    verify_inclusion,
)

CHECK_EVERY = 1 << 16


def entry(number: int) -> bytes:
    return b"log entry %d" % number


def report(what: str, measured: float, target: float | None, unit: str) -> None:
    verdict = "" if target is None else ("ok" if measured < target else "MISSED")
    goal = "" if target is None else f"target < {target:g} {unit}"
    shown = f"{measured:,.0f}" if measured >= 1000 else f"{measured:.4f}"
    print(f"  {what:<38} {shown:>12} {unit:<4} {goal:<18} {verdict}".rstrip())


def median_ms(action: Callable[[int], object], positions: list[int]) -> float:
    timings = []
    for position in positions:
        started = time.perf_counter()
        action(position)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def build(wanted: int, budget_s: float) -> tuple[MemoryNodeStore, int, float]:
    store = MemoryNodeStore()
    started = time.perf_counter()
    size = 0
    while size < wanted:
        for number in range(size, min(size + CHECK_EVERY, wanted)):
            append(store, number, leaf_hash(entry(number)))
        size = min(size + CHECK_EVERY, wanted)
        if time.perf_counter() - started > budget_s:
            break
    return store, size, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=10_000_000)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds for building")
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(9162)

    print(f"1. Appends (wanted {args.leaves:,} entries, budget {args.budget:g} s)")
    store, size, elapsed = build(args.leaves, args.budget)
    if size < args.leaves:
        print(f"  built {size:,} of {args.leaves:,} entries within the budget: MISSED")
    else:
        print(f"  built all {size:,} entries")
    report("build time", elapsed, None, "s")
    report("appends per second (hash + append)", size / elapsed, None, "/s")
    head = root_at(store, size)

    print(f"2. Proofs in a log of {size:,} entries (median of {args.samples:,})")
    positions = [rng.randrange(size) for _ in range(args.samples)]
    proofs = {index: inclusion_proof(store, index, size) for index in positions}
    report(
        "inclusion proof",
        median_ms(lambda index: inclusion_proof(store, index, size), positions),
        5,
        "ms",
    )
    report(
        "inclusion verification",
        median_ms(
            lambda index: verify_inclusion(
                leaf_hash(entry(index)), index, size, proofs[index], head
            ),
            positions,
        ),
        1,
        "ms",
    )
    assert all(
        verify_inclusion(leaf_hash(entry(index)), index, size, proofs[index], head)
        for index in positions
    )
    old_sizes = [rng.randrange(1, size + 1) for _ in range(args.samples)]
    old_roots = {old: root_at(store, old) for old in old_sizes}
    consistency = {old: consistency_proof(store, old, size) for old in old_sizes}
    report(
        "consistency proof",
        median_ms(lambda old: consistency_proof(store, old, size), old_sizes),
        None,
        "ms",
    )
    report(
        "consistency verification",
        median_ms(
            lambda old: verify_consistency(old, size, old_roots[old], head, consistency[old]),
            old_sizes,
        ),
        None,
        "ms",
    )
    assert all(
        verify_consistency(old, size, old_roots[old], head, consistency[old]) for old in old_sizes
    )
    print(f"  proof length at this size: {len(proofs[positions[0]])} hashes")

    audited = min(args.audit, size)
    print(f"3. Full audit of {audited:,} entries (hash every entry, recompute the root)")
    started = time.perf_counter()
    recomputed = root([leaf_hash(entry(number)) for number in range(audited)])
    elapsed = time.perf_counter() - started
    report("audit", elapsed, 10, "s")
    print(f"  matches the log's root at {audited:,}: {recomputed == root_at(store, audited)}")


if __name__ == "__main__":
    main()
