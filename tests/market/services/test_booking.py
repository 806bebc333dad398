"""The services sector's actions: the board's services and prices, a worker's week, the free
slots, booking (a named worker or the fairest free one), and a booking's life — confirm,
decline, start, complete and pay, move, cancel with or without the late fee — with every
refusal leaving the database as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from taawun.accounts.models import User
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from taawun.domain.money import Money
from taawun.ledger.models import EntryKind, JournalEntry
from taawun.market import actions as market
from taawun.market.models import Order, Sector, Status
from taawun.market.services import actions, selectors
from taawun.market.services.models import Availability, Booking, Service
from taawun.members.models import Membership
from tests.core.helpers import Clock, unchanged
from tests.ledger.helpers import balance, books_problems, owed

from .conftest import MONDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
D = Decimal


def ils(amount: str) -> Money:
    return Money(D(amount), "ILS")


def book(customer: User, service: Service, when: dt.datetime, **kwargs: Any) -> Order:
    kwargs.setdefault("method", "cash")
    return actions.book(actor=customer, service_id=service.pk, starts_at=when, **kwargs)


def refused(error: type[Exception], code: str, call: Callable[[], Any]) -> DomainError:
    """``call`` is refused with ``code`` and changes nothing at all."""
    with unchanged(), pytest.raises(error) as caught:
        call()
    assert isinstance(caught.value, DomainError)
    assert caught.value.code == code
    return caught.value


# --- Services and prices -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "price"),
    [(15, "90.00"), (60, "90.00"), (120, "90.00"), (150, "112.50"), (180, "135.00")],
)
def test_the_price_is_the_hourly_rate_for_the_duration_with_the_minimum(
    founder: User, minutes: int, price: str
) -> None:
    service = actions.create_service(
        actor=founder, title_ar="تصليح", title_en="Repair", duration_minutes=minutes
    )
    [card] = selectors.catalogue()
    assert card.service == service
    assert card.price == ils(price)


def test_the_board_changes_a_service_and_the_catalogue_shows_only_offered_ones(
    founder: User, cleaning: Service
) -> None:
    changed = actions.update_service(
        actor=founder,
        service_id=cleaning.pk,
        title_ar="تنظيف عميق",
        title_en="Deep cleaning",
        description="",
        duration_minutes=240,
        active=False,
    )
    assert (changed.title_en, changed.duration_minutes, changed.active) == (
        "Deep cleaning",
        240,
        False,
    )
    assert selectors.catalogue() == []
    [card] = selectors.services_for_board(founder)
    assert card.price == ils("180.00")


@pytest.mark.parametrize("minutes", [0, 10, 20, 735, 1440])
def test_a_duration_off_the_quarter_hours_or_out_of_range_is_refused(
    founder: User, minutes: int
) -> None:
    refused(
        InvalidInput,
        "bad_duration",
        lambda: actions.create_service(
            actor=founder, title_ar="س", title_en="S", duration_minutes=minutes
        ),
    )


def test_only_the_board_defines_services(customer: User, cleaning: Service) -> None:
    refused(
        NotAllowed,
        "forbidden",
        lambda: actions.create_service(
            actor=customer, title_ar="س", title_en="S", duration_minutes=60
        ),
    )
    refused(
        NotAllowed,
        "forbidden",
        lambda: actions.update_service(
            actor=customer,
            service_id=cleaning.pk,
            title_ar="س",
            title_en="S",
            duration_minutes=60,
        ),
    )


def test_a_service_needs_both_titles(founder: User) -> None:
    refused(
        InvalidInput,
        "bad_title",
        lambda: actions.create_service(
            actor=founder, title_ar="  ", title_en="Cleaning", duration_minutes=60
        ),
    )


# --- A worker's week -----------------------------------------------------------------------


def test_a_worker_adds_and_removes_windows(make_member: Callable[..., Membership]) -> None:
    worker = make_member()
    first = actions.add_window(actor=worker.user, weekday=0, starts=dt.time(8), ends=dt.time(12))
    actions.add_window(actor=worker.user, weekday=0, starts=dt.time(14), ends=dt.time(18))
    actions.add_window(actor=worker.user, weekday=5, starts=dt.time(9), ends=dt.time(13))
    assert [(w.weekday, w.starts, w.ends) for w in selectors.my_windows(worker.user)] == [
        (0, dt.time(8), dt.time(12)),
        (0, dt.time(14), dt.time(18)),
        (5, dt.time(9), dt.time(13)),
    ]
    actions.remove_window(actor=worker.user, window_id=first.pk)
    assert selectors.my_windows(worker.user).count() == 2


def test_overlapping_or_backwards_windows_are_refused(
    make_member: Callable[..., Membership],
) -> None:
    worker = make_member()
    actions.add_window(actor=worker.user, weekday=0, starts=dt.time(8), ends=dt.time(12))
    refused(
        InvalidInput,
        "windows_overlap",
        lambda: actions.add_window(
            actor=worker.user, weekday=0, starts=dt.time(11), ends=dt.time(13)
        ),
    )
    refused(
        InvalidInput,
        "window_backwards",
        lambda: actions.add_window(
            actor=worker.user, weekday=1, starts=dt.time(13), ends=dt.time(9)
        ),
    )
    refused(
        InvalidInput,
        "bad_weekday",
        lambda: actions.set_availability(actor=worker.user, windows=[(7, dt.time(8), dt.time(9))]),
    )


def test_setting_the_week_replaces_every_window(khalil: Membership) -> None:
    actions.set_availability(actor=khalil.user, windows=[(2, dt.time(9), dt.time(17))])
    assert list(Availability.objects.values_list("weekday", "starts", "ends")) == [
        (2, dt.time(9), dt.time(17))
    ]


def test_only_working_members_set_a_week(
    customer: User, make_member: Callable[..., Membership]
) -> None:
    supporter = make_member("supporter")
    for person in (customer, supporter.user):
        refused(
            InvalidInput,
            "not_a_worker",
            lambda person=person: actions.add_window(
                actor=person, weekday=0, starts=dt.time(8), ends=dt.time(9)
            ),
        )


def test_a_worker_cannot_remove_someone_elses_window(khalil: Membership, rana: Membership) -> None:
    window = Availability.objects.filter(worker=khalil).first()
    assert window is not None
    refused(
        NotFound, "not_found", lambda: actions.remove_window(actor=rana.user, window_id=window.pk)
    )


# --- Free slots ----------------------------------------------------------------------------


def starts(slots: list[selectors.Slot]) -> list[tuple[str, list[int]]]:
    return [
        (f"{s.starts_at.astimezone(at(MONDAY, 0).tzinfo):%H:%M}", [w.number for w in s.workers])
        for s in slots
    ]


def test_slots_step_by_half_an_hour_within_availability_minus_bookings(
    cleaning: Service, khalil: Membership, rana: Membership, customer: User
) -> None:
    k, r = khalil.number, rana.number
    assert starts(selectors.free_slots(cleaning, MONDAY)) == [
        ("08:00", [k, r]),
        ("08:30", [k, r]),
        ("09:00", [k, r]),
        ("09:30", [k, r]),
        ("10:00", [k, r]),
    ]
    book(customer, cleaning, at(MONDAY, 9), worker_number=khalil.number)
    assert starts(selectors.free_slots(cleaning, MONDAY)) == [
        ("08:00", [r]),
        ("08:30", [r]),
        ("09:00", [r]),
        ("09:30", [r]),
        ("10:00", [r]),
    ]
    assert starts(selectors.free_slots(cleaning, MONDAY, customer=rana.user)) == []


def test_a_cancelled_booking_frees_its_slot(
    cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 8))
    assert [s for s, _w in starts(selectors.free_slots(cleaning, MONDAY))] == ["10:00"]
    actions.cancel(actor=customer, order_id=order.pk)
    assert len(selectors.free_slots(cleaning, MONDAY)) == 5


def test_no_slot_today_is_in_the_past(clock: Clock, cleaning: Service, khalil: Membership) -> None:
    clock.now = at(MONDAY, 9)
    assert [s for s, _w in starts(selectors.free_slots(cleaning, MONDAY))] == [
        "09:30",
        "10:00",
    ]


def test_slots_of_a_past_day_or_beyond_180_days_are_refused(
    clock: Clock, cleaning: Service, khalil: Membership
) -> None:
    with pytest.raises(InvalidInput) as past:
        selectors.free_slots(cleaning, clock.today - dt.timedelta(days=1))
    assert past.value.code == "date_in_past"
    assert selectors.free_slots(cleaning, clock.today + dt.timedelta(days=180))
    with pytest.raises(InvalidInput) as far:
        selectors.free_slots(cleaning, clock.today + dt.timedelta(days=181))
    assert far.value.code == "date_too_far"


# --- Booking -------------------------------------------------------------------------------


def test_a_booking_places_a_requested_order_at_the_policy_price(
    cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(
        customer, cleaning, at(MONDAY, 9), worker_number=khalil.number, method="bank", tip=ils("5")
    )
    assert (order.sector, order.status, order.worker, order.customer) == (
        Sector.SERVICE,
        Status.REQUESTED,
        khalil,
        customer,
    )
    assert (order.title, order.starts_at, order.hours) == (
        "تنظيف منزل · House cleaning",
        at(MONDAY, 9),
        D("2.00"),
    )
    assert (order.price, order.coop_fee, order.solidarity, order.worker_share, order.tip) == (
        D("90.000"),
        D("9.000"),
        D("1.800"),
        D("79.200"),
        D("5.000"),
    )
    booking = Booking.objects.get(order=order)
    assert (booking.service, booking.worker, booking.starts_at, booking.ends_at) == (
        cleaning,
        khalil,
        at(MONDAY, 9),
        at(MONDAY, 11),
    )
    assert (booking.method, booking.active, booking.late_fee) == ("bank", True, None)
    [event] = order.events.all()
    assert (event.kind, event.data) == (
        "placed",
        {"service": cleaning.pk, "method": "bank", "named_worker": True},
    )


def test_any_worker_goes_to_the_free_worker_with_fewest_hours_booked_that_week(
    cleaning: Service,
    khalil: Membership,
    rana: Membership,
    make_account: Callable[..., User],
) -> None:
    assert khalil.number < rana.number
    first = book(make_account(), cleaning, at(MONDAY, 8))
    assert first.worker == khalil  # a tie: the lower member number
    second = book(make_account(), cleaning, at(MONDAY + dt.timedelta(days=1), 8))
    assert second.worker == rana  # khalil has two hours that week, rana none
    third = book(make_account(), cleaning, at(MONDAY, 10))
    assert third.worker == khalil  # a tie again
    fourth = book(make_account(), cleaning, at(MONDAY, 10))
    assert fourth.worker == rana  # khalil is busy then
    late = make_account()
    refused(DomainError, "slot_taken", lambda: book(late, cleaning, at(MONDAY, 10)))


def test_an_overlapping_booking_of_the_same_worker_is_refused(
    cleaning: Service, khalil: Membership, make_account: Callable[..., User]
) -> None:
    book(make_account(), cleaning, at(MONDAY, 9), worker_number=khalil.number)
    other = make_account()
    for when in (at(MONDAY, 9), at(MONDAY, 10), at(MONDAY, 8)):
        error = refused(
            DomainError,
            "slot_taken",
            lambda when=when: book(other, cleaning, when, worker_number=khalil.number),
        )
    assert error.message == "This slot has just been booked by someone else; choose another."
    assert Booking.objects.count() == 1


def test_a_retry_with_the_same_key_returns_the_first_booking(
    cleaning: Service, khalil: Membership, customer: User
) -> None:
    first = book(customer, cleaning, at(MONDAY, 9), idempotency_key="k1")
    again = book(customer, cleaning, at(MONDAY, 9), idempotency_key="k1")
    assert again.pk == first.pk
    assert Booking.objects.count() == 1
    refused(
        DomainError,
        "idempotency_conflict",
        lambda: book(customer, cleaning, at(MONDAY, 10), idempotency_key="k1"),
    )


@pytest.mark.parametrize(
    ("when", "code", "message"),
    [
        (lambda: at(dt.date(2030, 3, 1), 9), "slot_in_past", "That time has passed"),
        (lambda: at(dt.date(2030, 3, 4), 13), "outside_availability", "does not take"),
        (lambda: at(dt.date(2030, 3, 4), 11), "outside_availability", "does not take"),
        (lambda: at(dt.date(2030, 3, 4), 9, 15), "outside_availability", "does not take"),
        (lambda: at(dt.date(2030, 8, 29), 9), "date_too_far", "at most 180 days"),
    ],
)
def test_a_slot_in_the_past_outside_availability_or_too_far_is_refused(
    cleaning: Service,
    khalil: Membership,
    customer: User,
    when: Callable[[], dt.datetime],
    code: str,
    message: str,
) -> None:
    error = refused(
        InvalidInput, code, lambda: book(customer, cleaning, when(), worker_number=khalil.number)
    )
    assert message in error.message % error.params


def test_any_worker_outside_everyones_availability_is_refused(
    cleaning: Service, khalil: Membership, customer: User
) -> None:
    refused(InvalidInput, "outside_availability", lambda: book(customer, cleaning, at(MONDAY, 15)))


def test_bad_bookings_are_refused(
    founder: User,
    cleaning: Service,
    khalil: Membership,
    customer: User,
    make_member: Callable[..., Membership],
) -> None:
    supporter = make_member("supporter")
    nine = at(MONDAY, 9)
    cases: list[tuple[type[Exception], str, Callable[[], Any]]] = [
        (
            InvalidInput,
            "not_a_worker",
            lambda: book(customer, cleaning, nine, worker_number=supporter.number),
        ),
        (
            InvalidInput,
            "no_such_worker",
            lambda: book(customer, cleaning, nine, worker_number=9999),
        ),
        (
            InvalidInput,
            "no_such_worker",
            lambda: book(customer, cleaning, nine, worker_number=2**40),
        ),
        (
            InvalidInput,
            "own_booking",
            lambda: book(khalil.user, cleaning, nine, worker_number=khalil.number),
        ),
        (InvalidInput, "bad_method", lambda: book(customer, cleaning, nine, method="gold")),
        (InvalidInput, "bad_tip", lambda: book(customer, cleaning, nine, tip=ils("-1"))),
        (InvalidInput, "naive_time", lambda: book(customer, cleaning, dt.datetime(2030, 3, 4, 9))),
        (
            NotFound,
            "no_such_service",
            lambda: actions.book(actor=customer, service_id=999, starts_at=nine, method="cash"),
        ),
        (
            NotFound,
            "no_such_service",
            lambda: actions.book(actor=customer, service_id=2**70, starts_at=nine, method="cash"),
        ),
    ]
    for error, code, call in cases:
        refused(error, code, call)
    actions.update_service(
        actor=founder,
        service_id=cleaning.pk,
        title_ar=cleaning.title_ar,
        title_en=cleaning.title_en,
        duration_minutes=120,
        active=False,
    )
    refused(NotFound, "no_such_service", lambda: book(customer, cleaning, nine))


# --- A booking's life ----------------------------------------------------------------------


def test_confirm_start_complete_takes_the_payment_by_the_booked_method(
    cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 9), method="wallet", tip=ils("5"))
    refused(NotAllowed, "not_a_party", lambda: actions.confirm(actor=customer, order_id=order.pk))
    refused(
        DomainError, "order_changed", lambda: actions.start(actor=khalil.user, order_id=order.pk)
    )
    assert actions.confirm(actor=khalil.user, order_id=order.pk).status == Status.CONFIRMED
    refused(
        DomainError, "order_changed", lambda: actions.confirm(actor=khalil.user, order_id=order.pk)
    )
    assert actions.start(actor=khalil.user, order_id=order.pk).status == Status.IN_PROGRESS
    done = actions.complete(actor=khalil.user, order_id=order.pk)
    assert done.status == Status.COMPLETED
    entry = JournalEntry.objects.get(pk=done.payment_id)
    assert (entry.kind, entry.hours) == (EntryKind.SALE, D("2.00"))
    assert owed(khalil) == D("84.200")  # 79.20 share and the 5.00 tip
    assert balance("wallet") == D("95.000")
    assert books_problems() == []
    assert [e.kind for e in done.events.all()] == [
        "placed",
        "confirmed",
        "started",
        "completed",
        "paid",
    ]
    refused(
        DomainError, "order_changed", lambda: actions.complete(actor=khalil.user, order_id=order.pk)
    )


def test_the_worker_may_enter_the_tip_at_completion_and_the_board_may_act(
    founder: User, cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 9))
    actions.confirm(actor=founder, order_id=order.pk)
    actions.start(actor=khalil.user, order_id=order.pk)
    done = actions.complete(actor=khalil.user, order_id=order.pk, tip=ils("10.00"))
    assert done.tip == D("10.000")
    assert owed(khalil) == D("89.200")
    assert balance("cash") == D("100.000")


def test_a_stranger_learns_nothing_of_a_booking(
    cleaning: Service, khalil: Membership, customer: User, make_account: Callable[..., User]
) -> None:
    order = book(customer, cleaning, at(MONDAY, 9))
    stranger = make_account()
    for act in (actions.confirm, actions.decline, actions.start, actions.cancel):
        refused(NotFound, "not_found", lambda act=act: act(actor=stranger, order_id=order.pk))
    refused(NotFound, "not_found", lambda: actions.confirm(actor=khalil.user, order_id=2**64))


def test_a_decline_cancels_at_no_cost_and_tells_the_customer(
    cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 9))
    refused(NotAllowed, "not_a_party", lambda: actions.decline(actor=customer, order_id=order.pk))
    declined = actions.decline(actor=khalil.user, order_id=order.pk, reason="I am ill that day")
    assert declined.status == Status.CANCELLED
    event = declined.events.last()
    assert event is not None
    assert (event.kind, event.note, event.data) == ("declined", "I am ill that day", {"fee": "0"})
    assert not Booking.objects.get(order=order).active
    assert Order.objects.count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.SALE).count() == 0


def test_moving_a_booking_frees_the_old_time_and_waits_for_confirmation(
    cleaning: Service, khalil: Membership, rana: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 8), worker_number=khalil.number)
    actions.confirm(actor=khalil.user, order_id=order.pk)
    moved = actions.reschedule(
        actor=customer, order_id=order.pk, starts_at=at(MONDAY, 9), worker_number=khalil.number
    )  # overlaps its own old time: allowed
    assert (moved.status, moved.starts_at, moved.worker) == (
        Status.REQUESTED,
        at(MONDAY, 9),
        khalil,
    )
    booking = Booking.objects.get(order=order)
    assert (booking.starts_at, booking.ends_at) == (at(MONDAY, 9), at(MONDAY, 11))
    event = moved.events.last()
    assert event is not None
    assert event.kind == "rescheduled"
    assert event.data["to"] == at(MONDAY, 9).isoformat()
    again = actions.reschedule(
        actor=customer, order_id=order.pk, starts_at=at(MONDAY, 10), worker_number=rana.number
    )
    assert again.worker == rana
    assert Booking.objects.get(order=order).worker == rana
    assert order.price == again.price  # the agreed price stays


def test_moving_inside_the_late_window_is_refused_with_the_reason(
    clock: Clock, cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 9))
    clock.now = at(MONDAY, 9) - dt.timedelta(hours=24)  # exactly the window: still allowed
    actions.reschedule(actor=customer, order_id=order.pk, starts_at=at(MONDAY, 10))
    clock.now = at(MONDAY, 10) - dt.timedelta(hours=23, minutes=59)
    error = refused(
        DomainError,
        "too_late_to_move",
        lambda: actions.reschedule(
            actor=customer, order_id=order.pk, starts_at=at(MONDAY + dt.timedelta(days=1), 8)
        ),
    )
    assert error.message % error.params == (
        "A booking can be moved only up to 24 hours before it starts, so that the worker can "
        "plan; this one starts sooner. You can still cancel it (a late-cancellation fee "
        "applies)."
    )


def test_only_the_customer_moves_or_cancels(
    cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 8))
    refused(
        NotAllowed,
        "not_a_party",
        lambda: actions.reschedule(actor=khalil.user, order_id=order.pk, starts_at=at(MONDAY, 9)),
    )
    refused(NotAllowed, "not_a_party", lambda: actions.cancel(actor=khalil.user, order_id=order.pk))


def test_moving_onto_a_taken_slot_or_the_past_is_refused(
    cleaning: Service, khalil: Membership, customer: User, make_account: Callable[..., User]
) -> None:
    order = book(customer, cleaning, at(MONDAY, 8))
    book(make_account(), cleaning, at(MONDAY, 10))
    refused(
        DomainError,
        "slot_taken",
        lambda: actions.reschedule(actor=customer, order_id=order.pk, starts_at=at(MONDAY, 9)),
    )
    refused(
        InvalidInput,
        "slot_in_past",
        lambda: actions.reschedule(
            actor=customer, order_id=order.pk, starts_at=at(dt.date(2030, 3, 1), 11)
        ),
    )


def test_cancelling_before_the_late_window_is_free(
    clock: Clock, cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 9))
    clock.now = at(MONDAY, 9) - dt.timedelta(hours=24)
    cancelled = actions.cancel(actor=customer, order_id=order.pk)
    assert cancelled.status == Status.CANCELLED
    assert cancelled.events.last().data == {"fee": "0.00"}  # type: ignore[union-attr]
    booking = Booking.objects.get(order=order)
    assert (booking.active, booking.late_fee) == (False, None)
    assert Order.objects.count() == 1
    assert not JournalEntry.objects.filter(kind=EntryKind.SALE).exists()


def test_cancelling_late_charges_the_fee_as_its_own_paid_order_for_the_worker(
    clock: Clock, cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 9), method="bank")
    actions.confirm(actor=khalil.user, order_id=order.pk)
    clock.now = at(MONDAY, 9) - dt.timedelta(hours=23, minutes=59)
    assert selectors.cancellation_fee(order, at(MONDAY, 9)) == ils("22.50")
    cancelled = actions.cancel(actor=customer, order_id=order.pk)
    assert cancelled.status == Status.CANCELLED
    fee = Booking.objects.get(order=order).late_fee
    assert fee is not None
    assert (fee.title, fee.status, fee.worker, fee.customer, fee.hours) == (
        f"رسم الإلغاء المتأخر للطلب #{order.pk} · Late cancellation fee for #{order.pk}",
        Status.COMPLETED,
        khalil,
        customer,
        D("0.00"),
    )
    # 25% of 90.00; the usual split: fee 10%, solidarity 2%, the worker the rest
    assert (fee.price, fee.coop_fee, fee.solidarity, fee.worker_share) == (
        D("22.500"),
        D("2.250"),
        D("0.450"),
        D("19.800"),
    )
    assert fee.payment is not None
    assert fee.quote[0] == ["Agreed price %(amount)s", {"amount": "22.50 ILS"}]
    assert owed(khalil) == D("19.800")
    assert balance("bank") == D("22.500")
    assert books_problems() == []
    assert cancelled.events.last().data == {"fee": "22.50"}  # type: ignore[union-attr]
    assert cancelled.payment is None


def test_cancelling_after_the_start_still_costs_the_fee(
    clock: Clock, cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 9))
    clock.now = at(MONDAY, 9, 30)
    actions.cancel(actor=customer, order_id=order.pk)
    fee = Booking.objects.get(order=order).late_fee
    assert fee is not None
    assert fee.price == D("22.500")


def test_work_under_way_or_done_cannot_be_cancelled(
    cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = book(customer, cleaning, at(MONDAY, 9))
    actions.confirm(actor=khalil.user, order_id=order.pk)
    actions.start(actor=khalil.user, order_id=order.pk)
    refused(DomainError, "order_changed", lambda: actions.cancel(actor=customer, order_id=order.pk))
    refused(
        DomainError,
        "order_changed",
        lambda: actions.reschedule(actor=customer, order_id=order.pk, starts_at=at(MONDAY, 10)),
    )


def test_ratings_of_completed_work_show_with_the_service(
    cleaning: Service, khalil: Membership, make_account: Callable[..., User]
) -> None:
    for hour, stars, comment in ((8, 5, "Spotless"), (10, 4, "")):
        customer = make_account()
        order = book(customer, cleaning, at(MONDAY, hour))
        for act in (actions.confirm, actions.start, actions.complete):
            act(actor=khalil.user, order_id=order.pk)
        market.rate(actor=customer, order_id=order.pk, stars=stars, comment=comment)
    [card] = selectors.catalogue()
    assert (card.rating_count, card.rating_average) == (2, D("4.5"))
    assert [(c.stars, c.text) for c in card.comments] == [(5, "Spotless")]


def test_an_order_keeps_both_titles_within_its_200_characters(
    founder: User, khalil: Membership, customer: User
) -> None:
    long = actions.create_service(
        actor=founder, title_ar="ت" * 200, title_en="E" * 200, duration_minutes=60
    )
    order = book(customer, long, at(MONDAY, 9))
    assert order.title == "ت" * 98 + " · " + "E" * 99
