"""Members' Markdown: refused when unsafe, rendered to a fixed allowlist of HTML, read as text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.markdown import (
    MAX_BRACKETS,
    MAX_MARKDOWN_CHARS,
    MAX_NESTING,
    check,
    image_names,
    plain_text,
    render,
)

PREFIX = "/school/media/"

DOCUMENT = """\
# The fee

Members set it by **vote**; it is *shown* on every receipt, ~~hidden~~ never.
Read [the rules](https://example.org/rules "Our rules") or [your receipts](/receipts/).

## Who pays what

| Role | Share |
|:-----|------:|
| Worker | 90 |
| Co-op | 10 |

```html
<script>alert("hi")</script>
```

![A chart of the fee](/school/media/ab12cd.webp)

> Ask at the assembly:
> - *why* 10?
> - what does it pay for?

###### Small print
"""

EXPECTED_HTML = """\
<h2>The fee</h2>
<p>Members set it by <strong>vote</strong>; it is <em>shown</em> on every receipt, \
<del>hidden</del> never.
Read <a href="https://example.org/rules" title="Our rules" rel="nofollow noopener ugc">the \
rules</a> or <a href="/receipts/" rel="nofollow noopener ugc">your receipts</a>.</p>
<h3>Who pays what</h3>
<table>
<thead>
<tr>
<th>Role</th>
<th>Share</th>
</tr>
</thead>
<tbody>
<tr>
<td>Worker</td>
<td>90</td>
</tr>
<tr>
<td>Co-op</td>
<td>10</td>
</tr>
</tbody>
</table>
<pre><code>&lt;script&gt;alert("hi")&lt;/script&gt;
</code></pre>
<p><img src="/school/media/ab12cd.webp" alt="A chart of the fee" loading="lazy"></p>
<blockquote>
<p>Ask at the assembly:</p>
<ul>
<li><em>why</em> 10?</li>
<li>what does it pay for?</li>
</ul>
</blockquote>
<h6>Small print</h6>
"""


def refusal(source: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check(source, image_prefix=PREFIX)
    return caught.value


def test_a_representative_document_renders_to_exact_html() -> None:
    assert render(DOCUMENT, image_prefix=PREFIX) == EXPECTED_HTML


def test_rendering_is_deterministic_and_empty_text_renders_nothing() -> None:
    assert render(DOCUMENT, image_prefix=PREFIX) == render(DOCUMENT, image_prefix=PREFIX)
    assert render("", image_prefix=PREFIX) == ""


def test_every_heading_moves_one_level_down_and_h6_stays() -> None:
    source = "\n\n".join(f"{'#' * level} T{level}" for level in range(1, 7))
    assert render(source, image_prefix=PREFIX) == (
        "<h2>T1</h2>\n<h3>T2</h3>\n<h4>T3</h4>\n<h5>T4</h5>\n<h6>T5</h6>\n<h6>T6</h6>\n"
    )
    assert render("Title\n=====", image_prefix=PREFIX) == "<h2>Title</h2>\n"


def test_ordered_lists_keep_their_start_and_mail_links_their_address() -> None:
    assert render("3. three\n4. four", image_prefix=PREFIX) == (
        '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>\n'
    )
    assert render("<amal@example.org>", image_prefix=PREFIX) == (
        '<p><a href="mailto:amal@example.org" rel="nofollow noopener ugc">'
        "amal@example.org</a></p>\n"
    )


def test_arabic_text_and_addresses_render_percent_encoded() -> None:
    assert render("[تعاون](https://ar.wikipedia.org/wiki/تعاون)", image_prefix=PREFIX) == (
        '<p><a href="https://ar.wikipedia.org/wiki/%D8%AA%D8%B9%D8%A7%D9%88%D9%86" '
        'rel="nofollow noopener ugc">تعاون</a></p>\n'
    )


def test_quotes_in_a_link_title_stay_inside_the_attribute() -> None:
    source = '[x](/a "say \\" onmouseover=alert(1) x=\\"")'
    assert render(source, image_prefix=PREFIX) == (
        '<p><a href="/a" title="say &quot; onmouseover=alert(1) x=&quot;" '
        'rel="nofollow noopener ugc">x</a></p>\n'
    )


def test_angle_brackets_that_are_not_html_are_shown_as_text() -> None:
    assert render("a <svg/onload=alert(1)> b", image_prefix=PREFIX) == (
        "<p>a &lt;svg/onload=alert(1)&gt; b</p>\n"
    )


def test_html_inside_code_is_text_and_allowed() -> None:
    assert render("Use `<b>` for bold", image_prefix=PREFIX) == (
        "<p>Use <code>&lt;b&gt;</code> for bold</p>\n"
    )
    assert (
        render("    <iframe>", image_prefix=PREFIX) == "<pre><code>&lt;iframe&gt;\n</code></pre>\n"
    )


XSS_VECTORS: list[tuple[str, str]] = [
    ("<script>alert(1)</script>", "html_not_allowed"),
    ("<SCRIPT SRC=//evil.example/xss.js></SCRIPT>", "html_not_allowed"),
    ("<img src=x onerror=alert(1)>", "html_not_allowed"),
    ('Click <a href="javascript:alert(1)">here</a>', "html_not_allowed"),
    ('<iframe src="javascript:alert(1)"></iframe>', "html_not_allowed"),
    ("<body onload=alert(1)>", "html_not_allowed"),
    ("<details open ontoggle=alert(1)>", "html_not_allowed"),
    ("<style>@import 'https://evil.example/x.css';</style>", "html_not_allowed"),
    ("**bold <b onmouseover=alert(1)>x</b>**", "html_not_allowed"),
    ("<!-- <script>alert(1)</script> -->", "html_not_allowed"),
    ("<![CDATA[<script>alert(1)</script>]]>", "html_not_allowed"),
    ("| a |\n|---|\n| <img src=x onerror=alert(1)> |", "html_not_allowed"),
    ("![<img src=x onerror=alert(1)>](/school/media/a.webp)", "html_not_allowed"),
    ("[x](javascript:alert(1))", "bad_link"),
    ("[x](JaVaScRiPt:alert(1))", "bad_link"),
    ("[x](&#106;avascript:alert(1))", "bad_link"),
    ("[x](&#x6A;&#x61;vascript:alert(1))", "bad_link"),
    ("[x](java&#9;script:alert(1))", "bad_link"),
    ("[x](<java\tscript:alert(1)>)", "bad_link"),
    ("[x](&#x20;javascript:alert(1))", "bad_link"),
    ("[x](jav\u200bascript:alert(1))", "bad_link"),
    ("[x](  javascript:alert(1)  )", "bad_link"),
    ("[x](vbscript:msgbox(1))", "bad_link"),
    ("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "bad_link"),
    ("[x](file:///etc/passwd)", "bad_link"),
    ("<javascript:alert(1)>", "bad_link"),
    ("<JAVASCRIPT:alert(1)>", "bad_link"),
    ("[x][1]\n\n[1]: javascript:alert(1)", "bad_link"),
    ("[1]: javascript:alert(1)", "bad_link"),
    ('[x](javascript:alert(1) "a \\" onmouseover=alert(1)")', "bad_link"),
    ("[x](//evil.example/phish)", "bad_link"),
    ("[x](/\\evil.example/phish)", "bad_link"),
    ("[x](/%5Cevil.example/phish)", "bad_link"),
    ("[![x](/school/media/a.webp)](javascript:alert(1))", "bad_link"),
    ("![x](https://evil.example/pixel.gif)", "external_image"),
    ("![x](//evil.example/pixel.gif)", "external_image"),
    ("![x](javascript:alert(1))", "external_image"),
    ("![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", "external_image"),
    ("![x](/school/media/../../admin/)", "external_image"),
    ("![x](/school/media/a.webp?reader=42)", "external_image"),
    ("![x][pixel]\n\n[pixel]: https://evil.example/pixel.gif", "external_image"),
]


@pytest.mark.parametrize(("source", "code"), XSS_VECTORS)
def test_each_classic_attack_is_refused_with_its_code(source: str, code: str) -> None:
    assert refusal(source).code == code


def test_the_refusals_name_what_was_found() -> None:
    html = refusal("Text <IMG SRC=x onerror=alert(1)>")
    assert (html.message % html.params, html.params) == (
        "HTML is not allowed; write Markdown instead (found <img>).",
        {"tag": "<img>"},
    )
    assert refusal("<!-- note -->").params == {"tag": "<!--"}
    assert refusal("<?php echo 1; ?>").params == {"tag": "<?php"}
    assert refusal("[x](&#106;avascript:alert(1))").params == {"address": "javascript:alert(1)"}
    assert refusal("[x](java&#9;script:x)").params == {"address": "java%09script:x"}
    image = refusal("![x](https://evil.example/pixel.gif)")
    assert image.message % image.params == (
        "Only images uploaded here can be shown; images from elsewhere track readers and fail "
        "offline (found https://evil.example/pixel.gif)."
    )


def test_a_long_address_is_shortened_to_sixty_characters() -> None:
    address = "javascript:" + "a" * 100
    shown = refusal(f"[x]({address})").params["address"]
    assert (shown, len(shown)) == ("javascript:" + "a" * 48 + "…", 60)
    assert refusal("[x](ftp://example.org/file)").params == {"address": "ftp://example.org/file"}


def test_links_the_site_can_serve_are_accepted() -> None:
    for source in (
        "[a](https://example.org/x?y=1#z)",
        "[a](http://example.org)",
        "[a](HTTPS://EXAMPLE.ORG)",
        "[a](mailto:amal@example.org)",
        "[a](/school/pages/fees/)",
        "<https://example.org>",
        "[a][r]\n\n[r]: /school/",
        "![chart](/school/media/ab12cd.webp 'A chart')",
        "[![chart](/school/media/a.webp)](/school/media/a.webp)",
    ):
        check(source, image_prefix=PREFIX)  # accepted: no refusal raised


def test_links_relative_to_the_page_are_refused() -> None:
    assert refusal("[a](fees.html)").params == {"address": "fees.html"}
    assert refusal("[a](#top)").code == "bad_link"


def test_length_and_nul_are_refused() -> None:
    check("a" * MAX_MARKDOWN_CHARS, image_prefix=PREFIX)  # accepted: no refusal raised
    too_long = refusal("a" * (MAX_MARKDOWN_CHARS + 1))
    assert (too_long.code, too_long.params) == ("too_long", {"limit": 100_000})
    assert refusal("a\x00b").code == "nul_character"


@pytest.mark.parametrize(
    "source",
    [
        "> " * 10_000,
        "> " * 10_000 + "deep",
        "- " * 10_000 + "deep",
        "* " * 10_000 + "deep",
        "1. " * 10_000 + "deep",
        "> - " * 5_000 + "deep",
        "\n".join("  " * depth + "- deep" for depth in range(200)),
        "\n".join(">" * depth + " deep" for depth in range(1, 400)),
    ],
)
def test_deep_nesting_is_refused_without_recursing(source: str) -> None:
    refused = refusal(source)
    assert (refused.code, refused.params) == ("too_deep", {"limit": MAX_NESTING})


def test_nesting_up_to_the_limit_is_accepted() -> None:
    check("> " * MAX_NESTING + "deep", image_prefix=PREFIX)  # accepted: no refusal raised
    assert refusal("> " * (MAX_NESTING + 1) + "deep").code == "too_deep"
    nested_lists = "\n".join("  " * depth + "- deep" for depth in range(MAX_NESTING))
    check(nested_lists, image_prefix=PREFIX)  # accepted: no refusal raised


def test_a_line_of_spaced_dashes_is_a_rule_not_nesting() -> None:
    assert render("- " * 10_000, image_prefix=PREFIX) == "<hr>\n"


def test_plain_text_keeps_the_words_one_block_per_line() -> None:
    assert plain_text(DOCUMENT) == (
        "The fee\n"
        "Members set it by vote; it is shown on every receipt, hidden never. Read the rules or "
        "your receipts.\n"
        "Who pays what\n"
        "Role Share\n"
        "Worker 90\n"
        "Co-op 10\n"
        '<script>alert("hi")</script>\n'
        "A chart of the fee\n"
        "Ask at the assembly:\n"
        "why 10?\n"
        "what does it pay for?\n"
        "Small print"
    )


def test_plain_text_collapses_whitespace_and_decodes_entities() -> None:
    assert plain_text("") == ""
    assert plain_text("  one   two\nthree  \n\n\n---\n\nfour &amp; five") == (
        "one two three\nfour & five"
    )
    assert plain_text("```\nline   one\n\n  line two\n```") == "line one line two"
    assert plain_text("الرسوم **تُحسب** بتصويت الأعضاء") == "الرسوم تُحسب بتصويت الأعضاء"


def test_image_names_are_the_local_ones_in_order_without_repeats() -> None:
    source = (
        "![a](/school/media/b2.webp) ![b](https://example.org/x.png)\n\n"
        "[![c](/school/media/a1.png)](/school/media/a1.png) ![d](/school/media/b2.webp)\n\n"
        "![e][ref] ![f](/school/other/z.png) ![g](/school/media/)\n\n"
        "[ref]: /school/media/c3.jpeg"
    )
    assert image_names(source, image_prefix=PREFIX) == ["b2.webp", "a1.png", "c3.jpeg"]
    assert image_names("no images", image_prefix=PREFIX) == []


class _Markup(HTMLParser):
    """Every tag and attribute of rendered HTML (attribute values unescaped, as browsers read
    them): an event handler or script address would have to appear here, whereas text that
    merely mentions "onclick=" or "javascript:" is escaped content and harmless."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


ALLOWED_TAGS = {
    *("p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "em"),
    *("strong", "del", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "hr", "br"),
}
SAFE_ADDRESS = re.compile(r"(?i:https?:|mailto:)|/(?![/\\])")
EVENT_ATTRIBUTE = re.compile(r"\son\w+\s*=")

FRAGMENTS = [
    *("javascript:", "JaVaScRiPt:", "&#106;", "&#x6A;", "java\tscript:", "vbscript:", "data:"),
    *("alert(1)", "[", "]", "(", ")", "![", "](", "<", ">", "/", "//", "\\", '"', "'", "`"),
    *("```", "\n", "\n\n", "> ", "- ", "1. ", "# ", "|", "|---|", "*", "_", "~~", " ", "\t"),
    *("<img src=x onerror=alert(1)>", "<script>", "onerror=", " onclick=", "<a href=", "x"),
    *("https://example.org", "mailto:a@b.example", PREFIX, "a.webp", "[r]: ", "&amp;", "&#9;"),
    *("\x00", "\x01", "\x0b", "\u2028", "\u200b", "تعاون"),
]
markdownish = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


@settings(max_examples=400)
@given(markdownish)
def test_accepted_text_renders_without_script_handlers_or_foreign_addresses(
    source: str,
) -> None:
    try:
        html = render(source, image_prefix=PREFIX)
    except InvalidInput:
        return
    assert "<script" not in html.lower()
    markup = _Markup()
    markup.feed(html)
    for tag, attributes in markup.tags:
        assert tag in ALLOWED_TAGS
        assert not EVENT_ATTRIBUTE.search("".join(f" {name}=" for name, _ in attributes))
        for name, value in attributes:
            if name in ("href", "src"):
                assert value is not None and SAFE_ADDRESS.match(value)
                assert "javascript:" not in value.lower()
            if tag == "img" and name == "src":
                assert value is not None and value.startswith(PREFIX)


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | markdownish)
def test_any_text_either_renders_or_is_refused_as_invalid_input(source: str) -> None:
    try:
        html = render(source, image_prefix=PREFIX)
    except InvalidInput as refused:
        assert refused.code in {
            "too_long",
            "nul_character",
            "html_not_allowed",
            "bad_link",
            "external_image",
            "too_deep",
        }
    else:
        assert render(source, image_prefix=PREFIX) == html
        plain_text(source)
        image_names(source, image_prefix=PREFIX)


def test_a_text_with_too_many_brackets_is_refused_before_parsing() -> None:
    """markdown-it's time grows with the square of a run of unclosed brackets."""
    check("[" * MAX_BRACKETS, image_prefix=PREFIX)
    with pytest.raises(InvalidInput) as refusal:
        check("[" * (MAX_BRACKETS + 1), image_prefix=PREFIX)
    assert refusal.value.code == "too_many_links"
    assert refusal.value.params == {"limit": MAX_BRACKETS}
