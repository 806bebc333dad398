"""Opinion groups the Pol.is way: planted camps recovered, exact statistics, reproducible."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from taawun.domain.errors import InvalidInput
from taawun.domain.opinion import (
    OpinionMap,
    OpinionParameters,
    cluster_opinions,
    principal_axes,
    weighted_silhouette,
)

Rows = Sequence[Sequence[int | None]]
Z_90 = 1.2815515655446008  # one-sided 90 % critical value of the standard normal


def triplets(rows: Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A participants x statements table (None = no vote) as (participant, statement, vote)."""
    cells = [(p, s, v) for p, row in enumerate(rows) for s, v in enumerate(row) if v is not None]
    if not cells:
        return (np.zeros(0, dtype=np.int64),) * 3
    who, what, vote = zip(*cells, strict=True)
    return np.array(who), np.array(what), np.array(vote)


def cluster(rows: Rows, statement_count: int | None = None, **parameters: Any) -> OpinionMap:
    who, what, vote = triplets(rows)
    return cluster_opinions(
        who,
        what,
        vote,
        participant_count=len(rows),
        statement_count=len(rows[0]) if statement_count is None else statement_count,
        parameters=OpinionParameters(**parameters),
    )


def partition(result: OpinionMap) -> set[frozenset[int]]:
    return {frozenset(group.members) for group in result.groups}


def planted_camps(seed: int = 7) -> tuple[list[list[int | None]], list[set[int]]]:
    """60 participants in 3 camps of 20 over 12 statements; each camp takes its own side on each
    statement and every participant passes on one statement at random (the noise)."""
    rng = np.random.default_rng(seed)
    sides = np.array(
        [
            [1, 1, 1, 1, -1, -1, -1, -1, 1, 1, -1, 1],
            [-1, -1, -1, -1, 1, 1, 1, 1, 1, 1, -1, 1],
            [1, -1, 1, -1, 1, -1, 1, -1, -1, -1, 1, 1],
        ]
    )
    rows: list[list[int | None]] = []
    for camp in range(3):
        for _ in range(20):
            row: list[int | None] = list(sides[camp].tolist())
            row[int(rng.integers(12))] = 0
            rows.append(row)
    return rows, [set(range(20 * c, 20 * c + 20)) for c in range(3)]


# --- groups ----------------------------------------------------------------------------------


def test_planted_camps_are_recovered_exactly() -> None:
    rows, camps = planted_camps()
    result = cluster(rows)
    assert partition(result) == {frozenset(c) for c in camps}
    assert len(result.groups) == 3
    assert max(result.silhouettes, key=lambda ks: ks[1])[0] == 3
    assert [k for k, _ in result.silhouettes] == [2, 3, 4, 5]
    assert [g.members[0] for g in result.groups] == [0, 20, 40]  # ordered by lowest member
    assert result.unclustered == ()


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_recovery_does_not_hinge_on_one_seed(seed: int) -> None:
    rows, camps = planted_camps(seed=seed + 10)
    assert partition(cluster(rows, seed=seed)) == {frozenset(c) for c in camps}


def test_a_participant_needs_min_7_or_all_statements_votes_to_be_clustered() -> None:
    rows, _ = planted_camps()
    rows.append([1, 1, 1, 1, -1, -1, None, None, None, None, None, None])  # 6 votes of 12
    rows.append([1, 1, 1, 1, -1, -1, -1, None, None, None, None, None])  # 7 votes
    rows.append([None] * 12)  # none
    result = cluster(rows)
    assert result.unclustered == (60, 62)
    assert any(61 in group.members for group in result.groups)
    assert len(result.positions) == 63
    assert result.positions[62] == (0.0, 0.0)
    # with five statements, five votes are enough and four are not
    few: list[list[int | None]] = [
        [1, 1, -1, -1, 1],
        [1, 1, -1, -1, None],
        [-1, -1, 1, 1, -1],
        [-1, 1, 1, 1, -1],
    ]
    assert cluster(few).unclustered == (1,)
    # a lower threshold from the parameters
    assert cluster(few, min_votes=2).unclustered == ()


# --- representative statements and consensus ------------------------------------------------


NOISE = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1]]
NOISE += [[0, 0, -1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]


def two_camps() -> list[list[int | None]]:
    """Camp A (0-9) agrees with statements 0-5, camp B (10-19) disagrees; everyone agrees with
    statement 6 and disagrees with statement 7. On statement 0 two of B pass; on statement 1
    one of A passes; one of A did not vote on statement 5. Statements 8-10 spread each camp into
    a cloud, the same ten patterns in both camps (so they tell the camps nothing)."""
    a: list[int | None] = [1, 1, 1, 1, 1, 1, 1, -1]
    b: list[int | None] = [-1, -1, -1, -1, -1, -1, 1, -1]
    rows = [a + list(noise) for noise in NOISE] + [b + list(noise) for noise in NOISE]
    rows[10][0] = rows[11][0] = 0
    rows[0][1] = 0
    rows[1][5] = None
    return rows


def z_by_hand(count_in: int, seen_in: int, count_out: int, seen_out: int) -> float:
    p_in = (count_in + 1) / (seen_in + 2)
    p_out = (count_out + 1) / (seen_out + 2)
    pooled = (count_in + count_out + 2) / (seen_in + seen_out + 4)
    return (p_in - p_out) / math.sqrt(
        pooled * (1 - pooled) * (1 / (seen_in + 2) + 1 / (seen_out + 2))
    )


def test_representative_statements_have_hand_computed_ratios_and_z_scores() -> None:
    result = cluster(two_camps(), representatives_per_group=8)
    camp_a, camp_b = result.groups
    assert camp_a.members == tuple(range(10))
    assert camp_b.members == tuple(range(10, 20))

    a0 = next(r for r in camp_a.representatives if r.statement == 0)
    assert (a0.direction, a0.agreed, a0.disagreed, a0.seen) == ("agree", 10, 0, 10)
    assert a0.group_ratio == 11 / 12
    assert a0.rest_ratio == 1 / 12  # nobody in B agreed: (0 + 1) / (10 + 2)
    # pooled (10 + 0 + 2) / 24 = 1/2, so z = (10/12) / sqrt(1/4 * 2/12) = 5 * sqrt(6) / 3
    assert a0.z_score == pytest.approx(5 * math.sqrt(6) / 3, abs=1e-12)
    assert a0.z_score == pytest.approx(4.0824829046386295, abs=1e-12)

    b0 = next(r for r in camp_b.representatives if r.statement == 0)
    assert (b0.direction, b0.agreed, b0.disagreed, b0.seen) == ("disagree", 0, 8, 10)
    assert b0.group_ratio == 9 / 12
    assert b0.rest_ratio == 1 / 12
    assert b0.z_score == pytest.approx(z_by_hand(8, 10, 0, 10), abs=1e-12)
    assert b0.z_score == pytest.approx(3.3123146848433005, abs=1e-12)

    a5 = next(r for r in camp_a.representatives if r.statement == 5)  # one of A did not vote
    assert (a5.agreed, a5.seen, a5.group_ratio) == (9, 9, 10 / 11)
    assert a5.z_score == pytest.approx(z_by_hand(9, 9, 0, 10), abs=1e-12)
    assert a5.z_score == pytest.approx(3.9601942124324725, abs=1e-12)

    # strongest first: 0, 2, 3, 4 split the camps completely (equal z, by index), then 5 (one
    # of A did not vote) and 1 (one of A passed: 3.6871); for B, 0 comes last (two passed)
    assert [r.statement for r in camp_a.representatives] == [0, 2, 3, 4, 5, 1]
    assert [r.statement for r in camp_b.representatives] == [1, 2, 3, 4, 5, 0]
    assert all(r.direction == "agree" for r in camp_a.representatives)
    assert all(r.direction == "disagree" for r in camp_b.representatives)
    # shared statements (6, 7) and the noise (8-10) set no camp apart
    for group in result.groups:
        assert {r.statement for r in group.representatives}.isdisjoint({6, 7, 8, 9, 10})
    # by default, the five strongest
    top = cluster(two_camps()).groups
    assert [[r.statement for r in g.representatives] for g in top] == [
        [0, 2, 3, 4, 5],
        [1, 2, 3, 4, 5],
    ]


def test_a_stricter_confidence_keeps_fewer_statements() -> None:
    strict = cluster(two_camps(), representatives_per_group=8, confidence=0.9999)
    # the one-sided 99.99 % critical value is 3.7190: statement 1 for A (3.6871) and statement
    # 0 for B (3.3123) drop out
    assert [[r.statement for r in g.representatives] for g in strict.groups] == [
        [0, 2, 3, 4, 5],
        [1, 2, 3, 4, 5],
    ]
    loose = cluster(two_camps(), representatives_per_group=8)
    for group in loose.groups:
        assert all(r.z_score >= Z_90 and r.group_ratio > 0.5 for r in group.representatives)


def test_consensus_is_the_product_over_groups() -> None:
    result = cluster(two_camps())
    first = result.consensus_agree[0]
    assert (first.statement, first.direction) == (6, "agree")
    assert first.score == (11 / 12) * (11 / 12)
    assert first.score == pytest.approx(121 / 144, abs=1e-15)
    # statement 0 is split: A (10 + 1) / 12 agree, B (0 + 1) / 12
    by_statement = {
        c.statement: c.score
        for c in cluster(two_camps(), consensus_per_direction=8).consensus_agree
    }
    assert by_statement[0] == (11 / 12) * (1 / 12)
    disagreed = result.consensus_disagree[0]
    assert (disagreed.statement, disagreed.direction) == (7, "disagree")
    assert disagreed.score == (11 / 12) * (11 / 12)
    assert len(result.consensus_agree) == 5  # consensus_per_direction


def test_one_group_has_no_representatives_but_consensus() -> None:
    result = cluster([[1, 1, -1], [1, 1, -1], [1, 1, -1]])
    assert len(result.groups) == 1
    assert result.groups[0].representatives == ()
    assert result.consensus_agree[0].score == 4 / 5  # (3 + 1) / (3 + 2)


# --- degenerate cases ------------------------------------------------------------------------


def test_nobody_gives_an_empty_map() -> None:
    result = cluster_opinions([], [], [], participant_count=0, statement_count=0)
    assert (result.positions, result.groups, result.unclustered) == ((), (), ())
    assert (result.consensus_agree, result.consensus_disagree, result.silhouettes) == ((), (), ())


def test_nobody_clustered_gives_no_group() -> None:
    result = cluster_opinions([0], [0], [1], participant_count=2, statement_count=3)
    assert result.unclustered == (0, 1)
    assert (result.groups, result.consensus_agree, result.consensus_disagree) == ((), (), ())
    assert len(result.positions) == 2
    # the one who voted on both statements forms a group alone
    result = cluster([[1, -1], [1, None]])
    assert (partition(result), result.unclustered) == ({frozenset({0})}, (1,))


def test_one_or_two_participants_form_one_group() -> None:
    assert partition(cluster([[1, -1, 1]])) == {frozenset({0})}
    assert partition(cluster([[1, -1, 1], [-1, 1, -1]])) == {frozenset({0, 1})}


def test_three_different_participants_form_two_groups() -> None:
    result = cluster([[1, 1, 1], [1, 1, 0], [-1, -1, -1]])
    assert partition(result) == {frozenset({0, 1}), frozenset({2})}
    assert [k for k, _ in result.silhouettes] == [2]


def test_identical_votes_form_one_group_at_the_origin() -> None:
    result = cluster([[1, -1, 0, 1, 1, -1, 1]] * 30)
    assert partition(result) == {frozenset(range(30))}
    assert set(result.positions) == {(0.0, 0.0)}
    assert result.silhouettes == ()


def test_weighted_silhouette_counts_each_participant() -> None:
    points = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0]])
    # one person at 0 and one at 1 (group 0), three at 10 (group 1)
    score = weighted_silhouette(points, np.array([1.0, 1.0, 3.0]), np.array([0, 0, 1]))
    at_0 = (10 - 1) / 10
    at_1 = (9 - 1) / 9
    at_10 = 1.0  # its two companions stand on the same spot
    assert score == pytest.approx((at_0 + at_1 + 3 * at_10) / 5, abs=1e-15)


@pytest.mark.parametrize("statements", [12, 80])  # the dense solver and ARPACK
def test_positions_are_the_mean_imputed_pca_scaled_for_sparse_voting(statements: int) -> None:
    rng = np.random.default_rng(8)
    table = rng.choice([-1.0, 0.0, 1.0, np.nan], size=(120, statements), p=[0.3, 0.1, 0.3, 0.3])
    table[:60, : statements // 2] = np.where(np.isnan(table[:60, : statements // 2]), np.nan, 1)
    rows = [[None if np.isnan(v) else int(v) for v in row] for row in table]
    result = cluster(rows)
    # the same by a full SVD of the dense matrix, gaps filled with each statement's mean vote
    filled = np.where(np.isnan(table), np.nanmean(table, axis=0), table)
    centred = filled - filled.mean(axis=0)
    axes = np.linalg.svd(centred)[2][:2].T
    first_loading = (np.abs(axes) > 1e-6 * np.abs(axes).max(axis=0)).argmax(axis=0)
    axes *= np.sign(axes[first_loading, [0, 1]])  # the first statement on an axis points its way
    votes_cast = (~np.isnan(table)).sum(axis=1)
    expected = centred @ axes * np.sqrt(statements / votes_cast)[:, None]
    assert np.allclose(np.array(result.positions), expected, atol=1e-9)


def test_both_eigen_solvers_find_the_same_axes() -> None:
    rng = np.random.default_rng(3)
    dense = rng.choice([-1.0, 0.0, 1.0, np.nan], size=(300, 80), p=[0.3, 0.1, 0.3, 0.3])
    dense[:150, :40] = np.where(np.isnan(dense[:150, :40]), np.nan, 1.0)
    centred = np.where(np.isnan(dense), 0.0, dense - np.nanmean(dense, axis=0))
    matrix = sparse.csr_array(centred)
    exact = principal_axes(matrix, dense_limit=1_000)
    lanczos = principal_axes(matrix, dense_limit=10)
    assert np.allclose(exact, lanczos, atol=1e-9)
    assert np.allclose(np.linalg.norm(exact, axis=0), 1.0)


# --- reproducibility -------------------------------------------------------------------------


def random_votes(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    camp = rng.integers(0, 3, 200)
    sides = rng.choice([-1, 1], size=(3, 30))
    taken = rng.random((200, 30)) < 0.6
    who, what = np.nonzero(taken)
    follow = rng.random(who.size) < 0.8
    vote = np.where(follow, sides[camp[who], what], rng.integers(-1, 2, who.size))
    return who, what, vote


def test_same_votes_and_seed_give_the_same_result() -> None:
    who, what, vote = random_votes(11)
    first = cluster_opinions(who, what, vote, participant_count=200, statement_count=30)
    again = cluster_opinions(who, what, vote, participant_count=200, statement_count=30)
    assert first == again
    shuffled = np.random.default_rng(5).permutation(who.size)
    reordered = cluster_opinions(
        who[shuffled], what[shuffled], vote[shuffled], participant_count=200, statement_count=30
    )
    assert reordered == first
    assert len(first.groups) == 3


@pytest.mark.parametrize("directions", [1, 2, 4])  # rank of the vote matrix
def test_a_low_rank_vote_matrix_gives_the_same_result_every_time(directions: int) -> None:
    # identical camps over 60 statements: ARPACK finds an invariant subspace and restarts from
    # a random vector of its own; the result must not show it
    rng = np.random.default_rng(directions)
    sides = rng.choice([-1, 1], size=(directions + 1, 60))
    who, what = np.nonzero(np.ones((90, 60), dtype=bool))
    vote = sides[who % (directions + 1), what]
    results = [
        cluster_opinions(who, what, vote, participant_count=90, statement_count=60)
        for _ in range(4)
    ]
    assert all(result == results[0] for result in results)
    assert len(results[0].groups) == min(directions + 1, 5)


def test_the_seed_is_recorded() -> None:
    who, what, vote = random_votes(11)
    parameters = OpinionParameters(seed=42)
    result = cluster_opinions(
        who, what, vote, participant_count=200, statement_count=30, parameters=parameters
    )
    assert result.parameters == parameters


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "what", "vote", "code"),
    [
        ([0, 1], [0, 1], [1, 2], "bad_vote"),
        ([0, 1], [0, 1], [1, -2], "bad_vote"),
        ([0, 5], [0, 1], [1, 1], "participant_out_of_range"),
        ([0, -1], [0, 1], [1, 1], "participant_out_of_range"),
        ([0, 1], [0, 3], [1, 1], "statement_out_of_range"),
        ([0, 1, 0], [1, 1, 1], [1, 1, -1], "duplicate_vote"),
        ([0, 1], [0, 1], [1], "bad_triplets"),
        ([0, 1], [0, 1], [1.0, 0.5], "bad_triplets"),
        ([[0, 1]], [[0, 1]], [[1, 1]], "bad_triplets"),
    ],
)
def test_bad_votes_are_refused_with_a_code(
    who: list[int], what: list[int], vote: list[float], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        cluster_opinions(who, what, vote, participant_count=2, statement_count=3)
    assert refused.value.code == code
    assert refused.value.status == 400


def test_a_duplicate_vote_names_the_pair() -> None:
    with pytest.raises(InvalidInput) as refused:
        cluster_opinions([1, 0, 1], [2, 2, 2], [1, 1, 0], participant_count=2, statement_count=3)
    assert refused.value.params == {"participant": 1, "statement": 2}


def test_negative_counts_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        cluster_opinions([], [], [], participant_count=-1, statement_count=0)
    assert refused.value.code == "bad_count"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seed", -1),
        ("min_votes", 0),
        ("max_groups", 1),
        ("base_clusters", 4),
        ("confidence", 1.0),
        ("confidence", 0.4),
        ("representatives_per_group", 0),
        ("consensus_per_direction", 0),
    ],
)
def test_bad_parameters_are_refused(field: str, value: float) -> None:
    with pytest.raises(InvalidInput) as refused:
        OpinionParameters(**{field: value})  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.params) == ("bad_parameter", {"name": field})


# --- properties ------------------------------------------------------------------------------


@st.composite
def vote_sets(draw: st.DrawFn) -> tuple[list[list[int | None]], int, int]:
    participants = draw(st.integers(min_value=0, max_value=25))
    statements = draw(st.integers(min_value=1, max_value=9))
    cell = st.one_of(st.none(), st.sampled_from([-1, 0, 1]))
    rows = [[draw(cell) for _ in range(statements)] for _ in range(participants)]
    return rows, statements, draw(st.integers(min_value=0, max_value=2**32))


@settings(max_examples=150, deadline=None)
@given(vote_sets())
def test_properties(case: tuple[list[list[int | None]], int, int]) -> None:
    rows, statements, seed = case
    result = cluster(rows, statement_count=statements, seed=seed)
    needed = min(7, statements)
    cast = [sum(v is not None for v in row) for row in rows]
    clustered = [p for p, c in enumerate(cast) if c >= needed]
    assert list(result.unclustered) == [p for p, c in enumerate(cast) if c < needed]
    members = [p for group in result.groups for p in group.members]
    assert sorted(members) == clustered  # every clustered participant in exactly one group
    distinct = len({tuple(np.round(result.positions[p], 9)) for p in clustered})
    if not clustered:
        assert result.groups == ()
    elif len(clustered) < 3 or distinct < 2:
        assert len(result.groups) == 1
    else:
        assert 2 <= len(result.groups) <= min(5, len(clustered) - 1, distinct)
    for consensus in (result.consensus_agree, result.consensus_disagree):
        assert all(0 < c.score < 1 for c in consensus)
        scores = [c.score for c in consensus]
        assert scores == sorted(scores, reverse=True)
    for group in result.groups:
        for r in group.representatives:
            assert r.z_score >= Z_90 and r.group_ratio > 0.5 and r.seen > 0
    assert all(-1 <= score <= 1 for _, score in result.silhouettes)
    assert len(result.positions) == len(rows)


# --- against red-dwarf -----------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Passing a list to DataFrame.from_dict")
def test_the_same_groups_as_red_dwarf_on_planted_data() -> None:
    polis = pytest.importorskip("reddwarf.implementations.polis")
    # red-dwarf seeds k-means with the first distinct rows and runs it once, so on some draws
    # (this generator with seed 4, say) it settles on a worse split; this draw is not one
    rng = np.random.default_rng(0)
    camp = np.repeat(np.arange(3), 100)
    sides = rng.choice([-1, 1], size=(3, 40))
    taken = rng.random((300, 40)) < 0.7
    who, what = np.nonzero(taken)
    draw = rng.random(who.size)
    vote = np.where(
        draw < 0.85, sides[camp[who], what], np.where(draw < 0.95, 0, -sides[camp[who], what])
    )
    ours = cluster_opinions(who, what, vote, participant_count=300, statement_count=40)
    theirs = polis.run_pipeline(
        votes=[
            {"participant_id": int(p), "statement_id": int(s), "vote": int(v), "modified": 0}
            for p, s, v in zip(who, what, vote, strict=True)
        ],
        random_state=0,
    )
    labels = theirs.participants_df["cluster_id"]
    red_dwarf = {frozenset(labels.index[labels == g].tolist()) for g in labels.dropna().unique()}
    assert (
        partition(ours) == red_dwarf == {frozenset(range(100 * c, 100 * c + 100)) for c in range(3)}
    )
