"""The open data over JSON, for anyone: the same cells, in the same order, as the CSV."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from taawun.apikeys.auth import PUBLIC
from taawun.apikeys.schemas import ERRORS, CurrencyCode, MoneyText
from taawun.domain.disclosure import K

from . import selectors
from .views import LICENCE_URL

router = Router(tags=["open data"])

WeekText = Annotated[str, Field(pattern=r"^[0-9]{4}-W[0-9]{2}$", examples=["2026-W05"])]
DecimalText = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["12.50"])]


class OpenDataCellOut(Schema):
    week: WeekText
    week_starts: str = Field(description="The week's Monday, ISO 8601")
    currency: CurrencyCode
    sector: str = Field(description='A sector, or "all" for the week\'s total')
    area: str = Field(description='A named place (in English) for trips, else "all"')
    area_ar: str | None = Field(description='The area\'s name in Arabic; null for "all"')
    suppressed: bool = Field(description="True when the figures are withheld: all null")
    orders_completed: int | None
    total_paid: MoneyText | None = Field(description="Prices and tips")
    median_price: MoneyText | None
    hours_worked: DecimalText | None
    earnings_per_hour: MoneyText | None = Field(
        description="Workers' share and tips over the hours; null also when no hours"
    )


class OpenDataOut(Schema):
    licence: str = Field(examples=["CC-BY-4.0"])
    licence_url: str
    threshold: int = Field(
        description="The fewest distinct customers and workers behind a published cell"
    )
    through: WeekText | None = Field(description="The last week published")
    cells: list[OpenDataCellOut]


class OpenDataFilter(Schema):
    week: WeekText | None = Field(None, description="Only this closed week")


@router.get(
    "/",
    response={200: OpenDataOut, **ERRORS},
    summary="Completed work per week, sector and area, small cells suppressed",
    url_name="open_data",
    **PUBLIC,
)
def open_data(request: HttpRequest, filters: Query[OpenDataFilter]) -> dict[str, Any]:
    data = selectors.open_data(filters.week)
    return {
        "licence": "CC-BY-4.0",
        "licence_url": LICENCE_URL,
        "threshold": K,
        "through": data.through,
        "cells": [selectors.record(cell, data.areas) for cell in data.cells],
    }
