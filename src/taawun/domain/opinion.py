"""Opinion groups from agree / disagree / pass votes on statements, as Pol.is forms them (pure).

Members vote on statements: agree (+1), disagree (-1) or pass (0). ``cluster_opinions`` turns the
votes into what a deliberation page shows: a 2-D position per participant for a scatter chart,
the opinion groups, the statements that set each group apart and the statements that every group
tends to agree (or disagree) with.

1. Matrix. Votes form a participants x statements matrix. A missing vote counts as the statement's
   mean vote (over the votes cast on it), so once the columns are centred a missing vote is zero
   and the centred matrix stays sparse.
2. Positions. Principal component analysis to two components (the two leading eigenvectors of the
   statements' Gram matrix). As Pol.is does, each projection is multiplied by
   sqrt(statements / votes cast), so that someone who voted on few statements is not drawn to the
   centre merely because the means filled their gaps. Everyone with a vote gets a position (a
   participant without votes sits at the origin). Each axis is signed so that the first statement
   loading on it points to its positive side: the same votes always give the same picture.
3. Who is grouped. A participant with at least min(``min_votes``, statements) votes, and at least
   one, is clustered; the others are listed in ``unclustered``.
4. Base clusters. k-means (k-means++ start, numpy's Generator seeded with ``seed``) of the
   clustered participants' positions into ``base_clusters`` clusters, fewer when there are fewer
   distinct positions.
5. Groups. Weighted k-means of the base-cluster centres (weight = members) for k = 2 ...
   ``max_groups``, several k-means++ starts each, and the k with the highest silhouette wins (the
   smaller k on a tie). The silhouette is that of the participants, each placed at their base
   cluster's centre: a weighted silhouette of at most ``base_clusters`` points, so it is cheap, and
   a crowded base cluster counts for as many people as it holds (an unweighted silhouette of the
   centres would let a few outliers outvote a crowd).
6. Representative statements. In each group, for each statement, the share who agreed,
   (agree + 1) / (seen + 2), is compared with the same share among the other clustered
   participants by a two-proportion z-test on those smoothed shares (pooled share
   (agree_in + agree_out + 2) / (seen_in + seen_out + 4)); likewise for disagree. ``seen`` counts
   passes. The direction with the larger z is kept; the statement represents the group when that
   z is significant one-sided at ``confidence`` (1.2816 at 90 %) and most of the group holds the
   view (smoothed share above one half). At most ``representatives_per_group``, highest z first.
   (Pol.is's own code adds one to both successes and trials inside its test; here the test uses
   the same smoothed shares that are shown, and its pooled share is never 0 or 1.)
7. Consensus. Group-informed consensus of a statement = the product over groups of
   (agree + 1) / (seen + 2) (and of (disagree + 1) / (seen + 2) for shared disagreement): high
   only when every group agrees, whatever their sizes. Every factor lies in (0, 1), so does the
   score. Statements no clustered participant has seen are left out.

Degenerate cases: no clustered participant gives no group, no representative and no consensus.
Fewer than ``MIN_TO_SPLIT`` clustered participants, or all of them at one position (identical
votes, for example), give one group; one group has no representative statements (there is no
"rest" to differ from). Otherwise there are 2 to ``max_groups`` groups, never more than the
distinct positions nor than the clustered participants minus one.

Input is three parallel integer arrays (participant index, statement index, vote). A second vote
by the same participant on the same statement is refused rather than "last one wins": the result
then cannot depend on the order of the triplets, and the caller's storage keeps one vote per pair
anyway. The triplets are sorted before anything is computed, so the result does not depend on
their order; the same votes and parameters give the same result, exactly (on the same numpy and
scipy builds: nothing here draws on a clock or on entropy).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import linalg, sparse
from scipy.cluster.vq import vq
from scipy.sparse.linalg import LinearOperator, eigsh

from .errors import InvalidInput, gettext_noop

Direction: TypeAlias = Literal["agree", "disagree"]
FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.int64]

MIN_TO_SPLIT = 3
"""The fewest clustered participants that can be split into groups (a silhouette needs a group
with two members and another group)."""

DENSE_AXES_LIMIT = 50
"""Up to this many statements the Gram matrix is formed and solved by ``scipy.linalg.eigh``; beyond,
ARPACK's Lanczos (``eigsh``) finds the two leading eigenvectors from sparse products alone. That
is faster, and it needs no multi-threaded LAPACK call, which can stall for seconds when the
machine is busy."""

SIGN_THRESHOLD = 1e-6
"""Each axis points the way the first statement that loads on it (by more than this fraction of
the largest loading) votes "agree": a rule that rounding cannot flip, unlike "largest loading"
when two loadings are equal."""

NULL_VARIANCE = 1e-10
"""An axis whose variance is below this fraction of the first axis's is treated as none."""

GROUP_STARTS = 10
"""k-means++ starts per candidate k when grouping base clusters (cheap: at most 100 points)."""

MAX_ITERATIONS = 300
"""Lloyd iterations at most; k-means in two dimensions settles long before."""

POSITION_DECIMALS = 9
"""Positions equal to this many decimals count as one (floating-point noise is not an opinion)."""


@dataclass(frozen=True)
class OpinionParameters:
    """The knobs of the method; the defaults are Pol.is's."""

    seed: int = 0
    min_votes: int = 7
    base_clusters: int = 100
    max_groups: int = 5
    confidence: float = 0.90
    representatives_per_group: int = 5
    consensus_per_direction: int = 5

    def __post_init__(self) -> None:
        bounds = {
            "seed": self.seed >= 0,
            "min_votes": self.min_votes >= 1,
            "max_groups": self.max_groups >= 2,
            "base_clusters": self.base_clusters >= self.max_groups,
            "confidence": 0.5 <= self.confidence < 1,
            "representatives_per_group": self.representatives_per_group >= 1,
            "consensus_per_direction": self.consensus_per_direction >= 1,
        }
        for name, ok in bounds.items():
            if not ok:
                raise InvalidInput(
                    "bad_parameter",
                    gettext_noop("The opinion clustering parameter %(name)s is out of range."),
                    name=name,
                )


@dataclass(frozen=True)
class RepresentativeStatement:
    """A statement on which a group differs from everyone else, and how."""

    statement: int
    direction: Direction
    agreed: int
    disagreed: int
    seen: int
    """Group members who voted on it, passes included."""
    group_ratio: float
    """(agreed or disagreed, per ``direction``, + 1) / (seen + 2) within the group."""
    rest_ratio: float
    """The same share among the other clustered participants."""
    z_score: float


@dataclass(frozen=True)
class OpinionGroup:
    members: tuple[int, ...]
    centre: tuple[float, float]
    representatives: tuple[RepresentativeStatement, ...]


@dataclass(frozen=True)
class ConsensusStatement:
    statement: int
    direction: Direction
    score: float
    """Product over groups of (agreed or disagreed + 1) / (seen + 2)."""


@dataclass(frozen=True)
class OpinionMap:
    """Everything a deliberation page draws; groups are ordered by their lowest member index."""

    positions: tuple[tuple[float, float], ...]
    """Every participant's position, by participant index."""
    groups: tuple[OpinionGroup, ...]
    unclustered: tuple[int, ...]
    """Participants with too few votes to be grouped, in index order."""
    consensus_agree: tuple[ConsensusStatement, ...]
    consensus_disagree: tuple[ConsensusStatement, ...]
    silhouettes: tuple[tuple[int, float], ...]
    """(k, silhouette) for every group count tried: why this many groups."""
    parameters: OpinionParameters


def cluster_opinions(
    participants: ArrayLike,
    statements: ArrayLike,
    votes: ArrayLike,
    *,
    participant_count: int,
    statement_count: int,
    parameters: OpinionParameters | None = None,
) -> OpinionMap:
    """Group participants by how they voted; see the module's docstring for the method."""
    parameters = parameters or OpinionParameters()
    who, what, vote = _sorted_votes(
        participants, statements, votes, participant_count, statement_count
    )
    rng = np.random.default_rng(parameters.seed)
    votes_cast = np.bincount(who, minlength=participant_count)
    positions = _positions(who, what, vote, participant_count, statement_count, votes_cast)
    needed = max(1, min(parameters.min_votes, statement_count))
    clustered = np.flatnonzero(votes_cast >= needed)
    labels, silhouettes = _group_labels(positions[clustered], parameters, rng)
    group_of = np.full(participant_count, -1, dtype=np.int64)
    group_of[clustered] = labels
    group_count = int(labels.max()) + 1 if labels.size else 0
    tally = _Tally.count(who, what, vote, group_of, group_count, statement_count)
    representatives = _representatives(tally, parameters)
    groups = []
    for g in range(group_count):
        members = np.flatnonzero(group_of == g)
        groups.append(
            OpinionGroup(
                members=tuple(members.tolist()),
                centre=_point(positions[members].mean(axis=0)),
                representatives=representatives[g],
            )
        )
    return OpinionMap(
        positions=tuple((x, y) for x, y in positions.tolist()),
        groups=tuple(groups),
        unclustered=tuple(np.flatnonzero(votes_cast < needed).tolist()),
        consensus_agree=_consensus(tally, "agree", parameters.consensus_per_direction),
        consensus_disagree=_consensus(tally, "disagree", parameters.consensus_per_direction),
        silhouettes=silhouettes,
        parameters=parameters,
    )


def _point(xy: ArrayLike) -> tuple[float, float]:
    x, y = np.asarray(xy, dtype=np.float64).tolist()
    return (x, y)


# --- input -----------------------------------------------------------------------------------


def _sorted_votes(
    participants: ArrayLike,
    statements: ArrayLike,
    votes: ArrayLike,
    participant_count: int,
    statement_count: int,
) -> tuple[IntArray, IntArray, FloatArray]:
    """The triplets checked and sorted by (participant, statement)."""
    if participant_count < 0 or statement_count < 0:
        raise InvalidInput(
            "bad_count", gettext_noop("Participant and statement counts cannot be negative.")
        )
    arrays = [np.asarray(a) for a in (participants, statements, votes)]
    if any(a.ndim != 1 for a in arrays) or len({a.size for a in arrays}) != 1:
        raise InvalidInput(
            "bad_triplets",
            gettext_noop("Participants, statements and votes must be three lists of equal length."),
        )
    if arrays[0].size and not all(np.issubdtype(a.dtype, np.integer) for a in arrays):
        raise InvalidInput(
            "bad_triplets", gettext_noop("Participants, statements and votes must be integers.")
        )
    who, what, vote = (a.astype(np.int64) for a in arrays)
    wrong = np.flatnonzero((vote < -1) | (vote > 1))
    if wrong.size:
        raise InvalidInput(
            "bad_vote",
            gettext_noop("A vote is -1 (disagree), 0 (pass) or 1 (agree), not %(value)s."),
            value=int(vote[wrong[0]]),
        )
    for code, index, count in (
        ("participant_out_of_range", who, participant_count),
        ("statement_out_of_range", what, statement_count),
    ):
        outside = np.flatnonzero((index < 0) | (index >= count))
        if outside.size:
            raise InvalidInput(
                code,
                gettext_noop("Index %(index)s is outside 0 to %(last)s."),
                index=int(index[outside[0]]),
                last=count - 1,
            )
    order = np.argsort(who * max(statement_count, 1) + what, kind="stable")
    who, what, vote = who[order], what[order], vote[order]
    repeated = np.flatnonzero((who[1:] == who[:-1]) & (what[1:] == what[:-1]))
    if repeated.size:
        raise InvalidInput(
            "duplicate_vote",
            gettext_noop("Participant %(participant)s voted twice on statement %(statement)s."),
            participant=int(who[repeated[0]]),
            statement=int(what[repeated[0]]),
        )
    return who, what, vote.astype(np.float64)


# --- positions -------------------------------------------------------------------------------


def _positions(
    who: IntArray,
    what: IntArray,
    vote: FloatArray,
    participant_count: int,
    statement_count: int,
    votes_cast: IntArray,
) -> FloatArray:
    """Each participant's projection on the two principal axes, scaled for sparse voting."""
    seen = np.bincount(what, minlength=statement_count)
    means = np.bincount(what, weights=vote, minlength=statement_count) / np.maximum(seen, 1)
    row_starts = np.concatenate(([0], np.cumsum(votes_cast)))
    centred = sparse.csr_array(
        (vote - means[what], what, row_starts), shape=(participant_count, statement_count)
    )
    projected = centred @ principal_axes(centred)
    scale = np.sqrt(statement_count / np.maximum(votes_cast, 1))
    return np.asarray(projected * scale[:, None], dtype=np.float64)


def principal_axes(centred: sparse.csr_array, dense_limit: int = DENSE_AXES_LIMIT) -> FloatArray:
    """The two leading eigenvectors of ``centred``'s statement Gram matrix, as columns, each
    signed by ``SIGN_THRESHOLD``'s rule. An axis along which nobody differs (an
    eigenvalue that is zero up to rounding) is a zero column: it carries no opinion, and
    whichever null vector a solver happened to return would only add noise."""
    statement_count = centred.shape[1]
    axes = np.zeros((statement_count, 2))
    if not centred.count_nonzero():
        return axes
    if statement_count <= dense_limit:
        gram = (centred.T @ centred).toarray()
        first = max(statement_count - 2, 0)
        values, vectors = linalg.eigh(gram, subset_by_index=[first, statement_count - 1])
    else:
        gram_operator = LinearOperator(
            (statement_count, statement_count),
            matvec=lambda v: centred.T @ (centred @ v),
            dtype=np.float64,
        )
        start = np.random.default_rng(0).standard_normal(statement_count)
        values, vectors = eigsh(gram_operator, k=2, v0=start)
        if values.min() <= NULL_VARIANCE * values.max():
            # One direction only: ARPACK filled the second from a random restart, which leaves
            # rounding noise in the first; one Gram product from the fixed start is exact.
            direction = gram_operator.matvec(start)
            values, vectors = (
                values.max(keepdims=True),
                (direction / np.linalg.norm(direction))[:, None],
            )
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    kept = values > NULL_VARIANCE * values[0]
    axes[:, : kept.size] = vectors * kept
    substantial = np.abs(axes) > SIGN_THRESHOLD * np.abs(axes).max(axis=0)
    first = axes[substantial.argmax(axis=0), [0, 1]]
    return axes * np.where(first < 0, -1.0, 1.0)


# --- clustering ------------------------------------------------------------------------------


def _group_labels(
    positions: FloatArray, parameters: OpinionParameters, rng: np.random.Generator
) -> tuple[IntArray, tuple[tuple[int, float], ...]]:
    """Group label per clustered participant (groups numbered by lowest member) and the
    silhouette of every k tried."""
    count = len(positions)
    if count == 0:
        return np.zeros(0, dtype=np.int64), ()
    distinct = len(np.unique(np.round(positions, POSITION_DECIMALS), axis=0))
    if count < MIN_TO_SPLIT or distinct < 2:
        return np.zeros(count, dtype=np.int64), ()
    base_centres, base_of = kmeans(
        positions, np.ones(count), min(parameters.base_clusters, distinct), rng
    )
    used, base_of = np.unique(base_of, return_inverse=True)
    base_centres = base_centres[used]
    sizes = np.bincount(base_of).astype(np.float64)
    best: tuple[float, IntArray] | None = None
    silhouettes = []
    for k in range(2, min(parameters.max_groups, len(base_centres), count - 1) + 1):
        labels = _best_of_starts(base_centres, sizes, k, rng)
        if np.unique(labels).size < k:
            continue
        score = weighted_silhouette(base_centres, sizes, labels)
        silhouettes.append((k, score))
        if best is None or score > best[0]:
            best = (score, labels)
    if best is None:
        return np.zeros(count, dtype=np.int64), tuple(silhouettes)
    labels = best[1][base_of]
    _, first_member = np.unique(labels, return_index=True)
    renumber = np.empty_like(first_member)
    renumber[np.argsort(first_member)] = np.arange(first_member.size)
    return renumber[labels].astype(np.int64), tuple(silhouettes)


def _best_of_starts(
    points: FloatArray, weights: FloatArray, k: int, rng: np.random.Generator
) -> IntArray:
    """The labels of the lowest weighted inertia over ``GROUP_STARTS`` k-means runs."""
    best: tuple[float, IntArray] | None = None
    for _ in range(GROUP_STARTS):
        centres, labels = kmeans(points, weights, k, rng)
        inertia = float(weights @ ((points - centres[labels]) ** 2).sum(axis=1))
        if best is None or inertia < best[0]:
            best = (inertia, labels)
    assert best is not None
    return best[1]


def kmeans(
    points: FloatArray, weights: FloatArray, k: int, rng: np.random.Generator
) -> tuple[FloatArray, IntArray]:
    """Weighted Lloyd's k-means from a k-means++ start: (centres, label per point). A cluster
    left empty keeps its previous centre; fewer than k centres exist only when fewer than k
    points differ."""
    centres = _kmeans_plus_plus(points, weights, k, rng)
    labels = _nearest(points, centres)
    for _ in range(MAX_ITERATIONS):
        mass = np.bincount(labels, weights=weights, minlength=len(centres))
        filled = mass > 0
        for axis in range(points.shape[1]):
            total = np.bincount(labels, weights=weights * points[:, axis], minlength=len(centres))
            centres[filled, axis] = total[filled] / mass[filled]
        moved = _nearest(points, centres)
        if np.array_equal(moved, labels):
            break
        labels = moved
    return centres, labels


def _kmeans_plus_plus(
    points: FloatArray, weights: FloatArray, k: int, rng: np.random.Generator
) -> FloatArray:
    """k-means++ seeding: each next centre drawn with probability weight x squared distance to
    the nearest centre so far."""
    chosen = [_draw(weights, rng)]
    nearest = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    while len(chosen) < k and (weights * nearest).sum() > 0:
        pick = _draw(weights * nearest, rng)
        chosen.append(pick)
        nearest = np.minimum(nearest, ((points - points[pick]) ** 2).sum(axis=1))
    return points[chosen].copy()


def _draw(mass: FloatArray, rng: np.random.Generator) -> int:
    """An index drawn with probability proportional to ``mass`` (zero mass is never drawn)."""
    cumulative = np.cumsum(mass)
    pick = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(pick, len(mass) - 1)


def _nearest(points: FloatArray, centres: FloatArray) -> IntArray:
    """The index of each point's nearest centre (scipy's C loop: no thread pool to wait on)."""
    codes, _ = vq(points, centres, check_finite=False)
    return np.asarray(codes, dtype=np.int64)


def weighted_silhouette(points: FloatArray, weights: FloatArray, labels: IntArray) -> float:
    """Mean silhouette of ``weights[i]`` participants standing at each ``points[i]``: the
    silhouette of the whole population when everyone stands at their base cluster's centre.
    A participant alone in their group scores 0, as usual."""
    group_count = int(labels.max()) + 1
    distance = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
    membership = np.zeros((len(points), group_count))
    membership[np.arange(len(points)), labels] = weights
    pull = distance @ membership  # summed distance from each point to each group's people
    group_mass = membership.sum(axis=0)
    rows = np.arange(len(points))
    others_in_own = group_mass[labels] - 1
    within = pull[rows, labels] / np.maximum(others_in_own, 1)
    between = pull / group_mass
    between[rows, labels] = np.inf
    nearest_other = between.min(axis=1)
    spread = np.maximum(within, nearest_other)
    score = np.where(
        (others_in_own > 0) & (spread > 0),
        (nearest_other - within) / np.where(spread > 0, spread, 1),
        0.0,
    )
    return float(weights @ score / weights.sum())


# --- statements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tally:
    """Votes of clustered participants per group (rows) and statement (columns)."""

    agreed: IntArray
    disagreed: IntArray
    seen: IntArray

    @classmethod
    def count(
        cls,
        who: IntArray,
        what: IntArray,
        vote: FloatArray,
        group_of: IntArray,
        group_count: int,
        statement_count: int,
    ) -> _Tally:
        group = group_of[who]
        grouped = group >= 0
        cell = group[grouped] * statement_count + what[grouped]
        cast = vote[grouped]
        size = group_count * statement_count
        shape = (group_count, statement_count)
        return cls(
            agreed=np.bincount(cell[cast > 0], minlength=size).reshape(shape),
            disagreed=np.bincount(cell[cast < 0], minlength=size).reshape(shape),
            seen=np.bincount(cell, minlength=size).reshape(shape),
        )

    def of(self, direction: Direction) -> IntArray:
        return self.agreed if direction == "agree" else self.disagreed


def smoothed_ratio(count: ArrayLike, seen: ArrayLike) -> FloatArray:
    """(count + 1) / (seen + 2): a share that is never 0 or 1 on little evidence."""
    return (np.asarray(count) + 1.0) / (np.asarray(seen) + 2.0)


def two_proportion_z(
    count_in: ArrayLike, seen_in: ArrayLike, count_out: ArrayLike, seen_out: ArrayLike
) -> FloatArray:
    """z of the smoothed share inside against the smoothed share outside, pooled variance."""
    count_in, seen_in, count_out, seen_out = (
        np.asarray(a, dtype=np.float64) for a in (count_in, seen_in, count_out, seen_out)
    )
    pooled = (count_in + count_out + 2) / (seen_in + seen_out + 4)
    error = np.sqrt(pooled * (1 - pooled) * (1 / (seen_in + 2) + 1 / (seen_out + 2)))
    difference = smoothed_ratio(count_in, seen_in) - smoothed_ratio(count_out, seen_out)
    return np.asarray(difference / error, dtype=np.float64)


def _representatives(
    tally: _Tally, parameters: OpinionParameters
) -> list[tuple[RepresentativeStatement, ...]]:
    """Per group, its significant statements, highest z first (see the module's docstring)."""
    group_count = tally.seen.shape[0]
    if group_count < 2:
        return [()] * group_count
    critical = NormalDist().inv_cdf(parameters.confidence)
    rest_seen = tally.seen.sum(axis=0) - tally.seen
    held = np.stack([tally.agreed, tally.disagreed])  # [direction, group, statement]
    rest_held = held.sum(axis=1, keepdims=True) - held
    z = two_proportion_z(held, tally.seen, rest_held, rest_seen)
    side = (z[1] > z[0]).astype(np.int64)  # 0 agree, 1 disagree; a tie counts as agree
    best_z = np.take_along_axis(z, side[None], axis=0)[0]
    group_ratio = smoothed_ratio(np.take_along_axis(held, side[None], axis=0)[0], tally.seen)
    rest_ratio = smoothed_ratio(np.take_along_axis(rest_held, side[None], axis=0)[0], rest_seen)
    chosen = (tally.seen > 0) & (best_z >= critical) & (group_ratio > 0.5)
    directions: tuple[Direction, Direction] = ("agree", "disagree")
    result = []
    for g in range(group_count):
        candidates = np.flatnonzero(chosen[g])
        ranked = candidates[np.lexsort((candidates, -best_z[g, candidates]))]
        result.append(
            tuple(
                RepresentativeStatement(
                    statement=s,
                    direction=directions[side[g, s]],
                    agreed=int(tally.agreed[g, s]),
                    disagreed=int(tally.disagreed[g, s]),
                    seen=int(tally.seen[g, s]),
                    group_ratio=float(group_ratio[g, s]),
                    rest_ratio=float(rest_ratio[g, s]),
                    z_score=float(best_z[g, s]),
                )
                for s in ranked[: parameters.representatives_per_group].tolist()
            )
        )
    return result


def _consensus(tally: _Tally, direction: Direction, limit: int) -> tuple[ConsensusStatement, ...]:
    """The ``limit`` statements with the highest group-informed consensus in ``direction``."""
    if tally.seen.shape[0] == 0:
        return ()
    score = smoothed_ratio(tally.of(direction), tally.seen).prod(axis=0)
    candidates = np.flatnonzero(tally.seen.sum(axis=0) > 0)
    ranked = candidates[np.lexsort((candidates, -score[candidates]))][:limit]
    return tuple(
        ConsensusStatement(statement=s, direction=direction, score=float(score[s]))
        for s in ranked.tolist()
    )
