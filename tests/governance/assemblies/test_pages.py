"""The assembly pages with the Django test client, in English and Arabic, without JavaScript:
who sees what (outsiders get 404), the board's forms, a member's check-in, the minutes, the
calendar file and members' requests; posts without the CSRF token are refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from taawun.accounts.models import User
from taawun.governance import actions as governance
from taawun.governance.assemblies import actions
from taawun.governance.assemblies.models import AgendaItem, Assembly, AssemblyRequest, Attendance
from taawun.members.models import Membership
from tests.core.helpers import Clock, unchanged
from tests.governance.conftest import after_close
from tests.web.helpers import html_attrs, text

from .conftest import ASSEMBLY_DAY

pytestmark = pytest.mark.django_db
LIST = reverse("assemblies:list")


def url(name: str, assembly: Assembly) -> str:
    return reverse(f"assemblies:{name}", args=[assembly.number])


def number_of(user: User) -> int:
    return Membership.objects.get(user=user, status="active").number


def as_person(web: Client, user: User) -> Client:
    web.force_login(user)
    return web


def test_anonymous_visitors_are_sent_to_sign_in(web: Client, called: Assembly) -> None:
    for address in (LIST, url("assembly", called), url("calendar", called)):
        response = web.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_people_outside_the_coop_find_nothing(
    web: Client, called: Assembly, make_account: Callable[..., User]
) -> None:
    as_person(web, make_account())
    for name in ("assembly", "calendar", "agenda", "attendance", "minutes"):
        assert web.get(url(name, called)).status_code == 404, name
    assert web.get(LIST).status_code == 404
    assert web.get(reverse("assemblies:call")).status_code == 404
    assert web.get(reverse("assemblies:request")).status_code == 404
    with unchanged():
        assert web.post(url("check_in", called)).status_code == 404
        assert web.post(url("cancel", called), {"reason": "x"}).status_code == 404
    assert web.get(url("assembly", called).replace("/1/", "/99/")).status_code == 404


def test_members_see_the_list_and_the_assembly(
    web: Client, called: Assembly, voters: list[User]
) -> None:
    as_person(web, voters[3])
    listing = text(web.get(LIST))
    assert "Upcoming and in session Annual general assembly 2030" in listing
    assert "No request is waiting." in listing
    assert "Call an assembly" not in listing  # not on the board
    page = web.get(url("assembly", called))
    assert page.status_code == 200
    shown = text(page)
    for fact in (
        "Annual general assembly 2030 called General assembly number 1, annual",
        "Place Co-op hall, Ramallah",
        "Called by سعاد الفلاحي on March 1, 2030",
        "The annual accounts and the board election. Bring your member card.",
        "Agenda Accounts of 2029 The board presents them. Election of the board",
        "6 members have a vote on the day of the assembly. The quorum is 50% of them, present;",
    ):
        assert fact in shown, fact
    assert "Open the assembly" not in shown
    assert "I am present" not in shown  # not in session yet


def test_the_page_in_arabic(client: Client, in_session: Assembly, voters: list[User]) -> None:
    client.force_login(voters[2])
    page = client.get(url("assembly", in_session), HTTP_ACCEPT_LANGUAGE="ar")
    assert page.status_code == 200
    assert html_attrs(page) == {"lang": "ar", "dir": "rtl"}
    assert "الأعضاء" in text(page)  # the site around it is in Arabic
    assert "<bdi>Annual general assembly 2030</bdi>" in page.content.decode()
    assert client.get(LIST, HTTP_ACCEPT_LANGUAGE="ar").status_code == 200


def test_the_board_calls_an_assembly_with_the_form(
    web: Client, clock: Clock, voters: list[User]
) -> None:
    as_person(web, voters[0])
    form = reverse("assemblies:call")
    assert web.get(form).status_code == 200
    refused = web.post(
        form,
        {
            "kind": "extraordinary",
            "title": "The van",
            "starts_at": "2029-01-01T10:00",
            "place": "Hall",
            "notice": "Come.",
        },
    )
    assert refused.status_code == 400
    assert "An assembly is called for a time within the coming year." in text(refused)
    assert Assembly.objects.count() == 0
    done = web.post(
        form,
        {
            "kind": "extraordinary",
            "title": "The van",
            "starts_at": "2030-03-20T18:30",
            "place": "",
            "online_link": "https://meet.example.org/van",
            "notice": "One point: the van.",
        },
    )
    called = Assembly.objects.get()
    assert done.status_code == 302 and done["Location"] == url("assembly", called)
    assert (called.kind, called.title, called.online_link) == (
        "extraordinary",
        "The van",
        "https://meet.example.org/van",
    )
    assert called.starts_at == dt.datetime(2030, 3, 20, 16, 30, tzinfo=dt.UTC)  # 18:30 in Hebron


def test_members_are_refused_the_boards_forms(
    web: Client, called: Assembly, voters: list[User]
) -> None:
    as_person(web, voters[1])
    assert web.get(reverse("assemblies:call")).status_code == 403
    assert web.get(url("agenda", called)).status_code == 403
    with unchanged():
        assert web.post(url("cancel", called), {"reason": "Mine."}).status_code == 403
        assert web.post(url("open", called)).status_code == 403


def test_the_board_edits_the_agenda(web: Client, called: Assembly, voters: list[User]) -> None:
    as_person(web, voters[0])
    proposal = governance.propose(actor=voters[0], kind="ordinary", title="Buy a van")
    page = web.get(url("agenda", called))
    assert page.status_code == 200
    assert 'value="Accounts of 2029"' in page.content.decode()
    assert "Position" in text(page)
    rows = {
        "form-TOTAL_FORMS": "5",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "50",
        "form-0-title": "Accounts of 2029",
        "form-0-text": "",
        "form-0-ORDER": "2",
        "form-1-title": "",  # emptied: taken off
        "form-1-ORDER": "3",
        "form-2-title": "The van",
        "form-2-proposal": str(proposal.number),
        "form-2-ORDER": "1",
    }
    unknown = web.post(url("agenda", called), {**rows, "form-2-proposal": "77"})
    assert unknown.status_code == 400
    assert "There is no proposal number 77." in text(unknown)
    done = web.post(url("agenda", called), rows)
    assert done.status_code == 302
    assert list(AgendaItem.objects.values_list("position", "title", "proposal__number")) == [
        (1, "The van", proposal.number),
        (2, "Accounts of 2029", None),
    ]


def test_a_session_through_the_pages(
    web: Client, clock: Clock, called: Assembly, voters: list[User]
) -> None:
    board, secretary, member = voters[0], voters[1], voters[2]
    clock.now = ASSEMBLY_DAY - dt.timedelta(days=3)  # its vote runs through the assembly
    proposal = governance.propose(actor=board, kind="ordinary", title="Buy a van")
    actions.set_agenda(
        actor=board,
        number=called.number,
        agenda=[actions.AgendaEntry(title="The van", proposal=proposal.number)],
    )
    as_person(web, board)
    early = web.post(url("open", called), {"secretary": str(number_of(secretary))})
    assert early.status_code == 409
    assert "An assembly opens on its day, not before." in text(early)
    clock.now = ASSEMBLY_DAY
    bad = web.post(url("open", called), {"secretary": "x"})
    assert bad.status_code == 400
    assert (
        web.post(url("open", called), {"secretary": str(number_of(secretary))}).status_code == 302
    )

    as_person(web, member)
    page = text(web.get(url("assembly", called)))
    assert "I am present" in page
    assert "quorum not reached 0 of 6 members with a vote present (0%)." in page
    done = web.post(url("check_in", called), follow=True)
    assert "You are recorded as present." in text(done)
    again = web.post(url("check_in", called))
    assert again.status_code == 409
    assert "You are already recorded as present." in text(again)
    assert web.get(url("attendance", called)).status_code == 403

    as_person(web, secretary)  # the secretary keeps the checklist
    checklist = web.get(url("attendance", called))
    assert checklist.status_code == 200
    drawn = checklist.content.decode()
    assert f'value="{number_of(member)}" id="id_present_2" checked' in drawn
    response = web.post(
        url("attendance", called),
        {
            "present": [number_of(member), number_of(secretary), number_of(voters[3])],
            "were_present": [number_of(member)],
        },
    )
    assert response.status_code == 302
    page = text(web.get(url("assembly", called)))
    assert "quorum reached 3 of 6 members with a vote present (50%). The quorum is 50%." in page
    assert f"{number_of(member)} · {member.get_full_name()} (checked in)" in page
    minutes = web.post(url("minutes", called), {"text": "Opened at 17:00.\nThe van: yes."})
    assert minutes.status_code == 302

    as_person(web, board)
    assert web.post(url("close", called)).status_code == 302
    governance.cast_ballot(actor=member, number=proposal.number, choice="yes")
    for person in voters[3:6]:
        governance.cast_ballot(actor=person, number=proposal.number, choice="yes")
    governance.run_due(now=after_close())
    page = text(web.get(url("assembly", called)))
    assert f"Proposal {proposal.number}: Buy a van · decided: passed" in page
    link = reverse("governance:proposal", args=[proposal.number])
    assert f'<a href="{link}">Proposal {proposal.number}: Buy a van</a>' in (
        web.get(url("assembly", called)).content.decode()
    )
    assert "draft Not approved yet" in page
    assert "Opened at 17:00. The van: yes." in page
    called.refresh_from_db()
    stale = web.post(url("approve", called), {"minutes_sha256": "0" * 64})
    assert stale.status_code == 409
    assert "The minutes changed since you read them" in text(stale)
    approved = web.post(url("approve", called), {"minutes_sha256": called.minutes_sha256})
    assert approved.status_code == 302
    with unchanged():
        refused = web.post(url("minutes", called), {"text": "Rewritten."})
        assert refused.status_code == 409
        assert "append an addendum instead" in text(refused)
    assert web.post(url("addendum", called), {"text": "The vote was 4 to 0."}).status_code == 302
    page = text(web.get(url("assembly", called)))
    assert "approved Approved by the board on" in page
    assert "Addenda The vote was 4 to 0. By سعاد الفلاحي" in page
    assert Attendance.objects.filter(assembly=called).count() == 3


def test_the_board_cancels_with_a_reason(web: Client, called: Assembly, voters: list[User]) -> None:
    as_person(web, voters[0])
    blank = web.post(url("cancel", called), {"reason": "  "})
    assert blank.status_code == 400
    assert Assembly.objects.get().status == "called"
    assert web.post(url("cancel", called), {"reason": "The hall is flooded."}).status_code == 302
    page = text(web.get(url("assembly", called)))
    assert "cancelled" in page and "The hall is flooded." in page
    assert "Attendance and quorum" not in page


def test_the_calendar_file(web: Client, called: Assembly, voters: list[User]) -> None:
    as_person(web, voters[4])
    response = web.get(url("calendar", called))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="assembly-1.ics"'
    body = response.content.decode()
    assert "UID:assembly-1@testserver\r\n" in body
    assert "URL:http://testserver/governance/assemblies/1/\r\n" in body


def test_members_ask_for_and_sign_a_request(web: Client, clock: Clock, voters: list[User]) -> None:
    as_person(web, voters[1])
    form = text(web.get(reverse("assemblies:request")))
    assert "a request needs the signatures of 10% of the members with a vote (at least 3" in form
    assert "Today that is 3 signatures, yours included." in form
    assert (
        web.post(
            reverse("assemblies:request"), {"title": "The van", "reason": "Prices rise."}
        ).status_code
        == 302
    )
    request = AssemblyRequest.objects.get()
    for person in voters[2:4]:
        as_person(web, person)
        assert "Signatures: " in text(web.get(LIST))
        assert web.post(reverse("assemblies:sign", args=[request.pk])).status_code == 302
    as_person(web, voters[0])
    listing = text(web.get(LIST))
    assert "Signatures: 3 of the 3 needed. supported The board must call the assembly by" in listing
    call_form = web.get(reverse("assemblies:call"), {"request": request.pk})
    assert "In answer to the members' request “The van”." in text(call_form)
    assert web.get(reverse("assemblies:call"), {"request": "abc"}).status_code == 404


def test_posts_need_the_csrf_token(in_session: Assembly, voters: list[User]) -> None:
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(voters[2])
    with unchanged():
        assert browser.post(url("check_in", in_session)).status_code == 403
    page = browser.get(url("assembly", in_session))
    token = page.cookies["csrftoken"].value
    done = browser.post(url("check_in", in_session), {"csrfmiddlewaretoken": token})
    assert done.status_code == 302
    assert Attendance.objects.count() == 1


def test_get_is_refused_where_only_a_post_acts(
    web: Client, in_session: Assembly, voters: list[User]
) -> None:
    as_person(web, voters[0])
    for name in ("open", "close", "cancel", "check_in", "approve", "addendum"):
        assert web.get(url(name, in_session)).status_code == 405, name
