"""More governance pages through the Django test client, in English and in Arabic: the impact
preview on a proposal, delegating a vote, the mandates and their recall, the outcome statement,
and the links from the list of decisions; with who may see and do what, and refusals that leave
nothing changed."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponse
from django.utils import formats, timezone, translation

from taawun.accounts.models import User
from taawun.governance import actions, selectors
from taawun.governance.models import Delegation, Mandate, Proposal
from taawun.members.models import Membership
from tests.core.conftest import fast_password_hashing  # noqa: F401  (autouse: quick accounts)
from tests.core.helpers import unchanged
from tests.members.test_pages import audit
from tests.web.helpers import text

from .conftest import after_close
from .test_delegation import allowed, number  # noqa: F401  (a fixture and a helper)
from .test_impact import producer  # noqa: F401  (a member who sold 90.00 of honey)
from .test_mandates import elect_board
from .test_pages import Browse, browse, in_language  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def fee_change(voters: list[User]) -> Proposal:
    return actions.propose(
        actor=voters[0], kind="policy_change", title="Fee", changes={"fees.coop_fee_percent": "8"}
    )


def table_rows(response: Any, caption: str) -> list[list[str]]:
    """The rows of the table with ``caption``, each as its cells' text."""
    cells = r"<t[hd][^>]*>(.*?)</t[hd]>"
    page = html.unescape(response.content.decode())
    found = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", page, re.S)
    assert found is not None, caption
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(cells, row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    ]


def words(response: Any) -> str:
    """The visible text with the right-to-left isolation of figures (``<bdi>``) taken out, so
    "(+1.80 ILS)" reads as one run whatever the page's direction."""
    return text(HttpResponse(re.sub(r"</?bdi[^>]*>", "", response.content.decode())))


def local_date(moment: Any, language: str = "en") -> str:
    with translation.override(language):
        return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


# --- The impact preview ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_fee_change_shows_what_it_would_have_done(
    voters: list[User],
    producer: Membership,  # noqa: F811
    browse: Browse,  # noqa: F811
    language: str,
) -> None:
    proposal = fee_change(voters)
    page = browse(producer.user, language).get(f"/governance/{proposal.number}/")
    assert page.status_code == 200
    audit(page)
    shown = words(page)
    assert in_language(language, "What this change would have done") in shown
    mine = in_language(language, "You: %(change)s over these weeks", {"change": "+1.80 ILS"})
    assert mine in shown
    with translation.override(language):
        caption = translation.ngettext(
            "Now and as proposed, over the last week (%(currency)s)",
            "Now and as proposed, over the last %(weeks)s weeks (%(currency)s)",
            8,
        ) % {"weeks": 8, "currency": "ILS"}
    rows = table_rows(page, caption)
    labels = [
        "Customers pay, tips included",
        "Workers earn, tips included",
        "The co-op's fees",
        "Net into the solidarity fund",
        "Surplus to the reserve",
        "Surplus to the education fund",
        "Surplus to the solidarity fund",
        "Surplus to members as patronage dividends",
        "Top-ups to the earnings floor",
        "Gini coefficient of earnings per hour",
        "The lowest tenth's earnings per hour, over the mean",
    ]
    figures = [
        ["90.00", "90.00", "0.00"],
        ["79.20", "81.00", "+1.80"],
        ["9.00", "7.20", "-1.80"],
        ["2.70", "2.52", "-0.18"],
        ["7.65", "6.12", "-1.53"],
        ["0.45", "0.36", "-0.09"],
        ["0.90", "0.72", "-0.18"],
        ["0.00", "0.00", "0.00"],
        ["0.00", "0.00", "0.00"],
        ["—", "—", "—"],  # honey takes no hours of work to count
        ["—", "—", "—"],
    ]
    assert rows[1:] == [
        [in_language(language, label), *cells] for label, cells in zip(labels, figures, strict=True)
    ]
    view = selectors.impact_of(producer.user, proposal)
    assert view is not None
    for line in view.preview.explanation + view.preview.not_replayed:
        assert in_language(language, line.message, dict(line.params)) in shown
    assert view.preview.warnings == ()
    today = f'<bdi dir="ltr">{timezone.localdate()}</bdi>'  # a date kept whole in Arabic
    assert (today in page.content.decode()) == (language == "ar")
    assert 'class="impact-warnings"' not in page.content.decode()
    bars = re.findall(
        r'<rect class="(series-\d)"[^>]*><title>([^<]*)</title>', page.content.decode()
    )
    assert bars == [("series-1", in_language(language, "You: %(change)s", {"change": "+1.80"}))]


def test_the_weeks_to_replay_are_chosen_by_a_form(
    voters: list[User],
    producer: Membership,  # noqa: F811
    browse: Browse,  # noqa: F811
) -> None:
    proposal = fee_change(voters)
    client = browse(voters[2])
    two = client.get(f"/governance/{proposal.number}/", {"weeks": "2"})
    assert 'name="weeks" value="2"' in two.content.decode()
    assert table_rows(two, "Now and as proposed, over the last 2 weeks (ILS)")[2] == [
        "Workers earn, tips included",
        "79.20",
        "81.00",
        "+1.80",
    ]
    assert "You:" not in text(two)  # the viewer sold nothing
    one = client.get(f"/governance/{proposal.number}/", {"weeks": "1"})
    assert "Now and as proposed, over the last week (ILS)" in text(one)
    for weeks, error in (
        ("0", "Ensure this value is greater than or equal to 1."),
        ("53", "Ensure this value is less than or equal to 52."),
        ("many", "Enter a whole number."),
    ):
        refused = client.get(f"/governance/{proposal.number}/", {"weeks": weeks})
        assert refused.status_code == 200
        assert error in text(refused)
        assert "Now and as proposed" not in text(refused)


def test_a_rate_is_previewed_at_the_value_a_member_types(
    voters: list[User],
    producer: Membership,  # noqa: F811
    browse: Browse,  # noqa: F811
) -> None:
    rate = actions.propose(
        actor=voters[0], kind="rate", title="Fee", rate_rule="fees.coop_fee_percent"
    )
    client = browse(voters[1])
    blank = client.get(f"/governance/{rate.number}/")
    assert 'name="value"' in blank.content.decode()
    assert "Type a value of the rate to see what it would have done." in text(blank)
    assert "Now and as proposed" not in text(blank)
    five = client.get(f"/governance/{rate.number}/", {"value": "5"})
    assert 'name="weeks" value="8"' in five.content.decode()  # the default, shown
    rows = table_rows(five, "Now and as proposed, over the last 8 weeks (ILS)")
    assert rows[2:4] == [
        ["Workers earn, tips included", "79.20", "83.70", "+4.50"],
        ["The co-op's fees", "9.00", "4.50", "-4.50"],
    ]
    for value, reason in (
        ("ninety", "Type a number, such as 8 or 9.5."),
        ("99", "The co-op fee and the solidarity share together exceed the whole price."),
    ):
        refused = client.get(f"/governance/{rate.number}/", {"value": value})
        assert reason in text(refused)
        assert "Now and as proposed" not in text(refused)


def test_turning_the_floor_off_is_a_warning_first(
    voters: list[User],
    producer: Membership,  # noqa: F811
    browse: Browse,  # noqa: F811
) -> None:
    proposal = actions.propose(
        actor=voters[0],
        kind="policy_change",
        title="No floor",
        changes={"pricing.earnings_floor.enabled": False},
    )
    page = browse(voters[1], "ar").get(f"/governance/{proposal.number}/").content.decode()
    warnings = re.search(r'<ul class="impact-warnings" id="impact-warnings">(.*?)</ul>', page, re.S)
    assert warnings is not None
    assert re.findall(r"<li>(.*?)</li>", warnings.group(1)) == [
        in_language(
            "ar",
            "Warning: the proposal turns the earnings floor off, so nobody would be topped up to "
            "it any more.",
        )
    ]
    assert page.index("impact-warnings") < page.index("impact-not-replayed")


def test_the_preview_is_replayed_once_and_never_for_a_change_of_no_rule(
    voters: list[User],
    producer: Membership,  # noqa: F811
    browse: Browse,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    replays = []
    replay = selectors.orders_for_replay

    def counted(**kwargs: Any) -> Any:
        replays.append(kwargs)
        return replay(**kwargs)

    monkeypatch.setattr(selectors, "orders_for_replay", counted)
    proposal = fee_change(voters)
    client = browse(voters[1])
    for _ in range(3):
        assert "What this change would have done" in text(
            client.get(f"/governance/{proposal.number}/")
        )
    assert len(replays) == 1

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("no preview for a proposal that changes no rule")

    monkeypatch.setattr(selectors, "impact_of", never)
    for kind in ("ordinary", "discussion"):
        other = actions.propose(actor=voters[0], kind=kind, title="Paint")
        page = client.get(f"/governance/{other.number}/")
        assert page.status_code == 200
        assert "What this change would have done" not in text(page)
    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=proposal.number, choice="yes")
    actions.run_due(now=after_close())
    decided = client.get(f"/governance/{proposal.number}/")  # adopted: now part of the rules
    assert "What this change would have done" not in text(decided)


# --- Delegation ------------------------------------------------------------------------------


def test_the_page_says_when_the_rules_do_not_allow_delegating(
    voters: list[User],
    browse: Browse,  # noqa: F811
) -> None:
    client = browse(voters[3])
    page = client.get("/governance/delegations/")
    assert page.status_code == 200
    audit(page)
    assert "The co-op's rules do not allow delegating votes at present." in text(page)
    assert 'name="to_member"' not in page.content.decode()
    with unchanged():
        refused = client.post(
            "/governance/delegations/", {"to_member": number(voters[1]), "kind": ""}
        )
    assert refused.status_code == 409
    assert "The co-op's rules do not allow delegating votes." in text(refused)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_member_delegates_their_vote_and_takes_it_back(
    allowed: list[User],  # noqa: F811
    browse: Browse,  # noqa: F811
    language: str,
) -> None:
    people = allowed
    client = browse(people[3], language)
    page = client.get("/governance/delegations/")
    audit(page)
    html = page.content.decode()
    offered = re.search(r'<select name="to_member"[^>]*>(.*?)</select>', html, re.S)
    assert offered is not None
    others = [str(number(person)) for person in people if person != people[3]]
    assert re.findall(r'<option value="(\d+)"', offered.group(1)) == sorted(others, key=int)
    kinds = re.search(r'<select name="kind"[^>]*>(.*?)</select>', html, re.S)
    assert kinds is not None
    assert re.findall(r'<option value="([^"]*)"', kinds.group(1)) == [
        "",
        "ordinary",
        "admission",
        "policy_change",
        "bylaw_change",
        "election",
        "rate",
        "poll",
    ]

    made = client.post(
        "/governance/delegations/", {"to_member": number(people[1]), "kind": "ordinary"}
    )
    assert made.status_code == 302
    assert made["Location"] == "/governance/delegations/"
    given = Delegation.objects.get()
    assert (given.delegator.user, given.delegate.user, given.kind, given.revoked_at) == (
        people[3],
        people[1],
        "ordinary",
        None,
    )
    listed = client.get("/governance/delegations/")
    kind = in_language(language, "Ordinary decisions")
    name = people[1].get_full_name()
    assert f"{kind} {name} #{number(people[1])} {local_date(given.created_at, language)}" in text(
        listed
    )
    received = browse(people[1], language).get("/governance/delegations/")
    assert f"{people[3].get_full_name()} #{number(people[3])} {kind}" in text(received)

    someone_else = browse(people[4])
    with unchanged():
        assert someone_else.post(f"/governance/delegations/{given.pk}/revoke/").status_code == 404
    taken = client.post(f"/governance/delegations/{given.pk}/revoke/", follow=True)
    assert in_language(
        language, "The delegation is revoked: your vote is yours alone again."
    ) in text(taken)
    given.refresh_from_db()
    assert given.revoked_at is not None
    assert in_language(language, "You have not delegated your vote.") in text(taken)


def test_who_may_delegate(
    allowed: list[User],  # noqa: F811
    browse: Browse,  # noqa: F811
    make_member: Callable[..., Membership],
    make_account: Callable[..., User],
) -> None:
    people = allowed
    supporter = browse(make_member("supporter").user)
    page = supporter.get("/governance/delegations/")
    assert page.status_code == 200
    assert "Only members with a vote can delegate it." in text(page)
    assert 'name="to_member"' not in page.content.decode()
    with unchanged():
        refused = supporter.post(
            "/governance/delegations/", {"to_member": number(people[1]), "kind": ""}
        )
    assert refused.status_code == 403
    assert "Only members with a vote may do this." in text(refused)

    given = actions.delegate_vote(actor=people[3], to_member=number(people[1]))
    outsider, delegator = browse(make_account()), browse(people[3])
    with unchanged():
        assert outsider.get("/governance/delegations/").status_code == 404
        assert outsider.post("/governance/delegations/", {"to_member": "1"}).status_code == 404
        assert outsider.post(f"/governance/delegations/{given.pk}/revoke/").status_code == 404
        to_myself = delegator.post(
            "/governance/delegations/", {"to_member": number(people[3]), "kind": ""}
        )
    assert to_myself.status_code == 400
    assert re.search(
        r"Select a valid choice\. \d+ is not one of the available choices\.", text(to_myself)
    )


def test_a_closed_open_ballot_says_who_voted_through_whom(
    allowed: list[User],  # noqa: F811
    browse: Browse,  # noqa: F811
) -> None:
    people = allowed
    actions.delegate_vote(actor=people[3], to_member=number(people[1]))
    actions.delegate_vote(actor=people[4], to_member=number(people[1]), kind="ordinary")
    proposal = actions.propose(actor=people[0], kind="ordinary", title="Paint")
    actions.cast_ballot(actor=people[1], number=proposal.number, choice="yes")
    actions.run_due(now=after_close())
    shown = text(browse(people[5]).get(f"/governance/{proposal.number}/"))
    giver_a, giver_b, taker = number(people[3]), number(people[4]), number(people[1])
    assert (
        f"Voted through a delegate: #{giver_a} through #{taker} · #{giver_b} through #{taker}"
        in shown
    )


def test_the_list_page_links_to_mandates_delegations_and_assemblies(
    voters: list[User],
    browse: Browse,  # noqa: F811
) -> None:
    page = browse(voters[1], "ar").get("/governance/")
    links = re.search(r'<nav class="subnav"[^>]*>(.*?)</nav>', page.content.decode(), re.S)
    assert links is not None
    assert re.findall(r'href="([^"]+)"', links.group(1)) == [
        "/governance/mandates/",
        "/governance/delegations/",
        "/governance/assemblies/",
    ]


# --- Mandates and recall ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ar"])
def test_mandates_are_listed_and_a_recall_is_proposed_from_them(
    voters: list[User],
    browse: Browse,  # noqa: F811
    language: str,
) -> None:
    elect_board(voters, [voters[1], voters[2]])
    election = Proposal.objects.get(kind="election")
    seat = Mandate.objects.get(member__user=voters[1])
    client = browse(voters[3], language)
    page = client.get("/governance/mandates/")
    assert page.status_code == 200
    audit(page)
    shown = text(page)
    holder = voters[1].get_full_name()
    member_number = in_language(language, "(member %(number)s)", {"number": seat.member.number})
    assert (
        f"{holder} {member_number} {in_language(language, 'From')} "
        f"{local_date(seat.starts_at, language)} {in_language(language, 'Until')} "
        f"{local_date(seat.ends_at, language)} {in_language(language, 'Elected by')} "
        f"#{election.number} · {election.title}"
    ) in shown
    assert shown.count(in_language(language, "Propose a recall")) == 2
    title = in_language(language, "Recall of %(name)s from the board", {"name": holder})
    assert f'id="recall-title-{seat.pk}" maxlength="200" required value="{title}"' in (
        page.content.decode()
    )

    posted = client.post(
        "/governance/new/",
        {"kind": "ordinary", "recall_of": str(seat.pk), "title": title, "body": ""},
    )
    recall = Proposal.objects.get(recall_of=seat)
    assert posted["Location"] == f"/governance/{recall.number}/"
    assert (recall.kind, recall.title, recall.author) == ("ordinary", title, voters[3])
    proposal_page = client.get(f"/governance/{recall.number}/")
    audit(proposal_page)
    recalled = re.search(r'<dd id="recalled-mandate">(.*?)</dd>', proposal_page.content.decode())
    assert recalled is not None
    assert re.sub(r"<[^>]+>", "", recalled.group(1)).split(" · ")[:2] == [
        f"{holder} {member_number}",
        in_language(language, "The board"),
    ]
    again = client.get("/governance/mandates/")
    assert f'href="/governance/{recall.number}/">#{recall.number}</a>' in again.content.decode()
    assert text(again).count(in_language(language, "Propose a recall")) == 1

    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=recall.number, choice="yes")
    actions.run_due(now=after_close(23))
    seat.refresh_from_db()
    past = client.get("/governance/mandates/")
    rows = table_rows(past, in_language(language, "Mandates that have ended, the latest first"))
    assert rows[1][:4] == [
        in_language(language, "The board"),
        f"{holder} #{seat.member.number}",
        local_date(seat.starts_at, language),
        local_date(seat.ended_at, language),
    ]
    assert f"#{recall.number}" in rows[1][4]


def test_who_may_see_mandates_and_propose_a_recall(
    voters: list[User],
    browse: Browse,  # noqa: F811
    make_member: Callable[..., Membership],
    make_account: Callable[..., User],
) -> None:
    supporter = browse(make_member("supporter").user)  # admitted by the founding board
    elect_board(voters, [voters[1], voters[2]])
    seat = Mandate.objects.get(member__user=voters[1])
    page = supporter.get("/governance/mandates/")
    assert page.status_code == 200
    assert voters[1].get_full_name() in text(page)
    assert "Propose a recall" not in text(page)
    outsider, voter = browse(make_account()), browse(voters[3])
    recall = {"kind": "ordinary", "recall_of": str(seat.pk), "title": "Recall"}
    with unchanged():
        assert outsider.get("/governance/mandates/").status_code == 404
        assert supporter.post("/governance/new/", recall).status_code == 403
        gone = voter.post("/governance/new/", {**recall, "recall_of": "999999"})
    assert gone.status_code == 404


def test_an_election_names_its_office(voters: list[User], browse: Browse) -> None:  # noqa: F811
    numbers = [number(person) for person in voters[:3]]
    client = browse(voters[0])
    form = client.get("/governance/new/")
    assert re.search(r'name="office" value="board"[^>]*checked', form.content.decode())
    election = {"kind": "election", "title": "Education", "candidates": numbers, "seats": "2"}
    with unchanged():
        nameless = client.post("/governance/new/", {**election, "office": "committee"})
    assert nameless.status_code == 400
    assert "Name the committee to elect." in text(nameless)
    made = client.post(
        "/governance/new/",
        {**election, "office": "committee", "committee": "Education committee"},
    )
    committee = Proposal.objects.get()
    assert made["Location"] == f"/governance/{committee.number}/"
    assert (committee.office, committee.seats) == ("Education committee", 2)
    assert "Office Education committee" in text(client.get(made["Location"]))
    client.post("/governance/new/", {**election, "title": "Board"})
    board = Proposal.objects.get(title="Board")
    assert board.office == "board"
    assert "Office The board" in text(client.get(f"/governance/{board.number}/"))


# --- The outcome statement -------------------------------------------------------------------


def decided(voters: list[User], author: User) -> Proposal:
    proposal = actions.propose(actor=author, kind="ordinary", title="Paint the office")
    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=proposal.number, choice="yes")
    actions.run_due(now=after_close())
    proposal.refresh_from_db()
    return proposal


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_author_states_the_outcome_and_everyone_reads_it_first(
    voters: list[User],
    browse: Browse,  # noqa: F811
    language: str,
) -> None:
    proposal = decided(voters, voters[2])
    author = browse(voters[2], language)
    page = author.get(f"/governance/{proposal.number}/")
    audit(page)
    assert in_language(language, "Write the outcome statement") in text(page)
    stated = author.post(
        f"/governance/{proposal.number}/outcome/", {"text": "We paint in May. Sami buys the paint."}
    )
    assert stated.status_code == 302
    assert stated["Location"] == f"/governance/{proposal.number}/#result"
    proposal.refresh_from_db()
    assert proposal.outcome_statement == "We paint in May. Sami buys the paint."
    reader = browse(voters[4], language).get(f"/governance/{proposal.number}/")
    html = reader.content.decode()
    result = html[html.index('<section id="result"') :]
    assert re.search(
        r'<h2 id="result-heading">[^<]*</h2>\s*<div class="card stack outcome-statement" '
        r'id="outcome-statement">\s*<h3>[^<]*</h3>\s*<div dir="auto"><p>We paint in May\. Sami '
        r"buys the paint\.</p></div>",
        result,
    )
    assert f'action="/governance/{proposal.number}/outcome/"' not in html

    board = browse(voters[0], language)  # the founder is on the board
    assert in_language(language, "Replace the outcome statement") in text(
        board.get(f"/governance/{proposal.number}/")
    )
    board.post(f"/governance/{proposal.number}/outcome/", {"text": "We paint in June."})
    proposal.refresh_from_db()
    assert proposal.outcome_statement == "We paint in June."


def test_only_the_author_or_the_board_state_an_outcome_once_decided(
    voters: list[User],
    browse: Browse,  # noqa: F811
    make_account: Callable[..., User],
) -> None:
    proposal = decided(voters, voters[2])
    running = actions.propose(actor=voters[2], kind="ordinary", title="Open")
    author, other, outsider = browse(voters[2]), browse(voters[4]), browse(make_account())
    outcome = f"/governance/{proposal.number}/outcome/"
    with unchanged():
        refused = other.post(outcome, {"text": "x"})
        assert refused.status_code == 403
        assert "You do not have permission to do this." in text(refused)
        early = author.post(f"/governance/{running.number}/outcome/", {"text": "x"})
        assert early.status_code == 409
        assert "This proposal has not been decided yet." in text(early)
        blank = author.post(outcome, {"text": " "})
        assert blank.status_code == 400
        assert 'id="outcome-form" open' in blank.content.decode()
        assert outsider.post(outcome, {"text": "x"}).status_code == 404
