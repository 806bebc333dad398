"""The optional sharings a person can agree to, the text they agree to, and its version.

Changing a text means raising its version: a record names the version that was read, so an
agreement to an older wording stays an agreement to that wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from taawun.domain.errors import gettext_noop

from .models import Consent

Topic = Consent.Topic


@dataclass(frozen=True)
class ConsentText:
    version: int
    text: str  # an English msgid, translated where shown
    default: bool  # the answer in force before the person has said anything


TEXTS: dict[str, ConsentText] = {
    Topic.DIRECTORY: ConsentText(
        1,
        gettext_noop(
            "Other members (and, for the fields you make public, everyone) may see your entry "
            "in the member directory, with the fields you choose on your profile."
        ),
        True,
    ),
    Topic.VOTE_REMINDERS: ConsentText(
        1,
        gettext_noop(
            "We may email you once before a vote you have not taken part in closes. Notices "
            "the law or the bylaws require are sent whatever you choose here."
        ),
        True,
    ),
}
