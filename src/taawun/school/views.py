"""The school's pages: courses, lessons with their quizzes, the knowledge base, search, and
the teachers' and editors' forms. Thin: each reads through selectors or calls one action."""

from __future__ import annotations

import difflib
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from taawun.coop.selectors import current_policy
from taawun.domain import quiz
from taawun.domain.arabic import snippet, terms
from taawun.federation.selectors import too_large_to_share
from taawun.web.errors import refusals
from taawun.web.flow import person, posted, run_action

from . import actions, exchange, selectors
from .forms import CourseForm, ImageForm, ImportForm, LessonForm, PageForm, answers_from
from .models import Course, Lesson

GET = ["GET", "HEAD"]
PAGE_SIZE = 20


def _language(request: HttpRequest) -> str:
    return "ar" if (get_language() or "ar").startswith("ar") else "en"


@login_required
@require_http_methods(GET)
@refusals
def index(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    return render(
        request,
        "school/index.html",
        {
            "progress": selectors.progress(viewer),
            "language": _language(request),
            "teacher": selectors.is_teacher(viewer),
            "reads_pages": selectors.may_read_pages(viewer),
        },
    )


@login_required
@require_http_methods(GET)
@refusals
def course(request: HttpRequest, course_key: str) -> HttpResponse:
    viewer = person(request)
    found = selectors.course_or_404(viewer, course_key)
    passed = selectors.passed_lesson_ids(viewer)
    return render(
        request,
        "school/course.html",
        {
            "course": found,
            "lessons": [(lesson, lesson.pk in passed) for lesson in selectors.lessons_of(found)],
            "too_large": found.shared and too_large_to_share("course", found.key),
            "language": _language(request),
            "teacher": selectors.is_teacher(viewer),
        },
    )


def _shown_language(request: HttpRequest, lesson: Lesson) -> str:
    asked = request.GET.get("in") or request.POST.get("in") or _language(request)
    return lesson.shown_language(asked if asked in ("ar", "en") else _language(request))


@login_required
@require_http_methods([*GET, "POST"])
@refusals
def lesson(request: HttpRequest, course_key: str, lesson_key: str) -> HttpResponse:
    """The lesson and its quiz; answering shows each answer marked, with the explanations."""
    viewer = person(request)
    found = selectors.lesson_or_404(viewer, course_key, lesson_key)
    language = _shown_language(request, found)
    questions = quiz.parse(found.text("quiz", language))
    grade = None
    answers: dict[int, int] = {}
    if request.method == "POST":
        answers = answers_from(request.POST, questions)
        grade = actions.answer_lesson(
            actor=viewer, lesson=found, language=language, answers=answers
        )
    siblings = selectors.lessons_of(found.course)
    position = next(i for i, item in enumerate(siblings) if item.pk == found.pk)
    return render(
        request,
        "school/lesson.html",
        {
            "lesson": found,
            "course": found.course,
            "language": language,
            "other_language": next((lang for lang in found.languages() if lang != language), ""),
            "html": found.text("html", language),
            "title": found.text("title", language),
            "questions": list(enumerate(questions.questions)),
            "answers": answers,
            "grade": grade,
            "marks": {mark.question: mark for mark in grade.marks} if grade else {},
            "passed": found.pk in selectors.passed_lesson_ids(viewer),
            "attempts": selectors.attempts_at(viewer, found),
            "previous": siblings[position - 1] if position > 0 else None,
            "next": siblings[position + 1] if position + 1 < len(siblings) else None,
            "ui_language": _language(request),
            "teacher": selectors.is_teacher(viewer),
            "pass_percent": current_policy().policy.school.pass_percent,
        },
    )


# --- Teachers ------------------------------------------------------------------------------


@login_required
@require_http_methods([*GET, "POST"])
@refusals
def course_form(request: HttpRequest, course_key: str | None = None) -> HttpResponse:
    viewer = person(request)
    selectors.require_teacher(viewer)
    existing = selectors.course_or_404(viewer, course_key) if course_key else None
    form = CourseForm(posted(request), course=existing)
    status = 400  # the form's own errors, unless the action answers otherwise
    if request.method == "POST" and form.is_valid():
        saved, status = run_action(form, actions.save_course, actor=viewer, **form.cleaned_data)
        if saved is not None:
            messages.success(request, _("The course is saved."))
            return redirect("school:course", saved.key)
    return render(
        request,
        "school/course_form.html",
        {"form": form, "course": existing},
        status=status if form.errors else 200,
    )


@login_required
@require_http_methods([*GET, "POST"])
@refusals
def lesson_form(
    request: HttpRequest, course_key: str, lesson_key: str | None = None
) -> HttpResponse:
    viewer = person(request)
    selectors.require_teacher(viewer)
    found = selectors.course_or_404(viewer, course_key)
    existing = selectors.lesson_or_404(viewer, course_key, lesson_key) if lesson_key else None
    form = LessonForm(posted(request), lesson=existing)
    status = 400  # the form's own errors, unless the action answers otherwise
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        text = actions.LessonText(
            **{
                f"{field}_{lang}": data[f"{field}_{lang}"]
                for field in ("title", "body", "quiz")
                for lang in ("ar", "en")
            }
        )
        saved, status = run_action(
            form,
            actions.save_lesson,
            actor=viewer,
            course_key=found.key,
            key=data["key"],
            text=text,
            position=data["position"],
            base_revision=data["base_revision"] if existing else None,
        )
        if saved is not None:
            messages.success(request, _("The lesson is saved."))
            return redirect("school:lesson", found.key, saved.key)
    return render(
        request,
        "school/lesson_form.html",
        {"form": form, "course": found, "lesson": existing, "image_form": ImageForm()},
        status=status if form.errors else 200,
    )


@login_required
@require_POST
@refusals
def upload_image(request: HttpRequest) -> HttpResponse:
    """Upload a picture and get the Markdown line that shows it."""
    selectors.require_contributor(person(request))
    form = ImageForm(request.POST, request.FILES)
    image, status = None, 400
    if form.is_valid():
        image, status = run_action(
            form, actions.upload_image, actor=person(request), upload=form.cleaned_data["image"]
        )
    return render(
        request,
        "school/image.html",
        {"form": form, "image": image, "prefix": selectors.IMAGE_PREFIX},
        status=200 if image else status,
    )


@login_required
@require_http_methods(GET)
@refusals
def media(request: HttpRequest, name: str) -> HttpResponse:
    """A picture, by the hash of its bytes: the same name always means the same picture."""
    image = selectors.image_or_404(name)
    response = HttpResponse(bytes(image.data), content_type=image.content_type)
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _download(document: dict[str, Any], filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=1), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(GET)
@refusals
def export_course(request: HttpRequest, course_key: str) -> HttpResponse:
    found = selectors.course_or_404(person(request), course_key)
    return _download(exchange.course_document(found), f"course-{found.key}.json")


@login_required
@require_http_methods([*GET, "POST"])
@refusals
def import_file(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    selectors.require_contributor(viewer)
    form = ImportForm(posted(request), request.FILES or None)
    status = 400
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["document"]
        raw = upload.read(exchange.MAX_DOCUMENT_BYTES + 1)
        stored, status = run_action(form, _import, actor=viewer, raw=raw)
        if isinstance(stored, Course):
            messages.success(
                request, _("The course is imported. Read it, then publish it for members.")
            )
            return redirect("school:course", stored.key)
        if stored is not None:
            messages.success(request, _("The page is imported."))
            return redirect("school:page", stored.slug)
    return render(
        request, "school/import.html", {"form": form}, status=status if form.errors else 200
    )


def _import(*, actor: Any, raw: bytes) -> Any:
    return actions.import_document(actor=actor, document=exchange.read(raw))


# --- The knowledge base --------------------------------------------------------------------


@login_required
@require_http_methods(GET)
@refusals
def pages(request: HttpRequest) -> HttpResponse:
    viewer = person(request)
    return render(
        request,
        "school/pages.html",
        {"pages": selectors.pages(viewer), "editor": selectors.may_edit_pages(viewer)},
    )


@login_required
@require_http_methods(GET)
@refusals
def page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = person(request)
    found = selectors.page_or_404(viewer, slug)
    return render(
        request,
        "school/page.html",
        {
            "page": found,
            "editor": selectors.may_edit_pages(viewer),
            "too_large": found.shared and too_large_to_share("page", found.slug),
        },
    )


@login_required
@require_http_methods([*GET, "POST"])
@refusals
def page_form(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    viewer = person(request)
    selectors.require_page_editor(viewer)
    existing = selectors.page_or_404(viewer, slug) if slug else None
    if existing is None:
        form = PageForm(posted(request), initial={"language": _language(request)})
    else:
        form = PageForm(posted(request), page=existing)
    status = 400  # the form's own errors, unless the action answers otherwise
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved, status = run_action(
            form,
            actions.save_page,
            actor=viewer,
            slug=existing.slug if existing else data["slug"],
            language=data["language"],
            title=data["title"],
            body=data["body"],
            note=data["note"],
            base_revision=data["base_revision"] if existing else None,
        )
        if saved is not None:
            messages.success(request, _("The page is saved."))
            return redirect("school:page", saved.slug)
    return render(
        request,
        "school/page_form.html",
        {"form": form, "page": existing, "image_form": ImageForm()},
        status=status if form.errors else 200,
    )


@login_required
@require_http_methods(GET)
@refusals
def page_history(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.page_or_404(person(request), slug)
    return render(
        request, "school/history.html", {"page": found, "revisions": selectors.history(found)}
    )


@login_required
@require_http_methods(GET)
@refusals
def page_revision(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """One earlier version, and what changed from the one before it, line by line."""
    viewer = person(request)
    found = selectors.page_or_404(viewer, slug)
    revision = selectors.revision_or_404(found, number)
    earlier = found.revisions.filter(number=number - 1).first()
    before = earlier.body.splitlines() if earlier else []
    lines = [
        (line[0], line[2:])
        for line in difflib.ndiff(before, revision.body.splitlines())
        if line[0] in " +-"
    ]
    return render(
        request,
        "school/revision.html",
        {
            "page": found,
            "revision": revision,
            "lines": lines,
            "editor": selectors.may_edit_pages(viewer),
        },
    )


@login_required
@require_POST
@refusals
def revert_page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    viewer = person(request)
    found = selectors.page_or_404(viewer, slug)
    actions.revert_page(actor=viewer, page=found, number=number)
    messages.success(request, _("The page reads as version %(number)s again.") % {"number": number})
    return redirect("school:page", found.slug)


@login_required
@require_POST
@refusals
def share_page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = person(request)
    found = selectors.page_or_404(viewer, slug)
    actions.share_page(actor=viewer, page=found, shared=request.POST.get("shared") == "1")
    return redirect("school:page", found.slug)


@login_required
@require_http_methods(GET)
@refusals
def export_page(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.page_or_404(person(request), slug)
    return _download(exchange.page_document(found), f"page-{found.pk}.json")


# --- Search --------------------------------------------------------------------------------


@login_required
@require_http_methods(GET)
@refusals
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    try:
        number = max(1, min(int(request.GET.get("page", "1")), 50))
    except ValueError:
        number = 1
    found = selectors.find(
        person(request), query, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
    )
    query_terms = terms(query)
    results = [(item, snippet(item.text, query_terms)) for item in found[:PAGE_SIZE]]
    return render(
        request,
        "school/search.html",
        {
            "query": query,
            "results": results,
            "number": number,
            "start": (number - 1) * PAGE_SIZE + 1,
            "more": len(found) > PAGE_SIZE,
        },
    )
