"""The numbers behind an assembly: whether its attendance makes the quorum, and how many
members must sign a request before the board has to call an extraordinary assembly.

The quorum is that of the Policy's "ordinary" decisions, read at two decimals as a vote's is
(``decision.at_two_decimals``): at 50%, 3 present of 6 reach it and 2 do not. The Policy has no
rule yet for members' requests; the constants below stand in until a Policy field (such as
``governance.assembly_request_percent``) is added and adopted by a member decision.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from taawun.domain.decision import at_two_decimals

# A request binds the board once this share of the members with a vote have signed it (the
# requester included, and never fewer than the minimum, unless there are fewer members with a
# vote), within the signing days; the board then calls the assembly within the answer days.
REQUEST_SUPPORT_PERCENT = Decimal("10")
REQUEST_MIN_SIGNATURES = 3
REQUEST_SIGNING_DAYS = 30
REQUEST_ANSWER_DAYS = 30


def quorum_reached(present: int, eligible: int, quorum_percent: Decimal) -> bool:
    """Whether ``present`` of ``eligible`` members make the quorum; nobody present never does."""
    if present <= 0 or eligible <= 0:
        return False
    return Fraction(present, eligible) >= at_two_decimals(quorum_percent)


def signatures_needed(voters: int) -> int:
    """How many of ``voters`` members with a vote must sign a request (one at the least)."""
    share = math.ceil(at_two_decimals(REQUEST_SUPPORT_PERCENT) * voters)
    return max(1, min(voters, max(REQUEST_MIN_SIGNATURES, share)))
