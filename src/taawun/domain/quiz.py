"""A lesson's quiz, written as plain text in a textarea so authors need no JavaScript.

One question per block::

    ? What does the co-op fee pay for?
    - The owners' profit
    + Running the platform the members own
    = The fee is set by the members' vote and shown on every receipt.

``? `` (or the Arabic ``؟ ``) asks, ``- `` offers a wrong choice, ``+ `` the right one (exactly
one), ``= `` explains after answering. Blank lines only separate questions for the eye; a new
``? `` starts a new question. Refusals name the line at fault, because that is where the author
has to look.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .errors import InvalidInput, gettext_noop

MAX_QUESTIONS = 20
MIN_CHOICES = 2
MAX_CHOICES = 6
MAX_LINE_CHARS = 500
MARKERS = "?-+="
ARABIC_QUESTION_MARK = "\u061f"
"""What an Arabic keyboard types for "?"; it starts a question just the same."""


@dataclass(frozen=True)
class Question:
    prompt: str
    choices: tuple[str, ...]
    answer: int
    """Index into ``choices`` of the right one."""
    explanation: str = ""


@dataclass(frozen=True)
class Quiz:
    questions: tuple[Question, ...] = ()

    def to_text(self) -> str:
        """The canonical text an author would write; ``parse`` reads it back unchanged."""
        blocks = []
        for question in self.questions:
            lines = [f"? {question.prompt}"]
            lines += [
                f"{'+' if index == question.answer else '-'} {choice}"
                for index, choice in enumerate(question.choices)
            ]
            if question.explanation:
                lines.append(f"= {question.explanation}")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) + "\n" if blocks else ""


@dataclass(frozen=True)
class Marked:
    """One question as answered: ``chosen`` is None when unanswered or out of range."""

    question: int
    chosen: int | None
    correct: bool


@dataclass(frozen=True)
class Grade:
    correct: int
    total: int
    passed: bool
    marks: tuple[Marked, ...]

    @property
    def percent(self) -> Decimal:
        """Share of right answers as a whole percentage, halves rounded up; a quiz with no
        questions counts as fully right."""
        if self.total == 0:
            return Decimal(100)
        return Decimal((200 * self.correct + self.total) // (2 * self.total))


@dataclass
class _Draft:
    """A question being read: where it started, so faults found at its end name that line."""

    line: int
    prompt: str
    choices: list[str] = field(default_factory=list)
    answer: int | None = None
    explanation: str | None = None

    def finished(self) -> Question:
        if self.answer is None:
            raise InvalidInput(
                "quiz_no_answer",
                gettext_noop("Line %(line)s: mark the right choice of this question with “+ ”."),
                line=self.line,
            )
        if len(self.choices) < MIN_CHOICES:
            raise InvalidInput(
                "quiz_few_choices",
                gettext_noop("Line %(line)s: a question needs at least %(limit)s choices."),
                line=self.line,
                limit=MIN_CHOICES,
            )
        return Question(self.prompt, tuple(self.choices), self.answer, self.explanation or "")


def parse(text: str) -> Quiz:
    """The quiz in ``text`` (blank text: no quiz), or a refusal naming the first faulty line."""
    questions: list[Question] = []
    draft: _Draft | None = None
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.strip()
        if not line:
            continue
        marker, content = _split(line, number)
        if marker == "?":
            if draft is not None:
                questions.append(draft.finished())
            if len(questions) == MAX_QUESTIONS:
                raise InvalidInput(
                    "quiz_too_many",
                    gettext_noop("Line %(line)s: a quiz has at most %(limit)s questions."),
                    line=number,
                    limit=MAX_QUESTIONS,
                )
            draft = _Draft(number, content)
        elif draft is None:
            raise InvalidInput(
                "quiz_orphan",
                gettext_noop(
                    "Line %(line)s comes before any question; start the quiz with a line "
                    "beginning “? ”."
                ),
                line=number,
            )
        elif marker == "=":
            if draft.explanation is not None:
                raise InvalidInput(
                    "quiz_two_explanations",
                    gettext_noop("Line %(line)s: a question has only one explanation line."),
                    line=number,
                )
            draft.explanation = content
        else:
            _add_choice(draft, content, right=marker == "+", line=number)
    if draft is not None:
        questions.append(draft.finished())
    return Quiz(tuple(questions))


def grade(quiz: Quiz, answers: Mapping[int, int], *, pass_percent: Decimal) -> Grade:
    """Mark ``answers`` (question index → choice index); a missing or impossible answer is
    simply wrong, since a form can post anything."""
    marks = []
    for index, question in enumerate(quiz.questions):
        chosen = answers.get(index)
        if not (isinstance(chosen, int) and 0 <= chosen < len(question.choices)):
            chosen = None
        marks.append(Marked(index, chosen, chosen == question.answer))
    correct = sum(mark.correct for mark in marks)
    total = len(marks)
    return Grade(correct, total, correct * 100 >= pass_percent * total, tuple(marks))


def _split(line: str, number: int) -> tuple[str, str]:
    """The marker and the trimmed text of a non-blank, trimmed line."""
    if "\x00" in line:
        raise InvalidInput(
            "quiz_nul_character",
            gettext_noop("Line %(line)s contains a NUL character; remove it."),
            line=number,
        )
    if len(line) > MAX_LINE_CHARS:
        raise InvalidInput(
            "quiz_line_too_long",
            gettext_noop("Line %(line)s is longer than %(limit)s characters."),
            line=number,
            limit=MAX_LINE_CHARS,
        )
    marker, content = line[0].replace(ARABIC_QUESTION_MARK, "?"), line[1:]
    if marker not in MARKERS or (content and not content[0].isspace()):
        raise InvalidInput(
            "quiz_line",
            gettext_noop(
                "Line %(line)s must start with “? ” (a question), “- ” (a wrong choice), "
                "“+ ” (the right choice) or “= ” (an explanation)."
            ),
            line=number,
        )
    if not content:
        raise InvalidInput(
            "quiz_empty_line",
            gettext_noop("Line %(line)s has a marker but no text after it."),
            line=number,
        )
    return marker, content.strip()


def _add_choice(draft: _Draft, choice: str, *, right: bool, line: int) -> None:
    if len(draft.choices) == MAX_CHOICES:
        raise InvalidInput(
            "quiz_many_choices",
            gettext_noop("Line %(line)s: a question has at most %(limit)s choices."),
            line=line,
            limit=MAX_CHOICES,
        )
    if right:
        if draft.answer is not None:
            raise InvalidInput(
                "quiz_two_answers",
                gettext_noop(
                    "Line %(line)s: a question has exactly one right choice (“+ ”); "
                    "mark the others with “- ”."
                ),
                line=line,
            )
        draft.answer = len(draft.choices)
    draft.choices.append(choice)
