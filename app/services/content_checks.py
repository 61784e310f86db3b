"""Checks of the content's quality beyond its format: quizzes that cannot be passed blind,
no multiple-response questions for young children, and the glossary's terms.

Run by ``flask content check`` and the curriculum tests; the application still starts when
one fails, so a wording problem never takes the quizzes away from a class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..content.glossary import glossary_problems
from ..content.loader import ContentProblem
from ..content.quiz_rules import young_multiple_problems
from ..content.quiz_schema import Question, QuestionType, Quiz
from .scoring import score_quiz

# A graded quiz answered without reading must score at most this.
BLIND_LIMIT = 0.40
POSITIONS = ("first", "second", "last")


@dataclass(frozen=True)
class BlindScore:
    """The score of one blind strategy on a quiz's authored option order."""

    position: str  # the option chosen in every single, picture and scenario question
    answer_true: bool  # the answer to every true-false question
    score: float

    def describe(self) -> str:
        return (
            f"always the {self.position} option, always "
            f"{'true' if self.answer_true else 'false'}, every box ticked"
        )


def _blind_choice(question: Question, position: str, answer_true: bool) -> list[str]:
    if question.type is QuestionType.TRUE_FALSE:
        return ["true" if answer_true else "false"]
    ids = [o.id for o in question.options]
    if question.type is QuestionType.MULTIPLE:
        return ids
    index = {"first": 0, "second": 1, "last": len(ids) - 1}[position]
    return [ids[min(index, len(ids) - 1)]]


def blind_scores(quiz: Quiz) -> list[BlindScore]:
    """The score of every blind strategy: each position with each true-false answer."""
    found = []
    for position in POSITIONS:
        for answer_true in (True, False):
            answers = {q.id: _blind_choice(q, position, answer_true) for q in quiz.questions}
            found.append(BlindScore(position, answer_true, score_quiz(quiz, answers)))
    return found


def worst_blind_score(quiz: Quiz) -> BlindScore:
    """The blind strategy that scores most (the first of equals)."""
    return max(blind_scores(quiz), key=lambda b: b.score)


def blind_problems(root: Path, quizzes: Mapping[str, Quiz]) -> list[ContentProblem]:
    """Every graded quiz whose best blind strategy scores above :data:`BLIND_LIMIT`."""
    problems = []
    for quiz in sorted(quizzes.values(), key=lambda q: q.id):
        worst = worst_blind_score(quiz)
        if not quiz.graded or worst.score <= BLIND_LIMIT:
            continue
        path = quiz.folder / f"{quiz.id}.yaml"
        problems.append(
            ContentProblem(
                _shown(path, root),
                _questions_line(path),
                "questions",
                f"answering blind scores {worst.score:.0%} ({worst.describe()}); at most "
                f"{BLIND_LIMIT:.0%}: spread the right answers over the positions, balance true "
                "and false, and give multiple-response questions as many wrong options as right",
            )
        )
    return problems


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _questions_line(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    return next((n for n, line in enumerate(lines, 1) if line.startswith("questions:")), 1)


def quality_problems(root: Path, quizzes: Mapping[str, Quiz]) -> list[ContentProblem]:
    """The glossary, multiple-response and blind-score problems of the content under ``root``."""
    return (
        glossary_problems(root)
        + young_multiple_problems(root / "quizzes")
        + blind_problems(root, quizzes)
    )
