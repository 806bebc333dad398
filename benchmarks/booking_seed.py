"""The booking benchmark's co-op, built through the real actions, and the in-process timing of
dispatch batches.

``python booking_seed.py seed CLIENTS``: a co-op with two places, CLIENTS customers and CLIENTS
working members online at the pickup place; prints their API tokens as JSON.
``python booking_seed.py dispatch ROUNDS``: ROUNDS batches, each of CLIENTS fresh requests for
CLIENTS free workers, timing ``run_dispatch`` alone; prints the times in ms as JSON.
Run by booking.py with bench_settings in a fresh database.
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from seeds import PICKUP, found_bench_coop  # noqa: E402

from taawun.accounts.actions import create_account  # noqa: E402
from taawun.accounts.models import User  # noqa: E402
from taawun.apikeys import actions as apikeys  # noqa: E402
from taawun.domain import geo  # noqa: E402
from taawun.market.trips import actions as trips  # noqa: E402
from taawun.market.trips.models import Place  # noqa: E402
from taawun.members import actions as members  # noqa: E402

PASSWORD = "bench-password-123"


def seed(clients: int) -> dict[str, object]:
    call_command("migrate", verbosity=0)
    board, places = found_bench_coop(
        handle="bench", name_ar="تعاونية القياس", name_en="Bench Co-op", password=PASSWORD
    )
    customers, workers = [], []
    for n in range(clients):
        customer = create_account(
            email=f"customer{n}@bench.example", full_name=f"Customer {n}", password=PASSWORD
        )
        customers.append(apikeys.create_token(actor=customer, name="bench")[1])
        person = create_account(
            email=f"driver{n}@bench.example", full_name=f"Driver {n}", password=PASSWORD
        )
        application = members.apply_for_membership(actor=person, member_class="worker")
        members.approve_application(actor=board, application_id=application.pk)
        trips.set_presence(actor=person, online=True, position=geo.point(*PICKUP))
        workers.append(apikeys.create_token(actor=person, name="bench")[1])
    return {
        "customers": customers,
        "workers": workers,
        "pickup": places[0].pk,
        "dropoff": places[1].pk,
    }


def time_dispatch(rounds: int) -> list[float]:
    """Each round: every customer asks for a trip (not timed), one batch offers them to the free
    workers (timed), then the customers cancel (not timed), so the next round starts alike."""
    customers = list(User.objects.filter(email__startswith="customer").order_by("pk"))
    pickup, dropoff = (Place.objects.get(name_en=n) for n in ("Al-Manara", "Al-Bireh municipality"))
    times = []
    for _ in range(rounds):
        orders = [
            trips.request_trip(
                actor=customer,
                kind="ride",
                pickup=geo.point(pickup.latitude, pickup.longitude),
                dropoff=geo.point(dropoff.latitude, dropoff.longitude),
                pickup_label=pickup.name_en,
                dropoff_label=dropoff.name_en,
                method="cash",
                tip=Decimal(0),
            )
            for customer in customers
        ]
        start = time.perf_counter()
        run = trips.run_dispatch()
        times.append((time.perf_counter() - start) * 1000)
        assert run is not None and run.assigned == len(orders), run
        for customer, order in zip(customers, orders, strict=True):
            trips.cancel_trip(actor=customer, order_id=order.pk)
    return times


if __name__ == "__main__":
    command, count = sys.argv[1], int(sys.argv[2])
    result = seed(count) if command == "seed" else time_dispatch(count)
    print(json.dumps(result))
