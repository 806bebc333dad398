"""What the federation's tests share: sister co-ops as discovery stores them, work they passed
to us as the inbox stores it, and a customer with an order we may pass on."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from taawun.accounts.models import User
from taawun.domain.geo import point
from taawun.federation import discovery
from taawun.federation.models import Peer, Referral
from taawun.market.models import Order
from taawun.market.trips.actions import request_trip


@pytest.fixture(autouse=True)
def forget_keys() -> None:
    """Each process keeps the keys it has read; a test's peers are gone with its database."""
    discovery._keys.clear()


def make_peer(name: str, host: str, **fields: Any) -> Peer:
    """A sister co-op as discovery stores it after reading its actor document."""
    actor = f"https://{host}/ap/actor"
    defaults: dict[str, Any] = {
        "handle": f"{host.split('.')[0]}@{host}",
        "name": name,
        "inbox": f"https://{host}/ap/inbox",
        "key_id": f"{actor}#main-key",
        "public_key_pem": "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        "profile": {"sectors": ["service", "trip"], "area": "Bethlehem"},
        "taawun": True,
        "following": Peer.Following.ACCEPTED,
        "follows_us": True,
        "fetched_at": timezone.now(),
    }
    return Peer.objects.create(actor_id=actor, **{**defaults, **fields})


@pytest.fixture
def makers(coop: object) -> Peer:
    return make_peer("Bethlehem Makers", "makers.example")


@pytest.fixture
def customer(make_account: Callable[..., User]) -> User:
    return make_account(name="Lina Customer", email="lina@example.org")


def trip_order(customer: User) -> Order:
    """An order still waiting for a worker, unpaid: one we may pass on."""
    return request_trip(
        actor=customer,
        kind="ride",
        pickup=point("31.9038", "35.2034"),
        dropoff=point("31.9590", "35.1820"),
        pickup_label="Al-Manara Square",
        dropoff_label="Birzeit University",
        method="cash",
    )


def incoming_referral(peer: Peer, **fields: Any) -> Referral:
    """Work a sister co-op offered us, as the inbox stores it."""
    now = timezone.now()
    values: dict[str, Any] = {
        "direction": Referral.Direction.IN,
        "peer": peer,
        "status": Referral.Status.OFFERED,
        "commitment_id": f"{peer.actor_id.rsplit('/', 1)[0]}/referrals/{uuid.uuid4()}",
        "offer_id": f"{peer.actor_id.rsplit('/', 1)[0]}/activities/{uuid.uuid4()}",
        "sector": "service",
        "title": "Fix a kitchen tap",
        "area": "Bethlehem",
        "estimate": Decimal("80.00"),
        "currency": "ILS",
        "fee_percent": Decimal("5.00"),
        "contact_name": "Maha Customer",
        "contact": "maha@example.org",
        "created_at": now,
        "expires_at": now + dt.timedelta(hours=48),
        "charged": Decimal(0),
        "fee": Decimal(0),
    }
    return Referral.objects.create(**{**values, **fields})
