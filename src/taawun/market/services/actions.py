"""Every write of the services sector: the board's services, a worker's weekly availability, and
a booking's life (book, confirm or decline, start, complete and pay, move, cancel).

Order changes go through ``market.actions`` (an event and an audit entry each); the booking rows
change in the same transaction, so a refusal leaves nothing behind.

Two bookings of one worker's time: every action that gives a worker a time first locks that
worker's membership row (``FOR NO KEY UPDATE``), then checks for an overlapping live booking; so
of two customers booking the same slot at once, the second waits, sees the first booking and is
refused. On PostgreSQL an exclusion constraint (migration 0002) guards the same rule.

"Any worker": of the working members available and free for the whole slot, the one with the
fewest hours booked in that week (Monday to Sunday) gets it; a tie goes to the lower member
number. Hours, not ratings: ratings are shown with the service and never decide who gets work.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy, policy_number
from taawun.domain.errors import DomainError, InvalidInput, NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.domain.pricing import quote_agreed, quote_service
from taawun.market import actions as market
from taawun.market.models import Order, OrderEvent, Sector, Status
from taawun.members.models import Membership, PaymentMethod
from taawun.notifications.actions import moment, notify
from taawun.notifications.models import Kind as Notice
from taawun.transparency.audit import record

from . import selectors
from .models import (
    LONGEST_MINUTES,
    MINUTE_STEP,
    SHORTEST_MINUTES,
    Availability,
    Booking,
    Service,
)

MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_WINDOWS = 50
MAX_NOTE = 500
MAX_NUMBER = 2**31 - 1


def _audit(actor: User, action: str, subject_type: str, subject_id: object, **after: Any) -> None:
    record(
        actor_id=actor.pk,
        action=f"services.{action}",
        subject_type=subject_type,
        subject_id=subject_id,
        policy_version=current_policy().number,
        after=after,
    )


# --- The board's services ------------------------------------------------------------------


def _service_fields(
    title_ar: str, title_en: str, description: str, duration_minutes: int
) -> dict[str, Any]:
    title_ar, title_en, description = title_ar.strip(), title_en.strip(), description.strip()
    if not title_ar or not title_en or max(len(title_ar), len(title_en)) > MAX_TITLE:
        raise InvalidInput(
            "bad_title",
            gettext_noop("Give the title in Arabic and in English, each up to 200 characters."),
        )
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            "description_too_long", gettext_noop("The description is too long (2000 at most).")
        )
    if (
        not SHORTEST_MINUTES <= duration_minutes <= LONGEST_MINUTES
        or duration_minutes % MINUTE_STEP
    ):
        raise InvalidInput(
            "bad_duration",
            gettext_noop(
                "The duration is from %(shortest)s to %(longest)s minutes, in steps of "
                "%(step)s minutes."
            ),
            shortest=str(SHORTEST_MINUTES),
            longest=str(LONGEST_MINUTES),
            step=str(MINUTE_STEP),
        )
    return {
        "title_ar": title_ar,
        "title_en": title_en,
        "description": description,
        "duration_minutes": duration_minutes,
    }


@transaction.atomic
def create_service(
    *,
    actor: User,
    title_ar: str,
    title_en: str,
    duration_minutes: int,
    description: str = "",
    active: bool = True,
) -> Service:
    require_role(actor, Role.BOARD)
    fields = _service_fields(title_ar, title_en, description, duration_minutes)
    service = Service.objects.create(active=active, **fields)
    _audit(actor, "service_added", "service", service.pk, active=active, **fields)
    return service


@transaction.atomic
def update_service(
    *,
    actor: User,
    service_id: int,
    title_ar: str,
    title_en: str,
    duration_minutes: int,
    description: str = "",
    active: bool = True,
) -> Service:
    """Change a service; bookings already made keep their time and price."""
    require_role(actor, Role.BOARD)
    service = selectors.service_or_404(service_id, offered_only=False)
    fields = _service_fields(title_ar, title_en, description, duration_minutes)
    Service.objects.filter(pk=service.pk).update(active=active, **fields)
    service.refresh_from_db()
    _audit(actor, "service_changed", "service", service.pk, active=active, **fields)
    return service


# --- A worker's week -----------------------------------------------------------------------


def _my_working_membership(actor: User) -> Membership:
    return market.working_member(selectors.my_membership(actor))


def _checked_windows(
    windows: Iterable[tuple[int, dt.time, dt.time]],
) -> list[tuple[int, dt.time, dt.time]]:
    """Windows that are real (a weekday, opening before closing) and do not overlap."""
    checked = sorted(windows)
    if len(checked) > MAX_WINDOWS:
        raise InvalidInput(
            "too_many_windows",
            gettext_noop("At most %(count)s windows a week."),
            count=str(MAX_WINDOWS),
        )
    for weekday, starts, ends in checked:
        if not 0 <= weekday <= 6:
            raise InvalidInput("bad_weekday", gettext_noop("Choose a day of the week."))
        if starts >= ends:
            raise InvalidInput(
                "window_backwards", gettext_noop("A window must end after it starts.")
            )
    for (day, _starts, ends), (next_day, next_starts, _ends) in itertools.pairwise(checked):
        if day == next_day and next_starts < ends:
            raise InvalidInput(
                "windows_overlap",
                gettext_noop("Two windows on the same day overlap; join them into one."),
            )
    return checked


def _windows_of(worker: Membership) -> list[tuple[int, dt.time, dt.time]]:
    return list(Availability.objects.filter(worker=worker).values_list("weekday", "starts", "ends"))


def _described(windows: Iterable[tuple[int, dt.time, dt.time]]) -> list[str]:
    """Windows as the audit trail keeps them: "<weekday> HH:MM-HH:MM", Monday being 0."""
    return [f"{day} {starts:%H:%M}-{ends:%H:%M}" for day, starts, ends in windows]


@transaction.atomic
def add_window(*, actor: User, weekday: int, starts: dt.time, ends: dt.time) -> Availability:
    """One more weekly window in which the worker takes bookings."""
    worker = _my_working_membership(actor)
    _checked_windows([*_windows_of(worker), (weekday, starts, ends)])
    window = Availability.objects.create(worker=worker, weekday=weekday, starts=starts, ends=ends)
    _audit(
        actor, "window_added", "membership", worker.number, windows=_described(_windows_of(worker))
    )
    return window


@transaction.atomic
def remove_window(*, actor: User, window_id: int) -> None:
    """Remove one of the worker's own windows; bookings already made stay."""
    window = (
        Availability.objects.filter(pk=window_id, worker__user=actor).first()
        if 0 < window_id <= market.MAX_ID
        else None
    )
    if window is None:
        raise NotFound("not_found", gettext_noop("No such window."))
    worker = window.worker
    window.delete()
    _audit(
        actor,
        "window_removed",
        "membership",
        worker.number,
        windows=_described(_windows_of(worker)),
    )


@transaction.atomic
def set_availability(
    *, actor: User, windows: Sequence[tuple[int, dt.time, dt.time]]
) -> list[Availability]:
    """Replace the worker's whole week with ``windows``."""
    worker = _my_working_membership(actor)
    checked = _checked_windows(windows)
    Availability.objects.filter(worker=worker).delete()
    made = Availability.objects.bulk_create(
        Availability(worker=worker, weekday=day, starts=starts, ends=ends)
        for day, starts, ends in checked
    )
    _audit(actor, "week_set", "membership", worker.number, windows=_described(checked))
    return made


# --- Booking -------------------------------------------------------------------------------


def _slot_start(starts_at: dt.datetime) -> dt.datetime:
    if timezone.is_naive(starts_at):
        raise InvalidInput("naive_time", gettext_noop("Give the time with its time zone."))
    if starts_at <= timezone.now():
        raise InvalidInput(
            "slot_in_past", gettext_noop("That time has passed; choose a later slot.")
        )
    selectors.bookable_day(timezone.localdate(starts_at))
    return starts_at


def _member_by_number(number: int) -> Membership:
    member = (
        Membership.objects.filter(number=number).exclude(status=Membership.Status.LEFT).first()
        if 0 < number <= MAX_NUMBER
        else None
    )
    if member is None:
        raise InvalidInput("no_such_worker", gettext_noop("There is no member with that number."))
    return member


def _available(worker: Membership, service: Service, starts_at: dt.datetime) -> bool:
    day = timezone.localdate(starts_at)
    windows = Availability.objects.filter(worker=worker, weekday=day.weekday())
    return starts_at in selectors.starts_within(windows, day, service.duration_minutes)


def _candidates(
    *, customer: User, service: Service, starts_at: dt.datetime, worker_number: int | None
) -> list[Membership]:
    """Who could take the slot: the named worker (refused if they do not work then), or every
    working member available for it."""
    if worker_number is not None:
        worker = market.working_member(_member_by_number(worker_number))
        if worker.user_id == customer.pk:
            raise InvalidInput("own_booking", gettext_noop("You cannot book yourself."))
        if not _available(worker, service, starts_at):
            raise InvalidInput(
                "outside_availability",
                gettext_noop("This worker does not take bookings at that time."),
            )
        return [worker]
    day = timezone.localdate(starts_at)
    workers = (
        selectors.working_members()
        .filter(service_hours__weekday=day.weekday())
        .exclude(user=customer)
        .distinct()
    )
    available = [w for w in workers if _available(w, service, starts_at)]
    if not available:
        raise InvalidInput(
            "outside_availability", gettext_noop("Nobody takes bookings at that time.")
        )
    return available


def _locked(workers: Sequence[Membership]) -> list[Membership]:
    """Lock the workers' rows, always in the same order, so two bookings never deadlock."""
    return list(
        Membership.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=[w.pk for w in workers])
        .order_by("pk")
    )


def _fairest_free(
    workers: Sequence[Membership],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    moving: Booking | None = None,
) -> Membership:
    """The free worker with the fewest hours booked in the slot's week (then the lowest number);
    called with the workers locked."""
    taken = Booking.objects.filter(selectors.clashing([w.pk for w in workers], starts_at, ends_at))
    if moving is not None:
        taken = taken.exclude(pk=moving.pk)
    busy = set(taken.values_list("worker_id", flat=True))
    free = [w for w in workers if w.pk not in busy]
    if not free:
        raise DomainError(
            "slot_taken",
            gettext_noop("This slot has just been booked by someone else; choose another."),
        )
    hours = selectors.hours_booked_in_week([w.pk for w in free], starts_at)
    return min(free, key=lambda w: (hours[w.pk], w.number))


def _checked_method(method: str) -> str:
    if method not in PaymentMethod.values:
        raise InvalidInput(
            "bad_method", gettext_noop("Choose cash, bank transfer or mobile wallet.")
        )
    return method


def _checked_tip(tip: Money | None, currency: str) -> Money | None:
    if tip is None or tip.is_zero:
        return None
    if tip.currency != currency or tip.amount < 0:
        raise InvalidInput("bad_tip", gettext_noop("A tip is a positive amount."))
    return tip


def _earlier_booking(customer: User, key: str | None) -> Booking | None:
    """The booking an earlier request with the same key made (keys are scoped to the customer,
    as ``market.actions.place`` scopes them)."""
    scoped = market.scoped_key(customer, key)
    if scoped is None:
        return None
    return Booking.objects.filter(order__customer=customer, order__idempotency_key=scoped).first()


@transaction.atomic
def book(
    *,
    actor: User,
    service_id: int,
    starts_at: dt.datetime,
    method: str,
    worker_number: int | None = None,
    tip: Money | None = None,
    idempotency_key: str | None = None,
) -> Order:
    """Book a service at a free slot, with a named worker or the fairest free one: an order at
    the Policy's price for the duration, waiting for the worker's confirmation. A retry with the
    same idempotency key returns the first booking."""
    service = selectors.service_or_404(service_id)
    method = _checked_method(method)
    current = current_policy()
    tip = _checked_tip(tip, current.policy.currency)
    starts_at = _slot_start(starts_at)
    ends_at = starts_at + dt.timedelta(minutes=service.duration_minutes)
    candidates = _candidates(
        customer=actor, service=service, starts_at=starts_at, worker_number=worker_number
    )
    locked = _locked(candidates)
    earlier = _earlier_booking(actor, idempotency_key)
    if earlier is not None:
        if earlier.service_id != service.pk or earlier.starts_at != starts_at:
            raise DomainError(
                "idempotency_conflict",
                gettext_noop("This key was already used for a different request."),
            )
        return earlier.order
    worker = _fairest_free(locked, starts_at, ends_at)
    hours = Decimal(service.duration_minutes) / 60
    quote = quote_service(
        policy=current.policy, policy_version=current.number, hours=hours, tip=tip
    )
    order = market.place(
        customer=actor,
        sector=Sector.SERVICE,
        title=service.order_title,
        quote=quote,
        hours=hours,
        worker=worker,
        starts_at=starts_at,
        idempotency_key=idempotency_key,
        service=service.pk,
        method=method,
        named_worker=worker_number is not None,
    )
    booking = Booking(
        order=order,
        service=service,
        worker=worker,
        starts_at=starts_at,
        ends_at=ends_at,
        method=method,
    )
    _hold(booking)
    _tell(Notice.BOOKING_REQUESTED, booking, actor)
    return order


def _tell(kind: str, booking: Booking, actor: User, *, worker: Membership | None = None) -> None:
    """Tell the booking's worker (or ``worker``) and its customer, except whoever acted."""
    payload = {"order": booking.order_id, "starts": moment(booking.starts_at)}
    link = reverse("market:order", args=[booking.order_id])
    worker = worker or booking.worker
    for recipient in (worker.user_id, booking.order.customer_id):
        notify(recipient=recipient, kind=kind, payload=payload, link=link, actor=actor)


def _hold(booking: Booking) -> None:
    """Save a booking that takes a worker's time; the database's word on overlaps is final."""
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        raise DomainError(
            "slot_taken",
            gettext_noop("This slot has just been booked by someone else; choose another."),
        ) from exc


# --- A booking's life ----------------------------------------------------------------------


def _booking_for(actor: User, order_id: int) -> Booking:
    return selectors.booking_or_404(actor, order_id)


def _move(
    booking: Booking,
    actor: User,
    *,
    to: Status,
    allowed: Sequence[Status],
    event: OrderEvent.Kind,
    note: str = "",
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> Order:
    """Move the booking's order from the status the actor saw, if that status allows it: when
    two people act at once on the same state, exactly one succeeds."""
    seen = booking.order.status
    if seen not in allowed:
        raise DomainError(
            "order_changed",
            gettext_noop("This order cannot do that now: it is %(status)s."),
            status=Status(seen).label,
        )
    return market.advance(
        order=booking.order,
        actor=actor,
        to=to,
        allowed_from=[Status(seen)],
        event=event,
        note=note,
        data=data,
        **changes,
    )


@transaction.atomic
def confirm(*, actor: User, order_id: int) -> Order:
    """The worker (or the board) commits to the booked time."""
    booking = _booking_for(actor, order_id)
    market.require_party(actor, booking.order, worker=True, board=True)
    order = _move(
        booking,
        actor,
        to=Status.CONFIRMED,
        allowed=[Status.REQUESTED],
        event=OrderEvent.Kind.CONFIRMED,
    )
    _tell(Notice.BOOKING_CONFIRMED, booking, actor)
    return order


@transaction.atomic
def decline(*, actor: User, order_id: int, reason: str = "") -> Order:
    """The worker (or the board) cannot do it: the order is cancelled at no cost to the
    customer, who sees why on the order's page."""
    booking = _booking_for(actor, order_id)
    market.require_party(actor, booking.order, worker=True, board=True)
    order = _move(
        booking,
        actor,
        to=Status.CANCELLED,
        allowed=[Status.REQUESTED, Status.CONFIRMED],
        event=OrderEvent.Kind.DECLINED,
        note=reason.strip()[:MAX_NOTE],
        data={"fee": "0"},
    )
    Booking.objects.filter(pk=booking.pk).update(active=False)
    _tell(Notice.BOOKING_CANCELLED, booking, actor)
    return order


@transaction.atomic
def start(*, actor: User, order_id: int) -> Order:
    booking = _booking_for(actor, order_id)
    market.require_party(actor, booking.order, worker=True, board=True)
    return _move(
        booking,
        actor,
        to=Status.IN_PROGRESS,
        allowed=[Status.CONFIRMED],
        event=OrderEvent.Kind.STARTED,
    )


@transaction.atomic
def complete(*, actor: User, order_id: int, tip: Money | None = None) -> Order:
    """The work is done: the customer's payment, by the booked method (with the tip given at
    booking, or the one the worker enters now), goes into the books."""
    booking = _booking_for(actor, order_id)
    market.require_party(actor, booking.order, worker=True, board=True)
    tip = _checked_tip(tip, booking.order.currency)
    order = _move(
        booking,
        actor,
        to=Status.COMPLETED,
        allowed=[Status.IN_PROGRESS],
        event=OrderEvent.Kind.COMPLETED,
    )
    market.take_payment(order=order, actor=actor, method=booking.method, tip=tip)
    return order


def _refuse_if_late(booking: Booking) -> None:
    if not selectors.may_move(booking):
        raise DomainError(
            "too_late_to_move",
            gettext_noop(
                "A booking can be moved only up to %(hours)s hours before it starts, so that "
                "the worker can plan; this one starts sooner. You can still cancel it (a "
                "late-cancellation fee applies)."
            ),
            hours=str(selectors.late_window(booking.order)),
        )


@transaction.atomic
def reschedule(
    *, actor: User, order_id: int, starts_at: dt.datetime, worker_number: int | None = None
) -> Order:
    """The customer moves the booking to another free slot (with a named worker or the fairest
    free one), at least the late window before its current start; the worker confirms again."""
    booking = _booking_for(actor, order_id)
    market.require_party(actor, booking.order, customer=True)
    if booking.order.status not in (Status.REQUESTED, Status.CONFIRMED):
        raise DomainError(
            "order_changed",
            gettext_noop("This order cannot do that now: it is %(status)s."),
            status=Status(booking.order.status).label,
        )
    _refuse_if_late(booking)
    starts_at = _slot_start(starts_at)
    ends_at = starts_at + dt.timedelta(minutes=booking.service.duration_minutes)
    candidates = _candidates(
        customer=actor, service=booking.service, starts_at=starts_at, worker_number=worker_number
    )
    worker = _fairest_free(_locked(candidates), starts_at, ends_at, moving=booking)
    order = _move(
        booking,
        actor,
        to=Status.REQUESTED,
        allowed=[Status.REQUESTED, Status.CONFIRMED],
        event=OrderEvent.Kind.RESCHEDULED,
        data={
            "from": booking.starts_at.isoformat(),
            "to": starts_at.isoformat(),
            "worker": worker.number,
        },
        starts_at=starts_at,
        worker=worker,
    )
    before, was = booking.worker, booking.starts_at
    booking.starts_at, booking.ends_at, booking.worker = starts_at, ends_at, worker
    _hold(booking)
    _tell(Notice.BOOKING_RESCHEDULED, booking, actor)
    if before.pk != worker.pk:  # the worker it was booked with no longer has it
        notify(
            recipient=before.user_id,
            kind=Notice.BOOKING_CANCELLED,
            payload={"order": booking.order_id, "starts": moment(was)},
            link=reverse("market:order", args=[booking.order_id]),
            actor=actor,
        )
    return order


def _late_fee_title(order_id: int) -> str:
    """In Arabic and English, as a service's orders are titled, so both parties read theirs."""
    words = []
    for language in ("ar", "en"):
        with translation.override(language):
            words.append(
                translation.gettext("Late cancellation fee for #%(number)s") % {"number": order_id}
            )
    return " · ".join(words)


@transaction.atomic
def cancel(*, actor: User, order_id: int) -> Order:
    """The customer cancels. Before the late window it is free; inside it, the fee the policy
    sets (under the version the booking was made under) is charged as its own completed order
    for the booked worker, paid by the booked method, so the worker's time is paid for."""
    booking = _booking_for(actor, order_id)
    market.require_party(actor, booking.order, customer=True)
    fee = selectors.cancellation_fee(booking.order, booking.starts_at)
    order = _move(
        booking,
        actor,
        to=Status.CANCELLED,
        allowed=[Status.REQUESTED, Status.CONFIRMED],
        event=OrderEvent.Kind.CANCELLED,
        data={"fee": str(fee.amount)},
    )
    booking.active = False
    if not fee.is_zero:
        version = order.policy_version
        fee_order = market.place(
            customer=actor,
            sector=Sector.SERVICE,
            title=_late_fee_title(order.pk),
            quote=quote_agreed(policy=policy_number(version), policy_version=version, price=fee),
            worker=booking.worker,
            status=Status.COMPLETED,
            late_fee_for=order.pk,
        )
        market.take_payment(order=fee_order, actor=actor, method=booking.method)
        booking.late_fee = fee_order
    booking.save(update_fields=["active", "late_fee"])
    _tell(Notice.BOOKING_CANCELLED, booking, actor)
    return order
