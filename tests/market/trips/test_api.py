"""Trips over the JSON API: places, a quote without side effects, an idempotent request, the
status with the explanation, presence, offers, each step, and bad input answered with 4xx."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from taawun.accounts.models import User
from taawun.market.models import Order
from taawun.market.trips.models import Place, Trip
from taawun.members.models import Membership
from tests.api.conftest import Api
from tests.ledger.helpers import owed

from .conftest import unchanged

pytestmark = [pytest.mark.django_db]
BASE = "/api/market/trips"


def api(user: User) -> Api:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return Api(client)


def body(places: dict[str, Place], **change: Any) -> dict[str, Any]:
    return {
        "kind": "ride",
        "pickup": {"place": places["manara"].pk},
        "dropoff": {"lat": "31.9590", "lon": "35.182"},
        "tip": "1.00",
        **change,
    }


def test_places_and_a_quote_without_side_effects(customer: User, places: dict[str, Place]) -> None:
    caller = api(customer)
    listed = caller.get(f"{BASE}/places").json()
    assert listed[0]["name_en"] == "Al-Bireh Municipality"
    with unchanged():
        quoted = caller.post(f"{BASE}/quote", body(places))
    assert quoted.status_code == 200
    data = quoted.json()
    assert {
        k: data[k]
        for k in (
            "km",
            "minutes",
            "price",
            "total_paid",
            "worker_share",
            "coop_fee",
            "solidarity",
            "tip",
        )
    } == {
        "km": "8.4",
        "minutes": "20",
        "price": "23.60",
        "total_paid": "24.60",
        "worker_share": "20.77",
        "coop_fee": "2.36",
        "solidarity": "0.47",
        "tip": "1.00",
    }
    assert data["explanation"][0] == "Base fare 5.00 ILS"


def test_a_trip_over_the_api_from_request_to_payment(
    customer: User, places: dict[str, Place], make_member: Callable[..., Membership]
) -> None:
    caller = api(customer)
    made = caller.post(f"{BASE}/", {**body(places), "method": "bank"}, HTTP_IDEMPOTENCY_KEY="r1")
    assert made.status_code == 201
    again = caller.post(f"{BASE}/", {**body(places), "method": "bank"}, HTTP_IDEMPOTENCY_KEY="r1")
    assert again.json() == made.json() and again["Idempotent-Replayed"] == "true"
    trip = made.json()
    order_id = trip["order"]["id"]
    assert (trip["order"]["status"], trip["trip"]["estimated_km"], trip["explanation"]) == (
        "requested",
        "8.4",
        None,
    )
    assert Order.objects.count() == 1
    worker = make_member("worker")
    driver = api(worker.user)
    here = driver.post(f"{BASE}/presence", {"online": True, "lat": "31.937", "lon": "35.203"})
    assert here.status_code == 200 and here.json()["lat"] == "31.937000"
    offers = driver.get(f"{BASE}/offers").json()  # runs the batch
    assert [o["order"] for o in offers["offers"]] == [order_id]
    assert offers["offers"][0]["explanation"]["lines"][0] == "Pickup distance: 3.69 km."
    assert driver.post(f"{BASE}/{order_id}/accept").json()["order"]["status"] == "confirmed"
    seen = caller.get(f"{BASE}/{order_id}").json()
    assert seen["explanation"]["pickup_km"] == pytest.approx(3.69, abs=0.01)
    assert driver.post(f"{BASE}/{order_id}/pickup").json()["order"]["status"] == "in_progress"
    no_key = driver.post(f"{BASE}/{order_id}/complete", {"km": "9.0", "minutes": 21})
    assert no_key.json()["error"] == "idempotency_key_required"
    done = driver.post(
        f"{BASE}/{order_id}/complete", {"km": "9.0", "minutes": 21}, HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert done.status_code == 200
    assert done.json()["order"]["status"] == "completed"
    assert done.json()["trip"]["actual_km"] == "9.0"
    assert owed(worker) == Decimal("21.77")  # 20.77 + 1.00 tip
    assert Trip.objects.get().method == "bank"


def test_bad_input_is_a_4xx_with_a_code(customer: User, places: dict[str, Place]) -> None:
    caller = api(customer)
    for payload, status in (
        (body(places, dropoff={"lat": "91", "lon": "35"}), 400),
        (body(places, dropoff={"lat": "33.89", "lon": "35.50"}), 400),
        (body(places, dropoff={"place": 10**30}), 422),
        (body(places, dropoff={"place": 999999}), 404),
        (body(places, dropoff={"lat": "NaN", "lon": "35"}), 422),
        (body(places, dropoff={}), 400),
        (body(places, dropoff={"lat": 31.9, "lon": 35.2}), 422),  # degrees are text
        (body(places, tip="-1"), 400),
        (body(places, kind="flight"), 422),
        (body(places, extra=1), 422),
    ):
        with unchanged():
            answer = caller.post(f"{BASE}/quote", payload)
        assert answer.status_code == status, payload
        assert set(answer.json()) == {"error", "message"}
    for path in (f"{BASE}/99999999999999999999", f"{BASE}/12345"):
        assert caller.get(path).status_code == 404
    assert caller.post(f"{BASE}/12345/accept").status_code == 404
    assert caller.get(f"{BASE}/offers").json()["error"] == "not_a_worker"
    assert caller.post(f"{BASE}/presence", {"online": True, "lat": "31.9"}).status_code == 400


def test_the_customer_cancels_over_the_api(customer: User, places: dict[str, Place]) -> None:
    caller = api(customer)
    made = caller.post(f"{BASE}/", {**body(places), "method": "cash"}, HTTP_IDEMPOTENCY_KEY="x")
    order_id = made.json()["order"]["id"]
    cancelled = caller.post(f"{BASE}/{order_id}/cancel")
    assert cancelled.json()["order"]["status"] == "cancelled"
    assert caller.post(f"{BASE}/{order_id}/cancel").json()["error"] == "order_changed"


def order_reads(queries: CaptureQueriesContext, order_id: int) -> int:
    """The statements that read the order ``order_id``'s row."""
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT")
        and 'FROM "market_order"' in q["sql"]
        and f'"market_order"."id" = {order_id}' in q["sql"]
    )


def test_each_step_answers_as_a_fresh_read_would_reading_its_order_once(
    customer: User, places: dict[str, Place], make_member: Callable[..., Membership]
) -> None:
    made = api(customer).post(f"{BASE}/", body(places, method="cash"), HTTP_IDEMPOTENCY_KEY="r2")
    order_id = made.json()["order"]["id"]
    worker = make_member("worker")
    driver = api(worker.user)
    driver.post(f"{BASE}/presence", {"online": True, "lat": "31.904", "lon": "35.203"})
    steps = [
        ("take", {}, {}, 1),
        ("pickup", {}, {}, 1),
        ("complete", {"km": "8.0", "minutes": 19}, {"HTTP_IDEMPOTENCY_KEY": "c2"}, 2),
    ]
    for step, payload, headers, reads in steps:
        with CaptureQueriesContext(connection) as queries:
            answer = driver.post(f"{BASE}/{order_id}/{step}", payload, **headers)
        assert answer.status_code == 200, answer.json()
        assert order_reads(queries, order_id) == reads  # complete also locks it to take the payment
        assert answer.json() == driver.get(f"{BASE}/{order_id}").json()
    assert answer.json()["order"]["paid_in_entry"] is not None
    assert answer.json()["trip"]["actual_km"] == "8.0"
