"""Batched dispatch: optimal where it can be, explained, fair by outcome, deterministic."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from itertools import count

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taawun.domain.dispatch import (
    FAIRNESS_SCALE_KM,
    Batch,
    Request,
    Worker,
    assign,
    fairness_terms,
    gini,
    greedy_nearest,
    p10_over_mean,
)
from taawun.domain.errors import InvalidInput
from taawun.domain.policy import DispatchRules

EFFICIENT = DispatchRules(fairness_weight=Decimal(0))
FAIR = DispatchRules(fairness_weight=Decimal("0.3"))  # the worked examples' weight


def worker(
    wid: int, x: float, y: float = 0.0, earning: float = 20.0, hours: float = 10.0
) -> Worker:
    return Worker(wid, x, y, hourly_earnings=earning, active_hours=hours)


def run(
    rules: DispatchRules, requests: list[Request], workers: list[Worker], **kw: object
) -> Batch:
    return assign(rules=rules, requests=requests, workers=workers, policy_version=7, **kw)  # type: ignore[arg-type]


def objective(batch: Batch, rules: DispatchRules, n: int) -> float:
    """What the solvers minimise, shifted so it is positive (every request pays the shift)."""
    return batch.total_cost_km + n * float(rules.fairness_weight) * FAIRNESS_SCALE_KM


def check_valid(batch: Batch, requests: list[Request], workers: list[Worker], reach: float) -> None:
    served = [a.request_id for a in batch.assignments]
    used = [a.worker_id for a in batch.assignments]
    assert len(set(used)) == len(used)
    assert sorted(served + list(batch.unassigned)) == sorted(r.id for r in requests)
    where = {w.id: w for w in workers}
    spot = {r.id: r for r in requests}
    for a in batch.assignments:
        w, r = where[a.worker_id], spot[a.request_id]
        assert math.hypot(w.x - r.x, w.y - r.y) <= reach + 1e-9


def random_batch(seed: int, n: int, m: int, size: float) -> tuple[list[Request], list[Worker]]:
    rng = random.Random(seed)
    requests = [Request(i, rng.uniform(0, size), rng.uniform(0, size)) for i in range(n)]
    workers = [
        Worker(
            i,
            rng.uniform(0, size),
            rng.uniform(0, size),
            hourly_earnings=rng.uniform(5, 40),
            active_hours=rng.choice([0.0, rng.uniform(1, 8)]),
        )
        for i in range(m)
    ]
    return requests, workers


# --- exact small cases ---------------------------------------------------------------------------


def test_the_optimum_beats_nearest_first() -> None:
    requests = [Request(1, 0, 0), Request(2, 2, 0)]
    workers = [worker(10, 1), worker(20, -1.5)]
    assert greedy_nearest(requests, workers, 15) == {1: 10, 2: 20}  # 1 + 3.5 = 4.5 km
    batch = run(EFFICIENT, requests, workers)
    assert batch.solver == "exact"
    assert batch.pairs() == {1: 20, 2: 10}  # 1.5 + 1 = 2.5 km
    assert batch.unassigned == ()
    assert batch.pickup_km == 2.5
    assert batch.total_cost_km == 2.5
    assert batch.policy_version == 7
    first = batch.assignments[0].explanation
    assert (first.pickup_km, first.fairness_km, first.total_km) == (1.5, 0.0, 1.5)
    assert (first.nearest_other_id, first.nearest_other_pickup_km) == (10, 1.0)
    assert first.policy_version == 7
    assert [str(line) for line in first.lines] == [
        "Pickup distance: 1.50 km.",
        "Fairness term: 0.00 km times the weight 0 adds 0.00 km (negative when the worker earns "
        "below the mean per active hour).",
        "Total cost: 1.50 km, under policy version 7.",
        "The nearest other worker, 10 at 1.00 km, was assigned to another request that it "
        "suited better.",
    ]
    second = batch.assignments[1].explanation
    assert str(second.lines[-1]) == (
        "The nearest other worker, 20 at 3.50 km, was assigned to another request that it "
        "suited better."
    )


def test_a_request_out_of_reach_stays_unassigned() -> None:
    rules = DispatchRules(max_pickup_km=Decimal(5), unassigned_penalty_km=Decimal(30))
    batch = run(rules, [Request(1, 0, 0), Request(2, 10, 0)], [worker(10, 6)])
    assert batch.pairs() == {2: 10}
    assert batch.unassigned == (1,)
    assert batch.pickup_km == 4.0
    assert batch.total_cost_km == 34.0
    assert greedy_nearest([Request(1, 0, 0)], [worker(10, 6)], 5) == {}


def test_fairness_decides_between_two_equally_near_workers() -> None:
    requests = [Request(1, 0, 0)]
    workers = [worker(10, 1, earning=30), worker(20, -1, earning=10)]  # mean 20 per hour
    assert list(fairness_terms(workers)) == [5.0, -5.0]
    assert run(EFFICIENT, requests, workers).pairs() == {1: 10}  # a tie: the lower id
    batch = run(FAIR, requests, workers)
    assert batch.pairs() == {1: 20}
    explanation = batch.assignments[0].explanation
    assert explanation.fairness_term_km == -5.0
    assert explanation.fairness_weight == 0.3
    assert explanation.fairness_km == -1.5
    assert explanation.total_km == -0.5
    assert str(explanation.lines[-1]) == (
        "The nearest other worker, 10 at 1.00 km, is no farther away but earns above the mean "
        "per active hour: the fairness term added 1.50 km to its cost."
    )


def test_default_weight_trades_only_a_small_detour() -> None:
    requests = [Request(1, 0, 0)]
    workers = [worker(10, 1, earning=30), worker(20, -5, earning=10)]
    assert run(FAIR, requests, workers).pairs() == {1: 10}  # 4 km more is too far
    workers = [worker(10, 1, earning=30), worker(20, -3.5, earning=10)]
    assert run(FAIR, requests, workers).pairs() == {1: 20}  # 2.5 km more is within 3 km


def test_new_workers_and_a_batch_without_earnings_are_neutral() -> None:
    assert list(fairness_terms([worker(1, 0, earning=0, hours=0), worker(2, 0)])) == [0.0, 0.0]
    assert list(fairness_terms([worker(1, 0, earning=0), worker(2, 0, earning=0)])) == [0.0, 0.0]
    # clipped: one outlier earns at most the scale
    terms = fairness_terms([worker(1, 0, earning=100), worker(2, 0, earning=0, hours=90)])
    assert list(terms) == [10.0, -10.0]
    decimal = Worker(3, 0, 0, hourly_earnings=Decimal("12.50"), active_hours=Decimal(2))
    assert list(fairness_terms([decimal, worker(4, 0, earning=37.5, hours=2)])) == [-5.0, 5.0]


def test_explanation_when_alone_and_when_the_other_is_out_of_reach() -> None:
    alone = run(FAIR, [Request(1, 0, 0)], [worker(10, 1)]).assignments[0].explanation
    assert (alone.nearest_other_id, alone.nearest_other_pickup_km) == (None, None)
    assert str(alone.lines[-1]) == "No other worker was available."
    batch = run(FAIR, [Request(1, 0, 0)], [worker(10, 1), worker(20, 3)])
    assert str(batch.assignments[0].explanation.lines[-1]) == (
        "The nearest other worker, 20, is farther away: 3.00 km."
    )
    rules = DispatchRules(max_pickup_km=Decimal(2))
    batch = run(rules, [Request(1, 0, 0)], [worker(10, 1), worker(20, 3)])
    assert str(batch.assignments[0].explanation.lines[-1]) == (
        "The nearest other worker, 20, is 3.00 km away, beyond the reach of 2.00 km."
    )


def test_empty_batches() -> None:
    assert run(FAIR, [], [worker(1, 0)]).assignments == ()
    batch = run(FAIR, [Request(1, 0, 0)], [])
    assert (batch.unassigned, batch.total_cost_km) == ((1,), 30.0)
    assert greedy_nearest([], [], 5) == {}


# --- solvers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("rules", [EFFICIENT, FAIR], ids=["weight0", "weight0.3"])
def test_min_cost_flow_is_within_half_a_percent_of_the_optimum(
    seed: int, rules: DispatchRules
) -> None:
    rules = rules.model_copy(update={"time_limit_ms": 10_000})  # quality, not speed, is tested
    requests, workers = random_batch(seed, 200, 400, size=25)
    exact = run(rules, requests, workers, solver="exact")
    flow = run(rules, requests, workers, solver="min_cost_flow")
    assert (exact.solver, flow.solver) == ("exact", "min_cost_flow")
    check_valid(flow, requests, workers, 15)
    best = objective(exact, rules, len(requests))
    assert best <= objective(flow, rules, len(requests)) + 0.5  # rounding to whole metres
    assert objective(flow, rules, len(requests)) <= best * 1.005


def test_the_greedy_fallback_runs_when_the_time_limit_passes() -> None:
    requests, workers = random_batch(4, 300, 200, size=20)
    ticks = count(step=1000)  # every reading of the clock is 1,000 s later: always too late
    for solver in ("auto", "exact", "min_cost_flow"):
        batch = run(FAIR, requests, workers, solver=solver, clock=lambda: float(next(ticks)))
        assert batch.solver == "greedy"
        check_valid(batch, requests, workers, 15)
        assert len(batch.assignments) == 200  # more requests than workers: all workers used
    exact = run(FAIR, requests, workers)
    assert exact.total_cost_km <= batch.total_cost_km


def test_the_greedy_fallback_serves_requests_in_the_order_given() -> None:
    late = iter([0.0] + [1e9] * 10)
    requests = [Request(2, 0, 0), Request(1, 0.5, 0)]
    batch = run(EFFICIENT, requests, [worker(10, 0.2)], clock=lambda: next(late))
    assert (batch.solver, batch.pairs()) == ("greedy", {2: 10})


coordinate = st.integers(0, 30).map(float)
points = st.lists(st.tuples(coordinate, coordinate), max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    request_points=points,
    worker_points=st.lists(
        st.tuples(coordinate, coordinate, st.integers(0, 40), st.integers(0, 8)), max_size=12
    ),
    weight=st.sampled_from(["0", "0.3", "2"]),
    reach=st.sampled_from(["3", "15"]),
)
def test_every_worker_and_request_is_used_at_most_once(
    request_points: list[tuple[float, float]],
    worker_points: list[tuple[float, float, int, int]],
    weight: str,
    reach: str,
) -> None:
    rules = DispatchRules(fairness_weight=Decimal(weight), max_pickup_km=Decimal(reach))
    requests = [Request(i, x, y) for i, (x, y) in enumerate(request_points)]
    workers = [Worker(i, x, y, e, h) for i, (x, y, e, h) in enumerate(worker_points)]
    n = len(requests)
    batches = {s: run(rules, requests, workers, solver=s) for s in ("exact", "min_cost_flow")}
    late = count(step=1000)
    batches["greedy"] = run(rules, requests, workers, clock=lambda: float(next(late)))
    for batch in batches.values():
        check_valid(batch, requests, workers, float(reach))
    best = objective(batches["exact"], rules, n)
    assert best <= objective(batches["greedy"], rules, n) + 0.01
    assert best <= objective(batches["min_cost_flow"], rules, n) + 0.01
    served = greedy_nearest(requests, workers, Decimal(reach))
    assert len(set(served.values())) == len(served)


def test_the_same_input_gives_the_same_output_in_any_order() -> None:
    requests, workers = random_batch(5, 150, 120, size=15)
    for solver in ("exact", "min_cost_flow"):
        first = run(FAIR, requests, workers, solver=solver)
        assert run(FAIR, requests, workers, solver=solver) == first
        shuffled = run(FAIR, requests[::-1], workers[::-1], solver=solver)
        assert shuffled == first
    assert greedy_nearest(requests, workers, 15) == greedy_nearest(requests, workers, 15)


def test_string_ids_work() -> None:
    batch = run(EFFICIENT, [Request("b", 0, 0), Request("a", 2, 0)], [worker(1, 1)])
    assert (batch.pairs(), batch.unassigned) == ({"a": 1}, ("b",))


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda: Request(1, math.nan, 0), "invalid_number"),
        (lambda: Request(1, 0, math.inf), "invalid_number"),
        (lambda: Worker(1, 0, 0, hourly_earnings=-1, active_hours=1), "negative_number"),
        (lambda: Worker(1, 0, 0, hourly_earnings=1, active_hours=Decimal("NaN")), "invalid_number"),
        (lambda: run(FAIR, [Request(1, 0, 0), Request(1, 1, 1)], []), "duplicate_id"),
        (lambda: run(FAIR, [], [worker(3, 0), worker(3, 1)]), "duplicate_id"),
        (lambda: run(FAIR, [Request(1, 0, 0), Request("a", 1, 1)], []), "mixed_ids"),
        (lambda: gini([]), "no_values"),
        (lambda: p10_over_mean([1, -1]), "negative_number"),
    ],
)
def test_bad_input_is_refused(build: object, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        build()  # type: ignore[operator]
    assert refused.value.code == code


# --- fairness audit ------------------------------------------------------------------------------


def test_gini() -> None:
    assert gini([5, 5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 0]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75, abs=1e-12)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25, abs=1e-12)
    assert gini([Decimal(4), 3, 2, 1]) == pytest.approx(0.25, abs=1e-12)


def test_p10_over_mean() -> None:
    assert p10_over_mean(list(range(1, 11))) == pytest.approx(1 / 5.5, abs=1e-12)
    assert p10_over_mean([2, 4]) == pytest.approx(2 / 3, abs=1e-12)
    assert p10_over_mean([3, 3, 3]) == 1.0
    assert p10_over_mean([0, 0]) == 0.0
