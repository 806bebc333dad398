"""The members' pages on sister co-ops: what each shows, in Arabic and English, who may see and
do what, and that every form reaches its action (and shows its refusal) without a script.

Our own side is made through the real actions; what another server sent us (its actor, its
offers, work it passed us, a transfer it paid us) is made as the rows the inbox would store."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from taawun.accounts.models import User
from taawun.domain import mutual_credit
from taawun.federation import actions
from taawun.federation.models import (
    CreditLine,
    CreditTransfer,
    Delivery,
    Outbound,
    Peer,
    Referral,
    RemoteOffer,
)
from taawun.school import actions as school
from tests.web import helpers

from .conftest import incoming_referral, make_peer, trip_order

pytestmark = [pytest.mark.django_db]

PEERS = "/federation/"
OFFERS = "/federation/offers/"
REFERRALS = "/federation/referrals/"
CREDIT = "/federation/credit/"
PAGES = [PEERS, OFFERS, REFERRALS, CREDIT]


def text(response: HttpResponseBase) -> str:
    """The visible text (the test client's answers are HttpResponses, whatever their type says)."""
    return helpers.text(cast(HttpResponse, response))


def html_attrs(response: HttpResponseBase) -> dict[str, str]:
    return helpers.html_attrs(cast(HttpResponse, response))


def browser(user: User | None = None, language: str = "en", **options: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language, **options)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def member(make_member: Callable[..., Any]) -> User:
    return make_member(name="Huda Member").user


# --- Who may see -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(coop: object, url: str) -> None:
    response = browser().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


@pytest.mark.parametrize("url", PAGES)
def test_people_who_are_not_members_are_refused(
    coop: object, make_account: Callable[..., User], url: str
) -> None:
    response = browser(make_account()).get(url)
    assert response.status_code == 403
    assert "You do not have permission to do this." in text(response)


def test_members_read_but_only_the_board_acts(founder: User, member: User, makers: Peer) -> None:
    page = text(browser(member).get(PEERS))
    assert "Bethlehem Makers" in page
    assert "Follow a co-op" not in page and "Stop following" not in page
    assert "Follow a co-op" in text(browser(founder).get(PEERS))
    as_member = browser(member)
    assert as_member.post(reverse("federation_pages:unfollow", args=[makers.pk])).status_code == 403
    assert as_member.post(OFFERS + "publish/").status_code == 403
    refused = as_member.post(PEERS + "follow/", {"address": "makers@makers.example"})
    assert refused.status_code == 403
    makers.refresh_from_db()
    assert makers.following == Peer.Following.ACCEPTED


def test_forms_need_their_csrf_token(founder: User, makers: Peer) -> None:
    strict = browser(founder, enforce_csrf_checks=True)
    assert strict.post(PEERS + "follow/", {"address": "a@b.example"}).status_code == 403
    assert strict.post(CREDIT + "check/").status_code == 403


# --- Sister co-ops -------------------------------------------------------------------------------


def test_the_list_of_sister_coops_in_english_and_arabic(founder: User, makers: Peer) -> None:
    make_peer(
        "Gaza Weavers",
        "weavers.example",
        following=Peer.Following.REQUESTED,
        follows_us=False,
        profile={"sectors": ["work"], "area": "Gaza"},
    )
    actions.open_credit_line(actor=founder, peer_id=makers.pk, limit=Decimal("200.00"))
    CreditLine.objects.filter(peer=makers).update(
        their_limit=Decimal("150.00"), balance=Decimal("-20.00")
    )

    english = text(browser(founder).get(PEERS))
    assert (
        "Bethlehem Makers makers@makers.example scheduled service · trip Bethlehem "
        "We follow them: followed They follow us: yes "
        "Balance: -20.00 ILS They may owe us up to: 200.00 ILS We may owe them up to: 150.00 ILS"
    ) in english
    assert (
        "Gaza Weavers weavers@weavers.example creative work Gaza "
        "We follow them: follow requested They follow us: no No credit line"
    ) in english
    assert "Messages waiting to be delivered to other co-ops: 1" in english  # the new limit
    assert (
        "Other co-ops follow us at test-coop@127.0.0.1:8000 (or http://127.0.0.1:8000/ap/actor"
        in (english)
    )

    response = browser(founder, "ar").get(PEERS)
    assert response.status_code == 200
    assert (html_attrs(response)["lang"], html_attrs(response)["dir"]) == ("ar", "rtl")
    arabic = text(response)
    assert "Bethlehem Makers makers@makers.example خدمة بموعد · رحلة Bethlehem" in arabic
    assert "Gaza Weavers weavers@weavers.example عمل إبداعي Gaza" in arabic
    assert "-20.00 ILS" in arabic and "200.00 ILS" in arabic and "150.00 ILS" in arabic


def test_a_bad_address_is_explained_and_follows_nobody(founder: User, makers: Peer) -> None:
    for language in ("en", "ar"):
        response = browser(founder, language).post(PEERS + "follow/", {"address": "not a co-op"})
        assert response.status_code == 400
        with translation.override(language):
            expected = translation.gettext("Give the co-op's address as name@host or its URL.")
        assert expected in text(response)
        assert 'value="not a co-op"' in response.content.decode()
    assert list(Peer.objects.all()) == [makers]
    assert not Outbound.objects.exists()


def test_the_board_opens_changes_and_is_held_to_the_credit_line_limit(
    founder: User, makers: Peer
) -> None:
    board = browser(founder)
    url = reverse("federation_pages:credit_line", args=[makers.pk])
    prefix = f"line{makers.pk}-limit"

    opened = board.post(url, {prefix: "300.00"})
    assert opened.status_code == 302
    assert CreditLine.objects.get(peer=makers).our_limit == Decimal("300.00")
    assert "Bethlehem Makers may now owe us up to 300.00 ILS." in text(board.get(PEERS))

    over = board.post(url, {prefix: "5000"})
    assert over.status_code == 400
    assert "The limit must be between 0 and 1000.00, as the members decided." in text(over)
    assert CreditLine.objects.get(peer=makers).our_limit == Decimal("300.00")


def test_the_board_stops_following_a_coop(founder: User, makers: Peer) -> None:
    RemoteOffer.objects.create(
        peer=makers,
        object_id="https://makers.example/ap/proposals/taps",
        sector="service",
        name="Plumbing",
        updated_at=timezone.now(),
    )
    response = browser(founder).post(reverse("federation_pages:unfollow", args=[makers.pk]))
    assert response.status_code == 302
    makers.refresh_from_db()
    assert makers.following == Peer.Following.NO
    assert not RemoteOffer.objects.exists()
    assert Outbound.objects.get().kind == "Undo"


# --- Offers -----------------------------------------------------------------------------------


def test_the_directory_of_offers_filtered_by_sector(
    founder: User, member: User, makers: Peer
) -> None:
    stranger = make_peer("Unfollowed Bakers", "bakers.example", following=Peer.Following.NO)
    now = timezone.now()
    for peer, slug, sector, name, price, unit in [
        (makers, "taps", "service", "Plumbing repairs", Decimal("60.000"), "hour"),
        (makers, "soap", "product", "Olive oil soap", Decimal("12.500"), "bar"),
        (stranger, "bread", "product", "Taboon bread", Decimal("3.000"), "loaf"),
    ]:
        RemoteOffer.objects.create(
            peer=peer,
            object_id=f"{peer.actor_id.rsplit('/', 1)[0]}/proposals/{slug}",
            sector=sector,
            name=name,
            price=price,
            currency="ILS",
            unit=unit,
            updated_at=now,
        )

    every = text(browser(member).get(OFFERS))
    assert "Bethlehem Makers scheduled service Plumbing repairs 60.00 ILS / hour" in every
    assert "Bethlehem Makers local product Olive oil soap 12.50 ILS / bar" in every
    assert "Taboon bread" not in every  # we do not follow that co-op
    assert "Publish our offers now" not in every

    products = text(browser(member).get(OFFERS, {"sector": "product"}))
    assert "Olive oil soap" in products and "Plumbing repairs" not in products
    assert "Offers of sister co-ops: local product" in products

    arabic = browser(member, "ar").get(OFFERS, {"sector": "service"})
    assert arabic.status_code == 200
    assert "Bethlehem Makers خدمة بموعد Plumbing repairs 60.00 ILS / hour" in text(arabic)

    assert browser(member).get(OFFERS, {"sector": "nonsense"}).status_code == 400


def test_the_board_publishes_our_offers(founder: User, makers: Peer) -> None:
    board = browser(founder)
    assert "Publish our offers now" in text(board.get(OFFERS))
    response = board.post(OFFERS + "publish/")
    assert response.status_code == 302
    assert response["Location"] == OFFERS
    shown = text(board.get(OFFERS))
    assert (
        "Nothing was sent: no offer, shared lesson or page changed, or no co-op follows us yet."
        in shown
    )
    page = school.save_page(
        actor=founder, slug="keys", language="en", title="Office keys", body="Ask Rana."
    )
    school.share_page(actor=founder, page=page, shared=True)
    board.post(OFFERS + "publish/")
    assert "Our offers and shared lessons and pages were sent to the co-ops that follow us." in (
        text(board.get(OFFERS))
    )


# --- Referrals ---------------------------------------------------------------------------------


def test_passing_an_order_on_waits_for_the_customer_who_consents(
    founder: User, makers: Peer, customer: User, make_account: Callable[..., User]
) -> None:
    order = trip_order(customer)
    board = browser(founder)
    assert f"#{order.pk} " in text(board.get(REFERRALS))  # offered in the form's list

    proposed = board.post(
        REFERRALS + "pass-on/",
        {"order": order.pk, "peer": makers.pk, "reason": "All our drivers are booked."},
    )
    assert proposed.status_code == 302
    referral = Referral.objects.get()
    assert (referral.order, referral.status) == (order, Referral.Status.AWAITING_CONSENT)
    assert not Outbound.objects.exists()  # nothing leaves before the customer says yes

    # The customer is not a member: the referrals page shows them their own question only.
    asked = browser(customer).get(REFERRALS)
    assert asked.status_code == 200
    consent_url = reverse("federation_pages:consent", args=[referral.pk])
    assert f'href="{consent_url}"' in asked.content.decode()
    assert "Work passed to us" not in text(asked)

    page = browser(customer).get(consent_url)
    assert page.status_code == 200
    shown = text(page)
    assert "Bethlehem Makers" in shown and "All our drivers are booked." in shown
    assert "Your name Lina Customer" in shown
    assert "Your email address lina@example.org" in shown
    assert f"The area {order.title}" not in shown
    arabic = browser(customer, "ar").get(consent_url)
    assert arabic.status_code == 200 and "lina@example.org" in text(arabic)

    assert browser(make_account()).get(consent_url).status_code == 404
    assert browser(founder).get(consent_url).status_code == 404  # the customer's decision

    unchosen = browser(customer).post(consent_url, {"decision": "consent"})
    assert unchosen.status_code == 400
    assert "This field is required." in text(unchosen)

    done = browser(customer).post(consent_url, {"decision": "consent", "share": "email"})
    assert done.status_code == 302
    assert done["Location"] == reverse("market:order", args=[order.pk])
    referral.refresh_from_db()
    assert referral.status == Referral.Status.OFFERED
    assert (referral.contact_name, referral.contact) == ("Lina Customer", "lina@example.org")
    offer = Outbound.objects.get(kind="Offer")
    assert offer.payload["object"]["taawun:customer"]["contact"] == "lina@example.org"
    assert Delivery.objects.get(outbound=offer).peer == makers

    again = browser(customer).post(consent_url, {"decision": "consent", "share": "none"})
    assert again.status_code == 409
    assert "This was answered already." in text(again)
    assert "Work we passed on" in text(board.get(REFERRALS))


def test_a_customer_who_says_no_shares_nothing(founder: User, makers: Peer, customer: User) -> None:
    order = trip_order(customer)
    referral = actions.propose_referral(actor=founder, order_id=order.pk, peer_id=makers.pk)
    consent_url = reverse("federation_pages:consent", args=[referral.pk])

    person = browser(customer)
    response = person.post(consent_url, {"decision": "refuse"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED_BY_CUSTOMER
    assert (referral.contact_name, referral.contact) == ("", "")
    assert not Outbound.objects.exists()
    assert not Delivery.objects.exists()
    assert "Your order stays with us; nothing was shared." in text(person.get(response["Location"]))


def test_the_board_answers_work_passed_to_us_and_reports_it_delivered(
    founder: User, member: User, makers: Peer
) -> None:
    actions.open_credit_line(actor=founder, peer_id=makers.pk, limit=Decimal("500.00"))
    taps = incoming_referral(makers)
    roof = incoming_referral(makers, title="Paint a roof", sector="project")
    board = browser(founder)

    listed = text(board.get(REFERRALS))
    assert "Fix a kitchen tap scheduled service · Bethlehem" in listed
    assert "Accept the work" in listed and "Refuse the work" in listed
    assert "maha@example.org" not in listed  # the contact once we take the work on
    member_view = text(browser(member).get(REFERRALS))
    assert "Fix a kitchen tap" in member_view and "Accept the work" not in member_view

    refuse_url = reverse("federation_pages:refuse", args=[roof.pk])
    unexplained = board.post(refuse_url, {f"refuse-{roof.pk}-reason": ""})
    assert unexplained.status_code == 400
    assert "This field is required." in text(unexplained)
    refused = board.post(refuse_url, {f"refuse-{roof.pk}-reason": "No painters free."})
    assert refused.status_code == 302
    roof.refresh_from_db()
    assert (roof.status, roof.answer) == (Referral.Status.REJECTED, "No painters free.")

    assert board.post(reverse("federation_pages:accept", args=[taps.pk])).status_code == 302
    taps.refresh_from_db()
    assert taps.status == Referral.Status.ACCEPTED
    assert "Maha Customer · maha@example.org" in text(board.get(REFERRALS))

    delivered_url = reverse("federation_pages:delivered", args=[taps.pk])
    field = f"delivered-{taps.pk}-charged"
    nothing = board.post(delivered_url, {field: "0"})
    assert nothing.status_code == 400
    assert "The amount must be positive." in text(nothing)
    assert board.post(delivered_url, {field: "100.00"}).status_code == 302
    taps.refresh_from_db()
    assert (taps.status, taps.charged, taps.fee) == (
        Referral.Status.DELIVERED,
        Decimal("100.00"),
        Decimal("5.00"),
    )
    fee = CreditTransfer.objects.get(referral=taps)
    assert (fee.we_pay, fee.amount, fee.state) == (True, Decimal("5.00"), "proposed")

    english = text(board.get(REFERRALS))
    assert "Delivery reported to Bethlehem Makers; its referral fee is 5.00 ILS." in english
    assert "Estimate: 80.00 ILS Referral fee: 5.00% Charged: 100.00 ILS Fee: 5.00 ILS" in english
    arabic = browser(member, "ar").get(REFERRALS)
    assert arabic.status_code == 200
    assert "Fix a kitchen tap" in text(arabic) and "100.00 ILS" in text(arabic)
    assert "مُسلَّم" in text(arabic) and "مرفوض" in text(arabic)  # delivered, refused


# --- Mutual credit -----------------------------------------------------------------------------


@pytest.fixture
def line(founder: User, makers: Peer) -> CreditLine:
    """A line both sides opened: we let them owe us 300, they let us owe them 100."""
    actions.open_credit_line(actor=founder, peer_id=makers.pk, limit=Decimal("300.00"))
    CreditLine.objects.filter(peer=makers).update(their_limit=Decimal("100.00"))
    return CreditLine.objects.get(peer=makers)


def test_the_credit_page_in_english_and_arabic(
    founder: User, member: User, makers: Peer, line: CreditLine
) -> None:
    paid_us = CreditTransfer.objects.create(
        peer=makers,
        transfer_id="makers-7",
        we_pay=False,
        amount=Decimal("40.00"),
        currency="ILS",
        purpose=CreditTransfer.Purpose.TRADE,
        memo="Soap for the office",
        state=CreditTransfer.State.PROPOSED,
        proposed_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=72),
    )
    actions.complete_transfer(paid_us)
    line.refresh_from_db()
    assert line.balance == Decimal("40.00")

    english = browser(member).get(CREDIT)
    shown = text(english)
    assert f"Bethlehem Makers 40.00 ILS 300.00 ILS 100.00 ILS 1 {line.head[:12]}…" in shown
    assert (
        "Where each balance stands -100.00 0.00 300.00 Bethlehem Makers : they owe us 40.00 ILS. "
        "The bar runs from what we may owe them (100.00 ILS) to what they may owe us (300.00 ILS)."
    ) in shown
    assert (
        f"makers-7 Chain head after it: {line.head[:12]}… Bethlehem Makers they pay us 40.00 ILS "
        "goods or services Soap for the office completed"
    ) in shown
    content = english.content.decode()
    assert content.count('<svg class="chart"') == 1
    assert f'aria-labelledby="line-{makers.pk}-caption"' in content
    assert f'id="line-{makers.pk}-caption"' in content
    assert "Pay a sister co-op on credit" not in shown and "Give it back" not in shown

    arabic = browser(member, "ar").get(CREDIT)
    assert arabic.status_code == 200
    assert html_attrs(arabic)["dir"] == "rtl"
    assert '<bdi dir="ltr">40.00 ILS</bdi>' in arabic.content.decode()
    assert "Soap for the office" in text(arabic) and "مكتمل" in text(arabic)  # completed


def test_paying_on_credit_once_however_often_the_form_is_sent(
    founder: User, makers: Peer, line: CreditLine
) -> None:
    board = browser(founder)
    page = board.get(CREDIT)
    form = page.context["transfer_form"]
    transfer_id = form.initial["transfer_id"]
    assert f'value="{transfer_id}"' in page.content.decode()
    data = {
        "peer": makers.pk,
        "transfer_id": transfer_id,
        "amount": "30.00",
        "purpose": "trade",
        "memo": "Olive oil soap",
    }
    first = board.post(CREDIT + "transfer/", data)
    assert first.status_code == 302
    assert "Transfer of 30.00 ILS proposed to Bethlehem Makers." in text(board.get(CREDIT))
    assert board.post(CREDIT + "transfer/", data).status_code == 302
    assert "was proposed already; nothing more was sent." in text(board.get(CREDIT))
    transfer = CreditTransfer.objects.get()
    assert (transfer.transfer_id, transfer.amount, transfer.state) == (
        transfer_id,
        Decimal("30.00"),
        "proposed",
    )
    assert Outbound.objects.filter(kind="Offer").count() == 1


def test_a_transfer_beyond_the_credit_they_give_us_is_refused(
    founder: User, makers: Peer, line: CreditLine
) -> None:
    data = {
        "peer": makers.pk,
        "transfer_id": uuid.uuid4().hex,
        "amount": "150.00",
        "purpose": "trade",
        "memo": "",
    }
    response = browser(founder).post(CREDIT + "transfer/", data)
    assert response.status_code == 409
    assert "This would take us beyond the credit Bethlehem Makers extends to us." in text(response)
    assert f'value="{data["transfer_id"]}"' in response.content.decode()  # resend is the same
    assert not CreditTransfer.objects.exists()
    assert not Outbound.objects.filter(kind="Offer").exists()


def test_the_board_gives_back_a_transfer_paid_to_us(
    founder: User, makers: Peer, line: CreditLine
) -> None:
    paid_us = CreditTransfer.objects.create(
        peer=makers,
        transfer_id="makers-8",
        we_pay=False,
        amount=Decimal("25.00"),
        currency="ILS",
        purpose=CreditTransfer.Purpose.TRADE,
        state=CreditTransfer.State.PROPOSED,
        proposed_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=72),
    )
    actions.complete_transfer(paid_us)
    board = browser(founder)
    assert "Give it back" in text(board.get(CREDIT))
    url = reverse("federation_pages:reverse", args=[paid_us.pk])
    assert board.post(url, {f"reverse{paid_us.pk}-reason": ""}).status_code == 400
    response = board.post(url, {f"reverse{paid_us.pk}-reason": "Sent twice by mistake"})
    assert response.status_code == 302
    reversal = CreditTransfer.objects.get(reverses=paid_us)
    assert (reversal.we_pay, reversal.amount, reversal.memo) == (
        True,
        Decimal("25.00"),
        "Sent twice by mistake",
    )
    shown = text(board.get(CREDIT))
    assert "Giving back 25.00 ILS to Bethlehem Makers was proposed." in shown
    assert "gives back makers-8" in shown and "given back" in shown
    assert shown.count("Give it back") == 0


def test_checking_the_network_says_clearly_whether_it_adds_up(
    founder: User, member: User, makers: Peer
) -> None:
    fine = browser(member).post(CREDIT + "check/")
    assert fine.status_code == 200
    assert "The network adds up. Total of every balance: 0.00 ILS." in text(fine)
    assert 'class="success"' in fine.content.decode()

    actions.open_credit_line(actor=founder, peer_id=makers.pk, limit=Decimal("100.00"))
    CreditLine.objects.filter(peer=makers).update(
        balance=Decimal("12.00"), head=mutual_credit.GENESIS
    )
    unread = browser(member).post(CREDIT + "check/")  # the peer names no credit address
    assert unread.status_code == 200
    shown = text(unread)
    assert (
        "The check is not complete. What could be read adds up, but some co-ops could not be read."
        in shown
    )
    assert "Could not be read: Bethlehem Makers" in shown
    assert browser(member).get(CREDIT + "check/").status_code == 405


def test_the_customers_order_page_asks_for_consent(
    founder: User, makers: Peer, customer: User, member: User
) -> None:
    order = trip_order(customer)
    referral = actions.propose_referral(actor=founder, order_id=order.pk, peer_id=makers.pk)
    page = reverse("market:order", args=[order.pk])
    consent_url = reverse("federation_pages:consent", args=[referral.pk])

    asked = browser(customer).get(page)
    board_view = browser(founder).get(page)

    assert f'href="{consent_url}"' in asked.content.decode()
    assert "May we pass your order on?" in text(asked)
    assert consent_url not in board_view.content.decode()  # only the customer decides
