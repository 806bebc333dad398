"""Dispatch, measured in one run (``.venv/bin/python benchmarks/dispatch.py``).

1. Speed: one batch of 1,000 requests x 2,000 workers and one of 10,000 x 20,000 through
   ``assign`` with the default rules (median of a few runs after a warm-up), and the solver used.
2. Quality: the min-cost-flow path against the exact optimum (``solver="exact"``) on batches scipy
   can solve, at fairness weight 0 and at the default weight.
3. and 4. Two simulated days: 1,200 workers on staggered shifts (half of them starting in the
   periphery), one batch a minute, demand concentrated in a dense centre with a sparse
   periphery; on the first, demand follows the workers on shift with two rush hours, on the
   second it is more than they can carry most of the day. ``greedy_nearest`` against ``assign``
   at weight 0 and at the default weight: pickup distance, requests served, the Gini of earnings
   per active hour and the gap between the two groups' mean earnings.

Every number is measured here; a missed target is printed as MISSED.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from taawun.domain.dispatch import (
    FAIRNESS_SCALE_KM,
    Request,
    Worker,
    assign,
    gini,
    greedy_nearest,
    p10_over_mean,
)
from taawun.domain.policy import DispatchRules

DEFAULT = DispatchRules()
EFFICIENT = DispatchRules(fairness_weight=Decimal(0))


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def random_batch(rng: np.random.Generator, n: int, m: int) -> tuple[list[Request], list[Worker]]:
    side = 30.0 * math.sqrt(n / 1000)  # the same density at every size
    rxy = rng.uniform(0, side, (n, 2))
    wxy = rng.uniform(0, side, (m, 2))
    earnings = rng.uniform(5, 40, m)
    hours = rng.uniform(0.5, 8, m)
    requests = [Request(i, float(x), float(y)) for i, (x, y) in enumerate(rxy)]
    workers = [
        Worker(i, float(x), float(y), float(e), float(h))
        for i, ((x, y), e, h) in enumerate(zip(wxy, earnings, hours, strict=True))
    ]
    return requests, workers


def speed(rng: np.random.Generator, repeats: int) -> None:
    print("1. Speed (default rules, uniform batch at constant density)")
    targets = {(1_000, 2_000): 0.050, (10_000, 20_000): 1.0}
    for (n, m), target in targets.items():
        requests, workers = random_batch(rng, n, m)
        assign(rules=DEFAULT, requests=requests, workers=workers, policy_version=1)  # warm-up
        times, solvers = [], set()
        for _ in range(repeats):
            start = time.perf_counter()
            batch = assign(rules=DEFAULT, requests=requests, workers=workers, policy_version=1)
            times.append(time.perf_counter() - start)
            solvers.add(batch.solver)
        median = statistics.median(times)
        print(
            f"   {n:>6,} x {m:>6,}: median {median * 1000:7.1f} ms (min {min(times) * 1000:.1f},"
            f" max {max(times) * 1000:.1f}) solver={','.join(sorted(solvers))}"
            f"  target <= {target * 1000:.0f} ms: {verdict(median <= target)}"
        )


def quality(rng: np.random.Generator, batches: int) -> None:
    print("2. Min-cost flow vs the exact optimum (objective incl. penalties; target within 0.5%)")
    for rules, label in ((EFFICIENT, "weight 0  "), (DEFAULT, f"weight {DEFAULT.fairness_weight}")):
        gaps, pickup_gaps = [], []
        for _ in range(batches):
            requests, workers = random_batch(rng, 1_000, 2_000)
            shift = len(requests) * float(rules.fairness_weight) * FAIRNESS_SCALE_KM
            exact = assign(
                rules=rules, requests=requests, workers=workers, policy_version=1, solver="exact"
            )
            flow = assign(
                rules=rules,
                requests=requests,
                workers=workers,
                policy_version=1,
                solver="min_cost_flow",
            )
            assert exact.solver == "exact" and flow.solver == "min_cost_flow"
            best = exact.total_cost_km + shift
            gaps.append((flow.total_cost_km + shift - best) / best * 100)
            pickup_gaps.append((flow.pickup_km - exact.pickup_km) / exact.pickup_km * 100)
        worst = max(gaps)
        print(
            f"   {label}: {batches} batches of 1,000 x 2,000, gap mean {statistics.mean(gaps):.3f}%"
            f" worst {worst:.3f}% (pickup km gap worst {max(pickup_gaps):+.3f}%)"
            f"  target <= 0.5%: {verdict(worst <= 0.5)}"
        )


# --- a simulated day -------------------------------------------------------------------------


@dataclass
class DayResult:
    pickup_km: float
    served: int
    lost: int
    gini: float
    p10: float
    group_gap: float  # |mean per hour of group A - group B| / mean per hour of everyone
    seconds: float


SIDE = 40.0  # km
CENTRE = np.array([SIDE / 2, SIDE / 2])
SPEED_KMH = 25.0
RIDE_MINUTES = 45  # a ride's typical time, pickup and drop-off included, on this map
PATIENCE = 5  # minutes a request waits before it is lost


def place(rng: np.random.Generator, count: int, dense: float) -> np.ndarray:
    """``dense`` of the points around the centre (sigma 3 km), the rest uniform."""
    central = rng.random(count) < dense
    points = np.where(
        central[:, None],
        rng.normal(CENTRE, 3.0, (count, 2)),
        rng.uniform(0, SIDE, (count, 2)),
    )
    return np.clip(points, 0, SIDE)


def periphery(rng: np.random.Generator, count: int) -> np.ndarray:
    """Points at least 12 km from the centre."""
    angle = rng.uniform(0, 2 * math.pi, count)
    radius = rng.uniform(12, SIDE / 2, count)
    points = CENTRE + np.stack([np.cos(angle), np.sin(angle)], axis=1) * radius[:, None]
    return np.clip(points, 0, SIDE)


def demand(minute: int, minutes: int, workers_n: int, on_shift: int, regime: str) -> float:
    """Requests expected this minute. ``overloaded``: a rate set by the whole fleet, which the
    workers on shift cannot carry for most of the day. ``rush``: demand follows the workers on
    shift, from half of what they can carry in the lulls to 1.3 times it at two rush hours."""
    if regime == "overloaded":
        return workers_n / 45 * 0.8 * (1.0 + 0.5 * math.sin(math.pi * minute / minutes))
    load = 0.5 + 0.8 * (0.5 - 0.5 * math.cos(4 * math.pi * minute / minutes))
    return on_shift / RIDE_MINUTES * load


def simulate(policy: str, *, workers_n: int, minutes: int, seed: int, regime: str) -> DayResult:
    rng = np.random.default_rng(seed)  # the same day for every policy
    shift_start = rng.integers(0, minutes // 3, workers_n)  # minutes
    shift_end = np.minimum(shift_start + rng.integers(minutes // 3, minutes, workers_n), minutes)
    group_b = np.arange(workers_n) % 2 == 1  # group B starts in the periphery
    position = place(rng, workers_n, 0.4)
    position[group_b] = periphery(rng, int(group_b.sum()))
    busy_until = np.zeros(workers_n)
    earned = np.zeros(workers_n)
    arrivals = []
    for minute in range(minutes):
        on_shift = int(((shift_start <= minute) & (minute < shift_end)).sum())
        count = rng.poisson(demand(minute, minutes, workers_n, on_shift, regime))
        arrivals.append((place(rng, count, 0.7), place(rng, count, 0.5)))
    rules = DEFAULT if policy == "fair" else EFFICIENT
    queue: list[tuple[int, int, np.ndarray, np.ndarray]] = []  # id, arrival, pickup, dropoff
    next_id = 0
    pickup_total = 0.0
    served = lost = 0
    spent = 0.0
    for minute in range(minutes):
        pickups, dropoffs = arrivals[minute]
        for p, d in zip(pickups, dropoffs, strict=True):
            queue.append((next_id, minute, p, d))
            next_id += 1
        kept = [q for q in queue if minute - q[1] < PATIENCE]
        lost += len(queue) - len(kept)
        queue = kept
        on_shift_now = (shift_start <= minute) & (minute < shift_end)
        free = np.nonzero(on_shift_now & (busy_until <= minute))[0]
        if not queue or not len(free):
            continue
        active_hours = (minute - shift_start[free]) / 60.0
        requests = [Request(q[0], float(q[2][0]), float(q[2][1])) for q in queue]
        workers = [
            Worker(
                int(w),
                float(position[w, 0]),
                float(position[w, 1]),
                hourly_earnings=float(earned[w] / h) if h > 0 else 0.0,
                active_hours=float(h),
            )
            for w, h in zip(free, active_hours, strict=True)
        ]
        start = time.perf_counter()
        if policy == "greedy":
            pairs = greedy_nearest(requests, workers, rules.max_pickup_km)
        else:
            pairs = assign(
                rules=rules, requests=requests, workers=workers, policy_version=1
            ).pairs()
        spent += time.perf_counter() - start
        by_id = {q[0]: q for q in queue}
        for request_id, worker_id in pairs.items():
            _, _, pickup, dropoff = by_id.pop(int(request_id))
            w = int(worker_id)
            to_pickup = float(np.hypot(*(position[w] - pickup)))
            trip = float(np.hypot(*(dropoff - pickup)))
            pickup_total += to_pickup
            served += 1
            earned[w] += 3.0 + 1.2 * trip  # fare: flag fall + per km
            busy_until[w] = minute + 2 + (to_pickup + trip) / SPEED_KMH * 60
            position[w] = dropoff
        queue = list(by_id.values())
    lost += len(queue)
    hours = (shift_end - shift_start) / 60.0
    worked = hours > 0
    per_hour = earned[worked] / hours[worked]
    in_b = group_b[worked]
    gap = abs(per_hour[~in_b].mean() - per_hour[in_b].mean()) / per_hour.mean()
    return DayResult(
        pickup_total,
        served,
        lost,
        gini(per_hour.tolist()),
        p10_over_mean(per_hour.tolist()),
        float(gap),
        spent,
    )


def day(workers_n: int, minutes: int, seed: int, regime: str, number: int) -> None:
    title = {
        "rush": "demand follows the fleet, 0.5x its capacity in lulls to 1.3x at two rush hours",
        "overloaded": f"a fixed {workers_n / 45 * 0.8:.0f}-{workers_n / 45 * 1.2:.0f} requests a"
        " minute, more than the workers on shift can carry for most of the day",
    }[regime]
    print(
        f"{number}. Simulated day ({regime}): {workers_n:,} workers (half start in the periphery),"
        f" {minutes} one-minute batches, dense centre (sigma 3 km) + periphery on 40 x 40 km,"
        f" patience {PATIENCE} min; {title}"
    )
    results = {
        name: simulate(name, workers_n=workers_n, minutes=minutes, seed=seed, regime=regime)
        for name in ("greedy", "efficient", "fair")
    }
    for name, r in results.items():
        label = {
            "greedy": "greedy_nearest        ",
            "efficient": "assign, weight 0      ",
            "fair": f"assign, default ({DEFAULT.fairness_weight}) ",
        }[name]
        print(
            f"   {label}: pickup {r.pickup_km / max(r.served, 1):.2f} km/ride, served"
            f" {r.served:,}, lost {r.lost:,}, Gini {r.gini:.4f}, p10/mean {r.p10:.3f}, group"
            f" gap {r.group_gap * 100:.1f}%, solver time {r.seconds:.1f} s"
        )
    g, e, f = results["greedy"], results["efficient"], results["fair"]
    per_ride = 1 - (f.pickup_km / f.served) / (g.pickup_km / g.served)
    more = f.served / g.served - 1
    print(
        f"   default vs greedy: {per_ride * 100:+.1f}% less pickup km per ride (target >= 9%:"
        f" {verdict(per_ride >= 0.09)}), {more * 100:+.1f}% more served"
        f" (target >= 15%: {verdict(more >= 0.15)})"
    )
    lower = 1 - f.gini / e.gini if e.gini else 0.0
    extra = (f.pickup_km / f.served) / (e.pickup_km / e.served) - 1
    print(
        f"   default vs weight 0: Gini {lower * 100:+.1f}% lower (target >= 40%:"
        f" {verdict(lower >= 0.40)}), pickup km per ride {extra * 100:+.1f}%"
        f" (target <= +2%: {verdict(extra <= 0.02)}), group gap {f.group_gap * 100:.1f}%"
        f" (target <= 2%: {verdict(f.group_gap <= 0.02)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quality-batches", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1_200)
    parser.add_argument("--minutes", type=int, default=600)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    speed(rng, args.repeats)
    quality(rng, args.quality_batches)
    for number, regime in ((3, "rush"), (4, "overloaded")):
        day(args.workers, args.minutes, args.seed, regime, number)


if __name__ == "__main__":
    main()
