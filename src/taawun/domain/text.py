"""Text people type: trimmed, within its length, never a NUL (which PostgreSQL refuses)."""

from __future__ import annotations

from typing import Any

from .errors import InvalidInput


def checked_text(value: Any, limit: int, code: str, message: str, *, required: bool = True) -> str:
    """``value`` trimmed, or refused with ``code`` and ``message`` (which may use %(limit)s)."""
    text = value.strip() if isinstance(value, str) else ""
    if (required and not text) or len(text) > limit or "\x00" in text:
        raise InvalidInput(code, message, limit=limit)
    return text
