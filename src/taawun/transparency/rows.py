"""Appending a batch of rows to an append-only table, as fast as the database allows.

The audit trail and the log's tree take every entry of every action, often hundreds at a time.
Django's ``bulk_create`` binds each value into one long statement on the client, which costs
more than the database's own work; here a batch goes to PostgreSQL with ``COPY`` and a few rows
(one action's) as one pipelined statement per row. Values are prepared by each field, exactly as
the ORM would store them, so what is read back is what a model save would have written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db import connection, models

COPY_FROM = 16
"""Rows from which ``COPY``'s extra round trip pays for itself."""


def append_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Insert ``rows`` (Python values in the order of the fields named in ``columns``)."""
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in columns]
    prepared = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in rows
    ]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(str(field.column)) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(prepared) >= COPY_FROM:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", prepared)  # noqa: S608
