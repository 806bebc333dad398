"""Ranked-vote counting, measured in one run (``.venv/bin/python benchmarks/votes.py``).

Ballots are drawn with a fixed seed from a mixture of voter blocs: candidates sit on a
left-right line, each bloc prefers the candidates near its own position, and each voter ranks
by those preferences plus Gumbel noise (a Plackett-Luce model), then stops after 1 to all
candidates (short ballots are the most common). So ballots exhaust, blocs split, and the count
takes several rounds.

1. Instant-runoff over 1,000,000 ballots and 10 candidates: ``ranked_ballots`` (checking and
   grouping the raw array) plus ``instant_runoff``; target < 1 s for the two together.
2. STV for 3 seats over 100,000 ballots and 10 candidates, checking included; target < 2 s.
3. The test oracle (pyrankvote) against this code on a slice of the same ballots: both times,
   the ratio, and whether they elect the same candidates.

Each time is the median of a few runs after a warm-up; a missed target is printed as MISSED.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from taawun.domain.voting import instant_runoff, ranked_ballots, single_transferable_vote

CANDIDATES = tuple(f"candidate-{i}" for i in range(10))
SEED = b"benchmark seed committed before the vote"
# Bloc positions on the line and their shares of the electorate.
BLOCS = np.array([0.1, 0.35, 0.6, 0.9])
BLOC_SHARES = np.array([0.31, 0.27, 0.24, 0.18])
# How many candidates a ballot ranks: 1 .. 10, short ballots most likely.
LENGTH_WEIGHTS = np.array([18, 16, 14, 12, 10, 8, 7, 6, 5, 4], dtype=float)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def draw_ballots(rng: np.random.Generator, count: int) -> np.ndarray:
    positions = np.linspace(0.0, 1.0, len(CANDIDATES))
    bloc = rng.choice(len(BLOCS), size=count, p=BLOC_SHARES)
    closeness = -6.0 * np.abs(BLOCS[bloc][:, None] - positions[None, :])
    utility = closeness + rng.gumbel(size=(count, len(CANDIDATES)))
    rankings = np.argsort(-utility, axis=1).astype(np.int32)
    lengths = rng.choice(
        np.arange(1, len(CANDIDATES) + 1), size=count, p=LENGTH_WEIGHTS / LENGTH_WEIGHTS.sum()
    )
    rankings[np.arange(len(CANDIDATES))[None, :] >= lengths[:, None]] = -1
    return rankings


def timed(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    result = function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def irv(table: np.ndarray, repeats: int) -> None:
    count = len(table)
    print(f"1. Instant-runoff, {count:,} ballots x {len(CANDIDATES)} candidates")
    grouping, ballots = timed(lambda: ranked_ballots(CANDIDATES, table), repeats)
    counting, result = timed(lambda: instant_runoff(ballots, seed=SEED), repeats)
    total = grouping + counting
    print(
        f"   checking and grouping {grouping * 1000:.0f} ms ({len(ballots.counts):,} distinct"
        f" rankings), counting {counting * 1000:.0f} ms over {len(result.rounds)} rounds"
    )
    print(
        f"   total {total * 1000:.0f} ms  target < 1000 ms  ratio {total / 1.0:.2f}:"
        f" {verdict(total < 1.0)}  (winner {result.winner})"
    )


def stv(table: np.ndarray, repeats: int) -> None:
    count = len(table)
    print(f"2. STV, 3 seats, {count:,} ballots x {len(CANDIDATES)} candidates")

    def run() -> Any:
        ballots = ranked_ballots(CANDIDATES, table)
        return single_transferable_vote(ballots, seats=3, seed=SEED)

    seconds, result = timed(run, repeats)
    print(
        f"   total {seconds * 1000:.0f} ms  target < 2000 ms  ratio {seconds / 2.0:.2f}:"
        f" {verdict(seconds < 2.0)}  ({len(result.rounds)} rounds, elected"
        f" {', '.join(result.elected)})"
    )


def oracle(irv_table: np.ndarray, stv_table: np.ndarray, size: int) -> None:
    try:
        from pyrankvote import Ballot, Candidate, instant_runoff_voting
        from pyrankvote import single_transferable_vote as oracle_stv
    except ImportError:
        print("3. The oracle (pyrankvote) is not installed: skipped")
        return
    print(f"3. The test oracle (pyrankvote) on the same ballots (at most {size:,} of each set)")
    people = [Candidate(name) for name in CANDIDATES]
    for label, table, seats in (("IRV", irv_table[:size], 1), ("STV", stv_table[:size], 3)):
        as_objects = [Ballot([people[c] for c in row if c >= 0]) for row in table]
        start = time.perf_counter()
        if seats == 1:
            theirs = instant_runoff_voting(people, as_objects).get_winners()
        else:
            theirs = oracle_stv(people, as_objects, number_of_seats=seats).get_winners()
        oracle_seconds = time.perf_counter() - start

        def ours(table: np.ndarray = table, seats: int = seats) -> tuple[str, ...]:
            ballots = ranked_ballots(CANDIDATES, table)
            if seats == 1:
                return (instant_runoff(ballots, seed=SEED).winner,)
            return single_transferable_vote(ballots, seats=seats, seed=SEED).elected

        seconds, elected = timed(ours, 3)
        same = sorted(elected) == sorted(c.name for c in theirs)
        print(
            f"   {label} ({len(table):,} ballots): pyrankvote {oracle_seconds * 1000:.0f} ms,"
            f" this code {seconds * 1000:.1f} ms, ratio {oracle_seconds / seconds:.0f}x;"
            f" same winners: {'yes' if same else 'NO'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--oracle-ballots", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    irv_table = draw_ballots(rng, 1_000_000)
    stv_table = draw_ballots(rng, 100_000)
    irv(irv_table, args.repeats)
    stv(stv_table, args.repeats)
    oracle(irv_table, stv_table, args.oracle_ballots)


if __name__ == "__main__":
    main()
