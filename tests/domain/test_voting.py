"""Motions, proposals, polls, the median and the lot: exact values, boundaries, refusals."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.voting import (
    TieBreak,
    VoteRule,
    lot_order,
    median_choice,
    tally_approval,
    tally_dots,
    tally_motion,
    tally_proposal,
    tally_score,
)

SEED = b"committed before the vote opened"
TWO_THIRDS = VoteRule(quorum=Fraction(1, 2), threshold=Fraction(2, 3))
MAJORITY = VoteRule(quorum=Fraction(1, 2), threshold=Fraction(1, 2), at_threshold_passes=False)


# --- motions ------------------------------------------------------------------------------


def test_two_thirds_of_nine_is_exactly_six() -> None:
    six = tally_motion(yes=6, no=3, abstain=0, eligible=9, rule=TWO_THIRDS)
    five = tally_motion(yes=5, no=4, abstain=0, eligible=9, rule=TWO_THIRDS)
    assert (six.outcome, six.share, six.participation) == ("passed", Fraction(2, 3), 1)
    assert (five.outcome, five.share) == ("failed", Fraction(5, 9))


def test_the_policys_rounded_percentage_is_not_two_thirds() -> None:
    """66.67% as the Policy stores it is a little more than 2/3: six of nine falls short."""
    rule = VoteRule.from_percent(quorum_percent=Decimal(66), threshold_percent=Decimal("66.67"))
    assert rule.threshold == Fraction(6667, 10000)
    assert tally_motion(yes=6, no=3, abstain=0, eligible=9, rule=rule).outcome == "failed"
    assert tally_motion(yes=7, no=2, abstain=0, eligible=9, rule=rule).outcome == "passed"


def test_a_plain_majority_needs_more_than_half() -> None:
    assert tally_motion(yes=5, no=5, abstain=0, eligible=10, rule=MAJORITY).outcome == "failed"
    assert tally_motion(yes=6, no=5, abstain=0, eligible=11, rule=MAJORITY).outcome == "passed"
    at_least_half = VoteRule(quorum=Fraction(0), threshold=Fraction(1, 2))
    assert tally_motion(yes=5, no=5, abstain=0, eligible=10, rule=at_least_half).passed


def test_quorum_boundary_counts_abstentions_as_taking_part() -> None:
    met = tally_motion(yes=3, no=0, abstain=2, eligible=10, rule=MAJORITY)
    short = tally_motion(yes=3, no=0, abstain=1, eligible=10, rule=MAJORITY)
    assert (met.outcome, met.quorum_met, met.participation) == ("passed", True, Fraction(1, 2))
    assert (short.outcome, short.quorum_met, short.participation) == (
        "no_quorum",
        False,
        Fraction(2, 5),
    )


@pytest.mark.parametrize(
    ("basis", "share", "outcome"),
    [
        ("cast", Fraction(6, 8), "passed"),  # 6 of 6 + 2
        ("cast_with_abstentions", Fraction(6, 10), "failed"),  # 6 of 6 + 2 + 2
        ("eligible", Fraction(6, 12), "failed"),  # 6 of the 12 eligible
    ],
)
def test_the_basis_decides_what_the_share_is_measured_against(
    basis: Any, share: Fraction, outcome: str
) -> None:
    rule = VoteRule(quorum=Fraction(1, 2), threshold=Fraction(2, 3), basis=basis)
    result = tally_motion(yes=6, no=2, abstain=2, eligible=12, rule=rule)
    assert (result.share, result.outcome) == (share, outcome)


def test_nobody_for_or_against_has_no_share_and_does_not_pass() -> None:
    result = tally_motion(yes=0, no=0, abstain=7, eligible=10, rule=MAJORITY)
    assert (result.share, result.outcome, result.quorum_met) == (None, "failed", True)


def test_motion_explanation_gives_the_numbers() -> None:
    result = tally_motion(yes=6, no=3, abstain=0, eligible=9, rule=TWO_THIRDS)
    assert [str(line) for line in result.explanation] == [
        "Yes: 6, no: 3, abstain: 0.",
        "9 of 9 eligible members took part (100%); the quorum is 50%.",
        "6 of the 9 votes for and against are in favour (66.67%); at least 2/3 (66.67%) is needed.",
        "It passes.",
    ]


@given(
    yes=st.integers(0, 60),
    no=st.integers(0, 60),
    abstain=st.integers(0, 20),
    spare=st.integers(0, 20),
    numerator=st.integers(1, 12),
    denominator=st.integers(1, 12),
    quorum=st.fractions(0, 1),
    strict=st.booleans(),
)
def test_motion_matches_integer_cross_multiplication(
    yes: int,
    no: int,
    abstain: int,
    spare: int,
    numerator: int,
    denominator: int,
    quorum: Fraction,
    strict: bool,
) -> None:
    numerator = min(numerator, denominator)
    eligible = max(yes + no + abstain + spare, 1)
    rule = VoteRule(
        quorum=quorum,
        threshold=Fraction(numerator, denominator),
        at_threshold_passes=not strict,
    )
    result = tally_motion(yes=yes, no=no, abstain=abstain, eligible=eligible, rule=rule)
    cast = yes + no
    if strict:
        reached = cast > 0 and yes * denominator > numerator * cast
    else:
        reached = cast > 0 and yes * denominator >= numerator * cast
    quorum_met = (yes + no + abstain) * quorum.denominator >= quorum.numerator * eligible
    assert result.quorum_met is quorum_met
    assert result.passed is (quorum_met and reached)


# --- consent proposals --------------------------------------------------------------------


def test_one_block_stops_a_proposal_by_default() -> None:
    rule = VoteRule(quorum=Fraction(1, 2), threshold=Fraction(1, 2))
    blocked = tally_proposal(agree=9, abstain=0, disagree=0, block=1, eligible=10, rule=rule)
    assert (blocked.outcome, blocked.share, blocked.passed) == ("blocked", Fraction(9, 10), False)
    assert str(blocked.explanation[-1]) == (
        "Blocks: 1; 1 or more stop the proposal, so it is blocked."
    )
    tolerant = tally_proposal(
        agree=9, abstain=0, disagree=0, block=1, eligible=10, rule=rule, block_threshold=2
    )
    assert tolerant.outcome == "passed"


def test_blocks_count_against_the_agree_share() -> None:
    rule = VoteRule(quorum=Fraction(0), threshold=Fraction(3, 4))
    result = tally_proposal(
        agree=6, abstain=3, disagree=1, block=1, eligible=11, rule=rule, block_threshold=2
    )
    assert (result.share, result.outcome) == (Fraction(6, 8), "passed")
    assert result.counts == {"agree": 6, "abstain": 3, "disagree": 1, "block": 1}


def test_a_block_is_reported_even_without_quorum() -> None:
    rule = VoteRule(quorum=Fraction(1, 2), threshold=Fraction(1, 2))
    result = tally_proposal(agree=1, abstain=0, disagree=0, block=1, eligible=10, rule=rule)
    assert (result.outcome, result.quorum_met) == ("blocked", False)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: tally_motion(yes=-1, no=0, abstain=0, eligible=3, rule=MAJORITY), "bad_count"),
        (lambda: tally_motion(yes=True, no=0, abstain=0, eligible=3, rule=MAJORITY), "bad_count"),
        (lambda: tally_motion(yes=1.0, no=0, abstain=0, eligible=3, rule=MAJORITY), "bad_count"),
        (
            lambda: tally_motion(yes=3, no=1, abstain=0, eligible=3, rule=MAJORITY),
            "more_votes_than_eligible",
        ),
        (lambda: tally_motion(yes=0, no=0, abstain=0, eligible=0, rule=MAJORITY), "no_eligible"),
        (lambda: VoteRule(quorum=0.5, threshold=Fraction(1, 2)), "inexact_fraction"),  # type: ignore[arg-type]
        (lambda: VoteRule(quorum=Fraction(1), threshold=Fraction(3, 2)), "fraction_out_of_range"),
        (
            lambda: VoteRule(quorum=Fraction(1), threshold=Fraction(1), basis="voters"),  # type: ignore[arg-type]
            "unknown_basis",
        ),
        (
            lambda: VoteRule.from_percent(
                quorum_percent=50,  # type: ignore[arg-type]
                threshold_percent=Decimal(50),
            ),
            "inexact_fraction",
        ),
        (
            lambda: tally_proposal(
                agree=1,
                abstain=0,
                disagree=0,
                block=0,
                eligible=1,
                rule=MAJORITY,
                block_threshold=0,
            ),
            "bad_block_threshold",
        ),
    ],
)
def test_bad_motion_input_is_refused(call: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call()
    assert info.value.code == code


# --- approval, score, dots ----------------------------------------------------------------

OPTIONS = ("garden", "library", "kitchen", "van")


def test_approval_top_two_win() -> None:
    ballots = [{"garden", "library"}, {"garden"}, {"kitchen", "library"}, {"garden", "van"}, set()]
    result = tally_approval(OPTIONS, ballots, winners=2, seed=SEED)
    assert [(s.option, s.total) for s in result.standings] == [
        ("garden", 3),
        ("library", 2),
        ("van", 1),  # van and kitchen tie below the cut: lot order, not reported
        ("kitchen", 1),
    ]
    assert (result.winners, result.ties, result.ballots) == (("garden", "library"), (), 5)
    assert [str(line) for line in result.explanation] == [
        "5 ballots were counted.",
        "Approvals for garden: 3.",
        "Approvals for library: 2.",
        "Approvals for van: 1.",
        "Approvals for kitchen: 1.",
        "Chosen: garden, library.",
    ]


def test_a_tie_at_the_cut_is_broken_by_the_lot_and_reported() -> None:
    # The lot for SEED orders library, van, garden, kitchen.
    assert lot_order(SEED, OPTIONS) == ("library", "van", "garden", "kitchen")
    ballots = [["garden"], ["kitchen", "library"], ["garden", "kitchen"]]  # 2, 2, 1, 0
    one = tally_approval(OPTIONS, ballots, winners=1, seed=SEED)
    assert one.winners == ("garden",)
    assert one.ties == (TieBreak(0, "elect", ("garden", "kitchen"), ("garden",)),)
    assert str(one.explanation[-2]) == (
        "garden, kitchen were tied at the cut; the lot drawn from the committed seed chose garden."
    )
    both = tally_approval(OPTIONS, ballots, winners=2, seed=SEED)
    assert (both.winners, both.ties) == (("garden", "kitchen"), ())
    other_seed = tally_approval(OPTIONS, ballots, winners=1, seed=b"another seed")
    assert other_seed.winners == ("kitchen",)


def test_score_total_and_mean_can_disagree() -> None:
    ballots = [
        {"garden": 5, "library": 4},
        {"garden": 0, "library": 4},
        {"garden": 5, "library": 4},
        {"kitchen": 5},
    ]
    total = tally_score(OPTIONS, ballots, seed=SEED)
    mean = tally_score(OPTIONS, ballots, by="mean", seed=SEED)
    standings = {s.option: (s.total, s.supporters, s.mean) for s in total.standings}
    assert standings == {
        "garden": (10, 3, Fraction(10, 3)),
        "library": (12, 3, Fraction(4)),
        "kitchen": (5, 1, Fraction(5)),
        "van": (0, 0, None),
    }
    assert total.winners == ("library",)
    assert mean.winners == ("kitchen",)
    assert [s.option for s in mean.standings] == ["kitchen", "library", "garden", "van"]
    assert "Score for garden: total 10, mean 3.33 (ballots scoring it: 3)." in [
        str(line) for line in total.explanation
    ]


def test_dot_vote_counts_dots_and_refuses_ballots_over_budget() -> None:
    ballots = [{"garden": 8}, {"library": 3, "van": 5}, {"library": 4, "garden": 0}]
    result = tally_dots(OPTIONS, ballots, seed=SEED)
    assert {s.option: (s.total, s.supporters) for s in result.standings} == {
        "garden": (8, 1),
        "library": (7, 2),
        "kitchen": (0, 0),
        "van": (5, 1),
    }
    assert result.winners == ("garden",)
    with pytest.raises(InvalidInput) as info:
        tally_dots(OPTIONS, [{"garden": 5, "van": 4}], seed=SEED)
    assert info.value.code == "over_budget"
    assert tally_dots(OPTIONS, [{"garden": 5, "van": 4}], dots=9, seed=SEED).winners == ("garden",)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: tally_approval(OPTIONS, [{"pool"}], seed=SEED), "unknown_option"),
        (lambda: tally_approval(OPTIONS, [["van", "van"]], seed=SEED), "duplicate_choice"),
        (lambda: tally_approval(OPTIONS, ["van"], seed=SEED), "bad_ballot"),
        (lambda: tally_approval(OPTIONS, [], winners=5, seed=SEED), "too_many_winners"),
        (lambda: tally_approval(OPTIONS, [], winners=0, seed=SEED), "bad_parameter"),
        (lambda: tally_approval(("a", "a"), [], seed=SEED), "duplicate_option"),
        (lambda: tally_approval((), [], seed=SEED), "no_options"),
        (lambda: tally_approval(OPTIONS, [], seed=b""), "bad_seed"),
        (lambda: tally_approval(OPTIONS, [], seed="text"), "bad_seed"),  # type: ignore[arg-type]
        (lambda: tally_score(OPTIONS, [{"van": 6}], seed=SEED), "mark_out_of_range"),
        (lambda: tally_score(OPTIONS, [{"van": -1}], seed=SEED), "mark_out_of_range"),
        (lambda: tally_score(OPTIONS, [{"van": 2.5}], seed=SEED), "mark_out_of_range"),
        (lambda: tally_score(OPTIONS, [{"van": True}], seed=SEED), "mark_out_of_range"),
        (lambda: tally_score(OPTIONS, [["van"]], seed=SEED), "bad_ballot"),  # type: ignore[list-item]
        (lambda: tally_score(OPTIONS, [], by="median", seed=SEED), "unknown_score_statistic"),  # type: ignore[arg-type]
        (lambda: tally_dots(OPTIONS, [{"van": 9}], seed=SEED), "mark_out_of_range"),
        (lambda: tally_dots(OPTIONS, [], dots=0, seed=SEED), "bad_parameter"),
    ],
)
def test_bad_poll_input_is_refused(call: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call()
    assert info.value.code == code


@given(
    ballots=st.lists(st.sets(st.sampled_from(OPTIONS)), max_size=30),
    winners=st.integers(1, len(OPTIONS)),
    seed=st.binary(min_size=1, max_size=8),
)
def test_approval_winners_have_at_least_the_approvals_of_the_rest(
    ballots: list[set[str]], winners: int, seed: bytes
) -> None:
    result = tally_approval(OPTIONS, ballots, winners=winners, seed=seed)
    totals = {s.option: s.total for s in result.standings}
    losers = [o for o in OPTIONS if o not in result.winners]
    assert len(result.winners) == winners
    assert all(totals[w] >= totals[o] for w in result.winners for o in losers)
    assert sum(totals.values()) == sum(len(b) for b in ballots)
    assert tally_approval(OPTIONS, list(reversed(ballots)), winners=winners, seed=seed) == result
    tied_at_cut = losers and totals[result.winners[-1]] == max(totals[o] for o in losers)
    assert bool(result.ties) == bool(tied_at_cut)


# --- median -------------------------------------------------------------------------------


def test_median_of_an_even_count_is_the_lower_middle_value() -> None:
    rates = [Decimal("0.15"), Decimal("0.10"), Decimal("0.20"), Decimal("0.12")]
    result = median_choice(rates)
    assert (result.value, result.position, result.count) == (Decimal("0.12"), 2, 4)
    assert (result.lowest, result.highest) == (Decimal("0.10"), Decimal("0.20"))
    assert str(result.explanation[0]) == (
        "4 values were picked, from 0.10 to 0.20; in order, value number 2 is the median: 0.12."
    )


def test_median_of_an_odd_count_is_the_middle_value() -> None:
    rates = [Decimal("0.15"), Decimal("0.10"), Decimal("0.12")]
    assert median_choice(rates).value == Decimal("0.12")
    assert len(median_choice(rates).explanation) == 1


@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=4), min_size=1))
def test_median_is_a_value_someone_chose_with_half_at_or_above(values: list[Decimal]) -> None:
    chosen = median_choice(values).value
    assert chosen in values
    assert 2 * sum(v <= chosen for v in values) >= len(values)
    assert 2 * sum(v >= chosen for v in values) > len(values)


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ([], "no_ballots"),
        ([0.1], "bad_value"),
        ([Decimal("NaN")], "bad_value"),
        ([Decimal("Infinity")], "bad_value"),
        (["0.1"], "bad_value"),
    ],
)
def test_bad_median_input_is_refused(values: list[Any], code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        median_choice(values)
    assert info.value.code == code


# --- the lot ------------------------------------------------------------------------------


def test_lot_order_is_sha256_of_seed_then_id() -> None:
    ids = ["ana", "bilal", "chen", "dina"]
    expected = sorted(ids, key=lambda i: hashlib.sha256(b"2024-06-01 seed" + i.encode()).digest())
    assert lot_order(b"2024-06-01 seed", ids) == tuple(expected)
    assert lot_order(b"2024-06-01 seed", reversed(ids)) == tuple(expected)


def test_different_seeds_give_different_lots() -> None:
    orders = {lot_order(str(n).encode(), ["ana", "bilal", "chen"]) for n in range(40)}
    assert len(orders) == 6  # every order of three comes up
