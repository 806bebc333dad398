"""Every write of the school and the knowledge base: one recorded action each, all or nothing.

Markdown is checked before anything is saved (raw HTML, unsafe links and outside pictures are
refused with the reason, never silently dropped), rendered and sanitised once on saving, and
indexed for search in the same transaction, so the index never disagrees with the text.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from PIL import Image as PillowImage

from taawun.accounts.models import User
from taawun.coop.selectors import current_policy
from taawun.domain import markdown, quiz
from taawun.domain.errors import DomainError, InvalidInput, NotFound, gettext_noop
from taawun.domain.text import checked_text
from taawun.market.works.images import flattened, read_upload, trusted_image
from taawun.transparency.audit import record

from . import exchange, search, selectors
from .models import Attempt, Course, Image, Lesson, Origin, Page, Revision
from .selectors import IMAGE_PREFIX

LANGUAGES = ("ar", "en")
MAX_IMAGE_UPLOAD_BYTES = 8 * 1024 * 1024
IMAGE_LONG_SIDE = 1200  # wide enough for a laptop, small enough for a slow phone
IMAGE_QUALITY = 72
WORDS_PER_MINUTE = 180


def _version() -> int:
    return current_policy().number


# --- Courses and lessons -------------------------------------------------------------------


@transaction.atomic
def save_course(
    *,
    actor: User | None,
    key: str,
    title_ar: str,
    title_en: str,
    summary_ar: str = "",
    summary_en: str = "",
    published: bool = False,
    shared: bool = False,
    position: int = 0,
) -> Course:
    """Create the course ``key`` or change it. ``actor=None`` for the platform's own lessons."""
    if actor is not None:
        selectors.require_teacher(actor)
    key = _key(key)
    titles = {
        lang: checked_text(
            text,
            120,
            "bad_title",
            gettext_noop("A title is at most %(limit)s characters."),
            required=False,
        )
        for lang, text in (("ar", title_ar), ("en", title_en))
    }
    if not any(titles.values()):
        raise InvalidInput("no_title", gettext_noop("Give the course a title."))
    summaries = {
        lang: checked_text(
            text,
            400,
            "bad_summary",
            gettext_noop("A summary is at most %(limit)s characters."),
            required=False,
        )
        for lang, text in (("ar", summary_ar), ("en", summary_en))
    }
    course = Course.objects.select_for_update().filter(key=key).first()
    created = course is None
    if course is None:
        course = Course(key=key, author=actor)
    elif shared and course.origin != Origin.LOCAL:
        raise InvalidInput(
            "not_ours_to_share",
            gettext_noop("Only a course written here can be shared; this one came from elsewhere."),
        )
    was_published = course.published
    course.title_ar, course.title_en = titles["ar"], titles["en"]
    course.summary_ar, course.summary_en = summaries["ar"], summaries["en"]
    course.published, course.shared, course.position = bool(published), bool(shared), position
    course.save()
    if was_published != course.published:
        for lesson in course.lessons.all():
            _index_lesson(lesson, course)
    record(
        actor_id=actor.pk if actor else None,
        action="school.course_created" if created else "school.course_changed",
        subject_type="course",
        subject_id=course.key,
        policy_version=_version(),
        after={"published": course.published, "shared": course.shared},
    )
    return course


@dataclass(frozen=True, slots=True)
class LessonText:
    """A lesson's words in both languages as its author typed them."""

    title_ar: str = ""
    title_en: str = ""
    body_ar: str = ""
    body_en: str = ""
    quiz_ar: str = ""
    quiz_en: str = ""

    def get(self, field: str, language: str) -> str:
        return str(getattr(self, f"{field}_{language}"))


def _checked_lesson(text: LessonText) -> dict[str, Any]:
    """The lesson's fields ready to save (HTML rendered, minutes counted), or the refusal."""
    fields: dict[str, Any] = {}
    words = 0
    for lang in LANGUAGES:
        title = checked_text(
            text.get("title", lang),
            120,
            "bad_title",
            gettext_noop("A title is at most %(limit)s characters."),
            required=False,
        )
        body = text.get("body", lang).replace("\r\n", "\n").strip()
        quiz_text = text.get("quiz", lang).replace("\r\n", "\n").strip()
        if bool(title) != bool(body) or (quiz_text and not body):
            raise InvalidInput(
                "half_written",
                gettext_noop(
                    "Give each language a title and a text, or leave all of its fields empty."
                ),
            )
        html = markdown.render(body, image_prefix=IMAGE_PREFIX) if body else ""
        _images_exist(body)
        quiz.parse(quiz_text)  # refuses with the line at fault
        words = max(words, len(markdown.plain_text(body).split()))
        fields |= {f"title_{lang}": title, f"body_{lang}": body, f"quiz_{lang}": quiz_text}
        fields[f"html_{lang}"] = html
    if not any(fields[f"body_{lang}"] for lang in LANGUAGES):
        raise InvalidInput(
            "no_language", gettext_noop("Write the lesson in at least one language.")
        )
    fields["minutes"] = max(1, math.ceil(words / WORDS_PER_MINUTE))
    return fields


def _images_exist(body: str) -> None:
    names = markdown.image_names(body, image_prefix=IMAGE_PREFIX)
    known = set(Image.objects.filter(name__in=names).values_list("name", flat=True))
    for name in names:
        if name not in known:
            raise InvalidInput(
                "missing_image",
                gettext_noop("The picture %(name)s has not been uploaded here."),
                name=name,
            )


@transaction.atomic
def save_lesson(
    *,
    actor: User | None,
    course_key: str,
    key: str,
    text: LessonText,
    position: int | None = None,
    base_revision: int | None = None,
) -> Lesson:
    """Write a new lesson (``base_revision=None``) or change one, refusing a change made over
    someone else's newer edit."""
    if actor is not None:
        selectors.require_teacher(actor)
    course = Course.objects.select_for_update().filter(key=course_key).first()
    if course is None:
        raise NotFound("no_such_course", gettext_noop("There is no such course."))
    key = _key(key)
    fields = _checked_lesson(text)
    lesson = Lesson.objects.select_for_update().filter(course=course, key=key).first()
    if lesson is None:
        if base_revision is not None:
            raise NotFound("no_such_lesson", gettext_noop("There is no such lesson."))
        last = course.lessons.order_by("-position").values_list("position", flat=True).first()
        lesson = Lesson(course=course, key=key, position=(last or 0) + 1, revision=0)
    elif base_revision is not None and base_revision != lesson.revision:
        raise DomainError(
            "edit_conflict",
            gettext_noop(
                "Someone else saved this while you were editing. Open it again to see their "
                "version, then make your change."
            ),
        )
    elif base_revision is None and lesson.pk and actor is not None:
        raise DomainError(
            "lesson_exists", gettext_noop("This course already has a lesson with that key.")
        )
    for name, value in fields.items():
        setattr(lesson, name, value)
    if position is not None:
        lesson.position = position
    lesson.revision += 1
    lesson.save()
    _index_lesson(lesson, course)
    record(
        actor_id=actor.pk if actor else None,
        action="school.lesson_saved",
        subject_type="lesson",
        subject_id=lesson.pk,
        policy_version=_version(),
        after={"ref": lesson.ref, "revision": lesson.revision},
    )
    return lesson


def _index_lesson(lesson: Lesson, course: Course) -> None:
    for lang in LANGUAGES:
        kind = f"lesson.{lang}"
        body = lesson.text("body", lang)
        if course.published and body:
            search.index(
                kind,
                lesson.pk,
                language=lang,
                title=lesson.text("title", lang),
                body=markdown.plain_text(body),
            )
        else:
            search.forget(kind, lesson.pk)


@transaction.atomic
def reindex() -> int:
    """Rebuild the search index from the texts (after a restore: backups hold the texts, and
    the index is drawn from them). Returns how many entries it holds."""
    search.clear()
    for lesson in Lesson.objects.select_related("course"):
        _index_lesson(lesson, lesson.course)
    for page in Page.objects.all():
        _index_page(page)
    published = Lesson.objects.filter(course__published=True)
    return sum(len(lesson.languages()) for lesson in published) + Page.objects.count()


def answer_lesson(
    *, actor: User, lesson: Lesson, language: str, answers: Mapping[int, int]
) -> quiz.Grade:
    """Mark the reader's answers to the lesson's quiz in ``language`` (a lesson without a quiz
    is passed by reading it). The first pass is kept and recorded, since the Policy may ask for
    it before a role or a vote; a failed try is kept for the learner's own progress only."""
    if not actor.is_authenticated:
        raise DomainError("sign_in", gettext_noop("Sign in to keep your progress."))
    if language not in lesson.languages():
        raise InvalidInput("bad_language", gettext_noop("The lesson is not written in it."))
    questions = quiz.parse(lesson.text("quiz", language))
    pass_percent = current_policy().policy.school.pass_percent
    grade = quiz.grade(questions, answers, pass_percent=pass_percent)
    already = Attempt.objects.filter(user=actor, lesson=lesson, passed=True).exists()
    if already and grade.passed:
        return grade
    try:
        with transaction.atomic():
            Attempt.objects.create(
                user=actor,
                lesson=lesson,
                language=language,
                revision=lesson.revision,
                correct=grade.correct,
                total=grade.total,
                passed=grade.passed,
            )
            if grade.passed:
                record(
                    actor_id=actor.pk,
                    action="school.lesson_passed",
                    subject_type="lesson",
                    subject_id=lesson.pk,
                    policy_version=_version(),
                    after={"ref": lesson.ref, "revision": lesson.revision},
                )
    except IntegrityError:  # passed at the same moment in another tab: one pass is kept
        pass
    return grade


# --- Pictures ------------------------------------------------------------------------------


def upload_image(*, actor: User, upload: IO[bytes] | None) -> Image:
    """A picture for a lesson or page, re-encoded small as WebP with no metadata. Teachers and
    page editors may upload."""
    selectors.require_contributor(actor)
    data = read_upload(upload, limit=MAX_IMAGE_UPLOAD_BYTES)
    with trusted_image(data) as (opened, _type):
        frame = flattened(opened)
        frame.thumbnail((IMAGE_LONG_SIDE, IMAGE_LONG_SIDE), PillowImage.Resampling.LANCZOS)
        out = io.BytesIO()
        frame.save(out, "WEBP", quality=IMAGE_QUALITY, method=4)
    return _stored_image(out.getvalue(), "webp", actor=actor)


@transaction.atomic
def _stored_image(data: bytes, extension: str, *, actor: User | None) -> Image:
    name = exchange.image_name(data, extension)
    existing = Image.objects.filter(name=name).first()
    if existing is not None:
        return existing
    with trusted_image(data) as (opened, image_type):
        width, height = opened.size
    image = Image.objects.create(
        name=name,
        content_type=f"image/{image_type.value}",
        data=data,
        width=width,
        height=height,
        uploaded_by=actor,
    )
    record(
        actor_id=actor.pk if actor else None,
        action="school.image_added",
        subject_type="image",
        subject_id=name[:40],
        policy_version=_version(),
    )
    return image


# --- The knowledge base --------------------------------------------------------------------


def _slug(text: str) -> str:
    slug = slugify(text, allow_unicode=True)[:80].strip("-")
    if not slug:
        raise InvalidInput(
            "bad_slug", gettext_noop("Give the page an address of letters or digits.")
        )
    return slug


def _key(text: str) -> str:
    key = slugify(text).replace("_", "-")[:60].strip("-")
    if not key:
        raise InvalidInput(
            "bad_key", gettext_noop("A key is made of Latin letters, digits and hyphens.")
        )
    return key


@transaction.atomic
def save_page(
    *,
    actor: User | None,
    slug: str,
    language: str,
    title: str,
    body: str,
    note: str = "",
    base_revision: int | None = None,
    origin: str = Origin.LOCAL,
    source: str = "",
    source_name: str = "",
) -> Page:
    """Write a new page (``base_revision=None``) or a new version of one. A version saved over
    someone else's newer one is refused: both keep their words, nobody's edit is lost."""
    if actor is not None:
        selectors.require_page_editor(actor)
    if language not in LANGUAGES:
        raise InvalidInput("bad_language", gettext_noop("Choose Arabic or English."))
    slug = _slug(slug)
    title = checked_text(
        title, 120, "bad_title", gettext_noop("A title is at most %(limit)s characters.")
    )
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput("no_text", gettext_noop("Write the page's text."))
    html = markdown.render(body, image_prefix=IMAGE_PREFIX)
    _images_exist(body)
    note = checked_text(
        note,
        200,
        "bad_note",
        gettext_noop("Say what changed in at most %(limit)s characters."),
        required=False,
    )
    now = timezone.now()
    page = Page.objects.select_for_update().filter(slug=slug).first()
    if page is None:
        if base_revision is not None:
            raise NotFound("no_such_page", gettext_noop("There is no such page."))
        page = Page(slug=slug, revision=0, origin=origin, source=source, source_name=source_name)
    elif base_revision is None and actor is not None:
        raise DomainError("page_exists", gettext_noop("A page with this address already exists."))
    elif base_revision is not None and base_revision != page.revision:
        raise DomainError(
            "edit_conflict",
            gettext_noop(
                "Someone else saved this while you were editing. Open it again to see their "
                "version, then make your change."
            ),
        )
    elif page.title == title and page.body == body and page.language == language:
        raise DomainError("no_change", gettext_noop("Nothing was changed."))
    page.language, page.title, page.body, page.html = language, title, body, html
    page.revision += 1
    page.updated_at = now
    page.save()
    Revision.objects.create(
        page=page,
        number=page.revision,
        title=title,
        body=body,
        note=note,
        author=actor,
        created_at=now,
    )
    _index_page(page)
    record(
        actor_id=actor.pk if actor else None,
        action="school.page_saved",
        subject_type="page",
        subject_id=page.pk,
        policy_version=_version(),
        after={"slug": page.slug, "revision": page.revision},
    )
    return page


def _index_page(page: Page) -> None:
    search.index(
        "page",
        page.pk,
        language=page.language,
        title=page.title,
        body=markdown.plain_text(page.body),
    )


def revert_page(*, actor: User, page: Page, number: int) -> Page:
    """A new version with the words of version ``number`` (history only grows)."""
    old = selectors.revision_or_404(page, number)
    return save_page(
        actor=actor,
        slug=page.slug,
        language=page.language,
        title=old.title,
        body=old.body,
        note=gettext("Back to version %(number)s") % {"number": number},
        base_revision=page.revision,
    )


@transaction.atomic
def share_page(*, actor: User, page: Page, shared: bool) -> Page:
    selectors.require_page_editor(actor)
    page.shared = shared
    page.save(update_fields=["shared"])
    record(
        actor_id=actor.pk,
        action="school.page_shared" if shared else "school.page_unshared",
        subject_type="page",
        subject_id=page.pk,
        policy_version=_version(),
    )
    return page


# --- Documents: file import, the starter lessons, sister co-ops ----------------------------


@transaction.atomic
def import_document(
    *,
    actor: User | None,
    document: exchange.Document,
    origin: str = Origin.LOCAL,
    source: str = "",
    source_name: str = "",
) -> Course | Page:
    """Store a course or page from a document. A course arrives unpublished, for a teacher to
    read before members see it (the platform's own lessons arrive published); a course or page
    from elsewhere never overwrites one written here."""
    for name, encoded in document.images.items():
        _stored_image(exchange.image_bytes(name, encoded), name.rsplit(".", 1)[1], actor=actor)
    if isinstance(document, exchange.PageDocument):
        return _import_page(actor, document, origin, source, source_name)
    if actor is not None:
        selectors.require_teacher(actor)
    course = Course.objects.select_for_update().filter(key=document.key).first()
    if course is not None and (course.origin, course.source) != (origin, source):
        raise DomainError(
            "key_taken",
            gettext_noop("A course with the key %(key)s is already here."),
            key=document.key,
        )
    words = {
        "title_ar": document.title.ar,
        "title_en": document.title.en,
        "summary_ar": document.summary.ar,
        "summary_en": document.summary.en,
    }
    changed = course is None or any(getattr(course, k) != v.strip() for k, v in words.items())
    if course is None or changed:
        course = save_course(
            actor=None,
            key=document.key,
            published=course.published if course else origin == Origin.STARTER,
            shared=course.shared if course else False,
            position=course.position if course else 0,
            **words,
        )
        Course.objects.filter(pk=course.pk).update(
            origin=origin, source=source, source_name=source_name, author=course.author or actor
        )
        course.refresh_from_db()
    for position, lesson in enumerate(document.lessons, 1):
        text = LessonText(
            **{
                f"{field}_{lang}": getattr(lesson, field).get(lang)
                for field in ("title", "body", "quiz")
                for lang in LANGUAGES
            }
        )
        existing = course.lessons.filter(key=lesson.key).first()
        if existing is not None and existing.position == position and _unchanged(existing, text):
            continue
        save_lesson(actor=None, course_key=course.key, key=lesson.key, text=text, position=position)
        changed = True
    if changed:
        record(
            actor_id=actor.pk if actor else None,
            action="school.course_imported",
            subject_type="course",
            subject_id=course.key,
            policy_version=_version(),
            after={"origin": origin, "source": source[:200], "lessons": len(document.lessons)},
        )
    return course


def _unchanged(lesson: Lesson, text: LessonText) -> bool:
    return all(
        lesson.text(field, lang) == text.get(field, lang).replace("\r\n", "\n").strip()
        for field in ("title", "body", "quiz")
        for lang in LANGUAGES
    )


def _import_page(
    actor: User | None, document: exchange.PageDocument, origin: str, source: str, name: str
) -> Page:
    if actor is not None:
        selectors.require_page_editor(actor)
    page = Page.objects.filter(slug=_slug(document.slug)).first()
    if page is not None and (page.origin, page.source) != (origin, source):
        raise DomainError("page_exists", gettext_noop("A page with this address already exists."))
    if page is not None and (page.title, page.body) == (document.title, document.body.strip()):
        return page
    return save_page(
        actor=actor,
        slug=document.slug,
        language=document.language,
        title=document.title,
        body=document.body,
        note=name[:200],
        base_revision=page.revision if page else None,
        origin=origin,
        source=source,
        source_name=name,
    )
