"""Members' Markdown (lessons, knowledge-base pages) checked strictly, then rendered safely.

Checking refuses, with a reason the author can act on, anything the renderer would otherwise
have to drop in silence: raw HTML, links that could run script or leave the web, images from
other sites (they track readers and fail offline), and nesting deep enough to exhaust the
parser. Rendering then escapes and sanitises regardless, so a bypassed check still cannot
put script on a page: markdown-it never passes raw HTML through and nh3 keeps only an
allowlist of tags, attributes and URL schemes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .errors import InvalidInput, gettext_noop

MAX_MARKDOWN_CHARS = 100_000
MAX_NESTING = 20
# markdown-it's time grows with the square of a run of unclosed brackets; a real lesson has a
# few hundred at most, and 1,000 keeps the worst case near 50 milliseconds.
MAX_BRACKETS = 1_000
"""Lists and block quotes inside one another; deeper than this is refused, not parsed."""

SHOWN_ADDRESS_CHARS = 60
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

# markdown-it counts a token level for a list and another for its item, so a parser limit of
# twice the container limit (plus room for the leaf blocks) is only reached by text that
# ``check`` refuses anyway; below it the parser never recurses further.
_PARSER_NESTING = 2 * MAX_NESTING + 8

_TAGS = {  # no h1: headings move one level down, under the page's own h1
    *("p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code"),
    *("em", "strong", "del", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "hr"),
    "br",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "loading"},
    "ol": {"start"},
}
_LINK_REL = "nofollow noopener ugc"
_SHIFTED_HEADING = {"h1": "h2", "h2": "h3", "h3": "h4", "h4": "h5", "h5": "h6", "h6": "h6"}
_CONTAINERS_OPENED = {"blockquote_open", "bullet_list_open", "ordered_list_open"}
_CONTAINERS_CLOSED = {"blockquote_close", "bullet_list_close", "ordered_list_close"}

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
_MARKUP_START = re.compile(r"<(?:!--|!\[CDATA\[|[!?][A-Za-z]*)")
_IMAGE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")


def _parser(*, inspecting: bool) -> MarkdownIt:
    """CommonMark with tables and strikethrough. The inspecting parser also tokenises raw HTML
    and every link, whatever its scheme, so ``check`` can name what it refuses; the rendering
    parser treats HTML as text and keeps markdown-it's own refusal of script links."""
    parser = MarkdownIt(
        "commonmark",
        {"html": inspecting, "linkify": False, "typographer": False, "maxNesting": _PARSER_NESTING},
    ).enable(["table", "strikethrough"])
    if inspecting:
        parser.validateLink = _accept_every_link  # type: ignore[method-assign]
    return parser


def _accept_every_link(url: str) -> bool:
    """Let ``check`` see every link, so that it names a bad one instead of leaving it as text."""
    return True


_INSPECTING = _parser(inspecting=True)
_RENDERING = _parser(inspecting=False)


def check(source: str, *, image_prefix: str) -> None:
    """Refuse Markdown that ``render`` would have to alter to make safe."""
    if len(source) > MAX_MARKDOWN_CHARS:
        raise InvalidInput(
            "too_long",
            gettext_noop("The text is too long; the limit is %(limit)s characters."),
            limit=MAX_MARKDOWN_CHARS,
        )
    if "\x00" in source:
        raise InvalidInput(
            "nul_character", gettext_noop("The text contains a NUL character; remove it.")
        )
    if source.count("[") > MAX_BRACKETS:
        raise InvalidInput(
            "too_many_links",
            gettext_noop("The text has more than %(limit)s square brackets; split it up."),
            limit=MAX_BRACKETS,
        )
    env: dict[str, Any] = {}
    tokens = _INSPECTING.parse(source, env)
    _check_nesting(tokens)
    for reference in env.get("references", {}).values():
        _check_link(reference["href"])
    for token in _walk(tokens):
        if token.type in ("html_block", "html_inline"):
            raise InvalidInput(
                "html_not_allowed",
                gettext_noop("HTML is not allowed; write Markdown instead (found %(tag)s)."),
                tag=_tag_shown(token.content),
            )
        if token.type == "link_open":
            _check_link(str(token.attrGet("href")))
        elif token.type == "image":
            _check_image(str(token.attrGet("src")), image_prefix)


def render(source: str, *, image_prefix: str) -> str:
    """Checked Markdown as sanitised HTML, its headings one level down (the page has the h1).

    Alignment markdown-it gives table cells is dropped: it comes as inline style, and style
    attributes are not let through at all."""
    check(source, image_prefix=image_prefix)
    tokens = _RENDERING.parse(source)
    for token in _walk(tokens):
        if token.type in ("heading_open", "heading_close"):
            token.tag = _SHIFTED_HEADING[token.tag]
        elif token.type in ("s_open", "s_close"):
            token.tag = "del"  # struck-out text is text removed, and <del> says so
    html = _RENDERING.renderer.render(tokens, _RENDERING.options, {})
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=set(LINK_SCHEMES),
        link_rel=_LINK_REL,
        set_tag_attribute_values={"img": {"loading": "lazy"}},
        strip_comments=True,
    )


def plain_text(source: str) -> str:
    """The words a reader sees, one block per line: what search indexes and summaries show."""
    blocks: list[str] = []
    row: list[str] | None = None
    for token in _RENDERING.parse(source):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append(" ".join(row))
            row = None
        elif token.type in ("inline", "code_block", "fence"):
            text = _inline_text(token.children or ()) if token.type == "inline" else token.content
            words = " ".join(text.split())
            if words:
                (blocks if row is None else row).append(words)
    return "\n".join(block for block in blocks if block)


def image_names(source: str, *, image_prefix: str) -> list[str]:
    """Names (paths after ``image_prefix``) of the uploaded images the text shows, in order of
    first use: what a page needs copied when it is shared or saved for offline reading."""
    names: dict[str, None] = {}
    for token in _walk(_RENDERING.parse(source)):
        source_address = str(token.attrGet("src")) if token.type == "image" else ""
        if source_address.startswith(image_prefix) and len(source_address) > len(image_prefix):
            names[source_address[len(image_prefix) :]] = None
    return list(names)


def _walk(tokens: Sequence[Token]) -> Iterator[Token]:
    """Every token, inline ones (and image alt text) included."""
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _check_nesting(tokens: Sequence[Token]) -> None:
    depth = 0
    for token in tokens:
        if token.type in _CONTAINERS_OPENED:
            depth += 1
            if depth > MAX_NESTING:
                raise InvalidInput(
                    "too_deep",
                    gettext_noop(
                        "Lists and quotes are nested too deeply; use at most %(limit)s levels."
                    ),
                    limit=MAX_NESTING,
                )
        elif token.type in _CONTAINERS_CLOSED:
            depth -= 1


def _check_link(address: str) -> None:
    """Allow web and mail addresses and paths on this site; nothing that runs script."""
    scheme = _SCHEME.match(address)
    allowed = scheme.group(1).lower() in LINK_SCHEMES if scheme else _is_site_path(address)
    if not allowed:
        raise InvalidInput(
            "bad_link",
            gettext_noop(
                "Links must start with http://, https://, mailto: or / (found %(address)s)."
            ),
            address=_shortened(address),
        )


def _is_site_path(address: str) -> bool:
    """A path on this site: "/x" but not "//host/x" (another site) nor "/\\host" (which
    browsers read as "//host"), nor its encoded form, which some servers decode."""
    return address.startswith("/") and not address.lower().startswith(("//", "/\\", "/%5c"))


def _check_image(address: str, image_prefix: str) -> None:
    name = address[len(image_prefix) :] if address.startswith(image_prefix) else ""
    if not _IMAGE_NAME.fullmatch(name):
        raise InvalidInput(
            "external_image",
            gettext_noop(
                "Only images uploaded here can be shown; images from elsewhere track readers "
                "and fail offline (found %(address)s)."
            ),
            address=_shortened(address),
        )


def _tag_shown(html: str) -> str:
    """The tag an author wrote, as "<name>", or the start of a comment or declaration."""
    html = html.strip()
    tag = _TAG_NAME.match(html)
    if tag:
        return f"<{tag.group(1).lower()}>"
    markup = _MARKUP_START.match(html)
    return markup.group() if markup else _shortened(html, 12)


def _shortened(text: str, limit: int = SHOWN_ADDRESS_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inline_text(children: Sequence[Token]) -> str:
    """Text, code and image descriptions of one block; line breaks become spaces."""
    parts: list[str] = []
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(_inline_text(token.children or ()))
    return "".join(parts)
