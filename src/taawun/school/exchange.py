"""The one document format a course or a page travels in: downloaded as a file, imported from
one, shipped as the starter lessons, and carried to sister co-ops over federation.

A document is JSON: the Markdown its authors wrote (never HTML, which each co-op renders and
sanitises itself) and its pictures, base64 under the names they are stored by (the hash of
their bytes, checked on arrival).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from taawun.domain.errors import InvalidInput, gettext_noop

from .models import Course, Image, Lesson, Page

FORMAT = "taawun.school/1"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]
ImageName = Annotated[str, Field(pattern=r"^[0-9a-f]{32}\.(webp|png|jpg)$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(Strict):
    ar: str = Field(default="", max_length=100_000)
    en: str = Field(default="", max_length=100_000)

    def get(self, language: str) -> str:
        return str(getattr(self, language))


class LessonDocument(Strict):
    key: Key
    title: Words
    body: Words
    quiz: Words = Words()


class CourseDocument(Strict):
    format: Literal["taawun.school/1"]
    kind: Literal["course"]
    key: Key
    title: Words
    summary: Words = Words()
    lessons: tuple[LessonDocument, ...] = Field(min_length=1, max_length=60)
    images: dict[ImageName, str] = Field(default_factory=dict, max_length=60)


class PageDocument(Strict):
    format: Literal["taawun.school/1"]
    kind: Literal["page"]
    slug: str = Field(min_length=1, max_length=80)
    language: Literal["ar", "en"]
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=100_000)
    images: dict[ImageName, str] = Field(default_factory=dict, max_length=60)


Document = CourseDocument | PageDocument


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read(raw: bytes) -> Document:
    """The document in ``raw``, or a clear refusal naming the first thing wrong with it."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            "file_too_large",
            gettext_noop("The file is larger than %(most)s MB."),
            most=str(MAX_DOCUMENT_BYTES // (1024 * 1024)),
        )
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InvalidInput(
            "not_a_document", gettext_noop("This file is not a lesson or page export.")
        ) from None
    return parsed(data)


def parsed(data: Any) -> Document:
    """``data`` checked against the format (a dict from a file or an activity)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidInput(
            "not_a_document", gettext_noop("This file is not a lesson or page export.")
        )
    model: type[CourseDocument] | type[PageDocument]
    model = CourseDocument if data.get("kind") == "course" else PageDocument
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(
            "bad_document",
            gettext_noop("The file's field %(field)s is not valid."),
            field=".".join(str(part) for part in first["loc"])[:80] or "-",
        ) from None


def image_bytes(name: str, encoded: str) -> bytes:
    """The picture named ``name``, refused unless its bytes hash to its name."""
    try:
        data = base64.b64decode(encoded, validate=True)
    except ValueError:
        data = b""
    if not data or image_name(data, name.rsplit(".", 1)[1]) != name:
        raise InvalidInput(
            "bad_image_data",
            gettext_noop("The picture %(name)s does not match its name."),
            name=name,
        )
    return data


def image_name(data: bytes, extension: str) -> str:
    return f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"


def _images(names: list[str]) -> dict[str, str]:
    stored = Image.objects.filter(name__in=names)
    return {image.name: base64.b64encode(bytes(image.data)).decode() for image in stored}


def course_document(course: Course) -> dict[str, Any]:
    from taawun.domain.markdown import image_names

    from .selectors import IMAGE_PREFIX

    lessons: list[Lesson] = list(course.lessons.all())
    names = [
        name
        for lesson in lessons
        for language in ("ar", "en")
        for name in image_names(lesson.text("body", language), image_prefix=IMAGE_PREFIX)
    ]
    return {
        "format": FORMAT,
        "kind": "course",
        "key": course.key,
        "title": {"ar": course.title_ar, "en": course.title_en},
        "summary": {"ar": course.summary_ar, "en": course.summary_en},
        "lessons": [
            {
                "key": lesson.key,
                "title": {"ar": lesson.title_ar, "en": lesson.title_en},
                "body": {"ar": lesson.body_ar, "en": lesson.body_en},
                "quiz": {"ar": lesson.quiz_ar, "en": lesson.quiz_en},
            }
            for lesson in lessons
        ],
        "images": _images(names),
    }


def page_document(page: Page) -> dict[str, Any]:
    from taawun.domain.markdown import image_names

    from .selectors import IMAGE_PREFIX

    return {
        "format": FORMAT,
        "kind": "page",
        "slug": page.slug,
        "language": page.language,
        "title": page.title,
        "body": page.body,
        "images": _images(image_names(page.body, image_prefix=IMAGE_PREFIX)),
    }
