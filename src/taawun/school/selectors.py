"""Every read of the school and the knowledge base, with who may see and do what.

Courses are open to anyone signed in (an applicant may learn before joining); unpublished ones
only to teachers. The knowledge base holds the co-op's own procedures: members and the board
read it; the Policy says who edits it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from taawun.accounts.models import Role
from taawun.accounts.selectors import has_role, require_role
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, NotAllowed, NotFound, gettext_noop
from taawun.domain.markdown import plain_text

from . import search
from .models import Attempt, Course, Image, Lesson, Page, Revision

IMAGE_PREFIX = "/school/media/"


def is_teacher(user: Any) -> bool:
    return has_role(user, Role.TEACHER)


def require_teacher(user: Any) -> None:
    require_role(user, Role.TEACHER)


def may_read_pages(user: Any) -> bool:
    return has_role(user, Role.MEMBER, Role.BOARD)


def require_page_reader(user: Any) -> None:
    require_role(user, Role.MEMBER, Role.BOARD)


def may_edit_pages(user: Any) -> bool:
    if current_policy().policy.school.page_editors == "teachers":
        return has_role(user, Role.TEACHER)
    return has_role(user, Role.MEMBER, Role.BOARD, Role.TEACHER)


def require_page_editor(user: Any) -> None:
    if not may_edit_pages(user):
        raise NotAllowed(
            "not_an_editor", gettext_noop("The co-op's rules do not let you edit these pages.")
        )


def require_contributor(user: Any) -> None:
    """Teachers and page editors bring pictures and files in."""
    if not (is_teacher(user) or may_edit_pages(user)):
        require_teacher(user)


# --- Courses and lessons -------------------------------------------------------------------


def courses(viewer: Any) -> QuerySet[Course]:
    """The courses ``viewer`` may open, with how many lessons each has."""
    found = Course.objects.annotate(lesson_count=Count("lessons"))
    return found if is_teacher(viewer) else found.filter(published=True)


def course_or_404(viewer: Any, key: str) -> Course:
    course = courses(viewer).filter(key=key).first()
    if course is None:
        raise NotFound("no_such_course", gettext_noop("There is no such course."))
    return course


def lessons_of(course: Course) -> list[Lesson]:
    return list(course.lessons.all())


def lesson_or_404(viewer: Any, course_key: str, key: str) -> Lesson:
    course = course_or_404(viewer, course_key)
    lesson = course.lessons.filter(key=key).select_related("course").first()
    if lesson is None:
        raise NotFound("no_such_lesson", gettext_noop("There is no such lesson."))
    return lesson


def passed_lesson_ids(user: Any) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(Attempt.objects.filter(user=user, passed=True).values_list("lesson_id", flat=True))


def attempts_at(user: Any, lesson: Lesson) -> list[Attempt]:
    return list(Attempt.objects.filter(user=user, lesson=lesson)[:10])


@dataclass(frozen=True, slots=True)
class CourseProgress:
    course: Course
    passed: int
    total: int

    @property
    def percent(self) -> int:
        return self.passed * 100 // self.total if self.total else 0


def progress(viewer: Any) -> list[CourseProgress]:
    """Each course the viewer may open, with how many of its lessons they have passed."""
    passed = passed_lesson_ids(viewer)
    lesson_ids: dict[int, list[int]] = {}
    for course_id, lesson_id in Lesson.objects.values_list("course_id", "pk"):
        lesson_ids.setdefault(course_id, []).append(lesson_id)
    return [
        CourseProgress(
            course,
            sum(1 for pk in lesson_ids.get(course.pk, []) if pk in passed),
            len(lesson_ids.get(course.pk, [])),
        )
        for course in courses(viewer)
    ]


def lessons_by_ref(refs: Collection[str]) -> dict[str, Lesson]:
    """The published lessons named ``course/lesson`` among ``refs``."""
    pairs = [ref.split("/", 1) for ref in refs if "/" in ref]
    if not pairs:
        return {}
    wanted = Q()
    for course_key, key in pairs:
        wanted |= Q(course__key=course_key, key=key)
    found = Lesson.objects.filter(wanted, course__published=True).select_related("course")
    return {lesson.ref: lesson for lesson in found}


def unknown_refs(refs: Collection[str]) -> list[str]:
    """The refs that name no published lesson (a rule may not ask for a lesson nobody can take)."""
    known = lessons_by_ref(refs)
    return [ref for ref in refs if ref not in known]


def lessons_missing(user: Any, refs: Sequence[str]) -> list[Lesson]:
    """The lessons among ``refs`` that ``user`` has yet to pass. A ref naming no published
    lesson asks for nothing: a rule must never lock members out of what nobody can learn."""
    required = lessons_by_ref(refs)
    passed = passed_lesson_ids(user)
    return [lesson for ref, lesson in required.items() if lesson.pk not in passed]


def require_lessons(user: Any, refs: Sequence[str], *, language: str) -> None:
    """Refuse, naming the lessons, unless ``user`` has passed every lesson in ``refs``."""
    missing = lessons_missing(user, refs)
    if missing:
        raise DomainError(
            "lessons_needed",
            gettext_noop("The co-op's rules ask for these lessons first: %(lessons)s."),
            lessons=titles(missing, language),
        )


def titles(lessons: Sequence[Lesson], language: str) -> str:
    """The lessons' titles in ``language`` where written, as a list in a sentence."""
    separator = "، " if language == "ar" else ", "
    return separator.join(
        lesson.text("title", lesson.shown_language(language)) for lesson in lessons
    )


def role_lessons(role: Role) -> tuple[str, ...]:
    rules = current_policy().policy.school.before_role
    refs: tuple[str, ...] = getattr(rules, role.value, ())
    return refs


def first_vote_lessons() -> tuple[str, ...]:
    return current_policy().policy.school.before_first_vote


def image_or_404(name: str) -> Image:
    image = Image.objects.filter(name=name).first()
    if image is None:
        raise NotFound("no_such_image", gettext_noop("There is no such image."))
    return image


# --- The knowledge base --------------------------------------------------------------------


def pages(viewer: Any) -> QuerySet[Page]:
    require_page_reader(viewer)
    return Page.objects.all()


def page_or_404(viewer: Any, slug: str) -> Page:
    page = pages(viewer).filter(slug=slug).first()
    if page is None:
        raise NotFound("no_such_page", gettext_noop("There is no such page."))
    return page


def history(page: Page) -> list[Revision]:
    return list(page.revisions.select_related("author"))


def revision_or_404(page: Page, number: int) -> Revision:
    revision = page.revisions.filter(number=number).select_related("author").first()
    if revision is None:
        raise NotFound("no_such_revision", gettext_noop("There is no such version."))
    return revision


# --- Search --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    title: str
    url: str
    language: str
    text: str  # the plain text the snippet is drawn from
    kind: str


def find(viewer: Any, query: str, *, limit: int = 20, offset: int = 0) -> list[Found]:
    """Lessons of published courses for anyone signed in, and pages for those who read them."""
    kinds = ["lesson.ar", "lesson.en"] + (["page"] if may_read_pages(viewer) else [])
    hits = search.search(query, kinds=kinds, limit=limit, offset=offset)
    lessons = Lesson.objects.select_related("course").in_bulk(
        [h.ref for h in hits if h.kind.startswith("lesson")]
    )
    found_pages = Page.objects.in_bulk([h.ref for h in hits if h.kind == "page"])
    results = []
    for hit in hits:
        if hit.kind == "page" and hit.ref in found_pages:
            page = found_pages[hit.ref]
            url = reverse("school:page", args=[page.slug])
            results.append(Found(page.title, url, page.language, plain_text(page.body), "page"))
        elif hit.kind.startswith("lesson") and hit.ref in lessons:
            lesson = lessons[hit.ref]
            url = reverse("school:lesson", args=[lesson.course.key, lesson.key])
            if hit.language == "en":
                url += "?in=en"
            text = plain_text(lesson.text("body", hit.language))
            results.append(
                Found(lesson.text("title", hit.language), url, hit.language, text, "lesson")
            )
    return results
