"""Area figures per period, on generated data (many small schools, one-school districts,
classes of 3 to 35): sums in the database over the frozen school results, the area gate,
k = 5, complementary suppression along region > district > school > class, rounding, the two
packages; checked by readers who did not make them. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.content_catalog import catalog
from app.extensions import db
from app.models import (
    AreaResult,
    OutboxMessage,
    ReportPackage,
    School,
    SurveyResult,
    SurveyWave,
    SurveyWindow,
)
from app.services import area_results, disclosure, report_packages, surveys
from app.services.disclosure import Cell, Status, View
from tests.support.area_data import (
    FINAL,
    OPENS,
    PERIOD,
    Country,
    generate,
    give_quiz_lessons,
    with_lesson_quiz,
)
from tests.support.pages import csrf, form_action
from tests.support.platform_services import Member
from tests.unit.test_disclosure import linear_derivations
from tests.web.test_surveys import SurveyedSchool
from tests.web.test_talk import simulator

# Akmola: a city of 6 schools, one-school districts, two-school districts, small schools;
# Almaty city: districts of a few schools each. Some districts have none.
AKMOLA = {
    "111000000": 6,
    "111600000": 1,
    "111800000": 3,
    "113200000": 2,
    "113400000": 1,
    "113600000": 4,
    "113800000": 3,
    "114000000": 1,
}
ALMATY = {"751110000": 4, "751210000": 3, "751310000": 1, "751410000": 5}


def rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 (test data, not secrets)


@pytest.fixture
def country(app: Any) -> Country:
    return generate(app, rng(11), {**AKMOLA, **ALMATY})


def aggregate(app: Any, **kwargs: Any) -> Any:
    with app.app_context():
        return area_results.aggregate(PERIOD, catalog(), today=FINAL, **kwargs)


def rows(app: Any) -> list[AreaResult]:
    with app.app_context():
        found = area_results.stored_rows(PERIOD.code)
        db.session.expunge_all()
        return found


# -- periods --------------------------------------------------------------------------------


def test_periods_are_halves_of_the_school_year() -> None:
    autumn = area_results.period_of(date(2026, 9, 1))
    assert (autumn.code, autumn.first_day, autumn.last_day, autumn.final_on) == (
        "2026-27-S1",
        date(2026, 8, 1),
        date(2026, 12, 31),
        date(2027, 2, 1),
    )
    spring = area_results.period_of(date(2027, 4, 20))
    assert (spring.code, spring.final_on) == ("2026-27-S2", date(2027, 9, 1))
    assert area_results.period_of(date(2027, 7, 31)).code == "2026-27-S2"
    assert area_results.period_of(date(2027, 8, 1)).code == "2027-28-S1"
    assert area_results.period_named("2026-27-S2") == spring
    for bad in ("2026-S1", "2026-28-S1", "2026-27-S3", "x"):
        with pytest.raises(area_results.AreaProblem):
            area_results.period_named(bad)


def test_a_period_is_computed_once_when_final_and_a_later_wave_is_not_added(app: Any) -> None:
    generate(app, rng(3), {"111000000": 3, "111800000": 3, "751110000": 3})
    with app.app_context():
        with pytest.raises(area_results.AreaProblem, match="not-final"):
            area_results.aggregate(PERIOD, catalog(), today=FINAL.replace(day=1, month=1))
        assert [p.code for p in area_results.due_periods(FINAL)] == [PERIOD.code]
    first = aggregate(app)
    assert (first.schools, first.left_out, first.blocked) == (9, 0, None)
    before = [(r.area_code, r.indicator, r.status, r.numerator) for r in rows(app)]
    # A school that closes its wave of the period afterwards is left out for good.
    late = generate(app, rng(4), {"111000000": 2})
    with app.app_context():
        assert area_results.due_periods(FINAL) == []
        again = area_results.aggregate(PERIOD, catalog(), today=FINAL)
        assert again.schools == 9
        assert db.session.scalar(select(func.count()).select_from(ReportPackage)) == 2
    assert [(r.area_code, r.indicator, r.status, r.numerator) for r in rows(app)] == before
    assert late.schools


def test_closing_a_wave_after_the_period_is_final_computes_it_and_queues_packages(
    app: Any,
) -> None:
    generate(app, rng(5), {"111000000": 3, "111800000": 3, "113600000": 3})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AreaResult)) == 0, (
            "the waves closed in October: the period is not final yet"
        )
        school_id = db.session.scalars(select(SurveyWave.school_id)).first()
        wave = surveys.open_wave(
            school_id,
            "2026-spring",
            date(2026, 3, 1),
            date(2026, 3, 10),
            "opt-out",
            surveys.default_instruments(catalog()),
            catalog(),
        )
        surveys.close_wave(wave, FINAL, catalog(), deliver=True)
        found = area_results.result_set(PERIOD.code)
        assert found is not None
        assert found.schools == 9
        packages = report_packages.packages(PERIOD.code)
        assert sorted(p.level for p in packages) == ["district", "region"]
        kinds = {m.kind for m in db.session.scalars(select(OutboxMessage))}
        assert kinds == {report_packages.REPORT_KIND}


# -- the rules on generated data ------------------------------------------------------------


def published_tree(app: Any) -> tuple[View, list[str]]:
    """Every cell published for the period: classes and schools of the counted waves, and the
    areas; with the area keys (what the risk layer reads)."""
    parents: dict[str, str | None] = {}
    levels: dict[str, str] = {}
    respondents: dict[str, int] = {}
    cells: dict[tuple[str, str], Cell] = {}

    def add(
        key: str, parent: str | None, level: str, r: int, code: str, status: str, x: int, n: int
    ) -> None:
        parents[key], levels[key] = parent, level
        respondents[key] = max(respondents.get(key, 0), r)
        state = Status(status)
        shown = state is Status.OK
        cells[(key, code)] = Cell(key, code, state, x if shown else None, n if shown else None)

    with app.app_context():
        counted = area_results.counted(PERIOD)
        schools = dict(db.session.execute(select(counted.c.school_id, counted.c.wave_id)).all())
        district_of = dict(db.session.execute(select(School.id, School.kato_district)).all())
        for row in db.session.scalars(
            select(SurveyResult).where(SurveyResult.wave_id.in_(schools.values()))
        ):
            if row.level == "school":
                parent = f"district:{district_of[row.unit_id]}"
            else:
                parent = f"school:{row.parent_id}"
            add(
                f"{row.level}:{row.unit_id}",
                parent,
                row.level,
                row.respondents,
                row.indicator,
                row.status,
                row.numerator,
                row.denominator,
            )
        areas_keys = []
        for row in area_results.stored_rows(PERIOD.code):
            if row.status == "unavailable" or row.indicator in area_results.EXTRA_CODES:
                continue
            key = f"{row.level}:{row.area_code}"
            parent = f"region:{row.parent_code}" if row.parent_code else None
            add(
                key,
                parent,
                row.level,
                row.denominator,
                row.indicator,
                row.status,
                row.numerator,
                row.denominator,
            )
            areas_keys.append(key)
    return View(parents, levels, respondents, cells), sorted(set(areas_keys))


def known_from_below(view: View, code: str) -> set[str]:
    """Hidden cells that are the sum of shown cells (an area below its gate over shown
    schools): anyone who reads those schools has it, and it is not a secret."""
    cells = {u: c for (u, c2), c in view.cells.items() if c2 == code}
    children: dict[str, list[str]] = {}
    for unit in cells:
        parent = view.parents.get(unit)
        if parent in cells:
            children.setdefault(parent, []).append(unit)
    memo: dict[str, bool] = {}

    def known(unit: str) -> bool:
        if unit not in memo:
            below = children.get(unit, [])
            memo[unit] = not cells[unit].status.hidden or (bool(below) and all(map(known, below)))
        return memo[unit]

    return {u for u in cells if cells[u].status.hidden and known(u)}


def restricted(view: View, keys: list[str]) -> View:
    keep = set(keys)
    return View(
        {k: (p if p in keep else None) for k, p in view.parents.items() if k in keep},
        {k: v for k, v in view.levels.items() if k in keep},
        {k: v for k, v in view.respondents.items() if k in keep},
        {key: c for key, c in view.cells.items() if key[0] in keep},
    )


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_generated_areas_show_nothing_below_the_rules_and_nothing_derivable(
    app: Any, seed: int
) -> None:
    generate(app, rng(seed), {**AKMOLA, **ALMATY})
    result = aggregate(app)
    assert result.blocked is None
    found = rows(app)
    assert {r.status for r in found} >= {"ok", "below_gate"}
    hidden_areas = 0
    for row in found:
        if row.status == "ok":
            assert row.schools >= 3, row.area_code
            assert row.denominator >= 50, row.area_code
            assert min(row.numerator, row.denominator - row.numerator) >= 5, row.area_code
        else:
            hidden_areas += 1
        if row.level == "district" and row.schools < 3 and row.status != "unavailable":
            assert row.status == "below_gate", "a one- or two-school district shows nothing"
    assert hidden_areas
    view, area_keys = published_tree(app)
    risk_layer = restricted(view, area_keys)
    codes = sorted({code for _unit, code in view.cells})
    for code in codes:
        benign = known_from_below(view, code)
        everything = {d for d in linear_derivations(view, code) if d[1] != "denominator"} - {
            (u, q) for u in benign for q in ("numerator", "complement")
        }
        assert not everything, f"{code}: worked out by subtraction along the tree: {everything}"
        packages_only = {d for d in linear_derivations(risk_layer, code) if d[1] != "denominator"}
        assert not packages_only, f"{code}: worked out from the two packages: {packages_only}"
    for seen in (view, risk_layer):
        blocking = [d for d in disclosure.find_derivations(seen, area_results.RULES) if d.blocking]
        assert not blocking


def package_rows(app: Any, level: str) -> list[dict[str, str]]:
    with app.app_context():
        (package,) = [p for p in report_packages.packages(PERIOD.code) if p.level == level]
        return list(csv.DictReader(io.StringIO(package.data_csv)))


def test_packages_carry_the_area_rows_rounded_to_5(app: Any, country: Country) -> None:
    aggregate(app)
    true = {(r.area_code, r.indicator): r for r in rows(app)}
    regions = package_rows(app, "region")
    districts = package_rows(app, "district")
    assert {r["area_code"] for r in regions} == {"110000000", "750000000"}
    assert {r["area_level"] for r in regions} == {"region", "city"}
    assert {r["parent_code"] for r in districts} == {"110000000", "750000000"}
    assert {r["area_level"] for r in districts} == {"city", "district"}  # Kokshetau is a city
    shown = 0
    for row in regions + districts:
        stored = true[(row["area_code"], row["indicator"])]
        assert row["status"] == stored.status
        assert row["method"] == "sdc-v1:gate50,k5,s3,r5"
        if row["status"] != "ok":
            assert (row["numerator"], row["denominator"], row["value"]) == ("", "", "")
            continue
        shown += 1
        x, n = int(row["numerator"]), int(row["denominator"])
        assert x % 5 == 0
        assert n % 5 == 0
        assert abs(x - stored.numerator) <= 2
        assert abs(n - stored.denominator) <= 2
        exact = Fraction(100 * stored.numerator, stored.denominator)
        value = int(row["value"])
        if stored.denominator < 100:
            assert value % 5 == 0
            assert abs(value - exact) <= Fraction(5, 2)
        else:
            assert abs(value - exact) <= Fraction(1, 2)
    assert shown


def test_re_export_is_identical_and_verifies(app: Any, country: Country, tmp_path: Path) -> None:
    aggregate(app)
    aggregate(app)  # a second call finds the frozen period: nothing new
    with app.app_context():
        packages = report_packages.packages(PERIOD.code)
        assert len(packages) == 2
        jwks = {"keys": report_packages.published_jwks()}
        for package in packages:
            first = report_packages.export(package, tmp_path / "one")
            second = report_packages.export(package, tmp_path / "two")
            names = sorted(p.name for p in first.iterdir())
            assert names == sorted(p.name for p in second.iterdir())
            for name in names:
                assert (first / name).read_bytes() == (second / name).read_bytes()
            files = {n: (first / n).read_bytes() for n in names if n != "manifest.jws"}
            report_packages.verify_package(files, (first / "manifest.jws").read_text(), jwks)
            assert not report_packages.validation_problems(files)
            assert "rounded to the nearest 5" in package.datapackage_json


# -- participation and quiz completion ------------------------------------------------------


def test_participation_counts_classes_with_a_roster_size_and_is_otherwise_unavailable(
    app: Any,
) -> None:
    country = generate(app, rng(21), {"111000000": 3, "111800000": 3, "113600000": 3})
    # Almaty city: no class has a roster size.
    generate(app, rng(22), {"751110000": 3, "751210000": 3, "751410000": 3}, roster_share=0)
    aggregate(app)
    found = {(r.area_code, r.indicator): r for r in rows(app)}
    with app.app_context():
        district_of = dict(db.session.execute(select(School.id, School.kato_district)).all())
    expected: dict[str, list[int]] = {}
    for class_id, (respondents, roster) in country.rosters.items():
        if roster:
            district = district_of[country.classes[class_id]]
            sums = expected.setdefault(district, [0, 0])
            sums[0] += min(respondents, roster)
            sums[1] += roster
    for district, (x, n) in expected.items():
        row = found[(district, area_results.PARTICIPATION)]
        assert (row.numerator, row.denominator) == (x, n)
    akmola = found[("110000000", area_results.PARTICIPATION)]
    assert akmola.numerator == sum(x for x, _ in expected.values())
    for code in ("750000000", "751110000", "751410000"):
        row = found[(code, area_results.PARTICIPATION)]
        assert (row.status, row.numerator, row.denominator) == ("unavailable", 0, 0)
    regions = {
        r["area_code"]: r
        for r in package_rows(app, "region")
        if r["indicator"] == area_results.PARTICIPATION
    }
    assert (regions["750000000"]["status"], regions["750000000"]["conf"]) == ("unavailable", "F")


def test_quiz_completion_is_the_share_that_finished_every_given_lessons_quiz(app: Any) -> None:
    country = generate(app, rng(31), {"111000000": 3, "111800000": 3, "113600000": 3})
    lesson = "basic-emergency-help"
    given = give_quiz_lessons(app, sorted(country.classes), lesson, "emergency-quiz", rng(32))
    with app.app_context():
        with_quiz = with_lesson_quiz(catalog(), lesson, "emergency-quiz")
        area_results.aggregate(PERIOD, with_quiz, today=FINAL)
        found = {(r.area_code, r.indicator): r for r in area_results.stored_rows(PERIOD.code)}
        district_of = dict(db.session.execute(select(School.id, School.kato_district)).all())
    expected: dict[str, list[int]] = {}
    for class_id, (finished, students) in given.items():
        sums = expected.setdefault(district_of[country.classes[class_id]], [0, 0])
        sums[0] += finished
        sums[1] += students
    for district, (x, n) in expected.items():
        row = found[(district, area_results.QUIZ_COMPLETION)]
        assert (row.numerator, row.denominator, row.schools) == (x, n, 3)
        assert row.status == "ok"


# -- refusing -------------------------------------------------------------------------------


def test_a_period_the_check_refuses_publishes_nothing(
    app: Any, country: Country, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise disclosure.NotPublishable("the numerator of x in district:1 can be derived")

    monkeypatch.setattr(area_results.disclosure, "protect", refuse)
    result = aggregate(app)
    assert result.blocked == "the numerator of x in district:1 can be derived"
    assert rows(app) == []
    with app.app_context():
        assert report_packages.packages(PERIOD.code) == []


def test_the_command_computes_due_periods(app: Any, country: Country) -> None:
    runner = app.test_cli_runner()
    early = runner.invoke(args=["reports", "aggregate", "--period", "2025-26-S9"])
    assert early.exit_code == 1
    assert "not a period" in early.output
    today = runner.invoke(args=["reports", "aggregate"])
    assert "2025-26-S1: 34 schools counted, 0 left out" in today.output, today.output
    again = runner.invoke(args=["reports", "aggregate"])
    assert "No period to compute." in again.output
    assert OPENS < FINAL


# -- the roster size behind the participation rate ------------------------------------------


def test_the_teacher_starting_and_closing_the_survey_records_the_rosters_size(
    app: Any, httpserver: Any
) -> None:
    platform = simulator(app, httpserver)  # its roster service trusts the tool's key
    platform.services.roster = [Member(f"s{i}", f"Student {i}") for i in range(3)]
    school = SurveyedSchool(app, platform)
    assert school.set_up_wave().status_code == 303
    assert school.start_in_class().status_code == 303
    window = school.window_id()
    with app.app_context():
        assert db.session.get(SurveyWindow, window).roster_size == 3
    platform.services.roster.append(Member("s3", "Student 3"))
    app.extensions.pop("qadam_rosters", None)  # the roster is cached for a minute
    html = school.teacher.get("/surveys/class").get_data(as_text=True)
    closed = school.teacher.post(
        form_action(html, f"/surveys/windows/{window}/close"), data={"csrf_token": csrf(html)}
    )
    assert closed.status_code == 303
    with app.app_context():
        found = db.session.get(SurveyWindow, window)
        assert (found.status, found.roster_size) == ("closed", 4)


# -- the map --------------------------------------------------------------------------------


def test_the_map_shows_the_published_figures_hatches_hidden_areas_and_explains(
    app: Any, platform: Any
) -> None:
    from tests.web.test_schools import CLASS_A

    generate(app, rng(11), {**AKMOLA, **ALMATY})
    aggregate(app)
    found = {(r.area_code, r.indicator): r for r in rows(app)}
    admin = app.test_client()
    platform.launch(admin, "admin", locale="en", context=CLASS_A, sub="site-admin")
    response = admin.get("/coordinator/area/map")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<option value="2025-26-S1" selected>' in html
    assert '<option value="bullied-2m-v1" selected>' in html
    assert "Participation: students who answered the survey" in html
    akmola = area_results.published(
        found[("110000000", "bullied-2m-v1")].status,
        found[("110000000", "bullied-2m-v1")].numerator,
        found[("110000000", "bullied-2m-v1")].denominator,
    )
    assert f"Akmola: {akmola.percent}%</title>" in html
    assert f"{akmola.numerator} of {akmola.denominator}" in html
    assert "Ulytau: no figures</title>" in html
    assert "No figures for this area and period" in html
    assert "CC BY 4.0" in html
    assert "rounded to the nearest 5" in html
    css = admin.get("/static/css/qadam.css").get_data()
    total = len(response.get_data()) + len(css)
    print(f"region figures map page: {len(response.get_data()):,} B HTML + {len(css):,} B CSS")
    assert total <= 60_000
    assert "period=2025-26-S1" in html  # the regions link to their districts, same figures
    districts = admin.get(
        "/coordinator/area/map?region=110000000&period=2025-26-S1&indicator=bullied-2m-v1"
    ).get_data(as_text=True)
    assert "by district of Akmola" in districts
    hidden = [
        code
        for (code, indicator), row in found.items()
        if indicator == "bullied-2m-v1" and row.level == "district" and row.status != "ok"
    ]
    assert "111600000" in hidden  # Kosshy: one school
    assert 'fill="url(#map-hatch)" vector-effect="non-scaling-stroke" data-kato="111600000"' in (
        districts
    )
    assert "Kosshy: hidden (too few answers or schools)</title>" in districts
    participation = admin.get(
        "/coordinator/area/map?period=2025-26-S1&indicator=participation-v1"
    ).get_data(as_text=True)
    assert "<h1>Participation: students who answered the survey, 2025-26-S1, by region" in (
        participation
    )
    unknown = admin.get("/coordinator/area/map?period=1999-00-S1&indicator=nope")
    assert unknown.status_code == 200, "an unknown choice shows the newest period"


def test_a_failing_package_leaves_the_wave_closed_and_the_period_due(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(app, rng(41), {"111000000": 3, "111800000": 3, "113600000": 3})

    def broken(*args: Any, **kwargs: Any) -> None:
        raise report_packages.PackageError(["a package could not be built"])

    monkeypatch.setattr(area_results.report_packages, "add_package", broken)
    with app.app_context():
        school_id = db.session.scalars(select(SurveyWave.school_id)).first()
        wave = surveys.open_wave(
            school_id,
            "2026-spring",
            date(2026, 3, 1),
            date(2026, 3, 10),
            "opt-out",
            surveys.default_instruments(catalog()),
            catalog(),
        )
        surveys.close_wave(wave, FINAL, catalog())
        assert db.session.get(SurveyWave, wave.id).status == "closed"
        assert area_results.result_set(PERIOD.code) is None
        assert [p.code for p in area_results.due_periods(FINAL)] == [PERIOD.code]
