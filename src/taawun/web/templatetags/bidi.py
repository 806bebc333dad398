"""Keeping left-to-right runs whole inside right-to-left text.

An amount ("250.00 ILS"), an e-mail address, a phone number or a reference dropped into an Arabic
sentence is reordered by the Unicode bidi algorithm: "+970 59 123 4567" shows as
"4567 123 59 970+". ``isolate`` wraps such a value in ``<bdi dir="ltr">`` on right-to-left pages,
and leaves it untouched on left-to-right ones, where it needs no help.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language_bidi

register = template.Library()


@register.filter
def isolate(value: Any) -> Any:
    """``{{ amount|money|isolate }}``, also inside ``blocktranslate with ...``."""
    if value in (None, "") or not get_language_bidi():
        return value
    return format_html('<bdi dir="ltr">{}</bdi>', value)
