"""Reads of the services sector: the catalogue with prices and open ratings, the free slots of a
day, a worker's week and bookings, and what each party may do with a booking now.

Times are the co-op's local time (``TIME_ZONE``): a window "Monday 08:00-12:00" means those
hours on the clock in Ramallah, whatever the offset that day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import has_role, require_role
from taawun.coop.selectors import current_policy, policy_number
from taawun.domain.errors import InvalidInput, NotFound, gettext_noop
from taawun.domain.money import Money
from taawun.domain.policy import Policy
from taawun.domain.pricing import late_cancellation_fee, quote_service
from taawun.market.actions import MAX_ID
from taawun.market.models import Order, Rating, Status
from taawun.members.models import Membership

from .models import Availability, Booking, Service

SLOT_STEP = dt.timedelta(minutes=30)
HORIZON_DAYS = 180  # how far ahead a customer may book
LATEST_COMMENTS = 3
LIVE = (Status.REQUESTED, Status.CONFIRMED, Status.IN_PROGRESS)


# --- Time ----------------------------------------------------------------------------------


def at_local(day: dt.date, time: dt.time) -> dt.datetime:
    """``time`` on ``day`` on the co-op's clock, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def hours_before(starts_at: dt.datetime, now: dt.datetime) -> Decimal:
    """Hours from ``now`` to ``starts_at`` (negative once it has begun), exactly."""
    return Decimal((starts_at - now) // dt.timedelta(microseconds=1)) / Decimal(3_600_000_000)


def bookable_day(day: dt.date) -> dt.date:
    """``day`` if a customer may book on it: from today to HORIZON_DAYS ahead."""
    today = timezone.localdate()
    if day < today:
        raise InvalidInput("date_in_past", gettext_noop("That day has passed; choose another."))
    if day > today + dt.timedelta(days=HORIZON_DAYS):
        raise InvalidInput(
            "date_too_far",
            gettext_noop("Bookings open at most %(days)s days ahead; choose an earlier day."),
            days=str(HORIZON_DAYS),
        )
    return day


def starts_within(windows: Iterable[Availability], day: dt.date, minutes: int) -> list[dt.datetime]:
    """Every start, in SLOT_STEP steps from each window's opening, at which ``minutes`` of work
    still ends inside the window."""
    length = dt.timedelta(minutes=minutes)
    starts: set[dt.datetime] = set()
    for window in windows:
        start, closes = at_local(day, window.starts), at_local(day, window.ends)
        while start + length <= closes:
            starts.add(start)
            start += SLOT_STEP
    return sorted(starts)


def clashing(worker_ids: Iterable[int], starts_at: dt.datetime, ends_at: dt.datetime) -> Q:
    """Live bookings of these workers that overlap [starts_at, ends_at)."""
    return Q(
        worker_id__in=list(worker_ids),
        active=True,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )


# --- Services and prices -------------------------------------------------------------------


def service_price(service: Service, policy: Policy, version: int) -> Money:
    """The Policy's price for the service's duration (the hourly rate, at least the minimum)."""
    hours = Decimal(service.duration_minutes) / 60
    return quote_service(policy=policy, policy_version=version, hours=hours).price


def service_price_now(service: Service) -> Money:
    current = current_policy()
    return service_price(service, current.policy, current.number)


def service_or_404(service_id: int | str, *, offered_only: bool = True) -> Service:
    try:
        number = int(service_id)
    except (TypeError, ValueError):
        number = 0
    found = (
        Service.objects.filter(pk=number, **({"active": True} if offered_only else {})).first()
        if 0 < number <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound("no_such_service", gettext_noop("No such service."))
    return found


@dataclass(frozen=True)
class Comment:
    stars: int
    text: str
    at: dt.datetime


@dataclass(frozen=True)
class Card:
    """A service as the catalogue shows it: its price now and its open ratings."""

    service: Service
    price: Money
    rating_count: int = 0
    rating_average: Decimal | None = None
    comments: list[Comment] = field(default_factory=list)


def catalogue(*, offered_only: bool = True) -> list[Card]:
    """The services (offered ones, or all for the board) with price and ratings."""
    current = current_policy()
    services = list(Service.objects.filter(active=True) if offered_only else Service.objects.all())
    ids = [s.pk for s in services]
    summary = {
        row["order__booking__service"]: row
        for row in Rating.objects.filter(order__booking__service__in=ids)
        .values("order__booking__service")
        .annotate(average=Avg("stars"), count=Count("id"))
        .order_by()
    }
    comments: dict[int, list[Comment]] = defaultdict(list)
    for service in services:
        comments[service.pk] = [
            Comment(stars, text, at)
            for stars, text, at in Rating.objects.filter(order__booking__service=service)
            .exclude(comment="")
            .order_by("-rated_at", "-id")
            .values_list("stars", "comment", "rated_at")[:LATEST_COMMENTS]
        ]
    cards = []
    for service in services:
        row = summary.get(service.pk)
        cards.append(
            Card(
                service=service,
                price=service_price(service, current.policy, current.number),
                rating_count=row["count"] if row else 0,
                rating_average=Decimal(str(row["average"])).quantize(Decimal("0.1"), ROUND_HALF_UP)
                if row
                else None,
                comments=comments[service.pk],
            )
        )
    return cards


def services_for_board(viewer: User) -> list[Card]:
    require_role(viewer, Role.BOARD)
    return catalogue(offered_only=False)


# --- Slots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    workers: list[Membership]


def working_members() -> QuerySet[Membership]:
    """Current members of the classes that work under the policy in force."""
    policy = current_policy().policy
    classes = [c.key for c in policy.membership.classes if c.works]
    return Membership.objects.filter(member_class__in=classes).exclude(
        status=Membership.Status.LEFT
    )


def free_slots(
    service: Service,
    day: dt.date,
    *,
    customer: User | None = None,
    moving: Booking | None = None,
) -> list[Slot]:
    """The times on ``day`` at which some working member is available for the whole service
    and has no live booking overlapping it, later than now; with the free workers of each.
    ``customer`` is never offered themselves; the booking being ``moving`` frees its own time."""
    bookable_day(day)
    length = dt.timedelta(minutes=service.duration_minutes)
    workers = working_members().filter(service_hours__weekday=day.weekday()).distinct()
    if customer is not None:
        workers = workers.exclude(user=customer)
    workers = workers.select_related("user").order_by("number")
    windows: dict[int, list[Availability]] = defaultdict(list)
    for window in Availability.objects.filter(worker__in=workers, weekday=day.weekday()):
        windows[window.worker_id].append(window)
    day_starts = at_local(day, dt.time(0))
    day_ends = at_local(day + dt.timedelta(days=1), dt.time(0))
    booked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    taken = Booking.objects.filter(clashing(windows, day_starts, day_ends))
    if moving is not None:
        taken = taken.exclude(pk=moving.pk)
    for worker_id, starts_at, ends_at in taken.values_list("worker_id", "starts_at", "ends_at"):
        booked[worker_id].append((starts_at, ends_at))
    now = timezone.now()
    free: dict[dt.datetime, list[Membership]] = defaultdict(list)
    for worker in workers:
        for start in starts_within(windows[worker.pk], day, service.duration_minutes):
            end = start + length
            if start > now and all(end <= s or e <= start for s, e in booked[worker.pk]):
                free[start].append(worker)
    return [Slot(start, start + length, free[start]) for start in sorted(free)]


def hours_booked_in_week(worker_ids: Sequence[int], starts_at: dt.datetime) -> dict[int, Decimal]:
    """Each worker's live booked hours in the local week (Monday to Sunday) of ``starts_at``."""
    day = timezone.localdate(starts_at)
    monday = at_local(day - dt.timedelta(days=day.weekday()), dt.time(0))
    next_monday = at_local(day + dt.timedelta(days=7 - day.weekday()), dt.time(0))
    hours = dict.fromkeys(worker_ids, Decimal(0))
    rows = Booking.objects.filter(clashing(worker_ids, monday, next_monday)).values_list(
        "worker_id", "starts_at", "ends_at"
    )
    for worker_id, begins, ends in rows:
        hours[worker_id] += Decimal((ends - begins) // dt.timedelta(minutes=1)) / 60
    return hours


# --- A worker's week -----------------------------------------------------------------------


def my_membership(viewer: User) -> Membership | None:
    return Membership.objects.filter(user=viewer).exclude(status=Membership.Status.LEFT).first()


def my_windows(viewer: User) -> QuerySet[Availability]:
    return Availability.objects.filter(worker__user=viewer).exclude(
        worker__status=Membership.Status.LEFT
    )


def my_bookings(viewer: User, *, upcoming_only: bool = True) -> QuerySet[Booking]:
    """The viewer's bookings as a worker, soonest first."""
    bookings = Booking.objects.filter(worker__user=viewer).select_related(
        "order__customer", "service"
    )
    if upcoming_only:
        bookings = bookings.filter(order__status__in=LIVE)
    return bookings.order_by("starts_at", "id")


def my_schedule(viewer: User) -> list[tuple[dt.date, list[Booking]]]:
    """The viewer's live bookings as a worker from today on, by day on the co-op's clock."""
    today = timezone.localdate()
    days: dict[dt.date, list[Booking]] = {}
    for booking in my_bookings(viewer).filter(ends_at__gte=at_local(today, dt.time(0))):
        days.setdefault(timezone.localtime(booking.starts_at).date(), []).append(booking)
    return list(days.items())


# --- What may be done with a booking now ---------------------------------------------------


def booking_or_404(viewer: User, order_id: int | str) -> Booking:
    """A booking seen by its customer, its worker or the board; nobody else learns of it."""
    try:
        number = int(order_id)
    except (TypeError, ValueError):
        number = 0
    found = None
    if 0 < number <= MAX_ID:
        found = (
            Booking.objects.select_related("order__customer", "worker__user", "service")
            .filter(order_id=number)
            .first()
        )
    if found is None or not (
        found.order.customer_id == viewer.pk
        or found.worker.user_id == viewer.pk
        or has_role(viewer, Role.BOARD)
    ):
        raise NotFound("not_found", gettext_noop("No such order."))
    return found


def late_window(order: Order) -> int:
    """The hours before the start inside which moving is refused and cancelling costs a fee,
    under the policy the booking was made under."""
    return policy_number(order.policy_version).pricing.services.late_cancellation_hours


def cancellation_fee(order: Order, starts_at: dt.datetime) -> Money:
    """What cancelling now would cost, under the policy the booking was made under."""
    return late_cancellation_fee(
        policy=policy_number(order.policy_version),
        quote_price=Money(order.price, order.currency),
        hours_before_start=hours_before(starts_at, timezone.now()),
    )


def may_move(booking: Booking) -> bool:
    """Moving is allowed until the late window before the start."""
    return hours_before(booking.starts_at, timezone.now()) >= late_window(booking.order)


@dataclass(frozen=True)
class Panel:
    booking: Booking
    can_confirm: bool
    can_decline: bool
    can_start: bool
    can_complete: bool
    can_cancel: bool
    can_reschedule: bool
    cancel_fee: Money
    late_window_hours: int
    late_fee_order: Order | None


def panel(viewer: User, order: Order) -> Panel | None:
    """The booking behind a service order and the buttons the viewer may use on it now."""
    booking = Booking.objects.filter(order=order).select_related("service", "worker__user").first()
    if booking is None:
        return None
    status = order.status
    doer = booking.worker.user_id == viewer.pk or has_role(viewer, Role.BOARD)
    customer = order.customer_id == viewer.pk
    changeable = customer and status in (Status.REQUESTED, Status.CONFIRMED)
    return Panel(
        booking=booking,
        can_confirm=doer and status == Status.REQUESTED,
        can_decline=doer and status in (Status.REQUESTED, Status.CONFIRMED),
        can_start=doer and status == Status.CONFIRMED,
        can_complete=doer and status == Status.IN_PROGRESS,
        can_cancel=changeable,
        can_reschedule=changeable and may_move(booking),
        cancel_fee=cancellation_fee(order, booking.starts_at)
        if changeable
        else Money.zero(order.currency),
        late_window_hours=late_window(order),
        late_fee_order=booking.late_fee,
    )
