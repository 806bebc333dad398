"""Opinion clustering, measured in one run (``.venv/bin/python benchmarks/opinion.py``).

Data with planted groups: 10,000 participants, 500 statements, exactly 500,000 votes. Each
participant belongs to one planted group and votes on a random set of statements (how many
varies from person to person; a few cast fewer than 7 votes and are left unclustered); on each
they take their group's side with probability 0.8, pass with 0.1 and take the other side with 0.1.
A tenth of the statements are agreed by every group. Two data sets: 3 groups with independent
random stances, and 4 groups built from two themes (each group takes one side of each theme, as
opinions often do).

``cluster_opinions`` (median of a few runs after a warm-up) against red-dwarf's
``run_pipeline`` (PyPI ``red-dwarf``, a Python re-implementation of Pol.is on pandas and
scikit-learn) on the same votes, each given the same seed. Agreement between partitions is the
adjusted Rand index (1 = the same partition up to relabelling), over the participants both
partitions cover, plus the number of participants outside the best one-to-one match of groups.

Every number is measured here; a missed target is printed as MISSED.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from taawun.domain.opinion import OpinionMap, OpinionParameters, cluster_opinions

TIME_TARGET_S = 2.0
SPEEDUP_TARGET = 5.0
AGREEMENT_TARGET = 0.95  # adjusted Rand index, with the planted groups and with red-dwarf

IntArray = NDArray[np.int64]


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


@dataclass(frozen=True)
class Planted:
    participants: IntArray
    statements: IntArray
    votes: IntArray
    truth: IntArray
    participant_count: int
    statement_count: int


def stances(rng: np.random.Generator, groups: int, statements: int) -> IntArray:
    """Each group's side (+1 / -1) on each statement; a tenth of the statements are shared."""
    if groups == 4:  # two themes, each group one side of each: (+,+), (+,-), (-,+), (-,-)
        theme = np.arange(statements) % 2
        pattern = rng.choice([-1, 1], statements)
        sides = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]])
        side = sides[:, theme]
    else:
        pattern = np.ones(statements, dtype=np.int64)
        side = rng.choice([-1, 1], (groups, statements))
    stance = side * pattern
    shared = rng.choice(statements, statements // 10, replace=False)
    stance[:, shared] = 1
    return stance.astype(np.int64)


def planted(
    rng: np.random.Generator, n: int, m: int, total: int, groups: int, follow: float = 0.8
) -> Planted:
    truth = rng.integers(0, groups, n)
    weights = rng.gamma(2.0, 1.0, n)
    counts = 1 + rng.multinomial(total - n, weights / weights.sum())
    while (counts > m).any():  # rare: move the excess to people with room
        excess = int((counts - m).clip(0).sum())
        counts = counts.clip(max=m)
        room = np.flatnonzero(counts < m)
        np.add.at(counts, rng.choice(room, excess), 1)
    order = rng.random((n, m)).argsort(axis=1)
    statements = order[np.arange(m)[None, :] < counts[:, None]]
    participants = np.repeat(np.arange(n), counts)
    stance = stances(rng, groups, m)[truth[participants], statements]
    draw = rng.random(participants.size)
    votes = np.where(draw < follow, stance, np.where(draw < follow + 0.1, 0, -stance))
    return Planted(participants, statements, votes.astype(np.int64), truth, n, m)


def labels_of(result: OpinionMap, n: int) -> IntArray:
    labels = np.full(n, -1, dtype=np.int64)
    for g, group in enumerate(result.groups):
        labels[list(group.members)] = g
    return labels


def contingency(a: IntArray, b: IntArray) -> NDArray[np.int64]:
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    table = np.zeros((a.max() + 1, b.max() + 1), dtype=np.int64)
    np.add.at(table, (a, b), 1)
    return table


def adjusted_rand_index(a: IntArray, b: IntArray) -> float:
    """Hubert and Arabie's ARI: 1 for the same partition, about 0 for unrelated ones."""
    table = contingency(a, b)

    def pairs(x: NDArray[np.int64]) -> float:
        return float((x * (x - 1) // 2).sum())

    both, rows, cols = pairs(table), pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * cols / pairs(np.array([a.size]))
    top = (rows + cols) / 2
    return 1.0 if top == expected else (both - expected) / (top - expected)


def misplaced(a: IntArray, b: IntArray) -> int:
    """Participants outside the best one-to-one matching of a's groups to b's."""
    table = contingency(a, b)
    rows, cols = linear_sum_assignment(-table)
    return int(a.size - table[rows, cols].sum())


def agreement(label: str, a: IntArray, b: IntArray) -> float:
    covered = (a >= 0) & (b >= 0)
    ari = adjusted_rand_index(a[covered], b[covered])
    print(
        f"   {label}: ARI {ari:.4f} over {int(covered.sum()):,} participants,"
        f" {misplaced(a[covered], b[covered])} placed differently"
        f"  target ARI >= {AGREEMENT_TARGET}: {verdict(ari >= AGREEMENT_TARGET)}"
    )
    return ari


def run_ours(data: Planted, seed: int, repeats: int) -> tuple[OpinionMap, float]:
    def once() -> OpinionMap:
        return cluster_opinions(
            data.participants,
            data.statements,
            data.votes,
            participant_count=data.participant_count,
            statement_count=data.statement_count,
            parameters=OpinionParameters(seed=seed),
        )

    result = once()  # warm-up: imports and caches are not on the clock
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        again = once()
        times.append(time.perf_counter() - start)
        assert again == result, "same votes and seed must give the same result"
    return result, statistics.median(times)


def run_red_dwarf(data: Planted, seed: int, repeats: int) -> tuple[IntArray, float] | None:
    try:
        from reddwarf.implementations.polis import run_pipeline
    except ImportError:
        return None
    votes = [
        {"participant_id": p, "statement_id": s, "vote": v, "modified": 0}
        for p, s, v in zip(
            data.participants.tolist(), data.statements.tolist(), data.votes.tolist(), strict=True
        )
    ]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run_pipeline(votes=votes, random_state=seed)
        times.append(time.perf_counter() - start)
    labels = np.full(data.participant_count, -1, dtype=np.int64)
    frame = result.participants_df
    grouped = frame["cluster_id"].notna().to_numpy()
    ids = frame.index.to_numpy()[grouped].astype(np.int64)
    labels[ids] = frame["cluster_id"].to_numpy()[grouped].astype(np.int64)
    return labels, statistics.median(times)


def compare(number: int, groups: int, args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed + groups)
    data = planted(rng, args.participants, args.statements, args.votes, groups)
    print(
        f"{number}. {groups} planted groups: {data.participant_count:,} participants x"
        f" {data.statement_count} statements, {data.votes.size:,} votes"
    )
    ours, ours_s = run_ours(data, args.seed, args.repeats)
    mine = labels_of(ours, data.participant_count)
    print(
        f"   cluster_opinions: median {ours_s:.3f} s over {args.repeats} runs"
        f"  target < {TIME_TARGET_S:.0f} s: {verdict(ours_s < TIME_TARGET_S)};"
        f" {len(ours.groups)} groups (target {groups}: {verdict(len(ours.groups) == groups)}),"
        f" {len(ours.unclustered)} unclustered"
    )
    agreement("with the planted groups", mine, data.truth)
    theirs = run_red_dwarf(data, args.seed, args.red_dwarf_runs)
    if theirs is None:
        print("   red-dwarf is not installed (.venv/bin/pip install red-dwarf): comparison MISSED")
        return
    labels, red_s = theirs
    found = int(labels.max()) + 1
    print(
        f"   red-dwarf {metadata.version('red-dwarf')}: {red_s:.3f} s"
        f" ({args.red_dwarf_runs} run{'s' if args.red_dwarf_runs > 1 else ''}),"
        f" {found} groups, {int((labels < 0).sum())} unclustered"
    )
    ratio = red_s / ours_s
    print(
        f"   speed: {ratio:.1f}x faster  target >= {SPEEDUP_TARGET:.0f}x:"
        f" {verdict(ratio >= SPEEDUP_TARGET)}"
    )
    agreement("red-dwarf with the planted groups", labels, data.truth)
    agreement("with red-dwarf's groups", mine, labels)
    same_count = found == len(ours.groups)
    same_left_out = np.array_equal(labels < 0, mine < 0)
    print(
        f"   same group count as red-dwarf: {verdict(same_count)};"
        f" same participants left unclustered: {verdict(same_left_out)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=500)
    parser.add_argument("--votes", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--red-dwarf-runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    for number, groups in enumerate((3, 4), start=1):
        compare(number, groups, args)


if __name__ == "__main__":
    main()
