"""Courses and pages as files: downloaded here, imported there, checked again on arrival; and
the shipped lessons, which travel in the same format."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve
from PIL import Image as PillowImage

from taawun.accounts.models import User
from taawun.domain import markdown, quiz
from taawun.domain.errors import DomainError, InvalidInput
from taawun.school import actions, exchange, starter
from taawun.school.models import Course, Image, Lesson, Page
from taawun.school.selectors import IMAGE_PREFIX
from tests.core.helpers import unchanged

pytestmark = pytest.mark.django_db


def _png(width: int = 2400, height: int = 1600) -> bytes:
    out = io.BytesIO()
    PillowImage.new("RGB", (width, height), (10, 92, 67)).save(out, "PNG")
    return out.getvalue()


def _renamed(document: dict[str, Any], key: str) -> bytes:
    return json.dumps(document | {"key": key}).encode()


def test_a_picture_is_made_small_and_named_by_its_bytes(teacher: User) -> None:
    image = actions.upload_image(actor=teacher, upload=SimpleUploadedFile("a.png", _png()))
    assert (image.width, image.height, image.content_type) == (1200, 800, "image/webp")
    assert image.name == exchange.image_name(bytes(image.data), "webp")
    again = actions.upload_image(actor=teacher, upload=SimpleUploadedFile("b.png", _png()))
    assert again.pk == image.pk


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"<svg onload=alert(1)>", "not_an_image"),
        (_png()[:200], "damaged_image"),
        (b"\x89PNG" + b"\0" * (8 * 1024 * 1024), "file_too_large"),
    ],
)
def test_a_bad_or_oversized_picture_is_refused(teacher: User, data: bytes, code: str) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refusal:
        actions.upload_image(actor=teacher, upload=SimpleUploadedFile("x.png", data))
    assert refusal.value.code == code


def test_a_course_travels_as_a_file_with_its_pictures(
    teacher: User, course: Course, lesson: Lesson
) -> None:
    picture = actions.upload_image(actor=teacher, upload=SimpleUploadedFile("a.png", _png()))
    actions.save_lesson(
        actor=teacher,
        course_key=course.key,
        key="picture",
        text=actions.LessonText(
            title_en="A picture", body_en=f"![Our office]({IMAGE_PREFIX}{picture.name})"
        ),
    )
    document = exchange.course_document(course)
    assert list(document["images"]) == [picture.name]
    Image.objects.all().delete()
    copy = actions.import_document(
        actor=teacher, document=exchange.read(_renamed(document, "their-coop"))
    )
    assert isinstance(copy, Course)
    assert (copy.key, copy.published, copy.title_en) == ("their-coop", False, "Our co-op")
    assert list(copy.lessons.values_list("key", "body_en")) == [
        ("one-vote", lesson.body_en),
        ("picture", f"![Our office]({IMAGE_PREFIX}{picture.name})"),
    ]
    assert bytes(Image.objects.get(name=picture.name).data) == bytes(picture.data)


def test_a_course_from_elsewhere_never_overwrites_ours(teacher: User, lesson: Lesson) -> None:
    document = exchange.course_document(lesson.course)
    document["lessons"][0]["body"]["en"] = "Replaced."
    with unchanged(), pytest.raises(DomainError) as refusal:
        actions.import_document(
            actor=None, document=exchange.parsed(document), origin="sister", source="https://x"
        )
    assert refusal.value.code == "key_taken"


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (
            lambda d: d["lessons"][0]["body"].update(en="<script>alert(1)</script>"),
            "html_not_allowed",
        ),
        (lambda d: d["lessons"][0]["body"].update(en="[x](javascript:alert(1))"), "bad_link"),
        (
            lambda d: d["lessons"][0].update(quiz={"en": "? Only\n- wrong\n- wrong"}),
            "quiz_no_answer",
        ),
        (
            lambda d: d.update(images={"0" * 32 + ".webp": base64.b64encode(_png(4, 4)).decode()}),
            "bad_image_data",
        ),
        (lambda d: d.update(format="other/1"), "not_a_document"),
        (lambda d: d.update(lessons=[]), "bad_document"),
        (lambda d: d.update(extra=1), "bad_document"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_written(
    teacher: User, lesson: Lesson, mangle: Any, code: str
) -> None:
    document = exchange.course_document(lesson.course) | {"key": "imported"}
    mangle(document)
    with unchanged(), pytest.raises(InvalidInput) as refusal:
        actions.import_document(
            actor=teacher, document=exchange.read(json.dumps(document).encode())
        )
    assert refusal.value.code == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"not json", "not_a_document"),
        (b"[" * 100_000, "not_a_document"),
        (b'{"format": "taawun.school/1", "kind": "page", "slug": NaN}', "not_a_document"),
        (b" " * (exchange.MAX_DOCUMENT_BYTES + 1), "file_too_large"),
    ],
)
def test_a_file_that_is_no_document_is_refused(raw: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        exchange.read(raw)
    assert refusal.value.code == code


def test_a_page_travels_as_a_file(founder: User) -> None:
    page = actions.save_page(
        actor=founder, slug="complaints", language="en", title="Complaints", body="Listen first."
    )
    document = exchange.page_document(page) | {"slug": "their-complaints"}
    copy = actions.import_document(actor=founder, document=exchange.parsed(document))
    assert isinstance(copy, Page)
    assert (copy.slug, copy.title, copy.body, copy.revision) == (
        "their-complaints",
        "Complaints",
        "Listen first.",
        1,
    )


def test_every_shipped_lesson_is_safe_its_quiz_reads_and_its_links_lead_somewhere() -> None:
    (course,) = starter.course_documents()
    assert course.key == "using-taawun"
    for lesson in course.lessons:
        for language in ("ar", "en"):
            body = lesson.body.get(language)
            markdown.check(body, image_prefix=IMAGE_PREFIX)
            questions = quiz.parse(lesson.quiz.get(language))
            assert 3 <= len(questions.questions) <= 5, (lesson.key, language)
            for link in _links(body):
                try:
                    resolve(link.split("?")[0].split("#")[0])
                except Resolver404:
                    pytest.fail(f"{lesson.key}.{language} links to {link}, which is no page")
        answers = [
            [q.answer for q in quiz.parse(lesson.quiz.get(language)).questions]
            for language in ("ar", "en")
        ]
        assert answers[0] == answers[1], lesson.key


def _links(body: str) -> list[str]:
    import re

    return [m for m in re.findall(r"\]\((/[^)\s]*)\)", body)]
