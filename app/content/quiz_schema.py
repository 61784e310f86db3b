"""The quiz model: questions of five kinds, every string a text per language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from .schema import AgeBand, Lang

# A text in each language: {"kk": ..., "ru": ..., "en": ...}.
Localized = Mapping[str, str]


def pick(text: Localized | None, lang: str) -> str:
    """``text`` in ``lang``, or in Russian, then English, when that is missing."""
    if not text:
        return ""
    for candidate in (lang, Lang.RU, Lang.EN):
        if candidate in text:
            return text[candidate]
    return next(iter(text.values()))


class QuestionType(StrEnum):
    SINGLE = "single"  # one correct option
    MULTIPLE = "multiple"  # one or more correct options, partial credit
    TRUE_FALSE = "true-false"  # a statement that is true or false
    SCENARIO = "scenario"  # "what would you do?": every option explains kindly why
    PICTURE = "picture"  # choose a picture; for children who do not read yet


class QuizLayout(StrEnum):
    ONE_PER_SCREEN = "one-per-screen"
    SINGLE_PAGE = "single-page"


class AttemptPolicy(StrEnum):
    """Which finished attempt the gradebook gets; the others are practice."""

    FIRST = "first"
    BEST = "best"
    LAST = "last"


class QuizAudience(StrEnum):
    STUDENT = "student"  # each student takes it; the score goes to the gradebook
    CLASS = "class"  # the teacher runs it with the whole class; nothing is recorded


# The options of a true/false question, which authors do not write.
TRUE_FALSE_OPTIONS: Mapping[str, Localized] = {
    "true": {"kk": "Дұрыс", "ru": "Верно", "en": "True"},
    "false": {"kk": "Бұрыс", "ru": "Неверно", "en": "False"},
}


@dataclass(frozen=True)
class QuizImage:
    src: str  # relative to quizzes/quiz/
    alt: Localized


@dataclass(frozen=True)
class Option:
    id: str
    text: Localized
    feedback: Localized | None = None
    image: QuizImage | None = None


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    prompt: Localized
    options: tuple[Option, ...]
    correct: frozenset[str]
    explanation: Localized | None = None
    image: QuizImage | None = None

    @property
    def multiple(self) -> bool:
        return self.type is QuestionType.MULTIPLE

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Quiz:
    id: str
    band: AgeBand
    audience: QuizAudience
    layout: QuizLayout
    attempts: int  # 0: as many as the student likes
    counts: AttemptPolicy
    read_aloud: bool
    title: Localized
    intro: Localized | None
    questions: tuple[Question, ...]
    folder: Path = field(compare=False)

    @property
    def graded(self) -> bool:
        return self.audience is QuizAudience.STUDENT

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)
