"""A member takes a shipped lesson in Arabic in a real browser: reads it right to left, fails
the quiz once, sees why, passes it, and finds it again offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from taawun.domain import quiz
from taawun.school import starter
from taawun.school.models import Attempt, Lesson
from tests.core.conftest import fast_password_hashing  # noqa: F401  (autouse: quick sign-ins)

from ..conftest import PASSWORD
from .conftest import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_takes_a_lesson_in_arabic_and_passes_its_quiz(
    browser: Any, live_server: Any, founder: Any, csp_violations: list[str], shots: Path
) -> None:
    starter.install()
    lesson = Lesson.objects.get(course__key="using-taawun", key="votes")
    questions = quiz.parse(lesson.quiz_ar).questions
    base = live_server.url

    context = browser.new_context(locale="ar")
    context.add_cookies([{"name": "django_language", "value": "ar", "url": base}])
    page = context.new_page()
    watch(page, csp_violations)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "founder@example.org")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/accounts/login/'] button[type=submit]")

    page.goto(f"{base}/school/")
    assert page.get_attribute("html", "dir") == "rtl"
    page.click(f"text={lesson.course.title_ar}")
    page.click(f"text={lesson.title_ar}")
    assert page.inner_text("h1") == lesson.title_ar
    assert page.get_attribute("article", "dir") == "rtl"

    # First try: every answer wrong.
    for index, question in enumerate(questions):
        wrong = next(i for i in range(len(question.choices)) if i != question.answer)
        page.check(f"#q{index}-{wrong}")
    with page.expect_navigation():
        page.click("section.quiz button[type=submit]")
    assert f"0 من {len(questions)}" in page.inner_text("[role=status]")
    assert questions[0].explanation in page.inner_text("section.quiz")
    assert not Attempt.objects.filter(passed=True).exists()

    # Second try: every answer right.
    for index, question in enumerate(questions):
        page.check(f"#q{index}-{question.answer}")
    with page.expect_navigation():
        page.click("section.quiz button[type=submit]")
    assert "اجتزت هذا الدرس" in page.inner_text("[role=status]")
    page.screenshot(path=str(shots / "school-lesson-ar.png"), full_page=True)
    assert list(Attempt.objects.values_list("language", "passed").order_by("pk")) == [
        ("ar", False),
        ("ar", True),
    ]

    # Opened once, the lesson is there without a connection.
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(page.url)  # a GET through the worker keeps it
    context.set_offline(True)
    page.reload()
    assert page.inner_text("h1") == lesson.title_ar
    context.set_offline(False)
    assert csp_violations == []
    context.close()
