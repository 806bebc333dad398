"""Everything the platform holds about one person, as one JSON document (format version 1).

``COVERED`` names every relation from a model to an account or a membership, and either the
place of the document where those rows appear or why they are left out. A test walks the app
registry and fails when a relation is in neither list, so a new model that refers to a person
cannot be forgotten here (or in :func:`taawun.accounts.actions.close_account`).

Only the person's own data goes in: for an order they worked on, not the customer's address;
for a secret ballot, only that they voted (the ballot itself is stored without any link to
them, so no one, the co-op included, can say which one is theirs).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Consent, RoleGrant, User

FORMAT = "taawun-my-data"
FORMAT_VERSION = 1

# Relations to an account (User) or a membership, by "app_label.Model.field".
EXPORTED: dict[str, str] = {
    "account.EmailAddress.user": "account.emails",
    "mfa.Authenticator.user": "account.two_factor",
    "accounts.RoleGrant.user": "roles",
    "accounts.Consent.user": "consents",
    "members.Application.user": "applications",
    "members.Membership.user": "memberships",
    "members.ShareOperation.membership": "memberships[].share_operations",
    "members.ShareOperation.counterparty": "memberships[].share_operations",
    "members.Instalment.membership": "memberships[].instalments",
    "members.CapitalEntry.membership": "memberships[].capital_account",
    "members.Repayment.membership": "memberships[].repayment",
    "members.Profile.user": "profile",
    "ledger.Account.member": "memberships[].ledger_accounts",
    "ledger.JournalEntry.member": "memberships[].journal_entries",
    "ledger.Patronage.member": "memberships[].patronage",
    "ledger.Allocation.member": "memberships[].allocations",
    "ledger.Payout.member": "memberships[].payouts",
    "ledger.SolidarityClaim.member": "memberships[].solidarity_claims",
    "ledger.FloorTopUp.member": "memberships[].earnings_floor_top_ups",
    "apikeys.ApiToken.user": "api_tokens",
    "market.Order.customer": "orders_as_customer",
    "market.Order.worker": "memberships[].orders_as_worker",
    "market.OrderEvent.actor": "orders_as_customer",
    "market_services.Availability.worker": "memberships[].availability",
    "market_services.Booking.worker": "memberships[].orders_as_worker",
    "market_trips.Presence.worker": "memberships[].trip_presence",
    "market_trips.Offer.worker": "memberships[].trip_offers",
    "market_projects.Brief.customer": "project_briefs",
    "market_projects.Proposal.worker": "memberships[].project_proposals",
    "market_products.Product.producer": "memberships[].products",
    "market_products.Cart.customer": "cart",
    "market_works.Work.creator": "memberships[].works",
    "market_works.LicenceGrant.buyer": "licences",
    "market_fairness.SelfReport.membership": "memberships[].self_reported_groups",
    "governance.Proposal.author": "governance.proposals",
    "governance.Participation.member": "memberships[].votes",
    "governance.Ballot.member": "memberships[].votes",
    "governance.Comment.author": "governance.comments",
    "governance.Statement.author": "governance.statements",
    "governance.StatementVote.member": "memberships[].statement_votes",
    "governance.Mandate.member": "memberships[].mandates",
    "governance.Delegation.delegator": "memberships[].delegations_given",
    "governance.Delegation.delegate": "memberships[].delegations_received",
    "governance_assemblies.Assembly.secretary": "memberships[].assemblies_as_secretary",
    "governance_assemblies.Attendance.member": "memberships[].assembly_attendance",
    "governance_assemblies.MinutesAddendum.author": "governance.minutes_addenda",
    "governance_assemblies.AssemblyRequest.requested_by": "governance.assembly_requests",
    "governance_assemblies.RequestSignature.member": "memberships[].assembly_request_signatures",
    "notifications.Notification.recipient": "notifications.received",
    "notifications.Preference.user": "notifications.preferences",
    "notifications.CalendarKey.user": "notifications.calendar_feed",
    "school.Attempt.user": "school.lesson_attempts",
    "school.Course.author": "school.courses_written",
    "school.Revision.author": "school.page_versions_written",
    "school.Image.uploaded_by": "school.pictures_uploaded",
}

_OFFICER = "an officer's act on the co-op's records; the act itself is under audit_trail"
EXCLUDED: dict[str, str] = {
    "admin.LogEntry.user": "an operator's edits in the admin site, not data about the operator",
    "accounts.User_groups.user": "Django's groups are not used; roles are under roles",
    "accounts.User_user_permissions.user": "Django's permissions are not used; see roles",
    "accounts.RoleGrant.granted_by": _OFFICER,
    "coop.PolicyVersion.created_by": _OFFICER,
    "members.Application.decided_by": _OFFICER,
    "members.ShareOperation.recorded_by": _OFFICER,
    "members.Instalment.recorded_by": _OFFICER,
    "ledger.JournalEntry.recorded_by": _OFFICER,
    "ledger.PayoutRun.created_by": _OFFICER,
    "ledger.SolidarityClaim.decided_by": _OFFICER,
    "ledger.FloorRun.recorded_by": _OFFICER,
    "governance_assemblies.Assembly.called_by": _OFFICER,
    "governance_assemblies.Assembly.minutes_approved_by": _OFFICER,
    "governance_assemblies.Attendance.recorded_by": _OFFICER,
    "federation.CreditTransfer.created_by": _OFFICER,
    "apikeys.IdempotencyRecord.user": (
        "a technical copy of answers the person already received, kept only to repeat them "
        "to a retried request; deleted when the account is closed"
    ),
}


def plain(value: Any) -> Any:
    """JSON's types: exact decimals and times as text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _rows(queryset: QuerySet[Any], *fields: str, **renamed: Any) -> list[dict[str, Any]]:
    """The rows as plain dicts; ``renamed`` maps an output key to a lookup (``"run__number"``)."""
    lookups = {field: field for field in fields} | renamed
    return [
        {key: plain(row[lookup]) for key, lookup in lookups.items()}
        for row in queryset.values(*lookups.values())
    ]


def _account(user: User) -> dict[str, Any]:
    authenticators = list(Authenticator.objects.filter(user=user).order_by("id"))
    return {
        "id": user.pk,
        "email": user.email,
        "emails": _rows(
            EmailAddress.objects.filter(user=user).order_by("id"), "email", "verified", "primary"
        ),
        "full_name": user.full_name,
        "language": user.language,
        "date_joined": plain(user.date_joined),
        "last_login": plain(user.last_login),
        "two_factor": {
            "totp": any(a.type == Authenticator.Type.TOTP for a in authenticators),
            "recovery_codes": any(
                a.type == Authenticator.Type.RECOVERY_CODES for a in authenticators
            ),
            "passkeys": [
                {
                    "name": str(a.data.get("name", "")),
                    "created_at": plain(a.created_at),
                    "last_used_at": plain(a.last_used_at),
                }
                for a in authenticators
                if a.type == Authenticator.Type.WEBAUTHN
            ],
        },
    }


def _profile(user: User) -> dict[str, Any] | None:
    from taawun.members.actions import PROFILE_FIELDS
    from taawun.members.models import Profile

    found = _rows(Profile.objects.filter(user=user), *PROFILE_FIELDS)
    return found[0] if found else None


def _order(order: Any, *, as_customer: bool) -> dict[str, Any]:
    """One order; the sector's details only for its customer (a worker's export does not carry
    the customer's address)."""
    me = order.customer_id if as_customer else order.worker.user_id
    row: dict[str, Any] = {
        "id": order.pk,
        "sector": order.sector,
        "status": order.status,
        "title": order.title,
        "currency": order.currency,
        "price": plain(order.price),
        "tax": plain(order.tax),
        "coop_fee": plain(order.coop_fee),
        "solidarity": plain(order.solidarity),
        "worker_share": plain(order.worker_share),
        "tip": plain(order.tip),
        "hours": plain(order.hours),
        "policy_version": order.policy_version,
        "starts_at": plain(order.starts_at),
        "created_at": plain(order.created_at),
        "worker_number": order.worker.number if order.worker_id else None,
        "events": [
            {
                "kind": event.kind,
                "at": plain(event.at),
                "note": event.note,
                "by_me": event.actor_id == me,
            }
            for event in order.events.all()
        ],
    }
    rating = getattr(order, "rating", None)
    row["rating"] = (
        {"stars": rating.stars, "comment": rating.comment, "rated_at": plain(rating.rated_at)}
        if rating is not None
        else None
    )
    if as_customer:
        row["details"] = _order_details(order)
    return row


def _order_details(order: Any) -> dict[str, Any]:
    details: dict[str, Any] = {}
    booking = getattr(order, "booking", None)
    if booking is not None:
        details["booking"] = {
            "starts_at": plain(booking.starts_at),
            "ends_at": plain(booking.ends_at),
            "method": booking.method,
        }
    trip = getattr(order, "trip", None)
    if trip is not None:
        details["trip"] = plain(
            {
                "kind": trip.kind,
                "pickup": trip.pickup_label,
                "pickup_latitude": trip.pickup_latitude,
                "pickup_longitude": trip.pickup_longitude,
                "dropoff": trip.dropoff_label,
                "dropoff_latitude": trip.dropoff_latitude,
                "dropoff_longitude": trip.dropoff_longitude,
                "estimated_km": trip.estimated_km,
                "actual_km": trip.actual_km,
                "method": trip.method,
            }
        )
    basket = getattr(order, "basket", None)
    if basket is not None:
        details["basket"] = plain(
            {
                "fulfilment": basket.fulfilment,
                "method": basket.method,
                "dropoff": basket.dropoff_label,
                "dropoff_latitude": basket.dropoff_lat,
                "dropoff_longitude": basket.dropoff_lon,
                "lines": [
                    {"product": line.product_id, "quantity": line.quantity, "unit": line.unit_price}
                    for line in basket.lines.all()
                ],
            }
        )
    milestone = getattr(order, "milestone", None)
    if milestone is not None:
        details["milestone"] = plain(
            {
                "brief": milestone.brief_id,
                "number": milestone.number,
                "title": milestone.title,
                "due_on": milestone.due_on,
                "delivered_at": milestone.delivered_at,
            }
        )
    licence = getattr(order, "licence", None)
    if licence is not None:
        details["licence"] = plain(
            {"work": licence.work_id, "licence": licence.licence_key, "at": licence.granted_at}
        )
    return details


def _orders(queryset: QuerySet[Any], *, as_customer: bool) -> list[dict[str, Any]]:
    queryset = queryset.select_related(
        "worker", "rating", "booking", "trip", "basket", "milestone", "licence"
    ).prefetch_related("events", "basket__lines")
    return [_order(order, as_customer=as_customer) for order in queryset.order_by("id")]


def _membership(member: Any) -> dict[str, Any]:
    from taawun.governance.assemblies.models import Assembly, Attendance, RequestSignature
    from taawun.governance.models import Ballot, Delegation, Mandate, Participation, StatementVote
    from taawun.ledger.models import (
        Account,
        Allocation,
        FloorTopUp,
        JournalEntry,
        Patronage,
        Payout,
        Posting,
        SolidarityClaim,
    )
    from taawun.market.fairness.models import SelfReport
    from taawun.market.models import Order
    from taawun.market.products.models import Product
    from taawun.market.projects.models import Proposal as ProjectProposal
    from taawun.market.services.models import Availability
    from taawun.market.trips.models import Offer, Presence
    from taawun.market.works.models import Work
    from taawun.members.models import CapitalEntry, Instalment, Repayment, ShareOperation

    capital = _rows(
        CapitalEntry.objects.filter(membership=member).order_by("at", "id"),
        "kind",
        "amount",
        "currency",
        "at",
    )
    repayment = _rows(
        Repayment.objects.filter(membership=member),
        "amount",
        "currency",
        "due_on",
        "paid_at",
        "method",
        "reference",
    )
    accounts = []
    for account in Account.objects.filter(member=member).order_by("code", "currency"):
        accounts.append(
            {
                "purpose": account.purpose,
                "code": account.code,
                "currency": account.currency,
                "balance": plain(account.balance),
                "lines": _rows(
                    Posting.objects.filter(account=account).order_by("id"),
                    "amount",
                    "balance_after",
                    entry="entry__number",
                    date="entry__date",
                    kind="entry__kind",
                    memo="entry__memo",
                ),
            }
        )
    ballots = {
        b["proposal"]: b
        for b in _rows(
            Ballot.objects.filter(member=member), "choice", "receipt", proposal="proposal__number"
        )
    }
    votes = []
    for number, secret in (
        Participation.objects.filter(member=member)
        .order_by("proposal__number")
        .values_list("proposal__number", "proposal__rule__secret")
    ):
        open_ballot = ballots.get(number)
        votes.append(
            {
                "proposal": number,
                "secret": bool(secret),
                "choice": open_ballot["choice"] if open_ballot else None,
                "receipt": open_ballot["receipt"] if open_ballot else None,
            }
        )
    return {
        "number": member.number,
        "member_class": member.member_class,
        "status": member.status,
        "joined_on": plain(member.joined_on),
        "notice_given_on": plain(member.notice_given_on),
        "left_on": plain(member.left_on),
        "share_operations": _rows(
            ShareOperation.objects.filter(Q(membership=member) | Q(counterparty=member)).order_by(
                "register_number"
            ),
            "register_number",
            "kind",
            "shares",
            "nominal",
            "currency",
            "at",
            "policy_version",
            member="membership__number",
            counterparty="counterparty__number",
        ),
        "instalments": _rows(
            Instalment.objects.filter(membership=member).order_by("number"),
            "number",
            "due_on",
            "amount",
            "currency",
            "paid_at",
            "cancelled_at",
            "method",
            "reference",
            "receipt_number",
        ),
        "capital_account": {
            "balance": plain(sum((Decimal(e["amount"]) for e in capital), Decimal(0))),
            "entries": capital,
        },
        "repayment": repayment[0] if repayment else None,
        "ledger_accounts": accounts,
        "journal_entries": _rows(
            JournalEntry.objects.filter(member=member).order_by("number"),
            "number",
            "date",
            "kind",
            "memo",
            "hours",
        ),
        "patronage": _rows(
            Patronage.objects.filter(member=member).order_by("period__starts_on"),
            "hours",
            "revenue",
            "currency",
            period="period__starts_on",
        ),
        "allocations": _rows(
            Allocation.objects.filter(member=member).order_by("period__starts_on", "closing"),
            "closing",
            "hours",
            "revenue",
            "dividend",
            "cash",
            "retained",
            "loss_charged",
            "currency",
            "reversed",
            period="period__starts_on",
            entry="entry__number",
        ),
        "payouts": _rows(
            Payout.objects.filter(member=member).order_by("run__number"),
            "amount",
            "currency",
            "reference",
            run="run__number",
            at="run__created_at",
            entry="entry__number",
        ),
        "solidarity_claims": _rows(
            SolidarityClaim.objects.filter(member=member).order_by("submitted_at", "id"),
            "reason",
            "amount",
            "currency",
            "details",
            "status",
            "submitted_at",
            "decided_at",
            "decision_note",
        ),
        "earnings_floor_top_ups": _rows(
            FloorTopUp.objects.filter(member=member).order_by("run__starts_on"),
            "hours",
            "earned",
            "needed",
            "paid",
            starts_on="run__starts_on",
            ends_on="run__ends_on",
        ),
        "self_reported_groups": _rows(
            SelfReport.objects.filter(membership=member).order_by("dimension"),
            "dimension",
            "value",
            "consented_at",
        ),
        "votes": votes,
        "statement_votes": _rows(
            StatementVote.objects.filter(member=member).order_by("id"),
            "vote",
            "at",
            proposal="statement__proposal__number",
            statement="statement__text",
        ),
        "mandates": _rows(
            Mandate.objects.filter(member=member).order_by("starts_at"),
            "office",
            "starts_at",
            "ends_at",
            "ended_at",
            elected_by="elected_by__number",
        ),
        "delegations_given": _rows(
            Delegation.objects.filter(delegator=member).order_by("created_at"),
            "kind",
            "created_at",
            "revoked_at",
            delegate="delegate__number",
        ),
        "delegations_received": _rows(
            Delegation.objects.filter(delegate=member).order_by("created_at"),
            "kind",
            "created_at",
            "revoked_at",
            delegator="delegator__number",
        ),
        "assemblies_as_secretary": list(
            Assembly.objects.filter(secretary=member)
            .order_by("number")
            .values_list("number", flat=True)
        ),
        "assembly_attendance": _rows(
            Attendance.objects.filter(member=member).order_by("at"),
            "at",
            assembly="assembly__number",
        ),
        "assembly_request_signatures": _rows(
            RequestSignature.objects.filter(member=member).order_by("at"),
            "at",
            request="request_id",
        ),
        "availability": _rows(
            Availability.objects.filter(worker=member).order_by("weekday", "starts"),
            "weekday",
            "starts",
            "ends",
        ),
        "trip_presence": next(
            iter(
                _rows(
                    Presence.objects.filter(worker=member),
                    "online",
                    "latitude",
                    "longitude",
                    "updated_at",
                )
            ),
            None,
        ),
        "trip_offers": _rows(
            Offer.objects.filter(worker=member).order_by("offered_at", "id"),
            "status",
            "offered_at",
            "answered_at",
            "counts_against",
            "explanation",
            order="trip__order_id",
        ),
        "project_proposals": _rows(
            ProjectProposal.objects.filter(worker=member).order_by("id"),
            "price",
            "currency",
            "days",
            "plan",
            "status",
            "created_at",
            brief="brief_id",
        ),
        "products": _rows(
            Product.objects.filter(producer=member).order_by("id"),
            "id",
            "name_ar",
            "name_en",
            "description",
            "unit_price",
            "currency",
            "unit",
            "stock",
            "place_label",
            "active",
        ),
        "works": _rows(
            Work.objects.filter(creator=member).order_by("id"),
            "id",
            "title",
            "description",
            "kind",
            "active",
            "created_at",
            "withdrawn_at",
        ),
        "orders_as_worker": _orders(Order.objects.filter(worker=member), as_customer=False),
    }


def _governance(user: User) -> dict[str, Any]:
    from taawun.governance.assemblies.models import AssemblyRequest, MinutesAddendum
    from taawun.governance.models import Comment, Proposal, Statement

    return {
        "proposals": _rows(
            Proposal.objects.filter(author=user).order_by("number"),
            "number",
            "kind",
            "status",
            "title",
            "body",
            "created_at",
        ),
        "comments": _rows(
            Comment.objects.filter(author=user).order_by("at", "id"),
            "body",
            "at",
            proposal="proposal__number",
        ),
        "statements": _rows(
            Statement.objects.filter(author=user).order_by("id"),
            "text",
            "at",
            proposal="proposal__number",
        ),
        "assembly_requests": _rows(
            AssemblyRequest.objects.filter(requested_by=user).order_by("requested_at"),
            "id",
            "title",
            "reason",
            "requested_at",
            "supported_at",
        ),
        "minutes_addenda": _rows(
            MinutesAddendum.objects.filter(author=user).order_by("at"),
            "text",
            "at",
            assembly="assembly__number",
        ),
    }


def _notifications(user: User) -> dict[str, Any]:
    """What the person was told and how they want to be told; the calendar feed's secret is
    left out (only that a feed exists, and since when)."""
    if not apps.is_installed("taawun.notifications"):
        return {"received": [], "preferences": [], "calendar_feed": None}
    from taawun.notifications.models import CalendarKey, Notification, Preference

    feed = CalendarKey.objects.filter(user=user).values_list("created_at", flat=True).first()
    return {
        "received": _rows(
            Notification.objects.filter(recipient=user).order_by("created_at", "id"),
            "kind",
            "payload",
            "link",
            "created_at",
            "read_at",
            "email_state",
            "emailed_at",
        ),
        "preferences": _rows(
            Preference.objects.filter(user=user).order_by("kind"), "kind", "in_app", "email"
        ),
        "calendar_feed": {"created_at": plain(feed)} if feed is not None else None,
    }


def _school(user: User) -> dict[str, Any]:
    """What the person learned and wrote in the co-op's school and knowledge base."""
    from taawun.school.models import Attempt, Course, Image, Revision

    return {
        "lesson_attempts": _rows(
            Attempt.objects.filter(user=user).order_by("created_at", "id"),
            "language",
            "revision",
            "correct",
            "total",
            "passed",
            "created_at",
            course="lesson__course__key",
            lesson="lesson__key",
        ),
        "courses_written": _rows(
            Course.objects.filter(author=user).order_by("id"), "key", "title_ar", "title_en"
        ),
        "page_versions_written": _rows(
            Revision.objects.filter(author=user).order_by("created_at", "id"),
            "number",
            "title",
            "note",
            "created_at",
            page="page__slug",
        ),
        "pictures_uploaded": _rows(
            Image.objects.filter(uploaded_by=user).order_by("id"), "name", "created_at"
        ),
    }


def build(user: User) -> dict[str, Any]:
    """The whole document for ``user`` (callers check who may read it)."""
    from taawun.apikeys.models import ApiToken
    from taawun.federation.models import Referral
    from taawun.market.models import Order
    from taawun.market.products.models import CartLine
    from taawun.market.projects.models import Brief
    from taawun.market.works.models import LicenceGrant
    from taawun.members.models import Application
    from taawun.transparency.models import AuditEntry

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": plain(timezone.now()),
        "account": _account(user),
        "profile": _profile(user),
        "consents": _rows(
            Consent.objects.filter(user=user).order_by("id"), "topic", "given", "text_version", "at"
        ),
        "roles": _rows(
            RoleGrant.objects.filter(user=user).order_by("granted_at", "id"),
            "role",
            "granted_at",
            "revoked_at",
        ),
        "applications": _rows(
            Application.objects.filter(user=user).order_by("submitted_at", "id"),
            "id",
            "member_class",
            "motivation",
            "status",
            "submitted_at",
            "decided_at",
            "decision_reason",
            "policy_version",
        ),
        "memberships": [_membership(m) for m in user.memberships.order_by("number")],
        "orders_as_customer": _orders(Order.objects.filter(customer=user), as_customer=True),
        "project_briefs": _rows(
            Brief.objects.filter(customer=user).order_by("id"),
            "id",
            "title",
            "description",
            "currency",
            "budget",
            "deadline",
            "status",
            "created_at",
        ),
        "licences": _rows(
            LicenceGrant.objects.filter(buyer=user).order_by("id"),
            "licence_key",
            "licence_name_en",
            "downloads",
            "granted_at",
            work="work_id",
            order="order_id",
        ),
        "cart": _rows(
            CartLine.objects.filter(cart__customer=user).order_by("id"),
            "quantity",
            product="product_id",
        ),
        "governance": _governance(user),
        "notifications": _notifications(user),
        "school": _school(user),
        "api_tokens": _rows(
            ApiToken.objects.filter(user=user).order_by("created_at", "id"),
            "name",
            "created_at",
            "last_used_at",
            "revoked_at",
        ),
        "referrals": _rows(
            Referral.objects.filter(
                direction=Referral.Direction.OUT, order__customer=user
            ).order_by("created_at"),
            "id",
            "status",
            "created_at",
            "answered_at",
            "contact_name",
            "contact",
            order="order_id",
            sister_coop="peer__actor_id",
        ),
        "audit_trail": _rows(
            AuditEntry.objects.filter(actor_id=user.pk).order_by("seq"),
            "seq",
            "at",
            "action",
            "subject_type",
            "subject_id",
            "before",
            "after",
            "policy_version",
        ),
    }
