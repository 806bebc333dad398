"""Template filters that pick a course's or lesson's words in the reader's language."""

from __future__ import annotations

from django import template

from taawun.school.models import Course, Lesson

register = template.Library()


@register.filter
def title_in(item: Course | Lesson, language: str) -> str:
    if isinstance(item, Lesson):
        return item.text("title", item.shown_language(language))
    return item.title(language)


@register.filter
def summary_in(course: Course, language: str) -> str:
    return course.summary(language)


@register.filter
def chosen(answers: dict[int, int], question: int) -> int | None:
    return answers.get(question)
