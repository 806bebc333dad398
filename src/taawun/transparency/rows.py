"""Appending a batch of rows to an append-only table, as fast as the database allows.

The audit trail and the log's tree take every entry of every action, often hundreds at a time.
Django's ``bulk_create`` binds each value into one long statement on the client, which costs
more than the database's own work; here a batch goes to PostgreSQL with ``COPY``, and a few rows
(one action's) in one round trip, their statements pipelined. Values are prepared by each
field, exactly as the ORM would store them, so what is read back is what a model save writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from functools import partial
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

COPY_FROM = 16
"""Rows from which ``COPY``'s extra round trips pay for themselves."""

Batch = tuple[type[models.Model], Sequence[str], Sequence[Sequence[object]]]
"""Rows for one table: the model, the fields named in order, and each row's Python values."""


def append_rows(*batches: Batch, then: tuple[str, list[Any]] | None = None) -> None:
    """Insert each batch of rows, then run the statement ``then`` if given: with ``COPY`` for
    many rows on PostgreSQL, and a few (one action's) all in a single round trip, the
    statements pipelined."""
    prepared = [_prepared(*batch) for batch in batches]
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql and sum(len(rows) for *_, rows in prepared) >= COPY_FROM:
            for table, names, rows in prepared:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            if then is not None:
                cursor.execute(*then)
            return
        with connection.connection.pipeline() if postgresql else nullcontext():
            for table, names, rows in prepared:
                if rows:
                    marks = ", ".join(["%s"] * len(rows[0]))
                    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608  # nosec B608
                    cursor.executemany(sql, rows)
            if then is not None:
                cursor.execute(*then)


AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BinaryField)
"""Fields whose values the database driver takes as they are, as their own preparation would
leave them: text, whole numbers and bytes. The others (times, JSON) are prepared by the field."""


def _prepared(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> tuple[str, str, list[list[Any]]]:
    """The quoted table and column names, and each value as the field would store it."""
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in columns]
    database = connections[DEFAULT_DB_ALIAS]  # looked up once, not once a value
    preparers = [
        None if isinstance(field, AS_IS) else partial(_prepare, field, database) for field in fields
    ]
    quote = database.ops.quote_name
    return (
        quote(model._meta.db_table),
        ", ".join(quote(str(field.column)) for field in fields),
        [
            [
                value if prepare is None else prepare(value)
                for prepare, value in zip(preparers, row, strict=True)
            ]
            for row in rows
        ],
    )


def _prepare(field: models.Field[Any, Any], database: BaseDatabaseWrapper, value: object) -> Any:
    return field.get_db_prep_save(value, database)
