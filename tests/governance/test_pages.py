"""The governance pages through the Django test client, in English and in Arabic: proposing,
voting, closing and reading the result, refusals that keep the form, who may see what, CSRF,
discussion and the opinion round, and a list page whose queries do not grow."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from taawun.accounts.models import User
from taawun.coop.models import PolicyVersion
from taawun.coop.selectors import policy_number
from taawun.governance import actions
from taawun.governance.forms import VoteForm
from taawun.governance.models import Ballot, Comment, Participation, Proposal, StatementVote
from taawun.members.models import Membership
from tests.core.conftest import fast_password_hashing  # noqa: F401  (autouse: quick accounts)
from tests.core.helpers import unchanged
from tests.members.test_pages import audit
from tests.web.helpers import html_attrs, text

from .conftest import after_close

pytestmark = pytest.mark.django_db

Browse = Callable[..., Client]


@pytest.fixture
def browse() -> Browse:
    """``browse(user, "ar")``: a browser signed in as ``user`` asking for a language."""

    def make(user: User | None, language: str = "en", **options: Any) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language, **options)
        if user is not None:
            client.force_login(user)
        return client

    return make


def in_language(language: str, message: str, params: dict[str, Any] | None = None) -> str:
    with translation.override(language):
        return gettext(message) % params if params else gettext(message)


def receipt_shown(response: Any) -> str | None:
    found = re.search(r"<code class='digest'>([0-9a-f]{64})</code>", response.content.decode())
    return found.group(1) if found else None


def vote_by_form(client: Client, number: int, data: dict[str, Any]) -> Any:
    return client.post(f"/governance/{number}/vote/", data, follow=True)


# --- The whole flow ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_fee_change_is_proposed_voted_on_and_adopted_through_the_pages(
    voters: list[User], browse: Browse, language: str
) -> None:
    author = browse(voters[1], language)
    form = author.get("/governance/new/")
    assert form.status_code == 200
    assert html_attrs(form)["dir"] == ("rtl" if language == "ar" else "ltr")
    audit(form)

    response = author.post(
        "/governance/new/",
        {
            "kind": "policy_change",
            "title": "Lower the co-op fee",
            "body": "Eight percent is enough.",
            "new_fees.coop_fee_percent": "8",
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/governance/{proposal.number}/"
    assert (proposal.kind, proposal.status, proposal.method) == (
        "policy_change",
        "open",
        "majority",
    )
    assert (proposal.changes, proposal.before) == (
        {"fees.coop_fee_percent": "8"},
        {"fees.coop_fee_percent": "10"},
    )
    assert proposal.author == voters[1]

    page = author.get(f"/governance/{proposal.number}/")
    shown = text(page)
    audit(page)
    assert (
        '<span class="rule-path">fees.<wbr>coop_fee_percent</span></th>'
        "<td><bdi>10</bdi></td><td><bdi>8</bdi></td>"
    ) in page.content.decode()
    assert proposal.seed_digest in shown
    assert proposal.seed not in shown  # revealed only when the vote closes
    assert 'name="vote-position"' in page.content.decode()

    receipts = []
    for person, choice in zip(voters[:4], ["yes", "yes", "yes", "no"], strict=True):
        client = browse(person, language)
        voted = vote_by_form(client, proposal.number, {"vote-position": choice})
        assert voted.status_code == 200
        receipts.append(receipt_shown(voted))
        assert receipt_shown(client.get(f"/governance/{proposal.number}/")) is None  # once only
        assert in_language(
            language, "You have voted. The result is shown here when voting closes."
        ) in text(voted)
    ballots = {b.member.user_id: b.receipt for b in Ballot.objects.select_related("member")}
    assert receipts == [ballots[person.pk] for person in voters[:4]]
    assert PolicyVersion.objects.count() == 1

    actions.run_due(now=after_close())

    closed = author.get(f"/governance/{proposal.number}/")
    assert closed.status_code == 200
    audit(closed)
    shown = text(closed)
    proposal.refresh_from_db()
    assert proposal.outcome == "passed"
    assert proposal.adopted is not None and proposal.adopted.number == 2
    assert policy_number(2).fees.coop_fee_percent == 8
    assert re.search(
        r'<span class="badge ok" id="proposal-outcome">([^<]*)</span>', closed.content.decode()
    ).group(1) == in_language(language, "passed")
    for message, params in proposal.result["explanation"]:
        assert in_language(language, message, params) in shown
    assert proposal.seed in shown
    labels = [in_language(language, word) for word in ("Yes", "No", "I abstain")]
    assert f"{labels[0]} 3 {labels[1]} 1 {labels[2]} 0" in shown  # the table beside the chart
    with translation.override(language):
        when = formats.date_format(
            timezone.localtime(proposal.adopted.effective_from), "DATETIME_FORMAT"
        )
    adopted = in_language(
        language,
        'Adopted as <a href="%(url)s#versions">policy version %(number)s</a>, in force from '
        "%(when)s",
        {"url": "/rules/", "number": 2, "when": when},
    )
    assert f"<p>{adopted}</p>" in closed.content.decode()
    for person, receipt in zip(voters[:4], receipts, strict=True):
        number = Membership.objects.get(user=person).number
        assert re.search(
            rf"<td>{number}</td><td><code class=\"digest\">{receipt}</code>",
            closed.content.decode(),
        )
    assert 'name="rollback_of" value="2"' in closed.content.decode()


def test_a_refused_proposal_keeps_the_form_and_says_why(voters: list[User], browse: Browse) -> None:
    client = browse(voters[0])
    data = {
        "kind": "policy_change",
        "title": "A fee of 99%",
        "body": "Why not.",
        "new_fees.coop_fee_percent": "99",
    }
    with unchanged():
        response = client.post("/governance/new/", data)
    assert response.status_code == 400
    errors = re.findall(
        r'<ul class="errorlist nonfield"><li>([^<]*)</li>', response.content.decode()
    )
    assert errors == ["The co-op fee and the solidarity share together exceed the whole price."]
    page = response.content.decode()
    assert 'name="title" value="A fee of 99%"' in page
    assert 'name="new_fees.coop_fee_percent" value="99"' in page
    assert "Why not." in page
    assert re.search(r'value="policy_change"[^>]*checked', page)


def test_a_second_vote_and_a_bad_ranking_are_refused_and_nothing_is_kept(
    voters: list[User], browse: Browse
) -> None:
    election = actions.propose(
        actor=voters[0], kind="election", title="Board", candidates=[1, 2, 3], seats=2
    )
    client = browse(voters[1])
    with unchanged():
        refused = client.post(
            f"/governance/{election.number}/vote/", {"vote-option_1": "1", "vote-option_2": "1"}
        )
    assert refused.status_code == 400
    assert "Give each rank to one candidate only." in text(refused)
    assert 'name="vote-option_1"' in refused.content.decode()  # the ballot is shown again

    ordinary = actions.propose(actor=voters[0], kind="ordinary", title="Paint the office")
    actions.cast_ballot(actor=voters[1], number=ordinary.number, choice="yes")
    with unchanged():
        again = client.post(f"/governance/{ordinary.number}/vote/", {"vote-position": "no"})
    assert again.status_code == 409
    assert "You have already voted on this proposal." in text(again)
    assert list(Ballot.objects.values_list("choice", flat=True)) == ["yes"]


def test_an_election_by_ranks_shows_its_rounds_ballots_and_blt(
    voters: list[User], browse: Browse
) -> None:
    numbers = list(
        Membership.objects.filter(user__in=voters[:3])
        .order_by("number")
        .values_list("number", flat=True)
    )
    client = browse(voters[0])
    made = client.post(
        "/governance/new/",
        {"kind": "election", "title": "The board", "candidates": numbers, "seats": "2"},
    )
    election = Proposal.objects.get()
    assert made.status_code == 302
    assert (election.method, election.secret, election.seats) == ("stv", True, 2)
    a, b, c = (str(n) for n in numbers)
    rankings = [{a: 1, b: 2}, {b: 1, a: 2}, {a: 1, c: 2}, {c: 1}, {b: 1, c: 2}, {a: 1}]
    receipts = []
    for person, ranks in zip(voters, rankings, strict=True):
        data = {f"vote-option_{key}": str(rank) for key, rank in ranks.items()}
        receipts.append(receipt_shown(vote_by_form(browse(person), election.number, data)))
    assert sorted(Ballot.objects.values_list("receipt", flat=True)) == sorted(receipts)
    assert set(Ballot.objects.values_list("member", flat=True)) == {None}
    stored = {b.receipt: b.choice for b in Ballot.objects.all()}
    assert stored[receipts[0]] == [a, b] and stored[receipts[3]] == [c]

    actions.run_due(now=after_close(15))
    election.refresh_from_db()
    page = client.get(f"/governance/{election.number}/")
    shown = text(page)
    audit(page)
    assert election.result["winners"] == [a, b]
    names = {o["key"]: o["label"] for o in election.options}
    assert f"Elected: {names[a]} · {names[b]}" in shown
    assert "The count, round by round · quota 3" in shown
    assert election.result["rounds"][0]["tallies"] == {a: "3", b: "2", c: "1"}
    rows = f"{names[a]} elected 3 3 {names[b]} elected 2 2 {names[c]} 1 — Exhausted 0 1"
    assert f"Candidate Votes in round 1 2 {rows}" in shown
    head = re.search(
        r"<caption>Every ballot counted</caption>\s*<thead><tr>(.*?)</tr>", page.content.decode()
    )
    assert head is not None
    assert re.findall(r">([^<]+)</th>", head.group(1)) == ["Receipt", "Choice"]  # no voter

    blt = client.get(f"/governance/{election.number}/ballots.blt")
    assert blt.status_code == 200
    assert blt["Content-Type"] == "text/plain; charset=utf-8"
    lines = blt.content.decode().splitlines()
    assert lines[0] == "3 2"
    assert lines[-1] == '"The board"'

    found = client.get("/governance/receipt/", {"r": receipts[3].upper()})
    assert found.status_code == 200
    assert f"Choice 1. {names[c]}" in text(found)
    missing = client.get("/governance/receipt/", {"r": "0" * 64})
    assert "No ballot of a closed vote has this receipt." in text(missing)


def test_the_rollback_button_proposes_the_rules_the_version_replaced(
    voters: list[User], browse: Browse
) -> None:
    change = actions.propose(
        actor=voters[0], kind="policy_change", title="Tax", changes={"fees.tax_percent": "5"}
    )
    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=change.number, choice="yes")
    actions.run_due(now=after_close())
    client = browse(voters[2])
    page = client.get(f"/governance/{change.number}/").content.decode()
    assert 'value="Roll back policy version 2"' in page
    response = client.post(
        "/governance/new/",
        {"kind": "policy_change", "rollback_of": "2", "title": "Roll back policy version 2"},
    )
    rollback = Proposal.objects.get(rollback_of=2)
    assert response["Location"] == f"/governance/{rollback.number}/"
    assert (rollback.changes, rollback.before) == (
        {"fees.tax_percent": "0"},
        {"fees.tax_percent": "5"},
    )
    assert "Rolls back policy version 2" in text(client.get(response["Location"]))


def test_the_author_withdraws_before_anyone_votes(voters: list[User], browse: Browse) -> None:
    proposal = actions.propose(actor=voters[3], kind="ordinary", title="Paint")
    other = browse(voters[4])
    assert "Withdraw the proposal" not in text(other.get(f"/governance/{proposal.number}/"))
    with unchanged():
        assert other.post(f"/governance/{proposal.number}/withdraw/").status_code == 403
    author = browse(voters[3])
    assert "Withdraw the proposal" in text(author.get(f"/governance/{proposal.number}/"))
    response = author.post(f"/governance/{proposal.number}/withdraw/", follow=True)
    assert "The proposal is withdrawn." in text(response)
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"


# --- Discussion and the opinion round ------------------------------------------------------


def test_comments_thread_and_replies_indent(voters: list[User], browse: Browse) -> None:
    proposal = actions.propose(actor=voters[0], kind="discussion", title="Summer hours")
    client = browse(voters[1])
    first = client.post(f"/governance/{proposal.number}/comments/", {"body": "Start at 7?"})
    made = Comment.objects.get()
    assert first["Location"] == f"/governance/{proposal.number}/#comment-{made.pk}"
    browse(voters[2]).post(
        f"/governance/{proposal.number}/comments/", {"body": "Yes", "parent": made.pk}
    )
    reply = Comment.objects.get(parent=made)
    with unchanged():
        empty = client.post(f"/governance/{proposal.number}/comments/", {"body": "   "})
    assert empty.status_code == 400
    assert "This field is required." in text(empty)
    page = client.get(f"/governance/{proposal.number}/").content.decode()
    assert f'<li id="comment-{made.pk}" class="depth-0 stack">' in page
    assert f'<li id="comment-{reply.pk}" class="depth-1 stack">' in page
    assert page.index(f"comment-{made.pk}") < page.index(f"comment-{reply.pk}")


def test_statements_responses_and_opinion_groups(voters: list[User], browse: Browse) -> None:
    proposal = actions.propose(actor=voters[0], kind="discussion", title="Summer hours")
    client = browse(voters[0])
    for said in ("Start at 7", "Close at 3", "Work Fridays", "Longer lunch"):
        client.post(f"/governance/{proposal.number}/statements/", {"text": said})
    statements = list(proposal.statements.order_by("id"))
    assert [s.text for s in statements] == [
        "Start at 7",
        "Close at 3",
        "Work Fridays",
        "Longer lunch",
    ]
    for index, person in enumerate(voters):
        say = "1" if index < 3 else "-1"
        member = browse(person)
        for statement in statements:
            response = member.post(f"/governance/statements/{statement.pk}/say/", {"vote": say})
            assert (
                response["Location"] == f"/governance/{proposal.number}/#statement-{statement.pk}"
            )
    with unchanged():
        refused = client.post(f"/governance/statements/{statements[0].pk}/say/", {"vote": "2"})
    assert refused.status_code == 400
    assert StatementVote.objects.count() == 24

    page = client.get(f"/governance/{proposal.number}/")
    shown = text(page)
    audit(page)
    assert "Start at 7 3 agree · 3 disagree · 0 pass · You agree." in shown
    assert "Group 1 · 3 members" in shown and "Group 2 · 3 members" in shown
    drawn = re.findall(r"<title>([^<]*)</title>", page.content.decode())
    assert sorted(t for t in drawn if t.startswith(("Group", "You", "Not grouped"))) == [
        "Group 1: 3 members",
        "Group 2: 3 members",
        "You",
    ]


# --- Who may see and do what ---------------------------------------------------------------


def test_non_members_get_404_and_visitors_are_asked_to_sign_in(
    voters: list[User], browse: Browse, make_account: Callable[..., User]
) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    outsider = browse(make_account())
    for url in (
        "/governance/",
        "/governance/new/",
        f"/governance/{proposal.number}/",
        "/governance/receipt/",
    ):
        assert outsider.get(url).status_code == 404
        visitor = browse(None).get(url)
        assert visitor.status_code == 302
        assert visitor["Location"].startswith("/accounts/login/")
    with unchanged():
        assert (
            outsider.post(
                f"/governance/{proposal.number}/vote/", {"vote-position": "yes"}
            ).status_code
            == 404
        )
        assert (
            outsider.post("/governance/new/", {"kind": "ordinary", "title": "x"}).status_code == 404
        )


def test_the_forms_need_the_csrf_token(voters: list[User], browse: Browse) -> None:
    proposal = actions.propose(actor=voters[0], kind="ordinary", title="Paint")
    client = browse(voters[1], enforce_csrf_checks=True)
    with unchanged():
        assert (
            client.post(
                f"/governance/{proposal.number}/vote/", {"vote-position": "yes"}
            ).status_code
            == 403
        )
        assert (
            client.post("/governance/new/", {"kind": "ordinary", "title": "x"}).status_code == 403
        )
    page = client.get(f"/governance/{proposal.number}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    voted = client.post(
        f"/governance/{proposal.number}/vote/",
        {"vote-position": "yes", "csrfmiddlewaretoken": token},
    )
    assert voted.status_code == 302
    assert Participation.objects.count() == 1


def test_the_list_page_queries_do_not_grow_with_proposals(
    voters: list[User], browse: Browse, django_assert_num_queries: Any
) -> None:
    def add(count: int) -> None:
        for n in range(count):
            made = actions.propose(actor=voters[n % 6], kind="ordinary", title=f"P{n}")
            actions.cast_ballot(actor=voters[1], number=made.number, choice="yes")
        actions.propose(actor=voters[0], kind="discussion", title="Talk")

    add(2)
    client = browse(voters[1])
    client.get("/governance/")  # warm up the session
    cache.clear()  # then count what a cold cache costs
    with CaptureQueriesContext(connection) as few:
        assert text(client.get("/governance/")).count("You voted") == 2
    add(10)
    cache.clear()
    with django_assert_num_queries(len(few.captured_queries)):
        assert text(client.get("/governance/")).count("You voted") == 12


def test_the_scheduled_command_closes_the_votes_whose_time_is_up(voters: list[User]) -> None:
    long_ago = timezone.now() - dt.timedelta(days=30)
    due = actions.propose(actor=voters[0], kind="ordinary", title="Old", now=long_ago)
    running = actions.propose(actor=voters[0], kind="ordinary", title="New")
    out = io.StringIO()
    call_command("governance", stdout=out)
    assert out.getvalue() == f"#{due.number} closed: no_quorum\n"
    assert dict(Proposal.objects.values_list("number", "status")) == {
        due.number: "closed",
        running.number: "open",
    }


@pytest.mark.parametrize(
    ("method", "data", "choice"),
    [
        ("consent", {"vote-position": "block"}, "block"),
        (
            "score",
            {"vote-option_1": "5", "vote-option_2": "0", "vote-option_3": "2"},
            {"1": 5, "2": 0, "3": 2},
        ),
        ("dot", {"vote-option_1": "6", "vote-option_3": "2"}, {"1": 6, "2": 0, "3": 2}),
        ("ranked", {"vote-option_3": "1", "vote-option_1": "2"}, ["3", "1"]),
        ("approval", {"vote-chosen": ["1", "3"]}, ["1", "3"]),
        ("numeric", {"vote-value": " 9.50 "}, "9.50"),
    ],
)
def test_each_method_has_a_ballot_form_without_javascript(
    voters: list[User], method: str, data: dict[str, Any], choice: Any
) -> None:
    poll = actions.propose(
        actor=voters[0], kind="poll", title="Where", options=["Hall", "Park", "Online"]
    )
    poll.rule["method"] = method
    form = VoteForm(data, proposal=poll, prefix="vote")
    assert form.is_valid(), form.errors
    assert form.choice() == choice


def test_the_command_refuses_a_loop_of_no_seconds(coop: Any) -> None:
    with pytest.raises(CommandError):
        call_command("governance", loop=0)


def test_operators_read_proposals_but_never_ballots_or_an_open_seed(
    voters: list[User], browse: Browse
) -> None:
    proposal = actions.propose(actor=voters[0], kind="election", title="Board", candidates=[1, 2])
    actions.cast_ballot(actor=voters[1], number=proposal.number, choice=["2"])
    operator = User.objects.create_superuser(email="operator@example.org", password="x" * 20)
    admin = browse(operator)
    page = admin.get(f"/admin/governance/proposal/{proposal.pk}/change/")
    assert page.status_code == 200
    assert proposal.seed_digest in page.content.decode()
    assert proposal.seed not in page.content.decode()
    for model in ("ballot", "participation", "statementvote"):
        assert admin.get(f"/admin/governance/{model}/").status_code == 404
    assert admin.get("/admin/governance/comment/").status_code == 200
    assert admin.get("/admin/governance/statement/").status_code == 200


def test_a_vote_on_a_rule_changed_since_warns_it_would_not_apply(
    voters: list[User], browse: Browse
) -> None:
    first = actions.propose(
        actor=voters[0], kind="policy_change", title="a", changes={"fees.tax_percent": "5"}
    )
    second = actions.propose(
        actor=voters[0],
        kind="policy_change",
        title="b",
        changes={"fees.tax_percent": "7"},
        now=timezone.now() + dt.timedelta(days=1),
    )
    for person in voters[:4]:
        actions.cast_ballot(actor=person, number=first.number, choice="yes")
    assert first.closes_at is not None
    actions.run_due(now=first.closes_at + dt.timedelta(minutes=1))
    client = browse(voters[1])
    warning = (
        "Another decision has changed fees.tax_percent to 5 since this was proposed: if this "
        "passes, it will not be applied."
    )
    assert warning in text(client.get(f"/governance/{second.number}/"))
    assert "Another decision" not in text(client.get(f"/governance/{first.number}/"))
