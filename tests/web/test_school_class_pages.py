"""The coordinator's school results and trend pages list the classes in one table, each class a
link to its own page (its chart and table as published); only the school's coordinator opens
those pages: a teacher or a student is refused, another school's class or wave is a 404."""

from __future__ import annotations

from typing import Any

import pytest

from app.content_catalog import catalog
from app.services import survey_results
from tests.web.test_survey_results import School_, bullied, coordinator_of_another_school
from tests.web.test_survey_trends import TOO_FEW, Trended, page, standard


@pytest.fixture
def school(app: Any, platform: Any) -> Trended:
    return Trended(app, platform)


def wave_class(wave: int, class_id: int) -> str:
    return f"/surveys/waves/{wave}/results/classes/{class_id}"


def trend_class(autumn: int, spring: int, class_id: int) -> str:
    return f"/surveys/trends/{autumn}/{spring}/classes/{class_id}"


def test_the_school_pages_list_the_classes_and_link_each_to_its_page(
    school: Trended, app: Any
) -> None:
    autumn, spring, classes = standard(school)
    coordinator = school.people.coordinator
    results = page(coordinator, f"/surveys/waves/{autumn}/results")
    trends = page(coordinator, f"/surveys/trends/{autumn}/{spring}")
    with app.app_context():
        found = survey_results.school_trends(
            autumn, spring, school_id=school.school_id, catalog=catalog()
        )
    for name, class_id in classes.items():
        assert wave_class(autumn, class_id) in results
        assert trend_class(autumn, spring, class_id) in trends
        unit = page(coordinator, wave_class(autumn, class_id))
        assert f"<h2>{name}</h2>" in unit
        assert unit.count("<h2>") == 1, "one class only"
        assert f"/surveys/waves/{autumn}/results" in unit  # back to the school
        assert "results.csv" not in unit, "the files stay on the school page"
        change = page(coordinator, trend_class(autumn, spring, class_id))
        assert f"<h2>{name}</h2>" in change
        assert change.count("<h2>") == 1
    # A class's row of the trend table: its respondents and how many changes are published.
    sixth_c = next(u for u in found.classes if u.unit_id == classes["6C"])
    changes = sum(1 for row in sixth_c.rows if row.change is not None)
    assert changes >= 1
    row = trends[trends.index(trend_class(autumn, spring, classes["6C"])) :]
    row = row[: row.index("</tr>")]
    assert "<td>25</td>" not in row
    assert row.endswith(f"<td>28</td><td>28</td><td>{changes}</td>")


def test_a_class_under_the_gate_is_listed_with_its_status_and_no_numbers(
    school: Trended,
) -> None:
    small = school.add_class("6S")
    autumn, spring = school.two_waves(
        {school.mine: bullied(10, 25), small: bullied(5, 9)},
        {school.mine: bullied(8, 25), small: bullied(5, 9)},
    )
    coordinator = school.people.coordinator
    results = page(coordinator, f"/surveys/waves/{autumn}/results")
    row = results[results.index(wave_class(autumn, small)) :]
    row = row[: row.index("</tr>")]
    assert "<td>9</td>" in row
    assert TOO_FEW in row
    assert 'data-status="below_gate"' in row
    trends = page(coordinator, f"/surveys/trends/{autumn}/{spring}")
    row = trends[trends.index(trend_class(autumn, spring, small)) :]
    assert TOO_FEW in row[: row.index("</tr>")]
    unit = page(coordinator, wave_class(autumn, small))
    assert TOO_FEW in unit
    assert "(5 of 9)" not in unit
    assert 'role="img"' not in unit


def test_a_class_in_one_wave_only_has_no_trend_page(school: Trended) -> None:
    late = school.add_class("6L")
    autumn, spring = school.two_waves(
        {school.mine: bullied(10, 25)},
        {school.mine: bullied(8, 25), late: bullied(6, 20)},
    )
    coordinator = school.people.coordinator
    assert coordinator.get(wave_class(spring, late)).status_code == 200
    assert coordinator.get(wave_class(autumn, late)).status_code == 404
    refused = coordinator.get(trend_class(autumn, spring, late))
    assert refused.status_code == 404
    assert "(6 of 20)" not in refused.get_data(as_text=True)
    assert trend_class(autumn, spring, late) not in page(
        coordinator, f"/surveys/trends/{autumn}/{spring}"
    )


def test_only_the_schools_coordinator_opens_a_class_page(
    school: Trended, app: Any, platform: Any
) -> None:
    autumn, spring, classes = standard(school)
    sixth_c = classes["6C"]
    urls = [wave_class(autumn, sixth_c), trend_class(autumn, spring, sixth_c)]
    teacher = school.people.teacher
    student = school.people.student("pupil-0")
    stranger = coordinator_of_another_school(app, platform)
    for url in urls:
        assert teacher.get(url).status_code == 403
        assert student.get(url).status_code == 403
        refused = stranger.get(url)
        assert refused.status_code == 404
        assert "(12 of 28)" not in refused.get_data(as_text=True)
    # The teacher keeps their own class pages.
    assert page(teacher, f"/surveys/class/results/{autumn}")


def test_another_schools_class_is_a_404(school: Trended, app: Any) -> None:
    autumn, spring, _classes = standard(school)
    other = School_(app, name="Other school")
    foreign = other.add_class("9F")
    elsewhere = other.wave("2025-autumn")
    other.answers(elsewhere, foreign, bullied(12, 28))
    other.close(elsewhere)
    coordinator = school.people.coordinator
    for url in (
        wave_class(autumn, foreign),
        wave_class(elsewhere, foreign),
        trend_class(autumn, spring, foreign),
        trend_class(elsewhere, spring, foreign),
        wave_class(autumn, 999_999),
    ):
        refused = coordinator.get(url)
        assert refused.status_code == 404, url
        assert "(12 of 28)" not in refused.get_data(as_text=True)
