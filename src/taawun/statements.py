"""Whole model rows from short statements, for the paths every sale and booking runs.

Building a query with the ORM costs a few tenths of a millisecond of Python; on a write that
locks or moves one row, that was more than the database's own work (docs/benchmarks.md). Here
each model's column list and the converters the ORM would apply to each column are worked out
once per process, so locking a row or moving it and reading it back is one short statement
whose answer becomes an instance exactly as the ORM would have made it.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar, cast

from django.db import connection, models
from django.db.models.sql import UpdateQuery

M = TypeVar("M", bound=models.Model)


@cache
def _reader(model: type[models.Model], vendor: str) -> tuple[str, list[str], list[Any]]:
    """Every column of ``model`` (quoted, in field order), the attribute each fills, and for
    each column the converters the ORM applies to its values on this database."""
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    columns = [field.get_col(model._meta.db_table) for field in fields]
    converters = [
        connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        for column in columns
    ]
    return (
        ", ".join(quote(str(field.column)) for field in fields),
        [field.attname for field in fields],
        list(zip(converters, columns, strict=True)),
    )


def _one(model: type[M], sql: str, params: Any) -> M | None:
    """Run ``sql``, which gives ``model``'s columns (``_reader``'s list), and make the first
    row an instance; None when there is none."""
    _columns, names, converters = _reader(model, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, (convert_all, column) in enumerate(converters):
        for convert in convert_all:
            values[position] = convert(values[position], column, connection)
    return model.from_db(connection.alias, names, values)


def locked_one(model: type[M], where: str, params: list[Any], strength: str) -> M | None:
    """The row of ``model`` that ``where`` (SQL over its own columns) picks, locked with
    ``strength`` (``UPDATE``, ``NO KEY UPDATE``) where the database has row locks; SQLite
    locks the whole database for a writer instead."""
    columns = _reader(model, connection.vendor)[0]
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"SELECT {columns} FROM {table} WHERE {where}"  # noqa: S608  # nosec B608 (names)
    if connection.features.has_select_for_update:
        sql += f" FOR {strength}"
    return _one(model, sql, params)


def updated_one(rows: models.QuerySet[M], **values: Any) -> M | None:
    """Set ``values`` on the one row ``rows`` picks (filters on the model's own columns) and
    return it as it now is, in one statement (``UPDATE … RETURNING``); None when no row
    matched."""
    query = cast(UpdateQuery, rows.query.chain(UpdateQuery))
    query.add_update_values(values)
    sql, params = query.get_compiler(rows.db).as_sql()
    columns = _reader(rows.model, connection.vendor)[0]
    return _one(rows.model, f"{sql} RETURNING {columns}", params)
