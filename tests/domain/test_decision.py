"""From the Policy's decision rule and the ballots to a decision: the percentages read at two
decimals, ballots checked per method, and properties that must hold for every count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.decision import checked_choice, count, number_text
from taawun.domain.errors import InvalidInput
from taawun.domain.policy import DecisionRule

SEED = b"s" * 32


def rule(method: str = "majority", **fields: Any) -> DecisionRule:
    return DecisionRule(method=method, **fields)  # type: ignore[arg-type]


def yes_no(yes: int, no: int, abstain: int = 0) -> list[str]:
    return ["yes"] * yes + ["no"] * no + ["abstain"] * abstain


@pytest.mark.parametrize(
    ("yes", "no", "outcome"), [(6, 3, "passed"), (5, 4, "failed"), (7, 2, "passed")]
)
def test_a_supermajority_of_66_67_is_two_thirds(yes: int, no: int, outcome: str) -> None:
    two_thirds = rule("supermajority", threshold_percent=Decimal("66.67"), quorum_percent=0)
    assert count(two_thirds, yes_no(yes, no), eligible=9, seed=SEED).outcome == outcome


@pytest.mark.parametrize(("yes", "no", "outcome"), [(3, 3, "failed"), (4, 2, "passed")])
def test_a_majority_of_50_is_more_than_half(yes: int, no: int, outcome: str) -> None:
    half = rule("majority", threshold_percent=Decimal(50), quorum_percent=0)
    assert count(half, yes_no(yes, no), eligible=6, seed=SEED).outcome == outcome


@pytest.mark.parametrize(("voted", "outcome"), [(6, "passed"), (5, "no_quorum")])
def test_the_quorum_is_read_at_two_decimals(voted: int, outcome: str) -> None:
    strict = rule("majority", quorum_percent=Decimal("66.67"))
    assert count(strict, yes_no(voted, 0), eligible=9, seed=SEED).outcome == outcome


def test_the_basis_decides_what_abstentions_do() -> None:
    ballots = yes_no(4, 3, abstain=2)
    cast = rule("majority", quorum_percent=0)
    with_abstentions = rule("majority", quorum_percent=0, basis="cast_with_abstentions")
    assert count(cast, ballots, eligible=9, seed=SEED).outcome == "passed"
    assert count(with_abstentions, ballots, eligible=9, seed=SEED).outcome == "failed"


def test_one_block_stops_a_consent_proposal() -> None:
    consent = rule("consent", threshold_percent=Decimal(50), quorum_percent=0)
    ballots = ["agree"] * 8 + ["block"]
    decided = count(consent, ballots, eligible=9, seed=SEED)
    assert decided.outcome == "blocked"
    assert decided.counts == {"agree": 8, "abstain": 0, "disagree": 0, "block": 1}
    lenient = rule("consent", threshold_percent=Decimal(50), quorum_percent=0, block_threshold=2)
    assert count(lenient, ballots, eligible=9, seed=SEED).outcome == "passed"


def test_a_rate_takes_the_lower_median() -> None:
    numeric = rule("numeric", quorum_percent=0)
    decided = count(numeric, ["8", "10", "9", "12"], eligible=4, seed=SEED)
    assert (decided.outcome, decided.value) == ("set", "9")
    assert decided.counts == {"lowest": "8", "highest": "12"}


def test_an_election_by_instant_runoff_stores_its_rounds() -> None:
    ranked = rule("ranked", quorum_percent=0)
    ballots = [["a", "b"]] * 4 + [["b", "a"]] * 3 + [["c", "b"]] * 2
    decided = count(ranked, ballots, eligible=9, options=["a", "b", "c"], election=True, seed=SEED)
    assert (decided.outcome, decided.winners) == ("elected", ("b",))
    assert [r["tallies"] for r in decided.rounds] == [
        {"a": 4, "b": 3, "c": 2},
        {"a": 4, "b": 5},
    ]
    assert decided.document()["winners"] == ["b"]


@pytest.mark.parametrize(
    ("method", "choice", "code"),
    [
        ("majority", "agree", "bad_choice"),
        ("consent", "yes", "bad_choice"),
        ("approval", ["a", "a"], "repeated_option"),
        ("approval", ["z"], "unknown_option"),
        ("ranked", [], "empty_ranking"),
        ("score", {"a": 6}, "points_out_of_range"),
        ("score", {"a": True}, "bad_choice"),
        ("dot", {"a": 5, "b": 4}, "too_many_dots"),
        ("numeric", "ten", "bad_choice"),
        ("numeric", "NaN", "bad_choice"),
        ("numeric", "1e12", "bad_choice"),
        ("numeric", 1.5, "bad_choice"),
    ],
)
def test_bad_ballots_are_refused(method: str, choice: object, code: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        checked_choice(rule(method), choice, options=["a", "b"])
    assert excinfo.value.code == code


def test_good_ballots_are_stored_in_one_form() -> None:
    assert checked_choice(rule("numeric"), " 8.50 ", options=()) == "8.5"
    assert checked_choice(rule("numeric"), 12, options=()) == "12"
    assert checked_choice(rule("score"), {"a": 0, "b": 5}, options=["a", "b"]) == {"b": 5}
    assert checked_choice(rule("ranked"), ["b"], options=["a", "b"]) == ["b"]
    assert number_text("100.00") == number_text("1E+2") == "100"


@given(
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=10),
    st.sampled_from(["majority", "supermajority"]),
    st.sampled_from(["50", "60", "66.67", "75"]),
)
def test_one_more_yes_never_turns_a_pass_into_a_fail(
    yes: int, no: int, abstain: int, method: str, threshold: str
) -> None:
    chosen = rule(method, threshold_percent=Decimal(threshold), quorum_percent=Decimal(30))
    eligible = yes + no + abstain + 10
    before = count(chosen, yes_no(yes, no, abstain), eligible=eligible, seed=SEED)
    after = count(chosen, yes_no(yes + 1, no, abstain), eligible=eligible, seed=SEED)
    rank = {"no_quorum": 0, "failed": 1, "passed": 2}
    assert rank[after.outcome] >= rank[before.outcome]
    assert before.participants == yes + no + abstain


@given(st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=30))
def test_a_rate_is_always_a_value_someone_chose(values: list[int]) -> None:
    decided = count(
        rule("numeric", quorum_percent=0), [str(v) for v in values], eligible=30, seed=SEED
    )
    assert decided.value is not None and int(decided.value) in values
    below = sum(v < int(decided.value) for v in values)
    assert below <= len(values) // 2 < below + values.count(int(decided.value)) + 1


def test_more_ballots_than_voters_is_refused() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        count(rule(), yes_no(3, 0), eligible=2, seed=SEED)
    assert excinfo.value.code == "more_ballots_than_voters"


def test_options_are_explained_by_name_and_stored_by_key() -> None:
    ranked = rule("ranked", quorum_percent=0)
    ballots = [["1", "2"]] * 4 + [["2", "1"]] * 3 + [["3", "2"]] * 2
    decided = count(
        ranked,
        ballots,
        eligible=9,
        options=["1", "2", "3"],
        labels=["Hall", "Park", "Online"],
        election=True,
        seed=SEED,
    )
    assert decided.winners == ("2",)
    assert decided.rounds[0]["tallies"] == {"1": 4, "2": 3, "3": 2}
    said = " ".join(str(line) for line in decided.explanation)
    assert "Round 1: Hall 4, Park 3, Online 2; exhausted ballots: 0." in said
    assert "Online has the fewest votes (2) and is excluded." in said
    assert "Park wins with 5 of the 9 votes." in said
    with pytest.raises(InvalidInput) as excinfo:
        count(
            ranked, ballots, eligible=9, options=["1", "2", "3"], labels=["a", "a", "b"], seed=SEED
        )
    assert excinfo.value.code == "bad_labels"
