"""The school shared with sister co-ops: our shared courses and knowledge-base pages go to our
followers as ActivityStreams ``Article``s, and theirs are stored here for our teachers to read.

An Article carries what any server can show (its title, sanitised HTML, and for a page the
Markdown as ``source``) and, under ``taawun:school``, the whole exchange document: the one
format a course or page also travels in as a file. Only that document is ever stored on
arrival, and it goes through the same import as a file, which checks everything again (unsafe
Markdown and pictures that do not match their names are refused).

A course is shared while it is published and marked shared; a page while it is marked shared.
Its id is ``/ap/learning/<kind>/<key>``: a ``Delete`` names only the id, so the receiver reads
the kind and key from it (and checks on arrival that an Article's id names its own document).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from html import escape
from typing import Any, TypeGuard
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from taawun.accounts.models import Role, User
from taawun.accounts.selectors import require_role
from taawun.coop.selectors import current_policy
from taawun.domain.canonical import canonical_bytes
from taawun.school import actions as school
from taawun.school import exchange
from taawun.school.models import Course, Origin, Page
from taawun.transparency.audit import record

from . import actions
from . import vocabulary as vocab
from .models import Peer, PublishedLearning

SCHOOL = "taawun:school"
# The document is a JSON literal to JSON-LD: its own fields are not ActivityStreams terms.
CONTEXT: list[Any] = [*vocab.CONTEXT, {SCHOOL: {"@id": SCHOOL, "@type": "@json"}}]
Kind = PublishedLearning.Kind


def object_id(kind: str, key: str) -> str:
    return vocab.url(f"learning/{kind}/{quote(key, safe='')}")


def named(object_id: str) -> tuple[str, str] | None:
    """(kind, key) of a learning id, ``…/learning/<kind>/<key>``; None for any other id."""
    parts = urlsplit(object_id).path.split("/")
    if len(parts) < 3 or parts[-3] != "learning" or parts[-2] not in Kind.values:
        return None
    key = unquote(parts[-1])
    return (parts[-2], key) if key else None


# --- The Articles we publish ---------------------------------------------------------------


def _article(
    kind: str,
    key: str,
    names: dict[str, str],
    contents: dict[str, str],
    document: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    first = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in names else next(iter(names))
    return {
        "id": object_id(kind, key),
        "type": "Article",
        "attributedTo": vocab.actor_id(),
        "name": names[first],
        "nameMap": names,
        "content": contents[first],
        "contentMap": contents,
        "mediaType": "text/html",
        **extra,
        SCHOOL: document,
    }


def course_article(course: Course) -> dict[str, Any]:
    """A course as an Article: for servers that are not Taawun, its summary and the titles of
    its lessons, in each language it is titled in."""
    lessons = list(course.lessons.all())
    languages = [lang for lang in ("ar", "en") if getattr(course, f"title_{lang}")]
    contents = {}
    for lang in languages:
        summary = course.summary(lang)
        titles = "".join(
            f"<li>{escape(lesson.text('title', lesson.shown_language(lang)))}</li>"
            for lesson in lessons
        )
        contents[lang] = (f"<p>{escape(summary)}</p>" if summary else "") + f"<ol>{titles}</ol>"
    return _article(
        Kind.COURSE,
        course.key,
        {lang: course.title(lang) for lang in languages},
        contents,
        exchange.course_document(course),
    )


def page_article(page: Page) -> dict[str, Any]:
    return _article(
        Kind.PAGE,
        page.slug,
        {page.language: page.title},
        {page.language: page.html},
        exchange.page_document(page),
        source={"content": page.body, "mediaType": "text/markdown"},
    )


def _shared_courses() -> QuerySet[Course]:
    """Published, shared, and with a lesson (a document holds at least one)."""
    return (
        Course.objects.filter(published=True, shared=True)
        .annotate(lesson_count=Count("lessons"), last_edit=Max("lessons__updated_at"))
        .filter(lesson_count__gt=0)
    )


def shared_article(kind: str, key: str) -> dict[str, Any] | None:
    """The Article of a course or page while it is shared; None otherwise."""
    if kind == Kind.COURSE:
        course = _shared_courses().filter(key=key).first()
        return course_article(course) if course else None
    if kind == Kind.PAGE:
        page = Page.objects.filter(shared=True, slug=key).first()
        return page_article(page) if page else None
    return None


@dataclass(frozen=True)
class _Shared:
    """One shared item: ``stamp`` changes whenever its rows do, and the Article is built (its
    pictures read and encoded) only when asked."""

    kind: str
    key: str
    stamp: str
    article: Callable[[], dict[str, Any]]


def _stamp(course: Any) -> str:
    """The course's own row and its lessons' (annotated by ``_shared_courses``): an edit to
    either, or a lesson added, changes it."""
    return f"{course.updated_at.isoformat()} {course.last_edit.isoformat()} {course.lesson_count}"


def _shared() -> Iterator[_Shared]:
    for course in _shared_courses():
        yield _Shared(Kind.COURSE, course.key, _stamp(course), partial(course_article, course))
    for page in Page.objects.filter(shared=True):
        yield _Shared(Kind.PAGE, page.slug, str(page.revision), partial(page_article, page))


def _digest(article: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(article)).hexdigest()


def activity_size(article: dict[str, Any], peers: list[Peer]) -> int:
    """Bytes of the activity carrying ``article`` to ``peers``, as delivery encodes it."""
    payload = vocab.activity(
        "Update",
        vocab.url(f"activities/{uuid.UUID(int=0)}"),
        article,
        to=[peer.actor_id for peer in peers],
    )
    payload["@context"] = CONTEXT
    return len(json.dumps(payload, ensure_ascii=False).encode())


def _fits(size: int) -> bool:
    from .protocol import MAX_ACTIVITY_BYTES  # protocol imports the inbox, which imports us

    return size <= MAX_ACTIVITY_BYTES


def _send(kind: str, article: dict[str, Any], peers: list[Peer]) -> None:
    """Sister co-ops get the document; other servers only what they can show."""
    ours = [peer for peer in peers if peer.taawun]
    others = [peer for peer in peers if not peer.taawun]
    if ours:
        actions.send(kind, article, ours, **{"@context": CONTEXT})
    if others:
        actions.send(kind, {k: v for k, v in article.items() if k != SCHOOL}, others)


@transaction.atomic
def publish_learning(*, actor: User | None = None) -> int:
    """Tell followers of every course and page shared, changed or withdrawn since we last told
    them (board, or the background round). Returns how many items were announced."""
    if actor is not None:
        require_role(actor, Role.BOARD)
    followers = list(Peer.objects.filter(follows_us=True))
    known = {(row.kind, row.key): row for row in PublishedLearning.objects.select_for_update()}
    now = timezone.now()
    sent = 0
    still_shared = set()
    for item in _shared():
        still_shared.add((item.kind, item.key))
        row = known.get((item.kind, item.key))
        if row is not None and row.stamp == item.stamp and not row.withdrawn:
            continue
        sent += _publish(item, row, followers, now)
    for (kind, key), row in known.items():
        if (kind, key) in still_shared or row.withdrawn:
            continue
        if row.digest and followers:
            actions.send("Delete", {"id": row.object_id, "type": "Tombstone"}, followers)
            sent += 1
        row.withdrawn, row.digest, row.stamp, row.too_large = True, "", "", False
        row.updated_at = now
        row.save(update_fields=["withdrawn", "digest", "stamp", "too_large", "updated_at"])
    if sent:
        record(
            actor_id=actor.pk if actor else None,
            action="federation.learning_published",
            subject_type="coop",
            subject_id=1,
            policy_version=current_policy().number,
            after={"activities": sent},
        )
    return sent


def _publish(
    item: _Shared, row: PublishedLearning | None, followers: list[Peer], now: dt.datetime
) -> int:
    """Announce one shared item if it changed and fits in an inbox; 1 if it was announced."""
    article = item.article()
    if row is None:
        row = PublishedLearning(kind=item.kind, key=item.key, object_id=article["id"])
    digest = _digest(article)
    row.size = activity_size(article, followers)
    row.too_large = not _fits(row.size)
    row.stamp, row.withdrawn, row.updated_at = item.stamp, False, now
    announced = 0
    if not row.too_large and digest != row.digest:
        if followers:
            _send("Update" if row.digest else "Create", article, followers)
            announced = 1
        row.digest = digest
    row.save()
    return announced


def welcome(peer: Peer) -> None:
    """A new follower gets every course and page we share now."""
    for item in _shared():
        article = item.article()
        if _fits(activity_size(article, [peer])):
            _send("Create", article, [peer])


# --- Sister co-ops' Articles ---------------------------------------------------------------


def carries_document(obj: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(obj, dict) and "Article" in vocab.types(obj) and SCHOOL in obj


def take(peer: Peer, article: dict[str, Any]) -> str:
    """Store a sister co-op's shared course or page: only its own, only from a co-op we follow.
    A course arrives unpublished for our teachers; what the import refuses is the outcome."""
    found = vocab.owned_by(article, peer.actor_id)
    if peer.following != Peer.Following.ACCEPTED:
        return "not_followed"
    document = exchange.parsed(article[SCHOOL])
    key = document.key if isinstance(document, exchange.CourseDocument) else document.slug
    if named(found) != (document.kind, key):
        raise vocab.bad("the id of the course or page")
    school.import_document(
        actor=None,
        document=document,
        origin=Origin.SISTER,
        source=peer.actor_id,
        source_name=str(peer)[:200],
    )
    return f"{document.kind}_stored"


def withdraw(peer: Peer, found: str) -> str:
    """The sister co-op stopped sharing a course or page of its own. The course is unpublished
    here (our members stop seeing it; a teacher may publish it again); a page stays as it is,
    since our members may have built on it, and only the outcome is kept."""
    item = named(found) if vocab.same_host(found, peer.actor_id) else None
    if item is None:
        return "ignored"
    kind, key = item
    if kind == Kind.PAGE:
        ours = Page.objects.filter(slug=key, origin=Origin.SISTER, source=peer.actor_id)
        return "page_withdrawn" if ours.exists() else "ignored"
    course = (
        Course.objects.select_for_update()
        .filter(key=key, origin=Origin.SISTER, source=peer.actor_id)
        .first()
    )
    if course is None:
        return "ignored"
    if course.published:
        school.save_course(
            actor=None,
            key=course.key,
            title_ar=course.title_ar,
            title_en=course.title_en,
            summary_ar=course.summary_ar,
            summary_en=course.summary_en,
            published=False,
            shared=course.shared,
            position=course.position,
        )
    return "course_withdrawn"
