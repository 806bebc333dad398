"""Yes/no motions and consent proposals: quorum, vote share and blocks, compared exactly.

Quorum is participation: everyone who took part (abstentions and blocks included) as a share
of the eligible members. The supporting share is measured against one of three bases, chosen
by the rule: the votes cast for and against (``cast``), those plus abstentions
(``cast_with_abstentions``), or every eligible member (``eligible``). Shares and thresholds are
fractions, so "two thirds of nine" is six, never 5.999...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal, get_args

from ..errors import InvalidInput, gettext_noop
from ..explanation import Line
from .text import line, percent

ShareBasis = Literal["cast", "cast_with_abstentions", "eligible"]
Outcome = Literal["passed", "failed", "no_quorum", "blocked"]


@dataclass(frozen=True, slots=True)
class VoteRule:
    """What a decision needs: a quorum, a threshold against a basis, and whether the exact
    threshold is enough.

    A plain majority is ``threshold=Fraction(1, 2), at_threshold_passes=False`` (more than
    half); two thirds is ``threshold=Fraction(2, 3)`` (at least two thirds).
    """

    quorum: Fraction
    threshold: Fraction
    basis: ShareBasis = "cast"
    at_threshold_passes: bool = True

    def __post_init__(self) -> None:
        for name in ("quorum", "threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Fraction | int):
                raise InvalidInput(
                    "inexact_fraction",
                    gettext_noop("The %(name)s must be an exact fraction, not %(value)r."),
                    name=name,
                    value=value,
                )
            if not 0 <= value <= 1:
                raise InvalidInput(
                    "fraction_out_of_range",
                    gettext_noop("The %(name)s must be between 0 and 1, not %(value)s."),
                    name=name,
                    value=str(value),
                )
            object.__setattr__(self, name, Fraction(value))
        if self.basis not in get_args(ShareBasis):
            raise InvalidInput(
                "unknown_basis",
                gettext_noop("Unknown basis for the vote share: %(basis)s."),
                basis=str(self.basis),
            )

    @classmethod
    def from_percent(
        cls,
        *,
        quorum_percent: Decimal,
        threshold_percent: Decimal,
        basis: ShareBasis = "cast",
        at_threshold_passes: bool = True,
    ) -> VoteRule:
        """A rule from the percentages a Policy stores, converted exactly (66.67 stays 66.67,
        which is more than two thirds)."""
        return cls(
            quorum=_exact_percent(quorum_percent),
            threshold=_exact_percent(threshold_percent),
            basis=basis,
            at_threshold_passes=at_threshold_passes,
        )


@dataclass(frozen=True, slots=True)
class MotionResult:
    """The outcome of a motion or proposal with the numbers behind it.

    ``share`` is the supporting share of the rule's basis, or None when the basis is empty
    (nobody voted for or against). ``counts`` keeps the order the options were given in.
    """

    outcome: Outcome
    counts: Mapping[str, int]
    eligible: int
    participation: Fraction
    quorum_met: bool
    share: Fraction | None
    explanation: tuple[Line, ...]

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


def tally_motion(*, yes: int, no: int, abstain: int, eligible: int, rule: VoteRule) -> MotionResult:
    """A yes/no/abstain vote (majority or supermajority, as the rule's threshold says)."""
    counts = {"yes": yes, "no": no, "abstain": abstain}
    _check_counts(counts, eligible)
    lines = [
        line(
            gettext_noop("Yes: %(yes)s, no: %(no)s, abstain: %(abstain)s."),
            yes=yes,
            no=no,
            abstain=abstain,
        )
    ]
    return _decide(
        counts, support=yes, against=no, abstain=abstain, eligible=eligible, rule=rule, lines=lines
    )


def tally_proposal(
    *,
    agree: int,
    abstain: int,
    disagree: int,
    block: int,
    eligible: int,
    rule: VoteRule,
    block_threshold: int = 1,
) -> MotionResult:
    """A consent proposal: blocked when at least ``block_threshold`` members block; otherwise
    decided like a motion, with blocks counted against it."""
    counts = {"agree": agree, "abstain": abstain, "disagree": disagree, "block": block}
    _check_counts(counts, eligible)
    if isinstance(block_threshold, bool) or not isinstance(block_threshold, int):
        raise InvalidInput(
            "bad_block_threshold",
            gettext_noop("The block threshold must be a whole number, not %(value)r."),
            value=block_threshold,
        )
    if block_threshold < 1:
        raise InvalidInput(
            "bad_block_threshold",
            gettext_noop("The block threshold must be at least 1, not %(value)s."),
            value=block_threshold,
        )
    lines = [
        line(
            gettext_noop(
                "Agree: %(agree)s, abstain: %(abstain)s, disagree: %(disagree)s, block: %(block)s."
            ),
            agree=agree,
            abstain=abstain,
            disagree=disagree,
            block=block,
        )
    ]
    result = _decide(
        counts,
        support=agree,
        against=disagree + block,
        abstain=abstain,
        eligible=eligible,
        rule=rule,
        lines=lines,
    )
    if block < block_threshold:
        return result
    blocked = line(
        gettext_noop(
            "Blocks: %(block)s; %(threshold)s or more stop the proposal, so it is blocked."
        ),
        block=block,
        threshold=block_threshold,
    )
    return MotionResult(
        outcome="blocked",
        counts=result.counts,
        eligible=result.eligible,
        participation=result.participation,
        quorum_met=result.quorum_met,
        share=result.share,
        explanation=(*result.explanation[:-1], blocked),
    )


def _decide(
    counts: dict[str, int],
    *,
    support: int,
    against: int,
    abstain: int,
    eligible: int,
    rule: VoteRule,
    lines: list[Line],
) -> MotionResult:
    participants = sum(counts.values())
    participation = Fraction(participants, eligible)
    quorum_met = participation >= rule.quorum
    lines.append(
        line(
            gettext_noop(
                "%(participants)s of %(eligible)s eligible members took part (%(percent)s%%); "
                "the quorum is %(quorum)s%%."
            ),
            participants=participants,
            eligible=eligible,
            percent=percent(participation),
            quorum=percent(rule.quorum),
        )
    )
    base = {
        "cast": support + against,
        "cast_with_abstentions": support + against + abstain,
        "eligible": eligible,
    }[rule.basis]
    share = Fraction(support, base) if base else None
    if share is None:
        reached = False
    elif rule.at_threshold_passes:
        reached = share >= rule.threshold
    else:
        reached = share > rule.threshold
    lines.append(_share_line(rule, support, base, share))
    outcome: Outcome
    if not quorum_met:
        outcome = "no_quorum"
        verdict = gettext_noop("The quorum was not met, so it does not pass.")
    elif reached:
        outcome = "passed"
        verdict = gettext_noop("It passes.")
    else:
        outcome = "failed"
        verdict = gettext_noop("It does not reach the threshold, so it does not pass.")
    lines.append(Line(verdict, {}))
    return MotionResult(
        outcome=outcome,
        counts=counts,
        eligible=eligible,
        participation=participation,
        quorum_met=quorum_met,
        share=share,
        explanation=tuple(lines),
    )


def _share_line(rule: VoteRule, support: int, base: int, share: Fraction | None) -> Line:
    params = {
        "support": support,
        "base": base,
        "threshold": rule.threshold,
        "threshold_percent": percent(rule.threshold),
    }
    if share is None:
        return line(gettext_noop("Nobody voted for or against, so there is no vote share."))
    params["percent"] = percent(share)
    messages = {
        ("cast", True): gettext_noop(
            "%(support)s of the %(base)s votes for and against are in favour (%(percent)s%%); "
            "at least %(threshold)s (%(threshold_percent)s%%) is needed."
        ),
        ("cast", False): gettext_noop(
            "%(support)s of the %(base)s votes for and against are in favour (%(percent)s%%); "
            "more than %(threshold)s (%(threshold_percent)s%%) is needed."
        ),
        ("cast_with_abstentions", True): gettext_noop(
            "%(support)s of the %(base)s votes cast, abstentions included, are in favour "
            "(%(percent)s%%); at least %(threshold)s (%(threshold_percent)s%%) is needed."
        ),
        ("cast_with_abstentions", False): gettext_noop(
            "%(support)s of the %(base)s votes cast, abstentions included, are in favour "
            "(%(percent)s%%); more than %(threshold)s (%(threshold_percent)s%%) is needed."
        ),
        ("eligible", True): gettext_noop(
            "%(support)s of the %(base)s eligible members are in favour (%(percent)s%%); "
            "at least %(threshold)s (%(threshold_percent)s%%) is needed."
        ),
        ("eligible", False): gettext_noop(
            "%(support)s of the %(base)s eligible members are in favour (%(percent)s%%); "
            "more than %(threshold)s (%(threshold_percent)s%%) is needed."
        ),
    }
    return line(messages[rule.basis, rule.at_threshold_passes], **params)


def _check_counts(counts: Mapping[str, int], eligible: int) -> None:
    for name, value in {**counts, "eligible": eligible}.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(
                "bad_count",
                gettext_noop("The %(name)s count must be a whole number, not %(value)r."),
                name=name,
                value=value,
            )
        if value < 0:
            raise InvalidInput(
                "bad_count",
                gettext_noop("The %(name)s count cannot be negative: %(value)s."),
                name=name,
                value=value,
            )
    if eligible == 0:
        raise InvalidInput("no_eligible", gettext_noop("Nobody is eligible to vote."))
    if sum(counts.values()) > eligible:
        raise InvalidInput(
            "more_votes_than_eligible",
            gettext_noop("%(votes)s votes were counted but only %(eligible)s members may vote."),
            votes=sum(counts.values()),
            eligible=eligible,
        )


def _exact_percent(value: Decimal) -> Fraction:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(
            "inexact_fraction",
            gettext_noop("A percentage must be a finite Decimal, not %(value)r."),
            value=value,
        )
    return Fraction(value) / 100
