"""Ranked ballots: validation and grouping, instant-runoff, and export in BLT format.

A ballot lists candidate indices (positions in the candidate list) best first, padded at the end
with -1. Identical ballots are grouped once (one row per distinct ranking with its count), and
every round works on whole groups with array operations: a group's vote sits with its first
preference still in the count.

Input rules: every ballot ranks at least one candidate (an empty ballot is refused, not counted
as exhausted: a member who ranks nobody has abstained, which is recorded apart from the count),
ranks each candidate at most once, names only known candidates, and pads only at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from ..errors import InvalidInput, gettext_noop
from ..explanation import Line
from .lots import TieBreak, check_seed, lot_order
from .text import line

NO_RANK = -1
# Vote values are held as whole 1/100,000ths of a vote in 64 bits (see stv.py); this bound
# keeps every product in range and every tally exact in a float64 sum.
MAX_BALLOTS = 10**8
INT63 = 2**62


@dataclass(frozen=True, slots=True, eq=False)
class RankedBallots:
    """Validated ranked ballots, identical ones grouped.

    ``rankings[g]`` is a distinct ranking (candidate indices best first, -1 padding) and
    ``counts[g]`` the number of ballots that carry it. Both arrays are read-only.
    """

    candidates: tuple[str, ...]
    rankings: NDArray[np.int32]
    counts: NDArray[np.int64]

    @property
    def total(self) -> int:
        return int(self.counts.sum())


@dataclass(frozen=True, slots=True)
class RunoffRound:
    """One round: the votes of each candidate still in, ballots exhausted so far, and who was
    excluded at its end (nobody in the last round)."""

    number: int
    tallies: Mapping[str, int]
    exhausted: int
    excluded: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunoffResult:
    """The winner and the whole count, round by round, with the ties the lot broke."""

    winner: str
    ballots: int
    rounds: tuple[RunoffRound, ...]
    ties: tuple[TieBreak, ...]
    explanation: tuple[Line, ...]


def ranked_ballots(
    candidates: Sequence[str],
    rankings: npt.ArrayLike,
    counts: npt.ArrayLike | None = None,
) -> RankedBallots:
    """Check ranked ballots and group identical ones: the way to make a ``RankedBallots``.

    ``rankings`` is an integer array (ballots x ranks); ``counts``, if given, says how many
    ballots each row stands for (rows may still repeat: they are added up).
    """
    names = _check_candidates(candidates)
    table = np.asarray(rankings)
    if table.ndim != 2 or table.shape[1] == 0 or table.dtype.kind not in "iu":
        raise InvalidInput(
            "bad_rankings",
            gettext_noop("Rankings must be a table of whole numbers, one row per ballot."),
        )
    if table.shape[0] == 0:
        raise InvalidInput("no_ballots", gettext_noop("There are no ballots to count."))
    outside = (table < NO_RANK) | (table >= len(names))
    if outside.any():
        row, column = np.argwhere(outside)[0]
        raise InvalidInput(
            "unknown_candidate",
            gettext_noop("Ballot %(index)s ranks %(value)s, which is not a candidate."),
            index=int(row),
            value=int(table[row, column]),
        )
    weights = _check_counts(counts, table.shape[0])
    groups, group_counts, first_seen = _group(table.astype(np.int32), weights, len(names))
    _check_rows(groups, first_seen)
    groups.setflags(write=False)
    group_counts.setflags(write=False)
    return RankedBallots(names, groups, group_counts)


def instant_runoff(ballots: RankedBallots, *, seed: bytes) -> RunoffResult:
    """Instant-runoff: a candidate with more than half of the votes still in the count wins;
    otherwise the candidate with the fewest votes is excluded and their ballots pass on.

    Candidates with no votes at all are excluded together (they hold no ballots, so the order
    changes nothing). A tie for the fewest votes is settled by the lot: the tied candidate the
    lot favours least is excluded.
    """
    check_seed(seed)
    names = ballots.candidates
    lot = lot_positions(seed, names)
    weights = ballots.counts.astype(np.float64)
    continuing = np.ones(len(names), dtype=bool)
    holder = ballots.rankings[:, 0].astype(np.int64)
    total = ballots.total
    rounds: list[RunoffRound] = []
    ties: list[TieBreak] = []
    lines = [
        line(
            gettext_noop(
                "%(ballots)s ballots rank %(candidates)s candidates. A candidate with more than "
                "half of the votes still in the count wins; otherwise the candidate with the "
                "fewest votes is excluded and each of their ballots passes to its next choice."
            ),
            ballots=total,
            candidates=len(names),
        )
    ]
    while True:
        number = len(rounds) + 1
        tallies = pile_totals(holder, weights, len(names))
        active = np.flatnonzero(continuing)
        votes = tallies[active]
        in_count = int(votes.sum())
        tally_map = {names[c]: int(tallies[c]) for c in active}
        lines.append(_round_line(number, tally_map, total - in_count))
        best = int(active[np.argmax(votes)])
        if 2 * int(tallies[best]) > in_count or len(active) == 1:
            rounds.append(RunoffRound(number, tally_map, total - in_count, ()))
            lines.append(
                line(
                    gettext_noop("%(winner)s wins with %(votes)s of the %(in_count)s votes."),
                    winner=names[best],
                    votes=int(tallies[best]),
                    in_count=in_count,
                )
            )
            return RunoffResult(names[best], total, tuple(rounds), tuple(ties), tuple(lines))
        excluded, tie = choose_exclusion(
            active, votes, lot, seats_left=1, round_number=number, names=names
        )
        if tie is not None:
            ties.append(tie)
        lines.append(exclusion_line(names, excluded, int(tallies[excluded[0]]), tie))
        rounds.append(
            RunoffRound(number, tally_map, total - in_count, tuple(names[c] for c in excluded))
        )
        continuing[excluded] = False
        moving = np.flatnonzero(np.isin(holder, excluded))
        holder[moving] = first_continuing(ballots.rankings, moving, continuing)


def to_blt(ballots: RankedBallots, *, seats: int, title: str) -> str:
    """The ballots in BLT format, read by most STV counting programs.

    First line: candidates and seats; then one line per distinct ranking: its count, the
    candidates (numbered from 1) best first, and 0; a lone 0 ends the ballots; then each
    candidate's name and the title, in double quotes.
    """
    check_seats(seats)
    for text in (*ballots.candidates, title):
        if '"' in text or "\n" in text or "\r" in text:
            raise InvalidInput(
                "unquotable_name",
                gettext_noop("%(name)r cannot be written in BLT: no quotes or line breaks."),
                name=text,
            )
    lines = [f"{len(ballots.candidates)} {seats}"]
    for ranking, count in zip(ballots.rankings, ballots.counts, strict=True):
        ranked = " ".join(str(int(c) + 1) for c in ranking if c != NO_RANK)
        lines.append(f"{int(count)} {ranked} 0")
    lines.append("0")
    lines.extend(f'"{name}"' for name in ballots.candidates)
    lines.append(f'"{title}"')
    return "\n".join(lines) + "\n"


# --- shared with the STV count ----------------------------------------------------------------


def check_seats(seats: int) -> None:
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise InvalidInput(
            "bad_seats",
            gettext_noop(
                "The number of seats must be a whole number of at least 1, not %(seats)r."
            ),
            seats=seats,
        )


def first_continuing(
    rankings: NDArray[np.int32], rows: NDArray[np.intp], continuing: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """For each of ``rows``, the first candidate on the ballot still in the count, or -1."""
    in_count = np.append(continuing, False)  # index -1 (padding) lands on the False
    marks = in_count[rankings[rows]]
    found = marks.any(axis=1)
    position = marks.argmax(axis=1)
    first = rankings[rows, position].astype(np.int64)
    return np.where(found, first, NO_RANK)


def pile_totals(
    holder: NDArray[np.int64], weights: NDArray[np.float64], candidates: int
) -> NDArray[np.int64]:
    """What each candidate holds: the weights of the groups whose vote sits with them.

    Weights are whole numbers whose sum stays below 2**53, so the float sum is exact.
    """
    held = holder >= 0
    sums = np.bincount(holder[held], weights=weights[held], minlength=candidates)
    return np.rint(sums).astype(np.int64)


def choose_exclusion(
    active: NDArray[np.intp],
    votes: NDArray[np.int64],
    lot: NDArray[np.int64],
    *,
    seats_left: int,
    round_number: int,
    names: Sequence[str],
) -> tuple[NDArray[np.intp], TieBreak | None]:
    """Who leaves the count: every candidate with no votes when enough others remain for the
    seats left, else the one with the fewest votes (a tie settled by the lot)."""
    zero = active[votes == 0]
    if zero.size and active.size - zero.size >= seats_left:
        return zero, None
    lowest = active[votes == votes.min()]
    if lowest.size == 1:
        return lowest, None
    in_lot_order = lowest[np.argsort(lot[lowest])]
    loser = in_lot_order[-1:]
    tie = TieBreak(
        round_number,
        "exclude",
        tuple(names[c] for c in in_lot_order),
        (names[int(loser[0])],),
    )
    return loser, tie


def exclusion_line(
    names: Sequence[str], excluded: NDArray[np.intp], votes: object, tie: TieBreak | None
) -> Line:
    who = ", ".join(names[c] for c in excluded)
    if tie is not None:
        return line(
            gettext_noop(
                "%(tied)s are tied for the fewest votes (%(votes)s); the lot drawn from the "
                "committed seed excludes %(candidate)s."
            ),
            tied=", ".join(tie.tied),
            votes=votes,
            candidate=who,
        )
    if excluded.size > 1:
        return line(
            gettext_noop("%(candidates)s have no votes and are excluded together."),
            candidates=who,
        )
    return line(
        gettext_noop("%(candidate)s has the fewest votes (%(votes)s) and is excluded."),
        candidate=who,
        votes=votes,
    )


def _round_line(number: int, tallies: Mapping[str, object], exhausted: object) -> Line:
    return line(
        gettext_noop("Round %(round)s: %(tallies)s; exhausted ballots: %(exhausted)s."),
        round=number,
        tallies=", ".join(f"{name} {votes}" for name, votes in tallies.items()),
        exhausted=exhausted,
    )


def lot_positions(seed: bytes, names: Sequence[str]) -> NDArray[np.int64]:
    """Each candidate's place in the lot (0 is the most favoured)."""
    place = {name: i for i, name in enumerate(lot_order(seed, names))}
    return np.array([place[name] for name in names], dtype=np.int64)


def _check_candidates(candidates: Sequence[str]) -> tuple[str, ...]:
    if isinstance(candidates, str) or not candidates:
        raise InvalidInput("no_candidates", gettext_noop("There are no candidates."))
    names = tuple(candidates)
    if any(not isinstance(name, str) or not name for name in names):
        raise InvalidInput("bad_candidate", gettext_noop("Every candidate needs a non-empty id."))
    if len(set(names)) != len(names):
        raise InvalidInput("duplicate_candidate", gettext_noop("Candidate ids must be unique."))
    return names


def _check_counts(counts: npt.ArrayLike | None, ballots: int) -> NDArray[np.int64] | None:
    if counts is None:
        if ballots > MAX_BALLOTS:
            raise _too_many(ballots)
        return None
    weights = np.asarray(counts)
    if weights.shape != (ballots,) or weights.dtype.kind not in "iu":
        raise InvalidInput(
            "bad_counts",
            gettext_noop("Counts must be whole numbers, one for each row of rankings."),
        )
    if (weights < 1).any():
        index = int(np.argmax(weights < 1))
        raise InvalidInput(
            "bad_counts",
            gettext_noop("Row %(index)s has a count of %(count)s; every count must be at least 1."),
            index=index,
            count=int(weights[index]),
        )
    largest = int(weights.max())
    if largest > MAX_BALLOTS:
        raise _too_many(largest)
    total = int(weights.sum(dtype=np.int64))  # at most rows x 10**8: no overflow
    if total > MAX_BALLOTS:
        raise _too_many(total)
    return weights.astype(np.int64)


def _too_many(ballots: int) -> InvalidInput:
    return InvalidInput(
        "too_many_ballots",
        gettext_noop("%(ballots)s ballots are more than the %(limit)s this count accepts."),
        ballots=ballots,
        limit=MAX_BALLOTS,
    )


def _group(
    table: NDArray[np.int32], weights: NDArray[np.int64] | None, candidates: int
) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.intp]]:
    """Distinct rows (in lexicographic order), their total counts, and where each first
    appears. Rows are packed into one integer each when they fit, which sorts far faster than
    comparing rows."""
    base = candidates + 1
    if base ** table.shape[1] < INT63:
        keys = np.zeros(table.shape[0], dtype=np.int64)
        for column in table.T:  # the first rank is the most significant digit
            keys = keys * base + (column + 1)
        found = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    else:
        found = np.unique(table, axis=0, return_index=True, return_inverse=True, return_counts=True)
    _, first_seen, inverse, repeats = found
    if weights is None:
        group_counts = repeats.astype(np.int64)
    else:
        group_counts = np.bincount(inverse.ravel(), weights=weights).round().astype(np.int64)
    return table[first_seen], group_counts, first_seen


def _check_rows(groups: NDArray[np.int32], first_seen: NDArray[np.intp]) -> None:
    padding = groups == NO_RANK
    problems = (
        (
            padding[:, 0],
            "empty_ballot",
            gettext_noop("Ballot %(index)s ranks nobody; record an abstention instead."),
        ),
        (
            (padding[:, :-1] & ~padding[:, 1:]).any(axis=1),
            "ranking_gap",
            gettext_noop("Ballot %(index)s has a gap in its ranking."),
        ),
        (
            _repeats(groups),
            "duplicate_ranking",
            gettext_noop("Ballot %(index)s ranks the same candidate more than once."),
        ),
    )
    for bad, code, message in problems:
        if bad.any():
            raise InvalidInput(code, message, index=int(first_seen[bad].min()))


def _repeats(groups: NDArray[np.int32]) -> NDArray[np.bool_]:
    ordered = np.sort(groups, axis=1)
    same = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] != NO_RANK)
    return same.any(axis=1)
