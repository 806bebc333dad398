# ruff: noqa: RUF001, RUF003 - Arabic letters and digits, and look-alikes, are the subject
"""Search's view of text: one normalisation for Arabic and English, terms, and snippets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.arabic import ELLIPSIS, MAX_TERM_LENGTH, normalise, snippet, terms

TASHKEEL = "".join(chr(c) for c in range(0x064B, 0x0660))
# Arabic letters (every variant the normalisation unifies), diacritics, tatweel, digits, Latin,
# spaces and punctuation: text where the rules meet each other often.
MIXED = st.text(
    alphabet=st.sampled_from(
        list("ابتجحدرسعلمنهويأإآٱىةؤئکیـ" + TASHKEEL + "\u0670\u06d6٠١٣۴ AbcÉé ,.\n")
    ),
    max_size=80,
)
TEXT = st.one_of(MIXED, st.text(max_size=80))


# --- normalise --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("إِدَارَةُ", "اداره"),  # diacritics gone, إ → ا, ة → ه
        ("مستشفى", "مستشفي"),  # alef maqsura → ya
        ("أحمد إيمان آمال ٱلحمد", "احمد ايمان امال الحمد"),  # every alef form
        ("مسؤول رئيس", "مسوول رييس"),  # hamza on waw and on ya
        ("ذَٰلِكَ فِيهِۚ", "ذلك فيه"),  # superscript alef and a Quranic mark
        ("ـــمرحبا", "مرحبا"),  # tatweel
        ("٣٤", "34"),  # Arabic-Indic digits
        ("۳۴ سنة ٢٠٢٤", "34 سنه 2024"),  # Eastern Arabic-Indic digits
        ("کتاب یک", "كتاب يك"),  # Persian kaf and ya
        ("ﻷ ﷲ", "لا الله"),  # presentation forms read as the letters they show
        ("ALEF Café", "alef café"),  # casefolded, accents kept
        ("Straße ＡＢＣ", "strasse abc"),  # full case folding, full-width letters
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_normalise_composes_what_removing_a_mark_lets_compose() -> None:
    # An Arabic mark of the same class as the acute stops NFKC composing e and the acute;
    # removed, the two compose, so normalising again changes nothing.
    assert normalise("e\u0653\u0301") == "é"


@given(TEXT)
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


# --- terms ------------------------------------------------------------------------------------


def test_terms_strip_the_article_and_what_is_joined_to_it() -> None:
    assert terms("والحسابات الختامية") == ["حسابات", "ختاميه"]
    assert terms("حسابات الحسابات بالحسابات كالحسابات فالحسابات") == ["حسابات"] * 5
    assert terms("للعمل") == ["عمل"]


def test_short_words_and_a_bare_waw_are_left_alone() -> None:
    # Under five letters the article is seldom an article; a leading و alone may be a root.
    assert terms("الله الحق الذي") == ["الله", "الحق", "الذي"]
    assert terms("وطن وحسابات") == ["وطن", "وحسابات"]


def test_a_word_stemmed_again_stays_the_same() -> None:
    # "إلكتروني" begins with ال once its hamza is gone; with the article it would otherwise
    # index as "الكتروني" while the query without one looks for "كتروني".
    assert terms("الإلكتروني") == terms("إلكتروني") == ["كتروني"]


def test_english_is_only_casefolded_and_split() -> None:
    assert terms("Running the Co-op's ACCOUNTS") == ["running", "the", "co", "op", "accounts"]
    assert terms("Café RÉSUMÉ naïve") == ["cafe", "resume", "naive"]


def test_digits_and_one_letter_words() -> None:
    assert terms("الفصل ٣ من ٢٠٢٤ a b2") == ["فصل", "من", "2024", "b2"]
    assert terms("و ا a _ — ...") == []


def test_a_very_long_word_is_kept_by_its_beginning() -> None:
    assert terms("x" * 1000 + " y") == ["x" * MAX_TERM_LENGTH]


@given(TEXT, TEXT)
def test_adding_text_never_loses_a_term(text: str, other: str) -> None:
    assert set(terms(text)) <= set(terms(text + " " + other))


@given(TEXT)
def test_terms_of_terms_are_the_same_terms(text: str) -> None:
    # The index stores the terms joined by spaces; read again they must be the same words.
    found = terms(text)
    assert terms(" ".join(found)) == found


# --- snippet ----------------------------------------------------------------------------------

RECORDS = "تُعِدُّ الجَمْعِيَّةُ الحِسَابَاتِ الخِتَامِيَّةَ فِي نِهَايَةِ كُلِّ سَنَةٍ"


def test_snippet_finds_written_arabic_for_a_query_without_diacritics() -> None:
    assert snippet(RECORDS, terms("الحسابات")) == [
        ("تُعِدُّ الجَمْعِيَّةُ ", False),
        ("الحِسَابَاتِ", True),
        (" الخِتَامِيَّةَ فِي نِهَايَةِ كُلِّ سَنَةٍ", False),
    ]


def test_snippet_marks_every_match_and_whole_words() -> None:
    assert snippet(RECORDS, ["جمعيه", "نهاي"]) == [
        ("تُعِدُّ ", False),
        ("الجَمْعِيَّةُ", True),
        (" الحِسَابَاتِ الخِتَامِيَّةَ فِي ", False),
        ("نِهَايَةِ", True),
        (" كُلِّ سَنَةٍ", False),
    ]
    assert snippet("إِدَارَةُ", ["اداره"]) == [("إِدَارَةُ", True)]


def test_snippet_accepts_words_as_typed() -> None:
    assert snippet(RECORDS, ["الحسابات"]) == snippet(RECORDS, ["حسابات"])


def test_snippet_cuts_between_words_around_the_match() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve"
    assert snippet(text, ["seven"], width=20) == [
        (ELLIPSIS, False),
        ("six ", False),
        ("seven", True),
        (" eight", False),
        (ELLIPSIS, False),
    ]
    assert snippet(text, ["twel"], width=20) == [
        (ELLIPSIS, False),
        ("ten eleven ", False),
        ("twelve", True),
    ]
    assert snippet(text, ["one"], width=20) == [
        ("one", True),
        (" two three four", False),
        (ELLIPSIS, False),
    ]


def test_without_a_match_the_snippet_is_the_beginning() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve"
    assert snippet(text, ["thirteen"], width=20) == [
        ("one two three four", False),
        (ELLIPSIS, False),
    ]
    assert snippet(text, [], width=200) == [(text, False)]
    assert snippet("", ["one"]) == []


def test_a_match_longer_than_the_window_is_cut() -> None:
    assert snippet("ab " + "c" * 30, ["ccc"], width=10) == [
        (ELLIPSIS, False),
        ("c" * 10, True),
        (ELLIPSIS, False),
    ]


@given(TEXT, st.lists(TEXT, max_size=3), st.integers(min_value=1, max_value=100))
def test_snippet_is_a_piece_of_the_original(text: str, query: list[str], width: int) -> None:
    segments = snippet(text, query, width=width)
    inner = segments[1:] if segments and segments[0] == (ELLIPSIS, False) else segments
    inner = inner[:-1] if inner and inner[-1] == (ELLIPSIS, False) else inner
    assert "".join(part for part, _ in inner) in text
    assert all(part for part, _ in segments)


@given(TEXT, MIXED.filter(lambda word: bool(terms(word))), TEXT)
def test_a_query_word_in_the_text_is_marked(before: str, word: str, after: str) -> None:
    segments = snippet(before + " " + word + " " + after, [word])
    assert any(is_match for _, is_match in segments)
