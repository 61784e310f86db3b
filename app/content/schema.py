"""The content model: lessons in age bands and formats, each with a text per language."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from .quiz_schema import Quiz
    from .survey_schema import Survey

T = TypeVar("T")


class AgeBand(StrEnum):
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    BASIC = "basic"
    UPPER = "upper"
    TVET = "tvet"


class Lang(StrEnum):
    KK = "kk"
    RU = "ru"
    EN = "en"


class LessonFormat(StrEnum):
    MICRO = "micro"  # a 10-minute personal-safety lesson, repeated three times a year
    THEMATIC = "thematic"  # a 40-45 minute anti-bullying lesson ending in a class rule
    CONVERSATION = "conversation"  # a guide for a class conversation
    ACTIVITY = "activity"  # a guide for an activity outside class


class TopicBlock(StrEnum):
    OFFICIAL = "official"  # a block of the official personal-safety programme
    GOOD_PRACTICE = "good-practice"  # added from evidence-based programmes
    ANTI_BULLYING = "anti-bullying"  # the KiVa-style anti-bullying programme


# Section ids, written in the Markdown as heading attributes: "## Heading {#steps}".
PREPARATION = "preparation"
STEPS = "steps"
SAY = "say"
ACTIVITY = "activity"
DISCUSSION = "discussion"
RULE = "rule"
HELP = "help"
SECTION_ORDER = (PREPARATION, STEPS, SAY, ACTIVITY, DISCUSSION, RULE, HELP)
# A micro-lesson's later sessions: "## The second time {#round-2}" holds a scenario paragraph
# and its own numbered steps (as many as step_minutes). The main sections are session 1.
ROUND_SECTION = re.compile(r"^round-(?P<number>[2-6])$")
FIRST_YEAR_SESSIONS = (1, 2, 3)  # the three rounds of a school year
SECOND_YEAR_SESSIONS = (4, 5, 6)  # the same topic a year later, in a two-year rotation

REQUIRED_SECTIONS: Mapping[LessonFormat, tuple[str, ...]] = {
    LessonFormat.MICRO: (PREPARATION, STEPS, SAY, ACTIVITY, DISCUSSION, HELP),
    LessonFormat.THEMATIC: (PREPARATION, STEPS, SAY, ACTIVITY, DISCUSSION, RULE, HELP),
    LessonFormat.CONVERSATION: (PREPARATION, STEPS, SAY, DISCUSSION, HELP),
    LessonFormat.ACTIVITY: (PREPARATION, STEPS, ACTIVITY, DISCUSSION, HELP),
}
# What students see; the rest is the teacher's script.
STUDENT_SECTIONS = (ACTIVITY, DISCUSSION, RULE, HELP)

MINUTES: Mapping[LessonFormat, tuple[int, int]] = {
    LessonFormat.MICRO: (10, 10),
    LessonFormat.THEMATIC: (40, 45),
    LessonFormat.CONVERSATION: (15, 45),
    LessonFormat.ACTIVITY: (20, 90),
}

# Help contacts come from configuration; lessons name them with these placeholders.
HELP_PLACEHOLDERS = (
    "contact_centre",
    "centre_name",
    "child_line",
    "emergency",
    "fire",
    "police",
    "ambulance",
    "gas",
)
# Numbers that must never be written into lesson text, so a changed number changes everywhere.
HARD_CODED_NUMBERS = ("111", "150", "112", "101", "102", "103", "104")

TOPICS = (
    "emergency-help",
    "home-and-play-safety",
    "body-safety",
    "secrets-and-trusted-adults",
    "feelings",
    "inclusion",
    "water-and-ice",
    "strangers",
    "animals",
    "bullying-basics",
    "bystanders",
    "touch-safety",
    "online-safety",
    "hidden-bullying",
    "cyberbullying",
    "online-risks",
    "help-seeking",
    "law-and-responsibility",
    "respect-and-consent",
    "fraud-and-money",
    "digital-footprint",
    "relationships",
    "helping-a-friend",
    "rights-and-duties",
    "stress",
    "safe-work",
    "harassment",
    "hazing",
    "gambling-and-drugs",
    "class-agreement",
    "road-safety",
    "fire-safety",
    "electricity-and-gas",
    "medicines-and-chemicals",
    "personal-details",
    "substances",
    "extremism",
    "suicide-prevention",
    "first-aid",
    "trafficking",
    "disasters",
)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    html: str
    items: tuple[str, ...] = ()  # list items as HTML, for the steps of presenter mode


@dataclass(frozen=True)
class Session:
    """One later session of a micro-lesson: its own scenario and steps, the same timings."""

    number: int
    title: str
    scenario: str  # HTML: the paragraphs before the steps
    steps: tuple[str, ...]  # list items as HTML, one per entry of step_minutes
    after: str  # HTML: what follows the steps (questions for the class), may be empty


@dataclass(frozen=True)
class LessonText:
    lang: Lang
    title: str
    summary: str
    objectives: tuple[str, ...]
    sections: Mapping[str, Section]
    sessions: Mapping[int, Session] = field(default_factory=dict)


@dataclass(frozen=True)
class Lesson:
    id: str
    band: AgeBand
    format: LessonFormat
    minutes: int
    topic: str
    block: TopicBlock
    order: int
    step_minutes: tuple[int, ...]
    quiz: str | None
    repeat: bool
    reviewers: tuple[str, ...]
    texts: Mapping[Lang, LessonText]
    folder: Path = field(compare=False)

    def text(self, lang: str) -> LessonText:
        """The lesson in ``lang``, or in Russian, then English, when that is missing."""
        for candidate in (lang, Lang.RU, Lang.EN):
            if candidate in self.texts:
                return self.texts[Lang(candidate)]
        return next(iter(self.texts.values()))


@dataclass(frozen=True)
class Catalog:
    lessons: tuple[Lesson, ...]
    quizzes: Mapping[str, Quiz] = field(default_factory=dict)
    surveys: Mapping[str, Survey] = field(default_factory=dict)
    # Built once from the lessons: pages look lessons up on every request.
    _by_id: Mapping[str, Lesson] = field(init=False, repr=False, compare=False)
    _by_quiz: Mapping[str, Lesson] = field(init=False, repr=False, compare=False)
    _selections: dict[tuple[str | None, ...], tuple[Lesson, ...]] = field(
        init=False, repr=False, compare=False
    )
    _derived: dict[Hashable, object] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {lesson.id: lesson for lesson in self.lessons})
        by_quiz: dict[str, Lesson] = {}
        for lesson in self.lessons:
            if lesson.quiz:
                by_quiz.setdefault(lesson.quiz, lesson)  # the first, as a scan would find
        object.__setattr__(self, "_by_quiz", by_quiz)
        object.__setattr__(self, "_selections", {})
        object.__setattr__(self, "_derived", {})

    def derived(self, key: Hashable, make: Callable[[], T]) -> T:
        """What ``make`` derives from this catalog, made once per ``key`` and kept with it.

        For values that depend on the catalog and on few other things (callers keep the keys
        few): a new catalog starts with none.
        """
        if key not in self._derived:
            self._derived[key] = make()
        return cast(T, self._derived[key])

    def quiz(self, quiz_id: str | None) -> Quiz | None:
        return self.quizzes.get(quiz_id) if quiz_id else None

    def survey(self, survey_id: str | None) -> Survey | None:
        return self.surveys.get(survey_id) if survey_id else None

    def survey_for(self, age_group: str) -> Survey | None:
        """The instrument for ``age_group`` (such as ``grades-5-9``); each has exactly one."""
        return next((x for x in self.surveys.values() if age_group in x.age_groups), None)

    def lesson_of_quiz(self, quiz_id: str) -> Lesson | None:
        return self._by_quiz.get(quiz_id)

    def get(self, lesson_id: str) -> Lesson | None:
        return self._by_id.get(lesson_id)

    def select(
        self,
        *,
        band: str | None = None,
        format: str | None = None,
        topic: str | None = None,
    ) -> list[Lesson]:
        """Lessons matching every filter given, in catalog order."""
        key = (band, format, topic)
        found = self._selections.get(key)
        if found is None:
            found = tuple(
                lesson
                for lesson in self.lessons
                if (band is None or lesson.band == band)
                and (format is None or lesson.format == format)
                and (topic is None or lesson.topic == topic)
            )
            if len(self._selections) < 1024:  # filters come from requests: keep it bounded
                self._selections[key] = found
        return list(found)
