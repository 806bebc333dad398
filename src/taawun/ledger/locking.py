"""Locking the rows every posting reads first, with written-out queries.

A sale locks its worker's membership and its period before it touches the books. Building those
two queries with the ORM took longer than the database's own work on them, and so did mapping a
raw query's columns back to the model; here each model's column list and value converters are
worked out once per process, and a lock is one short statement (docs/benchmarks.md, "The
books").
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

from taawun.members.models import Membership

from .models import Period

M = TypeVar("M", bound=models.Model)


@cache
def _reader(model: type[models.Model], vendor: str) -> tuple[str, list[str], list[Any]]:
    """The SELECT of every column of ``model``, the attribute each column fills, and for each
    column the converters the ORM would apply to its values on this database."""
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    columns = [field.get_col(model._meta.db_table) for field in fields]
    converters = [
        connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        for column in columns
    ]
    select = ", ".join(quote(str(field.column)) for field in fields)
    return (
        f"SELECT {select} FROM {quote(model._meta.db_table)}",  # noqa: S608  # nosec B608 (names)
        [field.attname for field in fields],
        list(zip(converters, columns, strict=True)),
    )


def _locked_one(model: type[M], where: str, params: list[Any], strength: str) -> M | None:
    """The row of ``model`` that ``where`` picks, locked with ``strength`` where the database
    has row locks (SQLite locks the whole database for a writer instead), as an instance."""
    select, names, converters = _reader(model, connection.vendor)
    sql = f"{select} WHERE {where}"
    if connection.features.has_select_for_update:
        sql += f" FOR {strength}"
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


def period_of_day(day: dt.date) -> Period | None:
    """The period holding ``day``, locked against a concurrent closing."""
    return _locked_one(Period, "starts_on <= %s AND ends_on >= %s", [day, day], "UPDATE")


def current_member(number: int) -> Membership | None:
    """The member numbered ``number`` unless they have left, locked against a change of status
    (NO KEY UPDATE: rows that refer to the member, such as a payout, can still be written)."""
    return _locked_one(
        Membership,
        "number = %s AND status <> %s",
        [number, Membership.Status.LEFT.value],
        "NO KEY UPDATE",
    )
