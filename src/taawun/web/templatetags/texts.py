"""Texts the co-op keeps in both languages (``policy.Text``), shown in the reader's language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from taawun.domain.policy import Text

register = template.Library()


@register.filter
def local_name(text: Text) -> str:
    """``{{ licence.name|local_name }}``: the Arabic or English text, as the page is."""
    return text.get(get_language() or "ar")
