"""The services sector over the JSON API: the catalogue, a day's slots, booking (safe to retry
with its Idempotency-Key), each step of a booking, a worker's week, and clear refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from taawun.accounts.models import User
from taawun.market.models import Order
from taawun.market.services.models import Availability, Booking, Service
from taawun.members.models import Membership
from tests.api.conftest import Api
from tests.core.helpers import Clock, unchanged
from tests.ledger.helpers import owed

from .conftest import MONDAY, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
BASE = "/api/market/services"
D = Decimal
AsUser = Callable[[User], Api]


@pytest.fixture
def as_user() -> AsUser:
    def make(user: User) -> Api:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return Api(client)

    return make


def key(value: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": value}


def booking(service: Service, hour: int = 9, **extra: Any) -> dict[str, Any]:
    return {
        "service": service.pk,
        "starts_at": at(MONDAY, hour).isoformat(),
        "method": "cash",
        **extra,
    }


def test_services_with_price_and_slots(
    as_user: AsUser, cleaning: Service, khalil: Membership, customer: User
) -> None:
    api = as_user(customer)
    [service] = api.get(f"{BASE}/services").json()
    assert service == {
        "id": cleaning.pk,
        "title": "House cleaning",  # in the request's language
        "title_ar": "تنظيف منزل",
        "title_en": "House cleaning",
        "description": "Two rooms, kitchen and bathroom.",
        "duration_minutes": 120,
        "price": "90.00",
        "currency": "ILS",
        "rating_average": None,
        "rating_count": 0,
    }
    slots = api.get(f"{BASE}/services/{cleaning.pk}/slots?date=2030-03-04").json()
    assert [s["starts_at"] for s in slots] == [
        at(MONDAY, h, m).isoformat() for h, m in ((8, 0), (8, 30), (9, 0), (9, 30), (10, 0))
    ]
    assert slots[0]["workers"] == [khalil.number]
    far = api.get(f"{BASE}/services/{cleaning.pk}/slots?date=2031-01-01")
    assert far.status_code == 400
    assert far.json()["error"] == "date_too_far"
    assert api.get(f"{BASE}/services/999/slots?date=2030-03-04").json()["error"] == (
        "no_such_service"
    )
    assert api.get(f"{BASE}/services/{cleaning.pk}/slots?date=soon").status_code == 422


def test_booking_is_idempotent_and_returns_the_order(
    as_user: AsUser, cleaning: Service, khalil: Membership, customer: User
) -> None:
    api = as_user(customer)
    assert api.post(f"{BASE}/bookings", booking(cleaning)).json()["error"] == (
        "idempotency_key_required"
    )
    first = api.post(f"{BASE}/bookings", booking(cleaning, tip="5.00"), **key("b1"))
    assert first.status_code == 201
    body = first.json()
    assert (body["sector"], body["status"], body["worker"]) == (
        "service",
        "requested",
        khalil.number,
    )
    assert (body["receipt"]["price"], body["receipt"]["tip"]) == ("90.00", "5.00")
    again = api.post(f"{BASE}/bookings", booking(cleaning, tip="5.00"), **key("b1"))
    assert again.status_code == 201
    assert again.json() == body
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"hour": 15}, 400, "outside_availability"),
        ({"service_id": 999}, 404, "no_such_service"),
        ({"worker": 9999}, 400, "no_such_worker"),
        ({"method": "gold"}, 422, "invalid_input"),
        ({"tip": "-1"}, 422, "invalid_input"),
        ({"starts_at": "2030-03-04T09:00:00"}, 422, "invalid_input"),
        ({"starts_at": "2030-03-01T09:00:00+02:00"}, 400, "slot_in_past"),
        ({"starts_at": "2030-12-02T09:00:00+02:00"}, 400, "date_too_far"),
        ({"extra": 1}, 422, "invalid_input"),
    ],
)
def test_bad_bookings_get_clear_errors_and_change_nothing(
    as_user: AsUser,
    cleaning: Service,
    khalil: Membership,
    customer: User,
    change: dict[str, Any],
    status: int,
    code: str,
) -> None:
    change = dict(change)
    body = booking(cleaning, change.pop("hour", 9))
    if "service_id" in change:
        body["service"] = change.pop("service_id")
    body.update(change)
    api = as_user(customer)
    api.get(f"{BASE}/services")  # the session is settled before the refused call
    with unchanged():
        response = api.post(f"{BASE}/bookings", body, **key("x"))
    assert response.status_code == status
    assert response.json()["error"] == code
    assert response.json()["message"]


def test_a_non_working_member_as_worker_is_refused(
    as_user: AsUser,
    cleaning: Service,
    khalil: Membership,
    customer: User,
    make_member: Callable[..., Membership],
) -> None:
    supporter = make_member("supporter")
    response = as_user(customer).post(
        f"{BASE}/bookings", booking(cleaning, worker=supporter.number), **key("x")
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "not_a_worker",
        "message": "Only working members can take work.",
    }


def test_a_booking_goes_through_its_steps(
    as_user: AsUser, cleaning: Service, khalil: Membership, customer: User
) -> None:
    order = as_user(customer).post(f"{BASE}/bookings", booking(cleaning), **key("b")).json()
    worker = as_user(khalil.user)
    url = f"{BASE}/bookings/{order['id']}"
    assert as_user(customer).post(f"{url}/confirm").status_code == 403
    assert worker.post(f"{url}/confirm").json()["status"] == "confirmed"
    again = worker.post(f"{url}/confirm")
    assert again.status_code == 409
    assert again.json()["message"] == "This order cannot do that now: it is confirmed."
    assert worker.post(f"{url}/start").json()["status"] == "in_progress"
    assert worker.post(f"{url}/complete", {"tip": "2.50"}).status_code == 400  # no key
    done = worker.post(f"{url}/complete", {"tip": "2.50"}, **key("c"))
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert done.json()["paid_in_entry"] is not None
    replay = worker.post(f"{url}/complete", {"tip": "2.50"}, **key("c"))
    assert replay.json() == done.json()
    assert owed(khalil) == D("81.700")
    assert worker.post(f"{BASE}/bookings/{2**63}/start").status_code == 404
    assert worker.post(f"{BASE}/bookings/{2**64}/start").status_code in (404, 422)


def test_moving_declining_and_cancelling(
    as_user: AsUser,
    clock: Clock,
    cleaning: Service,
    khalil: Membership,
    customer: User,
) -> None:
    api = as_user(customer)
    first = api.post(f"{BASE}/bookings", booking(cleaning, 8), **key("1")).json()
    tuesday = {"starts_at": at(MONDAY + dt.timedelta(days=1), 10).isoformat()}
    second = api.post(f"{BASE}/bookings", booking(cleaning, **tuesday), **key("2")).json()
    moved = api.post(
        f"{BASE}/bookings/{first['id']}/reschedule",
        {"starts_at": at(MONDAY, 8, 30).isoformat()},
    )
    assert moved.status_code == 200
    assert moved.json()["starts_at"] == "2030-03-04T06:30:00Z"
    declined = as_user(khalil.user).post(
        f"{BASE}/bookings/{first['id']}/decline", {"reason": "Ill"}
    )
    assert declined.json()["status"] == "cancelled"
    clock.now = at(MONDAY, 11)
    late = api.post(
        f"{BASE}/bookings/{second['id']}/reschedule",
        {"starts_at": at(MONDAY + dt.timedelta(days=2), 9).isoformat()},
    )
    assert late.status_code == 409
    assert late.json()["error"] == "too_late_to_move"
    cancelled = api.post(f"{BASE}/bookings/{second['id']}/cancel", **key("c"))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    fee = Booking.objects.get(order_id=second["id"]).late_fee
    assert fee is not None
    assert fee.price == D("22.500")
    assert owed(khalil) == D("19.800")


def test_a_worker_reads_and_replaces_their_week(
    as_user: AsUser, khalil: Membership, customer: User
) -> None:
    worker = as_user(khalil.user)
    week = worker.get(f"{BASE}/availability").json()["windows"]
    assert len(week) == 7
    assert week[0] == {"weekday": 0, "starts": "08:00", "ends": "12:00"}
    new = {"windows": [{"weekday": 2, "starts": "09:00", "ends": "13:30"}]}
    replaced = worker._call("put", f"{BASE}/availability", new)
    assert replaced.status_code == 200
    assert replaced.json() == new
    overlapping = {
        "windows": [
            {"weekday": 2, "starts": "09:00", "ends": "13:30"},
            {"weekday": 2, "starts": "13:00", "ends": "14:00"},
        ]
    }
    with unchanged():
        refused = worker._call("put", f"{BASE}/availability", overlapping)
    assert refused.status_code == 400
    assert refused.json()["error"] == "windows_overlap"
    with_zone = {"windows": [{"weekday": 2, "starts": "09:00Z", "ends": "13:30"}]}
    assert worker._call("put", f"{BASE}/availability", with_zone).status_code == 422
    stranger = as_user(customer)._call("put", f"{BASE}/availability", new)
    assert stranger.status_code == 400
    assert stranger.json()["error"] == "not_a_worker"
    assert Availability.objects.filter(worker=khalil).count() == 1
