"""Rides and deliveries through the actions: upfront prices, requests, dispatch batches with
stored explanations, answers to offers (and their expiry), taking an open trip, the trip's life
to the payment in the books, cancelling; every refusal leaves everything as it was."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from taawun.accounts.models import User
from taawun.coop.selectors import CurrentPolicy, current_policy
from taawun.domain import geo
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed
from taawun.ledger import actions as ledger
from taawun.ledger.models import EntryKind, JournalEntry
from taawun.market.models import Order, OrderEvent, Sector, Status
from taawun.market.trips import actions, selectors
from taawun.market.trips.models import DispatchRun, Offer, Place, Presence, Trip
from taawun.members.models import Membership
from tests.core.helpers import Clock
from tests.ledger.helpers import balance, books_problems, ils, owed

from .conftest import PLACES, at, ride, unchanged

pytestmark = [pytest.mark.django_db]

D = Decimal
Online = Callable[..., Membership]


def parts(order: Order) -> tuple[Decimal, ...]:
    return (order.price, order.coop_fee, order.solidarity, order.worker_share, order.tip)


# --- places and quotes -------------------------------------------------------------------


def test_the_board_adds_places_and_others_cannot(
    places: dict[str, Place], make_account: Callable[..., User]
) -> None:
    assert [p.name_en for p in selectors.places()] == sorted(p[1] for p in PLACES.values())
    centre = selectors.area_centre()
    assert centre == geo.Point(D("31.921160"), D("35.193880"))
    stranger = make_account()
    with unchanged(), pytest.raises(NotAllowed):
        actions.add_place(
            actor=stranger, name_ar="ب", name_en="B", latitude="31.9", longitude="35.2"
        )


def test_places_are_read_once_until_the_board_adds_one(
    places: dict[str, Place], founder: User
) -> None:
    names = sorted(p[1] for p in PLACES.values())
    assert [p.name_en for p in selectors.places()] == names
    with CaptureQueriesContext(connection) as reads:
        assert [p.name_en for p in selectors.places()] == names
        selectors.area_centre()
    assert [q["sql"] for q in reads.captured_queries if "market_trips_place" in q["sql"]] == []
    before = selectors.area_centre()
    actions.add_place(
        actor=founder,
        name_ar="رام الله التحتا",
        name_en="Old Ramallah",
        latitude="31.90",
        longitude="35.20",
    )
    assert [p.name_en for p in selectors.places()] == sorted([*names, "Old Ramallah"])
    assert (
        selectors.place_or_404(Place.objects.get(name_en="Old Ramallah").pk).name_ar
        == "رام الله التحتا"
    )
    assert selectors.area_centre() != before


def test_a_place_far_from_the_area_or_named_twice_is_refused(
    places: dict[str, Place], founder: User
) -> None:
    with unchanged(), pytest.raises(InvalidInput) as far:
        actions.add_place(
            actor=founder, name_ar="العقبة", name_en="Aqaba", latitude="29.53", longitude="35.00"
        )
    assert far.value.code == "outside_area"
    with unchanged(), pytest.raises(DomainError) as twice:
        actions.add_place(
            actor=founder, name_ar="x", name_en="Sardah", latitude="31.93", longitude="35.20"
        )
    assert twice.value.code == "place_exists"


def test_a_quote_is_the_policy_price_of_the_road_estimate_and_writes_nothing(
    places: dict[str, Place],
) -> None:
    with unchanged():
        priced = selectors.trip_quote(pickup=at("manara"), dropoff=at("birzeit"))
    # 6.462 km straight x 1.3 = 8.4 km, 8.4 / 25 * 60 = 20.16 -> 20 minutes
    assert (priced.estimate.km, priced.estimate.minutes) == (D("8.4"), D("20"))
    # 5.00 + 8.4 x 1.50 + 20 x 0.30 = 23.60; fee 10 % 2.36, solidarity 2 % 0.47
    b = priced.quote.breakdown
    assert (b.price, b.coop_fee, b.solidarity, b.worker_share) == (
        ils("23.60"),
        ils("2.36"),
        ils("0.47"),
        ils("20.77"),
    )
    assert [line.message for line in priced.quote.lines][:3] == [
        "Base fare %(amount)s",
        "%(km)s km at %(rate)s per km",
        "%(minutes)s minutes at %(rate)s per minute",
    ]


def test_without_surge_a_quote_counts_no_demand(places: dict[str, Place]) -> None:
    with CaptureQueriesContext(connection) as queries:
        priced = selectors.trip_quote(pickup=at("manara"), dropoff=at("birzeit"))
    assert "No surge: the members have not turned it on" in [str(x) for x in priced.quote.lines]
    assert [q["sql"] for q in queries if "COUNT(" in q["sql"]] == []


def test_short_trips_cost_the_minimum_and_long_ones_the_long_rate(
    places: dict[str, Place],
) -> None:
    short = selectors.trip_quote(pickup=at("manara"), dropoff=at("bireh"))
    assert (short.estimate.km, short.estimate.minutes) == (D("1.9"), D("5"))
    assert short.quote.price == ils("12.00")  # 9.35 metered, below the minimum
    far = geo.point("32.0422", "35.2034")  # 15.39 km north of the square
    long = selectors.trip_quote(pickup=at("manara"), dropoff=far)
    assert (long.estimate.km, long.estimate.minutes) == (D("20.0"), D("48"))
    # 5.00 + 16 x 1.50 + 4 x 1.00 + 48 x 0.30 = 47.40
    assert long.quote.price == ils("47.40")


# --- requests ------------------------------------------------------------------------------


def test_a_request_places_a_trip_order_at_the_upfront_price(customer: User) -> None:
    order = ride(customer, tip="5.00", method="wallet")
    assert (order.sector, order.status, order.worker) == (Sector.TRIP, Status.REQUESTED, None)
    assert order.title == "Al-Manara Square → Birzeit University"
    assert parts(order) == (D("23.60"), D("2.36"), D("0.47"), D("20.77"), D("5.00"))
    assert order.hours == D("0.33")
    trip = Trip.objects.get(order=order)
    assert (trip.kind, trip.estimated_km, trip.estimated_minutes, trip.method) == (
        "ride",
        D("8.4"),
        D("20"),
        "wallet",
    )
    assert (trip.pickup_latitude, trip.dropoff_longitude) == (D("31.903800"), D("35.182000"))
    assert [e.kind for e in order.events.all()] == ["placed"]


def test_a_retried_request_places_one_trip(customer: User) -> None:
    first = ride(customer, key="k1")
    assert ride(customer, key="k1").pk == first.pk
    assert (Order.objects.count(), Trip.objects.count()) == (1, 1)


def test_requests_outside_the_area_or_with_bad_input_are_refused(customer: User) -> None:
    cases = [
        ({"pickup": geo.point("33.9", "35.5")}, "outside_area"),  # Beirut
        ({"kind": "flight"}, "bad_kind"),
        ({"method": "gold"}, "bad_method"),
        ({"pickup_label": " "}, "bad_label"),
        ({"tip": D("-1")}, "bad_tip"),
        ({"tip": D("NaN")}, "bad_tip"),
        ({"expected_price": D("20.00")}, "price_changed"),
    ]
    for change, code in cases:
        request = {
            "actor": customer,
            "kind": "ride",
            "pickup": at("manara"),
            "dropoff": at("birzeit"),
            "pickup_label": "A",
            "dropoff_label": "B",
            "method": "cash",
            **change,
        }
        with unchanged(), pytest.raises(DomainError) as refused:
            actions.request_trip(**request)  # type: ignore[arg-type]
        assert refused.value.code == code


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [
        ("91", "35", "position_out_of_range"),
        ("31", "-180.5", "position_out_of_range"),
        ("nan", "35", "bad_position"),
        ("Infinity", "35", "bad_position"),
        ("", "35", "bad_position"),
        (True, "35", "bad_position"),
    ],
)
def test_positions_are_checked(lat: object, lon: object, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        geo.point(lat, lon)
    assert refused.value.code == code


def test_the_delivery_contract_for_other_sectors(customer: User) -> None:
    order = actions.request_delivery(
        customer=customer,
        pickup=(D("31.9100"), D("35.2170")),
        dropoff=(D("31.8960"), D("35.1640")),
        pickup_label="متجر الزيت",
        dropoff_label="Beitunia",
        title="Olive oil, 2 bottles",
        method="cash",
        idempotency_key="shop-7",
    )
    trip = Trip.objects.get(order=order)
    assert (order.title, order.status, trip.kind) == (
        "Olive oil, 2 bottles",
        "requested",
        "delivery",
    )
    assert (trip.estimated_km, trip.estimated_minutes) == (D("6.8"), D("16"))
    assert parts(order) == (D("20.00"), D("2.00"), D("0.40"), D("17.60"), D("0.00"))


# --- dispatch --------------------------------------------------------------------------------


def test_a_batch_offers_the_trip_to_the_nearest_worker_and_explains_why(
    clock: Clock, customer: User, online: Online
) -> None:
    near, far = online("sardah"), online("beitunia")
    order = ride(customer)
    run = actions.run_dispatch()
    assert run is not None
    assert (run.solver, run.requests, run.workers, run.assigned, run.policy_version) == (
        "exact",
        1,
        2,
        1,
        current_policy().number,
    )
    order.refresh_from_db()
    assert (order.status, order.worker) == (Status.OFFERED, near)
    offer = Offer.objects.get()
    assert (offer.worker, offer.status, offer.offered_at) == (near, "offered", clock.now)
    why = offer.explanation
    assert why["pickup_km"] == pytest.approx(3.692, abs=0.01)
    assert run.pickup_km == D(str(why["pickup_km"]))
    weight = float(current_policy().policy.dispatch.fairness_weight)
    assert (why["fairness_weight"], why["fairness_term_km"], why["policy_version"]) == (
        weight,
        0.0,
        1,
    )
    assert why["nearest_other"] == far.number
    assert why["lines"][0] == ["Pickup distance: %(pickup_km)s km.", {"pickup_km": "3.69"}]
    assert (
        why["lines"][-1][0] == "The nearest other worker, %(worker)s, is farther away: %(km)s km."
    )
    assert why["lines"][-1][1]["worker"] == str(far.number)
    assert [e.kind for e in order.events.all()] == ["placed", "offered"]
    assert selectors.current_offer(order) == offer


def test_no_batch_without_requests_or_workers_and_only_one_when_due(
    clock: Clock, customer: User, online: Online
) -> None:
    assert actions.run_dispatch() is None  # nothing requested
    ride(customer)
    assert actions.maybe_dispatch() is None  # nobody online, and the clock moved
    online("manara")
    assert actions.maybe_dispatch() is None  # the last batch was less than 5 s ago
    clock.advance(seconds=5)
    assert actions.maybe_dispatch() is not None
    assert DispatchRun.objects.count() == 1


def test_a_worker_with_an_open_trip_or_offline_is_not_offered_another(
    clock: Clock, customer: User, online: Online, make_account: Callable[..., User]
) -> None:
    busy = online("manara")
    ride(customer)
    actions.run_dispatch()
    second = ride(make_account(), "bireh", "beitunia")
    offline = online("bireh")
    actions.set_presence(actor=offline.user, online=False)
    assert actions.run_dispatch() is None
    second.refresh_from_db()
    assert (second.status, Offer.objects.filter(worker=busy).count()) == ("requested", 1)


def test_the_fairness_term_favours_the_worker_who_earned_less_per_hour(
    clock: Clock, customer: User, online: Online, founder: User
) -> None:
    # two workers the same distance from the square, one earning twice the other per hour
    richer = online(geo.point("31.9138", "35.2034"))
    poorer = online(geo.point("31.8938", "35.2034"))
    for member, price in ((richer, "200.00"), (poorer, "100.00")):
        ledger.record_sale(
            actor=founder,
            worker_number=member.number,
            price=ils(price),
            tip=ils("0"),
            method="cash",
            hours=D(4),
        )
    order = ride(customer)
    actions.run_dispatch()
    order.refresh_from_db()
    assert order.worker == poorer
    why = Offer.objects.get().explanation
    # mean 33 per hour (132 / 4), poorer earns 22: term 10 x (22 - 33) / 33 = -3.33 km
    assert why["fairness_term_km"] == pytest.approx(-3.333, abs=0.001)
    weight = float(current_policy().policy.dispatch.fairness_weight)
    assert why["fairness_km"] == pytest.approx(-3.333 * weight, abs=0.001)
    assert why["nearest_other"] == richer.number
    assert "earns above the mean per active hour" in why["lines"][-1][0]


def test_a_worker_is_not_offered_their_own_request(
    clock: Clock, online: Online, places: dict[str, Place]
) -> None:
    member = online("manara")
    ride(member.user)
    assert actions.run_dispatch() is not None
    assert not Offer.objects.exists()


# --- answers to offers -----------------------------------------------------------------------


def offered(customer: User, online: Online) -> tuple[Order, Membership]:
    worker = online("sardah")
    order = ride(customer, tip="5.00")
    actions.run_dispatch()
    order.refresh_from_db()
    return order, worker


def test_a_ride_from_request_to_payment(clock: Clock, customer: User, online: Online) -> None:
    order, worker = offered(customer, online)
    order = actions.accept_offer(actor=worker.user, order_id=order.pk)
    assert (order.status, order.worker) == (Status.CONFIRMED, worker)
    assert Offer.objects.get().status == "accepted"
    order = actions.pick_up(actor=worker.user, order_id=order.pk)
    assert order.status == Status.IN_PROGRESS
    clock.advance(minutes=25)
    order = actions.complete_trip(
        actor=worker.user, order_id=order.pk, km=D("9.1"), minutes=D("24"), idempotency_key="c1"
    )
    assert order.status == Status.COMPLETED
    trip = Trip.objects.get(order=order)
    assert (trip.actual_km, trip.actual_minutes) == (D("9.1"), D("24"))
    assert order.price == D("23.60")  # the upfront price stands
    assert order.hours == D("0.40")
    entry = JournalEntry.objects.get(kind=EntryKind.SALE)
    assert order.payment_id == entry.pk
    assert owed(worker) == D("25.77")  # 20.77 share + 5.00 tip
    assert balance("cash") == D("28.60")
    assert -balance("solidarity_fund") == D("0.47")
    assert books_problems() == []
    assert [e.kind for e in order.events.all()] == [
        "placed",
        "offered",
        "confirmed",
        "started",
        "completed",
        "paid",
    ]
    again = actions.complete_trip(
        actor=worker.user, order_id=order.pk, km=D("9.1"), minutes=D("24"), idempotency_key="c1"
    )
    assert again.pk == order.pk
    assert JournalEntry.objects.filter(kind=EntryKind.SALE).count() == 1


def test_only_the_offered_worker_may_accept_and_only_in_time(
    clock: Clock, customer: User, online: Online, make_member: Callable[..., Membership]
) -> None:
    order, worker = offered(customer, online)
    other = make_member("worker")
    with unchanged(), pytest.raises(NotAllowed):
        actions.accept_offer(actor=other.user, order_id=order.pk)
    with unchanged(), pytest.raises(NotAllowed):
        actions.accept_offer(actor=customer, order_id=order.pk)
    clock.advance(seconds=60)
    with unchanged(), pytest.raises(DomainError) as late:
        actions.accept_offer(actor=worker.user, order_id=order.pk)
    assert late.value.code == "offer_expired"


def test_an_unanswered_offer_expires_and_goes_to_someone_else_next(
    clock: Clock, customer: User, online: Online
) -> None:
    order, first = offered(customer, online)
    second = online("beitunia")
    clock.advance(seconds=59)
    assert actions.expire_offers() == 0
    clock.advance(seconds=1)
    run = actions.maybe_dispatch()  # expires the offer, then the next batch
    offers = list(Offer.objects.order_by("id"))
    assert [(o.worker, o.status) for o in offers] == [(first, "expired"), (second, "offered")]
    assert offers[0].answered_at == clock.now
    assert run is not None and run.assigned == 1
    order.refresh_from_db()
    assert (order.status, order.worker) == (Status.OFFERED, second)
    expired = order.events.get(kind=OrderEvent.Kind.EXPIRED)
    assert expired.data == {"offer": offers[0].pk}
    with pytest.raises(DomainError) as closed:
        actions.accept_offer(actor=first.user, order_id=order.pk)
    assert closed.value.code == "offer_closed"


def test_a_decline_returns_the_trip_and_skips_that_worker_for_one_batch(
    clock: Clock, customer: User, online: Online
) -> None:
    order, worker = offered(customer, online)
    order = actions.decline_offer(actor=worker.user, order_id=order.pk)
    assert (order.status, order.worker) == (Status.REQUESTED, None)
    offer = Offer.objects.get()
    assert (offer.status, offer.counts_against) == ("declined", False)
    assert selectors.counted_declines(worker) == 0
    clock.advance(seconds=5)
    run = actions.run_dispatch()
    assert run is not None and run.assigned == 0  # not the same worker again at once
    clock.advance(seconds=5)
    run = actions.run_dispatch()
    assert run is not None and run.assigned == 1  # but in a later batch, if nobody else is near
    assert Offer.objects.filter(worker=worker).count() == 2


def test_a_decline_is_counted_when_the_members_say_so(
    clock: Clock, customer: User, online: Online, monkeypatch: pytest.MonkeyPatch
) -> None:
    order, worker = offered(customer, online)
    current = current_policy()
    counting = current.policy.model_copy(
        update={
            "dispatch": current.policy.dispatch.model_copy(update={"decline_counts_against": True})
        }
    )
    monkeypatch.setattr(actions, "current_policy", lambda: CurrentPolicy(current.number, counting))
    actions.decline_offer(actor=worker.user, order_id=order.pk)
    assert Offer.objects.get().counts_against is True
    assert selectors.counted_declines(worker) == 1
    assert order.events.get(kind="declined").data["counted"] is True


# --- taking an open trip directly --------------------------------------------------------------


def test_a_worker_takes_an_open_trip_within_reach(
    clock: Clock, customer: User, online: Online
) -> None:
    worker = online("bireh")
    order = ride(customer)
    assert [(t.order_id, km) for t, km in selectors.open_trips_near(worker)] == [
        (order.pk, D("1.5"))
    ]
    order = actions.take_trip(actor=worker.user, order_id=order.pk)
    assert (order.status, order.worker) == (Status.CONFIRMED, worker)
    assert selectors.current_offer(order) is None
    assert selectors.open_trips_near(worker) == []


def test_taking_a_trip_is_refused_when_offline_far_busy_or_taken(
    clock: Clock,
    customer: User,
    online: Online,
    make_member: Callable[..., Membership],
    make_account: Callable[..., User],
) -> None:
    order = ride(customer)
    never_online = make_member("worker")
    with unchanged(), pytest.raises(DomainError) as offline:
        actions.take_trip(actor=never_online.user, order_id=order.pk)
    assert offline.value.code == "not_online"
    far = online(geo.point("32.1000", "35.2034"))  # 21.8 km from the pickup
    with unchanged(), pytest.raises(DomainError) as too_far:
        actions.take_trip(actor=far.user, order_id=order.pk)
    assert too_far.value.code == "too_far"
    assert selectors.open_trips_near(far) == []
    taker = online("manara")
    actions.take_trip(actor=taker.user, order_id=order.pk)
    late = online("bireh")
    with unchanged(), pytest.raises(DomainError) as taken:
        actions.take_trip(actor=late.user, order_id=order.pk)
    assert taken.value.code == "order_changed"
    another = ride(make_account(), "sardah", "beitunia")
    with unchanged(), pytest.raises(DomainError) as busy:
        actions.take_trip(actor=taker.user, order_id=another.pk)
    assert busy.value.code == "already_busy"
    with unchanged(), pytest.raises(NotAllowed):
        actions.take_trip(actor=customer, order_id=another.pk)  # not a worker


# --- presence ------------------------------------------------------------------------------


def test_presence_needs_a_first_position_in_the_area(
    clock: Clock, places: dict[str, Place], make_member: Callable[..., Membership]
) -> None:
    member = make_member("worker")
    with unchanged(), pytest.raises(InvalidInput) as first:
        actions.set_presence(actor=member.user, online=True)
    assert first.value.code == "position_needed"
    with unchanged(), pytest.raises(InvalidInput) as away:
        actions.set_presence(actor=member.user, online=True, position=geo.point("30.0", "31.2"))
    assert away.value.code == "outside_area"
    actions.set_presence(actor=member.user, online=True, position=at("bireh"))
    presence = actions.set_presence(actor=member.user, online=False)
    assert (presence.online, presence.latitude, presence.updated_at) == (
        False,
        D("31.910000"),
        clock.now,
    )
    supporter = make_member("supporter")
    with unchanged(), pytest.raises(NotAllowed):
        actions.set_presence(actor=supporter.user, online=True, position=at("bireh"))
    assert Presence.objects.count() == 1


# --- the trip's life ---------------------------------------------------------------------------


def test_the_customer_cancels_before_pickup_at_no_charge(
    clock: Clock, customer: User, online: Online
) -> None:
    order, worker = offered(customer, online)
    with unchanged(), pytest.raises(NotAllowed):
        actions.cancel_trip(actor=worker.user, order_id=order.pk)
    order = actions.cancel_trip(actor=customer, order_id=order.pk)
    assert (order.status, order.payment) == (Status.CANCELLED, None)
    assert Offer.objects.get().status == "withdrawn"
    with unchanged(), pytest.raises(DomainError) as accepted:
        actions.accept_offer(actor=worker.user, order_id=order.pk)
    assert accepted.value.code == "offer_closed"
    assert not JournalEntry.objects.filter(kind=EntryKind.SALE).exists()


def test_no_cancelling_after_pickup_and_no_steps_out_of_order(
    clock: Clock, customer: User, online: Online
) -> None:
    order, worker = offered(customer, online)
    with unchanged(), pytest.raises(DomainError) as early:
        actions.pick_up(actor=worker.user, order_id=order.pk)
    assert early.value.code == "order_changed"
    actions.accept_offer(actor=worker.user, order_id=order.pk)
    with unchanged(), pytest.raises(DomainError):
        actions.complete_trip(actor=worker.user, order_id=order.pk, km=D(9), minutes=D(20))
    actions.pick_up(actor=worker.user, order_id=order.pk)
    with unchanged(), pytest.raises(DomainError) as late:
        actions.cancel_trip(actor=customer, order_id=order.pk)
    assert late.value.code == "order_changed"
    for km, minutes, code in ((D(-1), D(3), "bad_km"), (D(5), D(5000), "bad_minutes")):
        with unchanged(), pytest.raises(InvalidInput) as bad:
            actions.complete_trip(actor=worker.user, order_id=order.pk, km=km, minutes=minutes)
        assert bad.value.code == code


def test_unknown_and_huge_order_ids_are_not_found(clock: Clock, online: Online) -> None:
    worker = online("manara")
    for order_id in (0, -1, 2**63, 999):
        with pytest.raises(DomainError) as missing, transaction.atomic():
            actions.accept_offer(actor=worker.user, order_id=order_id)
        assert missing.value.code == "not_found"


def test_the_dispatch_command_runs_a_due_batch(
    clock: Clock, customer: User, online: Online
) -> None:
    from io import StringIO

    from django.core.management import call_command

    online("sardah")
    ride(customer)
    out = StringIO()
    call_command("dispatch", stdout=out)
    assert (
        out.getvalue() == "2030-03-01T10:00:00+00:00 exact: 1 of 1 requests offered to 1 workers\n"
    )
