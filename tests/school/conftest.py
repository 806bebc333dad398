"""The school's fixtures: the shipped lessons installed, a teacher, and a lesson of our own."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.coop.models import Coop
from taawun.coop.selectors import current_policy
from taawun.members.models import Membership
from taawun.school import actions, starter
from taawun.school.models import Course, Lesson

QUIZ_EN = """? How many votes does each member have?
- One per share
+ One
- One per year of membership
= One member, one vote, whatever their capital.

? Who sets the co-op fee?
- The board alone
+ The members, by a vote
= Every rule the platform applies is the members' decision."""

QUIZ_AR = """? كم صوتاً لكل عضو؟
- صوت لكل سهم
+ صوت واحد
- صوت لكل سنة عضوية
= عضو واحد، صوت واحد، مهما كان رأس ماله.

? من يحدد رسوم التعاونية؟
- مجلس الإدارة وحده
+ الأعضاء بالتصويت
= كل قاعدة تطبقها المنصة قرار الأعضاء."""


@pytest.fixture
def installed(coop: Coop) -> Course:
    """The platform's own course, as a new co-op gets it."""
    starter.install()
    return Course.objects.get(key="using-taawun")


@pytest.fixture
def teacher(coop: Coop, founder: User, make_member: Callable[..., Membership]) -> User:
    person = make_member("worker", name="Rana Odeh", email="rana@example.org").user
    grant_role(
        actor=founder, user=person, role=Role.TEACHER, policy_version=current_policy().number
    )
    return person


@pytest.fixture
def course(teacher: User) -> Course:
    return actions.save_course(
        actor=teacher,
        key="our-coop",
        title_ar="تعاونيتنا",
        title_en="Our co-op",
        summary_en="How we decide.",
        published=True,
    )


@pytest.fixture
def lesson(teacher: User, course: Course) -> Lesson:
    return actions.save_lesson(
        actor=teacher,
        course_key=course.key,
        key="one-vote",
        text=actions.LessonText(
            title_ar="صوت واحد",
            body_ar="## العضو\n\nلكل عضو **صوت واحد**.",
            quiz_ar=QUIZ_AR,
            title_en="One vote",
            body_en="## The member\n\nEach member has **one vote**.",
            quiz_en=QUIZ_EN,
        ),
    )
