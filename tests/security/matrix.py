"""What the authorization matrix needs besides its table: every address the site answers, a
populated co-op to fill their ids from, and one request classified the same way every time."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Max
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from taawun.accounts.models import Role, RoleGrant, User
from taawun.api import api
from taawun.apikeys import actions as apikeys
from taawun.demo import DEMO_DOMAIN, create_demo
from taawun.federation import actions as federation
from taawun.federation.models import CreditTransfer, Peer, PublishedOffer, Referral
from taawun.governance.assemblies import actions as assemblies
from taawun.governance.assemblies.models import Assembly, AssemblyRequest
from taawun.governance.models import Ballot, Delegation, Statement
from taawun.governance.models import Proposal as Motion
from taawun.ledger.models import Allocation, Period, SolidarityClaim
from taawun.market.models import Order
from taawun.market.products.models import Basket, Product
from taawun.market.projects.models import Brief, Milestone
from taawun.market.projects.models import Proposal as Bid
from taawun.market.services.models import Availability, Service
from taawun.market.works.models import LicenceGrant, Work
from taawun.members.models import Application, Instalment, Membership
from taawun.transparency.models import AuditEntry

ROLES = ("anonymous", "customer", "member", "worker", "board", "admin")


def routes() -> list[str]:
    """Every URL pattern the resolver knows, as one string per pattern (prefixes joined)."""

    def walk(patterns: list[Any], prefix: str) -> list[str]:
        found: list[str] = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.append(prefix + str(pattern.pattern))
        return found

    return sorted(set(walk(get_resolver().url_patterns, "")))


def api_methods() -> dict[str, list[str]]:
    """The methods each API path accepts, from the published schema: route → methods."""
    found: dict[str, list[str]] = {}
    for path, operations in api.get_openapi_schema()["paths"].items():
        route = re.sub(r"\{([^}]+)\}", r"<\1>", path).lstrip("/")
        found[route] = sorted(method.upper() for method in operations)
    return found


@dataclass
class World:
    users: dict[str, User | None]
    ids: dict[str, Any]


def _user(handle: str) -> User:
    return User.objects.get(email=f"{handle}@{DEMO_DOMAIN}")


def notification_of(user: User) -> int:
    """One of ``user``'s notifications (the demo's actions send them), or an id nobody has."""
    model = apps.get_model("notifications", "Notification")
    found = model.objects.filter(recipient=user).order_by("pk").first()
    return found.pk if found else (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def build_world() -> World:
    """The demo co-op (every sector at every stage, votes open and decided, books closed and
    open, built through the real actions) plus a sister co-op, a referral and a transfer."""
    create_demo()
    founder = _user("amal")
    board = _user("rana")
    peer = Peer.objects.create(
        actor_id="https://makers.example/ap/actor",
        handle="makers@makers.example",
        name="Bethlehem Makers",
        inbox="https://makers.example/ap/inbox",
        key_id="https://makers.example/ap/actor#main-key",
        public_key_pem="-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        profile={"sectors": ["service"], "area": "Bethlehem"},
        taawun=True,
        following=Peer.Following.ACCEPTED,
        follows_us=True,
        fetched_at=timezone.now(),
    )
    federation.open_credit_line(actor=founder, peer_id=peer.pk, limit=Decimal("500.00"))
    transfer, _ = federation.propose_transfer(
        actor=founder,
        peer_id=peer.pk,
        transfer_id="matrix-transfer-1",
        amount=Decimal("40.00"),
        purpose=CreditTransfer.Purpose.values[0],
    )
    federation.publish_offers(actor=founder)
    assemblies.call_assembly(
        actor=founder,
        kind="annual",
        title="Annual general assembly",
        starts_at=timezone.now() + timezone.timedelta(days=30),
        place="Co-op hall, Ramallah",
        notice="The annual accounts.",
        agenda=[assemblies.AgendaEntry(title="Accounts")],
    )
    assemblies.request_assembly(
        actor=_user("khalil"), title="Extraordinary assembly", reason="The new tariff."
    )
    now = timezone.now()
    referral = Referral.objects.create(
        direction=Referral.Direction.IN,
        peer=peer,
        status=Referral.Status.OFFERED,
        commitment_id=f"https://makers.example/ap/referrals/{uuid.uuid4()}",
        offer_id=f"https://makers.example/ap/activities/{uuid.uuid4()}",
        sector="service",
        title="Fix a kitchen tap",
        area="Bethlehem",
        estimate=Decimal("80.00"),
        currency="ILS",
        fee_percent=Decimal("5.00"),
        contact_name="Maha Customer",
        contact="maha@example.org",
        created_at=now,
        expires_at=now + timezone.timedelta(hours=48),
        charged=Decimal(0),
        fee=Decimal(0),
    )
    customer = Order.objects.filter(customer__memberships__isnull=True).first()
    assert customer is not None
    users: dict[str, User | None] = {
        "anonymous": None,
        "customer": customer.customer,
        "member": _user("salma"),  # a user member, paid up, who votes
        "worker": _user("fadi"),  # a worker member, paid up
        "board": board,
        "admin": founder,  # the founder: administrator (and on the board)
    }
    assert Role.ADMIN not in {g.role for g in RoleGrant.objects.filter(user=board)}
    other = Membership.objects.get(user=_user("yousef"))

    def order(sector: str, **where: Any) -> int:
        found = Order.objects.filter(sector=sector, **where).order_by("pk").first()
        assert found is not None, (sector, where)
        return found.pk

    def first(model: Any, **where: Any) -> Any:
        found = model.objects.filter(**where).order_by("pk").first()
        assert found is not None, (model, where)
        return found

    milestone = first(Milestone)
    token, _ = apikeys.create_token(actor=users["worker"], name="matrix")  # type: ignore[arg-type]
    ids: dict[str, Any] = {
        "application": first(Application, status="pending").pk,
        "member_number": other.number,
        "instalment": first(
            Instalment, membership=other, paid_at__isnull=True, cancelled_at__isnull=True
        ).pk,
        "allocation": first(Allocation, member=other).pk,
        "open_period": first(Period, status="open").pk,
        "closed_period": first(Period, status="closed").pk,
        "claim": first(SolidarityClaim).pk,
        "order": order("service"),
        "service": first(Service).pk,
        "window": first(Availability).pk,
        "booking": order("service", status="requested"),
        "trip": order("trip", status="requested"),
        "brief": first(Brief, status="open").pk,
        "bid": first(Bid, brief__status="open").pk,
        "milestone": milestone.order_id,
        "product": first(Product).pk,
        "basket": first(Basket).order_id,
        "work": first(Work).pk,
        "licence_order": first(LicenceGrant).order_id,
        "licence_token": first(LicenceGrant).download_token,
        "assembly": first(Assembly).number,
        "assembly_request": first(AssemblyRequest).pk,
        "motion": first(Motion, status="open").number,
        "statement": first(Statement).pk,
        # The demo's rules do not allow delegating votes; a delegation id nobody holds.
        "delegation": (Delegation.objects.aggregate(m=Max("pk"))["m"] or 0) + 1,
        "receipt": first(Ballot, proposal__status="closed").receipt,  # found once closed
        "seq": AuditEntry.objects.order_by("seq").first().seq,  # type: ignore[union-attr]
        "grant": RoleGrant.objects.get(user=board, role=Role.BOARD, revoked_at=None).pk,
        "peer": peer.pk,
        "course": "using-taawun",
        "lesson": "votes",
        "page": "customer-complaints",
        "page_revision": 1,
        "referral": referral.pk,
        "transfer": transfer.pk,
        "published_offer": first(PublishedOffer).object_id.rsplit("/", 1)[1],
        "learning_kind": "course",  # with a key no course has: nothing is shared in the demo
        "activity": uuid.uuid4(),
        "token": token.pk,
        "passkey": 1,  # nobody has one: the page refuses an unknown key to everyone
        "shop_step": "confirm",
        "milestone_step": "deliver",
        "nonexistent": "nonexistent",
        "app_label": "accounts",
        "admin_object": 1,
        "calendar_user": users["worker"].pk,  # type: ignore[union-attr]
        # the board member's own: only she may mark it read
        "notification": notification_of(board),
    }
    return World(users=users, ids=ids)


# Which id fills a parameter, by a fragment of the route before it and the parameter's name.
FILLERS: list[tuple[str, str, str]] = [
    ("members/applications/", "pk", "application"),
    ("board/applications/", "pk", "application"),
    ("instalments/", "pk", "instalment"),
    ("instalments/", "id", "instalment"),
    ("notices/", "pk", "allocation"),
    ("periods/<int:pk>/close", "pk", "open_period"),
    ("periods/<int:pk>/reopen", "pk", "closed_period"),
    ("claims/", "pk", "claim"),
    ("roles/", "pk", "grant"),
    ("webauthn/keys/", "pk", "passkey"),
    ("api/applications/", "id", "application"),
    ("api/tokens/", "id", "token"),
    ("assemblies/requests/", "request_id", "assembly_request"),
    ("school/pages/", "number", "page_revision"),
    ("api/school/courses/", "key", "course"),
    ("api/school/courses/", "lesson", "lesson"),
    ("school/", "course_key", "course"),
    ("school/", "lesson_key", "lesson"),
    ("school/pages/", "slug", "page"),
    ("school/media/", "name", "nonexistent"),
    ("assemblies/", "number", "assembly"),
    ("governance/", "number", "motion"),
    ("", "number", "member_number"),
    ("services/week/", "window_id", "window"),
    ("bookings/", "order_id", "booking"),
    ("trips/", "order_id", "trip"),
    ("milestones/", "order_id", "milestone"),
    ("shop/orders/", "order_id", "basket"),
    ("licences/", "order_id", "licence_order"),
    ("", "order_id", "order"),
    ("", "service_id", "service"),
    ("", "brief_id", "brief"),
    ("", "proposal_id", "bid"),
    ("", "product_id", "product"),
    ("", "work_id", "work"),
    ("calendar/", "token", "nonexistent"),
    ("calendar/", "user_id", "calendar_user"),
    ("notifications/", "notification_id", "notification"),
    ("notifications/", "id", "notification"),
    ("", "token", "licence_token"),
    ("", "statement_id", "statement"),
    ("", "delegation_id", "delegation"),
    ("", "receipt", "receipt"),
    ("", "seq", "seq"),
    ("", "peer_id", "peer"),
    ("", "referral_id", "referral"),
    ("", "transfer_pk", "transfer"),
    ("ap/proposals/", "slug", "published_offer"),
    ("ap/learning/", "kind", "learning_kind"),
    ("", "activity_id", "activity"),
    ("shop/orders/", "step", "shop_step"),
    ("milestones/", "step", "milestone_step"),
    ("", "app_label", "app_label"),
    ("admin/", "id", "admin_object"),
    ("admin/", "content_type_id", "admin_object"),
    ("", "key", "nonexistent"),
    ("", "uidb36", "nonexistent"),
]

PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def fill(route: str, ids: dict[str, Any]) -> str:
    """The route with every parameter replaced by a real id from the world."""
    route = route.lstrip("^").rstrip("$").replace("\\.", ".")

    def value(match: re.Match[str]) -> str:
        name = match.group(2) or match.group(3)
        for fragment, param, key in FILLERS:
            if param == name and fragment in route:
                return str(ids[key])
        raise AssertionError(f"no id for {name} in {route}")

    return "/" + PARAMETER.sub(value, route)


def classify(response: HttpResponse) -> str:
    """One letter: A allowed (2xx, or a redirect elsewhere than a login page), V allowed past
    the permission check but the (empty) input refused (400/409/422), L redirected to sign
    in, D refused (401/403), N not found (404), M method not allowed (405)."""
    status = response.status_code
    if status in {301, 302, 303}:
        location = response["Location"].split("?")[0]
        logins = {reverse("account_login"), "/admin/login/"}
        return "L" if location in logins else "A"
    if status < 300:
        return "A"
    return {400: "V", 409: "V", 422: "V", 401: "D", 403: "D", 404: "N", 405: "M"}.get(status, "E")


def snapshot() -> tuple[int, ...]:
    """Row counts of every table and the audit trail's last seq, in one query."""
    tables = sorted(
        t
        for t in connection.introspection.table_names()
        if t not in {"django_session"} and not t.startswith("sqlite_")
    )
    quote = connection.ops.quote_name
    counts = [f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables]  # noqa: S608 - known tables
    counts.append(f"(SELECT MAX(seq) FROM {quote(AuditEntry._meta.db_table)})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(counts))
        return tuple(cursor.fetchone())
