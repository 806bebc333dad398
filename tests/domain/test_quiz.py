"""Quizzes written as text: parsed exactly, refused with the line at fault, graded exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.quiz import Grade, Marked, Question, Quiz, grade, parse

EXAMPLE = """\
? What does the co-op fee pay for?
- The owners' profit
+ Running the platform the members own
- Nothing
= The fee is set by the members' vote and shown on every receipt.
"""

FEE_QUESTION = Question(
    prompt="What does the co-op fee pay for?",
    choices=("The owners' profit", "Running the platform the members own", "Nothing"),
    answer=1,
    explanation="The fee is set by the members' vote and shown on every receipt.",
)


def refusal(text: str) -> tuple[str, dict[str, object]]:
    with pytest.raises(InvalidInput) as caught:
        parse(text)
    return caught.value.code, caught.value.params


def test_the_example_parses_exactly_and_prints_back_unchanged() -> None:
    quiz = parse(EXAMPLE)
    assert quiz == Quiz((FEE_QUESTION,))
    assert quiz.to_text() == EXAMPLE


def test_several_questions_windows_line_ends_and_stray_spaces() -> None:
    text = (
        "  ? One?  \r\n+ yes\r\n-   no  \r\n\r\n\r\n"
        "? Two?\r\n- a\r\n- b\r\n+ c\r\n= because\r\n? Three?\r\n+ x\r\n- y"
    )
    assert parse(text) == Quiz(
        (
            Question("One?", ("yes", "no"), 0, ""),
            Question("Two?", ("a", "b", "c"), 2, "because"),
            Question("Three?", ("x", "y"), 0, ""),
        )
    )


def test_an_arabic_question_mark_starts_a_question_too() -> None:
    quiz = parse("؟ من يحدد رسوم التعاونية؟\n- المالكون\n+ الأعضاء بالتصويت\n= يُعرض في كل إيصال.")
    assert quiz == Quiz(
        (
            Question(
                "من يحدد رسوم التعاونية؟", ("المالكون", "الأعضاء بالتصويت"), 1, "يُعرض في كل إيصال."
            ),
        )
    )
    assert quiz.to_text().startswith("? من يحدد")


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \r\n\t\n"])
def test_blank_text_is_no_quiz(text: str) -> None:
    assert parse(text) == Quiz(())
    assert Quiz(()).to_text() == ""


VALID = "? Q\n- a\n+ b\n"


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        (VALID + "Remember this", "quiz_line", 4),
        ("?Q\n- a\n+ b", "quiz_line", 1),
        ("? Q\n-5 degrees\n+ 5 degrees", "quiz_line", 2),
        ("? Q\n* a\n+ b", "quiz_line", 2),
        ("? Q\n- a\n- b\n\n" + VALID, "quiz_no_answer", 1),
        (VALID + "\n? R\n- a\n- b\n= why", "quiz_no_answer", 5),
        ("? Q\n+ a\n- b\n+ c", "quiz_two_answers", 4),
        ("? Q\n+ a", "quiz_few_choices", 1),
        ("? Q\n? R\n- a\n+ b", "quiz_no_answer", 1),
        ("? Q\n+ a\n- b\n- c\n- d\n- e\n- f\n- g", "quiz_many_choices", 8),
        ("".join(VALID + "\n" for _ in range(20)) + "? Twenty-one", "quiz_too_many", 81),
        ("? Q\n- a\n+ " + "b" * 499, "quiz_line_too_long", 3),
        ("- a\n? Q\n- b\n+ c", "quiz_orphan", 1),
        ("\n\n= an explanation first\n" + VALID, "quiz_orphan", 3),
        (VALID + "= one\n= two", "quiz_two_explanations", 5),
        ("? Q\n-\n+ b", "quiz_empty_line", 2),
        ("? Q\n- a\x00\n+ b", "quiz_nul_character", 2),
    ],
)
def test_each_fault_is_refused_naming_its_line(text: str, code: str, line: int) -> None:
    found_code, params = refusal(text)
    assert (found_code, params["line"]) == (code, line)


def test_limits_are_named_in_the_refusals() -> None:
    assert refusal("? Q\n+ a") == ("quiz_few_choices", {"line": 1, "limit": 2})
    many = "? Q\n+ a\n- b\n- c\n- d\n- e\n- f\n- g"
    assert refusal(many) == ("quiz_many_choices", {"line": 8, "limit": 6})
    assert refusal("? Q\n- a\n+ " + "b" * 499) == (
        "quiz_line_too_long",
        {"line": 3, "limit": 500},
    )


def test_the_limits_themselves_are_accepted() -> None:
    six = parse("? " + "q" * 498 + "\n+ a\n- b\n- c\n- d\n- e\n- f")
    assert (len(six.questions[0].prompt), six.questions[0].choices) == (
        498,
        ("a", "b", "c", "d", "e", "f"),
    )
    assert len(parse("\n".join([VALID] * 20)).questions) == 20


def test_the_message_names_the_line() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(VALID + "Remember this")
    assert str(caught.value) == (
        "Line 4 must start with “? ” (a question), “- ” (a wrong choice), “+ ” (the right "
        "choice) or “= ” (an explanation)."
    )


line_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\n\x00"),
    min_size=1,
    max_size=40,
).filter(lambda text: text == text.strip())


@st.composite
def questions(draw: st.DrawFn) -> Question:
    choices = draw(st.lists(line_text, min_size=2, max_size=6))
    return Question(
        prompt=draw(line_text),
        choices=tuple(choices),
        answer=draw(st.integers(0, len(choices) - 1)),
        explanation=draw(st.just("") | line_text),
    )


quizzes = st.lists(questions(), max_size=20).map(lambda found: Quiz(tuple(found)))


@given(quizzes)
def test_parsing_the_text_form_gives_back_the_quiz(quiz: Quiz) -> None:
    assert parse(quiz.to_text()) == quiz


@given(quizzes)
def test_the_text_form_survives_windows_line_ends(quiz: Quiz) -> None:
    assert parse(quiz.to_text().replace("\n", "\r\n")) == quiz


THREE = Quiz(
    (
        Question("A?", ("x", "y"), 0),
        Question("B?", ("x", "y", "z"), 2),
        Question("C?", ("x", "y"), 1),
    )
)


def test_grade_marks_each_question() -> None:
    assert grade(THREE, {0: 0, 1: 1}, pass_percent=Decimal(60)) == Grade(
        correct=1,
        total=3,
        passed=False,
        marks=(Marked(0, 0, True), Marked(1, 1, False), Marked(2, None, False)),
    )


def test_impossible_answers_are_wrong_and_never_raise() -> None:
    result = grade(THREE, {0: 7, 1: -1, 2: 1, 9: 0, -1: 0}, pass_percent=Decimal(30))
    assert result.marks == (Marked(0, None, False), Marked(1, None, False), Marked(2, 1, True))
    assert (result.correct, result.passed, result.percent) == (1, True, Decimal(33))


@pytest.mark.parametrize(
    ("correct", "total", "pass_percent", "passed", "percent"),
    [
        (4, 5, "80", True, 80),
        (3, 5, "80", False, 60),
        (2, 3, "66.67", False, 67),
        (2, 3, "66.66", True, 67),
        (1, 8, "12.5", True, 13),
        (1, 3, "0", True, 33),
        (0, 4, "0", True, 0),
        (0, 4, "0.01", False, 0),
        (5, 5, "100", True, 100),
    ],
)
def test_the_pass_mark_is_exact(
    correct: int, total: int, pass_percent: str, passed: bool, percent: int
) -> None:
    quiz = Quiz(tuple(Question(f"Q{index}", ("a", "b"), 0) for index in range(total)))
    answers = {index: 0 if index < correct else 1 for index in range(total)}
    result = grade(quiz, answers, pass_percent=Decimal(pass_percent))
    assert (result.correct, result.total, result.passed, result.percent) == (
        correct,
        total,
        passed,
        Decimal(percent),
    )


def test_an_empty_quiz_passes_at_any_mark() -> None:
    result = grade(Quiz(()), {0: 1}, pass_percent=Decimal(100))
    assert (result, result.percent) == (Grade(0, 0, True, ()), Decimal(100))


answer_maps = st.dictionaries(st.integers(-2, 22), st.integers(-2, 7), max_size=25)
pass_marks = st.decimals(min_value=0, max_value=100, places=2)


@given(quizzes, answer_maps, pass_marks)
def test_the_correct_count_is_the_number_of_matching_answers(
    quiz: Quiz, answers: dict[int, int], pass_percent: Decimal
) -> None:
    result = grade(quiz, answers, pass_percent=pass_percent)
    matching = sum(answers.get(index) == q.answer for index, q in enumerate(quiz.questions))
    assert (result.correct, result.total) == (matching, len(quiz.questions))
    assert result.passed == (matching * 100 >= pass_percent * len(quiz.questions))


@given(quizzes, pass_marks)
def test_passing_is_monotone_in_the_number_of_right_answers(
    quiz: Quiz, pass_percent: Decimal
) -> None:
    right = [q.answer for q in quiz.questions]
    wrong = [(q.answer + 1) % len(q.choices) for q in quiz.questions]
    outcomes = [
        grade(
            quiz,
            dict(enumerate(right[:count] + wrong[count:])),
            pass_percent=pass_percent,
        )
        for count in range(len(right) + 1)
    ]
    assert [outcome.correct for outcome in outcomes] == list(range(len(right) + 1))
    passed = [outcome.passed for outcome in outcomes]
    assert passed == sorted(passed)
    percents = [outcome.percent for outcome in outcomes]
    assert percents == sorted(percents)


@given(quizzes, pass_marks)
def test_all_right_always_passes(quiz: Quiz, pass_percent: Decimal) -> None:
    answers = {index: question.answer for index, question in enumerate(quiz.questions)}
    result = grade(quiz, answers, pass_percent=pass_percent)
    assert (result.passed, result.percent) == (True, Decimal(100))
