"""Reads for rides and deliveries: the places, a quote (no side effects), a trip with the
explanation of its assignment for its parties, a worker's offers and the open trips near them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain import geo
from taawun.domain.errors import InvalidInput, NotAllowed, NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.domain.policy import Policy
from taawun.domain.pricing import Demand, Quote, quote_trip
from taawun.market import selectors as market
from taawun.market.models import Order, Sector, Status
from taawun.members.models import Membership
from taawun.members.selectors import membership_of
from taawun.transparency.versioning import cached

from .models import Offer, Place, Presence, Trip

OFFER_SECONDS = 60
"""How long a worker has to answer an offer before it goes back to the next batch."""

BUSY = (Status.OFFERED, Status.CONFIRMED, Status.IN_PROGRESS)
"""A worker with a trip in one of these has an open trip and is not offered another."""

NEARBY_LIMIT = 50


@dataclass(frozen=True)
class TripQuote:
    """The upfront price of a trip and the estimate it rests on."""

    estimate: geo.Estimate
    quote: Quote


def places() -> list[Place]:
    """The co-op's places, kept under the rules version (which the board's adding one moves):
    every quote and request reads them."""
    return cached("trip-places", lambda: list(Place.objects.all()), rules_only=True)


def place_or_404(place_id: int | str) -> Place:
    try:
        number = int(place_id)
    except (TypeError, ValueError):
        number = 0
    found = next((place for place in places() if place.pk == number), None)
    if found is None:
        raise NotFound("no_such_place", gettext_noop("No such place."))
    return found


def position_of(item: Place | Presence) -> geo.Point:
    return geo.Point(item.latitude, item.longitude)


def area_centre() -> geo.Point | None:
    """The centre of the co-op's places: trips and positions must be near it (None before the
    board has named any place, when only the coordinates' ranges are checked)."""
    return geo.centre([position_of(place) for place in places()])


def check_in_area(position: geo.Point) -> geo.Point:
    if not geo.within_area(position, area_centre()):
        raise InvalidInput(
            "outside_area",
            gettext_noop("%(position)s is more than %(km)s km from the co-op's area."),
            position=str(position),
            km=f"{geo.AREA_RADIUS_KM:g}",
        )
    return position


def busy_workers() -> QuerySet[Order, int]:
    """The workers (member ids) with an open trip."""
    return Order.objects.filter(sector=Sector.TRIP, status__in=BUSY).values_list(
        "worker_id", flat=True
    )


def free_workers(policy: Policy) -> QuerySet[Presence]:
    """Workers a dispatch batch may offer a trip to: online, of a class that works, still
    members, and with no open trip."""
    working = [c.key for c in policy.membership.classes if c.works]
    return (
        Presence.objects.filter(online=True, worker__member_class__in=working)
        .exclude(worker_id__in=busy_workers())
        .exclude(worker__status=Membership.Status.LEFT)
    )


def demand_now(policy: Policy) -> Demand:
    """The trips waiting for a worker, counting the one about to be priced, and the workers
    free to take one (``domain.pricing.Demand``)."""
    waiting = Order.objects.filter(sector=Sector.TRIP, status=Status.REQUESTED).count()
    return Demand(waiting=waiting + 1, free=free_workers(policy).count())


def trip_quote(*, pickup: geo.Point, dropoff: geo.Point, tip: Money | None = None) -> TripQuote:
    """What a trip would cost now under the current policy, with the demand now when the
    members have turned surge on; nothing is written."""
    check_in_area(pickup)
    check_in_area(dropoff)
    estimate = geo.estimate(pickup, dropoff)
    current = current_policy()
    quote = quote_trip(
        policy=current.policy,
        policy_version=current.number,
        km=estimate.km,
        minutes=estimate.minutes,
        demand=demand_now(current.policy) if current.policy.pricing.surge.enabled else None,
        tip=tip,
    )
    return TripQuote(estimate=estimate, quote=quote)


def pickup_of(trip: Trip) -> geo.Point:
    return geo.Point(trip.pickup_latitude, trip.pickup_longitude)


def dropoff_of(trip: Trip) -> geo.Point:
    return geo.Point(trip.dropoff_latitude, trip.dropoff_longitude)


def working_membership(user: User) -> Membership:
    """The viewer's membership if it is of a class that works; refused otherwise."""
    member = membership_of(user)
    if member is None or not current_policy().policy.member_class(member.member_class).works:
        raise NotAllowed("not_a_worker", gettext_noop("Only working members can take trips."))
    return member


def trip_order_or_404(viewer: User, order_id: int | str) -> Order:
    """A trip's order, seen by its customer, its worker or the board (as every order is)."""
    order = market.access_order_or_404(viewer, order_id)
    if order.sector != Sector.TRIP or not Trip.objects.filter(order=order).exists():
        raise NotFound("not_found", gettext_noop("No such order."))
    return order


def trip_of(order: Order) -> Trip:
    """The trip of a trip's order (the reverse one-to-one, typed)."""
    trip: Trip = order.trip
    return trip


def current_offer(order: Order) -> Offer | None:
    """The offer whose explanation the order's parties may read (see ``Trip.current_offer``)."""
    return trip_of(order).current_offer


def presence_of(member: Membership) -> Presence | None:
    return Presence.objects.filter(worker=member).first()


def live_offers(member: Membership) -> QuerySet[Offer]:
    """The offers waiting for the worker's answer (at most one)."""
    return Offer.objects.filter(worker=member, status=Offer.Status.OFFERED).select_related(
        "trip__order", "run"
    )


def seconds_left(offer: Offer, now: Any = None) -> int:
    elapsed = ((now or timezone.now()) - offer.offered_at).total_seconds()
    return max(0, int(OFFER_SECONDS - elapsed))


def my_open_trips(member: Membership) -> QuerySet[Order]:
    return Order.objects.filter(
        worker=member, sector=Sector.TRIP, status__in=[Status.CONFIRMED, Status.IN_PROGRESS]
    ).select_related("trip", "customer")


def counted_declines(member: Membership) -> int:
    """Declines the members' rules count (see ``actions.decline_offer``)."""
    return Offer.objects.filter(worker=member, counts_against=True).count()


def open_trips_near(member: Membership) -> list[tuple[Trip, Decimal]]:
    """REQUESTED trips whose pickup is within the policy's reach of the worker's reported
    position, nearest first, with the distance in km (empty while offline)."""
    presence = presence_of(member)
    if presence is None or not presence.online:
        return []
    reach = float(current_policy().policy.dispatch.max_pickup_km)
    here = position_of(presence)
    found = []
    trips = (
        Trip.objects.filter(order__status=Status.REQUESTED, order__sector=Sector.TRIP)
        .exclude(order__customer_id=member.user_id)
        .select_related("order")
        .order_by("order_id")[:1000]
    )
    for trip in trips:
        km = geo.haversine_km(here, pickup_of(trip))
        if km <= reach:
            found.append((trip, Decimal(repr(round(km, 1)))))
    found.sort(key=lambda pair: (pair[1], pair[0].order_id))
    return found[:NEARBY_LIMIT]


def awaiting_dispatch() -> bool:
    """Some trip waits for a worker, or for a worker's answer to an offer."""
    return (
        Order.objects.filter(sector=Sector.TRIP, status=Status.REQUESTED).exists()
        or Offer.objects.filter(status=Offer.Status.OFFERED).exists()
    )
