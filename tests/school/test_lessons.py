"""Writing courses and lessons, and taking them: what is stored, what is refused, what a pass
records."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest

from taawun.accounts.models import User
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed
from taawun.members.models import Membership
from taawun.school import actions, search, selectors
from taawun.school.models import Attempt, Course, Lesson
from tests.core.helpers import actions_since, last_seq, unchanged

from .conftest import QUIZ_EN

pytestmark = pytest.mark.django_db


def test_a_lesson_is_stored_rendered_safely_and_found_by_search(lesson: Lesson) -> None:
    assert lesson.ref == "our-coop/one-vote"
    assert lesson.revision == 1
    assert lesson.position == 1
    assert lesson.minutes == 1
    assert (
        lesson.html_en == "<h3>The member</h3>\n<p>Each member has <strong>one vote</strong>.</p>\n"
    )
    assert lesson.languages() == ["ar", "en"]
    hits = search.search("صوت", kinds=["lesson.ar"])
    assert [(hit.kind, hit.ref) for hit in hits] == [("lesson.ar", lesson.pk)]


def test_saving_a_lesson_is_recorded(teacher: User, course: Course) -> None:
    seq = last_seq()
    actions.save_lesson(
        actor=teacher,
        course_key=course.key,
        key="fees",
        text=actions.LessonText(title_en="Fees", body_en="The fee is voted."),
    )
    assert actions_since(seq) == ["school.lesson_saved"]


def test_only_teachers_write_lessons(
    course: Course, make_member: Callable[..., Membership]
) -> None:
    member = make_member("worker", name="Omar", email="omar@example.org").user
    with unchanged(), pytest.raises(NotAllowed):
        actions.save_lesson(
            actor=member,
            course_key=course.key,
            key="mine",
            text=actions.LessonText(title_en="Mine", body_en="Text."),
        )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("Hello <script>alert(1)</script>", "html_not_allowed"),
        ("[click](javascript:alert(1))", "bad_link"),
        ("![x](https://tracker.example/pixel.png)", "external_image"),
    ],
)
def test_unsafe_markdown_is_refused_with_its_reason_and_nothing_is_stored(
    teacher: User, course: Course, body: str, code: str
) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refusal:
        actions.save_lesson(
            actor=teacher,
            course_key=course.key,
            key="unsafe",
            text=actions.LessonText(title_en="Unsafe", body_en=body),
        )
    assert refusal.value.code == code
    assert search.search("unsafe") == []


def test_a_language_half_written_is_refused(teacher: User, course: Course) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refusal:
        actions.save_lesson(
            actor=teacher,
            course_key=course.key,
            key="half",
            text=actions.LessonText(title_en="Half", body_en="", quiz_en=QUIZ_EN),
        )
    assert refusal.value.code == "half_written"


def test_a_quiz_that_cannot_be_read_names_its_line(teacher: User, course: Course) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refusal:
        actions.save_lesson(
            actor=teacher,
            course_key=course.key,
            key="quiz",
            text=actions.LessonText(
                title_en="Quiz", body_en="Text.", quiz_en="? Question\n- a\n* b\n+ c"
            ),
        )
    assert refusal.value.code == "quiz_line"
    assert refusal.value.params["line"] == 3


def test_an_edit_over_a_newer_one_is_refused(teacher: User, lesson: Lesson) -> None:
    changed = actions.LessonText(title_en="One vote", body_en="Changed.")
    actions.save_lesson(
        actor=teacher, course_key="our-coop", key=lesson.key, text=changed, base_revision=1
    )
    with unchanged(), pytest.raises(DomainError) as refusal:
        actions.save_lesson(
            actor=teacher,
            course_key="our-coop",
            key=lesson.key,
            text=actions.LessonText(title_en="One vote", body_en="Mine."),
            base_revision=1,
        )
    assert refusal.value.code == "edit_conflict"
    lesson.refresh_from_db()
    assert (lesson.revision, lesson.body_en, lesson.body_ar) == (2, "Changed.", "")


def test_unpublishing_a_course_takes_its_lessons_out_of_search(
    teacher: User, course: Course, lesson: Lesson
) -> None:
    actions.save_course(
        actor=teacher, key=course.key, title_ar="تعاونيتنا", title_en="Our co-op", published=False
    )
    assert search.search("vote") == []


def test_passing_a_lesson_is_kept_once_and_recorded(lesson: Lesson, founder: User) -> None:
    seq = last_seq()
    failed = actions.answer_lesson(actor=founder, lesson=lesson, language="en", answers={0: 1})
    assert (failed.correct, failed.total, failed.passed) == (1, 2, False)
    assert actions_since(seq) == []
    passed = actions.answer_lesson(
        actor=founder, lesson=lesson, language="en", answers={0: 1, 1: 1}
    )
    assert (passed.correct, passed.passed, passed.percent) == (2, True, Decimal(100))
    assert actions_since(seq) == ["school.lesson_passed"]
    again = actions.answer_lesson(actor=founder, lesson=lesson, language="ar", answers={0: 1, 1: 1})
    assert again.passed
    assert list(
        Attempt.objects.filter(user=founder).order_by("pk").values_list("passed", "language")
    ) == [(False, "en"), (True, "en")]
    assert actions_since(seq) == ["school.lesson_passed"]
    assert selectors.passed_lesson_ids(founder) == {lesson.pk}


def test_a_lesson_without_a_quiz_is_passed_by_reading_it(
    teacher: User, course: Course, founder: User
) -> None:
    reading = actions.save_lesson(
        actor=teacher,
        course_key=course.key,
        key="reading",
        text=actions.LessonText(title_ar="قراءة", body_ar="نص."),
    )
    grade = actions.answer_lesson(actor=founder, lesson=reading, language="ar", answers={})
    assert (grade.correct, grade.total, grade.passed) == (0, 0, True)
    with pytest.raises(InvalidInput):
        actions.answer_lesson(actor=founder, lesson=reading, language="en", answers={})


def test_progress_counts_passed_lessons_per_course(
    installed: Course, lesson: Lesson, founder: User
) -> None:
    actions.answer_lesson(actor=founder, lesson=lesson, language="en", answers={0: 1, 1: 1})
    rows = {row.course.key: (row.passed, row.total) for row in selectors.progress(founder)}
    assert rows == {"using-taawun": (0, 5), "our-coop": (1, 1)}


def test_the_shipped_course_has_five_lessons_in_both_languages(installed: Course) -> None:
    lessons = list(installed.lessons.all())
    assert [lesson.key for lesson in lessons] == ["books", "votes", "fairness", "log", "security"]
    assert installed.published
    assert installed.origin == "starter"
    for lesson in lessons:
        assert lesson.languages() == ["ar", "en"]
        assert lesson.quiz_ar and lesson.quiz_en
        assert "<script" not in lesson.html_ar + lesson.html_en


def test_installing_the_shipped_course_again_changes_nothing(installed: Course) -> None:
    from taawun.school import starter

    with unchanged():
        starter.install()


def test_only_a_course_written_here_is_shared(installed: Course, teacher: User) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refusal:
        actions.save_course(
            actor=teacher,
            key=installed.key,
            title_ar=installed.title_ar,
            title_en=installed.title_en,
            published=True,
            shared=True,
        )
    assert refusal.value.code == "not_ours_to_share"


def test_a_key_keeps_to_what_addresses_and_files_allow(teacher: User) -> None:
    course = actions.save_course(actor=teacher, key="Our_Own Course", title_ar="", title_en="X")
    assert course.key == "our-own-course"


def test_the_index_is_rebuilt_from_the_texts(installed: Course, lesson: Lesson) -> None:
    from django.core.management import call_command

    before = [(hit.kind, hit.ref) for hit in search.search("vote")]
    search.clear()
    assert search.search("vote") == []
    out = io.StringIO()
    call_command("school", "--reindex", "--starter", stdout=out)
    assert out.getvalue() == "using-taawun: 5 lessons\nsearch index: 12 entries\n"
    assert [(hit.kind, hit.ref) for hit in search.search("vote")] == before
