"""The documents co-ops exchange: ActivityStreams activities carrying ValueFlows objects.

Offers are FEP-0837 ``Proposal``s (an Intent we publish, the payment we ask in return). A
referral is ``Offer{Commitment}`` answered by ``Accept{Agreement}`` or ``Reject`` and closed by
``Create{EconomicEvent}``; a mutual-credit transfer is the same shape with the ``transfer``
action. Reading is lenient where servers differ (a value or a list, an id or an embedded
object) and strict where it matters (ids must be http(s) URLs on the sender's own host).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings

from taawun.domain.errors import InvalidInput, gettext_noop

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
VF = "https://w3id.org/valueflows/ont/vf#"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "vf": VF,
        "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
        "Proposal": "vf:Proposal",
        "Intent": "vf:Intent",
        "Commitment": "vf:Commitment",
        "Agreement": "vf:Agreement",
        "EconomicEvent": "vf:EconomicEvent",
        "publishes": {"@id": "vf:publishes", "@type": "@id"},
        "reciprocal": {"@id": "vf:reciprocal", "@type": "@id"},
        "unitBased": "vf:unitBased",
        "purpose": "vf:purpose",
        "action": "vf:action",
        "resourceConformsTo": "vf:resourceConformsTo",
        "resourceQuantity": "vf:resourceQuantity",
        "hasUnit": "om2:hasUnit",
        "hasNumericalValue": "om2:hasNumericalValue",
        "satisfies": "vf:satisfies",
        "fulfills": "vf:fulfills",
        "stipulates": "vf:stipulates",
        "provider": "vf:provider",
        "receiver": "vf:receiver",
        "taawun": "https://w3id.org/taawun#",
    },
]
SECTOR_CONFORMS = "https://w3id.org/taawun/sectors#"
DELIVER = "deliverService"
TRANSFER = "transfer"


def site() -> str:
    return str(settings.SITE_URL).rstrip("/")


def host() -> str:
    return urlsplit(site()).netloc


def url(path: str) -> str:
    return f"{site()}/ap/{path}"


def actor_id() -> str:
    return url("actor")


def key_id() -> str:
    return f"{actor_id()}#main-key"


def transfer_url(payer: str, transfer_id: str) -> str:
    """Where a transfer lives: under its payer, named by the payer's own id for it."""
    return f"{payer.rstrip('/')}/transfers/{quote(transfer_id, safe='')}"


def quantity(amount: Decimal, unit: str) -> dict[str, str]:
    return {"hasUnit": unit, "hasNumericalValue": format(amount, "f")}


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def activity(
    kind: str, activity_id: str, obj: Any, *, to: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": actor_id(),
        "object": obj,
        "to": to,
        **extra,
    }


# --- Reading ----------------------------------------------------------------------------------


MAX_DEPTH = 64


def storable(document: Any) -> bool:
    """Whether a document from another server can be kept as it came: no NUL in any text
    (PostgreSQL refuses one), no NaN or infinity (not JSON), nested at most MAX_DEPTH deep.
    Walked without recursion."""
    pending = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(value, str):
            if "\x00" in value:
                return False
        elif isinstance(value, float):
            if not math.isfinite(value):
                return False
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or "\x00" in key:
                    return False
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return True


def bad(what: str) -> InvalidInput:
    return InvalidInput(
        "bad_activity", gettext_noop("The activity is not valid: %(what)s."), what=what
    )


def types(value: Any) -> set[str]:
    found = value.get("type") if isinstance(value, dict) else None
    if isinstance(found, str):
        return {found.removeprefix("vf:")}
    if isinstance(found, list):
        return {t.removeprefix("vf:") for t in found if isinstance(t, str)}
    return set()


def ref(value: Any) -> str:
    """The id of ``value``, whether it is given as an id or as an embedded object."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, list) and len(value) == 1:
        return ref(value[0])
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise bad("an id")
    if len(value) > 500:
        raise bad("an id is too long")
    return value


def same_host(one: str, other: str) -> bool:
    return urlsplit(one).netloc.lower() == urlsplit(other).netloc.lower()


def owned_by(value: Any, actor: str) -> str:
    """The id of an object the sender says is its own: it must live on the sender's host."""
    found = ref(value)
    if not same_host(found, actor):
        raise bad("an object from another server")
    return found


def text(value: Any, limit: int, *, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):  # a language map: prefer ours, then English, then any
        value = next(
            (value[lang] for lang in (settings.LANGUAGE_CODE, "en", *value) if lang in value), ""
        )
    if not isinstance(value, str):
        raise bad(field)
    return value.strip()[:limit]


def amount(value: Any, *, field: str) -> tuple[Decimal, str]:
    """(number, unit) of an om2 measure: ``{"hasNumericalValue": "12.50", "hasUnit": "ILS"}``."""
    if not isinstance(value, dict):
        raise bad(field)
    unit = value.get("hasUnit")
    try:
        number = Decimal(str(value.get("hasNumericalValue")))
    except (InvalidOperation, ValueError):
        raise bad(field) from None
    if not number.is_finite() or number < 0 or number >= Decimal(10) ** 12:
        raise bad(field)
    if not isinstance(unit, str) or not 1 <= len(unit) <= 20:
        raise bad(field)
    return number, unit


def moment(value: Any, *, field: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise bad(field) from None
    if parsed.tzinfo is None:
        raise bad(field)
    return parsed
