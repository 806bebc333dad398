"""The school's forms: plain HTML forms that work without JavaScript on a small screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taawun.domain import quiz

from .models import LANGUAGE_CHOICES, Course, Lesson, Page

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MARKDOWN_HELP = _(
    "Markdown: # heading, **bold**, *italic*, - list, [link](https://…), | tables |. HTML is "
    "not accepted. For a picture, upload it below and paste the line you are given."
)
QUIZ_HELP = _(
    "One question per block, blocks separated by an empty line: “? question”, then “+ right "
    "answer” once and “- wrong answer” for the others, and optionally “= why” shown after."
)


DIRECTIONS = {"ar": "rtl", "en": "ltr"}


def _area(rows: int, *, language: str = "") -> forms.Textarea:
    attrs: dict[str, Any] = {"rows": rows, "dir": DIRECTIONS.get(language, "auto")}
    if language:
        attrs["lang"] = language
    return forms.Textarea(attrs=attrs | {"spellcheck": "true"})


def _title(label: StrOrPromise, language: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"dir": DIRECTIONS[language], "lang": language}),
    )


def _markdown(label: StrOrPromise, language: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, widget=_area(14, language=language), help_text=MARKDOWN_HELP
    )


def _quiz(label: StrOrPromise, language: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, widget=_area(8, language=language), help_text=QUIZ_HELP
    )


class CourseForm(forms.Form):
    key = forms.SlugField(
        label=_("Key (Latin letters, digits, hyphens; used in addresses and rules)"),
        max_length=60,
    )
    title_ar = _title(_("Title in Arabic"), "ar")
    title_en = _title(_("Title in English"), "en")
    summary_ar = forms.CharField(
        label=_("Summary in Arabic"),
        max_length=400,
        required=False,
        widget=_area(3, language="ar"),
    )
    summary_en = forms.CharField(
        label=_("Summary in English"),
        max_length=400,
        required=False,
        widget=_area(3, language="en"),
    )
    published = forms.BooleanField(label=_("Published: members can see it"), required=False)
    shared = forms.BooleanField(label=_("Shared with sister co-ops"), required=False)
    position = forms.IntegerField(label=_("Place in the list"), min_value=0, initial=0)

    def __init__(self, *args: Any, course: Course | None = None, **kwargs: Any) -> None:
        if course is not None:
            kwargs.setdefault(
                "initial",
                {
                    name: getattr(course, name)
                    for name in (
                        "key",
                        "title_ar",
                        "title_en",
                        "summary_ar",
                        "summary_en",
                        "published",
                        "shared",
                        "position",
                    )
                },
            )
        super().__init__(*args, **kwargs)
        if course is not None:
            self.fields["key"].disabled = True


class LessonForm(forms.Form):
    key = forms.SlugField(label=_("Key (Latin letters, digits, hyphens)"), max_length=60)
    position = forms.IntegerField(label=_("Place in the course"), min_value=0, required=False)
    title_ar = _title(_("Title in Arabic"), "ar")
    body_ar = _markdown(_("Text in Arabic"), "ar")
    quiz_ar = _quiz(_("Quiz in Arabic"), "ar")
    title_en = _title(_("Title in English"), "en")
    body_en = _markdown(_("Text in English"), "en")
    quiz_en = _quiz(_("Quiz in English"), "en")
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, lesson: Lesson | None = None, **kwargs: Any) -> None:
        if lesson is not None:
            kwargs.setdefault(
                "initial",
                {
                    name: getattr(lesson, name)
                    for name in (
                        "key",
                        "position",
                        "title_ar",
                        "body_ar",
                        "quiz_ar",
                        "title_en",
                        "body_en",
                        "quiz_en",
                    )
                }
                | {"base_revision": lesson.revision},
            )
        super().__init__(*args, **kwargs)
        if lesson is not None:
            self.fields["key"].disabled = True


class PageForm(forms.Form):
    slug = forms.SlugField(
        label=_("Address (letters, digits, hyphens)"), max_length=80, allow_unicode=True
    )
    language = forms.ChoiceField(label=_("Written in"), choices=LANGUAGE_CHOICES)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), widget=_area(18), help_text=MARKDOWN_HELP)
    note = forms.CharField(
        label=_("What did you change? (optional)"), max_length=200, required=False
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, page: Page | None = None, **kwargs: Any) -> None:
        if page is not None:
            kwargs.setdefault(
                "initial",
                {
                    "slug": page.slug,
                    "language": page.language,
                    "title": page.title,
                    "body": page.body,
                    "base_revision": page.revision,
                },
            )
        super().__init__(*args, **kwargs)
        if page is not None:
            self.fields["slug"].disabled = True


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Picture (PNG, JPEG or WebP)"))


class ImportForm(forms.Form):
    document = forms.FileField(label=_("A course or page file (.json) exported from a co-op"))


def answers_from(data: Any, questions: quiz.Quiz) -> dict[int, int]:
    """The chosen answer of each question from a posted quiz (``q<i>`` → choice number); an
    unreadable or missing answer counts as none."""
    answers: dict[int, int] = {}
    for index in range(len(questions.questions)):
        value = str(data.get(f"q{index}", ""))
        if value.isascii() and value.isdigit() and len(value) < 3:
            answers[index] = int(value)
    return answers
