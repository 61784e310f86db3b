"""Autumn to spring: the trend page for the school coordinator and for a class's teacher, the
change shown only where both values are published, the trend exports (CSV, XLSX, PDF), the
charts on the results pages, and who may see what; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update

from app.extensions import db
from app.models import SchoolClass, SurveyWave
from app.services import disclosure
from tests.support.pages import csrf
from tests.web.test_survey_results import (
    BULLIED,
    School_,
    bullied,
    coordinator_of_another_school,
)
from tests.web.test_surveys import SurveyedSchool

AUTUMN_DAY, SPRING_DAY = date(2025, 9, 15), date(2026, 2, 10)
TOO_FEW = "Not shown: too few answers to protect anonymity"
NOT_COMPARED = "Not compared: a value of one of the waves is not shown"
FORMATS = ("csv", "xlsx", "pdf")


class Trended(School_):
    """The teacher's and coordinator's school of ``SurveyedSchool``, filled like ``School_``."""

    def __init__(self, app: Any, platform: Any) -> None:
        self.people = SurveyedSchool(app, platform)
        self.app = app
        with app.app_context():
            mine = db.session.scalars(select(SchoolClass)).one()
            self.platform_id, self.deployment_id = mine.platform_id, mine.deployment_id
            self.school_id = int(mine.school_id)
            self.mine = mine.id
            mine.label = mine.title = "6A"
            db.session.commit()
        self.classes = [self.mine]

    def dated(self, wave_id: int, opens_on: date) -> None:
        """Move a wave to its place in the school year (after its windows were opened)."""
        with self.app.app_context():
            db.session.execute(
                update(SurveyWave)
                .where(SurveyWave.id == wave_id)
                .values(opens_on=opens_on, closes_on=opens_on + timedelta(days=10))
            )
            db.session.commit()

    def two_waves(
        self,
        autumn: dict[int, list[dict[str, int]]],
        spring: dict[int, list[dict[str, int]]],
        codes: tuple[str, str] = ("2025-autumn", "2026-spring"),
        days: tuple[date, date] = (AUTUMN_DAY, SPRING_DAY),
    ) -> tuple[int, int]:
        waves = []
        for code, day, rows in zip(codes, days, (autumn, spring), strict=True):
            wave = self.wave(code)
            for class_id, answers in rows.items():
                self.answers(wave, class_id, answers)
            self.dated(wave, day)
            self.close(wave)
            waves.append(wave)
        return waves[0], waves[1]


@pytest.fixture
def school(app: Any, platform: Any) -> Trended:
    return Trended(app, platform)


def standard(school: Trended) -> tuple[int, int, dict[str, int]]:
    """6A (the teacher's), 6B and 6C in autumn and spring; 6B is hidden in autumn (3 of 25),
    so 6A (the smallest shown sibling) is hidden with it."""
    b, c = school.add_class("6B"), school.add_class("6C")
    autumn, spring = school.two_waves(
        {school.mine: bullied(10, 25), b: bullied(3, 25), c: bullied(12, 28)},
        {school.mine: bullied(6, 25), b: bullied(8, 25), c: bullied(14, 28)},
    )
    return autumn, spring, {"6A": school.mine, "6B": b, "6C": c}


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if "results" in url or "trends" in url:
        assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_the_coordinator_sees_both_waves_and_the_change_only_where_both_are_shown(
    school: Trended,
) -> None:
    autumn, spring, classes = standard(school)
    coordinator = school.people.coordinator
    html = page(coordinator, f"/surveys/trends/{autumn}/{spring}")
    assert "2025-autumn" in html
    assert "2026-spring" in html
    # The school in full: 25 of 78 to 28 of 78; its classes as one table of links.
    assert "32% (25 of 78)" in html
    assert "36% (28 of 78)" in html
    assert "+4 points" in html
    assert html.count('role="img"') == 1  # the school's chart only
    assert "(12 of 28)" not in html
    for class_id in classes.values():
        assert f"/surveys/trends/{autumn}/{spring}/classes/{class_id}" in html
    # 6C: 12 of 28 (42.9 %) to 14 of 28 (50 %): +7 points, on its own page.
    sixth_c = page(coordinator, f"/surveys/trends/{autumn}/{spring}/classes/{classes['6C']}")
    assert "43% (12 of 28)" in sixth_c
    assert "50% (14 of 28)" in sixth_c
    assert "+7 points" in sixth_c
    assert sixth_c.count('role="img"') == 1
    assert f"/surveys/trends/{autumn}/{spring}" in sixth_c  # back to the school
    # 6A and 6B are hidden in autumn: their spring values show, no change is given.
    sixth_a = page(coordinator, f"/surveys/trends/{autumn}/{spring}/classes/{classes['6A']}")
    sixth_b = page(coordinator, f"/surveys/trends/{autumn}/{spring}/classes/{classes['6B']}")
    assert "24% (6 of 25)" in sixth_a
    assert "32% (8 of 25)" in sixth_b
    for hidden_in_autumn in (sixth_a, sixth_b):
        assert NOT_COMPARED in hidden_in_autumn
        assert "(10 of 25)" not in hidden_in_autumn
        assert "(3 of 25)" not in hidden_in_autumn
    assert 'data-status="suppressed_primary"' in sixth_b
    assert 'data-status="suppressed_secondary"' in sixth_a
    waves = page(coordinator, "/surveys/waves")
    assert f"/surveys/trends/{autumn}/{spring}" in waves
    results = page(coordinator, f"/surveys/waves/{spring}/results")
    assert f"/surveys/trends/{autumn}/{spring}" in results


def test_the_teacher_sees_the_trend_of_their_own_class_only(school: Trended, app: Any) -> None:
    autumn, spring, _classes = standard(school)
    teacher = school.people.teacher
    assert f"/surveys/class/trends/{autumn}/{spring}" in page(teacher, "/surveys/class")
    html = page(teacher, f"/surveys/class/trends/{autumn}/{spring}")
    assert "24% (6 of 25)" in html
    assert NOT_COMPARED in html
    assert "Not shown: hidden as well" in html
    assert "<h2>6C</h2>" not in html  # not "6C": a launch key in a link may hold it
    assert "(14 of 28)" not in html
    assert "(28 of 78)" not in html
    assert html.count('role="img"') == 1
    assert teacher.get(f"/surveys/trends/{autumn}/{spring}").status_code == 403
    for ext in FORMATS:
        url = f"/surveys/trends/{autumn}/{spring}/results.{ext}"
        assert teacher.get(url).status_code == 403


def test_a_student_another_teacher_and_another_school_see_no_trend(
    school: Trended, app: Any, platform: Any
) -> None:
    autumn, spring, _classes = standard(school)
    student = school.people.student("pupil-0")
    assert student.get(f"/surveys/trends/{autumn}/{spring}").status_code == 403
    assert student.get(f"/surveys/class/trends/{autumn}/{spring}").status_code == 403
    other = app.test_client()
    course = {"id": "course-6z", "title": "6Z", "label": "6Z"}
    platform.launch(other, "instructor", locale="en", context=course, sub="teacher-6z")
    with app.app_context():
        db.session.execute(
            update(SchoolClass)
            .where(SchoolClass.context_id == "course-6z")
            .values(school_id=school.school_id, band="basic")
        )
        db.session.commit()
    assert other.get(f"/surveys/class/trends/{autumn}/{spring}").status_code == 404
    stranger = coordinator_of_another_school(app, platform)
    assert stranger.get(f"/surveys/trends/{autumn}/{spring}").status_code == 404
    assert stranger.get(f"/surveys/trends/{autumn}/{spring}/results.csv").status_code == 404


def test_only_an_autumn_and_a_spring_of_one_school_year_make_a_pair(school: Trended) -> None:
    autumn, spring, classes = standard(school)
    rows = {classes["6C"]: bullied(12, 28)}
    later_spring = school.wave("2027-spring")
    school.answers(later_spring, classes["6C"], rows[classes["6C"]])
    school.dated(later_spring, date(2027, 3, 1))
    school.close(later_spring)
    second_autumn = school.wave("2025-autumn-b")
    school.dated(second_autumn, date(2025, 10, 1))
    school.close(second_autumn)
    coordinator = school.people.coordinator
    for first, second in (
        (spring, autumn),  # the wrong way round
        (autumn, later_spring),  # another school year
        (autumn, second_autumn),  # two autumns
        (autumn, autumn),
    ):
        assert coordinator.get(f"/surveys/trends/{first}/{second}").status_code == 404
        assert coordinator.get(f"/surveys/trends/{first}/{second}/results.csv").status_code == 404
    assert coordinator.get(f"/surveys/trends/{second_autumn}/{spring}").status_code == 200


def test_an_open_wave_has_no_trend(school: Trended) -> None:
    autumn = school.wave("2025-autumn")
    school.dated(autumn, AUTUMN_DAY)
    school.close(autumn)
    spring = school.wave("2026-spring")
    school.answers(spring, school.mine, bullied(10, 25))
    school.dated(spring, SPRING_DAY)
    assert school.people.coordinator.get(f"/surveys/trends/{autumn}/{spring}").status_code == 404


def trend_csv(client: Any, autumn: int, spring: int) -> list[dict[str, str]]:
    response = client.get(f"/surveys/trends/{autumn}/{spring}/results.csv")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    name = 'filename="2025-autumn-2026-spring-trend.csv"'
    assert name in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_trend_exports_hold_the_values_the_change_and_the_statuses(school: Trended) -> None:
    autumn, spring, _classes = standard(school)
    coordinator = school.people.coordinator
    rows = {
        (r["Class or school"], r["Indicator code"]): r
        for r in trend_csv(coordinator, autumn, spring)
    }
    six_c = rows[("6C", BULLIED)]
    assert (six_c["Numerator in autumn"], six_c["Denominator in autumn"]) == ("12", "28")
    assert (six_c["Numerator in spring"], six_c["Percent in spring"]) == ("14", "50")
    assert six_c["Change in percentage points"] == "7"
    six_a = rows[("6A", BULLIED)]
    assert six_a["Status in autumn"] == "suppressed_secondary"
    assert six_a["Numerator in autumn"] == six_a["Percent in autumn"] == ""
    assert (six_a["Numerator in spring"], six_a["Change in percentage points"]) == ("6", "")
    assert six_a["Why not shown"].startswith("Not shown: hidden as well")
    assert rows[("6B", BULLIED)]["Why not shown"] == TOO_FEW
    book = load_workbook(io.BytesIO(coordinator.get(export_url(autumn, spring, "xlsx")).data))
    assert book.sheetnames == ["School", "Classes", "Method"]
    header, *school_rows = list(book["School"].iter_rows(values_only=True))
    column = {title: i for i, title in enumerate(header)}
    school_row = next(r for r in school_rows if r[column["Indicator code"]] == BULLIED)
    assert school_row[column["Numerator in autumn"]] == 25
    assert school_row[column["Numerator in spring"]] == 28
    assert school_row[column["Change in percentage points"]] == 4
    method = [row[0] for row in book["Method"].iter_rows(values_only=True)]
    assert any("only where the value is shown in both waves" in line for line in method)
    pdf = coordinator.get(export_url(autumn, spring, "pdf"))
    assert pdf.mimetype == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split()
    )
    for expected in ("43% (12 of 28)", "50% (14 of 28)", "+7 points", "+4 points", NOT_COMPARED):
        assert expected in text
    assert "(10 of 25)" not in text
    assert "(3 of 25)" not in text
    for ext in FORMATS:
        url = export_url(autumn, spring, ext)
        assert coordinator.get(url).data == coordinator.get(url).data, f"{ext} re-downloads"


def export_url(autumn: int, spring: int, ext: str) -> str:
    return f"/surveys/trends/{autumn}/{spring}/results.{ext}"


def test_the_trend_is_refused_when_the_check_fails(
    school: Trended, monkeypatch: pytest.MonkeyPatch
) -> None:
    autumn, spring, _classes = standard(school)
    coordinator = school.people.coordinator

    def derivable(*_args: Any, **_kwargs: Any) -> None:
        raise disclosure.NotPublishable("numerator of class:1/bullied-2m-v1 = 3")

    monkeypatch.setattr(disclosure, "require_publishable", derivable)
    for url in (
        f"/surveys/trends/{autumn}/{spring}",
        f"/surveys/class/trends/{autumn}/{spring}",
        *(export_url(autumn, spring, ext) for ext in FORMATS),
    ):
        client = school.people.teacher if "/class/" in url else coordinator
        refused = client.get(url)
        assert refused.status_code == 409, url
        body = refused.get_data(as_text=True)
        assert "a hidden number could be worked out" in body
        assert "bullied-2m-v1" not in body
        assert "Traceback" not in body


def test_the_results_pages_draw_charts_with_hidden_values_hatched(school: Trended) -> None:
    autumn, _spring, classes = standard(school)
    html = page(school.people.coordinator, f"/surveys/waves/{autumn}/results")
    assert html.count('role="img"') == 1  # the school's; each class has its own page
    sixth_b = page(
        school.people.coordinator, f"/surveys/waves/{autumn}/results/classes/{classes['6B']}"
    )
    assert sixth_b.count('role="img"') == 1
    assert 'aria-label="Bar chart of the results of 6B' in sixth_b
    assert 'fill="url(#chart-class-' in sixth_b  # a hidden value: a hatched track
    mine = page(school.people.teacher, f"/surveys/class/results/{autumn}")
    assert mine.count('role="img"') == 1
    assert "Not shown: hidden as" in mine[mine.index("<svg") : mine.index("</svg>")]


def test_the_trend_pdf_keeps_kazakh_letters(school: Trended) -> None:
    autumn, spring, _classes = standard(school)
    coordinator = school.people.coordinator
    waves = coordinator.get("/surveys/waves").get_data(as_text=True)
    switched = coordinator.post(
        "/language", data={"lang": "kk", "next": "/surveys/waves", "csrf_token": csrf(waves)}
    )
    assert switched.status_code == 303
    html = page(coordinator, f"/surveys/trends/{autumn}/{spring}")
    assert "Күзден көктемге дейін" in html
    assert "бағаналы диаграммасы" in html
    pdf = coordinator.get(export_url(autumn, spring, "pdf"))
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split()
    )
    for expected in ("Күзден көктемге дейін", "Күз", "Көктем", "+7 пайыздық тармақ"):
        assert expected in text
    assert "Салыстырылмайды" in text
    # The charts name each bar by its wave: 4 units of 3 indicators, and the table headers.
    assert text.count("Көктем") >= 4 * 3 + 4
