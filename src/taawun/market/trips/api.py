"""JSON endpoints for rides and deliveries: the places, a quote (no side effects), requesting a
trip (idempotent), its status with the explanation of its assignment, the worker's presence and
offers, and each step of the trip (completing it takes the payment, so it is idempotent)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from taawun.apikeys.auth import PUBLIC
from taawun.apikeys.idempotency import idempotent
from taawun.apikeys.schemas import (
    ERRORS,
    Input,
    MoneyText,
    PaymentMethodName,
    RecordId,
    WholeNumber,
)
from taawun.domain import geo
from taawun.domain.errors import InvalidInput, gettext_noop
from taawun.market.api import OrderOut, actor, order_out
from taawun.market.models import Order

from . import actions, selectors
from .models import Offer, Trip

router = Router(tags=["trips"])
Kind = Literal["ride", "delivery"]


# Degrees as exact decimal text, like amounts: never a float.
Coordinate = Annotated[str, Field(pattern=r"^-?[0-9]{1,3}(\.[0-9]{1,12})?$", examples=["31.9038"])]


class PositionIn(Input):
    """A place of the co-op (``place``) or a position (``lat`` and ``lon``, in degrees)."""

    place: RecordId | None = None
    lat: Coordinate | None = None
    lon: Coordinate | None = None


def _resolve(position: PositionIn) -> tuple[geo.Point, str]:
    if (position.place is None) == (position.lat is None or position.lon is None):
        raise InvalidInput(
            "position_needed",
            gettext_noop("Give either one of the co-op's places or a latitude and a longitude."),
        )
    if position.place is not None:
        place = selectors.place_or_404(position.place)
        return selectors.position_of(place), place.name_en
    point = geo.point(position.lat, position.lon)
    return point, str(point)


class QuoteIn(Input):
    kind: Kind = "ride"
    pickup: PositionIn
    dropoff: PositionIn
    tip: MoneyText = "0"


class TripIn(QuoteIn):
    method: PaymentMethodName
    expected_price: MoneyText | None = Field(
        default=None, description="The quoted price you accept; refused if the price changed."
    )


class QuoteOut(Schema):
    km: str
    minutes: str
    price: MoneyText
    total_paid: MoneyText
    currency: str
    worker_share: MoneyText
    coop_fee: MoneyText
    solidarity: MoneyText
    tax: MoneyText
    tip: MoneyText
    policy_version: int
    explanation: list[str]


class ExplanationOut(Schema):
    lines: list[str]
    pickup_km: float
    fairness_term_km: float
    fairness_weight: float
    fairness_km: float
    total_km: float
    policy_version: int
    nearest_other: int | None = Field(description="Member number of the nearest worker not chosen")
    nearest_other_pickup_km: float | None


class TripOut(Schema):
    kind: str
    pickup_label: str
    pickup_lat: str
    pickup_lon: str
    dropoff_label: str
    dropoff_lat: str
    dropoff_lon: str
    estimated_km: str
    estimated_minutes: str
    actual_km: str | None
    actual_minutes: str | None
    method: str


class TripOrderOut(Schema):
    order: OrderOut
    trip: TripOut
    explanation: ExplanationOut | None = Field(
        description="Why the worker was chosen, once a batch has offered the trip"
    )


class OfferOut(Schema):
    order: int
    title: str
    offered_at: dt.datetime
    seconds_left: int
    trip: TripOut
    explanation: ExplanationOut


class NearbyOut(Schema):
    order: int
    title: str
    pickup_km: str
    trip: TripOut


class OffersOut(Schema):
    offers: list[OfferOut]
    nearby: list[NearbyOut]


class PresenceIn(Input):
    online: bool
    lat: Coordinate | None = None
    lon: Coordinate | None = None


class PresenceOut(Schema):
    online: bool
    lat: str
    lon: str
    updated_at: dt.datetime


class PlaceOut(Schema):
    id: int
    name_ar: str
    name_en: str
    lat: str
    lon: str


class CompleteIn(Input):
    km: str = Field(pattern=r"^[0-9]{1,4}(\.[0-9])?$", examples=["6.8"])
    minutes: WholeNumber = Field(ge=0, le=1440)


def _tip(text: str) -> Decimal:
    return Decimal(text)


def _quote_out(priced: selectors.TripQuote) -> QuoteOut:
    parts = priced.quote.breakdown
    return QuoteOut(
        km=str(priced.estimate.km),
        minutes=str(priced.estimate.minutes),
        price=str(parts.price.amount),
        total_paid=str(parts.total_paid.amount),
        currency=parts.price.currency,
        worker_share=str(parts.worker_share.amount),
        coop_fee=str(parts.coop_fee.amount),
        solidarity=str(parts.solidarity.amount),
        tax=str(parts.tax.amount),
        tip=str(parts.tip.amount),
        policy_version=priced.quote.policy_version,
        explanation=receipt_lines(
            [[line.message, dict(line.params)] for line in priced.quote.lines]
        ),
    )


def receipt_lines(pairs: list[Any]) -> list[str]:
    """Stored ``[msgid, params]`` pairs as sentences in the request's language."""
    return [gettext(message) % params if params else gettext(message) for message, params in pairs]


def _trip_out(trip: Trip) -> TripOut:
    return TripOut(
        kind=trip.kind,
        pickup_label=trip.pickup_label,
        pickup_lat=str(trip.pickup_latitude),
        pickup_lon=str(trip.pickup_longitude),
        dropoff_label=trip.dropoff_label,
        dropoff_lat=str(trip.dropoff_latitude),
        dropoff_lon=str(trip.dropoff_longitude),
        estimated_km=str(trip.estimated_km),
        estimated_minutes=str(trip.estimated_minutes),
        actual_km=None if trip.actual_km is None else str(trip.actual_km),
        actual_minutes=None if trip.actual_minutes is None else str(trip.actual_minutes),
        method=trip.method,
    )


def _explanation_out(offer: Offer | None) -> ExplanationOut | None:
    if offer is None:
        return None
    stored = offer.explanation
    return ExplanationOut(
        lines=receipt_lines(stored["lines"]),
        pickup_km=stored["pickup_km"],
        fairness_term_km=stored["fairness_term_km"],
        fairness_weight=stored["fairness_weight"],
        fairness_km=stored["fairness_km"],
        total_km=stored["total_km"],
        policy_version=stored["policy_version"],
        nearest_other=stored["nearest_other"],
        nearest_other_pickup_km=stored["nearest_other_pickup_km"],
    )


def _trip_order_out(order: Order) -> TripOrderOut:
    """The answer from the order as the action left it (each action keeps its order as the
    database now holds it), with its events and its offer."""
    return TripOrderOut(
        order=order_out(order),
        trip=_trip_out(selectors.trip_of(order)),
        explanation=_explanation_out(selectors.current_offer(order)),
    )


# --- Reading -------------------------------------------------------------------------------


@router.get(
    "/places", response={200: list[PlaceOut], **ERRORS}, summary="The co-op's places", **PUBLIC
)
def places(request: HttpRequest) -> list[PlaceOut]:
    return [
        PlaceOut(
            id=p.pk, name_ar=p.name_ar, name_en=p.name_en, lat=str(p.latitude), lon=str(p.longitude)
        )
        for p in selectors.places()
    ]


@router.post(
    "/quote", response={200: QuoteOut, **ERRORS}, summary="The upfront price (nothing is written)"
)
def quote(request: HttpRequest, payload: QuoteIn) -> QuoteOut:
    pickup, _label = _resolve(payload.pickup)
    dropoff, _label = _resolve(payload.dropoff)
    return _quote_out(
        selectors.trip_quote(
            pickup=pickup, dropoff=dropoff, tip=actions.tip_money(_tip(payload.tip))
        )
    )


@router.get(
    "/offers",
    response={200: OffersOut, **ERRORS},
    summary="The offer waiting for my answer and open trips near me (worker)",
)
def offers(request: HttpRequest) -> OffersOut:
    member = selectors.working_membership(actor(request))
    actions.maybe_dispatch()
    live = list(selectors.live_offers(member))
    return OffersOut(
        offers=[
            OfferOut(
                order=offer.trip.order_id,
                title=offer.trip.order.title,
                offered_at=offer.offered_at,
                seconds_left=selectors.seconds_left(offer),
                trip=_trip_out(offer.trip),
                explanation=_explanation_out(offer),  # type: ignore[arg-type]
            )
            for offer in live
        ],
        nearby=[
            NearbyOut(
                order=trip.order_id, title=trip.order.title, pickup_km=str(km), trip=_trip_out(trip)
            )
            for trip, km in (selectors.open_trips_near(member) if not live else [])
        ],
    )


@router.post("/presence", response={200: PresenceOut, **ERRORS}, summary="Go online or offline")
def presence(request: HttpRequest, payload: PresenceIn) -> PresenceOut:
    if (payload.lat is None) != (payload.lon is None):
        raise InvalidInput("bad_position", gettext_noop("Give both lat and lon, or neither."))
    position = None if payload.lat is None else geo.point(payload.lat, payload.lon)
    found = actions.set_presence(actor=actor(request), online=payload.online, position=position)
    return PresenceOut(
        online=found.online,
        lat=str(found.latitude),
        lon=str(found.longitude),
        updated_at=found.updated_at,
    )


@router.get(
    "/{order_id}",
    response={200: TripOrderOut, **ERRORS},
    summary="A trip's status, with why its worker was chosen",
)
def trip_status(request: HttpRequest, order_id: int) -> TripOrderOut:
    selectors.trip_order_or_404(actor(request), order_id)  # only its parties may ask
    actions.maybe_dispatch()  # which may offer it to a worker: read it afterwards
    return _trip_order_out(selectors.trip_order_or_404(actor(request), order_id))


# --- Writing -------------------------------------------------------------------------------


@router.post(
    "/", response={201: TripOrderOut, **ERRORS}, summary="Request a ride or delivery (idempotent)"
)
@idempotent
def request_trip(request: HttpRequest, payload: TripIn) -> Status[TripOrderOut]:
    pickup, pickup_label = _resolve(payload.pickup)
    dropoff, dropoff_label = _resolve(payload.dropoff)
    order = actions.request_trip(
        actor=actor(request),
        kind=payload.kind,
        pickup=pickup,
        dropoff=dropoff,
        pickup_label=pickup_label,
        dropoff_label=dropoff_label,
        method=payload.method,
        tip=_tip(payload.tip),
        expected_price=None if payload.expected_price is None else Decimal(payload.expected_price),
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return Status(201, _trip_order_out(order))


def _step(action: Any, request: HttpRequest, order_id: int) -> TripOrderOut:
    return _trip_order_out(action(actor=actor(request), order_id=order_id))


@router.post(
    "/{order_id}/accept", response={200: TripOrderOut, **ERRORS}, summary="Accept my offer"
)
def accept_trip(request: HttpRequest, order_id: int) -> TripOrderOut:
    return _step(actions.accept_offer, request, order_id)


@router.post(
    "/{order_id}/decline", response={200: TripOrderOut, **ERRORS}, summary="Decline my offer"
)
def decline(request: HttpRequest, order_id: int) -> TripOrderOut:
    return _step(actions.decline_offer, request, order_id)


@router.post(
    "/{order_id}/take", response={200: TripOrderOut, **ERRORS}, summary="Take an open trip near me"
)
def take(request: HttpRequest, order_id: int) -> TripOrderOut:
    return _step(actions.take_trip, request, order_id)


@router.post("/{order_id}/pickup", response={200: TripOrderOut, **ERRORS}, summary="Picked up")
def pickup(request: HttpRequest, order_id: int) -> TripOrderOut:
    return _step(actions.pick_up, request, order_id)


@router.post(
    "/{order_id}/cancel",
    response={200: TripOrderOut, **ERRORS},
    summary="Cancel before pickup, at no charge (the customer)",
)
def cancel_trip(request: HttpRequest, order_id: int) -> TripOrderOut:
    return _step(actions.cancel_trip, request, order_id)


@router.post(
    "/{order_id}/complete",
    response={200: TripOrderOut, **ERRORS},
    summary="Completed: record the distance and time, take the payment (idempotent)",
)
@idempotent
def complete(request: HttpRequest, order_id: int, payload: CompleteIn) -> TripOrderOut:
    order = actions.complete_trip(
        actor=actor(request),
        order_id=order_id,
        km=Decimal(payload.km),
        minutes=Decimal(payload.minutes),
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return _trip_order_out(order)
