"""Counting member votes: pure functions from ballots and rules to a result a member can check.

Every result is a frozen dataclass with the numbers behind it (round by round for ranked
methods) and an explanation. Shares and thresholds are compared as exact fractions; STV vote
values are exact to five decimal places. Ties are broken by a lot drawn from a seed committed
before the vote opens (:mod:`.lots`), and every tie the lot broke is listed in the result.

- :mod:`.motions`: yes/no motions (majority, supermajority) and consent proposals with blocks.
- :mod:`.choices`: approval, score and dot votes over options, and the median of chosen values.
- :mod:`.ranked`: ranked ballots, instant-runoff, BLT export; :mod:`.stv`: STV for several seats.
"""

from .choices import (
    MedianResult,
    PollResult,
    Standing,
    median_choice,
    tally_approval,
    tally_dots,
    tally_score,
)
from .lots import TieBreak, lot_order
from .motions import MotionResult, VoteRule, tally_motion, tally_proposal
from .ranked import (
    RankedBallots,
    RunoffResult,
    RunoffRound,
    instant_runoff,
    ranked_ballots,
    to_blt,
)
from .stv import STVResult, STVRound, single_transferable_vote

__all__ = [
    "MedianResult",
    "MotionResult",
    "PollResult",
    "RankedBallots",
    "RunoffResult",
    "RunoffRound",
    "STVResult",
    "STVRound",
    "Standing",
    "TieBreak",
    "VoteRule",
    "instant_runoff",
    "lot_order",
    "median_choice",
    "ranked_ballots",
    "single_transferable_vote",
    "tally_approval",
    "tally_dots",
    "tally_motion",
    "tally_proposal",
    "tally_score",
    "to_blt",
]
