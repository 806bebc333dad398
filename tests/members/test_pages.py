"""The membership pages: thin views over the actions, checked through the HTML a person gets."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from taawun.accounts.actions import create_account
from taawun.members import actions
from taawun.members.models import (
    Application,
    CapitalEntry,
    Instalment,
    Membership,
    Profile,
    Repayment,
    ShareOperation,
)
from taawun.transparency.models import AuditEntry


@pytest.fixture
def web(client):
    """A browser asking for English, so the assertions hold whatever the Arabic catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def text(response) -> str:
    """The page as plain text with collapsed whitespace (tags removed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def en_date(value) -> str:
    """A date or datetime as the English pages show it (datetimes in the site's time zone)."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    with translation.override("en"):
        return formats.date_format(value)


class PageAudit(HTMLParser):
    """Collects what the accessibility and CSP checks need from one page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []  # ids of visible form controls
        self.labelled: set[str] = set()
        self.ids: list[str] = []
        self.inline: list[str] = []  # inline styles or scripts, forbidden by the CSP
        self.tables = self.captions = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if "style" in a or any(name.startswith("on") for name in a):
            self.inline.append(tag)
        if tag == "style" or (tag == "script" and "src" not in a):
            self.inline.append(tag)
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"])
        if tag in ("select", "textarea") or (
            tag == "input" and a.get("type") not in ("hidden", "submit", "button")
        ):
            self.controls.append(a.get("id", f"<{tag} name={a.get('name')} without id>"))
        self.tables += tag == "table"
        self.captions += tag == "caption"


def audit(response) -> PageAudit:
    page = PageAudit()
    page.feed(response.content.decode())
    assert page.inline == [], page.inline
    assert sorted(set(page.controls) - page.labelled) == []
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    assert page.tables == page.captions
    return page


_quick = iter(range(1, 10_000))


def quick_members(founder, count: int, member_class: str = "user") -> list[Membership]:
    """Members admitted through the real actions, without the cost of hashing passwords."""
    made = []
    for _ in range(count):
        n = next(_quick)
        user = create_account(email=f"quick{n}@example.org", full_name=f"Quick {n}", password=None)
        application = actions.apply_for_membership(actor=user, member_class=member_class)
        made.append(actions.approve_application(actor=founder, application_id=application.pk))
    return made


def snapshot():
    """Counts of every membership table and the audit log: a refusal must leave them unchanged."""
    return (
        Application.objects.filter(status="pending").count(),
        Membership.objects.count(),
        Membership.objects.filter(status="active").count(),
        ShareOperation.objects.count(),
        Instalment.objects.filter(paid_at__isnull=False).count(),
        Instalment.objects.filter(cancelled_at__isnull=False).count(),
        CapitalEntry.objects.count(),
        Repayment.objects.filter(paid_at__isnull=False).count(),
        AuditEntry.objects.count(),
    )


# --- Directory and privacy ---


def test_anonymous_visitor_sees_only_public_fields(web, make_member):
    rana = make_member(name="Rana Haddad")
    actions.update_profile(
        actor=rana.user,
        city="Nablus",
        city_visibility="public",
        phone="0599111222",
        skills="Plumbing",
    )
    response = web.get(reverse("members:directory"))
    assert response.status_code == 200
    page = text(response)
    assert f"Member #{rana.number}" in page
    assert "Rana Haddad" not in page  # name visible to members only (the default)
    assert "Nablus" in page  # public
    assert "0599111222" not in page  # private
    assert "Plumbing" not in page  # members only
    assert rana.user.email not in page


def test_private_phone_hidden_from_members_shown_to_board(web, founder, make_member):
    rana = make_member(name="Rana Haddad")
    actions.update_profile(actor=rana.user, phone="0599111222", skills="Plumbing")
    other = make_member(name="Omar Said")

    web.force_login(other.user)
    page = text(web.get(reverse("members:directory")))
    assert "Rana Haddad" in page
    assert "Plumbing" in page
    assert "0599111222" not in page
    assert rana.user.email not in page

    web.force_login(founder)
    page = text(web.get(reverse("members:directory")))
    assert "0599111222" in page
    assert rana.user.email in page


def test_member_hidden_from_directory_is_absent_except_for_the_board(web, founder, make_member):
    hidden = make_member(name="Hidden Person")
    actions.update_profile(actor=hidden.user, show_in_directory=False, name_visibility="public")
    other = make_member(name="Omar Said")

    for viewer in (None, other.user):
        if viewer:
            web.force_login(viewer)
        page = text(web.get(reverse("members:directory")))
        assert "Hidden Person" not in page
        assert f"Member #{hidden.number}" not in page
        assert "2 members listed" in page  # the founder and Omar

    web.force_login(founder)
    page = text(web.get(reverse("members:directory")))
    assert "Hidden Person" in page
    assert "3 members listed" in page


def test_directory_filters_by_class_and_ignores_an_unknown_class(web, founder, make_member):
    user_member = make_member("user", name="User Person")
    web.force_login(founder)
    response = web.get(reverse("members:directory"), {"member_class": "user"})
    assert response.status_code == 200
    page = text(response)
    assert "User Person" in page
    assert "1 member listed" in page
    assert f"Member number {user_member.number}" in page

    response = web.get(reverse("members:directory"), {"member_class": "nonsense", "page": "x"})
    assert response.status_code == 200
    assert "2 members listed" in text(response)


def test_directory_paginates(web, founder):
    quick_members(founder, 50)
    response = web.get(reverse("members:directory"), {"page": 2})
    assert response.status_code == 200
    page = text(response)
    assert "Page 2 of 2" in page
    assert page.count("Member #") == 1  # 51 members, 50 a page


@pytest.mark.parametrize("as_board", [False, True])
def test_directory_queries_do_not_grow_with_members(
    web, founder, as_board, django_assert_num_queries
):
    quick_members(founder, 4)  # with the founder: 5 members
    if as_board:
        web.force_login(founder)
    url = reverse("members:directory")
    web.get(url)  # warm up the session
    cache.clear()  # then count what a cold cache costs
    with CaptureQueriesContext(connection) as five:
        assert text(web.get(url)).count("Member number") == 5
    quick_members(founder, 25)
    cache.clear()
    with django_assert_num_queries(len(five.captured_queries)):
        assert text(web.get(url)).count("Member number") == 30


# --- Applying ---


def test_apply_needs_an_account(web, coop):
    response = web.get(reverse("members:apply"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={reverse('members:apply')}"


def test_apply_flow_and_duplicate_refused(web, coop, make_account):
    person = make_account(name="Lina Odeh")
    web.force_login(person)
    response = web.get(reverse("members:apply"))
    assert response.status_code == 200
    page = text(response)
    assert "Worker member" in page
    assert "Share: 200.00 ILS, payable in 4 instalments." in page
    assert "Share: 25.00 ILS, payable at once." in page
    assert "Supporter member" in page
    assert "Vote: no." in page

    response = web.post(
        reverse("members:apply"), {"member_class": "user", "motivation": " I deliver. "}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("members:mine")
    application = Application.objects.get(user=person)
    assert (application.member_class, application.motivation, application.status) == (
        "user",
        "I deliver.",
        "pending",
    )
    assert "Your application has been sent to the board." in text(web.get(response["Location"]))

    response = web.get(reverse("members:apply"))
    page = text(response)
    assert "Your application is waiting" in page
    assert reverse("members:withdraw", args=[application.pk]) in response.content.decode()

    before = snapshot()
    response = web.post(reverse("members:apply"), {"member_class": "worker"})
    assert response.status_code == 409
    assert "You already have an application waiting." in text(response)
    assert snapshot() == before
    assert Application.objects.filter(user=person).count() == 1


def test_apply_with_no_class_chosen_is_a_form_error(web, coop, make_account):
    web.force_login(make_account())
    before = snapshot()
    response = web.post(reverse("members:apply"), {"member_class": "pirate"})
    assert response.status_code == 400
    assert "Select a valid choice." in text(response)
    assert snapshot() == before


def test_member_applying_is_sent_to_their_account(web, founder):
    web.force_login(founder)
    response = web.get(reverse("members:apply"))
    assert response.status_code == 302
    assert response["Location"] == reverse("members:mine")


def test_withdraw_own_application_only(web, make_applicant, make_account):
    application = make_applicant("user")
    stranger = make_account()
    web.force_login(stranger)
    before = snapshot()
    response = web.post(reverse("members:withdraw", args=[application.pk]))
    assert response.status_code == 404
    assert snapshot() == before

    web.force_login(application.user)
    assert web.get(reverse("members:withdraw", args=[application.pk])).status_code == 405
    response = web.post(reverse("members:withdraw", args=[application.pk]))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "withdrawn"

    before = snapshot()
    response = web.post(reverse("members:withdraw", args=[application.pk]))
    assert response.status_code == 409
    assert "This application has already been decided (withdrawn)." in text(response)
    assert snapshot() == before


# --- The board deciding ---


def test_board_approves_an_application(web, founder, make_applicant):
    application = make_applicant("worker", name="Lina Odeh")
    web.force_login(founder)
    board = text(web.get(reverse("members:board")))
    assert "1 application waiting for a decision" in board
    assert "Lina Odeh" in board

    response = web.get(reverse("members:application", args=[application.pk]))
    assert response.status_code == 200
    assert "Lina Odeh" in text(response)

    response = web.post(
        reverse("members:application", args=[application.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("members:member", args=[2])
    membership = Membership.objects.get(user=application.user)
    assert (membership.number, membership.status, membership.member_class) == (
        2,
        "active",
        "worker",
    )
    assert membership.instalments.count() == 4
    page = text(web.get(response["Location"]))
    assert "Application approved: member number 2." in page
    assert "200.00 ILS" in page

    before = snapshot()
    response = web.post(
        reverse("members:application", args=[application.pk]), {"decision": "approve"}
    )
    assert response.status_code == 409
    assert "This application has already been decided (approved)." in text(response)
    assert snapshot() == before


def test_refusal_needs_a_reason(web, founder, make_applicant):
    application = make_applicant("user")
    web.force_login(founder)
    url = reverse("members:application", args=[application.pk])
    before = snapshot()
    for reason in ("", "   "):
        response = web.post(url, {"decision": "refuse", "reason": reason})
        assert response.status_code == 400
        assert "This field is required." in text(response)
        assert snapshot() == before
    application.refresh_from_db()
    assert (application.status, application.decision_reason, application.decided_by) == (
        "pending",
        "",
        None,
    )

    response = web.post(url, {"decision": "refuse", "reason": "We are not hiring drivers yet."})
    assert response.status_code == 302
    assert response["Location"] == reverse("members:board")
    application.refresh_from_db()
    assert (application.status, application.decision_reason, application.decided_by) == (
        "refused",
        "We are not hiring drivers yet.",
        founder,
    )
    assert Membership.objects.filter(user=application.user).count() == 0

    web.force_login(application.user)
    page = text(web.get(reverse("members:mine")))
    assert "We are not hiring drivers yet." in page
    assert "refused" in page


def test_unknown_decision_is_a_bad_request(web, founder, make_applicant):
    application = make_applicant("user")
    web.force_login(founder)
    before = snapshot()
    response = web.post(
        reverse("members:application", args=[application.pk]), {"decision": "maybe"}
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_non_board_member_gets_403_and_changes_nothing(web, make_member, make_applicant):
    member = make_member("user", paid=0)
    application = make_applicant("worker")
    instalment = member.instalments.get()
    web.force_login(member.user)
    for url in (
        reverse("members:board"),
        reverse("members:application", args=[application.pk]),
        reverse("members:member", args=[member.number]),
        reverse("members:member", args=[1]),
    ):
        response = web.get(url)
        assert response.status_code == 403, url
        assert "You do not have permission to do this." in text(response)

    before = snapshot()
    posts = [
        (reverse("members:application", args=[application.pk]), {"decision": "approve"}),
        (
            reverse("members:application", args=[application.pk]),
            {"decision": "refuse", "reason": "no"},
        ),
        (reverse("members:pay_instalment", args=[instalment.pk]), {"method": "cash"}),
        (reverse("members:sell_back", args=[1]), {"waive_notice": "on"}),
        (reverse("members:repay", args=[1]), {"method": "cash"}),
        (reverse("members:transfer", args=[member.number]), {"to_number": 1}),
    ]
    for url, data in posts:
        assert web.post(url, data).status_code == 403, url
    assert snapshot() == before
    application.refresh_from_db()
    assert application.status == "pending"
    instalment.refresh_from_db()
    assert instalment.paid_at is None


def test_board_pages_send_anonymous_visitors_to_sign_in(web, coop):
    response = web.get(reverse("members:board"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_bad_ids_are_404(web, founder):
    web.force_login(founder)
    assert web.get(reverse("members:application", args=[99999])).status_code == 404
    assert web.get(reverse("members:member", args=[99999])).status_code == 404
    before = snapshot()
    assert (
        web.post(reverse("members:pay_instalment", args=[99999]), {"method": "cash"}).status_code
        == 404
    )
    assert web.post(reverse("members:sell_back", args=[99999])).status_code == 404
    assert web.post(reverse("members:repay", args=[99999]), {"method": "cash"}).status_code == 404
    assert web.post(reverse("members:transfer", args=[99999]), {"to_number": 1}).status_code == 404
    assert web.get("/members/board/members/abc/").status_code == 404
    assert snapshot() == before


def test_board_lookup_by_member_number(web, founder, make_member):
    member = make_member("user")
    web.force_login(founder)
    response = web.get(reverse("members:board"), {"number": member.number})
    assert response.status_code == 302
    assert response["Location"] == reverse("members:member", args=[member.number])
    response = web.get(reverse("members:board"), {"number": 404})
    assert response.status_code == 404
    assert "No member has this number." in text(response)
    response = web.get(reverse("members:board"), {"number": "x"})
    assert response.status_code == 400
    assert "Enter a whole number." in text(response)


# --- Money: instalments, leaving, repayment, transfer ---


def test_record_payment_then_second_recording_is_refused(web, founder, make_member):
    member = make_member("worker", name="Lina Odeh")
    first = member.instalments.get(number=1)
    web.force_login(founder)
    page = text(web.get(reverse("members:board")))
    assert "Instalments due and unpaid" in page
    assert f"{member.number} · Lina Odeh" in page

    url = reverse("members:pay_instalment", args=[first.pk])
    before = snapshot()
    response = web.post(url, {"method": "bank", "reference": " "})
    assert response.status_code == 400
    assert "A bank or wallet payment needs its transaction reference." in text(response)
    assert snapshot() == before

    response = web.post(url, {"method": "bank", "reference": "TX-991"})
    assert response.status_code == 302
    assert response["Location"] == reverse("members:member", args=[member.number])
    first.refresh_from_db()
    assert (first.method, first.reference, first.receipt_number) == ("bank", "TX-991", 1)
    entry = CapitalEntry.objects.get(instalment=first)
    assert (entry.amount, entry.kind) == (Decimal("50.00"), "share_payment")
    page = text(web.get(response["Location"]))
    assert "Instalment 1 recorded as paid; receipt number 1." in page
    assert "Paid 50.00 ILS" in page
    assert "Still to pay 150.00 ILS" in page

    before = snapshot()
    response = web.post(url, {"method": "cash"})
    assert response.status_code == 409
    assert "This instalment has already been paid." in text(response)
    assert snapshot() == before
    assert CapitalEntry.objects.filter(membership=member).count() == 1


def test_member_sees_their_account(web, make_member):
    member = make_member("worker", paid=1)
    paid = member.instalments.get(number=1)
    web.force_login(member.user)
    response = web.get(reverse("members:mine"))
    assert response.status_code == 200
    page = text(response)
    assert f"Member number {member.number}" in page
    assert "Class Worker member" in page
    assert "Status active" in page
    assert "Shares held 2" in page
    assert "Subscribed 200.00 ILS" in page
    assert "Paid 50.00 ILS" in page
    assert "Still to pay 150.00 ILS" in page
    assert "Voting rights May vote" in page
    assert (
        f"1 {en_date(paid.due_on)} 50.00 ILS {en_date(paid.paid_at)} {paid.receipt_number} paid"
        in page
    )
    assert "Balance 50.00 ILS" in page
    assert reverse("members:profile") in response.content.decode()


def test_give_notice_sell_back_and_repay(web, founder, make_member):
    member = make_member("worker", paid=1)
    web.force_login(member.user)

    response = web.post(reverse("members:notice"), {"operation": "give"})
    assert response.status_code == 200  # the confirmation step
    assert "Yes, I give notice" in text(response)
    assert "Your paid-in capital (50.00 ILS) is then repaid within 90 days." in text(response)
    member.refresh_from_db()
    assert member.status == "active"

    response = web.post(reverse("members:notice"), {"operation": "give", "confirm": "true"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.notice_given_on) == ("leaving", timezone.localdate())
    assert "Withdraw my notice and stay" in text(web.get(reverse("members:mine")))

    before = snapshot()
    response = web.post(reverse("members:notice"), {"operation": "give", "confirm": "true"})
    assert response.status_code == 409
    assert "This cannot be done while the membership is leaving." in text(response)
    assert snapshot() == before

    web.force_login(founder)
    board = text(web.get(reverse("members:board")))
    assert "Members leaving" in board and f"{member.number} ·" in board
    sell_back = reverse("members:sell_back", args=[member.number])
    before = snapshot()
    response = web.post(sell_back, {})
    assert response.status_code == 409
    ends = (timezone.localdate() + timezone.timedelta(days=30)).isoformat()
    assert f"The notice period runs until {ends}." in text(response)
    assert snapshot() == before

    response = web.post(sell_back, {"waive_notice": "on"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.left_on) == ("left", timezone.localdate())
    repayment = Repayment.objects.get(membership=member)
    assert (repayment.amount, repayment.paid_at) == (Decimal("50.00"), None)
    assert member.instalments.filter(cancelled_at__isnull=False).count() == 3
    assert "Repayments owed" in text(web.get(reverse("members:board")))

    repay = reverse("members:repay", args=[member.number])
    before = snapshot()  # the member paid in cash: the wallet holds nothing to repay them with
    response = web.post(repay, {"method": "wallet", "reference": "W-17"})
    assert response.status_code == 409
    assert "There is not enough money in account 1020 for this" in text(response)
    assert snapshot() == before
    response = web.post(repay, {"method": "cash"})
    assert response.status_code == 302
    repayment.refresh_from_db()
    assert (repayment.method, repayment.reference) == ("cash", "")
    assert repayment.paid_at is not None
    before = snapshot()
    response = web.post(repay, {"method": "cash"})
    assert response.status_code == 409
    assert "This repayment has already been made." in text(response)
    assert snapshot() == before

    web.force_login(member.user)
    page = text(web.get(reverse("members:mine")))
    assert "Status left" in page
    assert "Balance 0.00 ILS" in page
    assert "Repayment of the paid-in capital" in page
    assert "Voting rights May not vote" in page


def test_withdraw_notice(web, make_member):
    member = make_member("user")
    actions.give_notice(actor=member.user, membership_id=member.pk)
    web.force_login(member.user)
    response = web.post(reverse("members:notice"), {"operation": "withdraw"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.notice_given_on) == ("active", None)


def test_notice_needs_a_current_membership(web, make_account, coop):
    web.force_login(make_account())
    assert (
        web.post(reverse("members:notice"), {"operation": "give", "confirm": "true"}).status_code
        == 404
    )


def test_transfer_shares(web, founder, make_member):
    giver = make_member("user", paid=1, name="Giver")
    receiver = make_member("user", name="Receiver")
    unpaid = make_member("user", name="Unpaid")
    web.force_login(founder)

    before = snapshot()
    response = web.post(reverse("members:transfer", args=[giver.number]), {"to_number": 999})
    assert response.status_code == 400
    assert "No member has this number." in text(response)
    response = web.post(reverse("members:transfer", args=[giver.number]), {"to_number": 1})
    assert response.status_code == 409
    assert "Both members must be of the same class." in text(response)
    response = web.post(
        reverse("members:transfer", args=[unpaid.number]), {"to_number": receiver.number}
    )
    assert response.status_code == 409
    assert "Only fully paid shares can be transferred." in text(response)
    assert snapshot() == before

    response = web.post(
        reverse("members:transfer", args=[giver.number]), {"to_number": receiver.number}
    )
    assert response.status_code == 302
    giver.refresh_from_db()
    assert giver.status == "left"
    operation = ShareOperation.objects.get(kind="transfer")
    assert (operation.membership, operation.counterparty, operation.shares, operation.nominal) == (
        giver,
        receiver,
        1,
        Decimal("25.00"),
    )
    page = text(web.get(reverse("members:member", args=[receiver.number])))
    assert "Shares held 2" in page
    assert "Balance 25.00 ILS" in page


# --- Profile ---


def test_edit_profile(web, make_member):
    member = make_member("user", name="Rana Haddad")
    web.force_login(member.user)
    response = web.get(reverse("members:profile"))
    assert response.status_code == 200
    assert 'value="Rana Haddad"' in response.content.decode()

    data = {
        "display_name": "Rana H.",
        "phone": "0599111222",
        "city": "Jenin",
        "skills": "",
        "bio": "",
        "show_in_directory": "on",
        "name_visibility": "public",
        "email_visibility": "private",
        "phone_visibility": "members",
        "city_visibility": "public",
        "skills_visibility": "members",
        "bio_visibility": "members",
    }
    before = snapshot()
    response = web.post(reverse("members:profile"), {**data, "display_name": " "})
    assert response.status_code == 400
    assert "This field is required." in text(response)
    response = web.post(reverse("members:profile"), {**data, "phone_visibility": "world"})
    assert response.status_code == 400
    assert snapshot() == before
    assert Profile.objects.get(user=member.user).display_name == "Rana Haddad"

    response = web.post(reverse("members:profile"), data)
    assert response.status_code == 302
    profile = Profile.objects.get(user=member.user)
    assert (profile.display_name, profile.phone, profile.city, profile.phone_visibility) == (
        "Rana H.",
        "0599111222",
        "Jenin",
        "members",
    )
    web.logout()
    page = text(web.get(reverse("members:directory")))
    assert "Rana H." in page and "Jenin" in page and "0599111222" not in page


def test_profile_of_a_person_without_membership(web, coop, make_account):
    person = make_account(name="Sami")
    web.force_login(person)
    response = web.post(
        reverse("members:profile"),
        {
            "display_name": "Sami",
            "name_visibility": "members",
            "email_visibility": "private",
            "phone_visibility": "private",
            "city_visibility": "members",
            "skills_visibility": "members",
            "bio_visibility": "members",
        },
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=person).show_in_directory is False


# --- Registers ---


def test_registers_are_for_members_and_board(web, founder, make_account):
    response = web.get(reverse("members:member_register"))
    assert response.status_code == 302
    web.force_login(make_account())
    for name in ("registers", "member_register", "share_register"):
        response = web.get(reverse(f"members:{name}"))
        assert response.status_code == 403, name


def test_registers_show_the_legal_lines(web, founder, make_member):
    member = make_member("user", paid=1, name="Lina Odeh")
    web.force_login(member.user)
    assert web.get(reverse("members:registers")).status_code == 200
    response = web.get(reverse("members:member_register"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="register"' in html
    page = text(response)
    assert f"1 سعاد الفلاحي Worker member {en_date(timezone.localdate())} active" in page
    assert f"2 Lina Odeh User member {en_date(member.joined_on)} active" in page

    response = web.get(reverse("members:share_register"))
    assert response.status_code == 200
    page = text(response)
    today = en_date(timezone.localdate())
    assert f"1 {today} subscription 1 2 200.00 ILS" in page
    assert f"2 {today} subscription 2 1 25.00 ILS" in page


@pytest.mark.parametrize("name", ["member_register", "share_register"])
def test_registers_queries_do_not_grow_with_members(web, founder, name, django_assert_num_queries):
    quick_members(founder, 4)
    web.force_login(founder)
    url = reverse(f"members:{name}")
    web.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as five:
        assert web.get(url).content.decode().count("<tr>") == 1 + 5
    quick_members(founder, 25)
    cache.clear()
    with django_assert_num_queries(len(five.captured_queries)):
        assert web.get(url).content.decode().count("<tr>") == 1 + 30


# --- Language ---


def test_arabic_is_right_to_left(client, coop):
    response = client.get(reverse("members:directory"), HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.content.decode()
    response = client.get(reverse("members:directory"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en" dir="ltr">' in response.content.decode()


def test_pages_label_every_input_and_have_no_inline_code(
    web, founder, make_member, make_applicant, make_account
):
    """Every control labelled, every table captioned, no id twice, nothing the CSP would block."""
    leaving = make_member("worker", paid=1)
    actions.give_notice(actor=leaving.user, membership_id=leaving.pk)
    application = make_applicant("user")
    web.force_login(founder)
    urls = [
        reverse("members:directory"),
        reverse("members:mine"),
        reverse("members:profile"),
        reverse("members:notice"),
        reverse("members:board"),
        reverse("members:application", args=[application.pk]),
        reverse("members:member", args=[leaving.number]),
        reverse("members:registers"),
        reverse("members:member_register"),
        reverse("members:share_register"),
    ]
    for url in urls:
        response = web.get(url)
        assert response.status_code == 200, url
        audit(response)
    page = audit(web.get(reverse("members:member", args=[leaving.number])))
    assert page.tables == 2  # instalments and capital account
    unpaid = leaving.instalments.filter(paid_at__isnull=True).order_by("number")
    assert {f"pay-{i.pk}-method" for i in unpaid} <= set(page.controls)
    assert {"id_waive_notice", "id_to_number"} <= set(page.controls)

    web.force_login(make_account())
    page = audit(web.get(reverse("members:apply")))
    assert page.controls == [*(f"id_member_class_{n}" for n in range(3)), "id_motivation"]


# --- Searching the directory by name ---


def test_directory_search_finds_names_only_where_they_are_shown(web, founder, make_member):
    from taawun.members import actions as members

    everyone = make_member(name="Rana Odeh")
    members.update_profile(actor=everyone.user, name_visibility="public")
    colleagues = make_member(name="Rami Haddad")  # name shown to members (the default)
    hidden = make_member(name="Randa Saleh")
    members.update_profile(actor=hidden.user, name_visibility="private")

    def found(query: str) -> list[str]:
        page = web.get(reverse("members:directory"), {"name": query}, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        return [e.name for e in page.context["listing"].entries]

    assert found("ra") == ["Rana Odeh"]  # the public sees only public names
    web.force_login(colleagues.user)
    assert found("RA") == ["Rana Odeh", "Rami Haddad"]
    assert found("randa") == []  # a private name cannot be found by searching it
    web.force_login(founder)
    assert found("randa") == ["Randa Saleh"]
    assert found("nobody") == []
