"""A dispatch batch keeps what it was shown, and solved again from that under the same rules it
gives back the offers it made; the replay reads the batches in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain.impact import replay_dispatch
from taawun.market.models import Order
from taawun.market.replay import batches_for_replay
from taawun.market.trips import actions
from taawun.market.trips.models import Offer
from taawun.members.models import Membership
from tests.core.helpers import Clock

from .conftest import ride

pytestmark = [pytest.mark.django_db]

Online = Callable[..., Membership]


def complete(worker: Membership, order: Order) -> None:
    actions.accept_offer(actor=worker.user, order_id=order.pk)
    actions.pick_up(actor=worker.user, order_id=order.pk)
    actions.complete_trip(actor=worker.user, order_id=order.pk, km=Decimal(9), minutes=20)


def test_a_batch_records_what_it_was_shown_and_its_replay_gives_back_its_offers(
    clock: Clock, customer: User, online: Online, django_assert_num_queries: Any
) -> None:
    since = clock.now
    sardah, beitunia, bireh = online("sardah"), online("beitunia"), online("bireh")
    declined, taken = ride(customer, "manara"), ride(customer, "beitunia", "manara")
    first = actions.run_dispatch()
    assert first is not None
    assert first.inputs == {
        "requests": {
            "order": [declined.pk, taken.pk],
            "latitude": ["31.903800", "31.896000"],
            "longitude": ["35.203400", "35.164000"],
        },
        "workers": {
            "member": [sardah.pk, beitunia.pk, bireh.pk],
            "latitude": ["31.937000", "31.896000", "31.910000"],
            "longitude": ["35.203000", "35.164000", "35.217000"],
            "hourly_earnings": ["0", "0", "0"],
            "active_hours": ["0", "0", "0"],
        },
        "barred": [],
    }
    offered = dict(Offer.objects.values_list("trip__order_id", "worker_id"))
    assert offered == {declined.pk: bireh.pk, taken.pk: beitunia.pk}
    actions.decline_offer(actor=bireh.user, order_id=declined.pk)
    complete(beitunia, taken)
    clock.advance(seconds=10)
    second = actions.run_dispatch()
    assert second is not None
    assert second.inputs is not None
    assert second.inputs["barred"] == [[declined.pk, bireh.pk]]  # it declined this trip
    (again,) = Offer.objects.filter(run=second)
    assert again.worker_id == sardah.pk
    complete(sardah, declined)

    current_policy()  # the policy is cached: its first read is not the replay's
    with django_assert_num_queries(3):  # the data version, the offers, the batches
        batches = batches_for_replay(since=since)
    assert batches.trip.tolist() == [declined.pk, taken.pk]
    assert batches.trip_batch.tolist() == [first.pk, first.pk]  # first offers only
    assert batches.first_offer.tolist() == [bireh.pk, beitunia.pk]
    rules = current_policy().policy.dispatch
    replay = replay_dispatch(rules, rules, batches)
    assert replay.current.tolist() == replay.proposed.tolist() == [bireh.pk, beitunia.pk]
    assert replay.pickup_km[0] == float(first.pickup_km)
    with django_assert_num_queries(3):
        assert len(batches_for_replay(since=clock.now + dt.timedelta(days=1)).trip) == 0
