"""Closing an account: refused while anything is open between the person and the co-op; once
allowed, the person's name and email are nowhere in the database, they cannot sign in, and the
books, the registers and the audit trail still verify."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from taawun.accounts import actions, selectors
from taawun.accounts.models import Consent, User
from taawun.apikeys.actions import create_token
from taawun.apikeys.models import ApiToken
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput
from taawun.domain.pricing import quote_service
from taawun.governance import actions as governance
from taawun.governance.models import Proposal
from taawun.market import actions as market
from taawun.market.models import Order, OrderEvent, Rating, Sector, Status
from taawun.members import actions as members
from taawun.members.models import Membership, Profile, ShareOperation
from taawun.transparency.actions import audit_log
from taawun.transparency.models import AuditEntry
from tests.conftest import PASSWORD
from tests.ledger.helpers import books_problems

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
EMAIL, NAME = "layla.haddad@example.org", "Layla Haddad"


def everything_in_the_database() -> str:
    """Every text and JSON value of every table, lower-cased, one per line."""
    values: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            columns = [
                f.column
                for f in model._meta.concrete_fields
                if f.get_internal_type() in {"CharField", "TextField", "JSONField", "EmailField"}
                or f.get_internal_type().endswith("URLField")
            ]
            if not columns:
                continue
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            values += [str(v).lower() for row in cursor.fetchall() for v in row if v is not None]
    return "\n".join(values)


def settle(order: Order, customer: User, worker: User) -> None:
    for to, frm, event, actor in (
        (Status.CONFIRMED, Status.REQUESTED, OrderEvent.Kind.CONFIRMED, worker),
        (Status.COMPLETED, Status.CONFIRMED, OrderEvent.Kind.COMPLETED, customer),
    ):
        market.advance(order=order, actor=actor, to=to, allowed_from=[frm], event=event)
    market.take_payment(order=order, actor=customer, method="cash")


def service_order(customer: User, worker: Membership | None = None) -> Order:
    current = current_policy()
    return market.place(
        customer=customer,
        sector=Sector.SERVICE,
        title="Deep clean, 2 rooms",
        quote=quote_service(policy=current.policy, policy_version=current.number, hours=Decimal(2)),
        hours=Decimal(2),
        worker=worker,
    )


def unchanged_snapshot(user: User) -> tuple[object, ...]:
    user = User.objects.get(pk=user.pk)
    return (
        user.email,
        user.full_name,
        user.is_active,
        user.has_usable_password(),
        EmailAddress.objects.filter(user=user).count(),
        Profile.objects.filter(user=user).count(),
        ApiToken.objects.filter(user=user).count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def layla(
    founder: User, make_member: Callable[..., Membership], make_account: Callable[..., User]
) -> Membership:
    """A worker member with all her shares paid, a profile, a consent, a token, a rated order
    as a customer and a place on an election's ballot."""
    member = make_member(paid=4, name=NAME, email=EMAIL)
    user = member.user
    members.update_profile(
        actor=user, phone="+970 59 000 0000", city="Nablus", bio=f"I am {NAME}, a weaver."
    )
    actions.set_consent(actor=user, topic=Consent.Topic.VOTE_REMINDERS, given=False)
    create_token(actor=user, name="phone")
    worker = make_member(paid=4)
    order = service_order(user, worker)
    settle(order, user, worker.user)
    market.rate(actor=user, order_id=order.pk, stars=5, comment=f"Thank you, from {NAME}")
    governance.propose(actor=founder, kind="election", title="Board", candidates=[1, member.number])
    governance.comment(actor=user, number=1, body="I stand for the board.")
    return member


def leave(member: Membership, founder: User) -> None:
    members.give_notice(actor=member.user, membership_id=member.pk)
    members.sell_back(actor=founder, membership_id=member.pk, waive_notice=True)
    members.record_repayment(actor=founder, membership_id=member.pk, method="cash")


def test_a_member_cannot_close_before_leaving_and_nothing_changes(
    client: Client, layla: Membership
) -> None:
    before = unchanged_snapshot(layla.user)
    with pytest.raises(DomainError) as refused:
        actions.close_account(actor=layla.user, confirm=PASSWORD)
    assert refused.value.code == "membership_open"
    assert unchanged_snapshot(layla.user) == before
    client.force_login(layla.user)
    page = client.get("/my-data/close/", **EN)
    assert page.status_code == 200
    assert [str(e.code) for e in selectors.closing_obstacles(layla.user)] == ["membership_open"]
    assert "You are still a member." in page.content.decode()
    posted = client.post("/my-data/close/", {"confirm": PASSWORD}, **EN)
    assert posted.status_code == 409
    assert unchanged_snapshot(layla.user) == before


def test_every_reason_is_listed(
    client: Client, founder: User, make_member: Callable[..., Membership]
) -> None:
    worker = make_member(paid=4, name="Omar Saleh")
    order = service_order(founder, worker)
    settle(order, founder, worker.user)  # the co-op now owes Omar his share
    service_order(worker.user)  # and Omar waits for a service himself
    assert [e.code for e in selectors.closing_obstacles(worker.user)] == [
        "membership_open",
        "orders_open",
        "balance_owed",
    ]
    client.force_login(worker.user)
    text = client.get("/my-data/close/", **EN).content.decode()
    assert "You have orders that are not finished" in text
    assert "The co-op still owes you money that has not been paid out." in text


def test_a_wrong_password_changes_nothing(make_account: Callable[..., User], coop) -> None:
    customer = make_account()
    before = unchanged_snapshot(customer)
    with pytest.raises(InvalidInput) as refused:
        actions.close_account(actor=customer, confirm="not my password")
    assert refused.value.code == "not_confirmed"
    assert unchanged_snapshot(customer) == before


def test_unpaid_shares_keep_the_account_open(founder: User, layla: Membership) -> None:
    members.give_notice(actor=layla.user, membership_id=layla.pk)
    members.sell_back(actor=founder, membership_id=layla.pk, waive_notice=True)
    assert [e.code for e in selectors.closing_obstacles(layla.user)] == ["shares_not_repaid"]


def test_closing_erases_the_person_and_keeps_the_books(founder: User, layla: Membership) -> None:
    browser = Client()
    assert browser.login(email=EMAIL, password=PASSWORD)
    browser.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert browser.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = browser.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    assert browser.post("/accounts/2fa/totp/activate/", {"code": code}).status_code == 302
    assert Authenticator.objects.filter(user=layla.user).exists()
    leave(layla, founder)
    registers = list(ShareOperation.objects.values_list("register_number", "kind", "shares"))
    audits = AuditEntry.objects.count()
    assert NAME.lower() in everything_in_the_database()
    assert {"key": str(layla.number), "label": NAME} in Proposal.objects.get(number=1).options

    closed = actions.close_account(actor=User.objects.get(pk=layla.user_id), confirm=PASSWORD)

    assert (closed.email, closed.full_name) == (
        f"erased-{closed.pk}@invalid",
        f"Former member {layla.number}",
    )
    dump = everything_in_the_database()
    for trace in (EMAIL, NAME.lower(), "haddad", "+970 59 000 0000", "nablus", "weaver"):
        assert trace not in dump, trace
    assert not closed.is_active and not closed.has_usable_password()
    for model in (EmailAddress, Authenticator, ApiToken, Profile):
        assert not model.objects.filter(user=closed).exists()
    assert not Session.objects.exists()  # her one session ended; nobody else was signed in
    assert Rating.objects.get().comment == "" and Rating.objects.get().stars == 5
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_id, entry.subject_id, entry.after) == (
        "account.closed",
        closed.pk,
        str(closed.pk),
        {"memberships": 1},
    )
    assert AuditEntry.objects.count() == audits + 1
    assert audit_log() == audits + 1  # the trail and its log still verify
    assert books_problems() == []
    assert list(ShareOperation.objects.values_list("register_number", "kind", "shares")) == (
        registers
    )
    assert Membership.objects.get(pk=layla.pk).number == layla.number
    # She cannot come back in, not with her password nor through the old session.
    assert browser.get("/my-data/").status_code == 302
    assert not Client().login(email=EMAIL, password=PASSWORD)
    signed = Client().post("/accounts/login/", {"login": EMAIL, "password": PASSWORD}, **EN)
    assert signed.status_code == 200 and "_auth_user_id" not in signed.wsgi_request.session
    with pytest.raises(DomainError):
        actions.close_account(actor=closed, confirm=PASSWORD)


def test_the_page_offers_closing_only_when_nothing_stands_in_the_way(
    client: Client, founder: User, make_account
) -> None:
    client.force_login(founder)  # a member on the board
    page = client.get("/my-data/close/", **EN).content.decode()
    assert "Your account cannot be closed yet" in page
    assert 'action="/my-data/close/"' not in page
    client.force_login(make_account())
    page = client.get("/my-data/close/", **EN).content.decode()
    assert "Your account cannot be closed yet" not in page
    assert 'action="/my-data/close/"' in page


def test_closing_through_the_page_signs_out(client: Client, make_account) -> None:
    customer = make_account(name="Sami Odeh", email="sami@example.org")
    client.force_login(customer)
    response = client.post("/my-data/close/", {"confirm": PASSWORD}, **EN)
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert User.objects.get(pk=customer.pk).email == f"erased-{customer.pk}@invalid"
    assert User.objects.get(pk=customer.pk).full_name == f"Former account {customer.pk}"


def test_closing_through_the_api(client: Client, make_account) -> None:
    customer = make_account()
    client.force_login(customer)
    assert client.get("/api/me/closing").json() == {"can_close": True, "reasons": []}
    wrong = client.post("/api/me/close", {"confirm": "nope"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["error"] == "not_confirmed"
    assert User.objects.get(pk=customer.pk).is_active
    done = client.post("/api/me/close", {"confirm": PASSWORD}, content_type="application/json")
    assert done.status_code == 200 and done.json() == {"closed": True}
    assert not User.objects.get(pk=customer.pk).is_active


def test_an_open_order_keeps_a_customers_account_open(client: Client, coop, make_account) -> None:
    customer = make_account()
    service_order(customer)
    client.force_login(customer)
    body = client.get("/api/me/closing", **EN).json()
    assert body["can_close"] is False
    assert [r["error"] for r in body["reasons"]] == ["orders_open"]
    refused = client.post(
        "/api/me/close", {"confirm": PASSWORD}, content_type="application/json", **EN
    )
    assert refused.status_code == 409 and refused.json() == {
        "error": "orders_open",
        "message": "You have orders that are not finished, as a customer or as a worker.",
    }
    assert User.objects.get(pk=customer.pk).is_active


def test_closing_clears_addresses_and_the_contact_sent_to_a_sister_co_op(
    founder: User, make_account: Callable[..., User]
) -> None:
    from taawun.federation import actions as federation
    from taawun.federation.models import Outbound, Referral
    from taawun.market.trips.actions import cancel_trip
    from taawun.market.trips.models import Trip
    from tests.federation.conftest import make_peer, trip_order

    customer = make_account(name="Nour Khalil", email="nour@example.org")
    makers = make_peer("Bethlehem Makers", "makers.example")
    order = trip_order(customer)
    referral = federation.propose_referral(actor=founder, order_id=order.pk, peer_id=makers.pk)
    federation.answer_consent(actor=customer, referral_id=referral.id, consent=True)
    assert Outbound.objects.get(payload__id=Referral.objects.get().offer_id).payload["object"][
        "taawun:customer"
    ] == {"name": "Nour Khalil", "contact": "nour@example.org"}
    federation.expire_overdue(Referral.objects.get().expires_at)
    cancel_trip(actor=customer, order_id=order.pk)
    assert "al-manara square" in everything_in_the_database()

    actions.close_account(actor=customer, confirm=PASSWORD)

    dump = everything_in_the_database()
    for trace in ("nour@example.org", "nour khalil", "al-manara square", "birzeit university"):
        assert trace not in dump, trace
    assert Outbound.objects.get(payload__id=Referral.objects.get().offer_id).payload["object"][
        "taawun:customer"
    ] == {"name": f"Former account {customer.pk}", "contact": f"erased-{customer.pk}@invalid"}
    trip = Trip.objects.get()
    assert (trip.pickup_label, trip.pickup_latitude, trip.estimated_km) == (
        "",
        Decimal("0"),
        Trip.objects.get().estimated_km,
    )
    assert audit_log() == AuditEntry.objects.count()
    assert books_problems() == []
