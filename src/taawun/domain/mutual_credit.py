"""Mutual credit between sister co-ops: bilateral lines, limits, a shared chain, a zero-sum net.

Two co-ops that trade keep one running balance between them instead of moving cash for every
referral fee or purchase. Each side records the balance from its own point of view (positive:
the other side owes us), so the two records are mirror images and their sum is zero; across a
whole network every balance has its mirror, so all of them together sum to zero too. Each side
sets, by its own members' decision, how far the other may go into its debt. No interest.

Every completed transfer extends a hash chain both sides compute the same way, so two co-ops
can compare one hash to know their records agree, as two branches of a bank compare a total.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from .canonical import canonical_bytes
from .errors import DomainError, InvalidInput, gettext_noop

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Transfer:
    """A completed movement of credit from ``payer`` to ``payee`` (actor ids of co-ops)."""

    transfer_id: str  # chosen by the payer: a retry of the same transfer carries the same id
    payer: str
    payee: str
    amount: Decimal  # positive; a reversal is a new transfer the other way
    currency: str
    purpose: str
    reverses: str = ""

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise InvalidInput("amount_not_positive", gettext_noop("The amount must be positive."))
        if self.payer == self.payee:
            raise InvalidInput("transfer_to_self", gettext_noop("A co-op cannot pay itself."))

    def document(self) -> dict[str, object]:
        """What both sides hash: the transfer's facts, never its local bookkeeping."""
        return {
            "id": self.transfer_id,
            "payer": self.payer,
            "payee": self.payee,
            "amount": self.amount,
            "currency": self.currency,
            "purpose": self.purpose,
            "reverses": self.reverses,
        }


def extend_chain(head: str, transfer: Transfer) -> str:
    """The chain head after ``transfer``: SHA-256(previous head ‖ canonical transfer)."""
    return hashlib.sha256(bytes.fromhex(head) + canonical_bytes(transfer.document())).hexdigest()


def chain_head(transfers: Iterable[Transfer]) -> str:
    """The head over a pair's completed transfers in the order they completed."""
    head = GENESIS
    for transfer in transfers:
        head = extend_chain(head, transfer)
    return head


def balance_after(balance: Decimal, transfer: Transfer, us: str) -> Decimal:
    """Our balance with the other side (positive: they owe us) once ``transfer`` is done.

    Paying on credit means the payer now owes the payee."""
    if us == transfer.payee:
        return balance + transfer.amount
    if us == transfer.payer:
        return balance - transfer.amount
    raise InvalidInput("not_a_party", gettext_noop("This co-op is not a party to the transfer."))


def check_limit(balance: Decimal, transfer: Transfer, us: str, limit: Decimal) -> None:
    """Refuse a transfer that would take the other side further into our debt than the limit
    our members set for them. Transfers that reduce their debt are always welcome."""
    after = balance_after(balance, transfer, us)
    if after > limit and after > balance:
        raise DomainError(
            "credit_limit_exceeded",
            gettext_noop(
                "This transfer would take the balance to %(after)s %(currency)s, beyond the "
                "credit limit of %(limit)s."
            ),
            after=str(after),
            currency=transfer.currency,
            limit=str(limit),
        )


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Two co-ops whose records of each other do not mirror."""

    one: str
    other: str
    one_says: Decimal | None  # what ``one`` records (positive: ``other`` owes it); None: no line
    other_says: Decimal | None
    heads_match: bool


def network_check(
    books: Mapping[str, Mapping[str, tuple[Decimal, str]]],
) -> tuple[Decimal, list[Disagreement]]:
    """Check the records of the co-ops that could be read: ``books[a][b]`` is (a's balance with
    b, a's chain head).

    Returns the sum of the balances between co-ops that were both read (zero in a consistent
    network) and every such pair whose two records are not exact mirrors with the same chain
    head. A co-op that keeps no line with one that does counts as zero with an empty chain; a
    line with a co-op that was not read cannot be checked and is left out."""
    total = Decimal(0)
    found: list[Disagreement] = []
    seen: set[frozenset[str]] = set()
    for one, lines in books.items():
        for other, (balance, head) in lines.items():
            if other not in books:
                continue
            total += balance
            pair = frozenset((one, other))
            if pair in seen:
                continue
            seen.add(pair)
            mirror = books[other].get(one)
            other_says, other_head = mirror if mirror is not None else (Decimal(0), GENESIS)
            if balance != -other_says or head != other_head:
                found.append(
                    Disagreement(
                        one,
                        other,
                        balance,
                        None if mirror is None else other_says,
                        head == other_head,
                    )
                )
    return total, found
