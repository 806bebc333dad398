"""The knowledge base: pages with their whole history, edits that never overwrite each other,
who reads and who writes, and search that follows the current words."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from taawun.accounts.models import User
from taawun.coop.actions import adopt_policy
from taawun.coop.selectors import current_policy
from taawun.domain.errors import DomainError, InvalidInput, NotAllowed
from taawun.domain.policy import parse
from taawun.members.models import Membership
from taawun.school import actions, search, selectors
from taawun.school.models import Page, Revision
from tests.core.helpers import actions_since, last_seq, unchanged

pytestmark = pytest.mark.django_db

STEPS = "## الخطوات\n\n1. اقرأ الطلب.\n2. أكّد الموعد."


@pytest.fixture
def page(founder: User) -> Page:
    return actions.save_page(
        actor=founder, slug="استقبال حجز", language="ar", title="استقبال الحجز", body=STEPS
    )


def test_a_page_is_stored_with_its_first_version(page: Page, founder: User) -> None:
    assert page.slug == "استقبال-حجز"
    assert page.revision == 1
    assert page.html == (
        "<h3>الخطوات</h3>\n<ol>\n<li>اقرأ الطلب.</li>\n<li>أكّد الموعد.</li>\n</ol>\n"
    )
    assert list(page.revisions.values_list("number", "title", "author")) == [
        (1, "استقبال الحجز", founder.pk)
    ]


def test_each_edit_is_a_new_version_and_a_revert_is_one_more(page: Page, founder: User) -> None:
    seq = last_seq()
    actions.save_page(
        actor=founder,
        slug=page.slug,
        language="ar",
        title="استقبال الحجز",
        body=STEPS + "\n3. صل مبكراً.",
        note="أضفت خطوة",
        base_revision=1,
    )
    page.refresh_from_db()
    reverted = actions.revert_page(actor=founder, page=page, number=1)
    assert (reverted.revision, reverted.body) == (3, STEPS)
    assert list(Revision.objects.filter(page=page).values_list("number", flat=True)) == [3, 2, 1]
    assert actions_since(seq) == ["school.page_saved", "school.page_saved"]


def test_an_edit_over_a_newer_one_is_refused_and_both_words_survive(
    page: Page, founder: User, make_member: Callable[..., Membership]
) -> None:
    other = make_member("worker", name="Khalil", email="khalil@example.org").user
    actions.save_page(
        actor=other, slug=page.slug, language="ar", title=page.title, body="أولاً", base_revision=1
    )
    with unchanged(), pytest.raises(DomainError) as refusal:
        actions.save_page(
            actor=founder,
            slug=page.slug,
            language="ar",
            title=page.title,
            body="ثانياً",
            base_revision=1,
        )
    assert refusal.value.code == "edit_conflict"
    page.refresh_from_db()
    assert (page.revision, page.body) == (2, "أولاً")


def test_saving_the_same_words_is_refused(page: Page, founder: User) -> None:
    with unchanged(), pytest.raises(DomainError) as refusal:
        actions.save_page(
            actor=founder,
            slug=page.slug,
            language="ar",
            title=page.title,
            body=STEPS,
            base_revision=1,
        )
    assert refusal.value.code == "no_change"


def test_a_new_page_at_a_used_address_is_refused(page: Page, founder: User) -> None:
    with unchanged(), pytest.raises(DomainError) as refusal:
        actions.save_page(
            actor=founder, slug=page.slug, language="en", title="Other", body="Other."
        )
    assert refusal.value.code == "page_exists"


def test_malicious_markdown_in_a_page_is_refused(founder: User) -> None:
    with unchanged(), pytest.raises(InvalidInput) as refusal:
        actions.save_page(
            actor=founder,
            slug="evil",
            language="en",
            title="Evil",
            body='<img src=x onerror="alert(1)">',
        )
    assert refusal.value.code == "html_not_allowed"


def test_members_read_and_edit_customers_do_neither(
    page: Page, make_account: Callable[..., User]
) -> None:
    customer = make_account(name="Karim", email="karim@example.org")
    with pytest.raises(NotAllowed):
        selectors.pages(customer)
    with unchanged(), pytest.raises(NotAllowed):
        actions.save_page(actor=customer, slug="mine", language="en", title="Mine", body="x")


def test_the_policy_may_keep_editing_to_teachers(
    page: Page, founder: User, make_member: Callable[..., Membership]
) -> None:
    document = current_policy().policy.to_document()
    document["school"]["page_editors"] = "teachers"
    adopt_policy(actor=founder, policy=parse(document), reason="test")
    member = make_member("worker", name="Omar", email="omar@example.org").user
    assert selectors.may_read_pages(member)
    assert not selectors.may_edit_pages(member)
    with unchanged(), pytest.raises(NotAllowed):
        actions.save_page(
            actor=member, slug=page.slug, language="ar", title="x", body="y", base_revision=1
        )


def test_search_follows_the_current_words_with_arabic_spelling_forgiven(
    page: Page, founder: User
) -> None:
    assert [hit.ref for hit in search.search("اكد الموعد", kinds=["page"])] == [page.pk]
    actions.save_page(
        actor=founder,
        slug=page.slug,
        language="ar",
        title="استقبال الحجز",
        body="\n\n".join(["## الخطوات", "اتصل بالزبون."]),
        base_revision=1,
    )
    assert search.search("الموعد", kinds=["page"]) == []
    assert [hit.ref for hit in search.search("بالزبون", kinds=["page"])] == [page.pk]
