"""Full-text search over lessons and pages: one interface, SQLite FTS5 or PostgreSQL.

Both engines store and are asked only ``terms()`` (``taawun.domain.arabic``), so Arabic is
normalised and stemmed by one rule and the two find the same rows. A query is rebuilt from its
terms, never passed through: whatever a person types — quotes, ``AND``, ``NEAR(``, ``*`` — can
only ever be words to look for. Every term must match; the last matches as a prefix, since
people stop typing mid-word.

Order: rows with every term in the title first, then by the engine's score with the title
weighted above the body (bm25 column weights; ``setweight`` A/B and ``ts_rank``), then by kind
and ref so equal rows always come in the same order. ``Hit.rank`` follows that order: in [1, 2)
for a title match, [0, 1) otherwise; it is not comparable between the two engines.

Writes run in the caller's transaction: an edit that rolls back leaves the index as it was.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass

from django.db import connection

from taawun.domain.arabic import terms

# PostgreSQL refuses a tsvector whose words take over 1 MB: the indexed words of a title and a
# body stop well before that, even in four-byte letters (the body's limit is some 30,000 words
# of Arabic prose, longer than any lesson or page).
MAX_TITLE_CHARS = 1_000
MAX_BODY_CHARS = 200_000
# A query of more words than this is not a search for all of them; the rest are ignored.
MAX_QUERY_TERMS = 16

# The filters are written once, as parameters: NULL leaves a filter out. The bm25 weights are
# the FTS5 columns' in order (title, body): a word in the title counts ten times.
_SQLITE_SEARCH = """
    SELECT doc.kind, doc.ref, doc.language, doc.heading,
        (school_search.rowid IN (SELECT rowid FROM school_search WHERE school_search MATCH %s))
        - bm25(school_search, 10.0, 1.0) / (1 - bm25(school_search, 10.0, 1.0)) AS relevance
    FROM school_search JOIN school_search_doc AS doc ON doc.id = school_search.rowid
    WHERE school_search MATCH %s
        AND (%s IS NULL OR doc.kind IN (SELECT value FROM json_each(%s)))
        AND (%s IS NULL OR doc.language = %s)
    ORDER BY relevance DESC, doc.kind, doc.ref
    LIMIT %s OFFSET %s
"""
# ts_rank's default weights give the title (A) 1.0 and the body (B) 0.4; as a function in FROM
# it runs once for each matched row.
_POSTGRES_SEARCH = """
    SELECT kind, ref, language, heading,
        (title_document @@ q)::int + score / (1 + score) AS relevance
    FROM school_search, to_tsquery('simple', %s) AS q, ts_rank(document, q) AS score
    WHERE document @@ q
        AND (%s::text[] IS NULL OR kind = ANY(%s::text[]))
        AND (%s::text IS NULL OR language = %s::text)
    ORDER BY relevance DESC, kind, ref
    LIMIT %s OFFSET %s
"""


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    ref: int
    language: str
    title: str  # as written, for showing
    rank: float  # higher first


def _indexed(text: str, limit: int) -> str:
    """The terms of ``text`` as the index stores them: joined by spaces, whole ones up to
    ``limit`` characters."""
    words = " ".join(terms(text))
    if len(words) <= limit:
        return words
    return words[: words.rfind(" ", 0, limit + 1)]


def index(kind: str, ref: int, *, language: str, title: str, body: str) -> None:
    """Make ``title`` and ``body`` (plain text) the searchable text of (kind, ref), replacing
    what was indexed for it before."""
    heading = title.replace("\x00", "")
    title_terms, body_terms = _indexed(title, MAX_TITLE_CHARS), _indexed(body, MAX_BODY_CHARS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "INSERT INTO school_search (kind, ref, language, heading, title, body)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (kind, ref) DO UPDATE SET"
                " language = EXCLUDED.language, heading = EXCLUDED.heading,"
                " title = EXCLUDED.title, body = EXCLUDED.body",
                [kind, ref, language, heading, title_terms, body_terms],
            )
            return
        cursor.execute(
            "INSERT INTO school_search_doc (kind, ref, language, heading) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (kind, ref) DO UPDATE SET"
            " language = excluded.language, heading = excluded.heading RETURNING id",
            [kind, ref, language, heading],
        )
        (rowid,) = cursor.fetchone()
        cursor.execute("DELETE FROM school_search WHERE rowid = %s", [rowid])
        cursor.execute(
            "INSERT INTO school_search (rowid, title, body) VALUES (%s, %s, %s)",
            [rowid, title_terms, body_terms],
        )


def forget(kind: str, ref: int) -> None:
    """Take (kind, ref) out of the index; nothing happens if it was not there."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DELETE FROM school_search WHERE kind = %s AND ref = %s", [kind, ref])
            return
        cursor.execute(
            "DELETE FROM school_search_doc WHERE kind = %s AND ref = %s RETURNING id", [kind, ref]
        )
        for (rowid,) in cursor.fetchall():
            cursor.execute("DELETE FROM school_search WHERE rowid = %s", [rowid])


def clear() -> None:
    """Empty the index (before it is rebuilt from the texts)."""
    tables = (
        ["school_search"]
        if connection.vendor == "postgresql"
        else ["school_search", "school_search_doc"]
    )
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608  # nosec B608: fixed names


def _query_terms(query: str) -> tuple[list[str], str] | None:
    """The distinct whole-word terms of ``query`` and its last term (a prefix), or None."""
    found = terms(query)
    if not found:
        return None
    *whole, last = found
    return list(dict.fromkeys(whole))[: MAX_QUERY_TERMS - 1], last


def _fts5_match(whole: list[str], last: str) -> str:
    """An FTS5 query: each term a quoted string (quotes doubled), the last one a prefix."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in [*whole, last]]
    return " ".join(quoted) + "*"


def _tsquery(whole: list[str], last: str) -> str:
    """A ``to_tsquery`` text: each term a quoted lexeme (quotes doubled, backslashes escaped),
    joined with AND, the last one a prefix."""
    quoted = ["'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in [*whole, last]]
    return " & ".join(quoted) + ":*"


def search(
    query: str,
    *,
    kinds: Collection[str] | None = None,
    language: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Hit]:
    """The rows matching every term of ``query``, best first: at most ``limit`` from
    ``offset``, only of ``kinds`` and in ``language`` when given. A query without a word to
    look for finds nothing."""
    parsed = _query_terms(query)
    if parsed is None or limit <= 0 or (kinds is not None and not kinds):
        return []
    whole, last = parsed
    kept_kinds = None if kinds is None else [kinds] if isinstance(kinds, str) else list(kinds)
    page = [limit, max(0, offset)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query_text = _tsquery(whole, last)
            cursor.execute(
                _POSTGRES_SEARCH, [query_text, kept_kinds, kept_kinds, language, language, *page]
            )
        else:
            match = _fts5_match(whole, last)
            kinds_json = None if kept_kinds is None else json.dumps(kept_kinds)
            cursor.execute(
                _SQLITE_SEARCH,
                [f"title : ({match})", match, kinds_json, kinds_json, language, language, *page],
            )
        rows = cursor.fetchall()
    return [
        Hit(kind, int(ref), lang, heading, float(rank)) for kind, ref, lang, heading, rank in rows
    ]
