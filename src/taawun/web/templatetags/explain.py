"""Stored explanations (``[msgid, params]`` pairs from the engines) in the reader's language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def explain_line(message: str, params: dict[str, str]) -> str:
    """A line of a stored explanation, translated, with its figures filled in."""
    return gettext(message) % params if params else gettext(message)
