"""The fairness audit over JSON, for every member and the board, and a member's own
self-reported groups (given, replaced or withdrawn only by themself)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, cast

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from taawun.accounts.models import User
from taawun.apikeys.schemas import ERRORS, CurrencyCode, Input, MoneyText, SafeText
from taawun.domain.errors import NotFound, gettext_noop
from taawun.domain.fairness import MIN_GROUP
from taawun.ledger import selectors as books

from . import actions, selectors

router = Router(tags=["fairness"])

DecimalText = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["0.1234"])]


def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


class FiguresOut(Schema):
    workers: int
    mean: MoneyText
    median: MoneyText
    p10: MoneyText
    p10_over_mean: DecimalText = Field(description="A ratio as exact text, four decimals")
    gini: DecimalText = Field(description="A ratio as exact text, four decimals")
    below_floor: int | None = Field(description="Workers below the floor; null with no floor")


class BinOut(Schema):
    lower: MoneyText
    upper: MoneyText = Field(description="Not included")
    workers: int


class SectorOut(Schema):
    sector: str
    completed_orders: int
    hours: DecimalText
    share_percent: DecimalText | None = Field(description="Of all the hours worked in the period")


class TripsOut(Schema):
    offered: int
    declined: int
    declined_percent: DecimalText | None = Field(description="Null when no offer was recorded")


class GroupOut(Schema):
    group: str
    shown: bool = Field(description=f"False for groups of fewer than {MIN_GROUP} workers")
    workers: int | None = Field(description="Null when the group is not shown")
    mean: MoneyText | None = Field(description="Null when the group is not shown")


class DimensionOut(Schema):
    dimension: str
    groups: list[GroupOut]
    gap_percent: DecimalText | None = Field(
        description="Highest less lowest shown group mean, as a percentage of the overall mean"
    )


class AuditOut(Schema):
    period_id: int
    starts_on: dt.date
    ends_on: dt.date
    currency: CurrencyCode
    earnings_floor: MoneyText | None = Field(description="Per hour; null when there is none")
    figures: FiguresOut | None = Field(description="Null when nobody worked in the period")
    earnings_per_hour: list[MoneyText] = Field(description="Each worker's, lowest first, no names")
    my_position: int | None = Field(description="Mine in that list (from 1), if I worked")
    histogram: list[BinOut]
    hours: DecimalText
    sectors: list[SectorOut]
    hours_without_order: DecimalText
    trips: TripsOut
    min_group: int
    groups: list[DimensionOut]


def _audit_out(report: selectors.Audit) -> AuditOut:
    figures = report.figures
    return AuditOut(
        period_id=report.period.pk,
        starts_on=report.period.starts_on,
        ends_on=report.period.ends_on,
        currency=report.currency,
        earnings_floor=str(report.floor.amount) if report.floor else None,
        figures=None
        if figures is None
        else FiguresOut(
            workers=figures.count,
            mean=str(figures.mean.amount),
            median=str(figures.median.amount),
            p10=str(figures.p10.amount),
            p10_over_mean=str(figures.p10_over_mean),
            gini=str(figures.gini),
            below_floor=figures.below_floor,
        ),
        earnings_per_hour=[str(p.rate.amount) for p in report.positions],
        my_position=report.my_rank,
        histogram=[
            BinOut(lower=str(b.lower.amount), upper=str(b.upper.amount), workers=b.count)
            for b in report.bars
        ],
        hours=str(report.hours),
        sectors=[
            SectorOut(
                sector=s.sector.value,
                completed_orders=s.orders,
                hours=str(s.hours),
                share_percent=None if s.share_percent is None else str(s.share_percent),
            )
            for s in report.sectors
        ],
        hours_without_order=str(report.hours_without_order),
        trips=TripsOut(
            offered=report.trips.offered,
            declined=report.trips.declined,
            declined_percent=None
            if report.trips.declined_percent is None
            else str(report.trips.declined_percent),
        ),
        min_group=MIN_GROUP,
        groups=[
            DimensionOut(
                dimension=line.dimension.value,
                groups=[
                    GroupOut(
                        group=g.key,
                        shown=g.mean is not None,
                        workers=g.count if g.mean is not None else None,
                        mean=str(g.mean.amount) if g.mean is not None else None,
                    )
                    for g in line.groups
                ],
                gap_percent=None if line.gap_percent is None else str(line.gap_percent),
            )
            for line in report.dimensions
        ],
    )


@router.get("/", response={200: AuditOut, **ERRORS}, summary="The fairness audit of a period")
def audit(request: HttpRequest, period: int | None = None) -> AuditOut:
    """Today's period when none is named. Members and the board."""
    viewer = _actor(request)
    selectors.require_auditor(viewer)
    found = books.period_or_current(viewer, str(period) if period is not None else None)
    if found is None:
        raise NotFound("not_found", gettext_noop("Nothing has been recorded yet."))
    return _audit_out(selectors.audit(viewer, found))


class SelfReportIn(Input):
    """Replaces every answer: a dimension left out or null is withdrawn (deleted)."""

    gender: SafeText | None = Field(
        default=None, max_length=24, description="woman, man, other or prefer_not_to_say"
    )
    age_band: SafeText | None = Field(
        default=None, max_length=24, description="under_25, 25_39, 40_54 or 55_plus"
    )
    area: SafeText | None = Field(default=None, max_length=24, description="centre or periphery")
    consent: bool = Field(
        default=False,
        description="Must be true to give any answer: the groups are kept for the fairness "
        "audit only, shown only as averages over at least five workers, never used for "
        "dispatch or prices, and deleted when withdrawn.",
    )


class SelfReportOut(Schema):
    gender: str | None = None
    age_band: str | None = None
    area: str | None = None


@router.get("/me/self-report", response={200: SelfReportOut, **ERRORS}, summary="My groups")
def my_self_report(request: HttpRequest) -> SelfReportOut:
    return SelfReportOut(**selectors.my_groups(_actor(request)))


@router.put("/me/self-report", response={200: SelfReportOut, **ERRORS}, summary="Report my groups")
def put_self_report(request: HttpRequest, payload: SelfReportIn) -> SelfReportOut:
    answers = payload.model_dump(exclude={"consent"})
    given = actions.report_groups(actor=_actor(request), answers=answers, consent=payload.consent)
    return SelfReportOut(**given)


@router.delete(
    "/me/self-report",
    response={200: SelfReportOut, **ERRORS},
    summary="Withdraw my consent (deletes my groups)",
)
def withdraw_self_report(request: HttpRequest) -> SelfReportOut:
    return SelfReportOut(**actions.withdraw_groups(actor=_actor(request)))
