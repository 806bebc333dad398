"""The Policy may ask for lessons before a role, a board candidacy or a first vote; it may
never ask for a lesson nobody can take."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, RoleGrant, User
from taawun.coop.actions import adopt_policy
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput
from taawun.domain.policy import parse
from taawun.governance import actions as governance
from taawun.members.models import Membership
from taawun.school import actions
from taawun.school.models import Course, Lesson
from tests.core.helpers import unchanged

pytestmark = pytest.mark.django_db


def _require(founder: User, **school: Any) -> None:
    """Adopt a policy whose school rules are ``school`` (as the founding assembly may)."""
    document = current_policy().policy.to_document()
    document["school"] = document["school"] | school
    adopt_policy(actor=founder, policy=parse(document), reason="test")


def _pass(user: User, lesson: Lesson) -> None:
    from taawun.domain import quiz

    questions = quiz.parse(lesson.quiz_en)
    right = {index: question.answer for index, question in enumerate(questions.questions)}
    assert actions.answer_lesson(actor=user, lesson=lesson, language="en", answers=right).passed


def test_an_administrator_grants_a_role_only_after_its_lessons(
    installed: Course, founder: User, make_member: Callable[..., Membership]
) -> None:
    _require(founder, before_role={"teacher": ["using-taawun/books", "using-taawun/security"]})
    person = make_member("worker", name="Huda", email="huda@example.org").user
    version = current_policy().number
    with unchanged(), pytest.raises(DomainError) as refusal:
        grant_role(actor=founder, user=person, role=Role.TEACHER, policy_version=version)
    assert refusal.value.code == "lessons_needed"
    books, security = installed.lessons.get(key="books"), installed.lessons.get(key="security")
    assert refusal.value.params["lessons"] in (
        f"{books.title_en}, {security.title_en}",
        f"{books.title_ar}، {security.title_ar}",
    )
    _pass(person, books)
    with pytest.raises(DomainError):
        grant_role(actor=founder, user=person, role=Role.TEACHER, policy_version=version)
    _pass(person, security)
    grant_role(actor=founder, user=person, role=Role.TEACHER, policy_version=version)
    assert RoleGrant.objects.filter(user=person, role="teacher", revoked_at=None).count() == 1


def test_a_first_vote_waits_for_the_voting_lesson_but_a_member_who_voted_does_not(
    installed: Course, founder: User, make_member: Callable[..., Membership]
) -> None:
    voter = make_member("worker", name="Sami", email="sami@example.org").user
    first = governance.propose(
        actor=founder, kind="ordinary", title="Paint the office", body="Green."
    )
    governance.cast_ballot(actor=founder, number=first.number, choice="yes")
    _require(founder, before_first_vote=["using-taawun/votes"])
    second = governance.propose(
        actor=founder, kind="ordinary", title="Buy a ladder", body="A tall one."
    )
    governance.cast_ballot(actor=founder, number=second.number, choice="yes")  # voted before
    with unchanged(), pytest.raises(DomainError) as refusal:
        governance.cast_ballot(actor=voter, number=second.number, choice="no")
    assert refusal.value.code == "lessons_needed"
    _pass(voter, installed.lessons.get(key="votes"))
    governance.cast_ballot(actor=voter, number=second.number, choice="no")


def test_a_rule_naming_a_lesson_that_does_not_exist_is_refused_when_proposed(
    installed: Course, founder: User
) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refusal:
        governance.propose(
            actor=founder,
            kind="policy_change",
            title="Learn first",
            body="",
            changes={"school.before_first_vote": ["using-taawun/nonsense"]},
        )
    assert refusal.value.code == "no_such_lesson"
    assert refusal.value.params == {"ref": "using-taawun/nonsense"}


def test_a_lesson_no_longer_published_asks_nothing(
    installed: Course, founder: User, make_member: Callable[..., Membership]
) -> None:
    _require(founder, before_role={"teacher": ["using-taawun/books"]})
    actions.save_course(
        actor=None,
        key=installed.key,
        title_ar=installed.title_ar,
        title_en=installed.title_en,
        published=False,
    )
    person = make_member("worker", name="Lina", email="lina@example.org").user
    grant_role(
        actor=founder, user=person, role=Role.TEACHER, policy_version=current_policy().number
    )


def test_board_candidates_have_passed_the_board_lessons(
    installed: Course, founder: User, make_member: Callable[..., Membership]
) -> None:
    _require(founder, before_role={"board": ["using-taawun/books"]})
    _pass(founder, installed.lessons.get(key="books"))
    other = make_member("worker", name="Fadi", email="fadi@example.org")
    founder_number = founder.memberships.get().number
    with unchanged(), pytest.raises(DomainError) as refusal:
        governance.propose(
            actor=founder,
            kind="election",
            title="Board",
            body="",
            office="board",
            candidates=[founder_number, other.number],
            seats=1,
        )
    assert refusal.value.code == "candidate_lessons_needed"
    assert refusal.value.params["name"] == "Fadi"
    _pass(other.user, installed.lessons.get(key="books"))
    governance.propose(
        actor=founder,
        kind="election",
        title="Board",
        body="",
        office="board",
        candidates=[founder_number, other.number],
        seats=1,
    )
