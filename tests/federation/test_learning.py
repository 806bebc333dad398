"""Courses and knowledge-base pages shared with sister co-ops: what we send our followers (and
only when something changed), what we store of theirs (only from co-ops we follow, only their
own, checked again on arrival), and two real servers passing a course and a page between them.

Our side is made through the school's real actions; the other side's activities are written
here as a sister co-op's server would send them."""

from __future__ import annotations

import base64
import io
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image as Pillow

from taawun.coop.models import Coop
from taawun.domain.errors import InvalidInput
from taawun.federation import delivery, inbox, learning, selectors
from taawun.federation import vocabulary as vocab
from taawun.federation.models import Delivery, Outbound, Peer, PublishedLearning, Received
from taawun.federation.signatures import generate_actor_key, public_key_pem, sign_cavage
from taawun.school import actions as school
from taawun.school import exchange
from taawun.school.models import Course, Image, Lesson, Origin, Page

from .conftest import make_peer
from .network import Instance, running, wait_for

SITE = "http://testserver"
THEM = "https://makers.example"
KEY = generate_actor_key()
QUIZ = "? Which number calls an ambulance?\n- 100\n+ 101\n- 102\n= 101 is the ambulance."


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.SITE_URL = SITE


def png(colour: tuple[int, int, int] = (200, 30, 30), side: int = 4) -> bytes:
    out = io.BytesIO()
    Pillow.new("RGB", (side, side), colour).save(out, "PNG")
    return out.getvalue()


def noise(side: int) -> bytes:
    """Random pixels: they do not compress, so the PNG holds over 3 bytes a pixel."""
    out = io.BytesIO()
    Pillow.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def picture(data: bytes) -> tuple[str, str]:
    """(name, base64) of a picture as documents carry it."""
    return exchange.image_name(data, "png"), base64.b64encode(data).decode()


def course_document(
    key: str = "first-aid", *, body_en: str = "Keep calm and call for help.", image: bytes = b""
) -> dict[str, Any]:
    images = dict([picture(image)]) if image else {}
    shown = "".join(f"\n\n![The kit](/school/media/{name})" for name in images)
    return {
        "format": exchange.FORMAT,
        "kind": "course",
        "key": key,
        "title": {"ar": "الإسعافات الأولية", "en": "First aid"},
        "summary": {"ar": "ما تفعله قبل وصول الإسعاف.", "en": "What to do before help comes."},
        "lessons": [
            {
                "key": "calling",
                "title": {"ar": "طلب المساعدة", "en": "Calling for help"},
                "body": {"ar": "حافظ على هدوئك واطلب المساعدة.", "en": body_en + shown},
                "quiz": {"ar": "", "en": QUIZ},
            },
            {
                "key": "the-kit",
                "title": {"en": "The kit"},
                "body": {"en": "Gloves, bandages, a **clean** cloth."},
            },
        ],
        "images": images,
    }


def page_document(
    slug: str = "tool-loans", *, body: str = "Sign the book when you borrow a tool."
) -> dict[str, Any]:
    return {
        "format": exchange.FORMAT,
        "kind": "page",
        "slug": slug,
        "language": "en",
        "title": "Lending tools",
        "body": body,
    }


def article(document: dict[str, Any], *, host: str = THEM, named: str = "") -> dict[str, Any]:
    """The Article a sister co-op's server makes of ``document``."""
    key = named or document.get("key") or document["slug"]
    return {
        "id": f"{host}/ap/learning/{document['kind']}/{quote(key, safe='')}",
        "type": "Article",
        "attributedTo": f"{host}/ap/actor",
        "name": "-",
        "content": "<p>-</p>",
        "mediaType": "text/html",
        "taawun:school": document,
    }


def activity(kind: str, obj: Any, *, actor: str = f"{THEM}/ap/actor") -> dict[str, Any]:
    return {
        "id": f"{actor.removesuffix('/ap/actor')}/ap/activities/{uuid.uuid4()}",
        "type": kind,
        "actor": actor,
        "object": obj,
    }


def receive(peer: Peer, kind: str, obj: Any) -> str:
    new, outcome = inbox.receive(peer, activity(kind, obj, actor=peer.actor_id))
    assert new
    return outcome


def nothing_stored() -> bool:
    return not (Course.objects.exists() or Lesson.objects.exists() or Image.objects.exists())


def our_course(key: str = "first-aid", *, shared: bool = True, **document: Any) -> Course:
    """A course written here (through the import a teacher's file takes), published."""
    imported = school.import_document(
        actor=None, document=exchange.parsed(course_document(key, **document))
    )
    assert isinstance(imported, Course)
    return publish(imported, shared=shared)


def publish(course: Course, *, shared: bool, published: bool = True) -> Course:
    return school.save_course(
        actor=None,
        key=course.key,
        title_ar=course.title_ar,
        title_en=course.title_en,
        summary_ar=course.summary_ar,
        summary_en=course.summary_en,
        published=published,
        shared=shared,
    )


def our_page(slug: str = "tool-loans", *, shared: bool = True, **document: Any) -> Page:
    """A page written here (through a file's import), shared or not."""
    imported = school.import_document(
        actor=None, document=exchange.parsed(page_document(slug, **document))
    )
    Page.objects.filter(pk=imported.pk).update(shared=shared)
    return Page.objects.get(pk=imported.pk)


def sent() -> set[tuple[str, str, str]]:
    """(activity, object type, object id) of everything we queued."""
    return {
        (o.kind, o.payload["object"]["type"], o.payload["object"]["id"])
        for o in Outbound.objects.all()
    }


# --- What we send ----------------------------------------------------------------------------


def test_a_shared_course_goes_to_followers_as_an_article(makers: Peer) -> None:
    course = our_course(image=png())
    name, _ = picture(png())

    assert learning.publish_learning() == 1

    (outbound,) = Outbound.objects.all()
    assert outbound.kind == "Create"
    assert outbound.payload["@context"] == learning.CONTEXT
    assert outbound.payload["to"] == [makers.actor_id]
    assert outbound.payload["object"] == {
        "id": f"{SITE}/ap/learning/course/first-aid",
        "type": "Article",
        "attributedTo": f"{SITE}/ap/actor",
        "name": "الإسعافات الأولية",
        "nameMap": {"ar": "الإسعافات الأولية", "en": "First aid"},
        "content": "<p>ما تفعله قبل وصول الإسعاف.</p>"
        "<ol><li>طلب المساعدة</li><li>The kit</li></ol>",
        "contentMap": {
            "ar": "<p>ما تفعله قبل وصول الإسعاف.</p><ol><li>طلب المساعدة</li><li>The kit</li></ol>",
            "en": "<p>What to do before help comes.</p>"
            "<ol><li>Calling for help</li><li>The kit</li></ol>",
        },
        "mediaType": "text/html",
        "taawun:school": exchange.course_document(course),
    }
    assert list(outbound.payload["object"]["taawun:school"]["images"]) == [name]
    assert list(Delivery.objects.values_list("inbox", flat=True)) == [makers.inbox]
    row = PublishedLearning.objects.get()
    assert (row.kind, row.key, row.object_id, row.withdrawn, row.too_large) == (
        "course",
        "first-aid",
        f"{SITE}/ap/learning/course/first-aid",
        False,
        False,
    )


def test_a_shared_page_carries_its_markdown_as_source(makers: Peer) -> None:
    page = our_page(body="Sign the **book** when you borrow a tool.")

    assert learning.publish_learning() == 1

    sent_article = Outbound.objects.get().payload["object"]
    assert sent_article["name"] == "Lending tools"
    assert sent_article["content"] == page.html
    assert sent_article["source"] == {
        "content": "Sign the **book** when you borrow a tool.",
        "mediaType": "text/markdown",
    }
    assert sent_article["taawun:school"] == exchange.page_document(page)


def test_nothing_is_sent_twice_and_only_changes_follow(makers: Peer) -> None:
    course = our_course()
    assert learning.publish_learning() == 1

    assert learning.publish_learning() == 0  # nothing changed
    publish(course, shared=True)  # saved again as it was: its rows change, its words do not
    assert learning.publish_learning() == 0
    assert Outbound.objects.count() == 1

    school.save_lesson(
        actor=None,
        course_key="first-aid",
        key="the-kit",
        text=school.LessonText(title_en="The kit", body_en="Gloves and bandages."),
        base_revision=Lesson.objects.get(key="the-kit").revision,
    )
    assert learning.publish_learning() == 1
    lessons = Outbound.objects.get(kind="Update").payload["object"]["taawun:school"]["lessons"]
    assert lessons[1]["body"] == {"ar": "", "en": "Gloves and bandages."}


def test_unsharing_sends_a_delete_and_sharing_again_a_create(makers: Peer) -> None:
    course = our_course()
    page = our_page()
    assert learning.publish_learning() == 2

    publish(course, shared=True, published=False)  # unpublished: no longer shared
    Page.objects.filter(pk=page.pk).update(shared=False)
    assert learning.publish_learning() == 2
    assert learning.publish_learning() == 0
    course_id, page_id = (
        f"{SITE}/ap/learning/course/first-aid",
        f"{SITE}/ap/learning/page/tool-loans",
    )
    assert sent() == {
        ("Create", "Article", course_id),
        ("Create", "Article", page_id),
        ("Delete", "Tombstone", course_id),
        ("Delete", "Tombstone", page_id),
    }
    assert set(PublishedLearning.objects.values_list("withdrawn", flat=True)) == {True}

    publish(course, shared=True)
    assert learning.publish_learning() == 1
    assert Outbound.objects.filter(kind="Create", payload__object__id=course_id).count() == 2


def test_without_followers_nothing_is_sent_and_a_new_follower_is_welcomed(coop: Coop) -> None:
    our_course()
    assert learning.publish_learning() == 0
    assert not Outbound.objects.exists()

    follower = make_peer("Hebron Weavers", "weavers.example", follows_us=False)
    follow = {
        "id": "https://weavers.example/ap/activities/follow-1",
        "type": "Follow",
        "actor": follower.actor_id,
        "object": f"{SITE}/ap/actor",
    }
    assert inbox.receive(follower, follow) == (True, "accepted")
    assert sent() == {
        ("Accept", "Follow", follow["id"]),
        ("Create", "Article", f"{SITE}/ap/learning/course/first-aid"),
    }


def test_servers_that_are_not_taawun_get_the_article_without_the_document(coop: Coop) -> None:
    make_peer("Sister", "sister.example")
    make_peer("Blog", "blog.example", taawun=False, following="no")
    our_page()

    assert learning.publish_learning() == 1

    by_reader = {tuple(o.payload["to"]): o.payload for o in Outbound.objects.all()}
    ours = by_reader[("https://sister.example/ap/actor",)]
    theirs = by_reader[("https://blog.example/ap/actor",)]
    assert "taawun:school" in ours["object"]
    assert theirs["object"] == {k: v for k, v in ours["object"].items() if k != "taawun:school"}
    assert theirs["@context"] == vocab.CONTEXT


def test_a_document_too_large_for_an_inbox_is_not_sent_and_says_so(makers: Peer) -> None:
    big = noise(700)
    name, encoded = picture(big)
    school.import_document(
        actor=None,
        document=exchange.parsed(
            {
                **page_document(body=f"The map:\n\n![map](/school/media/{name})"),
                "images": {name: encoded},
            }
        ),
    )
    Page.objects.update(shared=True)

    assert learning.publish_learning() == 0
    assert not Outbound.objects.exists()
    row = PublishedLearning.objects.get()
    assert row.too_large is True and row.size > 1_000_000 and row.digest == ""
    assert selectors.too_large_to_share("page", "tool-loans") is True
    measured_at = row.updated_at
    assert learning.publish_learning() == 0
    row.refresh_from_db()
    assert row.updated_at == measured_at  # not built and measured again until it changes
    Page.objects.update(shared=False)
    assert learning.publish_learning() == 0  # never sent, so there is nothing to delete
    assert not Outbound.objects.exists()

    Page.objects.update(shared=True)  # shared again, and made small enough
    page = Page.objects.get()
    school.save_page(
        actor=None,
        slug=page.slug,
        language="en",
        title=page.title,
        body="The map is on the notice board.",
        base_revision=page.revision,
    )
    assert learning.publish_learning() == 1
    assert sent() == {("Create", "Article", f"{SITE}/ap/learning/page/tool-loans")}
    assert selectors.too_large_to_share("page", "tool-loans") is False


def test_the_background_round_publishes_shared_lessons(
    makers: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "deliver_due", lambda: None)  # nothing leaves the test
    our_course()

    delivery.run_once()

    assert ("Create", "Article", f"{SITE}/ap/learning/course/first-aid") in sent()


def test_the_article_is_served_while_it_is_shared(coop: Coop) -> None:
    course = our_course()
    page = our_page("إعارة-الأدوات")
    client = Client()

    found = client.get("/ap/learning/course/first-aid")
    assert found.status_code == 200
    assert found.json() == {"@context": learning.CONTEXT, **learning.course_article(course)}
    path = f"/ap/learning/page/{quote(page.slug, safe='')}"
    served = client.get(path)
    assert served.status_code == 200
    assert served.json()["id"] == SITE + path

    Page.objects.update(shared=False)
    publish(course, shared=False)
    assert client.get("/ap/learning/course/first-aid").status_code == 404
    assert client.get(path).status_code == 404
    assert client.get("/ap/learning/lesson/first-aid").status_code == 404


# --- What we receive -------------------------------------------------------------------------


def test_a_course_from_a_followed_coop_arrives_unpublished_with_its_lessons(
    makers: Peer,
) -> None:
    image = png((20, 120, 40))
    name, _ = picture(image)

    assert receive(makers, "Create", article(course_document(image=image))) == "course_stored"

    course = Course.objects.get()
    assert (course.key, course.title_en, course.origin, course.published, course.shared) == (
        "first-aid",
        "First aid",
        Origin.SISTER,
        False,
        False,
    )
    assert (course.source, course.source_name) == (makers.actor_id, "Bethlehem Makers")
    assert [
        (lesson.key, lesson.title_en, lesson.body_en, lesson.quiz_en)
        for lesson in course.lessons.all()
    ] == [
        (
            "calling",
            "Calling for help",
            f"Keep calm and call for help.\n\n![The kit](/school/media/{name})",
            QUIZ,
        ),
        ("the-kit", "The kit", "Gloves, bandages, a **clean** cloth.", ""),
    ]
    assert bytes(Image.objects.get(name=name).data) == image
    assert Received.objects.get().outcome == "course_stored"


def test_a_page_from_a_followed_coop_is_stored_with_its_source(makers: Peer) -> None:
    assert receive(makers, "Create", article(page_document())) == "page_stored"

    page = Page.objects.get()
    assert (page.slug, page.title, page.body, page.origin, page.source, page.revision) == (
        "tool-loans",
        "Lending tools",
        "Sign the book when you borrow a tool.",
        Origin.SISTER,
        makers.actor_id,
        1,
    )


def test_nothing_is_stored_from_a_coop_we_do_not_follow(coop: Coop) -> None:
    stranger = make_peer("Stranger", "stranger.example", following=Peer.Following.NO)
    document = course_document(image=png())

    outcome = receive(stranger, "Create", article(document, host="https://stranger.example"))

    assert outcome == "not_followed"
    assert nothing_stored()


def test_unsafe_markdown_is_refused_whole_and_answered_without_error(makers: Peer) -> None:
    """Through the real inbox: a signed delivery gets its 202 with the refusal as the outcome,
    and nothing of the course (not even its picture) is kept."""
    Peer.objects.filter(pk=makers.pk).update(public_key_pem=public_key_pem(KEY.public_key()))
    document = course_document(image=png(), body_en="Call <script>alert(1)</script> now.")
    sent_activity = activity("Create", article(document))
    body = json.dumps(sent_activity).encode()
    headers = sign_cavage(
        method="POST",
        url=f"{SITE}/ap/inbox",
        body=body,
        key_id=makers.key_id,
        private_key=KEY,
        now=timezone.now(),
        headers={"Content-Type": "application/activity+json"},
    )
    response = Client().post(
        "/ap/inbox", body, content_type="application/activity+json", headers=headers
    )

    assert (response.status_code, response.json()) == (
        202,
        {"outcome": "html_not_allowed", "new": True},
    )
    assert Received.objects.get().outcome == "html_not_allowed"
    assert nothing_stored()


def test_a_picture_that_does_not_match_its_name_is_refused(makers: Peer) -> None:
    document = course_document(image=png())
    (name,) = document["images"]
    document["images"][name] = base64.b64encode(png((0, 0, 255))).decode()

    assert receive(makers, "Create", article(document)) == "bad_image_data"
    assert nothing_stored()


def test_a_document_that_is_not_valid_is_refused(makers: Peer) -> None:
    document = {**course_document(), "lessons": []}

    assert receive(makers, "Create", article(document)) == "bad_document"
    assert nothing_stored()


def test_an_update_changes_the_text(makers: Peer) -> None:
    receive(makers, "Create", article(course_document()))
    calling = Lesson.objects.get(key="calling")

    changed = course_document(body_en="Stay calm, then call 101.")
    assert receive(makers, "Update", article(changed)) == "course_stored"

    calling.refresh_from_db()
    assert calling.body_en == "Stay calm, then call 101."
    assert calling.revision == 2
    assert Lesson.objects.get(key="the-kit").revision == 1  # unchanged, not saved again
    assert Course.objects.get().published is False


def test_a_key_taken_by_our_own_course_is_refused_and_ours_is_unchanged(makers: Peer) -> None:
    ours = our_course(body_en="Our own words.")
    before = list(Lesson.objects.values_list("key", "body_en", "revision"))

    outcome = receive(makers, "Create", article(course_document(body_en="Their words.")))

    assert outcome == "key_taken"
    course = Course.objects.get()
    assert (course.pk, course.origin, course.source, course.published) == (
        ours.pk,
        Origin.LOCAL,
        "",
        True,
    )
    assert list(Lesson.objects.values_list("key", "body_en", "revision")) == before


def test_a_page_address_taken_here_is_refused(makers: Peer) -> None:
    ours = our_page(shared=False)

    assert receive(makers, "Create", article(page_document(body="Theirs."))) == "page_exists"

    page = Page.objects.get()
    assert (page.pk, page.body, page.origin, page.revision) == (
        ours.pk,
        "Sign the book when you borrow a tool.",
        Origin.LOCAL,
        1,
    )


def test_another_coops_course_cannot_be_overwritten(makers: Peer) -> None:
    receive(makers, "Create", article(course_document(body_en="The makers' words.")))
    other = make_peer("Other", "other.example")
    other_article = article(course_document(body_en="Not theirs."), host="https://other.example")

    assert receive(other, "Update", other_article) == "key_taken"
    assert Lesson.objects.get(key="calling").body_en == "The makers' words."


@pytest.mark.parametrize(
    "obj",
    [
        article(course_document(), host="https://elsewhere.example"),  # not the sender's
        article(course_document(), named="another-course"),  # its id names another course
        {**article(course_document()), "id": f"{THEM}/ap/notes/1"},  # not a learning id
    ],
    ids=["another-host", "another-key", "not-a-learning-id"],
)
def test_an_article_that_is_not_the_senders_own_is_refused_whole(
    makers: Peer, obj: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput) as refused:
        inbox.receive(makers, activity("Create", obj))

    assert refused.value.code == "bad_activity"
    assert nothing_stored() and not Received.objects.exists()


def test_a_delete_unpublishes_their_course_and_keeps_their_page(makers: Peer) -> None:
    receive(makers, "Create", article(course_document()))
    receive(makers, "Create", article(page_document()))
    publish(Course.objects.get(), shared=False)  # our teacher read it and published it

    course_id = f"{THEM}/ap/learning/course/first-aid"
    page_id = f"{THEM}/ap/learning/page/tool-loans"
    stranger = make_peer("Other", "other.example")
    assert receive(stranger, "Delete", course_id) == "ignored"  # not its id
    elsewhere = "https://other.example/ap/learning/course/first-aid"
    assert receive(makers, "Delete", elsewhere) == "ignored"  # an id on another host
    assert Course.objects.get().published is True

    assert receive(makers, "Delete", {"id": course_id, "type": "Tombstone"}) == "course_withdrawn"
    assert receive(makers, "Delete", page_id) == "page_withdrawn"
    assert receive(makers, "Delete", f"{THEM}/ap/learning/course/unknown") == "ignored"

    course = Course.objects.get()
    assert (course.published, course.lessons.count()) == (False, 2)
    assert Page.objects.get().body == "Sign the book when you borrow a tool."


# --- Two real co-ops ---------------------------------------------------------------------------

SHARE = """
import base64, io, json
from PIL import Image
from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.coop.selectors import current_policy
from taawun.school import actions, exchange

teacher = User.objects.get(email__startswith="founder@")
grant_role(actor=None, user=teacher, role=Role.TEACHER, policy_version=current_policy().number)
out = io.BytesIO()
Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
data = out.getvalue()
name = exchange.image_name(data, "png")
course = actions.import_document(actor=teacher, document=exchange.parsed({
    "format": exchange.FORMAT, "kind": "course", "key": "water-safety",
    "title": {"ar": "سلامة المياه", "en": "Water safety"},
    "lessons": [
        {"key": "storing", "title": {"en": "Storing water"},
         "body": {"en": f"Keep tanks covered.\\n\\n![a tank](/school/media/{name})"}},
        {"key": "testing", "title": {"en": "Testing water"},
         "body": {"en": "Test the water every month."}},
    ],
    "images": {name: base64.b64encode(data).decode()},
}))
actions.save_course(actor=teacher, key=course.key, title_ar=course.title_ar,
    title_en=course.title_en, published=True, shared=True)
page = actions.save_page(actor=teacher, slug="site-first-aid-kit", language="en",
    title="The first-aid kit", body="The kit is **behind the door**.")
actions.share_page(actor=teacher, page=page, shared=True)
print(json.dumps({"image": name}))
"""
CHANGE = """
from taawun.school import actions
from taawun.school.models import Lesson
actions.save_lesson(actor=None, course_key="water-safety", key="testing",
    text=actions.LessonText(title_en="Testing water", body_en="Test it every week."),
    base_revision=Lesson.objects.get(key="testing").revision)
"""
STORED = """
import json
from taawun.school.models import Course, Image, Page
course = Course.objects.filter(key="water-safety").first()
page = Page.objects.filter(slug="site-first-aid-kit").first()
print(json.dumps({
    "course": course and {
        "origin": course.origin, "source": course.source, "published": course.published,
        "title": course.title_en,
        "lessons": [[l.key, l.title_en, l.body_en] for l in course.lessons.all()],
    },
    "images": sorted(Image.objects.values_list("name", flat=True)),
    "page": page and [page.title, page.body, page.origin, page.source],
}))
"""


@pytest.fixture(scope="module")
def sisters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    with running(tmp_path_factory.mktemp("learning"), "hebron", "tubas") as (hebron, tubas):
        yield hebron, tubas


def last_json(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


@pytest.mark.network
def test_a_shared_course_and_page_reach_a_sister_coop(sisters: tuple[Instance, Instance]) -> None:
    hebron, tubas = sisters
    status, peer = hebron.api("POST", "/federation/follow", {"address": tubas.address})
    assert status == 200, peer

    def followed() -> bool:
        _, peers = hebron.api("GET", "/federation/peers")
        return any(p["following"] == "accepted" for p in peers)

    wait_for(followed, what="the follow's acceptance")
    image = last_json(tubas.shell(SHARE))["image"]
    # The board's button (the background round would send them within its 30 seconds).
    status, _ = tubas.api("POST", "/federation/offers/publish")
    assert status == 200

    def arrived() -> dict[str, Any] | None:
        found: dict[str, Any] = last_json(hebron.shell(STORED))
        return found if found["course"] and found["page"] else None

    stored = wait_for(arrived, timeout=60, what="the course and the page at Hebron")
    from_tubas = f"{tubas.url}/ap/actor"
    assert stored["course"] == {
        "origin": "sister",
        "source": from_tubas,
        "published": False,
        "title": "Water safety",
        "lessons": [
            [
                "storing",
                "Storing water",
                f"Keep tanks covered.\n\n![a tank](/school/media/{image})",
            ],
            ["testing", "Testing water", "Test the water every month."],
        ],
    }
    assert image in stored["images"]
    assert stored["page"] == [
        "The first-aid kit",
        "The kit is **behind the door**.",
        "sister",
        from_tubas,
    ]

    tubas.shell(CHANGE)
    status, _ = tubas.api("POST", "/federation/offers/publish")
    assert status == 200
    wait_for(
        lambda: last_json(hebron.shell(STORED))["course"]["lessons"][1][2] == "Test it every week.",
        timeout=60,
        what="the changed lesson at Hebron",
    )
