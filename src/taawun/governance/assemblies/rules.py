"""The numbers behind an assembly: whether its attendance makes the quorum, and how many
members must sign a request before the board has to call an extraordinary assembly.

The quorum is that of the Policy's "ordinary" decisions, read at two decimals as a vote's is
(``decision.at_two_decimals``): at 50%, 3 present of 6 reach it and 2 do not. Requests follow
the Policy's ``governance.assembly_requests``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from taawun.coop.selectors import current_policy
from taawun.domain.decision import at_two_decimals
from taawun.domain.policy import AssemblyRequestRules


def request_rules() -> AssemblyRequestRules:
    return current_policy().policy.governance.assembly_requests


def quorum_reached(present: int, eligible: int, quorum_percent: Decimal) -> bool:
    """Whether ``present`` of ``eligible`` members make the quorum; nobody present never does."""
    if present <= 0 or eligible <= 0:
        return False
    return Fraction(present, eligible) >= at_two_decimals(quorum_percent)


def signatures_needed(voters: int) -> int:
    """How many of ``voters`` members with a vote must sign a request (one at the least)."""
    rules = request_rules()
    share = math.ceil(at_two_decimals(rules.support_percent) * voters)
    return max(1, min(voters, max(rules.minimum_signatures, share)))
