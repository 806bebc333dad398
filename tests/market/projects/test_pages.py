"""The project pages end to end in a browser without JavaScript: post a brief, propose, choose,
then deliver, accept, dispute and resolve from the shared order page. Bad input re-renders the
form with the error (400) and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from taawun.accounts.models import User
from taawun.market.models import Order, Status
from taawun.market.projects import actions
from taawun.market.projects.models import Brief, Proposal
from taawun.members.models import Membership
from tests.core.helpers import Clock, unchanged
from tests.ledger.helpers import books_problems, owed
from tests.web.helpers import text

from .conftest import agree, post, propose

pytestmark = [pytest.mark.django_db]
D = Decimal


@pytest.fixture
def browser() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        return client

    return make


def test_the_list_needs_a_sign_in_and_shows_open_briefs(
    coop: object, customer: User, browser: Callable[[User | None], Client]
) -> None:
    url = reverse("market:projects:list")
    assert browser(None).get(url).status_code == 302
    post(customer, title="ترجمة موقع جمعية")
    page = browser(customer).get(url)
    assert page.status_code == 200
    assert "ترجمة موقع جمعية" in text(page)
    assert "0 proposals" in text(page)


def test_posting_a_brief(
    clock: Clock, customer: User, browser: Callable[[User | None], Client]
) -> None:
    client = browser(customer)
    url = reverse("market:projects:new")
    assert client.get(url).status_code == 200
    with unchanged():
        refused = client.post(url, {"title": "", "description": "Something"})
    assert refused.status_code == 400
    with unchanged():
        refused = client.post(url, {"title": "Logo", "description": "A logo", "budget": "1.234"})
    assert refused.status_code == 400
    assert "1.234 has more decimals than ILS allows." in text(refused)
    with unchanged():
        refused = client.post(
            url, {"title": "Logo", "description": "A logo", "deadline": "2020-01-01"}
        )
    assert "The deadline cannot be in the past." in text(refused)
    done = client.post(
        url,
        {"title": "Logo", "description": "A logo", "budget": "600", "deadline": "2030-04-01"},
    )
    brief = Brief.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("market:projects:brief", args=[brief.pk])
    assert (brief.budget, str(brief.deadline)) == (D("600.000"), "2030-04-01")


def test_proposing_and_who_sees_it(
    customer: User,
    worker: Membership,
    make_account: Callable[..., User],
    browser: Callable[[User | None], Client],
) -> None:
    brief = post(customer)
    client = browser(worker.user)
    page = client.get(reverse("market:projects:brief", args=[brief.pk]))
    assert "Send my proposal" in text(page)
    url = reverse("market:projects:propose", args=[brief.pk])
    form = {"price": "500.00", "days": "10", "plan": "Three sketches first."}
    with unchanged():
        refused = client.post(url, {**form, "milestones": "Designs 200.00\nFiles 250.00"})
    assert refused.status_code == 400
    assert "The milestones add up to 450.00 ILS, but the price is 500.00 ILS." in text(refused)
    with unchanged():
        refused = client.post(url, {**form, "milestones": "Designs\nFiles 500"})
    assert "Write each milestone as what you deliver, then its amount." in text(refused)
    done = client.post(url, {**form, "milestones": "First designs: 200.00\n\nFinal files — 300"})
    assert done.status_code == 302
    proposal = Proposal.objects.get()
    assert [(s.title, s.amount) for s in proposal.steps.all()] == [
        ("First designs", D("200.000")),
        ("Final files", D("300.000")),
    ]
    buyer = browser(customer)
    stranger_page = text(
        browser(make_account()).get(reverse("market:projects:brief", args=[brief.pk]))
    )
    assert "1 proposal so far." in stranger_page
    assert "Three sketches first." not in stranger_page
    assert "Send my proposal" not in stranger_page  # not a working member
    assert "Three sketches first." in text(
        buyer.get(reverse("market:projects:brief", args=[brief.pk]))
    )
    with unchanged():
        refused = buyer.post(url, {**form, "milestones": "All 500"})
    assert refused.status_code == 403
    withdrawn = client.post(reverse("market:projects:withdraw", args=[proposal.pk]))
    assert withdrawn.status_code == 302
    assert Proposal.objects.get().status == "withdrawn"


def test_choose_deliver_accept_from_the_pages(
    customer: User, worker: Membership, browser: Callable[[User | None], Client]
) -> None:
    brief = post(customer)
    proposal = propose(worker, brief)
    buyer, seller = browser(customer), browser(worker.user)
    choose = reverse("market:projects:choose", args=[brief.pk, proposal.pk])
    with unchanged():
        assert buyer.post(choose, {"method": "gold"}).status_code == 400
    assert seller.post(choose, {"method": "cash"}).status_code == 403
    assert buyer.post(choose, {"method": "wallet"}).status_code == 302
    first, second = (m.order for m in Brief.objects.get().milestones.order_by("number"))
    brief_page = text(buyer.get(reverse("market:projects:brief", args=[brief.pk])))
    assert "mobile wallet" in brief_page and "First designs" in brief_page
    order_url = reverse("market:order", args=[first.pk])
    panel = text(seller.get(order_url))
    assert "Deliver the work" in panel and "Accept and pay" not in panel
    step = lambda name: reverse("market:projects:milestone_step", args=[first.pk, name])  # noqa: E731
    with unchanged():
        refused = seller.post(step("deliver"), {"note": "Sketches", "link": "ftp://x"})
    assert refused.status_code == 400
    assert "A link starts with https:// or http://" in text(refused)
    assert (
        seller.post(step("deliver"), {"note": "Sketches", "link": "https://example.org/a"})[
            "Location"
        ]
        == order_url
    )
    panel = text(buyer.get(order_url))
    assert "Accept and pay" in panel and "https://example.org/a" in panel
    with unchanged():
        assert seller.post(step("accept"), {"tip": ""}).status_code == 403
    assert buyer.post(step("accept"), {"tip": "10"}).status_code == 302
    assert buyer.post(step("accept"), {"tip": ""}).status_code == 302  # again: nothing more
    assert Order.objects.get(pk=first.pk).status == Status.COMPLETED
    assert owed(worker) == D("186.00")
    assert (
        buyer.post(reverse("market:projects:cancel_remaining", args=[brief.pk])).status_code == 302
    )
    assert Order.objects.get(pk=second.pk).status == Status.CANCELLED
    assert Brief.objects.get().status == "closed"
    assert books_problems() == []


def test_dispute_and_resolve_from_the_pages(
    customer: User,
    worker: Membership,
    founder: User,
    browser: Callable[[User | None], Client],
) -> None:
    (order,) = agree(customer, propose(worker, post(customer), pairs=[("All", "500.00")]))
    actions.deliver(actor=worker.user, order_id=order.pk, note="Done")
    buyer, board = browser(customer), browser(founder)
    step = lambda name: reverse("market:projects:milestone_step", args=[order.pk, name])  # noqa: E731
    with unchanged():
        assert buyer.post(step("dispute"), {"reason": ""}).status_code == 400
    assert buyer.post(step("dispute"), {"reason": "Not finished"}).status_code == 302
    panel = text(board.get(reverse("market:order", args=[order.pk])))
    assert "Resolve the dispute" in panel and "Not finished" in panel
    with unchanged():
        assert buyer.post(step("resolve"), {"outcome": "pay", "note": "x"}).status_code == 403
        assert board.post(step("nonsense"), {}).status_code == 404
    assert (
        board.post(step("resolve"), {"outcome": "pay", "note": "It was finished"}).status_code
        == 302
    )
    assert owed(worker) == D("440.00")
    assert Brief.objects.get().status == "closed"
    assert books_problems() == []
