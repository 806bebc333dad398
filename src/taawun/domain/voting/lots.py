"""Ties broken by a lot anyone can re-draw: the order of SHA-256(seed ‖ id).

The seed is committed (published, or its hash recorded in the log) before the vote opens, so
nobody can choose it once the ballots are known, and anyone holding it can re-run the count
and get the same result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InvalidInput, gettext_noop


@dataclass(frozen=True, slots=True)
class TieBreak:
    """A tie the lot decided: who was tied (in lot order), what was at stake, who it chose.

    ``purpose`` is ``exclude`` (who leaves the count), ``elect`` (who wins a seat or an
    option's place among the winners) or ``surplus`` (whose surplus is transferred first).
    ``round`` is the counting round, or 0 for methods counted in one step.
    """

    round: int
    purpose: str
    tied: tuple[str, ...]
    chosen: tuple[str, ...]


def check_seed(seed: bytes) -> None:
    if not isinstance(seed, bytes) or not seed:
        raise InvalidInput(
            "bad_seed",
            gettext_noop("The tie-break seed must be a non-empty byte string."),
        )


def lot_key(seed: bytes, option: str) -> bytes:
    """The digest that places ``option`` in the lot: lower comes first."""
    return hashlib.sha256(seed + option.encode()).digest()


def lot_order(seed: bytes, options: Iterable[str]) -> tuple[str, ...]:
    """``options`` in lot order: the first is the one a tie favours."""
    check_seed(seed)
    return tuple(sorted(options, key=lambda option: lot_key(seed, option)))
