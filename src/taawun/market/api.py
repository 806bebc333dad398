"""JSON endpoints every sector shares: a person's orders and work, one order with its receipt and
events, and the customer's rating. Each sector's router adds its own flow under ``/market``."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from taawun.accounts.models import User
from taawun.apikeys.schemas import ERRORS, Input, MoneyText, SafeText, WholeNumber, money_text
from taawun.statements import Prepared

from . import actions, selectors
from .models import Order, OrderEvent

router = Router(tags=["market"])


def actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


class ReceiptOut(Schema):
    """The breakdown the customer and the worker both see."""

    currency: str
    price: MoneyText
    worker_share: MoneyText
    coop_fee: MoneyText
    solidarity: MoneyText
    tax: MoneyText
    tip: MoneyText
    total_paid: MoneyText
    policy_version: int
    explanation: list[str]


class EventOut(Schema):
    kind: str
    at: dt.datetime
    note: str


class OrderOut(Schema):
    id: int
    sector: str
    status: str
    title: str
    customer: str
    worker: int | None = Field(description="The worker's member number, once assigned.")
    starts_at: dt.datetime | None
    receipt: ReceiptOut
    paid_in_entry: int | None
    refunded_in_entry: int | None
    events: list[EventOut]


def receipt_out(order: Order) -> ReceiptOut:
    parts = order.breakdown
    return ReceiptOut(
        currency=order.currency,
        price=money_text(order.price, order.currency),
        worker_share=money_text(order.worker_share, order.currency),
        coop_fee=money_text(order.coop_fee, order.currency),
        solidarity=money_text(order.solidarity, order.currency),
        tax=money_text(order.tax, order.currency),
        tip=money_text(order.tip, order.currency),
        total_paid=money_text(parts.total_paid.amount, order.currency),
        policy_version=order.policy_version,
        explanation=[
            gettext(message) % params if params else gettext(message)
            for message, params in order.quote
        ],
    )


EVENTS = Prepared(lambda order_id: OrderEvent.objects.filter(order_id=order_id))


def order_out(order: Order, *, with_events: bool = True) -> OrderOut:
    return OrderOut(
        id=order.pk,
        sector=order.sector,
        status=order.status,
        title=order.title,
        customer=order.customer.get_full_name(),
        worker=order.worker.number if order.worker else None,
        starts_at=order.starts_at,
        receipt=receipt_out(order),
        paid_in_entry=order.payment.number if order.payment else None,
        refunded_in_entry=order.refund.number if order.refund else None,
        events=[EventOut(kind=e.kind, at=e.at, note=e.note) for e in EVENTS.all(order.pk)]
        if with_events
        else [],
    )


@router.get("/orders", response={200: list[OrderOut], **ERRORS}, summary="What I ordered")
def my_orders(request: HttpRequest) -> list[OrderOut]:
    orders = selectors.orders_placed(actor(request)).select_related("customer", "payment", "refund")
    return [order_out(o, with_events=False) for o in orders[:100]]


@router.get("/work", response={200: list[OrderOut], **ERRORS}, summary="Work given to me")
def my_work(request: HttpRequest) -> list[OrderOut]:
    orders = selectors.work_taken(actor(request)).select_related("worker", "payment", "refund")
    return [order_out(o, with_events=False) for o in orders[:100]]


@router.get("/orders/{order_id}", response={200: OrderOut, **ERRORS}, summary="One order")
def one_order(request: HttpRequest, order_id: int) -> OrderOut:
    return order_out(selectors.access_order_or_404(actor(request), order_id))


class RatingIn(Input):
    stars: WholeNumber = Field(ge=1, le=5)
    comment: SafeText = Field(default="", max_length=1000)


class RatingOut(Schema):
    order: int
    stars: int
    comment: str


@router.post(
    "/orders/{order_id}/rating",
    response={201: RatingOut, **ERRORS},
    summary="Rate completed work (the customer, once)",
)
def rate(request: HttpRequest, order_id: int, payload: RatingIn) -> Status[RatingOut]:
    rating = actions.rate(
        actor=actor(request), order_id=order_id, stars=payload.stars, comment=payload.comment
    )
    return Status(201, RatingOut(order=order_id, stars=rating.stars, comment=rating.comment))
