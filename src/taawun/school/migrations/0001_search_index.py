"""The school's search index: plain SQL tables, one shape per engine, holding the normalised
terms of lessons and pages (``taawun.domain.arabic.terms``) so both engines find the same things.

- SQLite: an FTS5 table ``school_search`` of the searched text (title and body, ranked with
  bm25), and ``school_search_doc``, one row per (kind, ref) with what is filtered on and shown,
  its id the FTS row's id. Kept apart because FTS5 stores a row's columns together: reading the
  kind of every match would read every matched body too, which made a common word several
  times slower to search; and replacing a row is a key look-up here, not a scan.
- PostgreSQL: a table ``school_search`` keyed by (kind, ref), with its ``document`` (title
  weighted A, body B) generated from the stored text and a GIN index over it, and the title's
  own small ``title_document``: telling a title match from the document itself would unpack
  every matched body's document a second time, which made a common word about twice as slow.
"""

from django.db import migrations

SQLITE = [
    """
    CREATE VIRTUAL TABLE school_search USING fts5(
        title, body, tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TABLE school_search_doc (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        ref INTEGER NOT NULL,
        language TEXT NOT NULL,
        heading TEXT NOT NULL,
        UNIQUE (kind, ref)
    )
    """,
]
SQLITE_DROP = ["DROP TABLE IF EXISTS school_search_doc", "DROP TABLE IF EXISTS school_search"]
POSTGRES = [
    """
    CREATE TABLE school_search (
        kind text NOT NULL,
        ref bigint NOT NULL,
        language text NOT NULL,
        heading text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', title), 'A')
            || setweight(to_tsvector('simple', body), 'B')
        ) STORED,
        title_document tsvector GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED,
        PRIMARY KEY (kind, ref)
    )
    """,
    "CREATE INDEX school_search_document ON school_search USING gin (document)",
]
POSTGRES_DROP = ["DROP TABLE IF EXISTS school_search"]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for statement in POSTGRES if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []:
        schema_editor.execute(statement)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for statement in (
        POSTGRES_DROP if vendor == "postgresql" else SQLITE_DROP if vendor == "sqlite" else []
    ):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunPython(create, drop)]
