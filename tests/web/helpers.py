"""Reading pages the way a person does: the visible text, whitespace collapsed."""

from __future__ import annotations

import html
import re

from django.http import HttpResponse

_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def text(response: HttpResponse) -> str:
    """The page's visible text with tags removed and whitespace collapsed."""
    content = response.content.decode()
    content = _TAG.sub(" ", _SCRIPT.sub(" ", content))
    return _SPACE.sub(" ", html.unescape(content)).strip()


def html_attrs(response: HttpResponse) -> dict[str, str]:
    """The attributes of the page's <html> element."""
    match = re.search(r"<html\b([^>]*)>", response.content.decode())
    assert match, "no <html> element"
    return dict(re.findall(r'(\w[\w-]*)="([^"]*)"', match.group(1)))
