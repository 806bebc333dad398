"""``{{ path|breakable }}``: a rule's path (``pricing.works.licences.personal.price``) that may
wrap after each dot on a narrow phone rather than in the middle of a word;
``{{ mandate.office|office_name }}``: the board by its name in the reader's language, a
committee by the name members gave it; and ``{% explain_isolated message params %}``: a stored
explanation line whose figures stay whole in right-to-left text."""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from taawun.governance.models import Mandate
from taawun.web.templatetags.bidi import isolate

register = template.Library()


@register.filter
def breakable(path: str) -> SafeString:
    return mark_safe(escape(path).replace(".", ".<wbr>"))  # noqa: S308 - escaped first  # nosec B308, B703


@register.filter
def office_name(office: str) -> str:
    return gettext("The board") if office == Mandate.BOARD else office


@register.simple_tag
def explain_isolated(message: str, params: Mapping[str, str]) -> SafeString:
    """A line of a stored explanation, translated, with each figure isolated on right-to-left
    pages: a date (2026-11-24) or an amount (+1.80 ILS) is otherwise reordered around it."""
    line = conditional_escape(gettext(message))
    if not params:
        return line
    figures = {name: conditional_escape(isolate(value)) for name, value in params.items()}
    return mark_safe(line % figures)  # noqa: S308 - the message and every figure escaped  # nosec B308, B703
