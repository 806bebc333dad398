# ruff: noqa: RUF002 - the docstrings show the Arabic letters they are about
"""Text as search sees it: one normalisation for Arabic and English, the terms a text is found
by, and a snippet of the original text around the first place a search found.

The rule lives here once, for both database engines: the index stores ``terms()`` of a text and
a query is turned into terms the same way, so SQLite and PostgreSQL find the same things.

What ``normalise`` does, and why:

- Unicode NFKC, so presentation forms (``ﻷ``), ligatures and full-width letters read as the
  letters they show; then ``casefold``, so ``Café`` and ``CAFÉ`` are one word.
- Arabic diacritics (tashkeel, the superscript alef, Quranic marks) and the tatweel are removed:
  most text is written without them, and a reader searching for ``ادارة`` means ``إِدَارَة``.
- Spellings people use interchangeably become one: ``أ إ آ ٱ`` → ``ا``, ``ى`` → ``ي``,
  ``ة`` → ``ه``, ``ؤ`` → ``و``, ``ئ`` → ``ي``, and the Persian/Urdu ``ک ی`` → ``ك ي``.
- Arabic-Indic (``٣٤``) and Eastern Arabic-Indic (``۳۴``) digits become ``34``.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate, chain

ELLIPSIS = "…"

# A longer "word" is not a word (an encoded blob, a run of one letter); it is kept by its first
# letters, which also keeps every term far below PostgreSQL's limit of 2 KB for one lexeme.
MAX_TERM_LENGTH = 64

# Longest first, so "وال" is taken whole rather than as "و" before "ال".
_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
# Shorter words that begin with these letters are seldom "the ...": الله، الذي، التي، الحق.
_MIN_STEMMED_LENGTH = 5

_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s")


def _fold_table() -> dict[int, str | None]:
    removed = [
        *range(0x064B, 0x0660),  # tashkeel: fathatan ... the wavy hamza below
        0x0670,  # superscript alef
        *range(0x06D6, 0x06EE),  # Quranic annotation marks
        0x0640,  # tatweel
    ]
    table: dict[int, str | None] = dict.fromkeys(removed)
    # By name: several of these letters look alike (ک and ك, ی and ي) in most fonts.
    letters = {
        "\N{ARABIC LETTER ALEF WITH HAMZA ABOVE}": "\N{ARABIC LETTER ALEF}",
        "\N{ARABIC LETTER ALEF WITH HAMZA BELOW}": "\N{ARABIC LETTER ALEF}",
        "\N{ARABIC LETTER ALEF WITH MADDA ABOVE}": "\N{ARABIC LETTER ALEF}",
        "\N{ARABIC LETTER ALEF WASLA}": "\N{ARABIC LETTER ALEF}",
        "\N{ARABIC LETTER ALEF MAKSURA}": "\N{ARABIC LETTER YEH}",
        "\N{ARABIC LETTER TEH MARBUTA}": "\N{ARABIC LETTER HEH}",
        "\N{ARABIC LETTER WAW WITH HAMZA ABOVE}": "\N{ARABIC LETTER WAW}",
        "\N{ARABIC LETTER YEH WITH HAMZA ABOVE}": "\N{ARABIC LETTER YEH}",
        "\N{ARABIC LETTER KEHEH}": "\N{ARABIC LETTER KAF}",
        "\N{ARABIC LETTER FARSI YEH}": "\N{ARABIC LETTER YEH}",
    }
    table |= {ord(source): target for source, target in letters.items()}
    for digit in range(10):
        table[0x0660 + digit] = str(digit)  # Arabic-Indic
        table[0x06F0 + digit] = str(digit)  # Eastern Arabic-Indic (Persian, Urdu)
    return table


_FOLD = _fold_table()


# The per-character tables below remember this many characters at most, so text made of every
# character there is cannot grow them without bound; the alphabets in use fit many times over.
_REMEMBERED = 20_000


class _WithoutMarks(dict[int, int | None]):
    """A ``str.translate`` table that deletes every combining mark (Unicode category M), filled
    in as characters are first seen: a table of all of Unicode would cost time at import."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)).startswith("M") else code
        if len(self) < _REMEMBERED:
            self[code] = kept
        return kept


_DROP_MARKS = _WithoutMarks()


def normalise(text: str) -> str:
    """``text`` in the one form search compares: see the module's docstring for each rule."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    # Removing a mark can let two neighbours compose; composing again keeps this idempotent.
    return unicodedata.normalize("NFKC", folded)


def _bare(normalised: str) -> str:
    """Without any remaining combining mark (``café`` → ``cafe``, Indic vowel signs): SQLite's
    tokenizer would split words at a mark or drop accents, so neither engine ever sees one."""
    if normalised.isascii():
        return normalised
    decomposed = unicodedata.normalize("NFD", normalised).translate(_DROP_MARKS)
    return unicodedata.normalize("NFC", decomposed)


def _stem(word: str) -> str:
    """``word`` without the leading article and the conjunction or preposition joined to it.

    Stripped as long as one applies, so a word reads the same however many times it is
    stemmed: ``الإلكتروني`` and ``إلكتروني`` both become ``كتروني``. Nothing else is removed:
    no suffixes, no broken plurals, no English stemming — a light rule is predictable, and a
    reader still finds a word by its beginning, since the last word of a query is a prefix.
    """
    while len(word) >= _MIN_STEMMED_LENGTH:
        prefix = next((p for p in _PREFIXES if word.startswith(p)), None)
        if prefix is None:
            break
        word = word[len(prefix) :]
    return word[:MAX_TERM_LENGTH]


def terms(text: str) -> list[str]:
    """The normalised search terms of ``text``, in order, repeats kept.

    Words are runs of letters and digits in any script. A term is a word after ``normalise``,
    without combining marks (so ``café`` is found as ``cafe``, as SQLite would index it) and with
    a leading ``ال`` / ``وال`` / ``بال`` / ``كال`` / ``فال`` / ``لل`` stripped from a word of
    five letters or more, so ``والحسابات`` and ``الحسابات`` are both found as ``حسابات``. A bare
    ``و`` is never stripped (``وطن`` is one word). One-letter words are dropped.
    """
    found = (_stem(word) for word in _WORD.findall(_bare(normalise(text))))
    return [term for term in found if len(term) > 1]


class _Keys(dict[str, str]):
    """Each character's contribution to ``_bare(normalise(text))``, remembered once computed."""

    def __missing__(self, character: str) -> str:
        key = _bare(normalise(character))
        if len(self) < _REMEMBERED:
            self[character] = key
        return key


_KEYS = _Keys()


def _matches(text: str, wanted: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """Where in ``text`` (original positions) the words whose terms begin with a wanted term are,
    in order.

    The text is normalised one character at a time, so every normalised position knows the
    character it came from; a match covers the whole written word, its diacritics included.
    """
    pieces = [_KEYS[character] for character in text]
    ends = list(accumulate(len(piece) for piece in pieces))
    for word in _WORD.finditer("".join(pieces)):
        if not _stem(word.group()).startswith(wanted):
            continue
        start = bisect_right(ends, word.start())
        end = bisect_right(ends, word.end() - 1) + 1
        while end < len(text) and not pieces[end]:  # a final mark (ـُ) belongs to the word
            end += 1
        yield start, end


def _window(text: str, match: tuple[int, int] | None, width: int) -> tuple[int, int]:
    """About ``width`` characters of ``text``: the beginning, or around ``match`` (the match
    centred, unless the text ends first). Cut between words where a space is near enough."""
    keep_from, keep_to = match or (0, 0)
    start = max(0, keep_from - max(0, width - (keep_to - keep_from)) // 2)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    if start > 0 and not text[start - 1].isspace():
        space = _SPACE.search(text, start, keep_from)
        start = space.end() if space else start
    if end < len(text) and not text[end].isspace():
        end = next((i for i in range(end - 1, keep_to - 1, -1) if text[i].isspace()), end)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def snippet(text: str, query_terms: Sequence[str], *, width: int = 160) -> list[tuple[str, bool]]:
    """About ``width`` characters of ``text`` as written, around the first word a query term
    matches, as ``(text, is_match)`` segments: the template marks the matches, so no HTML is
    built here. A cut end is shown as a segment ``("…", False)``. With no match, the beginning.

    ``query_terms`` are ``terms()`` of the query (words as typed are accepted too); a word
    matches when its term begins with one of them, as the last word of a search does.
    """
    wanted = tuple(term for query in query_terms for term in terms(query))
    matches = _matches(text, wanted) if wanted else iter(())
    first = next(matches, None)
    start, end = _window(text, first, width)
    segments: list[tuple[str, bool]] = [(ELLIPSIS, False)] if start > 0 else []
    position = start
    for match_start, match_end in chain([first] if first else [], matches):
        if match_start >= end:
            break
        # Matches may overlap, since one written character can hold two words (¼ is 1, 4).
        match_start, match_end = max(match_start, position), min(match_end, end)
        if match_start >= match_end:
            continue
        if match_start > position:
            segments.append((text[position:match_start], False))
        segments.append((text[match_start:match_end], True))
        position = match_end
    if position < end:
        segments.append((text[position:end], False))
    if end < len(text):
        segments.append((ELLIPSIS, False))
    return segments
