"""Survey results: indicators computed in the database from a known answer pattern, frozen at
the close, under the gate, the k = 5 rule and complementary suppression; on SQLite and on
PostgreSQL (``--db=postgresql``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from app.content_catalog import catalog
from app.extensions import db
from app.models import Deployment, Platform, School, SchoolClass, SurveyResponse, SurveyWave
from app.models.base import utc_today
from app.models.survey import SurveyWindow, random_id
from app.models.survey_result import SurveyResult
from app.services import survey_results, surveys
from app.services.disclosure import NotPublishable
from tests.support.pages import csrf
from tests.support.pages import form_action as action
from tests.web.test_surveys import SurveyedSchool, answer

BULLIED, ANY_FORM, TOLD = "bullied-2m-v1", "any-form-2m-v1", "told-anyone-v1"
FREQ = ["not-at-all", "once-or-twice", "two-three-a-month", "about-weekly", "several-a-week"]


def pattern_of_25() -> list[dict[str, str]]:
    """A class of 25 whose indicators are worked out by hand below."""
    answers = []
    for n in range(25):
        given: dict[str, str] = {}
        if n < 8:
            given["bullied"] = "two-three-a-month"  # 8 bullied
        elif n < 20:
            given["bullied"] = "not-at-all"  # 12 not; 20..24 skip the item
        if n < 4:
            given["cyber-messages"] = "about-weekly"
        elif n < 15:
            given["cyber-messages"] = "once-or-twice"
        elif n >= 20:
            given["cyber-messages"] = "several-a-week"
        if n < 22:
            given["told-friend"] = "yes" if n % 2 == 0 else "no"
        answers.append(given)
    return answers


# bullied: 8 of the 20 who answered it. any form (bullied or cyber at 2+ a month): 0..7 and
# 20..24 = 13 of all 25 (everyone answered one of the two). told: 11 even numbers of 0..21.
HAND_COMPUTED = {BULLIED: (8, 20), ANY_FORM: (13, 25), TOLD: (11, 22)}


def test_a_class_of_25_gives_the_hand_computed_indicators(app: Any, platform: Any) -> None:
    school = SurveyedSchool(app, platform)
    assert school.set_up_wave().status_code == 303
    assert school.start_in_class().status_code == 303
    window = school.window_id()
    for n, given in enumerate(pattern_of_25()):
        assert answer(school.student(f"pupil-{n}"), window, given).status_code == 303
    with app.app_context():
        wave_id = db.session.scalars(select(SurveyWave.id)).one()
        class_id = db.session.scalars(select(SchoolClass.id)).one()
        survey = catalog().survey("fixture-grades-5-11")
        values = [
            {k: FREQ.index(v) if v in FREQ else ("no", "yes").index(v) for k, v in a.items()}
            for a in pattern_of_25()
        ]
        for code, (x, n) in HAND_COMPUTED.items():
            met = [survey.indicator(code).meets(v) for v in values]
            assert (met.count(True), len(met) - met.count(None)) == (x, n), "the reference"
    page = school.coordinator.get("/surveys/waves").get_data(as_text=True)
    closed = school.coordinator.post(
        action(page, f"/surveys/waves/{wave_id}/close"), data={"csrf_token": csrf(page)}
    )
    assert closed.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(SurveyResult)) > 0, (
            "results are frozen when the wave closes"
        )
        found = survey_results.wave_results(wave_id, school_id=school.school_id, catalog=catalog())
        (unit,) = found.classes
        assert unit.respondents == 25
        for code, (x, n) in HAND_COMPUTED.items():
            cell = unit.cell(code)
            assert (cell.status, cell.numerator, cell.denominator) == ("ok", x, n)
            school_cell = found.school.cell(code)
            assert (school_cell.numerator, school_cell.denominator) == (x, n)
        assert unit.cell(BULLIED).percent == 40
        assert unit.cell(ANY_FORM).percent == 52
        assert unit.cell(TOLD).percent == 50
        assert unit.cell(BULLIED).reported_as == "prevalence"
        assert survey_results.class_results(wave_id, class_id=class_id, catalog=catalog()) == unit


# -- a school built directly in the database ------------------------------------------------


class School_:
    """A school whose classes answer given patterns, written straight to the tables."""

    def __init__(self, app: Any, name: str = "Мектеп №7 Әл-Фараби") -> None:
        self.app = app
        with app.app_context():
            platform = db.session.scalars(select(Platform)).first()
            deployment = db.session.scalars(select(Deployment)).first()
            school = School(platform_id=platform.id, key=f"param:{random_id()}", name=name)
            db.session.add(school)
            db.session.commit()
            self.platform_id, self.deployment_id, self.school_id = (
                platform.id,
                deployment.id,
                school.id,
            )
        self.classes: list[int] = []

    def wave(self, code: str) -> int:
        with self.app.app_context():
            today = utc_today()
            wave = surveys.open_wave(
                self.school_id,
                code,
                today,
                today + timedelta(days=7),
                "opt-out",
                surveys.default_instruments(catalog()),
                catalog(),
            )
            return wave.id

    def add_class(self, title: str, band: str = "basic") -> int:
        with self.app.app_context():
            school_class = SchoolClass(
                platform_id=self.platform_id,
                deployment_id=self.deployment_id,
                school_id=self.school_id,
                context_id=random_id(),
                title=title,
                label=title,
                band=band,
            )
            db.session.add(school_class)
            db.session.commit()
            self.classes.append(school_class.id)
            return school_class.id

    def answers(
        self, wave_id: int, class_id: int, rows: list[dict[str, int]], group: str = "grades-5-9"
    ) -> None:
        with self.app.app_context():
            wave = db.session.get(SurveyWave, wave_id)
            window = surveys.open_window(
                wave, db.session.get(SchoolClass, class_id), group, catalog(), utc_today()
            )
            if rows:
                db.session.execute(
                    insert(SurveyResponse.__table__),
                    [{"id": random_id(), "window_id": window.id, "answers": a} for a in rows],
                )
                db.session.commit()

    def close(self, wave_id: int) -> None:
        with self.app.app_context():
            surveys.close_wave(db.session.get(SurveyWave, wave_id), utc_today(), catalog())

    def results(self, wave_id: int) -> survey_results.WaveResults:
        with self.app.app_context():
            return survey_results.wave_results(wave_id, school_id=self.school_id, catalog=catalog())


def bullied(x: int, n: int) -> list[dict[str, int]]:
    """``n`` respondents, ``x`` of them bullied two or three times a month or more."""
    return [{"bullied": 2 if i < x else 0, "told-friend": i % 2} for i in range(n)]


@pytest.fixture
def build(app: Any, platform: Any) -> Any:
    return lambda **kw: School_(app, **kw)


def one_wave(build: Any, classes: list[list[dict[str, int]]]) -> tuple[School_, int]:
    school = build()
    wave = school.wave("2026-autumn")
    for i, rows in enumerate(classes):
        school.answers(wave, school.add_class(f"7{chr(65 + i)}"), rows)
    school.close(wave)
    return school, wave


def status_of(results: survey_results.WaveResults, title: str, code: str = BULLIED) -> str:
    unit = next(u for u in results.classes if u.name == title)
    return unit.cell(code).status


def test_the_gate_is_ten_respondents_per_class(build: Any) -> None:
    school, wave = one_wave(build, [bullied(5, 9), bullied(5, 10), bullied(6, 30), bullied(7, 30)])
    found = school.results(wave)
    nine = next(u for u in found.classes if u.name == "7A")
    assert nine.status == "below_gate"
    assert nine.respondents == 9  # the count is shown; the numbers never
    assert {c.status for c in nine.cells} == {"below_gate"}
    assert all(c.numerator is None and c.denominator is None for c in nine.cells)
    assert next(u for u in found.classes if u.name == "7B").status == "ok"


def test_the_cell_rule_on_both_sides(build: Any) -> None:
    school, wave = one_wave(
        build, [bullied(4, 20), bullied(16, 20), bullied(5, 20), bullied(10, 30), bullied(12, 30)]
    )
    found = school.results(wave)
    assert status_of(found, "7A") == "suppressed_primary"
    assert status_of(found, "7B") == "suppressed_primary"
    shown = next(u for u in found.classes if u.name == "7C").cell(BULLIED)
    assert (shown.status, shown.numerator, shown.denominator) == ("ok", 5, 20)
    # Two primary cells already cover each other: no secondary is needed.
    assert found.school.cell(BULLIED).numerator == 47


def test_one_hidden_class_takes_a_sibling_and_the_school_stays(build: Any) -> None:
    school, wave = one_wave(build, [bullied(3, 25), bullied(10, 22), bullied(12, 28)])
    found = school.results(wave)
    assert status_of(found, "7A") == "suppressed_primary"
    assert status_of(found, "7B") == "suppressed_secondary"
    assert status_of(found, "7C") == "ok"
    assert found.school.cell(BULLIED).numerator == 25


def test_a_school_of_one_class(build: Any) -> None:
    school, wave = one_wave(build, [bullied(3, 25)])
    found = school.results(wave)
    assert status_of(found, "7A") == "suppressed_primary"
    assert found.school.cell(BULLIED).status == "suppressed_primary"
    assert found.school.cell(BULLIED).numerator is None


def test_a_wave_with_no_answers_shows_nothing(build: Any) -> None:
    school, wave = one_wave(build, [[]])
    found = school.results(wave)
    assert found.school.status == "below_gate"
    assert found.classes[0].respondents == 0


def test_results_are_frozen_at_the_close_and_read_identically(app: Any, build: Any) -> None:
    school, wave = one_wave(build, [bullied(3, 25), bullied(10, 22), bullied(12, 28)])
    first = school.results(wave)
    with app.app_context():
        # New answers, a renamed class and changed content after the close change nothing.
        window = db.session.scalars(select(SurveyWindow.id)).first()
        db.session.execute(
            insert(SurveyResponse.__table__),
            [{"id": random_id(), "window_id": window, "answers": {"bullied": 4}} for _ in range(3)],
        )
        db.session.execute(update(SchoolClass).values(title="renamed", label="renamed"))
        db.session.commit()
        catalog().surveys.pop("fixture-grades-5-11")
    try:
        assert school.results(wave) == first
        assert repr(school.results(wave)) == repr(first)
    finally:
        app.extensions.pop("qadam_catalog")


def test_an_open_wave_has_no_results(app: Any, build: Any) -> None:
    school = build()
    wave = school.wave("2026-autumn")
    school.answers(wave, school.add_class("7A"), bullied(10, 20))
    with app.app_context(), pytest.raises(survey_results.ResultsProblem, match="wave-open"):
        survey_results.wave_results(wave, school_id=school.school_id, catalog=catalog())


def test_a_stored_result_that_lets_a_count_be_derived_is_never_read(app: Any, build: Any) -> None:
    school, wave = one_wave(build, [bullied(3, 25), bullied(10, 22), bullied(12, 28)])
    with app.app_context():
        # As a faulty suppression would have left it: one hidden class under a shown total.
        db.session.execute(
            update(SurveyResult)
            .where(SurveyResult.status == "suppressed_secondary")
            .values(status="ok")
        )
        db.session.commit()
    with pytest.raises(NotPublishable, match="numerator"):
        school.results(wave)


def test_codes_shared_across_age_groups_are_summed_and_others_kept_apart(build: Any) -> None:
    school = build()
    wave = school.wave("2026-autumn")
    school.answers(wave, school.add_class("6A"), bullied(6, 20))
    school.answers(wave, school.add_class("10A", band="upper"), bullied(7, 20), "grades-10-11")
    climate = [{"left-out": 1 if i < 6 else 0, "has-friend": 1} for i in range(15)]
    school.answers(wave, school.add_class("1A", band="primary"), climate, "grades-1-2")
    school.close(wave)
    found = school.results(wave)
    assert found.school.cell(BULLIED).numerator == 13
    assert found.school.cell(BULLIED).denominator == 40
    first_grade = next(u for u in found.classes if u.name == "1A")
    left_out = first_grade.cell("left-out-v1")
    assert (left_out.reported_as, left_out.numerator) == ("climate", 6)
    assert found.school.cell("left-out-v1").reported_as == "climate"
    assert first_grade.cell(BULLIED) is None


def test_a_trend_from_autumn_to_spring(build: Any, app: Any) -> None:
    school = build()
    autumn, spring = school.wave("2026-autumn"), school.wave("2027-spring")
    big, small = school.add_class("7A"), school.add_class("7B")
    school.answers(autumn, big, bullied(10, 25))
    school.answers(autumn, small, bullied(2, 9))
    school.answers(spring, big, bullied(6, 25))
    school.answers(spring, small, bullied(5, 12))
    school.close(autumn)
    school.close(spring)
    with app.app_context():
        args = {"school_id": school.school_id, "catalog": catalog()}
        found = survey_results.unit_trend("class", big, autumn, spring, **args)
        row = next(r for r in found.rows if r.code == BULLIED)
        # 7A's own cells are hidden in autumn (7B is below the gate, so 7A covers it).
        assert row.autumn.status == "suppressed_secondary"
        assert row.change is None
        gated = survey_results.unit_trend("class", small, autumn, spring, **args)
        assert (gated.status, gated.rows) == ("below_gate", ())
        whole = survey_results.unit_trend("school", school.school_id, autumn, spring, **args)
        row = next(r for r in whole.rows if r.code == BULLIED)
        # autumn 12 of 34 (35.3 %), spring 11 of 37 (29.7 %): -6 points (-5.6)
        assert (row.autumn.numerator, row.spring.numerator, row.change) == (12, 11, -6)


def test_another_school_never_reads_this_one(app: Any, build: Any) -> None:
    _school, wave = one_wave(build, [bullied(10, 25)])
    other = build(name="Other")
    with app.app_context():
        with pytest.raises(survey_results.ResultsProblem, match="not-found"):
            survey_results.wave_results(wave, school_id=other.school_id, catalog=catalog())
        foreign = SchoolClass(
            platform_id=other.platform_id,
            deployment_id=other.deployment_id,
            school_id=other.school_id,
            context_id="elsewhere",
        )
        db.session.add(foreign)
        db.session.commit()
        with pytest.raises(survey_results.ResultsProblem, match="not-found"):
            survey_results.class_results(wave, class_id=foreign.id, catalog=catalog())


# -- who sees what, through the pages -------------------------------------------------------


def closed_class_of_12(app: Any, platform: Any) -> tuple[SurveyedSchool, int]:
    school = SurveyedSchool(app, platform)
    assert school.set_up_wave().status_code == 303
    assert school.start_in_class().status_code == 303
    window = school.window_id()
    for n in range(12):
        given = {"bullied": "two-three-a-month" if n < 6 else "not-at-all"}
        if n < 3:
            given["told-friend"] = "yes"
        assert answer(school.student(f"pupil-{n}"), window, given).status_code == 303
    with app.app_context():
        wave_id = db.session.scalars(select(SurveyWave.id)).one()
    page = school.coordinator.get("/surveys/waves").get_data(as_text=True)
    school.coordinator.post(
        action(page, f"/surveys/waves/{wave_id}/close"), data={"csrf_token": csrf(page)}
    )
    return school, wave_id


def coordinator_of_another_school(app: Any, platform: Any) -> Any:
    from app.services import schools

    with app.app_context():
        platform_id = db.session.scalars(select(Platform.id)).first()
        other = schools.add_school(platform_id, "other-school", "Other school").id
    result = app.test_cli_runner().invoke(args=["coordinator", "code", "--school", str(other)])
    code = result.stdout.split()[0]
    client = app.test_client()
    course = {"id": "course-other", "title": "9Z", "label": "9Z"}
    platform.launch(client, "instructor", locale="en", context=course, sub="psy-2")
    page = client.get("/coordinator/code").get_data(as_text=True)
    client.post(action(page, "/coordinator/code"), data={"csrf_token": csrf(page), "code": code})
    return client


def test_the_coordinator_and_the_teacher_read_the_results_pages(app: Any, platform: Any) -> None:
    school, wave = closed_class_of_12(app, platform)
    waves_page = school.coordinator.get("/surveys/waves").get_data(as_text=True)
    assert f"/surveys/waves/{wave}/results" in waves_page
    page = school.coordinator.get(f"/surveys/waves/{wave}/results")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "50% (6 of 12)" in html
    assert "Not shown: too few answers to protect anonymity" in html  # told: 3 of 12
    assert 'data-status="suppressed_primary"' in html
    class_page = school.teacher.get("/surveys/class").get_data(as_text=True)
    assert f"/surveys/class/results/{wave}" in class_page
    mine = school.teacher.get(f"/surveys/class/results/{wave}")
    assert mine.status_code == 200
    assert "50% (6 of 12)" in mine.get_data(as_text=True)


def test_a_student_never_sees_any_result(app: Any, platform: Any) -> None:
    school, wave = closed_class_of_12(app, platform)
    student = school.student("pupil-0")
    assert student.get(f"/surveys/waves/{wave}/results").status_code == 403
    assert student.get(f"/surveys/class/results/{wave}").status_code == 403


def test_a_teacher_never_sees_another_class_or_the_school(app: Any, platform: Any) -> None:
    school, wave = closed_class_of_12(app, platform)
    assert school.teacher.get(f"/surveys/waves/{wave}/results").status_code == 403
    other = app.test_client()
    course = {"id": "course-6b", "title": "6B", "label": "6B"}
    platform.launch(other, "instructor", locale="en", context=course, sub="teacher-6b")
    with app.app_context():
        db.session.execute(
            update(SchoolClass)
            .where(SchoolClass.context_id == "course-6b")
            .values(school_id=school.school_id, band="basic")
        )
        db.session.commit()
    found = other.get(f"/surveys/class/results/{wave}")
    assert found.status_code == 404
    assert "6 of 12" not in found.get_data(as_text=True)


def test_a_coordinator_never_sees_another_school(app: Any, platform: Any) -> None:
    _school, wave = closed_class_of_12(app, platform)
    stranger = coordinator_of_another_school(app, platform)
    assert stranger.get("/surveys/waves").status_code == 200
    refused = stranger.get(f"/surveys/waves/{wave}/results")
    assert refused.status_code == 404
    assert "6 of 12" not in refused.get_data(as_text=True)


def test_an_open_wave_shows_a_plain_message(app: Any, platform: Any) -> None:
    school = SurveyedSchool(app, platform)
    assert school.set_up_wave().status_code == 303
    with app.app_context():
        wave_id = db.session.scalars(select(SurveyWave.id)).one()
    page = school.coordinator.get(f"/surveys/waves/{wave_id}/results")
    assert page.status_code == 409
    assert "only after the wave closes" in page.get_data(as_text=True)
