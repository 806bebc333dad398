"""Canonical JSON: one byte string per value, so hashes of audit entries are reproducible.

Keys sorted, no insignificant whitespace, UTF-8 without escaping, Decimals and datetimes as
strings (floats are refused: they have no single canonical text). The transparency log hashes
exactly these bytes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from taawun.verifier import canonical_json


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        value.encode("utf-8")  # a lone surrogate cannot be encoded: refuse it here, not later
        return value
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        raise TypeError("floats have no canonical form; use Decimal or a string")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("NaN and infinite decimals have no canonical form")
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetimes have no canonical form")
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"{type(value).__name__} has no canonical form")


def plain(value: Any) -> Any:
    """The JSON-ready form of ``value`` (what gets stored and what gets hashed)."""
    return _plain(value)


def canonical_bytes(value: Any) -> bytes:
    """The canonical JSON of ``value``, by the same rule the standalone verifier applies."""
    return canonical_json(_plain(value))
