"""'Our rules' for everyone; the audit trail for members and the board only."""

from __future__ import annotations

import re

from taawun.coop.models import PolicyVersion
from taawun.transparency import selectors
from taawun.transparency.models import AuditEntry

from .helpers import text

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_rules_page_shows_the_policy_in_force_to_anyone(client, coop):
    response = client.get("/rules/", **EN)

    assert response.status_code == 200
    page = text(response)
    assert "version 1" in page
    # member classes: price, shares required, total, instalments, interval, vote
    assert "Worker member 100.00 ILS 2 200.00 ILS 4 30 votes" in page
    assert "User member 25.00 ILS 1 25.00 ILS 1 — votes" in page
    assert "Supporter member 100.00 ILS 1 100.00 ILS 3 30 no vote" in page
    assert "Who admits new members The board" in page
    assert "Voting rights From admission" in page
    assert "Notice before leaving 30 days" in page
    assert "Shares repaid within 90 days after leaving" in page
    assert "Transfers of shares between members Allowed" in page
    # decision rules, in a fixed order, with quorum and threshold
    assert "Ordinary decisions majority vote 50% 50% open 7" in page
    assert "Admitting members majority vote 50% 50% open 7" in page
    assert "Elections single transferable vote 50% — secret 14" in page
    assert "Changing these rules majority vote 50% 60% open 7" in page
    assert "Changing the bylaws protected supermajority vote 66% 66.67% open 7" in page
    assert "Setting a rate each picks a value; the median is chosen 50% — open 7" in page
    assert "Polls (bind nothing) approval (choose all you accept) 0% — open 7" in page
    assert "Board seats 3" in page
    assert "Board term 24 months" in page
    assert "New members vote after 0 days" in page
    assert "Bylaw-level rules membership, governance" in page
    assert (
        "Members asking for an extraordinary assembly 10% of the members with a vote (at least 3)"
        " sign within 30 days; the board then calls it within 30 days." in page
    )
    # versions
    version = PolicyVersion.objects.get()
    assert "1 in force founding assembly" in page
    assert version.digest in page


def test_rules_page_shows_the_fees_and_how_the_surplus_is_shared(client, coop):
    page = text(client.get("/rules/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "The co-op's fee on each price 10% To the solidarity fund from each price 2%" in page
    assert (
        "30% to the indivisible reserve, 5% to the education fund, 10% to the "
        "solidarity fund, the rest to members as patronage dividends"
    ) in page
    assert "Dividends are shared by hours worked" in page
    assert "20%; the rest is credited to the member's internal capital account" in page
    assert "One claim may take at most 25% of the fund." in page


def test_rules_page_shows_the_prices_and_how_work_is_assigned(client, coop):
    page = text(client.get("/rules/", HTTP_ACCEPT_LANGUAGE="en"))
    assert (
        "A trip 5.00 ILS, then 1.50 ILS a km for the first 16 km and 1.00 ILS a km beyond, "
        "plus 0.30 ILS a minute; at least 12.00 ILS"
    ) in page
    assert "A booked service 45.00 ILS an hour, at least 2 hours" in page
    assert "Higher prices when demand is high Off" in page
    assert "topped up to it" in page and "fairness weight of 0.6" in page


def test_rules_page_says_how_a_surge_is_worked_out_once_it_is_on(client, coop, founder, policy):
    from decimal import Decimal

    from taawun.coop.actions import adopt_policy
    from taawun.domain.policy import SurgeRules

    surge = SurgeRules(enabled=True, max_multiplier=Decimal("1.8"))
    pricing = policy.pricing.model_copy(update={"surge": surge})
    adopt_policy(actor=founder, policy=policy.model_copy(update={"pricing": pricing}), reason="7")
    assert (
        "Higher prices when demand is high On: a trip's fare is multiplied by the trips waiting "
        "per worker free, at most 1.8 times"
    ) in text(client.get("/rules/", **EN))
    assert "تُضرب أجرة الرحلة في عدد الرحلات المنتظرة لكل عامل متاح، بما لا يزيد على 1.8 أضعاف" in (
        text(client.get("/rules/", HTTP_ACCEPT_LANGUAGE="ar"))
    )


def test_rules_page_lists_every_version_newest_first(client, coop, founder, policy):
    from taawun.coop.actions import adopt_policy

    adopt_policy(actor=founder, policy=policy, reason="decision 7")
    page = text(client.get("/rules/", **EN))
    assert "version 2" in page
    assert page.index("2 in force decision 7") < page.index("1 founding assembly")


def test_rules_page_in_arabic_uses_arabic_class_names(client, coop):
    page = text(client.get("/rules/", HTTP_ACCEPT_LANGUAGE="ar"))
    assert "عضو عامل" in page
    assert "Worker member" not in page


def test_audit_trail_sends_visitors_to_sign_in(client, coop):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/audit/"


def test_audit_trail_is_refused_to_a_non_member(client, coop, make_account):
    client.force_login(make_account())
    response = client.get("/audit/", **EN)
    assert response.status_code == 403
    page = text(response)
    assert "Not allowed" in page
    assert "You do not have permission to do this." in page
    assert 'class="site-header"' in response.content.decode()


def test_audit_trail_shows_entries_newest_first_to_members(client, coop, make_member):
    member = make_member().user
    client.force_login(member)
    response = client.get("/audit/", **EN)

    assert response.status_code == 200
    content = response.content.decode()
    entries = list(AuditEntry.objects.order_by("-seq"))
    seqs = [int(s) for s in re.findall(r'<th scope="row">(\d+)</th>', content)]
    assert seqs == [e.seq for e in entries]
    founded = AuditEntry.objects.get(action="coop.founded")
    page = text(response)
    assert f"{founded.seq} " in page
    assert "coop.founded coop:1 1" in page
    assert founded.digest[:12] in page
    assert founded.digest in page  # in full inside <details>
    assert founded.canonical in page  # the canonical JSON, as text
    assert "<details>" in content


def test_audit_trail_is_paginated(client, coop, founder, monkeypatch):
    monkeypatch.setattr(selectors, "AUDIT_PAGE_SIZE", 2)
    client.force_login(founder)
    total = AuditEntry.objects.count()
    first = client.get("/audit/", **EN)
    assert f"Page 1 of {(total + 1) // 2}" in text(first)
    assert 'href="?page=2"' in first.content.decode()
    last_seq = AuditEntry.objects.order_by("seq").first().seq
    last = client.get(f"/audit/?page={(total + 1) // 2}", **EN)
    assert f'<th scope="row">{last_seq}</th>' in last.content.decode()
    assert client.get("/audit/?page=nonsense").status_code == 200


def test_audit_trail_link_in_navigation_for_members_only(client, coop, founder, make_account):
    assert 'href="/audit/"' not in client.get("/").content.decode()
    client.force_login(make_account())
    assert 'href="/audit/"' not in client.get("/").content.decode()
    client.force_login(founder)
    assert 'href="/audit/"' in client.get("/").content.decode()
