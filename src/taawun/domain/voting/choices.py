"""Polls over a list of options: approval, score and dot votes, and the median of chosen values.

Options are identified by strings. Winners are the top ``winners`` options; options tied at the
cut are ordered by the committed lot (:mod:`.lots`), and the result says so.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import groupby
from typing import Literal

from ..errors import InvalidInput, gettext_noop
from ..explanation import Line
from .lots import TieBreak, check_seed, lot_key
from .text import hundredths, line

DEFAULT_DOTS = 8
DEFAULT_MAX_SCORE = 5
ScoreBy = Literal["total", "mean"]


@dataclass(frozen=True, slots=True)
class Standing:
    """One option's numbers: ``total`` approvals, score points or dots; ``supporters`` the
    ballots that gave it anything (an approval, a score, at least one dot); ``mean`` the mean
    score over the ballots that scored it (score votes only, None when nobody did)."""

    option: str
    total: int
    supporters: int
    mean: Fraction | None = None


@dataclass(frozen=True, slots=True)
class PollResult:
    """Every option, best first, and the winners; ``ties`` lists ties the lot broke at the cut."""

    method: Literal["approval", "score", "dot"]
    ballots: int
    standings: tuple[Standing, ...]
    winners: tuple[str, ...]
    ties: tuple[TieBreak, ...]
    explanation: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class MedianResult:
    """The chosen value and where it sits among the ``count`` values members picked."""

    value: Decimal
    count: int
    position: int  # 1-based, in ascending order
    lowest: Decimal
    highest: Decimal
    explanation: tuple[Line, ...]


def tally_approval(
    options: Sequence[str],
    ballots: Sequence[Collection[str]],
    *,
    winners: int = 1,
    seed: bytes,
) -> PollResult:
    """Each ballot approves a set of options (possibly none); the most approved win."""
    _check_options(options, winners)
    check_seed(seed)
    totals = dict.fromkeys(options, 0)
    for index, ballot in enumerate(ballots):
        if isinstance(ballot, str | bytes | Mapping) or not isinstance(ballot, Collection):
            raise InvalidInput(
                "bad_ballot",
                gettext_noop("Ballot %(index)s must be a collection of options."),
                index=index,
            )
        chosen = list(ballot)
        if len(set(chosen)) != len(chosen):
            raise InvalidInput(
                "duplicate_choice",
                gettext_noop("Ballot %(index)s approves the same option more than once."),
                index=index,
            )
        for option in chosen:
            _check_known(totals, option, index)
            totals[option] += 1
    standings = [Standing(option, total, total) for option, total in totals.items()]
    return _rank("approval", len(ballots), standings, winners, seed, _total_key)


def tally_score(
    options: Sequence[str],
    ballots: Sequence[Mapping[str, int]],
    *,
    by: ScoreBy = "total",
    max_score: int = DEFAULT_MAX_SCORE,
    winners: int = 1,
    seed: bytes,
) -> PollResult:
    """Each ballot scores options from 0 to ``max_score``; the highest total (or mean) wins.

    A ballot may leave an option unscored: it then adds nothing to the option's total and is not
    counted in its mean (an unscored option is not a zero).
    """
    _check_options(options, winners)
    check_seed(seed)
    _check_whole("max_score", max_score, minimum=1)
    if by not in ("total", "mean"):
        raise InvalidInput(
            "unknown_score_statistic",
            gettext_noop("Scores are ranked by their total or their mean, not %(by)s."),
            by=str(by),
        )
    totals, supporters = _sum_marks(options, ballots, maximum=max_score)
    standings = [
        Standing(
            option,
            totals[option],
            supporters[option],
            Fraction(totals[option], supporters[option]) if supporters[option] else None,
        )
        for option in options
    ]
    return _rank(
        "score", len(ballots), standings, winners, seed, _mean_key if by == "mean" else _total_key
    )


def tally_dots(
    options: Sequence[str],
    ballots: Sequence[Mapping[str, int]],
    *,
    dots: int = DEFAULT_DOTS,
    winners: int = 1,
    seed: bytes,
) -> PollResult:
    """Each ballot spreads at most ``dots`` dots over the options; the most dots win.

    A ballot over its budget is refused, never scaled down.
    """
    _check_options(options, winners)
    check_seed(seed)
    _check_whole("dots", dots, minimum=1)
    totals, supporters = _sum_marks(options, ballots, maximum=dots, budget=dots)
    standings = [Standing(option, totals[option], supporters[option]) for option in options]
    return _rank("dot", len(ballots), standings, winners, seed, _total_key)


def median_choice(values: Sequence[Decimal]) -> MedianResult:
    """The median of the values members picked (a fee rate, a date offset...).

    With an even number of values the lower of the two middle ones is chosen, so the result is
    always a value somebody picked and never needs rounding.
    """
    if not values:
        raise InvalidInput("no_ballots", gettext_noop("Nobody picked a value."))
    for index, value in enumerate(values):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidInput(
                "bad_value",
                gettext_noop("Value %(index)s must be a finite Decimal, not %(value)r."),
                index=index,
                value=value,
            )
    ordered = sorted(values)
    position = (len(ordered) - 1) // 2
    chosen = ordered[position]
    return MedianResult(
        value=chosen,
        count=len(ordered),
        position=position + 1,
        lowest=ordered[0],
        highest=ordered[-1],
        explanation=(
            line(
                gettext_noop(
                    "%(count)s values were picked, from %(lowest)s to %(highest)s; in order, "
                    "value number %(position)s is the median: %(value)s."
                ),
                count=len(ordered),
                lowest=ordered[0],
                highest=ordered[-1],
                position=position + 1,
                value=chosen,
            ),
            *(
                [
                    line(
                        gettext_noop(
                            "With an even number of values the lower middle one is taken, so "
                            "the result is a value somebody picked."
                        )
                    )
                ]
                if len(ordered) % 2 == 0
                else []
            ),
        ),
    )


def _sum_marks(
    options: Sequence[str],
    ballots: Sequence[Mapping[str, int]],
    *,
    maximum: int,
    budget: int | None = None,
) -> tuple[dict[str, int], dict[str, int]]:
    totals = dict.fromkeys(options, 0)
    supporters = dict.fromkeys(options, 0)
    for index, ballot in enumerate(ballots):
        if not isinstance(ballot, Mapping):
            raise InvalidInput(
                "bad_ballot",
                gettext_noop("Ballot %(index)s must map options to numbers."),
                index=index,
            )
        for option, mark in ballot.items():
            _check_known(totals, option, index)
            if isinstance(mark, bool) or not isinstance(mark, int) or not 0 <= mark <= maximum:
                raise InvalidInput(
                    "mark_out_of_range",
                    gettext_noop(
                        "Ballot %(index)s gives %(option)s %(mark)r; it must be a whole number "
                        "from 0 to %(maximum)s."
                    ),
                    index=index,
                    option=option,
                    mark=mark,
                    maximum=maximum,
                )
        spent = sum(ballot.values())
        if budget is not None and spent > budget:
            raise InvalidInput(
                "over_budget",
                gettext_noop("Ballot %(index)s spends %(spent)s dots; the budget is %(budget)s."),
                index=index,
                spent=spent,
                budget=budget,
            )
        for option, mark in ballot.items():
            totals[option] += mark
            # A score of 0 is still a score; a dot vote supports only where it put dots.
            supporters[option] += 1 if budget is None or mark else 0
    return totals, supporters


def _total_key(standing: Standing) -> tuple[int, Fraction]:
    """Sort keys are (group, negated value): smaller comes first."""
    return (0, -Fraction(standing.total))


def _mean_key(standing: Standing) -> tuple[int, Fraction]:
    """Options nobody scored come after every scored option."""
    return (1, Fraction(0)) if standing.mean is None else (0, -standing.mean)


def _rank(
    method: Literal["approval", "score", "dot"],
    ballots: int,
    standings: list[Standing],
    winners: int,
    seed: bytes,
    by_value: Callable[[Standing], tuple[int, Fraction]],
) -> PollResult:
    ordered = sorted(standings, key=lambda s: (by_value(s), lot_key(seed, s.option)))
    chosen = tuple(s.option for s in ordered[:winners])
    ties: list[TieBreak] = []
    for _, group in groupby(ordered, key=by_value):
        tied = [s.option for s in group]
        winning = [o for o in tied if o in chosen]
        if len(tied) > 1 and 0 < len(winning) < len(tied):
            ties.append(TieBreak(0, "elect", tuple(tied), tuple(winning)))
    lines = [
        line(
            gettext_noop("%(ballots)s ballots were counted."),
            ballots=ballots,
        ),
        *(_standingline(method, s) for s in ordered),
        *(
            line(
                gettext_noop(
                    "%(tied)s were tied at the cut; the lot drawn from the committed seed "
                    "chose %(chosen)s."
                ),
                tied=", ".join(tie.tied),
                chosen=", ".join(tie.chosen),
            )
            for tie in ties
        ),
        line(gettext_noop("Chosen: %(winners)s."), winners=", ".join(chosen)),
    ]
    return PollResult(method, ballots, tuple(ordered), chosen, tuple(ties), tuple(lines))


def _standingline(method: str, standing: Standing) -> Line:
    if method == "approval":
        return line(
            gettext_noop("Approvals for %(option)s: %(total)s."),
            option=standing.option,
            total=standing.total,
        )
    if method == "dot":
        return line(
            gettext_noop(
                "Dots for %(option)s: %(total)s (ballots giving it dots: %(supporters)s)."
            ),
            option=standing.option,
            total=standing.total,
            supporters=standing.supporters,
        )
    if standing.mean is None:
        return line(gettext_noop("Nobody scored %(option)s."), option=standing.option)
    return line(
        gettext_noop(
            "Score for %(option)s: total %(total)s, mean %(mean)s (ballots scoring it: "
            "%(supporters)s)."
        ),
        option=standing.option,
        total=standing.total,
        supporters=standing.supporters,
        mean=hundredths(standing.mean),
    )


def _check_options(options: Sequence[str], winners: int) -> None:
    if isinstance(options, str) or not options:
        raise InvalidInput("no_options", gettext_noop("There are no options to vote on."))
    if any(not isinstance(option, str) or not option for option in options):
        raise InvalidInput("bad_option", gettext_noop("Every option needs a non-empty name."))
    if len(set(options)) != len(options):
        raise InvalidInput("duplicate_option", gettext_noop("Option names must be unique."))
    _check_whole("winners", winners, minimum=1)
    if winners > len(options):
        raise InvalidInput(
            "too_many_winners",
            gettext_noop("%(winners)s winners were asked for but there are %(options)s options."),
            winners=winners,
            options=len(options),
        )


def _check_known(known: Mapping[str, int], option: object, index: int) -> None:
    if not isinstance(option, str) or option not in known:
        raise InvalidInput(
            "unknown_option",
            gettext_noop("Ballot %(index)s names %(option)r, which is not an option."),
            index=index,
            option=option,
        )


def _check_whole(name: str, value: int, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInput(
            "bad_parameter",
            gettext_noop("%(name)s must be a whole number of at least %(minimum)s, not %(value)r."),
            name=name,
            minimum=minimum,
            value=value,
        )
