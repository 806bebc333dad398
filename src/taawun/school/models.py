"""The co-op school: courses of short lessons with quizzes, members' progress, and the
knowledge base's pages with their whole history.

Texts are kept as the Markdown their authors wrote, next to the sanitised HTML rendered from it
when saved (pages are read far more often than written). Lessons carry both languages side by
side; a page is written in one language. Nothing here is ever deleted: a course is unpublished,
a page's earlier words stay in its revisions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

LANGUAGE_CHOICES = [("ar", _("Arabic")), ("en", _("English"))]


class Origin(models.TextChoices):
    LOCAL = "local", _("written here")
    STARTER = "starter", _("shipped with the platform")
    SISTER = "sister", _("from a sister co-op")


class Course(models.Model):
    """A learning path: lessons taken in order."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    title_ar = models.CharField(_("title (Arabic)"), max_length=120, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)
    summary_ar = models.TextField(_("summary (Arabic)"), max_length=400, blank=True)
    summary_en = models.TextField(_("summary (English)"), max_length=400, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.LOCAL)
    source = models.CharField(_("from"), max_length=500, blank=True)  # the sister co-op's actor
    source_name = models.CharField(max_length=200, blank=True)
    published = models.BooleanField(_("published"), default=False)
    shared = models.BooleanField(_("shared with sister co-ops"), default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.key

    def title(self, language: str) -> str:
        return (self.title_ar, self.title_en)[language != "ar"] or self.title_en or self.title_ar

    def summary(self, language: str) -> str:
        return (
            (self.summary_ar, self.summary_en)[language != "ar"]
            or self.summary_en
            or (self.summary_ar)
        )


class Lesson(models.Model):
    """One short lesson in both languages (at least one written), with an optional quiz per
    language. ``revision`` counts edits, so a pass records which words it was earned on."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="lessons")
    key = models.SlugField(_("key"), max_length=60)
    position = models.PositiveIntegerField(default=0)
    title_ar = models.CharField(_("title (Arabic)"), max_length=120, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)
    body_ar = models.TextField(_("text (Arabic)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    quiz_ar = models.TextField(_("quiz (Arabic)"), blank=True)
    quiz_en = models.TextField(_("quiz (English)"), blank=True)
    html_ar = models.TextField(blank=True, editable=False)
    html_en = models.TextField(blank=True, editable=False)
    minutes = models.PositiveSmallIntegerField(default=1)
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "position", "pk"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="one_lesson_key_per_course"),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        """How the Policy names this lesson: ``course/lesson``."""
        return f"{self.course.key}/{self.key}"

    def languages(self) -> list[str]:
        return [lang for lang in ("ar", "en") if getattr(self, f"body_{lang}")]

    def shown_language(self, wanted: str) -> str:
        """The reader's language when the lesson is written in it, the other one otherwise."""
        written = self.languages()
        return wanted if wanted in written or not written else written[0]

    def text(self, field: str, language: str) -> str:
        return str(getattr(self, f"{field}_{language}"))


class Attempt(models.Model):
    """One answered quiz (or, for a lesson without one, "I have read it"). A member may pass a
    lesson once; later tries are practice and are not kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lesson_attempts"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="attempts")
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES)
    revision = models.PositiveIntegerField()
    correct = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson"],
                condition=models.Q(passed=True),
                name="one_pass_per_lesson",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id} · {self.correct}/{self.total}"


class Image(models.Model):
    """A picture for lessons and pages, re-encoded small for slow phones and named by the
    hash of its bytes, so a name never changes meaning and can be cached for ever."""

    name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self) -> str:
        return self.name


class Page(models.Model):
    """A knowledge-base page as it reads now; every earlier version is a ``Revision``."""

    slug = models.SlugField(_("address"), max_length=80, unique=True, allow_unicode=True)
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    html = models.TextField(editable=False)
    revision = models.PositiveIntegerField(default=1)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.LOCAL)
    source = models.CharField(_("from"), max_length=500, blank=True)
    source_name = models.CharField(max_length=200, blank=True)
    shared = models.BooleanField(_("shared with sister co-ops"), default=False)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("knowledge-base page")
        verbose_name_plural = _("knowledge-base pages")

    def __str__(self) -> str:
        return self.slug


class Revision(models.Model):
    """One saved version of a page, kept for ever: the history members read and revert to."""

    page = models.ForeignKey(Page, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    body = models.TextField()
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["page", "-number"]
        verbose_name = _("page revision")
        verbose_name_plural = _("page revisions")
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="one_revision_number"),
        ]

    def __str__(self) -> str:
        return f"{self.page_id} · {self.number}"
