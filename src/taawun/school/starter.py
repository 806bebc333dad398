"""The lessons the platform ships: how to use Taawun itself, in Arabic and English.

They are kept as Markdown files a writer can read and edit (``starter/<course>/``: the course's
``course.<lang>.md``, then ``NN-<lesson>.<lang>.md`` per lesson, each opening with ``# Title``
and ending, after a ``%%% quiz`` line, with the lesson's quiz), turned here into the exchange
document every other course travels in, and stored through the same import.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .exchange import FORMAT, CourseDocument

DIRECTORY = Path(__file__).parent / "starter"
QUIZ_MARK = "%%% quiz"
LESSON_FILE = re.compile(r"^(\d+)-([a-z0-9-]+)\.(ar|en)\.md$")


def _title_and_rest(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    first, _, rest = text.partition("\n")
    if not first.startswith("# "):
        raise ValueError(f"{path.name} must open with '# Title'")
    return first[2:].strip(), rest.strip()


def course_documents() -> list[CourseDocument]:
    """Every shipped course, as exchange documents (in directory order)."""
    return [_course(directory) for directory in sorted(DIRECTORY.iterdir()) if directory.is_dir()]


def _course(directory: Path) -> CourseDocument:
    document: dict[str, Any] = {
        "format": FORMAT,
        "kind": "course",
        "key": directory.name,
        "title": {},
        "summary": {},
    }
    for lang in ("ar", "en"):
        title, summary = _title_and_rest(directory / f"course.{lang}.md")
        document["title"][lang], document["summary"][lang] = title, summary
    lessons: dict[tuple[int, str], dict[str, Any]] = {}
    for path in sorted(directory.iterdir()):
        match = LESSON_FILE.match(path.name)
        if match is None:
            continue
        order, key, lang = int(match[1]), match[2], match[3]
        lesson = lessons.setdefault((order, key), {"key": key, "title": {}, "body": {}, "quiz": {}})
        title, rest = _title_and_rest(path)
        body, _, quiz_text = rest.partition(QUIZ_MARK)
        lesson["title"][lang], lesson["body"][lang] = title, body.strip()
        lesson["quiz"][lang] = quiz_text.strip()
    document["lessons"] = [lessons[order_key] for order_key in sorted(lessons)]
    return CourseDocument.model_validate(document)


def install() -> None:
    """Store (or bring up to date) the shipped courses; a course a co-op wrote itself under
    the same key is left alone."""
    from taawun.domain.errors import DomainError

    from .actions import import_document
    from .models import Origin

    for document in course_documents():
        try:
            import_document(actor=None, document=document, origin=Origin.STARTER)
        except DomainError as refusal:
            if refusal.code != "key_taken":
                raise
