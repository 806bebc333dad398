"""A trip offer, an order for a producer's products, a chosen project proposal and a payout each
tell the one person concerned."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.urls import reverse

from taawun.accounts.models import User
from taawun.domain.money import Money
from taawun.ledger import actions as ledger
from taawun.market.products import actions as shop
from taawun.market.projects import actions as projects
from taawun.market.trips import actions as trips
from taawun.market.trips.models import Offer, Place
from taawun.members.models import Membership
from taawun.notifications.models import EmailState, Notification
from tests.market.projects.conftest import post, propose
from tests.market.trips.conftest import ride

from .conftest import told

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_a_dispatch_batch_tells_each_offered_worker_in_the_app_only(
    make_account: Callable[..., User],
    places: dict[str, Place],
    online: Callable[..., Membership],
) -> None:
    near, far = online("sardah"), online("beitunia")
    first, second = make_account(), make_account()
    one, two = ride(first), ride(second, start="beitunia")
    trips.run_dispatch()
    offers = {o.trip.order_id: o for o in Offer.objects.select_related("trip")}
    assert sorted(told()) == sorted([(near.user_id, "trip_offered"), (far.user_id, "trip_offered")])
    note = Notification.objects.get(recipient=near.user)
    assert note.payload == {"order": one.pk, "offer": offers[one.pk].pk}
    assert note.email_state == EmailState.NOT_WANTED  # an offer expires before an email arrives
    assert Notification.objects.get(recipient=far.user).payload["order"] == two.pk
    trips.run_dispatch()  # nothing new to offer: nobody is told again
    assert len(told()) == 2


def test_checkout_tells_each_producer_of_their_order(
    make_member: Callable[..., Membership],
    make_account: Callable[..., User],
    make_product: Callable[..., object],
) -> None:
    honey, oil = make_member(), make_member()
    buyer = make_account()
    made = [make_product(m) for m in (honey, oil)]
    shop.add_to_cart(actor=buyer, product_id=made[0].pk, quantity=2)
    shop.add_to_cart(actor=buyer, product_id=made[1].pk, quantity=3)
    orders = shop.checkout(actor=buyer, fulfilment="pickup", method="cash", idempotency_key="k")
    assert told() == [(honey.user_id, "product_ordered"), (oil.user_id, "product_ordered")]
    assert [n.payload for n in Notification.objects.order_by("pk")] == [
        {"order": orders[0].pk, "items": 2},
        {"order": orders[1].pk, "items": 3},
    ]
    shop.checkout(actor=buyer, fulfilment="pickup", method="cash", idempotency_key="k")  # retry
    assert len(told()) == 2


def test_choosing_a_proposal_tells_its_freelancer_only(
    make_member: Callable[..., Membership], make_account: Callable[..., User]
) -> None:
    chosen, other = make_member("worker"), make_member("worker")
    customer = make_account()
    brief = post(customer)
    picked = propose(chosen, brief)
    propose(other, brief, price="450.00", pairs=[("All of it", "450.00")])
    projects.choose_proposal(actor=customer, proposal_id=picked.pk, method="cash")
    assert told() == [(chosen.user_id, "proposal_accepted")]
    note = Notification.objects.get()
    assert note.payload == {"brief": brief.pk, "proposal": picked.pk}
    assert note.link == reverse("market:projects:brief", args=[brief.pk])


def test_a_payout_run_tells_each_member_paid(
    founder: User, make_member: Callable[..., Membership]
) -> None:
    one, two, unpaid = make_member(paid=1), make_member(), make_member()
    for member, price in ((one, "100.00"), (two, "50.00")):
        ledger.record_sale(
            actor=founder,
            worker_number=member.number,
            price=Money(Decimal(price), "ILS"),
            tip=Money(Decimal("0.00"), "ILS"),
            method="cash",
            hours=Decimal(1),
        )
    for _ in range(3):
        make_member(paid=4)  # cash in the box from shares
    run = ledger.run_payouts(actor=founder, method="cash", idempotency_key="run-1")
    assert told() == [(one.user_id, "payout_paid"), (two.user_id, "payout_paid")]
    assert [n.payload for n in Notification.objects.order_by("pk")] == [
        {"run": run.number, "amount": "88.00", "currency": "ILS"},
        {"run": run.number, "amount": "44.00", "currency": "ILS"},
    ]
    assert {n.link for n in Notification.objects.all()} == {reverse("ledger:mine")}
    assert not Notification.objects.filter(recipient=unpaid.user).exists()
