"""The real curriculum in lessons/: complete, in three languages, and as the programme asks."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from app.content import Catalog, ContentErrors
from app.content.glossary import glossary_problems
from app.content.quiz_loader import load_content
from app.content.quiz_schema import QuestionType, QuizAudience
from app.content.schema import (
    REQUIRED_SECTIONS,
    SECTION_ORDER,
    STUDENT_SECTIONS,
    AgeBand,
    Lesson,
    LessonFormat,
)
from app.content.survey_schema import AgeGroup, ReportedAs, Respondent
from app.services.content_checks import blind_problems
from app.services.lessons import ROUNDS, year_plan
from app.services.year_plan import GRADES, plan_lessons, sessions_available

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

TEACHER_SECTIONS = tuple(s for s in SECTION_ORDER if s not in STUDENT_SECTIONS)
# The agreed markers (lessons/README.md, "Safeguarding markers").
DUTY_TO_REPORT = {
    "en": "Duty to report.",
    "kk": "Хабарлау міндеті.",
    "ru": "Обязанность сообщить.",
}
FRIEND_DOES_NOT_WANT_TO_LIVE = {
    "en": "If a friend does not want to live",
    "ru": "Если друг не хочет жить",
    "kk": "Егер досың өмір сүргісі келмейтінін айтса",
}
SUICIDE_CONTACTS = ("{{child_line}}", "{{contact_centre}}", "{{emergency}}")
YOUNG_BANDS = (AgeBand.PRESCHOOL, AgeBand.PRIMARY)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    try:
        return load_content(ROOT)
    except ContentErrors as exc:  # pragma: no cover - shows every problem at once
        pytest.fail("the curriculum has problems:\n" + str(exc))


def words(html: str) -> int:
    return len(TAGS.sub(" ", html).split())


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
    counts = Counter(slot.lesson.id for slot in plan.slots)
    micro = [lesson.id for lesson in catalog.select(band=band, format=LessonFormat.MICRO)]
    assert counts == dict.fromkeys(micro, ROUNDS)
    weeks = [slot.week for slot in plan.slots]
    assert weeks == sorted(weeks)
    assert set(weeks) == set(range(1, max(weeks) + 1)), "no empty week while lessons remain"
    assert max(weeks) <= len(plan.weeks), "inside the school year"


# -- the year plan of micro-lessons: 12 topics, three distinct rounds, two rotation years ----

SCHOOL_YEAR = date(2026, 11, 23)


def session_text(lesson: Lesson, lang: str, number: int) -> str:
    """The words of one session: its scenario, steps and questions (session 1: its steps)."""
    text = lesson.texts[lang]
    if number == 1:
        parts: tuple[str, ...] = text.sections["steps"].items
    else:
        session = text.sessions[number]
        parts = (session.scenario, *session.steps, session.after)
    return " ".join(" ".join(TAGS.sub(" ", part) for part in parts).split())


@pytest.mark.parametrize("band", list(AgeBand))
def test_every_band_has_at_least_twelve_micro_topics(catalog: Catalog, band: AgeBand) -> None:
    micro = plan_lessons(catalog, band)
    assert len(micro) >= 12, f"{band}: {len(micro)} repeated micro-lessons"
    assert len({lesson.topic for lesson in micro}) >= 12, f"{band}: topics repeat"


@pytest.mark.parametrize("band", list(AgeBand))
def test_every_micro_lesson_has_three_distinct_rounds_in_every_language(
    catalog: Catalog, band: AgeBand
) -> None:
    for lesson in plan_lessons(catalog, band):
        for lang in ("kk", "ru", "en"):
            sessions = lesson.texts[lang].sessions
            assert {2, 3} <= set(sessions), f"{lesson.id} {lang}: rounds {sorted(sessions)}"
            texts = [session_text(lesson, lang, n) for n in (1, 2, 3)]
            assert len(set(texts)) == 3, f"{lesson.id} {lang}: two rounds are the same"
            scenarios = {sessions[2].scenario, sessions[3].scenario}
            assert len(scenarios) == 2, f"{lesson.id} {lang}: rounds 2 and 3 share a scenario"
            for number in (2, 3):
                assert len(sessions[number].steps) == len(lesson.step_minutes)


@pytest.mark.parametrize("band", list(AgeBand))
def test_every_micro_lesson_has_a_quiz(catalog: Catalog, band: AgeBand) -> None:
    for lesson in plan_lessons(catalog, band):
        assert catalog.quiz(lesson.quiz) is not None, f"{lesson.id} has no quiz"


@pytest.mark.parametrize("band", list(AgeBand))
def test_the_year_plan_fills_the_school_year_without_repeats(
    catalog: Catalog, band: AgeBand
) -> None:
    for grade in GRADES[band][:2]:  # a first and a second year of the rotation
        plan = year_plan(catalog, band, SCHOOL_YEAR, grade=grade)
        assert len(plan.weeks) >= 34
        weeks = {slot.week for slot in plan.slots}
        assert weeks == {week.number for week in plan.weeks}, f"{band} {grade}: empty weeks"
        given = [(slot.lesson.id, slot.session) for slot in plan.slots]
        repeated = [pair for pair, n in Counter(given).items() if n > 1]
        assert not repeated, f"{band} grade {grade}: given twice in a year: {repeated}"


@pytest.mark.parametrize("band", list(AgeBand))
def test_the_two_rotation_years_share_no_session(catalog: Catalog, band: AgeBand) -> None:
    first_grade, second_grade = GRADES[band][:2]
    first = year_plan(catalog, band, SCHOOL_YEAR, grade=first_grade)
    second = year_plan(catalog, band, SCHOOL_YEAR, grade=second_grade)
    assert (first.rotation_year, second.rotation_year) == (1, 2)
    with_second_year = {lesson.id for lesson in plan_lessons(catalog, band)}
    for lesson in plan_lessons(catalog, band):
        assert {4, 5, 6} <= sessions_available(lesson), f"{lesson.id}: no second year of rounds"
    both = {(s.lesson.id, s.session) for s in first.slots} & {
        (s.lesson.id, s.session) for s in second.slots
    }
    shared = sorted(pair for pair in both if pair[0] in with_second_year)
    assert not shared, f"{band}: both years give {shared}"
    for lesson in plan_lessons(catalog, band):
        for lang in ("kk", "ru", "en"):
            if lesson.id in with_second_year:
                texts = [session_text(lesson, lang, n) for n in range(1, 7)]
                assert len(set(texts)) == 6, f"{lesson.id} {lang}: two sessions are the same"


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


def states_the_duty_to_report(lesson: Lesson) -> bool:
    """A paragraph of the teacher notes starts with the bold lead, in every language."""
    for lang, lead in DUTY_TO_REPORT.items():
        text = lesson.texts[lang]
        paragraph = re.compile(rf"<(p|li)><strong>{re.escape(lead)}</strong>")
        teacher = [s.html for sid, s in text.sections.items() if sid in TEACHER_SECTIONS]
        if not any(paragraph.search(html) for html in teacher):
            return False
    return True


@pytest.mark.parametrize("band", list(AgeBand))
def test_every_band_states_the_duty_to_report(catalog: Catalog, band: AgeBand) -> None:
    stating = [
        lesson.id for lesson in catalog.select(band=band) if states_the_duty_to_report(lesson)
    ]
    assert stating, f"{band}: no lesson's teacher notes start a paragraph with {DUTY_TO_REPORT}"


def tells_what_to_do_if_a_friend_does_not_want_to_live(lesson: Lesson) -> bool:
    """Students see the agreed sub-heading and the help contacts after it, in every language."""
    for lang, heading in FRIEND_DOES_NOT_WANT_TO_LIVE.items():
        shown = "".join(
            s.html for sid, s in lesson.texts[lang].sections.items() if sid in STUDENT_SECTIONS
        )
        at = shown.find(f"<h3>{heading}</h3>")
        if at < 0 or not all(contact in shown[at:] for contact in SUICIDE_CONTACTS):
            return False
    return True


def test_grades_five_to_nine_learn_what_to_do_if_a_friend_does_not_want_to_live(
    catalog: Catalog,
) -> None:
    lessons = catalog.select(band=AgeBand.BASIC)
    assert any(tells_what_to_do_if_a_friend_does_not_want_to_live(x) for x in lessons), (
        f"no basic lesson shows students a section headed {FRIEND_DOES_NOT_WANT_TO_LIVE} "
        f"followed by {SUICIDE_CONTACTS}"
    )


@pytest.mark.parametrize("band", YOUNG_BANDS)
def test_no_multiple_response_questions_for_young_children(catalog: Catalog, band: AgeBand) -> None:
    found = [
        f"{quiz.id}/{question.id}"
        for quiz in catalog.quizzes.values()
        if quiz.band is band
        for question in quiz.questions
        if question.type is QuestionType.MULTIPLE
    ]
    assert not found, f"{band}: multiple-response questions: {found}"


def test_no_graded_quiz_can_be_passed_blind(catalog: Catalog) -> None:
    problems = blind_problems(ROOT, catalog.quizzes)
    assert not problems, "\n".join(map(str, problems))


def test_lessons_and_quizzes_use_the_glossary_terms() -> None:
    problems = glossary_problems(ROOT)
    assert not problems, "\n".join(map(str, problems))


# -- survey instruments (quizzes/survey/) ---------------------------------------------------------

OLDER_GROUPS = (AgeGroup.GRADES_5_9, AgeGroup.GRADES_10_11, AgeGroup.TVET)
OLDER_INDICATORS = (
    "bullied-2m-v1",
    "bullied-others-2m-v1",
    "cyber-bullied-2m-v1",
    "any-form-2m-v1",
    "witnessed-2m-v1",
    "defended-2m-v1",
    "told-anyone-v1",
    "feels-unsafe-2m-v1",
)


def test_every_age_group_has_its_survey(catalog: Catalog) -> None:
    for group in AgeGroup:
        assert catalog.survey_for(group) is not None, group
    preschool = catalog.survey_for(AgeGroup.PRESCHOOL)
    assert preschool is not None
    assert preschool.respondent is Respondent.TEACHER
    assert {i.reported_as for i in preschool.indicators} == {ReportedAs.OBSERVATION}


def test_young_children_hear_the_survey_and_are_never_counted_as_a_rate(catalog: Catalog) -> None:
    first = catalog.survey_for(AgeGroup.GRADES_1_2)
    assert first is not None
    assert first.read_aloud
    assert {i.reported_as for i in first.indicators} == {ReportedAs.CLIMATE}
    assert [o.icon for o in first.scales["faces3"].options] == [
        "face-no",
        "face-sometimes",
        "face-yes",
    ]
    third = catalog.survey_for(AgeGroup.GRADES_3_4)
    assert third is not None
    assert third.read_aloud
    assert [o.id for o in third.scales["frequency3"].options] == ["never", "once-or-twice", "often"]


@pytest.mark.parametrize("group", OLDER_GROUPS)
def test_older_surveys_use_the_standard_cut_off(catalog: Catalog, group: AgeGroup) -> None:
    survey = catalog.survey_for(group)
    assert survey is not None
    assert survey.definition is not None
    assert [o.id for o in survey.scales["frequency5"].options] == [
        "not-at-all",
        "once-or-twice",
        "two-three-a-month",
        "about-weekly",
        "several-a-week",
    ]
    codes = {i.code: i for i in survey.indicators}
    for code in OLDER_INDICATORS:
        assert code in codes, f"{survey.id}: no {code}"
    for indicator in survey.indicators:
        if indicator.scale == "frequency5":
            assert indicator.threshold == "two-three-a-month", indicator.code
            assert indicator.qualifying_values == (2, 3, 4)


def test_older_surveys_for_each_group_agree_on_their_indicators(catalog: Catalog) -> None:
    """Aggregates across grades 5-11 and colleges compare like with like: the same codes on
    the same items, scales and thresholds."""
    shapes = set()
    for group in OLDER_GROUPS:
        survey = catalog.survey_for(group)
        assert survey is not None
        shapes.add(
            tuple((i.code, i.items, i.rule, i.scale, i.threshold) for i in survey.indicators)
        )
    assert len(shapes) == 1


def test_surveys_never_promise_secrecy(catalog: Catalog) -> None:
    for survey in catalog.surveys.values():
        texts = [survey.title, survey.intro, survey.definition or {}]
        texts += [s.title for s in survey.sections] + [i.text for i in survey.items]
        texts += [o.text for scale in survey.scales.values() for o in scale.options]
        for text in texts:
            for lang, pattern in SECRECY.items():
                assert not pattern.search(text.get(lang, "")), survey.id
