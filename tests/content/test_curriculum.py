"""The real curriculum in lessons/: complete, in three languages, and as the programme asks."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from app.content import Catalog, ContentErrors, load_catalog
from app.content.loader import quiz_ids
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
        return load_catalog(ROOT / "lessons", quizzes=quiz_ids(ROOT / "quizzes"))
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
