"""Every read of notifications: a person's own list and count (nobody sees another's), their
choices, and the calendar feeds a secret link opens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.urls import reverse
from django.utils import timezone

from taawun.accounts.models import User
from taawun.domain.errors import NotFound, gettext_noop
from taawun.domain.ical import Event
from taawun.market.models import OrderEvent, Status

from .models import EMAIL_BY_DEFAULT, CalendarKey, EmailState, Kind, Notification, Preference

MAX_ID = 2**63 - 1
PAGE = 100
FEED_PAST = dt.timedelta(days=30)
COUNT_SECONDS = 30
FEED_STATUSES = (Status.REQUESTED, Status.CONFIRMED, Status.IN_PROGRESS, Status.COMPLETED)


def next_email_due() -> dt.datetime | None:
    """When the next email waiting to go (or to be tried again) is due, if any."""
    waiting = Notification.objects.filter(
        email_state__in=[EmailState.PENDING, EmailState.SENDING], email_due_at__isnull=False
    )
    return waiting.order_by("email_due_at").values_list("email_due_at", flat=True).first()


def listed(viewer: User, *, limit: int = PAGE) -> list[Notification]:
    """The viewer's notifications shown on this site: unread first, newest first within each."""
    found = Notification.objects.filter(recipient=viewer, listed=True)
    was_read = ExpressionWrapper(Q(read_at__isnull=False), output_field=BooleanField())
    return list(found.order_by(was_read, "-created_at", "-id")[:limit])  # unread: False first


def unread_key(user_id: int) -> str:
    return f"taawun:unread:{user_id}"


def unread_count(viewer: User) -> int:
    """The viewer's unread listed notifications: one COUNT on an index, kept in the cache for
    the menu of every page. Every change forgets it (``actions.forget_counts``); with a cache
    of each process's own, another process may show the old number for ``COUNT_SECONDS``."""
    if not viewer.is_authenticated:
        return 0
    key = unread_key(viewer.pk)
    found = cache.get(key)
    if found is None:
        unread = Notification.objects.filter(recipient=viewer, listed=True, read_at__isnull=True)
        found = unread.count()
        cache.set(key, found, COUNT_SECONDS)
    return int(found)


def notification_or_404(viewer: User, notification_id: int | str) -> Notification:
    """The viewer's own notification; anyone else's is as unknown as one that never was."""
    try:
        number = int(notification_id)
    except (TypeError, ValueError):
        number = 0
    found = None
    if 0 < number <= MAX_ID:
        found = Notification.objects.filter(pk=number, recipient=viewer, listed=True).first()
    if found is None:
        raise NotFound("not_found", gettext_noop("No such notification."))
    return found


@dataclass(frozen=True)
class Choice:
    kind: str
    label: str
    in_app: bool
    email: bool


def choices(viewer: User) -> list[Choice]:
    """The viewer's choice for every kind, the defaults where they made none."""
    stored = {
        kind: (in_app, email)
        for kind, in_app, email in Preference.objects.filter(user=viewer).values_list(
            "kind", "in_app", "email"
        )
    }
    rows = []
    for kind, label in Kind.choices:
        in_app, email = stored.get(kind, (True, kind in EMAIL_BY_DEFAULT))
        rows.append(Choice(kind, str(label), in_app, email))
    return rows


# --- Calendar feeds ------------------------------------------------------------------------


def calendar_token(key: CalendarKey) -> str:
    message = f"calendar:{key.user_id}:{key.salt}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]


def calendar_links(viewer: User) -> dict[str, str] | None:
    """The viewer's feed paths (schedule, assemblies), or None before they made a key."""
    key = CalendarKey.objects.filter(user=viewer).first()
    if key is None:
        return None
    args = [viewer.pk, calendar_token(key)]
    return {
        "schedule": reverse("notifications:schedule_feed", args=args),
        "assemblies": reverse("notifications:assemblies_feed", args=args),
    }


def calendar_owner_or_404(user_id: int, token: str) -> User:
    """The person whose link this is; a wrong, old or revoked token finds nobody."""
    key = None
    if 0 < user_id <= MAX_ID:
        key = CalendarKey.objects.select_related("user").filter(user_id=user_id).first()
    if key is None or not key.user.is_active:
        raise NotFound("not_found", gettext_noop("No such calendar."))
    if not hmac.compare_digest(calendar_token(key).encode(), token.encode()):
        raise NotFound("not_found", gettext_noop("No such calendar."))
    return key.user


def schedule_events(owner: User, *, host: str, site_url: str, now: dt.datetime) -> list[Event]:
    """The owner's work as a worker from 30 days ago on: booked services (a cancelled one
    stays, marked cancelled, so calendars drop it) and the due dates of agreed milestones."""
    from taawun.market.projects.models import Milestone
    from taawun.market.services.models import Booking

    bookings = (
        Booking.objects.filter(worker__user=owner, starts_at__gte=now - FEED_PAST)
        .filter(Q(order__status__in=FEED_STATUSES) | Q(order__status=Status.CANCELLED))
        .select_related("service", "order")
        .annotate(
            moves=Count("order__events", filter=Q(order__events__kind=OrderEvent.Kind.RESCHEDULED))
        )
        .order_by("starts_at", "pk")
    )
    events = []
    for booking in bookings:
        cancelled = booking.order.status == Status.CANCELLED
        path = reverse("market:order", args=[booking.order_id])
        events.append(
            Event(
                uid=f"service-order-{booking.order_id}@{host}",
                starts=booking.starts_at,
                ends=booking.ends_at,
                summary=f"{booking.service.title_ar} / {booking.service.title_en}",
                description=f"#{booking.order_id}",
                url=f"{site_url}{path}",
                cancelled=cancelled,
                sequence=booking.moves + (1 if cancelled else 0),
            )
        )
    milestones = (
        Milestone.objects.filter(
            order__worker__user=owner,
            order__status__in=FEED_STATUSES,
            due_on__gte=timezone.localdate(now) - FEED_PAST,
        )
        .select_related("order")
        .order_by("due_on", "pk")
    )
    for milestone in milestones:
        path = reverse("market:order", args=[milestone.order_id])
        events.append(
            Event(
                uid=f"project-milestone-{milestone.order_id}@{host}",
                starts=milestone.due_on,
                ends=milestone.due_on + dt.timedelta(days=1),
                summary=milestone.title,
                description=f"#{milestone.order_id}",
                url=f"{site_url}{path}",
            )
        )
    return events


def assembly_events(owner: User, *, host: str, site_url: str) -> list[Event]:
    """The co-op's general assemblies, for a member; anyone else's link finds nothing."""
    from taawun.governance.assemblies import selectors as assemblies
    from taawun.governance.assemblies.calendar import assembly_event

    if not assemblies.may_see(owner):
        raise NotFound("not_found", gettext_noop("No such calendar."))
    found = assemblies.upcoming(owner) + assemblies.past(owner)[:50]
    return [
        assembly_event(
            a,
            page_url=f"{site_url}{reverse('assemblies:assembly', args=[a.number])}",
            host=host,
        )
        for a in sorted(found, key=lambda a: (a.starts_at, a.number))
    ]
