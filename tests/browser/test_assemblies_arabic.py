"""The assembly pages in Arabic on a 360-pixel phone, in a real browser, with an assembly in
session: each fits the screen, breaks no Content-Security-Policy rule and has no accessibility
violation (axe-core), for a member and for the board; screenshots are kept in /tmp/shots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from taawun.accounts.models import User
from taawun.governance import actions as governance
from taawun.governance.assemblies import actions
from taawun.members.models import Membership
from tests.browser.conftest import watch
from tests.browser.test_market_arabic import sign_in
from tests.core.conftest import fast_password_hashing  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
NAMES = ["ليلى حداد", "يوسف عودة", "مريم الخطيب", "خالد منصور"]


@pytest.fixture
def assembly_in_session(founder: User, make_member: Callable[..., Membership]) -> int:
    members = [make_member(name=name, email=f"m{i}@example.org") for i, name in enumerate(NAMES)]
    proposal = governance.propose(
        actor=founder, kind="ordinary", title="شراء سيارة توصيل كهربائية للتعاونية"
    )
    starts_at = timezone.now() + dt.timedelta(minutes=1)
    called = actions.call_assembly(
        actor=founder,
        kind="annual",
        title="الجمعية العمومية السنوية ٢٠٣٠",
        starts_at=starts_at,
        place="قاعة التعاونية، رام الله",
        online_link="https://meet.example.org/general-assembly-2030-annual-meeting",
        notice="\n".join(
            ["جدول الأعمال: الحسابات السنوية وانتخاب مجلس الإدارة.", "أحضروا بطاقة العضوية."]
        ),
        agenda=[
            actions.AgendaEntry(title="الحسابات الختامية لعام ٢٠٢٩", text="يعرضها مجلس الإدارة."),
            actions.AgendaEntry(title="سيارة التوصيل", proposal=proposal.number),
        ],
    )
    actions.open_assembly(
        actor=founder, number=called.number, secretary=members[0].number, now=starts_at
    )
    for member in members[:2]:
        actions.check_in(actor=member.user, number=called.number)
    actions.write_minutes(
        actor=members[0].user,
        number=called.number,
        text="\n".join(["افتتحت الجلسة في الخامسة مساءً.", "اكتمل النصاب."]),
    )
    return called.number


PAGES = {
    "member": ["{n}/", "", "requests/new/"],
    "board": ["{n}/", "call/", "{n}/agenda/", "{n}/attendance/", "{n}/minutes/"],
}


@pytest.mark.parametrize("who", ["member", "board"])
def test_assembly_pages_on_a_phone_in_arabic(
    browser: Any,
    live_server: Any,
    shots: Path,
    founder: User,
    assembly_in_session: int,
    who: str,
) -> None:
    problems: list[str] = []
    context = browser.new_context(locale="ar", viewport=PHONE)
    page = context.new_page()
    watch(page, problems)
    sign_in(page, live_server.url, founder.email if who == "board" else "m2@example.org")
    axe = Axe()
    for path in PAGES[who]:
        address = f"/governance/assemblies/{path.format(n=assembly_in_session)}"
        page.goto(f"{live_server.url}{address}")
        assert page.url.endswith(address)
        assert page.eval_on_selector("html", "e => e.dir") == "rtl"
        name = path.format(n="one").strip("/").replace("/", "-") or "list"
        page.screenshot(path=str(shots / f"assembly-ar-360-{who}-{name}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], address
        for violation in axe.run(page).response["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(f"{address}: {violation['id']} {targets}")
    context.close()
    assert problems == []
