"""The export as a PDF to keep on paper, in the reader's language, drawn like the ledger's
notices (fpdf2 shaping Arabic with HarfBuzz, a system font with Arabic letters)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext

from taawun.ledger.notices import Document, NoFont

__all__ = ["NoFont", "my_data_pdf"]


def my_data_pdf(
    sections: list[tuple[str, str, Any]], document: dict[str, Any], text: Callable[[Any], str]
) -> bytes:
    """``sections`` as the readable page has them: (key, translated heading, value)."""
    from .data_views import _label as label

    paper = Document(gettext("Everything we hold about you"))

    def line(words: str, size: int = 9, gap: float = 5) -> None:
        paper.line(words, size, gap)

    def draw(value: Any, depth: int) -> None:
        indent = "    " * depth
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, dict | list) and inner:
                    line(f"{indent}{label(key)}:")
                    draw(inner, depth + 1)
                else:
                    line(f"{indent}{label(key)}: {text(inner)}")
        elif isinstance(value, list):
            if not value:
                line(f"{indent}—")
            for item in value:
                if isinstance(item, dict) and all(
                    not isinstance(v, dict | list) for v in item.values()
                ):
                    line(
                        indent + "• " + "; ".join(f"{label(k)}: {text(v)}" for k, v in item.items())
                    )
                else:
                    line(f"{indent}•")
                    draw(item, depth + 1)
        else:
            line(f"{indent}{text(value)}")

    line(gettext("Everything we hold about you"), 15, 9)
    line(
        gettext("Made at %(at)s (format version %(version)s).")
        % {"at": document["generated_at"], "version": document["format_version"]}
    )
    for _key, heading, value in sections:
        paper.space(3)
        line(str(heading), 12, 7)
        draw(value, 0)
    return paper.output()
