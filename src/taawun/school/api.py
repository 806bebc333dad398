"""/api/school: the courses with the caller's progress, a lesson with its quiz (never its
answers), answering it, search, and the knowledge base's pages for those who read them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from taawun.apikeys.auth import SIGNED_IN
from taawun.apikeys.schemas import ERRORS, Input
from taawun.domain import quiz
from taawun.domain.arabic import snippet, terms

from . import actions, selectors
from .models import Course, Lesson, Page

router = Router(tags=["school"], auth=SIGNED_IN)

PAGE_SIZE = 20


def _key() -> str:
    """A course's or lesson's key in the address."""
    found: str = Path(..., min_length=1, max_length=60)
    return found


class SchoolCourseOut(Schema):
    key: str
    title_ar: str
    title_en: str
    summary_ar: str
    summary_en: str
    published: bool
    origin: str
    lessons: int
    passed: int


class SchoolLessonSummaryOut(Schema):
    key: str
    title_ar: str
    title_en: str
    languages: list[str]
    minutes: int
    passed: bool


class SchoolCourseDetailOut(SchoolCourseOut):
    lesson_list: list[SchoolLessonSummaryOut]


class SchoolQuestionOut(Schema):
    prompt: str
    choices: list[str]


class SchoolLessonOut(Schema):
    course: str
    key: str
    language: str
    title: str
    html: str
    minutes: int
    revision: int
    passed: bool
    questions: list[SchoolQuestionOut]


class SchoolLessonQuery(Schema):
    language: Literal["ar", "en"] | None = None


class SchoolAnswersIn(Input):
    language: Literal["ar", "en"]
    answers: list[int | None] = Field(max_length=quiz.MAX_QUESTIONS)


class SchoolMarkOut(Schema):
    question: int
    chosen: int | None
    correct: bool
    answer: int
    explanation: str


class SchoolGradeOut(Schema):
    correct: int
    total: int
    percent: int
    passed: bool
    marks: list[SchoolMarkOut]


class SchoolSearchQuery(Schema):
    q: str = Field(max_length=200)
    page: int = Field(default=1, ge=1, le=50)


class SchoolHitOut(Schema):
    kind: str
    title: str
    url: str
    language: str
    passage: str


class SchoolPageSummaryOut(Schema):
    slug: str
    language: str
    title: str
    revision: int
    updated_at: dt.datetime


class SchoolPageOut(SchoolPageSummaryOut):
    body: str
    html: str


def _course(course: Course, passed: int, lessons: int) -> dict[str, object]:
    return {
        "key": course.key,
        "title_ar": course.title_ar,
        "title_en": course.title_en,
        "summary_ar": course.summary_ar,
        "summary_en": course.summary_en,
        "published": course.published,
        "origin": course.origin,
        "lessons": lessons,
        "passed": passed,
    }


@router.get("/courses", response={200: list[SchoolCourseOut], **ERRORS}, summary="Courses")
def list_courses(request: HttpRequest) -> list[dict[str, object]]:
    """Every course the caller may open, with how many of its lessons they have passed."""
    rows = selectors.progress(request.auth)  # type: ignore[attr-defined]
    return [_course(row.course, row.passed, row.total) for row in rows]


@router.get("/courses/{key}", response={200: SchoolCourseDetailOut, **ERRORS}, summary="A course")
def get_course(request: HttpRequest, key: str = _key()) -> dict[str, object]:
    viewer = request.auth  # type: ignore[attr-defined]
    course = selectors.course_or_404(viewer, key)
    passed = selectors.passed_lesson_ids(viewer)
    lessons: list[Lesson] = selectors.lessons_of(course)
    return _course(course, sum(lesson.pk in passed for lesson in lessons), len(lessons)) | {
        "lesson_list": [
            {
                "key": lesson.key,
                "title_ar": lesson.title_ar,
                "title_en": lesson.title_en,
                "languages": lesson.languages(),
                "minutes": lesson.minutes,
                "passed": lesson.pk in passed,
            }
            for lesson in lessons
        ]
    }


@router.get(
    "/courses/{key}/lessons/{lesson}",
    response={200: SchoolLessonOut, **ERRORS},
    summary="A lesson and its quiz",
)
def get_lesson(
    request: HttpRequest,
    query: Query[SchoolLessonQuery],
    key: str = _key(),
    lesson: str = _key(),
) -> dict[str, object]:
    """In the language asked for when the lesson is written in it, the other one otherwise.
    The quiz comes without its answers."""
    viewer = request.auth  # type: ignore[attr-defined]
    found = selectors.lesson_or_404(viewer, key, lesson)
    language = found.shown_language(query.language or _language(request))
    questions = quiz.parse(found.text("quiz", language)).questions
    return {
        "course": key,
        "key": found.key,
        "language": language,
        "title": found.text("title", language),
        "html": found.text("html", language),
        "minutes": found.minutes,
        "revision": found.revision,
        "passed": found.pk in selectors.passed_lesson_ids(viewer),
        "questions": [{"prompt": q.prompt, "choices": list(q.choices)} for q in questions],
    }


@router.post(
    "/courses/{key}/lessons/{lesson}/answers",
    response={200: SchoolGradeOut, **ERRORS},
    summary="Answer a lesson's quiz",
)
def answer_quiz(
    request: HttpRequest, payload: SchoolAnswersIn, key: str = _key(), lesson: str = _key()
) -> dict[str, object]:
    """``answers[i]`` is the number of the choice picked for question ``i`` (from 0), or
    null; the marks say which were right, the right answer and why."""
    viewer = request.auth  # type: ignore[attr-defined]
    found = selectors.lesson_or_404(viewer, key, lesson)
    chosen = {i: choice for i, choice in enumerate(payload.answers) if choice is not None}
    grade = actions.answer_lesson(
        actor=viewer, lesson=found, language=payload.language, answers=chosen
    )
    questions = quiz.parse(found.text("quiz", payload.language)).questions
    return {
        "correct": grade.correct,
        "total": grade.total,
        "percent": int(grade.percent),
        "passed": grade.passed,
        "marks": [
            {
                "question": mark.question,
                "chosen": mark.chosen,
                "correct": mark.correct,
                "answer": questions[mark.question].answer,
                "explanation": questions[mark.question].explanation,
            }
            for mark in grade.marks
        ],
    }


@router.get("/search", response={200: list[SchoolHitOut], **ERRORS}, summary="Search")
def search_school(request: HttpRequest, query: Query[SchoolSearchQuery]) -> list[dict[str, str]]:
    """Lessons, and pages for those who read them; every word must match, the last may be the
    start of a word. ``passage`` is the text around the first match."""
    found = selectors.find(
        request.auth,  # type: ignore[attr-defined]
        query.q,
        limit=PAGE_SIZE,
        offset=(query.page - 1) * PAGE_SIZE,
    )
    wanted = terms(query.q)
    return [
        {
            "kind": item.kind,
            "title": item.title,
            "url": request.build_absolute_uri(item.url),
            "language": item.language,
            "passage": "".join(text for text, _match in snippet(item.text, wanted)),
        }
        for item in found
    ]


def _page(page: Page, *, whole: bool) -> dict[str, object]:
    summary: dict[str, object] = {
        "slug": page.slug,
        "language": page.language,
        "title": page.title,
        "revision": page.revision,
        "updated_at": page.updated_at,
    }
    return summary | ({"body": page.body, "html": page.html} if whole else {})


@router.get("/pages", response={200: list[SchoolPageSummaryOut], **ERRORS}, summary="Pages")
def list_pages(request: HttpRequest) -> list[dict[str, object]]:
    """The knowledge base, for members and the board."""
    return [_page(page, whole=False) for page in selectors.pages(request.auth)]  # type: ignore[attr-defined]


@router.get("/pages/{slug}", response={200: SchoolPageOut, **ERRORS}, summary="A page")
def get_page(
    request: HttpRequest, slug: str = Path(..., min_length=1, max_length=80)
) -> dict[str, object]:
    found = selectors.page_or_404(request.auth, slug)  # type: ignore[attr-defined]
    return _page(found, whole=True)


def _language(request: HttpRequest) -> str:
    return "en" if getattr(request, "LANGUAGE_CODE", "ar").startswith("en") else "ar"
