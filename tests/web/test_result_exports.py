"""Exports of a closed wave's results for the school coordinator: CSV, XLSX and the PDF report
hold the hand-computed values and the suppression statuses, repeat byte for byte, are refused to
anyone else and when the recoverability check fails; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update

from app.extensions import db
from app.models import School, SurveyWave
from app.models.survey_result import SurveyResult
from app.result_labels import export_words
from app.services import disclosure, result_exports
from tests.support.pages import csrf
from tests.web.test_survey_results import (
    School_,
    bullied,
    closed_class_of_12,
    coordinator_of_another_school,
    one_wave,
)

KAZAKH_SCHOOL = "Әл-Фараби атындағы №7 мектеп: ғ қ ң ө ұ ү һ і"
FORMATS = ("csv", "xlsx", "pdf")
TOO_FEW = "Not shown: too few answers to protect anonymity"
# The class of 12 (the whole school): bullied 6 of 12 (50 %), any form 6 of 12 (50 %); told
# anyone: 3 of the 3 who answered, hidden by the cell rule (fewer than 5 did not).
SHOWN = {"bullied-2m-v1": (6, 12, 50), "any-form-2m-v1": (6, 12, 50)}
HIDDEN = {"told-anyone-v1": "suppressed_primary"}


@pytest.fixture
def build(app: Any, platform: Any) -> Any:
    return lambda **kw: School_(app, **kw)


def export(client: Any, wave: int, ext: str) -> Any:
    return client.get(f"/surveys/waves/{wave}/results.{ext}")


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_holds_the_values_and_the_suppression(app: Any, platform: Any) -> None:
    school, wave = closed_class_of_12(app, platform)
    response = export(school.coordinator, wave, "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="2026-autumn-results.csv"' in response.headers["Content-Disposition"]
    rows = csv_rows(response.data)
    assert len(rows) == 2 * 3  # school and class, three indicators each
    assert {r["Level"] for r in rows} == {"School", "Class"}
    for row in rows:
        assert row["Respondents"] == "12"
        code = row["Indicator code"]
        if code in SHOWN:
            found = (row["Numerator"], row["Denominator"], row["Percent"])
            assert found == tuple(str(v) for v in SHOWN[code])
            assert (row["Status"], row["Why not shown"]) == ("ok", "")
        else:
            assert row["Status"] == HIDDEN[code]
            assert row["Why not shown"] == TOO_FEW
            assert row["Numerator"] == row["Denominator"] == row["Percent"] == ""
    assert export(school.coordinator, wave, "csv").data == response.data


def test_the_xlsx_has_numbers_a_sheet_per_level_and_the_method(app: Any, platform: Any) -> None:
    school, wave = closed_class_of_12(app, platform)
    response = export(school.coordinator, wave, "xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["School", "Classes", "Method"]
    for name in ("School", "Classes"):
        header, *rows = list(book[name].iter_rows(values_only=True))
        assert len(rows) == 3
        column = {title: i for i, title in enumerate(header)}
        for row in rows:
            code = row[column["Indicator code"]]
            assert row[column["Respondents"]] == 12
            numbers = tuple(row[column[t]] for t in ("Numerator", "Denominator", "Percent"))
            if code in SHOWN:
                assert numbers == SHOWN[code]
                assert all(isinstance(n, int) for n in numbers)
            else:
                assert numbers == (None, None, None)
                assert row[column["Status"]] == HIDDEN[code]
                assert row[column["Why not shown"]] == TOO_FEW
    method = [row[0] for row in book["Method"].iter_rows(values_only=True)]
    assert method[0] == "sdc-v1:gate10,k5"
    assert any("fewer than 10 respondents" in line for line in method)
    assert export(school.coordinator, wave, "xlsx").data == response.data


def test_the_pdf_keeps_kazakh_letters(app: Any, platform: Any) -> None:
    school, wave = closed_class_of_12(app, platform)
    with app.app_context():
        db.session.execute(update(School).values(name=KAZAKH_SCHOOL))
        db.session.commit()
    page = school.coordinator.get("/surveys/waves").get_data(as_text=True)
    switched = school.coordinator.post(
        "/language", data={"lang": "kk", "next": "/surveys/waves", "csrf_token": csrf(page)}
    )
    assert switched.status_code == 303
    response = export(school.coordinator, wave, "pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    flat = " ".join(text.split())
    assert KAZAKH_SCHOOL in flat
    for label in ("Буллингке ұшыраған оқушылар", "Кез келген түрі", "Біреуге айтқандар"):
        assert label in flat
    assert "50% (12 ішінен 6)" in flat  # bullied, in Kazakh
    for contact in ("111", "150", "112"):  # the help contacts
        assert contact in flat
    assert "sdc-v1:gate10,k5" in flat
    assert export(school.coordinator, wave, "pdf").data == response.data


def test_the_pdf_says_plainly_when_its_font_is_missing(
    app: Any, platform: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    school, wave = closed_class_of_12(app, platform)
    monkeypatch.setattr(result_exports, "FONT_DIR", tmp_path)
    response = export(school.coordinator, wave, "pdf")
    assert response.status_code == 503
    assert "fonts-dejavu-core" in response.get_data(as_text=True)
    with pytest.raises(result_exports.FontMissing, match="fonts-dejavu-core"):
        result_exports.font_files(tmp_path)


@pytest.mark.parametrize("ext", FORMATS)
def test_a_teacher_and_a_student_get_no_export(app: Any, platform: Any, ext: str) -> None:
    school, wave = closed_class_of_12(app, platform)
    assert export(school.teacher, wave, ext).status_code == 403
    assert export(school.student("pupil-0"), wave, ext).status_code == 403


@pytest.mark.parametrize("ext", FORMATS)
def test_another_schools_coordinator_gets_no_export(app: Any, platform: Any, ext: str) -> None:
    _school, wave = closed_class_of_12(app, platform)
    refused = export(coordinator_of_another_school(app, platform), wave, ext)
    assert refused.status_code == 404
    assert refused.mimetype == "text/html"
    assert "Content-Disposition" not in refused.headers


def test_an_open_wave_has_no_export(app: Any, platform: Any) -> None:
    from tests.web.test_surveys import SurveyedSchool

    school = SurveyedSchool(app, platform)
    assert school.set_up_wave().status_code == 303
    with app.app_context():
        wave = db.session.scalars(select(SurveyWave.id)).one()
    for ext in FORMATS:
        refused = export(school.coordinator, wave, ext)
        assert refused.status_code == 409
        assert "only after the wave closes" in refused.get_data(as_text=True)


def test_an_export_is_refused_when_the_check_fails(
    app: Any, platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    school, wave = closed_class_of_12(app, platform)
    assert export(school.coordinator, wave, "csv").status_code == 200

    def derivable(*_args: Any, **_kwargs: Any) -> None:
        raise disclosure.NotPublishable("numerator of class:1/told-anyone-v1 = 3")

    monkeypatch.setattr(disclosure, "require_publishable", derivable)
    for ext in FORMATS:
        refused = export(school.coordinator, wave, ext)
        assert refused.status_code == 409
        body = refused.get_data(as_text=True)
        assert "a hidden number could be worked out" in body
        assert "told-anyone" not in body
        assert "Traceback" not in body


def test_export_rows_follow_every_status_of_the_wave(app: Any, build: Any) -> None:
    school, wave = one_wave(build, [bullied(3, 25), bullied(10, 22), bullied(12, 28)])
    results = school.results(wave)
    with app.test_request_context(), force_locale("en"):
        headers, rows = result_exports.export_rows(results, "en", export_words("2026-autumn"))
    column = {title: i for i, title in enumerate(headers)}
    found = {(row[column["Class or school"]], row[column["Indicator code"]]): row for row in rows}
    expected = {
        "7A": ("suppressed_primary", None, TOO_FEW),
        "7B": ("suppressed_secondary", None, "Not shown: hidden as well"),
        "7C": ("ok", 12, ""),
        results.school.name: ("ok", 25, ""),
    }
    for unit, (status, numerator, reason) in expected.items():
        row = found[(unit, "bullied-2m-v1")]
        assert row[column["Status"]] == status
        assert row[column["Numerator"]] == numerator
        assert str(row[column["Why not shown"]]).startswith(reason)
        if status != "ok":
            assert row[column["Denominator"]] is row[column["Percent"]] is None


def test_a_class_name_is_never_read_as_a_formula(app: Any, platform: Any) -> None:
    school, wave = closed_class_of_12(app, platform)
    formula = '=HYPERLINK("http://example.invalid","6A")'
    with app.app_context():
        db.session.execute(
            update(SurveyResult).where(SurveyResult.level == "class").values(unit_name=formula)
        )
        db.session.commit()
    rows = csv_rows(export(school.coordinator, wave, "csv").data)
    assert {r["Class or school"] for r in rows if r["Level"] == "Class"} == {"'" + formula}
    book = load_workbook(io.BytesIO(export(school.coordinator, wave, "xlsx").data))
    names = [row[1] for row in book["Classes"].iter_rows(min_row=2)]
    assert {(cell.value, cell.data_type) for cell in names} == {("'" + formula, "s")}


def test_the_results_page_offers_the_downloads(app: Any, platform: Any) -> None:
    school, wave = closed_class_of_12(app, platform)
    html = school.coordinator.get(f"/surveys/waves/{wave}/results").get_data(as_text=True)
    for ext in FORMATS:
        assert f"/surveys/waves/{wave}/results.{ext}" in html
    mine = school.teacher.get(f"/surveys/class/results/{wave}").get_data(as_text=True)
    assert "results.csv" not in mine
