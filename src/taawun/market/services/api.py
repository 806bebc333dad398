"""JSON endpoints of the services sector under ``/api/market/services``: the catalogue with
prices, a day's free slots, booking and each step of a booking, and a worker's weekly windows.
Calls that move money (booking, completing, cancelling) need an ``Idempotency-Key``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import AwareDatetime, Field

from taawun.apikeys.auth import PUBLIC
from taawun.apikeys.idempotency import idempotent
from taawun.apikeys.schemas import (
    ERRORS,
    MAX_NUMBER,
    Input,
    MoneyText,
    PaymentMethodName,
    PositiveNumber,
    SafeText,
    WholeNumber,
    money_text,
)
from taawun.ledger.selectors import in_books_currency
from taawun.market.api import OrderOut, actor, order_out
from taawun.market.models import Order

from . import actions, selectors
from .models import Weekday

router = Router(tags=["services"])


# Pydantic's strict mode (the house default) takes no text for a time; these take ISO text.
When = Annotated[AwareDatetime, Field(strict=False, examples=["2030-03-02T10:00:00+02:00"])]
# A time on the co-op's local clock, "HH:MM" (no offset: a window is local whatever the date).
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]
Tip = Annotated[
    str, Field(pattern=r"^[0-9]{1,9}(\.[0-9]{1,3})?$", examples=["5.00"], description="A tip.")
]


class ServiceOut(Schema):
    id: int
    title: str
    title_ar: str
    title_en: str
    description: str
    duration_minutes: int
    price: MoneyText
    currency: str
    rating_average: str | None = Field(description="Average stars, one decimal; none unrated.")
    rating_count: int


@router.get(
    "/services", response={200: list[ServiceOut], **ERRORS}, summary="Services offered", **PUBLIC
)
def list_services(request: HttpRequest) -> list[ServiceOut]:
    return [
        ServiceOut(
            id=card.service.pk,
            title=card.service.title,
            title_ar=card.service.title_ar,
            title_en=card.service.title_en,
            description=card.service.description,
            duration_minutes=card.service.duration_minutes,
            price=money_text(card.price.amount, card.price.currency),
            currency=card.price.currency,
            rating_average=str(card.rating_average) if card.rating_average is not None else None,
            rating_count=card.rating_count,
        )
        for card in selectors.catalogue()
    ]


class ServiceSlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    workers: list[int] = Field(description="Member numbers of the workers free for this slot.")


class ServiceDayIn(Schema):
    date: dt.date


@router.get(
    "/services/{service_id}/slots",
    response={200: list[ServiceSlotOut], **ERRORS},
    summary="Free slots of a service on a day",
    **PUBLIC,
)
def service_slots(
    request: HttpRequest, service_id: int, day: Query[ServiceDayIn]
) -> list[ServiceSlotOut]:
    service = selectors.service_or_404(service_id)
    return [
        ServiceSlotOut(
            starts_at=s.starts_at, ends_at=s.ends_at, workers=[w.number for w in s.workers]
        )
        for s in selectors.free_slots(service, day.date, customer=actor(request))
    ]


class ServiceBookingIn(Input):
    service: WholeNumber = Field(ge=1, le=MAX_NUMBER)
    starts_at: When
    worker: PositiveNumber | None = Field(
        default=None, description="A member number; none for any worker."
    )
    method: PaymentMethodName
    tip: Tip | None = None


def _booked(order: Order) -> OrderOut:
    return order_out(
        Order.objects.select_related("customer", "worker", "payment", "refund").get(pk=order.pk)
    )


@router.post(
    "/bookings",
    response={201: OrderOut, **ERRORS},
    summary="Book a service at a free slot (idempotent)",
)
@idempotent
def book_service(request: HttpRequest, payload: ServiceBookingIn) -> Status[OrderOut]:
    order = actions.book(
        actor=actor(request),
        service_id=payload.service,
        starts_at=payload.starts_at,
        worker_number=payload.worker,
        method=payload.method,
        tip=in_books_currency(Decimal(payload.tip)) if payload.tip else None,
    )
    return Status(201, _booked(order))


class ServiceDeclineIn(Input):
    reason: SafeText = Field(default="", max_length=500)


class ServiceCompleteIn(Input):
    tip: Tip | None = None


class ServiceRescheduleIn(Input):
    starts_at: When
    worker: PositiveNumber | None = None


@router.post(
    "/bookings/{order_id}/confirm",
    response={200: OrderOut, **ERRORS},
    summary="Confirm the booked time (the worker or the board)",
)
def confirm_booking(request: HttpRequest, order_id: int) -> OrderOut:
    return _booked(actions.confirm(actor=actor(request), order_id=order_id))


@router.post(
    "/bookings/{order_id}/decline",
    response={200: OrderOut, **ERRORS},
    summary="Decline a booking at no cost to the customer (the worker or the board)",
)
def decline_booking(request: HttpRequest, order_id: int, payload: ServiceDeclineIn) -> OrderOut:
    return _booked(actions.decline(actor=actor(request), order_id=order_id, reason=payload.reason))


@router.post(
    "/bookings/{order_id}/start",
    response={200: OrderOut, **ERRORS},
    summary="Start the work (the worker or the board)",
)
def start_booking(request: HttpRequest, order_id: int) -> OrderOut:
    return _booked(actions.start(actor=actor(request), order_id=order_id))


@router.post(
    "/bookings/{order_id}/complete",
    response={200: OrderOut, **ERRORS},
    summary="Complete the work and take the payment (the worker or the board; idempotent)",
)
@idempotent
def complete_booking(request: HttpRequest, order_id: int, payload: ServiceCompleteIn) -> OrderOut:
    tip = in_books_currency(Decimal(payload.tip)) if payload.tip else None
    return _booked(actions.complete(actor=actor(request), order_id=order_id, tip=tip))


@router.post(
    "/bookings/{order_id}/cancel",
    response={200: OrderOut, **ERRORS},
    summary="Cancel a booking; inside the late window a fee is charged (the customer; idempotent)",
)
@idempotent
def cancel_booking(request: HttpRequest, order_id: int) -> OrderOut:
    return _booked(actions.cancel(actor=actor(request), order_id=order_id))


@router.post(
    "/bookings/{order_id}/reschedule",
    response={200: OrderOut, **ERRORS},
    summary="Move a booking to another free slot (the customer, before the late window)",
)
def reschedule_booking(
    request: HttpRequest, order_id: int, payload: ServiceRescheduleIn
) -> OrderOut:
    return _booked(
        actions.reschedule(
            actor=actor(request),
            order_id=order_id,
            starts_at=payload.starts_at,
            worker_number=payload.worker,
        )
    )


class ServiceWindow(Input):
    weekday: WholeNumber = Field(ge=0, le=6, description="0 is Monday, 6 is Sunday.")
    starts: ClockTime
    ends: ClockTime


class ServiceWeekOut(Schema):
    windows: list[ServiceWindow]


class ServiceWeekIn(Input):
    windows: list[ServiceWindow] = Field(max_length=actions.MAX_WINDOWS)


def _week(request: HttpRequest) -> ServiceWeekOut:
    return ServiceWeekOut(
        windows=[
            ServiceWindow(weekday=w.weekday, starts=f"{w.starts:%H:%M}", ends=f"{w.ends:%H:%M}")
            for w in selectors.my_windows(actor(request))
        ]
    )


@router.get(
    "/availability",
    response={200: ServiceWeekOut, **ERRORS},
    summary="My weekly windows (a worker)",
)
def my_service_hours(request: HttpRequest) -> ServiceWeekOut:
    return _week(request)


@router.put(
    "/availability",
    response={200: ServiceWeekOut, **ERRORS},
    summary="Replace my weekly windows (a working member)",
)
def set_my_service_hours(request: HttpRequest, payload: ServiceWeekIn) -> ServiceWeekOut:
    actions.set_availability(
        actor=actor(request),
        windows=[
            (
                Weekday(w.weekday).value,
                dt.time.fromisoformat(w.starts),
                dt.time.fromisoformat(w.ends),
            )
            for w in payload.windows
        ],
    )
    return _week(request)
