"""The co-op as other servers see it: WebFinger, NodeInfo, the actor and its collections, the
objects it publishes, and the inbox that takes signed activities.

Every answer here is public and machine-readable; the members' pages are in ``views``."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

import taawun
from taawun.domain.errors import InvalidInput, gettext_noop
from taawun.web.errors import explain

from . import discovery, inbox, learning, offers, selectors
from . import vocabulary as vocab
from .models import Outbound, Peer, Referral
from .signatures import SignatureRefused, verify_request

MAX_ACTIVITY_BYTES = 1_000_000
AP_TYPE = "application/activity+json; charset=utf-8"
PUBLIC_OBJECTS = frozenset({"Proposal", "Note", "Tombstone"})
REFUSALS = {
    "unsigned": gettext_noop("The request is not signed."),
    "malformed": gettext_noop("The request's signature cannot be read."),
    "bad_digest": gettext_noop("The body does not match its digest."),
    "stale": gettext_noop("The request's signature is too old or from the future."),
    "unknown_key": gettext_noop("The key that signed the request is unknown."),
    "bad_signature": gettext_noop("The signature does not match the request."),
    "not_covered": gettext_noop("The signature does not cover what it must."),
    "wrong_actor": gettext_noop("The activity's actor is not the key's owner."),
}


def activity_json(document: Any, status: int = 200) -> HttpResponse:
    response = JsonResponse(
        document, status=status, content_type=AP_TYPE, json_dumps_params={"ensure_ascii": False}
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def refused(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


@require_GET
def webfinger(request: HttpRequest) -> HttpResponse:
    resource = request.GET.get("resource", "")
    names = {f"acct:{name}@{vocab.host()}" for name in ("coop", selectors.handle())}
    if resource not in names and resource != vocab.actor_id():
        return refused("not_found", gettext("No such account here."), 404)
    document = {
        "subject": f"acct:{selectors.handle()}@{vocab.host()}",
        "aliases": [vocab.actor_id()],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": vocab.actor_id()},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": vocab.site() + "/",
            },
        ],
    }
    response = JsonResponse(document, content_type="application/jrd+json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def nodeinfo_links(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        {
            "links": [
                {
                    "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                    "href": vocab.site() + "/nodeinfo/2.1",
                }
            ]
        }
    )


@require_GET
def nodeinfo(request: HttpRequest) -> HttpResponse:
    profile = selectors.profile()
    document = {
        "version": "2.1",
        "software": {
            "name": "taawun",
            "version": taawun.__version__,
            "homepage": vocab.site() + "/",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": True,
        "usage": {
            "users": {"total": selectors.member_count()},
            "localPosts": len(offers.proposals()),
        },
        "metadata": {"nodeName": selectors.coop_name(), "taawun": profile},
    }
    return JsonResponse(
        document,
        content_type='application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
    )


@require_GET
def actor(request: HttpRequest) -> HttpResponse:
    return activity_json(selectors.actor_document())


def _collection(name: str, items: list[Any]) -> HttpResponse:
    return activity_json(
        {
            "@context": vocab.AS_CONTEXT,
            "id": vocab.url(name),
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """Our offers, each as the Create that announced it."""
    items = [
        {
            "id": proposal["id"] + "#create",
            "type": "Create",
            "actor": vocab.actor_id(),
            "object": proposal,
        }
        for proposal in offers.proposals()
    ]
    return _collection("outbox", items)


@require_GET
def followers(request: HttpRequest) -> HttpResponse:
    return _collection(
        "followers", list(Peer.objects.filter(follows_us=True).values_list("actor_id", flat=True))
    )


@require_GET
def following(request: HttpRequest) -> HttpResponse:
    return _collection(
        "following",
        list(
            Peer.objects.filter(following=Peer.Following.ACCEPTED).values_list(
                "actor_id", flat=True
            )
        ),
    )


@require_GET
def proposal(request: HttpRequest, slug: str) -> HttpResponse:
    wanted = vocab.url(f"proposals/{slug}")
    for found in offers.proposals():
        if found["id"] == wanted:
            return activity_json({"@context": vocab.CONTEXT, **found})
    raise Http404


@require_GET
def learning_object(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """A course or knowledge-base page of ours, while it is shared with sister co-ops."""
    found = learning.shared_article(kind, key)
    if found is None:
        raise Http404
    return activity_json({"@context": learning.CONTEXT, **found})


@require_GET
def outbound_activity(request: HttpRequest, activity_id: str) -> HttpResponse:
    """Our public activities (follows, offers), so a server can check one it was told of.
    What carries work or money between two co-ops (a referral, its answer, a transfer, a
    credit line) stays between them."""
    found = Outbound.objects.filter(pk=activity_id).first()
    if found is None or not _public(found.kind, vocab.types(found.payload.get("object"))):
        raise Http404
    return activity_json(found.payload)


def _public(kind: str, object_types: set[str]) -> bool:
    if kind == "Follow":
        return True
    if kind in ("Accept", "Undo"):
        return "Follow" in object_types
    return kind in ("Create", "Update", "Delete") and bool(object_types & PUBLIC_OBJECTS)


@require_GET
def referral_object(request: HttpRequest, referral_id: str) -> HttpResponse:
    """That a referral exists, and its state: its contents stay between the two co-ops."""
    found = Referral.objects.filter(pk=referral_id, direction=Referral.Direction.OUT).first()
    if found is None:
        raise Http404
    return activity_json(
        {
            "@context": vocab.CONTEXT,
            "id": found.commitment_id,
            "type": "Commitment",
            "action": vocab.DELIVER,
            "taawun:status": found.status,
        }
    )


@require_GET
def credit(request: HttpRequest) -> HttpResponse:
    """Our mutual-credit lines, as the network's zero-sum check reads them."""
    return JsonResponse(
        {
            "actor": vocab.actor_id(),
            "at": vocab.stamp(timezone.now()),
            "lines": selectors.credit_lines_public(),
        }
    )


def _verified(request: HttpRequest, body: bytes) -> tuple[int, str]:
    """(peer pk, actor id) of the key that signed the request, or SignatureRefused."""
    found: dict[str, tuple[int, str, Any]] = {}

    def public_key_for(key_id: str) -> Any:
        known = discovery.key_for(key_id)
        if known is None:
            return None
        found[key_id] = known
        return known[2]

    def check() -> str:
        return verify_request(
            method=request.method or "POST",
            url=vocab.site() + request.get_full_path(),
            headers=request.headers,
            body=body,
            public_key_for=public_key_for,
            now=timezone.now(),
            max_age=settings.FEDERATION_SIGNATURE_MAX_AGE,
        )

    try:
        key_id = check()
    except SignatureRefused as refusal:
        if refusal.code != "bad_signature" or not found:
            raise
        (key_id,) = found
        if discovery.refresh_key(key_id) is None:
            raise
        found.clear()
        key_id = check()
    peer_pk, actor_id, _ = found[key_id]
    return peer_pk, actor_id


def _receive(peer: Peer, activity: dict[str, Any]) -> tuple[bool, str]:
    """``inbox.receive`` on the kept database connection without Django's per-request check
    of it (a round trip on every request, on the busiest write of the site). A connection that
    turns out dead is replaced and the activity received again: storing it is idempotent, and a
    failed attempt rolled back whole."""
    if connection.connection is not None:
        connection.health_check_done = True  # type: ignore[attr-defined]  # Django ≥ 4.1
    try:
        return inbox.receive(peer, activity)
    except (InterfaceError, OperationalError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return inbox.receive(peer, activity)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python's extension, not JSON


@csrf_exempt
@require_POST
def inbox_view(request: HttpRequest) -> HttpResponse:
    if int(request.headers.get("Content-Length") or 0) > MAX_ACTIVITY_BYTES:
        return refused("too_large", gettext("The activity is too large."), 413)
    body = request.body
    try:
        peer_pk, actor_id = _verified(request, body)
    except SignatureRefused as refusal:
        return refused(
            f"signature_{refusal.code}",
            gettext(REFUSALS.get(refusal.code, REFUSALS["malformed"])),
            401,
        )
    try:
        activity = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return refused("bad_json", gettext("The body is not JSON."), 400)
    if not isinstance(activity, dict):
        return refused("bad_json", gettext("The body is not a JSON object."), 400)
    if not vocab.storable(activity):
        return refused("bad_json", gettext("The body is not JSON."), 400)
    try:
        if vocab.ref(activity.get("actor")) != actor_id:
            return refused("signature_wrong_actor", gettext(REFUSALS["wrong_actor"]), 401)
        # Only the handlers that act read the peer's other fields; Django loads them then.
        peer = Peer.from_db("default", ["id", "actor_id"], [peer_pk, actor_id])
        new, outcome = _receive(peer, activity)
    except InvalidInput as error:
        return refused(error.code, explain(error), 400)
    return JsonResponse({"outcome": outcome, "new": new}, status=202)
