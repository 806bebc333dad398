"""Every write for rides and deliveries: places, requests at an upfront price, workers' presence,
batched dispatch with offers that expire, accepting, declining or taking a trip, picking up,
completing (the payment goes into the books) and cancelling.

Locks are always taken in one order, so two operations never wait on each other in a circle:
the dispatch clock, then workers' presence rows, then orders (several at once in id order), then
the audit counter (each order's event and audit entry are written last). An offer's expiry runs
in its own transaction before a batch, for the same reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy, current_policy_number
from taawun.domain import dispatch, geo
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.ledger.models import Patronage
from taawun.market import actions as market
from taawun.market.models import Order, OrderEvent, Sector, Status
from taawun.members.models import Membership, PaymentMethod
from taawun.notifications.actions import notify_each
from taawun.notifications.models import Kind as Notice
from taawun.statements import Prepared
from taawun.transparency.audit import record

from . import selectors
from .models import DispatchClock, DispatchRun, Offer, Place, Presence, Trip

MAX_LABEL = 120
MAX_TIP = Decimal(1000)
MAX_ACTUAL_KM = Decimal(1000)
MAX_ACTUAL_MINUTES = Decimal(1440)
MAX_BATCH = 2000
"""Requests (and workers) a batch takes at most; the rest wait for the next one."""


def _audit(
    actor: User | None, action: str, subject_type: str, subject_id: object, **after: object
) -> None:
    record(
        actor_id=actor.pk if actor else None,
        action=f"trips.{action}",
        subject_type=subject_type,
        subject_id=subject_id,
        policy_version=current_policy_number(),
        after=dict(after),
    )


def _label(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_LABEL:
        raise InvalidInput(
            "bad_label",
            gettext_noop("Name the %(what)s in 1 to 120 characters."),
            what=what,
        )
    return text


# --- Places (the board) ------------------------------------------------------------------


@transaction.atomic
def add_place(
    *, actor: User, name_ar: str, name_en: str, latitude: object, longitude: object
) -> Place:
    """A named place of the co-op's area; the board adds them."""
    require_role(actor, Role.BOARD)
    name_ar, name_en = _label(name_ar, "place"), _label(name_en, "place")
    position = geo.point(latitude, longitude)
    selectors.check_in_area(position)
    if Place.objects.filter(Q(name_ar=name_ar) | Q(name_en=name_en)).exists():
        raise DomainError("place_exists", gettext_noop("There is already a place of that name."))
    place = Place.objects.create(
        name_ar=name_ar, name_en=name_en, latitude=position.latitude, longitude=position.longitude
    )
    _audit(actor, "place_added", "place", place.pk, name_en=name_en, position=str(position))
    return place


# --- Requests (the customer) ---------------------------------------------------------------


def tip_money(amount: Decimal | None) -> Money | None:
    if amount is None or amount == 0:
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_TIP:
        raise InvalidInput("bad_tip", gettext_noop("A tip is from 0 to 1000."))
    return Money(amount, current_policy().policy.currency)


@transaction.atomic
def request_trip(
    *,
    actor: User,
    kind: str,
    pickup: geo.Point,
    dropoff: geo.Point,
    pickup_label: str,
    dropoff_label: str,
    method: str,
    tip: Decimal | None = None,
    title: str = "",
    expected_price: Decimal | None = None,
    idempotency_key: str | None = None,
) -> Order:
    """A ride or delivery at the upfront price (``selectors.trip_quote``), waiting for dispatch.

    ``expected_price`` is the price the customer was shown: if the quote has changed since (a
    new policy), the request is refused rather than charged at a price nobody saw.
    """
    if kind not in Trip.Kind.values:
        raise InvalidInput("bad_kind", gettext_noop("A trip is a ride or a delivery."))
    if method not in PaymentMethod.values:
        raise InvalidInput("bad_method", gettext_noop("Pay by cash, bank transfer or wallet."))
    pickup_label, dropoff_label = _label(pickup_label, "pickup"), _label(dropoff_label, "drop-off")
    priced = selectors.trip_quote(pickup=pickup, dropoff=dropoff, tip=tip_money(tip))
    if expected_price is not None and priced.quote.price.amount != expected_price:
        raise DomainError(
            "price_changed",
            gettext_noop("The price is now %(price)s: look at it again before confirming."),
            price=str(priced.quote.price),
        )
    order = market.place(
        customer=actor,
        sector=Sector.TRIP,
        title=title.strip() or f"{pickup_label} → {dropoff_label}"[: market.MAX_TITLE],
        quote=priced.quote,
        hours=_hours(priced.estimate.minutes),
        idempotency_key=idempotency_key,
        trip_kind=kind,
        km=str(priced.estimate.km),
        minutes=str(priced.estimate.minutes),
    )
    if Trip.objects.filter(order=order).exists():  # a retry with the same key
        return order
    Trip.objects.create(
        order=order,
        kind=kind,
        pickup_latitude=pickup.latitude,
        pickup_longitude=pickup.longitude,
        pickup_label=pickup_label,
        dropoff_latitude=dropoff.latitude,
        dropoff_longitude=dropoff.longitude,
        dropoff_label=dropoff_label,
        estimated_km=priced.estimate.km,
        estimated_minutes=priced.estimate.minutes,
        method=method,
    )
    return order


@transaction.atomic
def request_delivery(
    *,
    customer: User,
    pickup: tuple[Decimal, Decimal],
    dropoff: tuple[Decimal, Decimal],
    pickup_label: str,
    dropoff_label: str,
    title: str,
    method: str,
    idempotency_key: str | None = None,
) -> Order:
    """A delivery at the trip price, waiting for dispatch (for other sectors, e.g. a shop's
    order delivered by a member). ``pickup`` and ``dropoff`` are (latitude, longitude)."""
    return request_trip(
        actor=customer,
        kind=Trip.Kind.DELIVERY,
        pickup=geo.point(*pickup),
        dropoff=geo.point(*dropoff),
        pickup_label=pickup_label,
        dropoff_label=dropoff_label,
        method=method,
        title=title,
        idempotency_key=idempotency_key,
    )


def _hours(minutes: Decimal) -> Decimal:
    return (minutes / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- Presence (the worker) -----------------------------------------------------------------


@transaction.atomic
def set_presence(*, actor: User, online: bool, position: geo.Point | None = None) -> Presence:
    """Go online or offline, and say where you are. Positions are not written to the audit
    trail (it is permanent and public to members): only going online or offline is."""
    member = selectors.working_membership(actor)
    presence = Presence.objects.select_for_update().filter(worker=member).first()
    if position is not None:
        selectors.check_in_area(position)
    elif presence is None:
        raise InvalidInput(
            "position_needed", gettext_noop("Say where you are: choose a place or type it.")
        )
    now = timezone.now()
    was_online = presence is not None and presence.online
    if presence is None:
        assert position is not None
        presence = Presence(worker=member)
    if position is not None:
        presence.latitude, presence.longitude = position.latitude, position.longitude
    presence.online, presence.updated_at = online, now
    presence.save()
    if was_online != online:
        _audit(actor, "online" if online else "offline", "member", member.number)
    return presence


# --- Dispatch ------------------------------------------------------------------------------


def maybe_dispatch(*, now: dt.datetime | None = None) -> DispatchRun | None:
    """Expire unanswered offers, then run a batch if the last one is older than the policy's
    ``batch_seconds``. Called by the pages and API calls that wait on dispatch, so no scheduler
    is needed; ``taawun manage dispatch --loop`` keeps a steady clock where one is wanted."""
    now = now or timezone.now()
    expire_offers(now=now)
    return _run_batch(now, only_when_due=True)


def run_dispatch(*, now: dt.datetime | None = None) -> DispatchRun | None:
    """Expire unanswered offers, then offer every REQUESTED trip to the online workers with no
    open trip, in one batch (``taawun.domain.dispatch.assign``). None when another batch is
    running or there was nothing to offer."""
    now = now or timezone.now()
    expire_offers(now=now)
    return _run_batch(now, only_when_due=False)


def _claim_clock() -> DispatchClock | None:
    """The clock row, locked; None when another batch holds it (that batch is running)."""
    DispatchClock.objects.get_or_create(pk=1)
    return DispatchClock.objects.select_for_update(skip_locked=True).filter(pk=1).first()


@transaction.atomic
def expire_offers(*, now: dt.datetime | None = None) -> int:
    """Offers unanswered for ``OFFER_SECONDS`` expire; their trips go back to REQUESTED for
    the next batch (which will not offer them to the same worker). Returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=selectors.OFFER_SECONDS)
    stale = list(
        Offer.objects.filter(status=Offer.Status.OFFERED, offered_at__lte=cutoff).values_list(
            "pk", "trip__order_id", "worker_id"
        )
    )
    if not stale:
        return 0
    orders = {
        o.pk: o
        for o in Order.objects.select_for_update()
        .filter(pk__in=[s[1] for s in stale])
        .order_by("pk")
    }
    expired = 0
    for offer_id, order_id, worker_id in stale:
        if not Offer.objects.filter(pk=offer_id, status=Offer.Status.OFFERED).update(
            status=Offer.Status.EXPIRED, answered_at=now
        ):
            continue  # answered meanwhile
        order = orders[order_id]
        if order.status == Status.OFFERED and order.worker_id == worker_id:
            market.advance(
                order=order,
                actor=None,
                to=Status.REQUESTED,
                allowed_from=[Status.OFFERED],
                event=OrderEvent.Kind.EXPIRED,
                where=Q(worker_id=worker_id),
                data={"offer": offer_id},
                worker=None,
            )
        expired += 1
    return expired


def _patronage(members: Sequence[Membership], today: dt.date) -> dict[int, tuple[Decimal, Decimal]]:
    """Each member's (earnings per active hour, active hours) in the period holding ``today``."""
    rows = Patronage.objects.filter(
        period__starts_on__lte=today, period__ends_on__gte=today, member__in=members
    ).values_list("member_id", "revenue", "hours")
    return {
        member_id: ((revenue / hours) if hours else Decimal(0), hours)
        for member_id, revenue, hours in rows
    }


def _recently_refused(previous_run: dt.datetime | None) -> set[tuple[int, int]]:
    """(order id, member id) pairs declined or expired since the previous batch: the next batch
    does not offer the same trip to the same worker again."""
    refused = Offer.objects.filter(status__in=[Offer.Status.DECLINED, Offer.Status.EXPIRED])
    if previous_run is not None:
        refused = refused.filter(answered_at__gte=previous_run)
    return set(refused.values_list("trip__order_id", "worker_id"))


def _explanation(explained: dispatch.Explanation, solver: str) -> dict[str, object]:
    return {
        "lines": [[line.message, dict(line.params)] for line in explained.lines],
        "pickup_km": explained.pickup_km,
        "fairness_term_km": explained.fairness_term_km,
        "fairness_weight": explained.fairness_weight,
        "fairness_km": explained.fairness_km,
        "total_km": explained.total_km,
        "policy_version": explained.policy_version,
        "nearest_other": explained.nearest_other_id,
        "nearest_other_pickup_km": explained.nearest_other_pickup_km,
        "solver": solver,
    }


def _barred(
    trip_of: dict[int, Trip], by_number: dict[int, Membership], refused: set[tuple[int, int]]
) -> dict[int, set[int]]:
    """Per order id, the member numbers it may not be offered to in this batch: its customer
    and whoever declined it (or let it expire) since the previous batch."""
    barred: dict[int, set[int]] = {}
    for number, member in by_number.items():
        for order_id, trip in trip_of.items():
            if (order_id, member.pk) in refused or trip.order.customer_id == member.user_id:
                barred.setdefault(order_id, set()).add(number)
    return barred


def _inputs(
    trips: Sequence[Trip],
    presences: Sequence[Presence],
    workers: Sequence[dispatch.Worker],
    barred: dict[int, set[int]],
    by_number: dict[int, Membership],
) -> dict[str, object]:
    """What the batch was shown, in columns of plain values (positions as stored, numbers as
    exact decimal strings), workers in the order of their dispatch ids: enough to solve the
    batch again under other rules (``domain.impact.replay_dispatch``)."""
    shown = sorted(zip(workers, presences, strict=True), key=lambda pair: int(pair[0].id))
    return {
        "requests": {
            "order": [t.order_id for t in trips],
            "latitude": [str(t.pickup_latitude) for t in trips],
            "longitude": [str(t.pickup_longitude) for t in trips],
        },
        "workers": {
            "member": [p.worker_id for _w, p in shown],
            "latitude": [str(p.latitude) for _w, p in shown],
            "longitude": [str(p.longitude) for _w, p in shown],
            "hourly_earnings": [str(w.hourly_earnings) for w, _p in shown],
            "active_hours": [str(w.active_hours) for w, _p in shown],
        },
        "barred": sorted(
            [order_id, by_number[number].pk]
            for order_id, numbers in barred.items()
            for number in numbers
        ),
    }


@transaction.atomic
def _run_batch(now: dt.datetime, *, only_when_due: bool) -> DispatchRun | None:
    clock = _claim_clock()
    if clock is None:
        return None  # another batch is running
    current = current_policy()
    rules = current.policy.dispatch
    previous = clock.last_run_at
    if (
        only_when_due
        and previous is not None
        and now - previous < dt.timedelta(seconds=rules.batch_seconds)
    ):
        return None
    clock.last_run_at = now
    clock.save(update_fields=["last_run_at"])
    trips = list(
        Trip.objects.filter(order__status=Status.REQUESTED, order__sector=Sector.TRIP)
        .select_related("order")
        .order_by("order_id")[:MAX_BATCH]
    )
    if not trips:
        return None
    locked_presences = list(
        selectors.free_workers(current.policy)
        .select_for_update(of=("self",))
        .select_related("worker")
        .order_by("pk")[:MAX_BATCH]
    )
    busy_now = set(selectors.busy_workers())  # again, now the rows are locked
    presences = [p for p in locked_presences if p.worker_id not in busy_now]
    if not presences:
        return None
    origin = geo.centre(
        [selectors.pickup_of(t) for t in trips] + [selectors.position_of(p) for p in presences]
    )
    assert origin is not None
    request_xy = geo.local_plane([selectors.pickup_of(t) for t in trips], origin)
    worker_xy = geo.local_plane([selectors.position_of(p) for p in presences], origin)
    earnings = _patronage([p.worker for p in presences], timezone.localdate(now))
    requests = [
        dispatch.Request(id=t.order_id, x=x, y=y)
        for t, (x, y) in zip(trips, request_xy, strict=True)
    ]
    workers = [
        dispatch.Worker(
            id=p.worker.number,
            x=x,
            y=y,
            hourly_earnings=earnings.get(p.worker_id, (Decimal(0), Decimal(0)))[0],
            active_hours=earnings.get(p.worker_id, (Decimal(0), Decimal(0)))[1],
        )
        for p, (x, y) in zip(presences, worker_xy, strict=True)
    ]
    by_number = {p.worker.number: p.worker for p in presences}
    trip_of = {t.order_id: t for t in trips}
    barred = _barred(trip_of, by_number, _recently_refused(previous))
    chosen, solver = dispatch.assign_avoiding(
        rules, current.number, requests, workers, barred=barred
    )
    locked = {
        o.pk: o
        for o in Order.objects.select_for_update()
        .filter(pk__in=[a.request_id for a in chosen])
        .order_by("pk")
    }
    chosen = [a for a in chosen if locked[int(a.request_id)].status == Status.REQUESTED]
    run = DispatchRun.objects.create(
        at=now,
        solver=solver,
        requests=len(trips),
        workers=len(presences),
        assigned=len(chosen),
        policy_version=current.number,
        pickup_km=Decimal(repr(round(sum(a.explanation.pickup_km for a in chosen), 3))),
        inputs=_inputs(trips, presences, workers, barred, by_number),
    )
    offered = []
    for assignment in sorted(chosen, key=lambda a: int(a.request_id)):
        order = locked[int(assignment.request_id)]
        worker = by_number[int(assignment.worker_id)]
        offer = Offer.objects.create(
            trip=trip_of[order.pk],
            worker=worker,
            run=run,
            explanation=_explanation(assignment.explanation, solver),
            offered_at=now,
        )
        market.advance(
            order=order,
            actor=None,
            to=Status.OFFERED,
            allowed_from=[Status.REQUESTED],
            event=OrderEvent.Kind.OFFERED,
            where=Q(worker__isnull=True),
            data={"offer": offer.pk, "run": run.pk, "worker": worker.number},
            worker=worker,
        )
        link = reverse("market:order", args=[order.pk])
        offered.append((worker.user_id, {"order": order.pk, "offer": offer.pk}, link))
    notify_each(kind=Notice.TRIP_OFFERED, notes=offered)  # one insert for the whole batch
    _audit(
        None,
        "dispatch",
        "dispatch_run",
        run.pk,
        solver=run.solver,
        requests=run.requests,
        workers=run.workers,
        assigned=run.assigned,
    )
    return run


# --- The worker's answers and the trip's life ------------------------------------------------


_TRIP_ORDER = Prepared(
    lambda order_id: Order.objects.select_related("trip", "worker", "customer").filter(
        pk=order_id, sector=Sector.TRIP
    )
)


def _trip_order(order_id: int) -> Order:
    """A trip's order by id (its parties are checked by the caller)."""
    order = (
        _TRIP_ORDER.first(order_id)
        if isinstance(order_id, int) and 0 < order_id <= market.MAX_ID
        else None
    )
    if order is None or not hasattr(order, "trip"):
        raise NotFound("not_found", gettext_noop("No such order."))
    return order


def _offer_to(order: Order, member: Membership, now: dt.datetime) -> Offer:
    offer = (
        Offer.objects.filter(trip__order=order, worker=member)
        .order_by("-offered_at", "-id")
        .first()
    )
    if offer is None:
        raise NotAllowed("not_offered_to_you", gettext_noop("This trip was not offered to you."))
    if offer.status != Offer.Status.OFFERED:
        raise DomainError(
            "offer_closed",
            gettext_noop("This offer is no longer open: it was %(status)s."),
            status=str(Offer.Status(offer.status).label),
        )
    if now - offer.offered_at >= dt.timedelta(seconds=selectors.OFFER_SECONDS):
        raise DomainError("offer_expired", gettext_noop("This offer has expired."))
    return offer


@transaction.atomic
def accept_offer(*, actor: User, order_id: int) -> Order:
    """The offered worker takes the trip (OFFERED → CONFIRMED); of two people acting on one
    trip at once (another worker taking it, the customer cancelling) exactly one wins."""
    order = _trip_order(order_id)
    member = selectors.working_membership(actor)
    now = timezone.now()
    offer = _offer_to(order, member, now)
    order = market.advance(
        order=order,
        actor=actor,
        to=Status.CONFIRMED,
        allowed_from=[Status.OFFERED],
        event=OrderEvent.Kind.CONFIRMED,
        where=Q(worker=member),
        data={"offer": offer.pk},
    )
    Offer.objects.filter(pk=offer.pk, status=Offer.Status.OFFERED).update(
        status=Offer.Status.ACCEPTED, answered_at=now
    )
    return order


@transaction.atomic
def decline_offer(*, actor: User, order_id: int) -> Order:
    """The offered worker says no (OFFERED → REQUESTED): the trip goes to the next batch, which
    will not offer it to them again.

    A decline costs nothing unless the members have set ``dispatch.decline_counts_against``: then
    it is marked as counted, and the worker's count of counted declines is shown to them and to
    the board. Counting is a record for the members to discuss; it is never an input to dispatch
    or to pay (the dispatcher sees positions, earnings and hours only).
    """
    order = _trip_order(order_id)
    member = selectors.working_membership(actor)
    now = timezone.now()
    offer = _offer_to(order, member, now)
    counts = current_policy().policy.dispatch.decline_counts_against
    order = market.advance(
        order=order,
        actor=actor,
        to=Status.REQUESTED,
        allowed_from=[Status.OFFERED],
        event=OrderEvent.Kind.DECLINED,
        where=Q(worker=member),
        data={"offer": offer.pk, "counted": counts},
        worker=None,
    )
    Offer.objects.filter(pk=offer.pk, status=Offer.Status.OFFERED).update(
        status=Offer.Status.DECLINED, answered_at=now, counts_against=counts
    )
    return order


@transaction.atomic
def take_trip(*, actor: User, order_id: int) -> Order:
    """An online worker takes an open (REQUESTED) trip within reach directly, without waiting
    for a batch (REQUESTED → CONFIRMED)."""
    order = _trip_order(order_id)
    member = selectors.working_membership(actor)
    presence = Presence.objects.select_for_update().filter(worker=member).first()
    if presence is None or not presence.online:
        raise DomainError("not_online", gettext_noop("Go online, with your position, first."))
    if order.customer_id == actor.pk:
        raise DomainError("own_trip", gettext_noop("You cannot take your own trip."))
    if Order.objects.filter(worker=member, sector=Sector.TRIP, status__in=selectors.BUSY).exists():
        raise DomainError(
            "already_busy", gettext_noop("Finish or answer your open trip before taking another.")
        )
    reach = current_policy().policy.dispatch.max_pickup_km
    pickup = selectors.pickup_of(selectors.trip_of(order))
    km = geo.haversine_km(selectors.position_of(presence), pickup)
    if km > float(reach):
        raise DomainError(
            "too_far",
            gettext_noop("The pickup is %(km)s km away, beyond the reach of %(reach)s km."),
            km=f"{km:.1f}",
            reach=f"{reach:g}",
        )
    return market.advance(
        order=order,
        actor=actor,
        to=Status.CONFIRMED,
        allowed_from=[Status.REQUESTED],
        event=OrderEvent.Kind.CONFIRMED,
        where=Q(worker__isnull=True),
        data={"taken": True, "pickup_km": f"{km:.1f}"},
        worker=member,
    )


def _own_trip(actor: User, order_id: int) -> tuple[Order, Membership]:
    order = _trip_order(order_id)
    market.require_party(actor, order, worker=True)
    assert order.worker is not None
    return order, order.worker


@transaction.atomic
def pick_up(*, actor: User, order_id: int) -> Order:
    """The worker has picked up the passenger or the parcel (CONFIRMED → IN_PROGRESS)."""
    order, member = _own_trip(actor, order_id)
    return market.advance(
        order=order,
        actor=actor,
        to=Status.IN_PROGRESS,
        allowed_from=[Status.CONFIRMED],
        event=OrderEvent.Kind.STARTED,
        where=Q(worker=member),
    )


def _measured(value: Decimal | int, most: Decimal, places: int, code: str, message: str) -> Decimal:
    value = Decimal(value)
    if not value.is_finite() or value < 0 or value > most:
        raise InvalidInput(code, message, most=str(most))
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@transaction.atomic
def complete_trip(
    *,
    actor: User,
    order_id: int,
    km: Decimal | int,
    minutes: Decimal | int,
    idempotency_key: str | None = None,
) -> Order:
    """The worker has arrived (IN_PROGRESS → COMPLETED) and records the actual distance and
    time; the upfront price stands. The customer's payment (by the method and with the tip they
    chose) goes into the books. With a key, a resent form returns the completed order."""
    key = (idempotency_key or "").strip()[:120]
    km = _measured(km, MAX_ACTUAL_KM, 1, "bad_km", gettext_noop("Give the km, from 0 to %(most)s."))
    minutes = _measured(
        minutes,
        MAX_ACTUAL_MINUTES,
        0,
        "bad_minutes",
        gettext_noop("Give the minutes, from 0 to %(most)s."),
    )
    order, member = _own_trip(actor, order_id)
    if (
        key
        and order.status == Status.COMPLETED
        and order.events.filter(kind=OrderEvent.Kind.COMPLETED, data__key=key).exists()
    ):
        return order
    order = market.advance(
        order=order,
        actor=actor,
        to=Status.COMPLETED,
        allowed_from=[Status.IN_PROGRESS],
        event=OrderEvent.Kind.COMPLETED,
        where=Q(worker=member),
        data={"km": str(km), "minutes": str(minutes), "key": key},
        hours=_hours(minutes),
    )
    trip = selectors.trip_of(order)
    trip.actual_km, trip.actual_minutes = km, minutes
    trip.save(update_fields=["actual_km", "actual_minutes"])
    market.take_payment(
        order=order, actor=actor, method=trip.method, tip=Money(order.tip, order.currency)
    )
    return order


@transaction.atomic
def cancel_trip(*, actor: User, order_id: int) -> Order:
    """The customer (or the board) cancels before pickup, at no charge: nothing has been paid
    yet. A live offer is withdrawn."""
    order = _trip_order(order_id)
    market.require_party(actor, order, customer=True, board=True)
    order = market.advance(
        order=order,
        actor=actor,
        to=Status.CANCELLED,
        allowed_from=[Status.REQUESTED, Status.OFFERED, Status.CONFIRMED],
        event=OrderEvent.Kind.CANCELLED,
    )
    Offer.objects.filter(trip__order=order, status=Offer.Status.OFFERED).update(
        status=Offer.Status.WITHDRAWN, answered_at=timezone.now()
    )
    return order
