"""Self-checking quizzes: a few questions at the end of each lesson, with the reason behind each answer.

A lesson shows its quiz with ``quiz = tl.lessons.quiz.for_lesson("03_lower_learning_rate")``;
the quiz renders as a numbered list of questions with lettered options (Markdown in a notebook
and on the course site, plain text elsewhere). ``quiz.check({1: "b", 2: "a"})`` marks each
answer and explains it. ``quiz.predictions()`` shows the "predict, then run" questions on their
own, before the cells that measure what they ask about. The questions live in :mod:`tltutor.lessons.quiz_bank`, not in the
notebooks, so the answers are one step away rather than in plain sight.

Examples:
    >>> quiz = Quiz("example", [Question("Which layers does feature extraction train?",
    ...                                  ("every layer", "only the new head"), "b",
    ...                                  "The base is frozen; only the new head learns.")])
    >>> print(quiz)
    Quiz: example
    1. Which layers does feature extraction train?
       a) every layer
       b) only the new head
    >>> quiz.check({1: "b"})
    1. correct. The base is frozen; only the new head learns.
    1 of 1 correct.
    1
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from tltutor import validation
from tltutor.lessons import quiz_bank

LETTERS = "abcdefgh"
PREDICTION_PREFIX = "Predict, then run:"


@dataclass(frozen=True)
class Question:
    """One multiple-choice question: its text, its options, the letter of the right one, and why."""

    text: str
    options: tuple[str, ...]
    answer: str
    why: str

    def __post_init__(self):
        if not 2 <= len(self.options) <= len(LETTERS):
            raise validation.InvalidArgumentError(f"a question needs 2 to {len(LETTERS)} options: {self.text!r:.60}")
        if self.answer not in LETTERS[:len(self.options)]:
            raise validation.InvalidArgumentError(f"answer {self.answer!r} is not one of the options' letters")


def _question_lines(numbered, markdown: bool) -> list[str]:
    """Each numbered question and its lettered options, as plain text or as a Markdown list."""
    lines = []
    for number, question in numbered:
        lines.append(f"{number}. {question.text}")
        lines += [f"    - **{letter})** {option}" if markdown else f"   {letter}) {option}"
                  for letter, option in zip(LETTERS, question.options)]
    return lines


class Quiz:
    """The questions of one lesson; shows them and marks answers."""

    def __init__(self, lesson: str, questions):
        self.lesson = lesson
        self.questions = [question if isinstance(question, Question) else Question(**question)
                          for question in questions]
        validation.check_not_empty(len(self.questions), f"quiz of {lesson}")

    def __str__(self):
        return "\n".join([f"Quiz: {self.lesson}", *_question_lines(enumerate(self.questions, start=1), False)])

    def __repr__(self):
        return str(self)

    def _repr_markdown_(self):
        lines = ["**Quiz.** Answer in the next cell, e.g. `answers = {1: \"b\", 2: \"a\"}`.", ""]
        return "\n".join(lines + _question_lines(enumerate(self.questions, start=1), True))

    def predictions(self) -> "Predictions":
        """The questions that ask for a prediction, to show before the cells that measure it.

        The student writes an answer down before running the experiment; the quiz at the end
        marks it under the same number.
        """
        numbered = [(number, question) for number, question in enumerate(self.questions, start=1)
                    if question.text.startswith(PREDICTION_PREFIX)]
        if not numbered:
            raise validation.InvalidArgumentError(
                f"the quiz of {self.lesson} has no question starting with {PREDICTION_PREFIX!r}: add one to "
                "tltutor/assets/quizzes.json")
        return Predictions(self.lesson, numbered)

    def check(self, answers: dict | None, output=print) -> int:
        """Mark ``answers`` (``{question number: letter}``); print why for each; return how many are right."""
        answers = answers or {}
        if not isinstance(answers, dict):
            raise validation.InvalidArgumentError('answers must be a dict such as {1: "b", 2: "a"}')
        correct = 0
        for number, question in enumerate(self.questions, start=1):
            given = answers.get(number)
            if given is None:
                output(f"{number}. not answered yet.")
                continue
            if str(given).strip().lower().rstrip(")") == question.answer:
                correct += 1
                output(f"{number}. correct. {question.why}")
            else:
                output(f"{number}. not quite: {str(given)!r} is not it. Read the section again and try once more.")
        output(f"{correct} of {len(self.questions)} correct.")
        return correct


class Predictions:
    """A lesson's "predict, then run" questions, numbered as in its quiz.

    Examples:
        >>> quiz = Quiz("example", [Question("Why freeze?", ("speed", "to keep the features"), "b", "."),
        ...                         Question("Predict, then run: will the head beat pixels?", ("yes", "no"), "a", ".")])
        >>> print(quiz.predictions())
        Predict before you run the next cells; the quiz at the end marks your answer.
        2. Predict, then run: will the head beat pixels?
           a) yes
           b) no
    """

    def __init__(self, lesson: str, numbered: list[tuple[int, Question]]):
        self.lesson = lesson
        self.numbered = numbered

    def __str__(self):
        return "\n".join(["Predict before you run the next cells; the quiz at the end marks your answer.",
                          *_question_lines(self.numbered, False)])

    def __repr__(self):
        return str(self)

    def _repr_markdown_(self):
        numbers = ", ".join(str(number) for number, _ in self.numbered)
        lines = [f"**Predict before you run the next cells.** Write your answer down; question {numbers} "
                 "of the quiz at the end marks it.", ""]
        return "\n".join(lines + _question_lines(self.numbered, True))


def arranged(question: dict) -> Question:
    """``question`` with its options rotated by a fixed amount drawn from its text.

    The bank is written with the right option wherever it reads best, often second; shown as
    written, "always b" would pass most quizzes. The rotation is the same on every run, so a
    stored notebook, the course site and a student's kernel show the same letters.
    """
    written = Question(**question)  # checks the answer's letter before it is moved
    options = written.options
    shift = zlib.crc32(written.text.encode("utf-8")) % len(options)
    answer = LETTERS[(LETTERS.index(written.answer) - shift) % len(options)]
    return Question(written.text, options[shift:] + options[:shift], answer, written.why)


def for_lesson(lesson: str) -> Quiz:
    """The quiz of a lesson, by its notebook name (e.g. ``"03_lower_learning_rate"``), options arranged by :func:`arranged`."""
    lesson = validation.check_name(lesson, quiz_bank.QUESTIONS, "lesson")
    return Quiz(lesson, [arranged(question) for question in quiz_bank.QUESTIONS[lesson]])
