"""Errors the pure core raises; the web layer translates their messages.

Messages are English msgids marked with ``gettext_noop`` so ``makemessages`` finds them while this
package stays free of Django. ``params`` fill the ``%(name)s`` placeholders after translation.
"""

from __future__ import annotations

from typing import Any


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it here."""
    return message


class Term(str):
    """A word inside a refusal's parameters that is itself translated when shown (a status)."""

    __slots__ = ()


class DomainError(Exception):
    """A refused operation: a stable machine code plus a human message (a msgid)."""

    status = 409

    def __init__(self, code: str, message: str, /, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params


class InvalidInput(DomainError):
    """The request itself is malformed or out of range."""

    status = 400


class NotAllowed(DomainError):
    """The actor lacks the role or ownership the operation needs."""

    status = 403


class NotFound(DomainError):
    """The thing the operation names does not exist (or is not visible to the actor)."""

    status = 404
