"""Ranked ballots, instant-runoff and STV: published examples, an independent oracle
(pyrankvote), a plain ballot-by-ballot restatement of the STV rules, and properties."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pyrankvote
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.voting import (
    RankedBallots,
    RunoffRound,
    STVRound,
    TieBreak,
    instant_runoff,
    lot_order,
    ranked_ballots,
    single_transferable_vote,
    to_blt,
)
from taawun.domain.voting.stv import SCALE

SEED = b"committed before the vote opened"
D = Decimal


def table(rows: list[list[int]], width: int | None = None) -> np.ndarray:
    width = width or max(len(r) for r in rows)
    return np.array([r + [-1] * (width - len(r)) for r in rows], dtype=np.int64)


# --- published examples -------------------------------------------------------------------

TENNESSEE = ("Memphis", "Nashville", "Chattanooga", "Knoxville")


def tennessee() -> RankedBallots:
    """Wikipedia's Tennessee capital example: each city's voters rank by distance."""
    m, n, c, k = range(4)
    rows = [[m, n, c, k], [n, c, k, m], [c, k, n, m], [k, c, n, m]]
    return ranked_ballots(TENNESSEE, rows, [42, 26, 15, 17])


def test_tennessee_plurality_picks_memphis_but_instant_runoff_picks_knoxville() -> None:
    result = instant_runoff(tennessee(), seed=SEED)
    first = result.rounds[0].tallies
    assert max(first, key=lambda city: first[city]) == "Memphis"
    assert result.winner == "Knoxville"
    assert result.rounds == (
        RunoffRound(
            1,
            {"Memphis": 42, "Nashville": 26, "Chattanooga": 15, "Knoxville": 17},
            0,
            ("Chattanooga",),
        ),
        RunoffRound(2, {"Memphis": 42, "Nashville": 26, "Knoxville": 32}, 0, ("Nashville",)),
        RunoffRound(3, {"Memphis": 42, "Knoxville": 58}, 0, ()),
    )
    assert (result.ties, result.ballots) == ((), 100)
    assert str(result.explanation[-1]) == "Knoxville wins with 58 of the 100 votes."


FOOD = ("Oranges", "Pears", "Chocolate", "Strawberries", "Sweets")


def food() -> RankedBallots:
    """Wikipedia's STV example: 20 guests choose 3 foods for a party."""
    o, p, c, s, w = range(5)
    rows = [[o, p], [p, o], [c, s], [c, w], [s], [w]]
    return ranked_ballots(FOOD, table(rows), [4, 2, 8, 4, 1, 1])


def test_food_election_round_by_round() -> None:
    result = single_transferable_vote(food(), seats=3, seed=SEED)
    assert (result.elected, result.quota, result.ballots) == (
        ("Chocolate", "Oranges", "Strawberries"),
        6,
        20,
    )

    def votes(**tallies: int) -> dict[str, Decimal]:
        return {name: D(v).quantize(D("0.00001")) for name, v in tallies.items()}

    zero = D("0.00000")
    assert result.rounds == (
        STVRound(
            number=1,
            surplus_of=None,
            transfer_value=None,
            excluded=(),
            transferred={},
            tallies=votes(Oranges=4, Pears=2, Chocolate=12, Strawberries=1, Sweets=1),
            exhausted=zero,
            rounding_loss=zero,
            elected=("Chocolate",),
        ),
        STVRound(  # Chocolate's 6 surplus votes go on at half value: 8 x 0.5 and 4 x 0.5
            number=2,
            surplus_of="Chocolate",
            transfer_value=D("0.50000"),
            excluded=(),
            transferred=votes(Strawberries=4, Sweets=2),
            tallies=votes(Oranges=4, Pears=2, Chocolate=6, Strawberries=5, Sweets=3),
            exhausted=zero,
            rounding_loss=zero,
            elected=(),
        ),
        STVRound(  # Pears out; Oranges reach the quota exactly, so there is no surplus
            number=3,
            surplus_of=None,
            transfer_value=None,
            excluded=("Pears",),
            transferred=votes(Oranges=2),
            tallies=votes(Oranges=6, Chocolate=6, Strawberries=5, Sweets=3),
            exhausted=zero,
            rounding_loss=zero,
            elected=("Oranges",),
        ),
        STVRound(  # Sweets out, their ballots exhaust; Strawberries is the one left
            number=4,
            surplus_of=None,
            transfer_value=None,
            excluded=("Sweets",),
            transferred={},
            tallies=votes(Oranges=6, Chocolate=6, Strawberries=5),
            exhausted=D("3.00000"),
            rounding_loss=zero,
            elected=("Strawberries",),
        ),
    )
    assert result.ties == ()
    assert [str(line) for line in result.explanation][:4] == [
        "20 valid ballots and 3 seats: the quota is 6 votes (the ballots divided by one more"
        " than the seats, rounded down, plus one).",
        "Round 1: Oranges 4.00000, Pears 2.00000, Chocolate 12.00000, Strawberries 1.00000,"
        " Sweets 1.00000; exhausted: 0.00000.",
        "Chocolate reaches the quota with 12.00000 and is elected.",
        "Chocolate's surplus of 6.00000 is transferred: each of their ballots passes on at"
        " 0.50000 of its value.",
    ]


def test_food_ballots_in_blt_format() -> None:
    assert to_blt(food(), seats=3, title="Party food") == (
        "5 3\n"
        "4 1 2 0\n"
        "2 2 1 0\n"
        "8 3 4 0\n"
        "4 3 5 0\n"
        "1 4 0\n"
        "1 5 0\n"
        "0\n"
        '"Oranges"\n"Pears"\n"Chocolate"\n"Strawberries"\n"Sweets"\n"Party food"\n'
    )


def test_blt_refuses_names_it_cannot_quote() -> None:
    ballots = ranked_ballots(['say "hi"', "b"], [[0, 1]])
    with pytest.raises(InvalidInput) as info:
        to_blt(ballots, seats=1, title="t")
    assert info.value.code == "unquotable_name"


# --- exact arithmetic ---------------------------------------------------------------------


def test_surplus_values_are_truncated_to_five_places_and_the_loss_is_shown() -> None:
    a, b, c = range(3)
    # 10 ballots, 2 seats: quota 4. A has 7, a surplus of 3: each ballot goes on at 3/7.
    ballots = ranked_ballots(("A", "B", "C"), table([[a, b], [a, c], [b], [c]]), [3, 4, 1, 2])
    result = single_transferable_vote(ballots, seats=2, seed=SEED)
    transfer = result.rounds[1]
    assert (transfer.surplus_of, transfer.transfer_value) == ("A", D("0.42857"))
    assert transfer.transferred == {"B": D("1.28571"), "C": D("1.71428")}
    assert transfer.tallies == {"A": D("4.00000"), "B": D("2.28571"), "C": D("3.71428")}
    assert transfer.rounding_loss == D("0.00001")
    assert result.elected == ("A", "C")
    assert result.rounds[-1].excluded == ("B",)


def test_fewer_candidates_than_seats_are_all_elected() -> None:
    ballots = ranked_ballots(("A", "B"), [[0, 1], [1, 0], [0, -1]])
    result = single_transferable_vote(ballots, seats=3, seed=SEED)
    assert result.elected == ("A", "B")
    assert str(result.explanation[-1]) == "Only 2 candidates stood for 3 seats."


def test_candidates_without_votes_are_excluded_together() -> None:
    names = ("A", "B", "C", "D", "E")
    assert lot_order(SEED, names) == ("C", "E", "B", "A", "D")
    result = instant_runoff(ranked_ballots(names, table([[0], [1], [1, 0], [2]])), seed=SEED)
    assert result.rounds == (
        RunoffRound(1, {"A": 1, "B": 2, "C": 1, "D": 0, "E": 0}, 0, ("D", "E")),
        RunoffRound(2, {"A": 1, "B": 2, "C": 1}, 0, ("A",)),  # the lot favours C over A
        RunoffRound(3, {"B": 2, "C": 1}, 1, ()),  # A's ballot ranked nobody else
    )
    assert result.ties == (TieBreak(2, "exclude", ("C", "A"), ("A",)),)
    assert [str(line) for line in result.explanation[2:5]] == [
        "D, E have no votes and are excluded together.",
        "Round 2: A 1, B 2, C 1; exhausted ballots: 0.",
        "C, A are tied for the fewest votes (1); the lot drawn from the committed seed excludes A.",
    ]


# --- ties and the seed --------------------------------------------------------------------


def test_a_tie_is_broken_by_the_seed_the_same_way_every_time() -> None:
    ballots = ranked_ballots(("ana", "bilal"), [[0], [1]])
    winners = {}
    for n in range(20):
        seed = f"seed {n}".encode()
        result = instant_runoff(ballots, seed=seed)
        assert instant_runoff(ballots, seed=seed) == result
        favoured, other = lot_order(seed, ("ana", "bilal"))
        assert result.winner == favoured
        assert result.ties == (TieBreak(1, "exclude", (favoured, other), (other,)),)
        winners[seed] = result.winner
    assert set(winners.values()) == {"ana", "bilal"}


def test_the_largest_surplus_goes_first() -> None:
    a, b, c, d, e = range(5)
    # 18 ballots, 3 seats: quota 5. A has 7 (surplus 2), B has 6 (surplus 1).
    rows = [[a, c], [b, d], [e], [c], [d]]
    ballots = ranked_ballots(("A", "B", "C", "D", "E"), table(rows), [7, 6, 3, 1, 1])
    result = single_transferable_vote(ballots, seats=3, seed=SEED)
    assert [(r.surplus_of, r.transfer_value) for r in result.rounds[1:3]] == [
        ("A", D("0.28571")),
        ("B", D("0.16666")),
    ]
    assert result.rounds[1].transferred == {"C": D("1.99997")}
    assert result.rounds[2].transferred == {"D": D("0.99996")}
    assert result.rounds[2].rounding_loss == D("0.00007")


def test_equal_surpluses_go_in_lot_order() -> None:
    first = lot_order(SEED, ("A", "B"))
    # 12 ballots, 2 seats: quota 5. A and B reach it together and fill the seats: the order
    # they are listed in is the lot's, and no surplus needs transferring.
    both = single_transferable_vote(
        ranked_ballots(("A", "B", "C"), table([[0, 2], [1, 2], [2]]), [5, 5, 2]),
        seats=2,
        seed=SEED,
    )
    assert (both.elected, len(both.rounds), both.ties) == (first, 1, ())
    # 13 ballots, 3 seats: quota 4. A and B have equal surpluses of 1: the lot picks the first.
    three = single_transferable_vote(
        ranked_ballots(("A", "B", "C", "D"), table([[0, 2], [1, 3], [2], [3]]), [5, 5, 1, 2]),
        seats=3,
        seed=SEED,
    )
    assert three.rounds[1].surplus_of == first[0]
    assert three.ties == (TieBreak(2, "surplus", first, (first[0],)),)


# --- input --------------------------------------------------------------------------------


def test_identical_ballots_are_grouped_and_counts_added() -> None:
    ballots = ranked_ballots(("A", "B", "C"), [[1, 0, -1], [0, 2, 1], [1, 0, -1]], [2, 1, 3])
    assert ballots.rankings.tolist() == [[0, 2, 1], [1, 0, -1]]
    assert ballots.counts.tolist() == [1, 5]
    assert ballots.total == 6
    assert not ballots.rankings.flags.writeable and not ballots.counts.flags.writeable


def test_wide_ballots_group_the_same_way() -> None:
    """Thirty candidates ranked twenty deep do not fit one integer key: rows are compared."""
    rng = np.random.default_rng(7)
    base = np.array([rng.permutation(30)[:20] for _ in range(5)])
    rows = base[rng.integers(0, 5, 200)]
    ballots = ranked_ballots([f"c{i}" for i in range(30)], rows)
    expected = sorted({tuple(r) for r in base.tolist()})
    assert [tuple(r) for r in ballots.rankings.tolist()] == expected
    assert ballots.total == 200
    narrow = ranked_ballots([f"c{i}" for i in range(30)], rows[:, :5])
    assert [tuple(r) for r in narrow.rankings.tolist()] == sorted(
        {tuple(r) for r in rows[:, :5].tolist()}
    )


@pytest.mark.parametrize(
    ("rankings", "counts", "code", "index"),
    [
        ([[0, 1], [0, 3]], None, "unknown_candidate", 1),
        ([[0, 1], [-2, 1]], None, "unknown_candidate", 1),
        ([[0, 1], [1, 1]], None, "duplicate_ranking", 1),
        ([[0, 1, 2], [2, -1, 1], [2, -1, 1]], None, "ranking_gap", 1),
        ([[0, -1], [-1, -1]], None, "empty_ballot", 1),
        ([[0, 1], [0, 1]], [1, 0], "bad_counts", 1),
    ],
)
def test_bad_ballots_are_refused_naming_the_first_bad_one(
    rankings: list[list[int]], counts: list[int] | None, code: str, index: int
) -> None:
    with pytest.raises(InvalidInput) as info:
        ranked_ballots(("A", "B", "C"), rankings, counts)
    assert (info.value.code, info.value.params["index"]) == (code, index)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: ranked_ballots(("A", "B"), [[0.0, 1.0]]), "bad_rankings"),
        (lambda: ranked_ballots(("A", "B"), [[True, False]]), "bad_rankings"),
        (lambda: ranked_ballots(("A", "B"), [0, 1]), "bad_rankings"),
        (lambda: ranked_ballots(("A", "B"), np.zeros((0, 2), dtype=int)), "no_ballots"),
        (lambda: ranked_ballots(("A", "B"), [[0], [1]], [1]), "bad_counts"),
        (lambda: ranked_ballots(("A", "B"), [[0], [1]], [1.0, 2.0]), "bad_counts"),
        (lambda: ranked_ballots(("A", "B"), [[0], [1]], [10**8, 1]), "too_many_ballots"),
        (lambda: ranked_ballots(("A", "B"), [[0], [1]], [10**9, 1]), "too_many_ballots"),
        (lambda: ranked_ballots((), [[0]]), "no_candidates"),
        (lambda: ranked_ballots(("A", "A"), [[0]]), "duplicate_candidate"),
        (lambda: ranked_ballots(("A", ""), [[0]]), "bad_candidate"),
        (lambda: single_transferable_vote(food(), seats=0, seed=SEED), "bad_seats"),
        (lambda: single_transferable_vote(food(), seats=True, seed=SEED), "bad_seats"),
        (lambda: single_transferable_vote(food(), seats=3, seed=b""), "bad_seed"),
        (lambda: instant_runoff(food(), seed="seed"), "bad_seed"),
        (lambda: to_blt(food(), seats=0, title="Party food"), "bad_seats"),
    ],
)
def test_bad_input_is_refused(call: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call()
    assert info.value.code == code


# --- elections drawn at random ------------------------------------------------------------


@st.composite
def elections(draw: st.DrawFn, max_candidates: int = 6, max_ballots: int = 60) -> Any:
    """Candidate names and ballots (lists of candidate indices), each ranking at least one."""
    count = draw(st.integers(2, max_candidates))
    names = tuple(f"c{i}" for i in range(count))
    ranking = st.permutations(range(count)).flatmap(
        lambda order: st.integers(1, count).map(lambda length: list(order[:length]))
    )
    rows = draw(st.lists(ranking, min_size=1, max_size=max_ballots))
    return names, rows


def oracle_winners(names: tuple[str, ...], rows: list[list[int]], seats: int) -> set[str]:
    people = [pyrankvote.Candidate(name) for name in names]
    ballots = [pyrankvote.Ballot([people[c] for c in row]) for row in rows]
    if seats == 1:
        result = pyrankvote.instant_runoff_voting(people, ballots)
    else:
        result = pyrankvote.single_transferable_vote(people, ballots, number_of_seats=seats)
    return {c.name for c in result.get_winners()}


@settings(max_examples=300)
@given(elections())
def test_instant_runoff_agrees_with_pyrankvote(election: Any) -> None:
    """pyrankvote breaks ties by later preferences and then at random, this count by the lot:
    the two must agree whenever this count needed no lot. (pyrankvote also excludes several
    candidates at once and stops at half of the votes rather than more than half; neither
    changes the winner when there is no tie.)"""
    names, rows = election
    result = instant_runoff(ranked_ballots(names, table(rows, len(names))), seed=SEED)
    if not result.ties:
        assert {result.winner} == oracle_winners(names, rows, 1)


@settings(max_examples=300)
@given(elections())
def test_single_seat_stv_agrees_with_pyrankvote_and_instant_runoff(election: Any) -> None:
    names, rows = election
    ballots = ranked_ballots(names, table(rows, len(names)))
    stv = single_transferable_vote(ballots, seats=1, seed=SEED)
    irv = instant_runoff(ballots, seed=SEED)
    if not stv.ties and not irv.ties:
        assert stv.elected == (irv.winner,)
        assert set(stv.elected) == oracle_winners(names, rows, 1)


@settings(max_examples=600)  # the rules coincide in about one election in ten
@given(elections(max_candidates=7), st.integers(2, 4))
def test_multi_seat_stv_agrees_with_pyrankvote_where_the_rules_coincide(
    election: Any, seats: int
) -> None:
    """pyrankvote's STV differs from this count in three ways: it elects at votes/(seats+1)
    (this count needs one whole vote more: floor(votes/(seats+1)) + 1), and it passes every
    ballot of a pile on at the pile's average value rather than at the ballot's own value, and
    breaks ties its own way. So:

    - a candidate whose first preferences reach this count's quota is elected by both;
    - the whole result must agree when this count elected nobody before its last round (only
      exclusions, every ballot at full value), no tally ever equalled votes/(seats+1) exactly,
      and no lot was drawn.
    """
    names, rows = election
    if seats >= len(names):
        return
    result = single_transferable_vote(
        ranked_ballots(names, table(rows, len(names))), seats=seats, seed=SEED
    )
    theirs = oracle_winners(names, rows, seats)
    assert set(result.rounds[0].elected) <= theirs
    their_quota = Decimal(len(rows)) / (seats + 1)
    coincide = (
        not result.ties
        and not any(r.elected for r in result.rounds[:-1])
        and all(v != their_quota for r in result.rounds for v in r.tallies.values())
    )
    if coincide:
        assert set(result.elected) == theirs


def reference_stv(
    names: tuple[str, ...], rows: list[list[int]], seats: int, seed: bytes
) -> tuple[list[str], list[dict[str, int]]]:
    """The STV rules of ``taawun.domain.voting.stv`` restated ballot by ballot in Python
    integers (values in 1/100,000ths of a vote): who is elected and every round's tallies."""
    lot = {name: place for place, name in enumerate(lot_order(seed, names))}
    quota = (len(rows) // (seats + 1) + 1) * SCALE
    papers = [{"row": row, "at": 0, "value": SCALE} for row in rows]
    status = dict.fromkeys(names, "hopeful")
    kept: dict[str, int] = {}
    elected: list[str] = []
    waiting: list[str] = []
    history: list[dict[str, int]] = []

    def holder(paper: dict[str, Any]) -> str | None:
        return None if paper["at"] is None else names[paper["row"][paper["at"]]]

    def pass_on(paper: dict[str, Any]) -> None:
        later = [
            i
            for i in range(paper["at"] + 1, len(paper["row"]))
            if status[names[paper["row"][i]]] == "hopeful"
        ]
        paper["at"] = later[0] if later else None

    def by_votes(tallies: dict[str, int], group: list[str]) -> list[str]:
        return sorted(group, key=lambda n: (-tallies[n], lot[n]))

    while True:
        tallies = {n: 0 for n in names if status[n] != "excluded"}
        for paper in papers:
            if (h := holder(paper)) is not None:
                tallies[h] += paper["value"]
        tallies.update(kept)
        hopeful = [n for n in names if status[n] == "hopeful"]
        for name in by_votes(tallies, [n for n in hopeful if tallies[n] >= quota]):
            status[name] = "elected"
            elected.append(name)
            if tallies[name] > quota:
                waiting.append(name)
            else:
                kept[name] = quota
        hopeful = [n for n in names if status[n] == "hopeful"]
        if len(elected) < seats and len(hopeful) <= seats - len(elected):
            for name in by_votes(tallies, hopeful):
                status[name] = "elected"
                elected.append(name)
        history.append(tallies)
        hopeful = [n for n in names if status[n] == "hopeful"]
        if len(elected) >= seats or not hopeful:
            return elected, history
        if waiting:
            source = by_votes(tallies, waiting)[0]
            waiting.remove(source)
            surplus = tallies[source] - quota
            for paper in papers:
                if holder(paper) == source:
                    paper["value"] = paper["value"] * surplus // tallies[source]
                    pass_on(paper)
            kept[source] = quota
            continue
        zero = [n for n in hopeful if tallies[n] == 0]
        if zero and len(hopeful) - len(zero) >= seats - len(elected):
            out = zero
        else:
            fewest = min(tallies[n] for n in hopeful)
            out = [max((n for n in hopeful if tallies[n] == fewest), key=lambda n: lot[n])]
        for name in out:
            status[name] = "excluded"
        for paper in papers:
            if holder(paper) in out:
                pass_on(paper)


@settings(max_examples=300)
@given(
    elections(max_candidates=7, max_ballots=80),
    st.integers(1, 4),
    st.binary(min_size=1, max_size=4),
)
def test_stv_matches_the_ballot_by_ballot_restatement(
    election: Any, seats: int, seed: bytes
) -> None:
    names, rows = election
    result = single_transferable_vote(
        ranked_ballots(names, table(rows, len(names))), seats=seats, seed=seed
    )
    elected, history = reference_stv(names, rows, seats, seed)
    assert list(result.elected) == elected
    assert [{n: int(v * SCALE) for n, v in r.tallies.items()} for r in result.rounds] == history


# --- properties ---------------------------------------------------------------------------


@given(elections(), st.data())
def test_instant_runoff_elects_a_first_preference_majority(election: Any, data: Any) -> None:
    names, rows = election
    favourite = data.draw(st.sampled_from(range(len(names))))
    extra = [[favourite]] * (len(rows) + 1)  # now the favourite has more than half
    result = instant_runoff(ranked_ballots(names, table(rows + extra, len(names))), seed=SEED)
    assert result.winner == names[favourite]
    assert len(result.rounds) == 1


@given(elections(max_candidates=7, max_ballots=80), st.integers(1, 5), st.randoms())
def test_stv_conserves_votes_and_fills_the_seats_whatever_the_ballot_order(
    election: Any, seats: int, random: Any
) -> None:
    names, rows = election
    result = single_transferable_vote(
        ranked_ballots(names, table(rows, len(names))), seats=seats, seed=SEED
    )
    for r in result.rounds:
        assert sum(r.tallies.values()) + r.exhausted + r.rounding_loss == len(rows)
        assert r.rounding_loss >= 0
    assert len(result.elected) == min(seats, len(names))
    assert len(set(result.elected)) == len(result.elected)
    shuffled = list(rows)
    random.shuffle(shuffled)
    again = single_transferable_vote(
        ranked_ballots(names, table(shuffled, len(names))), seats=seats, seed=SEED
    )
    assert again == result


@given(elections(), st.randoms())
def test_instant_runoff_does_not_depend_on_ballot_order_or_grouping(
    election: Any, random: Any
) -> None:
    names, rows = election
    result = instant_runoff(ranked_ballots(names, table(rows, len(names))), seed=SEED)
    shuffled = list(rows)
    random.shuffle(shuffled)
    assert instant_runoff(ranked_ballots(names, table(shuffled, len(names))), seed=SEED) == result
    distinct = sorted({tuple(r) for r in rows})
    counts = [sum(tuple(r) == d for r in rows) for d in distinct]
    grouped = ranked_ballots(names, table([list(d) for d in distinct], len(names)), counts)
    assert instant_runoff(grouped, seed=SEED) == result
    for r in result.rounds:
        assert sum(r.tallies.values()) + r.exhausted == len(rows)
