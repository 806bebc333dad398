"""Batched dispatch: open requests matched to available workers under DispatchRules (pure).

Each batch is one assignment problem. Giving request r to worker w costs

    pickup_km(r, w) + fairness_weight * fairness_term_km(w)

where ``pickup_km`` is the straight-line distance in a local plane (km) and the fairness term
favours workers who have earned less per active hour than the batch's workers on average::

    fairness_term_km(w) = FAIRNESS_SCALE_KM * clip((earning_w - mean) / mean, -1, 1)

``mean`` is the batch's earnings per active hour (total earnings / total active hours). A worker
with no active hours yet, or a batch where nobody has earned anything, gets a neutral term (0):
there is no record to be fair about. The scale is 10 km for a worker earning double the mean (or
nothing at all), so at the default weight 0.6 a worker earning 20 % above the mean carries
0.6 * 10 * 0.2 = 1.2 km extra and one 20 % below carries 1.2 km less: the batch accepts about a
kilometre of extra pickup to even out earnings, never a long detour. A weight of 0 is pure
efficiency. (The default was chosen on the benchmark's simulated day: 0.6 evens earnings out
most while pickups stay as short as at weight 0; ``docs/benchmarks.md``.) The relative gap is
clipped so that one outlier cannot dominate (at most weight * 10 km either way).

A pair whose pickup exceeds ``max_pickup_km`` is not allowed; any request may stay unassigned at
``unassigned_penalty_km``, so every batch is feasible. (With a large weight, an in-reach pair
whose cost exceeds the penalty is left unassigned: the policy chose that.)

No protected attribute exists in these types: the only inputs are positions, earnings and hours.
Fairness is measured on outcomes (earnings per active hour), never on who a worker is, so the
dispatcher cannot discriminate on a characteristic it is never shown.

Solvers: an exact ``scipy.optimize.linear_sum_assignment`` on a dense matrix (with one
"unassigned" column per request) when requests * workers <= ``DENSE_CELLS``; otherwise each
request gets its ``candidates_per_request`` nearest workers in reach (``cKDTree``) and the problem
is an OR-Tools min-cost flow with an unassigned arc per request, in whole metres; requests it
leaves unassigned while a free worker is in reach are then given the cheapest such worker. The
optimising step runs under ``time_limit_ms`` (in a thread: both solvers release the GIL); if it
does not finish in time its result is discarded (the thread finishes on its own) and a greedy
fallback is used: each request, in the order given, takes the cheapest free worker in reach.
``Batch.solver`` says which ran.

Determinism: requests and workers are put in id order before solving, costs are whole metres and,
in the exact solver, ties go to the worker with the lower id; the same input gives the same
output, unless the time limit is hit (then ``solver`` is ``"greedy"``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow  # imported up front: not on a batch's clock
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from .errors import InvalidInput, Term, gettext_noop
from .explanation import Line
from .policy import DispatchRules

Id: TypeAlias = int | str
Number: TypeAlias = int | float | Decimal
SolverName = Literal["exact", "min_cost_flow", "greedy"]

FAIRNESS_SCALE_KM = 10.0
"""km of cost for a worker whose earnings per active hour are twice the mean (or zero)."""

DENSE_CELLS = 250_000
"""Largest requests * workers solved exactly on a dense matrix (with its n extra columns). Measured:
500 x 500 takes about 10 ms exactly; 1,000 x 2,000 about 100 ms exactly but about 30 ms as a
min-cost flow on 20 candidates per request (within 0.1 % of the optimum), hence the cut."""

METRES = 1000.0


# What a refusal names, translated when it is shown (``Term``).
X, Y = Term(gettext_noop("the x coordinate")), Term(gettext_noop("the y coordinate"))
EARNINGS = Term(gettext_noop("earnings per active hour"))
HOURS = Term(gettext_noop("active hours"))
REQUEST, WORKER = Term(gettext_noop("request")), Term(gettext_noop("worker"))
REACH = Term(gettext_noop("the reach"))
VALUE = Term(gettext_noop("a value"))


def _finite(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise InvalidInput(
            "invalid_number",
            gettext_noop("%(what)s must be a finite number, not %(value)s."),
            what=what,
            value=str(value),
        )
    return number


def _non_negative(value: Any, what: str) -> float:
    number = _finite(value, what)
    if number < 0:
        raise InvalidInput(
            "negative_number",
            gettext_noop("%(what)s cannot be negative: %(value)s."),
            what=what,
            value=str(value),
        )
    return number


@dataclass(frozen=True, slots=True)
class Request:
    """An open request: its pickup point (km in the batch's local plane)."""

    id: Id
    x: float
    y: float

    def __post_init__(self) -> None:
        _finite(self.x, X)
        _finite(self.y, Y)


@dataclass(frozen=True, slots=True)
class Worker:
    """An available worker: position, earnings per active hour so far in the period, and hours.

    Deliberately nothing else: no protected attribute can reach the dispatcher.
    """

    id: Id
    x: float
    y: float
    hourly_earnings: float | Decimal
    active_hours: float | Decimal

    def __post_init__(self) -> None:
        _finite(self.x, X)
        _finite(self.y, Y)
        _non_negative(self.hourly_earnings, EARNINGS)
        _non_negative(self.active_hours, HOURS)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a request went to a worker, in terms the worker and the customer can read.

    All distances are km. ``fairness_km`` = ``fairness_weight`` * ``fairness_term_km`` and
    ``total_km`` = ``pickup_km`` + ``fairness_km``. The nearest worker not chosen is the nearest
    by pickup distance among all the batch's other workers (``None`` when there is none).
    """

    pickup_km: float
    fairness_term_km: float
    fairness_weight: float
    fairness_km: float
    total_km: float
    policy_version: int
    nearest_other_id: Id | None
    nearest_other_pickup_km: float | None
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Assignment:
    request_id: Id
    worker_id: Id
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch's outcome. ``total_cost_km`` includes the penalty of each unassigned request."""

    assignments: tuple[Assignment, ...]
    unassigned: tuple[Id, ...]
    solver: SolverName
    policy_version: int
    pickup_km: float
    total_cost_km: float

    def pairs(self) -> dict[Id, Id]:
        return {a.request_id: a.worker_id for a in self.assignments}


@dataclass(frozen=True, slots=True)
class _Problem:
    requests: list[Request]  # in id order
    workers: list[Worker]  # in id order
    req_xy: NDArray[np.float64]
    wrk_xy: NDArray[np.float64]
    term_km: NDArray[np.float64]  # fairness term per worker (before the weight)
    weight: float
    penalty_km: float
    max_km: float


def _sorted_unique(items: Sequence[Any], what: str) -> list[Any]:
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise InvalidInput(
            "duplicate_id",
            gettext_noop("The %(what)s id %(id)s appears more than once."),
            what=what,
            id=str(duplicate),
        )
    try:
        return sorted(items, key=lambda item: item.id)
    except TypeError:
        raise InvalidInput(
            "mixed_ids", gettext_noop("The %(what)s ids must all be of one kind."), what=what
        ) from None


def _xy(items: Sequence[Request] | Sequence[Worker]) -> NDArray[np.float64]:
    return np.array([(float(i.x), float(i.y)) for i in items], dtype=np.float64).reshape(-1, 2)


def fairness_terms(workers: Sequence[Worker]) -> NDArray[np.float64]:
    """Each worker's fairness term in km (before the weight); see the module docstring."""
    earnings = np.array([float(w.hourly_earnings) for w in workers], dtype=np.float64)
    hours = np.array([float(w.active_hours) for w in workers], dtype=np.float64)
    total_hours = float(hours.sum())
    mean = float((earnings * hours).sum()) / total_hours if total_hours > 0 else 0.0
    if mean <= 0:
        return np.zeros(len(workers))
    relative = np.clip((earnings - mean) / mean, -1.0, 1.0)
    return np.where(hours > 0, FAIRNESS_SCALE_KM * relative, 0.0)


def _problem(
    rules: DispatchRules, requests: Sequence[Request], workers: Sequence[Worker]
) -> _Problem:
    ordered_requests = _sorted_unique(requests, REQUEST)
    ordered_workers = _sorted_unique(workers, WORKER)
    return _Problem(
        requests=ordered_requests,
        workers=ordered_workers,
        req_xy=_xy(ordered_requests),
        wrk_xy=_xy(ordered_workers),
        term_km=fairness_terms(ordered_workers),
        weight=float(rules.fairness_weight),
        penalty_km=float(rules.unassigned_penalty_km),
        max_km=float(rules.max_pickup_km),
    )


def _metres(km: NDArray[np.float64] | float) -> Any:
    return np.rint(np.asarray(km, dtype=np.float64) * METRES).astype(np.int64)


# --- solvers: each returns, per request (id order), the worker index or -1 -------------------


def _solve_exact(p: _Problem) -> NDArray[np.int64]:
    n, m = len(p.requests), len(p.workers)
    shift = p.weight * FAIRNESS_SCALE_KM  # makes every cost non-negative; same for every request
    distance = cdist(p.req_xy, p.wrk_xy)
    metres = _metres(distance + (p.weight * p.term_km + shift)[None, :])
    tie = float(n * m + 1)  # whole metres first, then the lower worker index
    penalty = float(_metres(p.penalty_km + shift)) * tie + m
    forbidden = penalty + tie
    matrix = np.empty((n, m + n), dtype=np.float64)
    matrix[:, :m] = metres * tie + np.arange(m, dtype=np.float64)[None, :]
    matrix[:, :m][distance > p.max_km] = forbidden
    matrix[:, m:] = penalty
    rows, cols = linear_sum_assignment(matrix)
    chosen = np.full(n, -1, dtype=np.int64)
    real = cols < m
    chosen[rows[real]] = cols[real]
    return chosen


def _candidates(
    p: _Problem, tree: cKDTree, k: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The k nearest workers within reach of each request (missing ones: index m)."""
    k = min(k, len(p.workers))
    distance, index = tree.query(p.req_xy, k=k, distance_upper_bound=p.max_km)
    return distance.reshape(len(p.requests), k), index.reshape(len(p.requests), k)


def _solve_min_cost_flow(
    p: _Problem, distance: NDArray[np.float64], index: NDArray[np.int64]
) -> NDArray[np.int64]:
    n, m = len(p.requests), len(p.workers)
    shift = p.weight * FAIRNESS_SCALE_KM
    valid = index < m
    rows = np.nonzero(valid)[0]
    workers = index[valid]
    costs = _metres(distance[valid] + p.weight * p.term_km[workers] + shift)
    sink = n + m
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([rows, np.arange(n), n + np.arange(m)]).astype(np.int64)
    heads = np.concatenate([n + workers, np.full(n, sink), np.full(m, sink)]).astype(np.int64)
    unit = np.concatenate(
        [costs, np.full(n, int(_metres(p.penalty_km + shift))), np.zeros(m, dtype=np.int64)]
    ).astype(np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, np.ones(len(tails), np.int64), unit)
    supplies = np.concatenate([np.ones(n), np.zeros(m), [-n]]).astype(np.int64)
    flow.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:  # pragma: no cover - the graph is always feasible
        raise RuntimeError(f"min cost flow failed: {status}")
    used = flow.flows(np.arange(len(rows), dtype=np.int64)) > 0
    chosen = np.full(n, -1, dtype=np.int64)
    chosen[rows[used]] = workers[used]
    return chosen


def _fill_greedily(
    p: _Problem,
    chosen: NDArray[np.int64],
    order: Sequence[int],
    tree: cKDTree,
    k: int,
    penalty_km: float,
) -> None:
    """Give each listed unassigned request, in order, the cheapest free worker among its k
    nearest in reach (ties to the lower index), if cheaper than the penalty; when all k are
    taken, look at the next 2k, 4k, ... nearest."""
    m = len(p.workers)
    taken = np.zeros(m, dtype=bool)
    taken[chosen[chosen >= 0]] = True
    rows = np.array([i for i in order if chosen[i] < 0], dtype=np.int64)
    if not len(rows) or not m:
        return
    size = min(max(k, 1), m)
    lists = _ranked(p, tree, p.req_xy[rows], size, penalty_km)
    for i, ranked in zip(rows.tolist(), lists, strict=True):
        width = size
        while True:
            pick = next((j for j in ranked if not taken[j]), None)
            if pick is not None:
                chosen[i] = pick
                taken[pick] = True
                break
            if len(ranked) < width or width == m:  # every worker in reach (and in budget) seen
                break
            width = min(width * 2, m)
            ranked = _ranked(p, tree, p.req_xy[i : i + 1], width, penalty_km)[0]


def _ranked(
    p: _Problem, tree: cKDTree, points: NDArray[np.float64], k: int, penalty_km: float
) -> list[list[int]]:
    """For each point, its k nearest workers in reach, cheapest first (then by index), keeping
    only those cheaper than the penalty."""
    m = len(p.workers)
    distance, index = tree.query(points, k=k, distance_upper_bound=p.max_km)
    distance, index = distance.reshape(len(points), k), index.reshape(len(points), k)
    valid = index < m
    safe = np.where(valid, index, 0)
    cost = np.where(valid, distance + p.weight * p.term_km[safe], np.inf)
    order = np.lexsort((safe, _metres(np.where(valid, cost, 0.0)), ~valid), axis=-1)
    ranked_index = np.take_along_axis(safe, order, axis=-1)
    keep = np.take_along_axis(valid & (cost < penalty_km), order, axis=-1)
    return [row[mask].tolist() for row, mask in zip(ranked_index, keep, strict=True)]


def _run_within(deadline: float, clock: Callable[[], float], work: Callable[[], Any]) -> Any:
    """``work()`` in a thread; ``None`` if it has not finished by ``deadline``."""
    remaining = deadline - clock()
    if remaining <= 0:
        return None
    box: list[Any] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # pragma: no cover - re-raised below
            failure.append(exc)

    thread = threading.Thread(target=target, name="dispatch-solver", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - clock()))
    if thread.is_alive():
        return None
    if failure:  # pragma: no cover
        raise failure[0]
    return box[0]


# --- explanations ----------------------------------------------------------------------------


def _km(value: float) -> str:
    return f"{value:.2f}"


def _explain(
    p: _Problem,
    request: int,
    worker: int,
    chosen: NDArray[np.int64],
    assigned_to: Mapping[int, int],
    nearest: tuple[int, float] | None,
    policy_version: int,
) -> Explanation:
    pickup = float(np.hypot(*(p.wrk_xy[worker] - p.req_xy[request])))
    term = float(p.term_km[worker])
    fairness = p.weight * term
    total = pickup + fairness
    lines = [
        Line(gettext_noop("Pickup distance: %(pickup_km)s km."), {"pickup_km": _km(pickup)}),
        Line(
            gettext_noop(
                "Fairness term: %(term_km)s km times the weight %(weight)s adds %(fairness_km)s km "
                "(negative when the worker earns below the mean per active hour)."
            ),
            {"term_km": _km(term), "weight": f"{p.weight:g}", "fairness_km": _km(fairness)},
        ),
        Line(
            gettext_noop("Total cost: %(total_km)s km, under policy version %(version)s."),
            {"total_km": _km(total), "version": str(policy_version)},
        ),
    ]
    other_id: Id | None = None
    other_km: float | None = None
    if nearest is None:
        lines.append(Line(gettext_noop("No other worker was available."), {}))
    else:
        other, other_km = nearest
        other_id = p.workers[other].id
        other_fairness = p.weight * float(p.term_km[other])
        other_total = other_km + other_fairness
        params = {"worker": str(other_id), "km": _km(other_km)}
        if other in assigned_to:
            message = gettext_noop(
                "The nearest other worker, %(worker)s at %(km)s km, was assigned to another "
                "request that it suited better."
            )
        elif other_km > p.max_km:
            message = gettext_noop(
                "The nearest other worker, %(worker)s, is %(km)s km away, beyond the reach of "
                "%(max_km)s km."
            )
            params["max_km"] = _km(p.max_km)
        elif other_km > pickup:
            message = gettext_noop(
                "The nearest other worker, %(worker)s, is farther away: %(km)s km."
            )
        elif other_fairness > 0:
            message = gettext_noop(
                "The nearest other worker, %(worker)s at %(km)s km, is no farther away but earns "
                "above the mean per active hour: the fairness term added %(added)s km to its cost."
            )
            params["added"] = _km(other_fairness)
        else:
            message = gettext_noop(
                "The nearest other worker, %(worker)s at %(km)s km, had a total cost of "
                "%(other_total)s km against %(total_km)s km."
            )
            params |= {"other_total": _km(other_total), "total_km": _km(total)}
        lines.append(Line(message, params))
        other_km = round(other_km, 3)
    return replace(
        _distances(p, request, worker, policy_version),
        nearest_other_id=other_id,
        nearest_other_pickup_km=other_km,
        lines=tuple(lines),
    )


# --- public ----------------------------------------------------------------------------------


def assign(
    *,
    rules: DispatchRules,
    requests: Sequence[Request],
    workers: Sequence[Worker],
    policy_version: int,
    solver: Literal["auto", "exact", "min_cost_flow", "greedy"] = "auto",
    clock: Callable[[], float] = time.perf_counter,
    replaying: bool = False,
) -> Batch:
    """Assign a batch of open requests to available workers at least total cost.

    ``solver`` forces a path (the benchmark compares them); ``clock`` is for tests of the time
    limit. Requests are served in the order given only by the greedy fallback. ``replaying``
    solves a recorded batch again (the impact preview does it thousands of times): without the
    time limit's thread, and with explanations that keep the distances but not the sentences
    or the nearest other worker. The assignments are the same as a live batch's that finished
    within its time limit.
    """
    start = clock()
    deadline = start + rules.time_limit_ms / 1000.0
    if isinstance(policy_version, bool) or not isinstance(policy_version, int):
        raise InvalidInput(
            "invalid_policy_version", gettext_noop("The policy version must be a whole number.")
        )
    p = _problem(rules, requests, workers)
    n, m = len(p.requests), len(p.workers)
    chosen = np.full(n, -1, dtype=np.int64)
    used: SolverName = "exact"
    tree = cKDTree(p.wrk_xy) if m else None
    if n and tree is not None:
        k = rules.candidates_per_request
        if solver == "auto":
            solver = "exact" if n * m <= DENSE_CELLS else "min_cost_flow"
        result: NDArray[np.int64] | None = None
        work: Callable[[], NDArray[np.int64]] | None = None
        if solver == "exact":
            work = partial(_solve_exact, p)
        elif solver == "min_cost_flow":
            distance, index = _candidates(p, tree, k)
            work = partial(_solve_min_cost_flow, p, distance, index)
        if work is not None:
            result = work() if replaying else _run_within(deadline, clock, work)
        if result is not None:
            chosen = result
            used = solver
            if solver == "min_cost_flow":
                _fill_greedily(p, chosen, range(n), tree, k, p.penalty_km)
        else:
            used = "greedy"
            position = {r.id: i for i, r in enumerate(p.requests)}
            order = [position[r.id] for r in requests]
            _fill_greedily(p, chosen, order, tree, k, p.penalty_km)
    return _batch(p, chosen, tree, used, policy_version, explained=not replaying)


def _batch(
    p: _Problem,
    chosen: NDArray[np.int64],
    tree: cKDTree | None,
    solver: SolverName,
    policy_version: int,
    *,
    explained: bool = True,
) -> Batch:
    assigned_to = {int(w): i for i, w in enumerate(chosen) if w >= 0}
    assigned = [i for i in range(len(p.requests)) if chosen[i] >= 0]
    nearest: dict[int, tuple[int, float] | None] = {}
    m = len(p.workers)
    if not explained:
        assignments = tuple(
            Assignment(
                request_id=p.requests[i].id,
                worker_id=p.workers[int(chosen[i])].id,
                explanation=_distances(p, i, int(chosen[i]), policy_version),
            )
            for i in assigned
        )
        return _totals(p, chosen, assignments, solver, policy_version)
    if assigned and tree is not None and m > 1:
        distance, index = tree.query(p.req_xy[assigned], k=2)
        for row, i in enumerate(assigned):
            # nearest by distance, ties to the lower index; skip the chosen worker
            pair = sorted(zip(distance[row].tolist(), index[row].tolist(), strict=True))
            others = [(int(j), float(d)) for d, j in pair if j != chosen[i]]
            nearest[i] = others[0]
    assignments = tuple(
        Assignment(
            request_id=p.requests[i].id,
            worker_id=p.workers[int(chosen[i])].id,
            explanation=_explain(
                p, i, int(chosen[i]), chosen, assigned_to, nearest.get(i), policy_version
            ),
        )
        for i in assigned
    )
    return _totals(p, chosen, assignments, solver, policy_version)


def _distances(p: _Problem, request: int, worker: int, policy_version: int) -> Explanation:
    """An explanation's numbers without its sentences (for replays)."""
    pickup = float(np.hypot(*(p.wrk_xy[worker] - p.req_xy[request])))
    term = float(p.term_km[worker])
    return Explanation(
        pickup_km=round(pickup, 3),
        fairness_term_km=round(term, 3),
        fairness_weight=p.weight,
        fairness_km=round(p.weight * term, 3),
        total_km=round(pickup + p.weight * term, 3),
        policy_version=policy_version,
        nearest_other_id=None,
        nearest_other_pickup_km=None,
        lines=(),
    )


def _totals(
    p: _Problem,
    chosen: NDArray[np.int64],
    assignments: tuple[Assignment, ...],
    solver: SolverName,
    policy_version: int,
) -> Batch:
    unassigned = tuple(r.id for i, r in enumerate(p.requests) if chosen[i] < 0)
    pickup = sum(a.explanation.pickup_km for a in assignments)
    total = sum(a.explanation.total_km for a in assignments) + p.penalty_km * len(unassigned)
    return Batch(
        assignments=assignments,
        unassigned=unassigned,
        solver=solver,
        policy_version=policy_version,
        pickup_km=round(pickup, 3),
        total_cost_km=round(total, 3),
    )


def assign_avoiding(
    rules: DispatchRules,
    policy_version: int,
    requests: Sequence[Request],
    workers: Sequence[Worker],
    *,
    barred: Mapping[int, Collection[int]],
    replaying: bool = False,
) -> tuple[list[Assignment], SolverName]:
    """A live batch's assignments, none of them barred (``barred``: per request id, the worker
    ids it may not go to); the one rule both the batch and its replay run.

    The batch is solved as a whole; a request the solver gave to a worker barred from it is
    then solved again alone (in id order) among the workers still free and not barred from
    it, so it still gets the best worker left rather than waiting for the next batch.
    """
    batch = assign(
        rules=rules,
        requests=requests,
        workers=workers,
        policy_version=policy_version,
        replaying=replaying,
    )
    kept = [
        a for a in batch.assignments if int(a.worker_id) not in barred.get(int(a.request_id), ())
    ]
    taken = {int(a.worker_id) for a in kept}
    again = sorted(int(a.request_id) for a in batch.assignments if a not in kept)
    by_id = {r.id: r for r in requests}
    for request_id in again:
        free = [
            w for w in workers if int(w.id) not in taken and int(w.id) not in barred[request_id]
        ]
        if not free:
            continue
        alone = assign(
            rules=rules,
            requests=[by_id[request_id]],
            workers=free,
            policy_version=policy_version,
            replaying=replaying,
        )
        kept.extend(alone.assignments)
        taken.update(int(a.worker_id) for a in alone.assignments)
    return kept, batch.solver


def greedy_nearest(
    requests: Sequence[Request], workers: Sequence[Worker], max_pickup_km: Number
) -> dict[Id, Id]:
    """The baseline: each request, in the order given, takes the nearest free worker in reach
    (ties to the lower worker id). Returns request id → worker id for the served requests."""
    reach = _non_negative(max_pickup_km, REACH)
    ordered_requests = _sorted_unique(requests, REQUEST)
    ordered_workers = _sorted_unique(workers, WORKER)
    p = _Problem(
        requests=ordered_requests,
        workers=ordered_workers,
        req_xy=_xy(ordered_requests),
        wrk_xy=_xy(ordered_workers),
        term_km=np.zeros(len(ordered_workers)),
        weight=0.0,
        penalty_km=math.inf,
        max_km=reach,
    )
    if not p.workers or not p.requests:
        return {}
    position = {r.id: i for i, r in enumerate(p.requests)}
    chosen = np.full(len(p.requests), -1, dtype=np.int64)
    _fill_greedily(p, chosen, [position[r.id] for r in requests], cKDTree(p.wrk_xy), 8, math.inf)
    return {
        r.id: p.workers[int(chosen[position[r.id]])].id
        for r in requests
        if chosen[position[r.id]] >= 0
    }


# --- fairness audit --------------------------------------------------------------------------


def _values(values: Sequence[Number]) -> NDArray[np.float64]:
    array = np.array([_non_negative(v, VALUE) for v in values], dtype=np.float64)
    if not len(array):
        raise InvalidInput("no_values", gettext_noop("At least one value is needed."))
    return array


def gini(values: Sequence[Number]) -> float:
    """The Gini coefficient of non-negative values: Σ|xi - xj| / (2 n² mean); 0 if all are 0."""
    array = np.sort(_values(values))
    n, total = len(array), float(array.sum())
    if total == 0:
        return 0.0
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float((2 * (ranks * array).sum()) / (n * total) - (n + 1) / n)


def p10_over_mean(values: Sequence[Number]) -> float:
    """The 10th percentile (nearest rank: the ⌈n/10⌉-th smallest) over the mean; 0 if the mean
    is 0."""
    array = np.sort(_values(values))
    mean = float(array.mean())
    if mean == 0:
        return 0.0
    return float(array[math.ceil(len(array) / 10) - 1]) / mean
