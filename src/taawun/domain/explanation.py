"""Explanations the engines give with every result: sentences a person can read in their own
language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Line:
    """One sentence of an explanation: a msgid (marked with ``gettext_noop``) and the values for
    its placeholders; the web layer translates the msgid, then fills them in."""

    message: str
    params: Mapping[str, str]

    def __str__(self) -> str:
        return self.message % dict(self.params)
