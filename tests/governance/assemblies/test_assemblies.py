"""General assemblies through the real actions: the life of one, the quorum at its boundary, who
may do what, check-in, the minutes becoming final, cancelling, and members' requests. Every
refusal leaves the database as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext

from taawun.accounts.models import User
from taawun.coop.actions import adopt_policy
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from taawun.domain.policy_change import apply_changes
from taawun.governance import actions as governance
from taawun.governance.assemblies import actions, selectors
from taawun.governance.assemblies.actions import AgendaEntry
from taawun.governance.assemblies.models import AgendaItem, Assembly, Attendance
from taawun.governance.assemblies.rules import quorum_reached, signatures_needed
from taawun.members.models import Membership
from taawun.transparency.models import AuditEntry
from tests.core.helpers import Clock, actions_since, last_seq, unchanged
from tests.governance.test_eligibility import with_rules

from .conftest import ASSEMBLY_DAY, call

pytestmark = pytest.mark.django_db


def member_of(user: User) -> Membership:
    return Membership.objects.get(user=user, status="active")


def present_numbers(assembly: Assembly) -> list[int]:
    return sorted(
        Attendance.objects.filter(assembly=assembly).values_list("member__number", flat=True)
    )


def test_the_whole_life_of_an_assembly(
    clock: Clock,
    voters: list[User],
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    board, secretary = voters[0], voters[1]
    start = last_seq()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assembly = call(board)
    assert (assembly.number, assembly.kind, assembly.status) == (1, "annual", "called")
    assert assembly.starts_at == ASSEMBLY_DAY
    assert [(i.position, i.title, i.text) for i in selectors.agenda_of(assembly)] == [
        (1, "Accounts of 2029", "The board presents them."),
        (2, "Election of the board", ""),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(v.email for v in voters)
    with translation.override("ar"):
        arabic = gettext("General assembly called: %(title)s") % {
            "title": "Annual general assembly 2030"
        }
    assert (
        mail.outbox[0].subject
        == f"{arabic} / General assembly called: Annual general assembly 2030"
    )
    assert "Bring your member card." in mail.outbox[0].body
    assert "/governance/assemblies/1/" in mail.outbox[0].body

    proposal = governance.propose(actor=board, kind="ordinary", title="Buy a van")
    actions.set_agenda(
        actor=board,
        number=assembly.number,
        agenda=[
            AgendaEntry(title="Election of the board"),
            AgendaEntry(
                title="The van", text="Vote open until the 22nd.", proposal=proposal.number
            ),
        ],
    )
    assert [(i.position, i.title, i.proposal_id) for i in selectors.agenda_of(assembly)] == [
        (1, "Election of the board", None),
        (2, "The van", proposal.pk),
    ]

    clock.now = ASSEMBLY_DAY - dt.timedelta(hours=2)  # the same day, before it starts
    actions.open_assembly(
        actor=board, number=assembly.number, secretary=member_of(secretary).number
    )
    for person in voters[1:3]:
        actions.check_in(actor=person, number=assembly.number)
    actions.record_attendance(
        actor=secretary, number=assembly.number, present=[member_of(voters[3]).number]
    )
    assembly.refresh_from_db()
    assert (assembly.status, assembly.quorum_percent) == ("open", Decimal("50.00"))
    assert assembly.secretary == member_of(secretary)
    assert selectors.attendance_figures(assembly) == selectors.Figures(3, 6, Decimal("50.00"), True)
    actions.write_minutes(
        actor=secretary, number=assembly.number, text="  Opened at 15:00.\nThree present.  "
    )

    clock.advance(hours=3)
    actions.close_assembly(actor=board, number=assembly.number)
    actions.write_minutes(
        actor=secretary, number=assembly.number, text="Opened at 15:00.\nAccounts approved."
    )
    assembly.refresh_from_db()
    assert (assembly.status, assembly.present, assembly.eligible) == ("closed", 3, 6)
    assert assembly.closed_at == clock.now
    actions.approve_minutes(
        actor=board, number=assembly.number, minutes_sha256=assembly.minutes_sha256
    )
    actions.add_addendum(
        actor=secretary, number=assembly.number, text="The meeting closed at 18:00, not 17:00."
    )
    assembly.refresh_from_db()
    assert assembly.minutes == "Opened at 15:00.\nAccounts approved."
    assert (assembly.minutes_approved_at, assembly.minutes_approved_by) == (clock.now, board)
    assert [a.text for a in selectors.addenda_of(assembly)] == [
        "The meeting closed at 18:00, not 17:00."
    ]
    assert actions_since(start) == [
        "assembly.called",
        "governance.opened",
        "assembly.agenda_set",
        "assembly.opened",
        "assembly.checked_in",
        "assembly.checked_in",
        "assembly.attendance_recorded",
        "assembly.minutes_written",
        "assembly.closed",
        "assembly.minutes_written",
        "assembly.minutes_approved",
        "assembly.addendum_added",
    ]
    closing = AuditEntry.objects.get(action="assembly.closed")
    assert closing.subject_id == "1"
    assert closing.after == {
        "present": 3,
        "eligible": 6,
        "quorum_percent": "50.00",
        "quorum_reached": True,
    }
    recorded = AuditEntry.objects.get(action="assembly.attendance_recorded")
    assert recorded.actor_id == secretary.pk
    assert recorded.after == {"added": [member_of(voters[3]).number], "removed": []}


@pytest.mark.parametrize(("present", "reached"), [(3, True), (2, False)])
def test_the_quorum_at_its_boundary(
    in_session: Assembly, voters: list[User], present: int, reached: bool
) -> None:
    for person in voters[1 : 1 + present]:
        actions.check_in(actor=person, number=in_session.number)
    figures = selectors.attendance_figures(in_session)
    assert (figures.present, figures.eligible, figures.reached) == (present, 6, reached)
    actions.close_assembly(actor=voters[0], number=in_session.number)
    assert AuditEntry.objects.get(action="assembly.closed").after["quorum_reached"] is reached


@pytest.mark.parametrize(
    ("present", "eligible", "percent", "reached"),
    [
        (3, 6, "50", True),
        (2, 6, "50", False),
        (6, 9, "66.67", True),  # read at two decimals: two thirds
        (5, 9, "66.67", False),
        (1, 3, "33.33", True),
        (0, 6, "0", False),  # nobody present never makes a quorum
        (0, 0, "50", False),
        (1, 1, "100", True),
    ],
)
def test_quorum_reached(present: int, eligible: int, percent: str, reached: bool) -> None:
    assert quorum_reached(present, eligible, Decimal(percent)) is reached


def test_the_quorum_is_the_one_in_force_when_it_opened_and_the_figures_are_kept_at_the_close(
    in_session: Assembly, voters: list[User]
) -> None:
    for person in voters[1:4]:
        actions.check_in(actor=person, number=in_session.number)
    with_rules(**{"governance.decisions.ordinary.quorum_percent": "60"})
    assert selectors.attendance_figures(in_session).reached is True  # 50% from the opening
    actions.close_assembly(actor=voters[0], number=in_session.number)
    with_rules(**{"governance.probation_days": "90"})  # nobody had a vote that day, now
    in_session.refresh_from_db()
    assert selectors.attendance_figures(in_session) == selectors.Figures(
        3, 6, Decimal("50.00"), True
    )


def test_only_the_board_calls_opens_closes_and_cancels(
    clock: Clock, called: Assembly, voters: list[User]
) -> None:
    member = voters[1]
    with unchanged():
        with pytest.raises(NotAllowed):
            call(member)
        with pytest.raises(NotAllowed):
            actions.set_agenda(actor=member, number=called.number, agenda=[])
        with pytest.raises(NotAllowed):
            actions.cancel_assembly(actor=member, number=called.number, reason="No.")
        clock.now = ASSEMBLY_DAY
        with pytest.raises(NotAllowed):
            actions.open_assembly(actor=member, number=called.number)
    actions.open_assembly(actor=voters[0], number=called.number)
    with unchanged():
        with pytest.raises(NotAllowed):
            actions.close_assembly(actor=member, number=called.number)
        with pytest.raises(NotAllowed):
            actions.record_attendance(
                actor=member, number=called.number, present=[member_of(member).number]
            )


def test_people_outside_the_coop_are_told_there_is_no_assembly(
    in_session: Assembly, make_account: Callable[..., User]
) -> None:
    outsider = make_account()
    with unchanged():
        with pytest.raises(NotFound):
            actions.check_in(actor=outsider, number=in_session.number)
        with pytest.raises(NotFound):
            actions.write_minutes(actor=outsider, number=in_session.number, text="x")


def test_calling_checks_what_it_is_given(clock: Clock, voters: list[User]) -> None:
    board = voters[0]
    with unchanged():
        for overrides, code in [
            ({"kind": "weekly"}, "unknown_kind"),
            ({"starts_at": clock.now - dt.timedelta(minutes=1)}, "bad_start"),
            ({"starts_at": clock.now + dt.timedelta(days=367)}, "bad_start"),
            ({"starts_at": dt.datetime(2030, 4, 1, 10)}, "bad_start"),  # no time zone
            ({"title": "  "}, "bad_title"),
            ({"notice": ""}, "bad_notice"),
            ({"place": "", "online_link": ""}, "no_place"),
            ({"online_link": "javascript:alert(1)"}, "bad_link"),
            ({"online_link": "https://x.org/\x00"}, "bad_link"),
            ({"agenda": [AgendaEntry(title="")]}, "bad_item_title"),
            ({"agenda": [AgendaEntry(title="x", proposal=99)]}, "no_such_proposal"),
            ({"agenda": [AgendaEntry(title="x")] * 51}, "agenda_too_long"),
            ({"answers_request": 1}, "no_such_request"),
        ]:
            with pytest.raises(DomainError) as refused:
                call(board, **overrides)
            assert refused.value.code == code, overrides
    online = call(board, place="", online_link="https://meet.example.org/ga")
    assert (online.place, online.online_link) == ("", "https://meet.example.org/ga")


def test_the_agenda_changes_until_the_assembly_opens(
    clock: Clock, called: Assembly, voters: list[User]
) -> None:
    board = voters[0]
    proposal = governance.propose(actor=board, kind="ordinary", title="Paint the hall")
    twice = [AgendaEntry(title="a", proposal=proposal.number)] * 2
    with unchanged(), pytest.raises(InvalidInput) as refused:
        actions.set_agenda(actor=board, number=called.number, agenda=twice)
    assert refused.value.code == "proposal_twice"
    actions.set_agenda(actor=board, number=called.number, agenda=[])
    assert AgendaItem.objects.count() == 0
    clock.now = ASSEMBLY_DAY - dt.timedelta(days=1)
    with unchanged(), pytest.raises(DomainError) as early:
        actions.open_assembly(actor=board, number=called.number)
    assert early.value.code == "too_early"
    clock.now = ASSEMBLY_DAY
    actions.open_assembly(actor=board, number=called.number)
    with unchanged(), pytest.raises(DomainError) as fixed:
        actions.set_agenda(actor=board, number=called.number, agenda=[AgendaEntry(title="x")])
    assert fixed.value.code == "agenda_fixed"


def test_members_check_in_only_while_in_session_and_once(
    clock: Clock, called: Assembly, voters: list[User]
) -> None:
    member = voters[2]
    with unchanged(), pytest.raises(DomainError) as before:
        actions.check_in(actor=member, number=called.number)
    assert before.value.code == "not_in_session"
    clock.now = ASSEMBLY_DAY
    actions.open_assembly(actor=voters[0], number=called.number)
    actions.check_in(actor=member, number=called.number)
    with unchanged(), pytest.raises(DomainError) as twice:
        actions.check_in(actor=member, number=called.number)
    assert twice.value.code == "already_present"
    actions.close_assembly(actor=voters[0], number=called.number)
    with unchanged(), pytest.raises(DomainError) as after:
        actions.check_in(actor=voters[3], number=called.number)
    assert after.value.code == "not_in_session"
    assert present_numbers(called) == [member_of(member).number]


def test_only_members_with_a_vote_on_the_day_attend(
    in_session: Assembly, voters: list[User], make_member: Callable[..., Membership]
) -> None:
    supporter = make_member("supporter")  # a class without a vote
    with unchanged():
        with pytest.raises(NotAllowed) as refused:
            actions.check_in(actor=supporter.user, number=in_session.number)
        assert refused.value.code == "no_vote"
        with pytest.raises(InvalidInput) as not_eligible:
            actions.record_attendance(
                actor=voters[0], number=in_session.number, present=[supporter.number]
            )
        assert not_eligible.value.code == "not_eligible"
        with pytest.raises(InvalidInput) as unknown:
            actions.record_attendance(actor=voters[0], number=in_session.number, present=[0])
        assert unknown.value.code == "bad_member"


def test_the_board_marks_and_unmarks_but_never_undoes_a_check_in_it_did_not_see(
    in_session: Assembly, voters: list[User]
) -> None:
    board = voters[0]
    numbers = [member_of(v).number for v in voters]
    actions.record_attendance(actor=board, number=in_session.number, present=numbers[:3])
    actions.check_in(actor=voters[4], number=in_session.number)
    actions.record_attendance(
        actor=board, number=in_session.number, present=numbers[:2], absent=[numbers[2]]
    )
    assert present_numbers(in_session) == [numbers[0], numbers[1], numbers[4]]
    with unchanged(), pytest.raises(InvalidInput) as both:
        actions.record_attendance(
            actor=board, number=in_session.number, present=[numbers[5]], absent=[numbers[5]]
        )
    assert both.value.code == "present_and_absent"
    checked_in = {a.member.number: a.checked_in for a in Attendance.objects.all()}
    assert checked_in == {numbers[0]: True, numbers[1]: False, numbers[4]: True}


def test_approved_minutes_are_final_and_take_addenda(
    in_session: Assembly, voters: list[User]
) -> None:
    board, member = voters[0], voters[1]
    number = in_session.number
    with unchanged(), pytest.raises(DomainError) as none_yet:
        actions.approve_minutes(actor=board, number=number, minutes_sha256="")
    assert none_yet.value.code == "not_closed"
    with unchanged(), pytest.raises(NotAllowed):
        actions.write_minutes(actor=member, number=number, text="Not the secretary.")
    actions.write_minutes(actor=board, number=number, text="First draft.")
    seen = Assembly.objects.get(number=number).minutes_sha256
    actions.close_assembly(actor=board, number=number)
    actions.write_minutes(actor=board, number=number, text="Second draft.")
    with unchanged(), pytest.raises(DomainError) as changed:
        actions.approve_minutes(actor=board, number=number, minutes_sha256=seen)
    assert changed.value.code == "minutes_changed"
    with unchanged(), pytest.raises(DomainError) as early:
        actions.add_addendum(actor=board, number=number, text="Too early.")
    assert early.value.code == "minutes_not_final"
    with unchanged(), pytest.raises(NotAllowed):
        actions.approve_minutes(
            actor=member,
            number=number,
            minutes_sha256=Assembly.objects.get(number=number).minutes_sha256,
        )
    actions.approve_minutes(
        actor=board,
        number=number,
        minutes_sha256=Assembly.objects.get(number=number).minutes_sha256,
    )
    with unchanged():
        with pytest.raises(DomainError) as final:
            actions.write_minutes(actor=board, number=number, text="Third draft.")
        assert final.value.code == "minutes_final"
        with pytest.raises(DomainError) as again:
            actions.approve_minutes(actor=board, number=number, minutes_sha256="")
        assert again.value.code == "minutes_final"
        with pytest.raises(NotAllowed):
            actions.add_addendum(actor=member, number=number, text="Not mine to add.")
    actions.add_addendum(actor=board, number=number, text="A name was misspelt.")
    assert Assembly.objects.get(number=number).minutes == "Second draft."
    assert AuditEntry.objects.get(action="assembly.minutes_approved").after == {
        "minutes_sha256": Assembly.objects.get(number=number).minutes_sha256
    }


def test_minutes_wait_for_the_session(called: Assembly, voters: list[User]) -> None:
    with unchanged(), pytest.raises(DomainError) as refused:
        actions.write_minutes(actor=voters[0], number=called.number, text="Too soon.")
    assert refused.value.code == "no_session_yet"


def test_cancelling_needs_a_reason_and_comes_before_the_opening(
    clock: Clock, called: Assembly, voters: list[User]
) -> None:
    board = voters[0]
    with unchanged(), pytest.raises(InvalidInput) as blank:
        actions.cancel_assembly(actor=board, number=called.number, reason=" ")
    assert blank.value.code == "bad_reason"
    actions.cancel_assembly(actor=board, number=called.number, reason="The hall is flooded.")
    called.refresh_from_db()
    assert (called.status, called.cancel_reason) == ("cancelled", "The hall is flooded.")
    assert selectors.attendance_figures(called).eligible == 6
    clock.now = ASSEMBLY_DAY
    with unchanged():
        with pytest.raises(DomainError) as reopened:
            actions.open_assembly(actor=board, number=called.number)
        assert reopened.value.code == "not_called"
        with pytest.raises(DomainError) as twice:
            actions.cancel_assembly(actor=board, number=called.number, reason="Again.")
        assert twice.value.code == "not_cancellable"


def test_the_secretary_must_be_a_current_member(
    clock: Clock, called: Assembly, voters: list[User]
) -> None:
    clock.now = ASSEMBLY_DAY
    with unchanged(), pytest.raises(InvalidInput) as refused:
        actions.open_assembly(actor=voters[0], number=called.number, secretary=999)
    assert refused.value.code == "no_such_member"


# --- Members' requests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("voting", "needed"),
    [(0, 1), (1, 1), (2, 2), (3, 3), (6, 3), (30, 3), (31, 4), (100, 10), (101, 11)],
)
def test_signatures_needed(coop: object, voting: int, needed: int) -> None:
    assert signatures_needed(voting) == needed


def test_the_policy_sets_the_signatures_a_request_needs(founder: User) -> None:
    changed = apply_changes(
        current_policy().policy,
        {
            "governance.assembly_requests.support_percent": "25",
            "governance.assembly_requests.minimum_signatures": "5",
        },
    )
    adopt_policy(actor=None, policy=changed, reason="test")
    assert [signatures_needed(n) for n in (4, 10, 30, 31)] == [4, 5, 8, 8]


def test_enough_signatures_make_the_board_call_an_extraordinary_assembly(
    clock: Clock, voters: list[User], make_member: Callable[..., Membership]
) -> None:
    asker = voters[1]
    request = actions.request_assembly(
        actor=asker, title="The van purchase", reason="It cannot wait until next year."
    )
    assert (request.signatures.count(), request.supported_at) == (1, None)
    supporter = make_member("supporter")
    with unchanged():
        with pytest.raises(DomainError) as pending:
            actions.request_assembly(actor=asker, title="Another", reason="Another reason.")
        assert pending.value.code == "request_gathering"
        with pytest.raises(DomainError) as twice:
            actions.sign_request(actor=asker, request_id=request.pk)
        assert twice.value.code == "already_signed"
        with pytest.raises(NotAllowed):
            actions.sign_request(actor=supporter.user, request_id=request.pk)
    actions.sign_request(actor=voters[2], request_id=request.pk)
    request.refresh_from_db()
    assert request.supported_at is None
    clock.advance(days=1)
    actions.sign_request(actor=voters[3], request_id=request.pk)
    request.refresh_from_db()
    assert request.supported_at == clock.now
    assert request.answer_due_at == clock.now + dt.timedelta(days=30)
    with unchanged(), pytest.raises(DomainError) as closed:
        actions.sign_request(actor=voters[4], request_id=request.pk)
    assert closed.value.code == "not_gathering"
    with unchanged(), pytest.raises(InvalidInput) as annual:
        call(voters[0], answers_request=request.pk)
    assert annual.value.code == "request_needs_extraordinary"

    answer = call(voters[0], kind="extraordinary", title="The van", answers_request=request.pk)
    request.refresh_from_db()
    assert request.assembly == answer
    with unchanged(), pytest.raises(DomainError) as answered:
        call(voters[0], kind="extraordinary", answers_request=request.pk)
    assert answered.value.code == "request_not_waiting"
    assert selectors.waiting_requests(voters[0]) == []

    actions.cancel_assembly(actor=voters[0], number=answer.number, reason="Wrong date.")
    request.refresh_from_db()
    assert request.assembly is None  # the board still owes the members an assembly
    assert [row.request for row in selectors.waiting_requests(voters[0])] == [request]
    assert AuditEntry.objects.filter(action__startswith="assembly.request").count() == 3


def test_a_request_lapses_without_enough_signatures(clock: Clock, voters: list[User]) -> None:
    request = actions.request_assembly(actor=voters[1], title="A party", reason="Why not.")
    clock.advance(days=30)
    with unchanged(), pytest.raises(DomainError) as lapsed:
        actions.sign_request(actor=voters[2], request_id=request.pk)
    assert lapsed.value.code == "not_gathering"
    assert selectors.waiting_requests(voters[0]) == []
    again = actions.request_assembly(actor=voters[1], title="A party", reason="Still why not.")
    rows = selectors.waiting_requests(voters[1])
    assert [(r.request, r.signatures, r.needed, r.signed) for r in rows] == [(again, 1, 3, True)]


def test_only_members_with_a_vote_ask(
    clock: Clock, voters: list[User], make_member: Callable[..., Membership]
) -> None:
    supporter = make_member("supporter")
    with unchanged(), pytest.raises(NotAllowed):
        actions.request_assembly(actor=supporter.user, title="x", reason="y")


def test_the_database_refuses_a_second_attendance(in_session: Assembly, voters: list[User]) -> None:
    member = member_of(voters[1])
    Attendance.objects.create(
        assembly=in_session, member=member, at=in_session.starts_at, recorded_by=voters[1]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(
            assembly=in_session, member=member, at=in_session.starts_at, recorded_by=voters[0]
        )
