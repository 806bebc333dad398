"""The school's pages through HTTP: both languages, the quiz by plain form, refusals as clear
pages, pictures served safely, hostile searches answered."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image as PillowImage

from taawun.accounts.models import User
from taawun.school.models import Attempt, Course, Image, Lesson, Page
from tests.core.conftest import fast_password_hashing  # noqa: F401  (autouse: quick sign-ins)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in() -> Callable[..., Client]:
    def sign_in(user: User, language: str = "en") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        client.cookies["django_language"] = language
        return client

    return sign_in


def test_the_school_in_arabic_lists_the_courses_with_progress(
    installed: Course, founder: User, signed_in: Callable[..., Client]
) -> None:
    page = signed_in(founder, "ar").get("/school/")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'dir="rtl"' in text
    assert installed.title_ar in text
    assert "اجتزت 0 من 5 دروس" in text


def test_taking_a_quiz_by_plain_form(
    lesson: Lesson, founder: User, signed_in: Callable[..., Client]
) -> None:
    client = signed_in(founder)
    url = "/school/courses/our-coop/lessons/one-vote/"
    shown = client.get(url)
    assert shown.status_code == 200
    assert "Each member has <strong>one vote</strong>." in shown.content.decode()
    wrong = client.post(url, {"in": "en", "q0": "0", "q1": "1"})
    assert wrong.status_code == 200
    assert "1 of 2 right." in wrong.content.decode()
    assert not Attempt.objects.filter(user=founder, passed=True).exists()
    right = client.post(url, {"in": "en", "q0": "1", "q1": "1"})
    assert "You passed this lesson." in right.content.decode()
    assert Attempt.objects.filter(user=founder, passed=True, language="en").count() == 1


def test_nonsense_answers_count_as_unanswered(
    lesson: Lesson, founder: User, signed_in: Callable[..., Client]
) -> None:
    response = signed_in(founder).post(
        "/school/courses/our-coop/lessons/one-vote/",
        {"in": "xx", "q0": "٣", "q1": "99999999999999999999"},
    )
    assert response.status_code == 200
    assert list(Attempt.objects.values_list("correct", "total", "passed")) == [(0, 2, False)]


def test_a_lesson_not_written_in_the_readers_language_shows_the_other(
    teacher: User, course: Course, founder: User, signed_in: Callable[..., Client]
) -> None:
    from taawun.school import actions

    actions.save_lesson(
        actor=teacher,
        course_key=course.key,
        key="arabic-only",
        text=actions.LessonText(title_ar="بالعربية فقط", body_ar="نص عربي."),
    )
    text = signed_in(founder, "en").get("/school/courses/our-coop/lessons/arabic-only/")
    body = text.content.decode()
    assert 'lang="ar" dir="rtl"' in body
    assert "This lesson is not written in your language yet." in body


def test_a_teacher_writes_a_lesson_and_a_bad_one_gets_its_reason(
    teacher: User, course: Course, signed_in: Callable[..., Client]
) -> None:
    client = signed_in(teacher)
    bad = client.post(
        "/school/courses/our-coop/new-lesson/",
        {"key": "evil", "title_en": "Evil", "body_en": "<iframe src=//x>"},
    )
    assert bad.status_code == 400
    assert "HTML is not allowed" in bad.content.decode()
    assert not Lesson.objects.filter(key="evil").exists()
    good = client.post(
        "/school/courses/our-coop/new-lesson/",
        {"key": "fees", "title_en": "Fees", "body_en": "The fee is *voted*."},
    )
    assert good.status_code == 302
    assert good["Location"] == "/school/courses/our-coop/lessons/fees/"


def test_members_cannot_reach_the_teachers_forms(
    course: Course, founder: User, signed_in: Callable[..., Client]
) -> None:
    client = signed_in(founder)  # the founder is board and admin, not a teacher
    assert client.get("/school/new-course/").status_code == 403
    assert client.post("/school/courses/our-coop/new-lesson/", {"key": "x"}).status_code == 403


def test_a_picture_is_uploaded_and_served_with_safe_headers(
    teacher: User, signed_in: Callable[..., Client]
) -> None:
    out = io.BytesIO()
    PillowImage.new("RGB", (30, 20), "white").save(out, "PNG")
    client = signed_in(teacher)
    response = client.post(
        "/school/images/", {"image": SimpleUploadedFile("a.png", out.getvalue())}
    )
    assert response.status_code == 200
    image = Image.objects.get()
    assert f"(/school/media/{image.name})" in response.content.decode()
    served = client.get(f"/school/media/{image.name}")
    assert served["Content-Type"] == "image/webp"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Cache-Control"] == "private, max-age=31536000, immutable"
    assert client.get("/school/media/nothing.webp").status_code == 404
    refused = client.post("/school/images/", {"image": SimpleUploadedFile("a.png", b"GIF89a")})
    assert refused.status_code == 400
    assert Image.objects.count() == 1


def test_the_knowledge_base_with_history_and_revert(
    founder: User, signed_in: Callable[..., Client]
) -> None:
    client = signed_in(founder)
    created = client.post(
        "/school/new-page/",
        {"slug": "keys", "language": "en", "title": "Office keys", "body": "Ask Rana."},
    )
    assert created.status_code == 302
    edited = client.post(
        "/school/pages/keys/edit/",
        {"language": "en", "title": "Office keys", "body": "Ask Khalil.", "base_revision": "1"},
    )
    assert edited.status_code == 302
    stale = client.post(
        "/school/pages/keys/edit/",
        {"language": "en", "title": "Office keys", "body": "Ask me.", "base_revision": "1"},
    )
    assert stale.status_code == 409
    assert "Someone else saved this" in stale.content.decode()
    diff = client.get("/school/pages/keys/history/2/").content.decode()
    assert "<del>- Ask Rana.</del>" in diff and "<ins>+ Ask Khalil.</ins>" in diff
    assert client.post("/school/pages/keys/history/1/revert/").status_code == 302
    page = Page.objects.get(slug="keys")
    assert (page.revision, page.body) == (3, "Ask Rana.")


def test_customers_are_refused_the_knowledge_base(
    founder: User, make_account: Callable[..., User], signed_in: Callable[..., Client]
) -> None:
    customer = make_account(name="Karim", email="karim@example.org")
    assert signed_in(customer).get("/school/pages/").status_code == 403
    assert signed_in(customer).get("/school/").status_code == 200


@pytest.mark.parametrize(
    "query", ['"', "*", "AND OR NOT", "NEAR(", "a:b", "'", "\\", "-x", "x" * 500, "٣٤ ـ"]
)
def test_any_search_is_answered(
    installed: Course, founder: User, signed_in: Callable[..., Client], query: str
) -> None:
    assert signed_in(founder).get("/school/search/", {"q": query, "page": "x"}).status_code == 200


def test_search_shows_the_passage_with_the_words_marked(
    installed: Course, founder: User, signed_in: Callable[..., Client]
) -> None:
    text = signed_in(founder, "en").get("/school/search/", {"q": "passkey"}).content.decode()
    assert "<mark>" in text
    assert "/school/courses/using-taawun/lessons/security/?in=en" in text


def test_an_exported_course_imports_through_the_page(
    teacher: User, lesson: Lesson, signed_in: Callable[..., Client]
) -> None:
    client = signed_in(teacher)
    exported = json.loads(client.get("/school/courses/our-coop/export.json").content)
    exported["key"] = "copy"
    upload = SimpleUploadedFile("copy.json", json.dumps(exported).encode())
    response = client.post("/school/import/", {"document": upload})
    assert response.status_code == 302
    assert Course.objects.get(key="copy").published is False
    bad = client.post("/school/import/", {"document": SimpleUploadedFile("x.json", b"{}")})
    assert bad.status_code == 400
    assert "not a lesson or page export" in bad.content.decode()
