"""The Arabic catalogue is complete, compiled, and actually used by the pages people see.

The catalogue is read with a small pure-Python .po parser (no gettext tools needed at test
time); the compiled .mo is loaded with the standard library's ``gettext``.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import reverse

from .web.helpers import text

LOCALE = Path(__file__).resolve().parent.parent / "src" / "taawun" / "locale"
PO = LOCALE / "ar" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCE = LOCALE.parent

ARABIC_PLURAL_FORMS = 6

# A Python-format placeholder: %(name)s, %s, %d, %%, with optional flags/width/precision.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*\d*(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa%])"
)

# The site's navigation labels in English, and what an Arabic reader sees instead.
NAV = {
    "Members": "الأعضاء",
    "My membership": "عضويتي",
    "Sign in": "تسجيل الدخول",
    "Sign up": "إنشاء حساب",
    "Our rules": "قواعدنا",
    "Registers": "السجلات",
}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None


def _unquote(literal: str, line: int) -> str:
    literal = literal.strip()
    if len(literal) < 2 or not (literal.startswith('"') and literal.endswith('"')):
        raise ValueError(f"{PO.name}:{line}: expected a quoted string, got {literal!r}")
    return ast.literal_eval(literal)  # C-style escapes in .po files are a subset of Python's


def parse_po(source: str) -> list[Entry]:
    """The entries of a .po file (obsolete ``#~`` entries are skipped)."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None  # which string continuation lines extend
    started = False

    def finish() -> None:
        nonlocal entry, started, target
        if started:
            entries.append(entry)
        entry, started, target = Entry(), False, None

    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if started and target is not None:  # a comment after the strings starts a new entry
                finish()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith('"'):
            if target is None:
                raise ValueError(f"{PO.name}:{number}: continuation line outside a string")
            value = _unquote(line, number)
            kind, index = target
            if kind == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, kind, (getattr(entry, kind) or "") + value)
            continue
        keyword, _, rest = line.partition(" ")
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if keyword in {"msgctxt", "msgid"} and started and target and target[0] == "msgstr":
            finish()
        if not started:
            entry.line = number
            started = True
        value = _unquote(rest, number)
        if match:
            target = ("msgstr", int(match.group(1)))
            entry.msgstr[target[1]] = value
        elif keyword == "msgstr":
            target = ("msgstr", 0)
            entry.msgstr[0] = value
        elif keyword in {"msgid", "msgid_plural", "msgctxt"}:
            target = (keyword, 0)
            setattr(entry, keyword, value)
        else:
            raise ValueError(f"{PO.name}:{number}: unknown keyword {keyword!r}")
    finish()
    return entries


def placeholders(message: str) -> list[str]:
    """The formatting placeholders of a message, sorted (``%%`` included)."""
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(message))


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.is_header]


def describe(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid[:60]!r}"


def test_the_parser_reads_plurals_escapes_and_flags():
    sample = (
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "a \\"b\\"\\n"\n"c %(n)s"\nmsgstr "x"\n\n'
        '#~ msgid "old"\n#~ msgstr "قديم"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "0"\nmsgstr[1] ""\n"1"\n'
    )
    header, first, plural = parse_po(sample)
    assert header.is_header and header.msgstr == {0: "Language: ar\n"}
    assert first.msgid == 'a "b"\nc %(n)s' and first.flags == {"fuzzy", "python-format"}
    assert plural.msgid_plural == "%(n)s days" and plural.msgstr == {0: "0", 1: "1"}
    assert placeholders("%(a)s of %s at 50%% (%d)") == ["%%", "%(a)s", "%d", "%s"]


def test_the_header_declares_arabic_and_its_six_plural_forms(entries):
    header = next(e for e in entries if e.is_header)
    meta = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert meta["Language"] == "ar"
    assert meta["Content-Type"] == "text/plain; charset=UTF-8"
    assert meta["Plural-Forms"].startswith(f"nplurals={ARABIC_PLURAL_FORMS};")
    # a fuzzy header is skipped by msgfmt, and the .mo would lose its plural rule
    assert "fuzzy" not in header.flags


def test_the_catalogue_is_not_trivially_small(messages):
    assert len(messages) > 300


def test_every_entry_is_translated_and_none_is_fuzzy(messages):
    untranslated = []
    for entry in messages:
        expected = range(ARABIC_PLURAL_FORMS) if entry.msgid_plural is not None else range(1)
        complete = sorted(entry.msgstr) == list(expected) and all(
            entry.msgstr[i].strip() for i in expected
        )
        if "fuzzy" in entry.flags or not complete:
            untranslated.append(describe(entry))
    assert not untranslated, "untranslated or fuzzy:\n" + "\n".join(untranslated)


def test_translations_keep_the_placeholders(messages):
    """Every %(name)s, %s and %% of the English survives into the Arabic.

    In plural entries, the zero, one and two forms may spell the number out ("يومان") and so
    drop one placeholder, the count; the other forms keep them all.
    """
    wrong = []
    for entry in messages:
        if entry.msgid_plural is None:
            if placeholders(entry.msgstr.get(0, "")) != placeholders(entry.msgid):
                wrong.append(describe(entry))
            continue
        english = placeholders(entry.msgid_plural)
        if not set(placeholders(entry.msgid)) <= set(english):
            wrong.append(describe(entry) + " (singular and plural differ)")
        for index, translation in entry.msgstr.items():
            found = placeholders(translation)
            missing = list(english)
            for placeholder in found:
                if placeholder not in missing:
                    wrong.append(f"{describe(entry)} form {index}: unexpected {placeholder}")
                    break
                missing.remove(placeholder)
            if (index >= 3 and missing) or len(missing) > 1:
                wrong.append(f"{describe(entry)} form {index}: missing {missing}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_compiled_catalogue_matches_the_po_file(messages):
    assert MO.exists(), "run compilemessages and commit the .mo"
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages:
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = compiled.gettext(entry.msgid)
            else:
                got = compiled.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr[0]:
                stale.append(describe(entry))
            continue
        # one sample count per Arabic plural form: 0, 1, 2, 3-10, 11-99, 100-102
        for index, count in enumerate((0, 1, 2, 5, 11, 100)):
            if entry.msgctxt is None:
                got = compiled.ngettext(entry.msgid, entry.msgid_plural, count)
            else:
                got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, count)
            if got != entry.msgstr.get(index):
                stale.append(f"{describe(entry)} form {index}")
    assert not stale, "the .mo is older than the .po; run compilemessages:\n" + "\n".join(stale)


def test_domain_error_messages_are_in_the_catalogue(messages):
    """The pure core marks its messages with its own gettext_noop; makemessages must see them."""
    marked: set[str] = set()
    for path in (SOURCE / "domain").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "gettext_noop"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                marked.add(node.args[0].value)
    assert marked, "expected gettext_noop messages in taawun.domain"
    missing = marked - {e.msgid for e in messages}
    assert not missing, f"run makemessages; not in the catalogue: {sorted(missing)}"


# --- The pages in Arabic ---


def _assert_arabic(response, expected_arabic: list[str]) -> str:
    assert response.status_code == 200
    page = text(response)
    for english in NAV:
        # whole words, any case ("Sign Up" too), not inside an e-mail address or a URL
        word = rf"(?<![\w@./-]){re.escape(english)}(?![\w@./-])"
        assert not re.search(word, page, re.IGNORECASE), f"English {english!r} on an Arabic page"
    for arabic in expected_arabic:
        assert arabic in page, f"{arabic!r} missing"
    return page


@pytest.fixture
def ar(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ar"
    return client


def test_pages_for_a_visitor_are_in_arabic(ar, coop):
    visitor_nav = [NAV["Members"], NAV["Our rules"], NAV["Sign in"], NAV["Sign up"]]
    home = _assert_arabic(ar.get(reverse("web:home")), visitor_nav)
    assert "طرق الانضمام" in home
    _assert_arabic(ar.get(reverse("members:directory")), [*visitor_nav, "دليل الأعضاء"])
    _assert_arabic(ar.get(reverse("coop:policy")), [*visitor_nav, "كيف نتخذ القرارات"])
    _assert_arabic(ar.get(reverse("account_login")), visitor_nav)
    _assert_arabic(ar.get(reverse("account_signup")), visitor_nav)


def test_pages_for_a_member_are_in_arabic(ar, coop, founder, make_member):
    make_member("user", paid=1, name="ريم الخطيب")
    ar.force_login(founder)
    member_nav = [NAV["Members"], NAV["My membership"], NAV["Registers"], NAV["Our rules"]]
    pages = ("web:home", "members:directory", "coop:policy", "members:mine", "members:registers")
    for name in pages:
        _assert_arabic(ar.get(reverse(name)), member_nav)
    mine = _assert_arabic(ar.get(reverse("members:mine")), ["حساب رأس المال", "جدول الأقساط"])
    assert "Instalment" not in mine


def test_amounts_stay_whole_in_arabic_sentences(client, coop):
    """In Arabic an amount is isolated left-to-right and written with a decimal point."""
    arabic = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<bdi dir="ltr">200.00 ILS</bdi>' in arabic
    english = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Share: 200.00 ILS, payable in 4 instalments." in english
    assert "<bdi" not in english


def test_a_status_inside_a_refusal_is_translated_too() -> None:
    from django.utils import translation

    from taawun.domain.errors import DomainError
    from taawun.domain.shares import next_status
    from taawun.web.errors import explain

    with pytest.raises(DomainError) as refused:
        next_status("leaving", "give_notice")
    with translation.override("ar"):
        assert (
            explain(refused.value) == "لا يمكن القيام بهذا وحالة العضوية «في فترة إشعار الانسحاب»."
        )
    with translation.override("en"):
        assert explain(refused.value) == "This cannot be done while the membership is leaving."
