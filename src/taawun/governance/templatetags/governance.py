"""``{{ path|breakable }}``: a rule's path (``pricing.works.licences.personal.price``) that may
wrap after each dot on a narrow phone rather than in the middle of a word."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def breakable(path: str) -> SafeString:
    return mark_safe(escape(path).replace(".", ".<wbr>"))  # noqa: S308 - escaped first
