"""Our offers as FEP-0837 Proposals, and sister co-ops' Proposals read into our directory.

A Proposal publishes an Intent (the work, ``deliverService`` in a sector, per unit) and asks a
reciprocal Intent (the price, a ``transfer`` of money per unit). Servers that do not know the
vocabulary get the same offer as a Note, which every fediverse server can show."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from django.utils import timezone

from taawun.coop.selectors import current_policy
from taawun.domain.money import MINOR_UNITS
from taawun.market.models import Sector
from taawun.market.products.models import Product
from taawun.market.services.models import Service

from . import vocabulary as vocab
from .models import Peer, RemoteOffer


def _proposal(
    slug: str,
    sector: str,
    name: dict[str, str],
    summary: str,
    price: Decimal,
    currency: str,
    unit: str,
) -> dict[str, Any]:
    object_id = vocab.url(f"proposals/{slug}")
    return {
        "id": object_id,
        "type": "Proposal",
        "attributedTo": vocab.actor_id(),
        "name": name["en"],
        "nameMap": name,
        "content": summary,
        "purpose": "offer",
        "unitBased": True,
        "taawun:sector": sector,
        "publishes": {
            "id": f"{object_id}#primary",
            "type": "Intent",
            "action": vocab.DELIVER,
            "resourceConformsTo": vocab.SECTOR_CONFORMS + sector,
            "resourceQuantity": {"hasUnit": unit, "hasNumericalValue": "1"},
        },
        "reciprocal": {
            "id": f"{object_id}#reciprocal",
            "type": "Intent",
            "action": vocab.TRANSFER,
            "resourceQuantity": vocab.quantity(price, currency),
        },
        "to": [vocab.PUBLIC],
    }


def proposals() -> list[dict[str, Any]]:
    """Every offer we make now: the services on our menu and the products on sale."""
    policy = current_policy().policy
    hourly = policy.pricing.services.hourly_rate
    found = [
        _proposal(
            f"service-{service.pk}",
            Sector.SERVICE,
            {"ar": service.title_ar, "en": service.title_en},
            service.description,
            hourly,
            policy.currency,
            "hour",
        )
        for service in Service.objects.filter(active=True).order_by("pk")
    ]
    found += [
        _proposal(
            f"product-{product.pk}",
            Sector.PRODUCT,
            {"ar": product.name_ar, "en": product.name_en},
            product.description,
            product.unit_price,
            product.currency,
            product.unit,
        )
        for product in Product.objects.filter(active=True, stock__gt=0).order_by("pk")
    ]
    return found


def as_note(proposal: dict[str, Any]) -> dict[str, Any]:
    """The offer in words, for servers that show only notes."""
    price = proposal["reciprocal"]["resourceQuantity"]
    unit = proposal["publishes"]["resourceQuantity"]["hasUnit"]
    words = f"{proposal['name']}: {price['hasNumericalValue']} {price['hasUnit']} / {unit}"
    return {
        "id": proposal["id"],
        "type": "Note",
        "attributedTo": proposal["attributedTo"],
        "content": f"<p>{escape(words)}</p>"
        + (f"<p>{escape(proposal['content'])}</p>" if proposal.get("content") else ""),
        "url": proposal["id"],
        "to": proposal["to"],
    }


def take(peer: Peer, proposal: dict[str, Any]) -> RemoteOffer:
    """Store a sister co-op's Proposal in the directory (its own offers only)."""
    object_id = vocab.owned_by(proposal, peer.actor_id)
    publishes = proposal.get("publishes")
    reciprocal = proposal.get("reciprocal")
    if not isinstance(publishes, dict):
        raise vocab.bad("the offer's intent")
    sector = proposal.get("taawun:sector") or str(
        publishes.get("resourceConformsTo", "")
    ).removeprefix(vocab.SECTOR_CONFORMS)
    if sector not in Sector.values:
        raise vocab.bad("the sector")
    price: Decimal | None = None
    currency = ""
    if isinstance(reciprocal, dict) and reciprocal.get("resourceQuantity") is not None:
        price, currency = vocab.amount(reciprocal["resourceQuantity"], field="the price")
        if currency not in MINOR_UNITS:  # a price we cannot read is shown as none
            price, currency = None, ""
    unit_quantity = publishes.get("resourceQuantity")
    unit = str(unit_quantity.get("hasUnit", ""))[:20] if isinstance(unit_quantity, dict) else ""
    offer, _ = RemoteOffer.objects.update_or_create(
        object_id=object_id,
        defaults={
            "peer": peer,
            "sector": sector,
            "name": vocab.text(proposal.get("nameMap") or proposal.get("name"), 200, field="name")
            or "-",
            "summary": vocab.text(proposal.get("content"), 2000, field="content"),
            "price": price,
            "currency": currency,
            "unit": unit,
            "updated_at": timezone.now(),
        },
    )
    return offer
