"""Model rows from statements built once, for the paths every sale and booking runs.

Building a query with the ORM costs a few tenths of a millisecond of Python, a millisecond with
joins; on a call that reads or moves a handful of rows, that was more than the database's own
work (docs/benchmarks.md). Here a statement is worked out once per process, with the converters
the ORM applies to each column, and each run only sends it with its values and makes instances
exactly as the ORM would have made them:

- ``locked_one`` locks one row and reads it; ``updated_one`` moves one row and reads it back
  (``UPDATE … RETURNING``);
- ``Prepared`` is any ORM query (joins of ``select_related`` included), built once with
  stand-in values and run with the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, Generic, TypeVar, cast

from django.db import connection, models
from django.db.models.query import get_related_populators
from django.db.models.sql import UpdateQuery

M = TypeVar("M", bound=models.Model)
Converters = list[tuple[int, tuple[list[Any], Any]]]
"""Per column position that has any, the ORM's converters for its values and the column."""


def _converted(row: Any, converters: Converters) -> list[Any]:
    """A row's values as the ORM gives them: each column through its converters."""
    values = list(row)
    for position, (convert_all, column) in converters:
        for convert in convert_all:
            values[position] = convert(values[position], column, connection)
    return values


@cache
def _reader(model: type[models.Model], vendor: str) -> tuple[str, list[str], Converters]:
    """Every column of ``model`` (quoted, in field order), the attribute each fills, and the
    converters the ORM applies to their values on this database."""
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    converters: Converters = []
    for position, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((position, (found, column)))
    return (
        ", ".join(quote(str(field.column)) for field in fields),
        [field.attname for field in fields],
        converters,
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
    return model.from_db(connection.alias, names, _converted(row, converters))


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


STAND_IN = 2_147_480_000
"""Whole numbers a prepared query is built with in place of its arguments (``STAND_IN + i``
for the i-th): in range of every integer column, and found in no real query's constants."""


class _Compiled:
    """A query's statement and what it takes to make its rows into instances."""

    def __init__(self, rows: models.QuerySet[Any], arguments: int) -> None:
        compiler = rows.query.get_compiler(using=rows.db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.positions = []
        for i in range(arguments):
            where = [n for n, value in enumerate(self.params) if value == STAND_IN + i]
            if len(where) != 1:
                raise ValueError(f"argument {i} appears {len(where)} times in the query")
            self.positions.append(where[0])
        select, info = compiler.select, compiler.klass_info
        self.model = info["model"]
        first, last = info["select_fields"][0], info["select_fields"][-1] + 1
        self.fields = slice(first, last)
        self.names = [column[0].target.attname for column in select[first:last]]
        self.related = get_related_populators(info, select, rows.db)  # type: ignore[call-arg]  # Django 5.2 takes three
        self.converters: Converters = list(
            compiler.get_converters([column[0] for column in select[: compiler.col_count]]).items()
        )

    def instances(self, arguments: tuple[int, ...], limit: int | None) -> list[Any]:
        params = list(self.params)
        for position, value in zip(self.positions, arguments, strict=True):
            params[position] = value
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchmany(limit) if limit else cursor.fetchall()
        found = []
        for row in rows:
            values = _converted(row, self.converters)
            instance = self.model.from_db(connection.alias, self.names, values[self.fields])
            for populator in self.related:
                populator.populate(values, instance)
            found.append(instance)
        return found


class Prepared(Generic[M]):
    """An ORM query built and compiled once per process and database, then run with other
    values. ``build`` makes the queryset from whole-number arguments (ids); it is called once
    with stand-ins (``STAND_IN``), whose places in the statement take each run's values."""

    def __init__(self, build: Callable[..., models.QuerySet[M]]) -> None:
        self.build = build
        self._compiled: dict[tuple[str, bool], _Compiled] = {}

    def _statement(self, arguments: int, first: bool) -> _Compiled:
        key = (connection.vendor, first)
        found = self._compiled.get(key)
        if found is None:
            rows = self.build(*(STAND_IN + i for i in range(arguments)))
            if first:  # as QuerySet.first(): by primary key unless the query has an order
                rows = (rows if rows.ordered else rows.order_by("pk"))[:1]
            found = self._compiled[key] = _Compiled(rows, arguments)
        return found

    def all(self, *arguments: int) -> list[M]:
        return cast(list[M], self._statement(len(arguments), False).instances(arguments, None))

    def first(self, *arguments: int) -> M | None:
        found = self._statement(len(arguments), True).instances(arguments, 1)
        return cast(M, found[0]) if found else None
