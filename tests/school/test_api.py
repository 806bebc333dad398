"""/api/school through HTTP with a personal token: progress, a lesson's quiz without its
answers, answering, search, and the knowledge base only for those who read it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from taawun.accounts.models import User
from taawun.apikeys.actions import create_token
from taawun.school import actions
from taawun.school.models import Attempt, Course, Lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def call() -> Callable[..., Any]:
    def call(user: User, method: str, path: str, **body: Any) -> Any:
        _token, raw = create_token(actor=user, name="phone")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}
        client = Client()
        if method == "get":
            return client.get(path, body, **auth)
        return client.post(path, body, content_type="application/json", **auth)

    return call


def test_courses_with_progress_and_a_lesson_without_its_answers(
    lesson: Lesson, founder: User, call: Callable[..., Any]
) -> None:
    assert call(founder, "get", "/api/school/courses").json() == [
        {
            "key": "our-coop",
            "title_ar": "تعاونيتنا",
            "title_en": "Our co-op",
            "summary_ar": "",
            "summary_en": "How we decide.",
            "published": True,
            "origin": "local",
            "lessons": 1,
            "passed": 0,
        }
    ]
    shown = call(founder, "get", "/api/school/courses/our-coop/lessons/one-vote").json()
    assert shown["language"] == "en"
    assert shown["questions"] == [
        {
            "prompt": "How many votes does each member have?",
            "choices": ["One per share", "One", "One per year of membership"],
        },
        {
            "prompt": "Who sets the co-op fee?",
            "choices": ["The board alone", "The members, by a vote"],
        },
    ]
    arabic = call(founder, "get", "/api/school/courses/our-coop/lessons/one-vote?language=ar")
    assert arabic.json()["title"] == "صوت واحد"


def test_answering_marks_each_question_and_keeps_the_pass(
    lesson: Lesson, founder: User, call: Callable[..., Any]
) -> None:
    path = "/api/school/courses/our-coop/lessons/one-vote/answers"
    graded = call(founder, "post", path, language="en", answers=[1, None]).json()
    assert graded == {
        "correct": 1,
        "total": 2,
        "percent": 50,
        "passed": False,
        "marks": [
            {
                "question": 0,
                "chosen": 1,
                "correct": True,
                "answer": 1,
                "explanation": "One member, one vote, whatever their capital.",
            },
            {
                "question": 1,
                "chosen": None,
                "correct": False,
                "answer": 1,
                "explanation": "Every rule the platform applies is the members' decision.",
            },
        ],
    }
    assert call(founder, "post", path, language="en", answers=[1, 1]).json()["passed"] is True
    assert Attempt.objects.filter(user=founder, passed=True).count() == 1
    bad = call(founder, "post", path, language="fr", answers=[1])
    assert bad.status_code == 422
    assert Attempt.objects.count() == 2


def test_search_and_pages_follow_who_may_read(
    installed: Course,
    founder: User,
    make_account: Callable[..., User],
    call: Callable[..., Any],
) -> None:
    actions.save_page(
        actor=founder, slug="keys", language="en", title="Office keys", body="Ask Rana."
    )
    found = call(founder, "get", "/api/school/search", q="office keys").json()
    assert [(hit["kind"], hit["title"], hit["passage"]) for hit in found] == [
        ("page", "Office keys", "Ask Rana.")
    ]
    assert found[0]["url"] == "http://testserver/school/pages/keys/"
    page = call(founder, "get", "/api/school/pages/keys").json()
    assert (page["revision"], page["body"], page["html"]) == (1, "Ask Rana.", "<p>Ask Rana.</p>\n")
    customer = make_account(name="Karim", email="karim@example.org")
    assert call(customer, "get", "/api/school/search", q="office keys").json() == []
    assert call(customer, "get", "/api/school/pages").status_code == 403
    assert call(customer, "get", "/api/school/courses").status_code == 200
