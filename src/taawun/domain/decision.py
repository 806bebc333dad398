"""From a Policy's decision rule and the ballots cast to a decision.

The Policy says, per kind of decision, which method counts the votes (``policy.DecisionRule``);
this module checks each ballot against that method and counts them with the tallies of
:mod:`.voting`. Percentages in the Policy are read at its two decimals: a supermajority of 66.67%
is two thirds, so six votes of nine pass; a majority of 50% means more than half. Every method
except a poll's must reach the quorum; a poll binds nothing and may set its quorum to 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import numpy as np

from . import voting
from .errors import InvalidInput, gettext_noop
from .explanation import Line
from .policy import DecisionRule
from .voting.text import line, percent

POSITIONS = {
    "consent": ("agree", "abstain", "disagree", "block"),
    "majority": ("yes", "no", "abstain"),
    "supermajority": ("yes", "no", "abstain"),
}
RANKED = ("ranked", "stv")
HALF_HUNDREDTH = Decimal("0.005")
MAX_OPTIONS = 50
MAX_NUMBER = Decimal("1e9")


@dataclass(frozen=True)
class Decision:
    """What the vote decided, with the numbers and rounds behind it, ready to store as JSON.

    ``outcome`` is ``passed``, ``failed``, ``blocked`` or ``no_quorum`` for a yes/no decision,
    ``elected`` or ``chosen`` for an election or a poll, ``set`` for a rate; ``winners`` the
    elected candidates or chosen options, ``value`` a rate's value."""

    outcome: str
    participants: int
    eligible: int
    explanation: tuple[Line, ...]
    counts: dict[str, Any] = field(default_factory=dict)
    winners: tuple[str, ...] = ()
    value: str | None = None
    rounds: list[dict[str, Any]] = field(default_factory=list)
    ties: list[dict[str, Any]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "participants": self.participants,
            "eligible": self.eligible,
            "explanation": [[ln.message, dict(ln.params)] for ln in self.explanation],
            "counts": self.counts,
            "winners": list(self.winners),
            "value": self.value,
            "rounds": self.rounds,
            "ties": self.ties,
        }


def at_two_decimals(percent_value: Decimal) -> Fraction:
    """The least share that reads as ``percent_value`` at two decimals."""
    return max(Fraction(0), Fraction(percent_value - HALF_HUNDREDTH) / 100)


def vote_rule(rule: DecisionRule) -> voting.VoteRule:
    if rule.method == "majority":
        return voting.VoteRule(
            quorum=at_two_decimals(rule.quorum_percent),
            threshold=Fraction(rule.threshold_percent) / 100,
            basis=rule.basis,
            at_threshold_passes=False,
        )
    return voting.VoteRule(
        quorum=at_two_decimals(rule.quorum_percent),
        threshold=at_two_decimals(rule.threshold_percent),
        basis=rule.basis,
    )


def checked_choice(rule: DecisionRule, choice: Any, *, options: Sequence[str]) -> Any:
    """``choice`` in its stored form if it is a valid ballot under ``rule``, else refused.

    Yes/no methods take one of their positions; approval a list of options; score and dot a
    mapping of option to points; ranked methods options best first (not all need ranking);
    numeric a number written as text."""
    method = rule.method
    if method in POSITIONS:
        if isinstance(choice, str) and choice in POSITIONS[method]:
            return choice
        raise _bad_choice()
    if method == "numeric":
        return number_text(choice)
    if method == "approval" or method in RANKED:
        if not isinstance(choice, list) or not all(isinstance(o, str) for o in choice):
            raise _bad_choice()
        _known(choice, options)
        if len(set(choice)) != len(choice):
            raise InvalidInput(
                "repeated_option", gettext_noop("Each option may be chosen only once.")
            )
        if method in RANKED and not choice:
            raise InvalidInput("empty_ranking", gettext_noop("Rank at least one candidate."))
        return list(choice)
    if not isinstance(choice, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in choice.items()
    ):
        raise _bad_choice()
    _known(list(choice), options)
    points = {k: v for k, v in choice.items() if v}
    most = voting.choices.DEFAULT_MAX_SCORE if method == "score" else voting.choices.DEFAULT_DOTS
    if any(v < 0 or v > most for v in points.values()):
        raise InvalidInput(
            "points_out_of_range",
            gettext_noop("Each option takes from 0 to %(most)s points."),
            most=most,
        )
    if method == "dot" and sum(points.values()) > most:
        raise InvalidInput(
            "too_many_dots",
            gettext_noop("You have %(dots)s dots to place, no more."),
            dots=most,
        )
    return points


def count(
    rule: DecisionRule,
    ballots: Sequence[Any],
    *,
    eligible: int,
    options: Sequence[str] = (),
    labels: Sequence[str] = (),
    seats: int = 1,
    election: bool = False,
    seed: bytes,
) -> Decision:
    """Count checked ballots under ``rule``; ``eligible`` members could have voted. An
    election fills ``seats`` from the options; a poll names the one option preferred.

    With ``labels`` (one distinct name per option), the count and its explanation speak of
    the options by name, and the tie-break lots are drawn over the names; the decision's
    winners, counts and rounds still name the options by key."""
    if labels:
        if len(labels) != len(options) or len(set(labels)) != len(labels):
            raise InvalidInput("bad_labels", gettext_noop("Each option needs a name of its own."))
        named = dict(zip(options, labels, strict=True))
        decided = count(
            rule,
            [_renamed(ballot, named) for ballot in ballots],
            eligible=eligible,
            options=labels,
            seats=seats,
            election=election,
            seed=seed,
        )
        return _keyed(decided, {label: key for key, label in named.items()})
    participants = len(ballots)
    if participants > eligible:
        raise InvalidInput(
            "more_ballots_than_voters",
            gettext_noop("There are more ballots than members who may vote."),
        )
    method = rule.method
    if method in POSITIONS:
        return _yes_no(rule, ballots, eligible)
    quorum = at_two_decimals(rule.quorum_percent)
    took_part = Fraction(participants, eligible) if eligible else Fraction(0)
    turnout = line(
        gettext_noop("%(participants)s of %(eligible)s members voted (%(share)s%%)."),
        participants=participants,
        eligible=eligible,
        share=percent(took_part),
    )
    if not participants or took_part < quorum:
        needed = line(
            gettext_noop("The quorum is %(quorum)s%%: not reached, so nothing was decided."),
            quorum=f"{rule.quorum_percent.normalize():f}",
        )
        return Decision("no_quorum", participants, eligible, (turnout, needed))
    if method == "numeric":
        median = voting.median_choice([Decimal(b) for b in ballots])
        return Decision(
            "set",
            participants,
            eligible,
            (turnout, *median.explanation),
            counts={"lowest": _text(median.lowest), "highest": _text(median.highest)},
            value=_text(median.value),
        )
    outcome = "elected" if election else "chosen"
    if method in RANKED:
        return _ranked(rule, ballots, eligible, options, seats, seed, turnout, outcome)
    if method == "approval":
        poll = voting.tally_approval(options, ballots, winners=seats, seed=seed)
    elif method == "score":
        poll = voting.tally_score(options, ballots, winners=seats, seed=seed)
    else:
        poll = voting.tally_dots(options, ballots, winners=seats, seed=seed)
    return Decision(
        outcome,
        participants,
        eligible,
        (turnout, *poll.explanation),
        counts={s.option: s.total for s in poll.standings},
        winners=poll.winners,
        ties=[_tie(t) for t in poll.ties],
    )


def _yes_no(rule: DecisionRule, ballots: Sequence[Any], eligible: int) -> Decision:
    tallies = {position: 0 for position in POSITIONS[rule.method]}
    for ballot in ballots:
        tallies[ballot] += 1
    if rule.method == "consent":
        result = voting.tally_proposal(
            **tallies, eligible=eligible, rule=vote_rule(rule), block_threshold=rule.block_threshold
        )
    else:
        result = voting.tally_motion(**tallies, eligible=eligible, rule=vote_rule(rule))
    return Decision(result.outcome, len(ballots), eligible, result.explanation, counts=tallies)


def _ranked(
    rule: DecisionRule,
    ballots: Sequence[Any],
    eligible: int,
    options: Sequence[str],
    seats: int,
    seed: bytes,
    turnout: Line,
    outcome: str,
) -> Decision:
    index = {option: i for i, option in enumerate(options)}
    width = max(len(b) for b in ballots)
    table = np.full((len(ballots), width), -1, dtype=np.int32)
    for row, ballot in enumerate(ballots):
        table[row, : len(ballot)] = [index[o] for o in ballot]
    ranked = voting.ranked_ballots(options, table)
    if rule.method == "ranked" and seats == 1:
        runoff = voting.instant_runoff(ranked, seed=seed)
        return Decision(
            outcome,
            len(ballots),
            eligible,
            (turnout, *runoff.explanation),
            winners=(runoff.winner,),
            rounds=[
                {
                    "number": r.number,
                    "tallies": dict(r.tallies),
                    "exhausted": r.exhausted,
                    "excluded": list(r.excluded),
                }
                for r in runoff.rounds
            ],
            ties=[_tie(t) for t in runoff.ties],
        )
    stv = voting.single_transferable_vote(ranked, seats=seats, seed=seed)
    return Decision(
        outcome,
        len(ballots),
        eligible,
        (turnout, *stv.explanation),
        counts={"quota": stv.quota},
        winners=stv.elected,
        rounds=[
            {
                "number": r.number,
                "tallies": {k: _text(v) for k, v in r.tallies.items()},
                "transferred": {k: _text(v) for k, v in r.transferred.items()},
                "surplus_of": r.surplus_of,
                "transfer_value": None if r.transfer_value is None else _text(r.transfer_value),
                "excluded": list(r.excluded),
                "elected": list(r.elected),
                "exhausted": _text(r.exhausted),
            }
            for r in stv.rounds
        ],
        ties=[_tie(t) for t in stv.ties],
    )


def _renamed(ballot: Any, names: dict[str, str]) -> Any:
    if isinstance(ballot, list):
        return [names[option] for option in ballot]
    if isinstance(ballot, dict):
        return {names[option]: points for option, points in ballot.items()}
    return ballot


def _keyed(decided: Decision, keys: dict[str, str]) -> Decision:
    """``decided`` with option names turned back into keys, except in the explanation."""

    def key(name: Any) -> Any:
        return keys.get(name, name) if isinstance(name, str) else name

    def keyed(value: Any) -> Any:
        if isinstance(value, dict):
            return {key(k): keyed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [keyed(v) for v in value]
        return key(value)

    return Decision(
        decided.outcome,
        decided.participants,
        decided.eligible,
        decided.explanation,
        counts=keyed(decided.counts),
        winners=tuple(key(w) for w in decided.winners),
        value=decided.value,
        rounds=[{name: keyed(v) for name, v in r.items()} for r in decided.rounds],
        ties=[{name: keyed(v) for name, v in t.items()} for t in decided.ties],
    )


def _tie(tie: voting.TieBreak) -> dict[str, Any]:
    return {
        "round": tie.round,
        "purpose": tie.purpose,
        "tied": list(tie.tied),
        "chosen": list(tie.chosen),
    }


def number_text(choice: Any) -> str:
    """A number members typed, in the one written form it is stored and compared in."""
    if isinstance(choice, bool) or not isinstance(choice, str | int):
        raise _bad_choice()
    try:
        value = Decimal(str(choice).strip())
    except InvalidOperation:
        raise _bad_choice() from None
    if not value.is_finite() or abs(value) > MAX_NUMBER:
        raise _bad_choice()
    return _text(value)


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _known(chosen: Sequence[str], options: Sequence[str]) -> None:
    unknown = [o for o in chosen if o not in options]
    if unknown:
        raise InvalidInput(
            "unknown_option",
            gettext_noop("%(option)s is not one of the options."),
            option=unknown[0][:60],
        )


def _bad_choice() -> InvalidInput:
    return InvalidInput("bad_choice", gettext_noop("This is not a valid vote for this question."))
