"""The real curriculum in lessons/: complete, in three languages, and as the programme asks."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from app.content import Catalog, ContentErrors
from app.content.quiz_loader import load_content
from app.content.quiz_schema import QuestionType, QuizAudience
from app.content.schema import REQUIRED_SECTIONS, STUDENT_SECTIONS, AgeBand, LessonFormat
from app.services.lessons import ROUNDS, year_plan

ROOT = Path(__file__).resolve().parents[2]
SCHOOL_BANDS = (AgeBand.PRIMARY, AgeBand.BASIC, AgeBand.UPPER, AgeBand.TVET)
TAGS = re.compile(r"<[^>]+>")
# "Confidential" promises what a school cannot keep; lessons say "anonymous" where it is true,
# and tell children who will be told. (Promises in other words are for the reviewers.)
SECRECY = {
    "en": re.compile(r"\bconfidential", re.I),
    "ru": re.compile(r"конфиденциальн", re.I),
    "kk": re.compile(r"құпиялы", re.I),
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    try:
        return load_content(ROOT)
    except ContentErrors as exc:  # pragma: no cover - shows every problem at once
        pytest.fail("the curriculum has problems:\n" + str(exc))


def words(html: str) -> int:
    return len(TAGS.sub(" ", html).split())


def test_every_band_has_six_micro_lessons_on_distinct_topics(catalog: Catalog) -> None:
    for band in AgeBand:
        micro = catalog.select(band=band, format=LessonFormat.MICRO)
        assert len(micro) >= 6, f"{band}: {len(micro)} micro-lessons"
        assert len({lesson.topic for lesson in micro}) >= 6, f"{band}: topics repeat"


@pytest.mark.parametrize("band", SCHOOL_BANDS)
def test_school_bands_have_thematic_lessons_and_guides(catalog: Catalog, band: AgeBand) -> None:
    formats = Counter(lesson.format for lesson in catalog.select(band=band))
    assert formats[LessonFormat.THEMATIC] >= 3
    assert formats[LessonFormat.CONVERSATION] >= 1
    assert formats[LessonFormat.ACTIVITY] >= 1
    topics = {lesson.topic for lesson in catalog.select(band=band, format=LessonFormat.THEMATIC)}
    assert "bystanders" in topics, "a thematic lesson on bystanders and defenders"
    assert "help-seeking" in topics, "a thematic lesson on what to do and whom to tell"
    assert topics & {"hidden-bullying", "cyberbullying"}, "one on hidden and cyber bullying"


def test_every_lesson_is_complete_in_three_languages(catalog: Catalog) -> None:
    for lesson in catalog.lessons:
        assert set(lesson.texts) == {"kk", "ru", "en"}, lesson.id
        for lang, text in lesson.texts.items():
            missing = set(REQUIRED_SECTIONS[lesson.format]) - set(text.sections)
            assert not missing, f"{lesson.id} {lang}: missing {missing}"
            assert len(text.sections["steps"].items) == len(lesson.step_minutes)
            assert text.title
            assert text.summary
            assert text.objectives


def test_lessons_have_real_length(catalog: Catalog) -> None:
    minimum = {
        LessonFormat.MICRO: 150,
        LessonFormat.THEMATIC: 450,
        LessonFormat.CONVERSATION: 250,
        LessonFormat.ACTIVITY: 250,
    }
    for lesson in catalog.lessons:
        for lang, text in lesson.texts.items():
            count = sum(words(s.html) for s in text.sections.values())
            assert count >= minimum[lesson.format], f"{lesson.id} {lang}: only {count} words"


def test_the_help_block_names_somewhere_to_turn(catalog: Catalog) -> None:
    for lesson in catalog.lessons:
        for lang, text in lesson.texts.items():
            help_html = text.sections["help"].html
            assert "{{" in help_html, f"{lesson.id} {lang}: the help block names no contact"


def test_no_lesson_promises_confidentiality(catalog: Catalog) -> None:
    for lesson in catalog.lessons:
        for lang, text in lesson.texts.items():
            for section in text.sections.values():
                assert not SECRECY[lang].search(section.html), f"{lesson.id} {lang} {section.id}"


def test_students_see_something_in_every_lesson(catalog: Catalog) -> None:
    for lesson in catalog.lessons:
        shown = [s for s in STUDENT_SECTIONS if s in lesson.texts["en"].sections]
        assert "help" in shown, lesson.id
        assert len(shown) >= 2, lesson.id


def test_thematic_lessons_end_with_a_class_rule(catalog: Catalog) -> None:
    for lesson in catalog.select(format=LessonFormat.THEMATIC):
        for lang, text in lesson.texts.items():
            assert words(text.sections["rule"].html) >= 4, f"{lesson.id} {lang}"


@pytest.mark.parametrize("band", list(AgeBand))
def test_year_plan_repeats_every_micro_topic_three_times(catalog: Catalog, band: AgeBand) -> None:
    plan = year_plan(catalog, band, date(2026, 11, 23))
    counts = Counter(slot.lesson.id for slot in plan)
    micro = [lesson.id for lesson in catalog.select(band=band, format=LessonFormat.MICRO)]
    assert counts == dict.fromkeys(micro, ROUNDS)
    weeks = [slot.week for slot in plan]
    assert weeks == sorted(set(weeks)), "one lesson a week, no clashes"
    assert max(weeks) <= 36, "inside the school year"


@pytest.mark.parametrize("band", SCHOOL_BANDS)
def test_every_lesson_from_grade_one_has_a_student_quiz(catalog: Catalog, band: AgeBand) -> None:
    for lesson in catalog.select(band=band):
        quiz = catalog.quiz(lesson.quiz)
        assert quiz is not None, f"{lesson.id} has no quiz"
        assert quiz.audience is QuizAudience.STUDENT, quiz.id
        assert len(quiz.questions) >= 4, f"{quiz.id}: {len(quiz.questions)} questions"
        kinds = {question.type for question in quiz.questions}
        assert QuestionType.SCENARIO in kinds, f"{quiz.id}: no 'what would you do?' question"


def test_primary_quizzes_have_picture_questions_read_aloud(catalog: Catalog) -> None:
    for lesson in catalog.select(band=AgeBand.PRIMARY):
        quiz = catalog.quiz(lesson.quiz)
        assert quiz is not None
        assert quiz.read_aloud, quiz.id
        assert any(q.type is QuestionType.PICTURE for q in quiz.questions), quiz.id


def test_preschool_picture_checks_are_run_by_the_teacher(catalog: Catalog) -> None:
    checks = [catalog.quiz(lesson.quiz) for lesson in catalog.select(band=AgeBand.PRESCHOOL)]
    present = [quiz for quiz in checks if quiz is not None]
    assert present, "preschool lessons offer picture checks"
    for quiz in present:
        assert quiz.audience is QuizAudience.CLASS, quiz.id
        assert quiz.read_aloud, quiz.id
        pictures = [q for q in quiz.questions if q.type is QuestionType.PICTURE]
        assert len(pictures) >= len(quiz.questions) - 1, quiz.id


def test_quizzes_never_promise_secrecy(catalog: Catalog) -> None:
    for quiz in catalog.quizzes.values():
        for question in quiz.questions:
            texts = [question.prompt, question.explanation or {}]
            texts += [o.feedback or {} for o in question.options] + [
                o.text for o in question.options
            ]
            for text in texts:
                for lang, pattern in SECRECY.items():
                    assert not pattern.search(text.get(lang, "")), f"{quiz.id}/{question.id}"


def test_every_quiz_belongs_to_a_lesson_of_its_band(catalog: Catalog) -> None:
    for quiz in catalog.quizzes.values():
        lesson = catalog.lesson_of_quiz(quiz.id)
        assert lesson is not None, f"{quiz.id} is not named by any lesson"
        assert lesson.band == quiz.band
