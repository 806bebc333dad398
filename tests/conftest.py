"""Shared fixtures: a founded co-op and helpers that build members through the real actions."""

from __future__ import annotations

import base64
import itertools
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from taawun.accounts.actions import create_account
from taawun.accounts.models import User
from taawun.coop.actions import found_coop
from taawun.coop.models import Coop
from taawun.domain.policy import Policy, founding_policy
from taawun.federation.signatures import generate_actor_key, private_key_pem
from taawun.members import actions as members
from taawun.members.models import Application, Membership

# Helpers whose failed assertions should explain themselves, registered before any test
# module imports them.
pytest.register_assert_rewrite("tests.core.helpers", "tests.ledger.helpers")

PASSWORD = "correct horse battery staple 42"

TEST_CLASSES = [
    {
        "key": "worker",
        "name": {"ar": "عضو عامل", "en": "Worker member"},
        "share_price": "100.00",
        "shares_required": 2,
        "instalments": 4,
        "instalment_interval_days": 30,
        "votes": True,
        "works": True,
    },
    {
        "key": "user",
        "name": {"ar": "عضو مستخدم", "en": "User member"},
        "share_price": "25.00",
        "instalments": 1,
        "votes": True,
    },
    {
        "key": "supporter",
        "name": {"ar": "عضو داعم", "en": "Supporter member"},
        "share_price": "100.00",
        "instalments": 3,
        "votes": False,
    },
]


@pytest.fixture(autouse=True)
def empty_search_index(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that commits leaves the search index to the next one: Django empties only the
    tables of models, and the index is a table of its own."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        from taawun.school import search

        search.clear()


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Uploads go to the test's own directory, never the installation's media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


TEST_LOG_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(autouse=True)
def log_signing_key(settings: Any) -> str:
    """The log's heads are signed with a key of this test run, never one kept on disk."""
    settings.LOG_SIGNING_KEY = TEST_LOG_KEY
    return TEST_LOG_KEY


TEST_FEDERATION_KEY = private_key_pem(generate_actor_key())


@pytest.fixture(autouse=True)
def federation(settings: Any) -> None:
    """Requests to other co-ops are signed with a key of this test run; deliveries wait for the
    test to send them (``delivery.deliver_due``), never a background thread."""
    settings.FEDERATION_PRIVATE_KEY = TEST_FEDERATION_KEY
    settings.TAAWUN_BACKGROUND = "off"


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Rate limits and cached pages must not leak from one test into the next."""
    cache.clear()


@pytest.fixture
def policy() -> Policy:
    return founding_policy(currency="ILS", classes=TEST_CLASSES)


@pytest.fixture
def coop(db: None, policy: Policy) -> Coop:
    """A founded co-op: worker shares 2 at 100.00 ILS in 4 instalments; founder on the board."""
    return found_coop(
        name_ar="تعاونية الاختبار",
        name_en="Test Co-op",
        handle="test-coop",
        policy=policy,
        founder_email="founder@example.org",
        founder_name="سعاد الفلاحي",
        founder_password=PASSWORD,
        founder_class="worker",
        starter_lessons=False,  # the school's own tests install them
    )


@pytest.fixture
def founder(coop: Coop) -> User:
    return User.objects.get(email="founder@example.org")


_counter = itertools.count(1)


@pytest.fixture
def make_account(db: None) -> Callable[..., User]:
    def make(name: str = "", email: str = "") -> User:
        n = next(_counter)
        return create_account(
            email=email or f"person{n}@example.org",
            full_name=name or f"Person {n}",
            password=PASSWORD,
        )

    return make


@pytest.fixture
def make_applicant(coop: Coop, make_account: Callable[..., User]) -> Callable[..., Application]:
    def make(member_class: str = "worker", **account: str) -> Application:
        return members.apply_for_membership(
            actor=make_account(**account), member_class=member_class
        )

    return make


@pytest.fixture
def make_member(
    founder: User, make_applicant: Callable[..., Application]
) -> Callable[..., Membership]:
    """An approved member; ``paid`` instalments recorded as paid in cash."""

    def make(member_class: str = "worker", paid: int = 0, **account: str) -> Membership:
        application = make_applicant(member_class, **account)
        membership = members.approve_application(actor=founder, application_id=application.pk)
        for instalment in membership.instalments.order_by("number")[:paid]:
            members.record_instalment_payment(
                actor=founder, instalment_id=instalment.pk, method="cash"
            )
        return membership

    return make
