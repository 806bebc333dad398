"""Single transferable vote for multi-seat elections (a board, a committee).

The rules, in the manner of the Scottish local-government count (Weighted Inclusive Gregory):

- Quota: the Droop quota in whole votes, floor(valid ballots / (seats + 1)) + 1. A candidate
  whose votes reach it is elected. No more than ``seats`` candidates can reach it.
- Vote values are exact whole numbers of 1/100,000ths of a vote (five decimal places).
- Surplus (Weighted Inclusive Gregory): an elected candidate's surplus is their votes minus the
  quota. Every ballot they hold, whatever its current value, passes to its next continuing
  choice at value x surplus / votes, truncated to five decimal places; what truncation drops
  is shown as the rounding loss. The candidate keeps exactly the quota. One surplus is
  transferred per round, the largest first; surpluses wait while one is being transferred.
- Exclusion: when no surplus is waiting, the continuing candidate with the fewest votes is
  excluded and their ballots pass on at their current value. Candidates with no votes are
  excluded together when enough candidates remain for the seats.
- When the continuing candidates are no more than the seats left, they are all elected.
- A ballot with no continuing choice left is exhausted. Every round, the votes held by the
  candidates, the exhausted votes and the rounding loss add up to the valid ballots exactly.
- Ties for the fewest votes and between equal surpluses are settled by the lot drawn from the
  seed committed before the vote opened, and listed in the result. Candidates elected in the
  same round are listed by votes, equal votes in lot order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from ..errors import gettext_noop
from ..explanation import Line
from .lots import TieBreak, check_seed
from .ranked import (
    NO_RANK,
    RankedBallots,
    check_seats,
    choose_exclusion,
    exclusion_line,
    first_continuing,
    lot_positions,
    pile_totals,
)
from .text import line

SCALE = 100_000  # vote values in 1/100,000ths of a vote
PLACES = 5
HOPEFUL, ELECTED, EXCLUDED = 0, 1, 2


@dataclass(frozen=True, slots=True)
class STVRound:
    """One round of the count.

    Round 1 counts first preferences. Every later round transfers one thing: the surplus of
    ``surplus_of`` (each ballot's value multiplied by ``transfer_value``), or the ballots of the
    ``excluded`` candidates. ``transferred`` is what each candidate received; ``tallies`` the
    votes of every candidate still in the count or elected, after the transfer; ``exhausted``
    and ``rounding_loss`` are running totals; ``elected`` who was elected in this round.
    """

    number: int
    surplus_of: str | None
    transfer_value: Decimal | None
    excluded: tuple[str, ...]
    transferred: Mapping[str, Decimal]
    tallies: Mapping[str, Decimal]
    exhausted: Decimal
    rounding_loss: Decimal
    elected: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class STVResult:
    """Who was elected (in the order of election) and the whole count, round by round."""

    elected: tuple[str, ...]
    seats: int
    ballots: int
    quota: int
    rounds: tuple[STVRound, ...]
    ties: tuple[TieBreak, ...]
    explanation: tuple[Line, ...]


def single_transferable_vote(ballots: RankedBallots, *, seats: int, seed: bytes) -> STVResult:
    """Count an STV election under the rules in this module's docstring."""
    check_seed(seed)
    check_seats(seats)
    return _Count(ballots, seats, seed).run()


def as_votes(units: int) -> Decimal:
    """A vote value in 1/100,000ths as a Decimal with five places ('5.50000')."""
    return Decimal(units).scaleb(-PLACES)


@dataclass(frozen=True, slots=True)
class _Transfer:
    """What a round moved: a surplus (with its transfer value) or excluded candidates' ballots,
    and what each candidate (by index) received. Empty in the first round."""

    surplus_of: str | None = None
    value: Decimal | None = None
    excluded: tuple[str, ...] = ()
    received: Mapping[int, int] = field(default_factory=dict)


class _Count:
    """The state of one count; ``run`` walks it round by round."""

    def __init__(self, ballots: RankedBallots, seats: int, seed: bytes) -> None:
        self.names = ballots.candidates
        self.rankings = ballots.rankings
        self.counts = ballots.counts
        self.seats = seats
        self.total = ballots.total
        self.quota = self.total // (seats + 1) + 1
        self.quota_units = self.quota * SCALE
        self.lot = lot_positions(seed, self.names)
        self.status = np.full(len(self.names), HOPEFUL, dtype=np.int8)
        self.holder = self.rankings[:, 0].astype(np.int64)
        self.value = np.full(len(self.counts), SCALE, dtype=np.int64)  # per ballot in a group
        self.settled = np.zeros(len(self.names), dtype=bool)  # surplus dealt with
        self.waiting: list[int] = []  # elected, surplus not yet transferred
        self.elected: list[int] = []
        self.exhausted = 0
        self.rounding_loss = 0
        self.rounds: list[STVRound] = []
        self.ties: list[TieBreak] = []
        self.lines: list[Line] = [
            line(
                gettext_noop(
                    "%(ballots)s valid ballots and %(seats)s seats: the quota is %(quota)s votes "
                    "(the ballots divided by one more than the seats, rounded down, plus one)."
                ),
                ballots=self.total,
                seats=seats,
                quota=self.quota,
            )
        ]

    def run(self) -> STVResult:
        transfer = _Transfer()
        while True:
            tallies = self._tallies()
            self._round_line(tallies)
            elected_now = self._elect(tallies)
            if len(self.elected) < self.seats:
                hopeful = np.flatnonzero(self.status == HOPEFUL)
                if hopeful.size <= self.seats - len(self.elected):
                    elected_now += self._elect_remaining(hopeful, tallies)
            self._record(tallies, elected_now, transfer)
            if len(self.elected) >= self.seats or not (self.status == HOPEFUL).any():
                break
            transfer = self._transfer_surplus(tallies) if self.waiting else self._exclude(tallies)
        if len(self.elected) < self.seats:
            self.lines.append(
                line(
                    gettext_noop("Only %(elected)s candidates stood for %(seats)s seats."),
                    elected=len(self.elected),
                    seats=self.seats,
                )
            )
        return STVResult(
            elected=tuple(self.names[c] for c in self.elected),
            seats=self.seats,
            ballots=self.total,
            quota=self.quota,
            rounds=tuple(self.rounds),
            ties=tuple(self.ties),
            explanation=tuple(self.lines),
        )

    def _tallies(self) -> NDArray[np.int64]:
        held = pile_totals(
            self.holder, (self.value * self.counts).astype(np.float64), len(self.names)
        )
        return np.where(self.settled, self.quota_units, held)

    def _round(self) -> int:
        return len(self.rounds) + 1

    def _ordered(self, candidates: Sequence[int], tallies: NDArray[np.int64]) -> list[int]:
        """Most votes first, equal votes in lot order: only the order in which candidates
        elected together are listed, so it is not recorded as a tie."""
        return sorted(candidates, key=lambda c: (-int(tallies[c]), int(self.lot[c])))

    def _elect(self, tallies: NDArray[np.int64]) -> list[int]:
        reached = np.flatnonzero((self.status == HOPEFUL) & (tallies >= self.quota_units))
        chosen = self._ordered([int(c) for c in reached], tallies)
        for candidate in chosen:
            self.status[candidate] = ELECTED
            self.elected.append(candidate)
            if tallies[candidate] > self.quota_units:
                self.waiting.append(candidate)
            else:
                self.settled[candidate] = True
            self.lines.append(
                line(
                    gettext_noop("%(candidate)s reaches the quota with %(votes)s and is elected."),
                    candidate=self.names[candidate],
                    votes=as_votes(int(tallies[candidate])),
                )
            )
        return chosen

    def _elect_remaining(self, hopeful: NDArray[np.intp], tallies: NDArray[np.int64]) -> list[int]:
        chosen = self._ordered([int(c) for c in hopeful], tallies)
        for candidate in chosen:
            self.status[candidate] = ELECTED
            self.elected.append(candidate)
        if chosen:
            self.lines.append(
                line(
                    gettext_noop(
                        "No more candidates remain than seats left; elected without reaching "
                        "the quota: %(candidates)s."
                    ),
                    candidates=", ".join(self.names[c] for c in chosen),
                )
            )
        return chosen

    def _transfer_surplus(self, tallies: NDArray[np.int64]) -> _Transfer:
        largest = max(int(tallies[c]) for c in self.waiting)
        candidates = [c for c in self.waiting if int(tallies[c]) == largest]
        candidates.sort(key=lambda c: int(self.lot[c]))
        source = candidates[0]
        if len(candidates) > 1:
            tied = tuple(self.names[c] for c in candidates)
            self.ties.append(TieBreak(self._round(), "surplus", tied, (self.names[source],)))
        self.waiting.remove(source)
        self.settled[source] = True
        votes = int(tallies[source])
        surplus = votes - self.quota_units
        rows = np.flatnonzero(self.holder == source)
        self.value[rows] = self.value[rows] * surplus // votes
        received = self._move(rows)
        moved = int((self.value[rows] * self.counts[rows]).sum())
        self.rounding_loss += surplus - moved
        transfer_value = as_votes(surplus * SCALE // votes)
        self.lines.append(
            line(
                gettext_noop(
                    "%(candidate)s's surplus of %(surplus)s is transferred: each of their ballots "
                    "passes on at %(value)s of its value."
                ),
                candidate=self.names[source],
                surplus=as_votes(surplus),
                value=transfer_value,
            )
        )
        return _Transfer(self.names[source], transfer_value, (), received)

    def _exclude(self, tallies: NDArray[np.int64]) -> _Transfer:
        hopeful = np.flatnonzero(self.status == HOPEFUL)
        excluded, tie = choose_exclusion(
            hopeful,
            tallies[hopeful],
            self.lot,
            seats_left=self.seats - len(self.elected),
            round_number=self._round(),
            names=self.names,
        )
        if tie is not None:
            self.ties.append(tie)
        self.lines.append(
            exclusion_line(self.names, excluded, as_votes(int(tallies[excluded[0]])), tie)
        )
        self.status[excluded] = EXCLUDED
        rows = np.flatnonzero(np.isin(self.holder, excluded))
        received = self._move(rows)
        return _Transfer(None, None, tuple(self.names[c] for c in excluded), received)

    def _move(self, rows: NDArray[np.intp]) -> dict[int, int]:
        """Pass ``rows`` to their next continuing choice; return what each candidate got."""
        self.holder[rows] = first_continuing(self.rankings, rows, self.status == HOPEFUL)
        moved = self.value[rows] * self.counts[rows]
        to = self.holder[rows]
        self.exhausted += int(moved[to == NO_RANK].sum())
        received = np.bincount(
            to[to != NO_RANK],
            weights=moved[to != NO_RANK].astype(np.float64),
            minlength=len(self.names),
        )
        return {int(c): round(float(received[c])) for c in np.flatnonzero(received)}

    def _round_line(self, tallies: NDArray[np.int64]) -> None:
        self.lines.append(
            line(
                gettext_noop("Round %(round)s: %(tallies)s; exhausted: %(exhausted)s."),
                round=self._round(),
                tallies=", ".join(
                    f"{name} {votes}" for name, votes in self._shown(tallies).items()
                ),
                exhausted=as_votes(self.exhausted),
            )
        )

    def _shown(self, tallies: NDArray[np.int64]) -> dict[str, Decimal]:
        return {
            self.names[c]: as_votes(int(tallies[c]))
            for c in range(len(self.names))
            if self.status[c] != EXCLUDED
        }

    def _record(
        self,
        tallies: NDArray[np.int64],
        elected_now: list[int],
        transfer: _Transfer,
    ) -> None:
        self.rounds.append(
            STVRound(
                number=self._round(),
                surplus_of=transfer.surplus_of,
                transfer_value=transfer.value,
                excluded=transfer.excluded,
                transferred={self.names[c]: as_votes(v) for c, v in transfer.received.items()},
                tallies=self._shown(tallies),
                exhausted=as_votes(self.exhausted),
                rounding_loss=as_votes(self.rounding_loss),
                elected=tuple(self.names[c] for c in elected_now),
            )
        )
