"""The year plan pages: band and grade, the whole year, sessions of a lesson, reordering."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ClassPlanEntry, LessonDelivery, SchoolClass
from tests.conftest import CONTENT_ROOT, TOOL_BASE
from tests.support.pages import csrf, form_action
from tests.support.platform_simulator import PlatformSimulator

LESSON = "/lessons/basic-emergency-help"
CLASS_A = {"id": "course-a", "title": "5A", "label": "5A"}
CLASS_B = {"id": "course-b", "title": "5B", "label": "5B"}


# -- fixtures: the fixture curriculum with a second topic ---------------------------------


@pytest.fixture
def two_topics(tmp_path: Path) -> Path:
    """The fixture content plus "Water and ice", a second micro-lesson of grades 5-9."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT, root)
    water = root / "lessons/basic/water-and-ice"
    shutil.copytree(root / "lessons/basic/emergency-help", water)
    yaml = (water / "lesson.yaml").read_text()
    yaml = yaml.replace("id: basic-emergency-help", "id: basic-water-and-ice")
    yaml = yaml.replace("topic: emergency-help", "topic: water-and-ice").replace(
        "order: 1", "order: 2"
    )
    (water / "lesson.yaml").write_text(yaml)
    for lang in ("en", "ru", "kk"):
        page = water / f"{lang}.md"
        text = page.read_text()
        title = re.search(r"^title: (.+)$", text, re.M).group(1)
        page.write_text(text.replace(f"title: {title}", f"title: Water and ice {lang}", 1))
    return root


@pytest.fixture
def plan_app(make_app: Any, two_topics: Path) -> Any:
    return make_app(QADAM_CONTENT_ROOT=str(two_topics))


@pytest.fixture
def moodle(plan_app: Any, httpserver: Any) -> PlatformSimulator:
    simulator = PlatformSimulator(httpserver, tool_base=TOOL_BASE)
    with plan_app.app_context():
        simulator.register()
    return simulator


def teacher_of(app: Any, moodle: PlatformSimulator, context: dict[str, str], **kw: Any) -> Any:
    client = app.test_client()
    moodle.launch(client, "instructor", locale="en", context=context, **kw)
    return client


def set_class(client: Any, band: str = "basic", grade: str = "") -> Any:
    """Choose the band and the grade (a number of that band, or "band-number" as sent)."""
    token = csrf(client.get("/teacher").get_data(as_text=True))
    value = f"{band}-{grade}" if grade.isdigit() else grade
    return client.post(
        "/lessons/class-band", data={"band": band, "grade": value, "csrf_token": token}
    )


def class_id(app: Any, context: dict[str, str]) -> int:
    with app.app_context():
        return int(
            db.session.scalar(select(SchoolClass.id).where(SchoolClass.context_id == context["id"]))
        )


def stored(app: Any) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(ClassPlanEntry.lesson_id, ClassPlanEntry.round).order_by(ClassPlanEntry.position)
        ).all()
    return [(lesson_id, round_) for lesson_id, round_ in rows]


def plan_rows(html: str) -> list[str]:
    """The plan page's slots in order, as "lesson-round"."""
    return re.findall(r'<tr id="slot-basic-([a-z-]+-\d)"', html)


def move(client: Any, class_: int, lesson: str, round_: int, how: str, week: str = "") -> Any:
    page = client.get("/plan").get_data(as_text=True)
    return client.post(
        f"/plan/{class_}/move",
        data={
            "csrf_token": csrf(page),
            "lesson": lesson,
            "round": str(round_),
            "move": how,
            "week": week,
        },
    )


# -- band, grade and the rotation ---------------------------------------------------------


def test_the_grade_places_the_class_in_the_rotation(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    assert set_class(client, "basic").status_code == 303
    home = client.get("/teacher").get_data(as_text=True)
    assert "Set the grade of this class" in home, "no grade: a prompt, and the first year"
    assert "round 1 of 3" in home

    assert set_class(client, "basic", "6").status_code == 303
    home = client.get("/teacher").get_data(as_text=True)
    assert "Grade 6: year 2 of the two-year rotation" in home
    assert "no second-year sessions yet" in home, "the fallback is said, never silent"
    assert "Who helps when something is wrong" in home

    set_class(client, "basic", "7")
    home = client.get("/teacher").get_data(as_text=True)
    assert "Grade 7: year 1 of the two-year rotation" in home
    assert "no second-year sessions yet" not in home
    assert 'value="basic-7" selected' in home


@pytest.mark.parametrize("grade", ["2", "primary-2", "12", "basic-12", "seven", "basic--1"])
def test_a_grade_outside_the_band_is_refused(
    app: Any, client: Any, platform: Any, grade: str
) -> None:
    platform.launch(client, "instructor", locale="en")
    response = set_class(client, "basic", grade)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(SchoolClass.band)) is None, "nothing was saved"
    if grade in ("2", "primary-2"):
        assert "Grade 2 is not part of the age group" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_preschool_groups_and_college_years_are_grades_of_their_band(
    app: Any, client: Any, platform: Any
) -> None:
    platform.launch(client, "instructor", locale="en")
    assert set_class(client, "preschool", "4").status_code == 303
    assert "Group of ages 4–5: year 2" in client.get("/teacher").get_data(as_text=True)
    assert set_class(client, "tvet", "3").status_code == 303
    assert "Year 3 of college: year 1" in client.get("/teacher").get_data(as_text=True)
    assert set_class(client, "preschool", "6").status_code == 400


# -- the whole year ------------------------------------------------------------------------


def test_the_teacher_page_shows_the_whole_year_with_dates_and_holidays(
    client: Any, platform: Any
) -> None:
    platform.launch(client, "instructor", locale="en")
    set_class(client, "basic", "5")
    home = client.get("/teacher").get_data(as_text=True)
    table = home[home.index('<table class="plan">') : home.index("</table>")]
    weeks = re.findall(r'<th scope="row">(\d+)</th><td>(\d\d\.\d\d)</td>', table)
    assert len(weeks) >= 34, "every teaching week of the year"
    assert [int(n) for n, _ in weeks] == list(range(1, len(weeks) + 1))
    for season in ("Autumn holidays", "Winter holidays", "Spring holidays"):
        assert season in table
    assert table.count("?session=2") == 1
    assert table.count("?session=3") == 1
    assert 'class="next"' in table
    assert "No lesson planned" in table, "one topic fills three weeks; the rest are free"


def test_the_next_lesson_links_to_its_session_and_marking_it_records_the_session(
    app: Any, client: Any, platform: Any
) -> None:
    platform.launch(client, "instructor", locale="en")
    set_class(client, "basic", "5")
    token = csrf(client.get("/teacher").get_data(as_text=True))
    client.post(LESSON + "/given", data={"csrf_token": token})
    home = client.get("/teacher").get_data(as_text=True)
    assert "round 2 of 3" in home
    next_link = re.search(r'href="([^"]*session=2[^"]*)"><strong>', home).group(1)
    page = client.get(next_link.replace("&amp;", "&")).get_data(as_text=True)
    assert "lost at the market" in page
    assert 'name="session" value="2"' in page
    assert (
        client.post(LESSON + "/given", data={"csrf_token": token, "session": "2"}).status_code
        == 303
    )
    home = client.get("/teacher").get_data(as_text=True)
    assert "round 3 of 3" in home
    assert "(session 2)" in home
    with app.app_context():
        sessions = db.session.scalars(select(LessonDelivery.session).order_by(LessonDelivery.id))
        assert list(sessions) == [1, 2]


@pytest.mark.parametrize(("session", "status"), [("4", 404), ("9", 400), ("two", 400)])
def test_marking_a_session_the_lesson_lacks_is_refused(
    app: Any, client: Any, platform: Any, session: str, status: int
) -> None:
    platform.launch(client, "instructor", locale="en")
    token = csrf(client.get("/teacher").get_data(as_text=True))
    response = client.post(LESSON + "/given", data={"csrf_token": token, "session": session})
    assert response.status_code == status
    with app.app_context():
        assert db.session.scalar(select(LessonDelivery.id)) is None


# -- a lesson's sessions -------------------------------------------------------------------


def test_the_lesson_page_shows_the_chosen_session(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    first = client.get(LESSON + "/").get_data(as_text=True)
    same = client.get(LESSON + "/?session=1").get_data(as_text=True)
    # The language switcher's return address, and form tokens (they carry a timestamp).
    varies = re.compile(r'name="(?:next|csrf_token)"(?: type="hidden")? value="[^"]*"')
    assert varies.sub("", first) == varies.sub("", same)
    assert "What to say" in first
    assert "lost at the market" not in first
    second = client.get(LESSON + "/?session=2").get_data(as_text=True)
    assert "Session 2: The second time: lost at the market" in second
    assert "Aigerim is at the bazaar" in second, "the scenario"
    assert second.count('class="timing"') == 4, "its steps, with the lesson's timings"
    assert "Who at a market can help a lost child?" in second, "its questions"
    assert "What to say" not in second, "not the first session's script"
    assert 'aria-current="page">2</a>' in second


@pytest.mark.parametrize(
    ("query", "status"), [("7", 404), ("4", 404), ("0", 404), ("abc", 400), ("2x", 400), ("", 400)]
)
def test_a_bad_session_is_a_plain_error(
    client: Any, platform: Any, query: str, status: int
) -> None:
    platform.launch(client, "instructor", locale="en")
    for page in ("/", "/present"):
        response = client.get(f"{LESSON}{page}?session={query}")
        assert response.status_code == status, page
        html = response.get_data(as_text=True)
        assert "Error code" in html
        assert "Traceback" not in html


def test_presenter_mode_shows_the_session_as_slides(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    html = client.get(LESSON + "/present?session=2").get_data(as_text=True)
    # title, scenario, four steps, the questions, help
    assert html.count('class="slide"') == 1 + 1 + 4 + 1 + 1
    assert "Aigerim is at the bazaar" in html
    assert "Step 4 of 4" in html
    third = client.get(LESSON + "/present?session=3").get_data(as_text=True)
    assert third.count('class="slide"') == 1 + 1 + 4 + 1, "round 3 has no questions"
    assert "session=3" in third, "closing goes back to the same session"


def test_students_see_the_sessions_their_class_was_given(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    token = csrf(client.get("/teacher").get_data(as_text=True))
    client.post(LESSON + "/given", data={"csrf_token": token, "session": "2"})
    platform.launch(client, "learner", locale="en")
    html = client.get(LESSON + "/student").get_data(as_text=True)
    assert "Aigerim is at the bazaar" in html, "the scenario of the session given"
    assert "Who at a market can help a lost child?" in html, "its questions"
    assert "Act it out" not in html, "the steps are the teacher's script"
    assert "Timur" not in html, "session 3 has not been given"
    assert client.get(LESSON + "/student?session=2").status_code == 200
    assert client.get(LESSON + "/student?session=3").status_code == 404
    assert client.get(LESSON + "/present?session=2").status_code == 403


# -- reordering ----------------------------------------------------------------------------


def test_a_teacher_moves_a_topic_earlier_and_resets_the_order(plan_app: Any, moodle: Any) -> None:
    teacher = teacher_of(plan_app, moodle, CLASS_A)
    set_class(teacher, "basic", "5")
    page = teacher.get("/plan").get_data(as_text=True)
    assert plan_rows(page) == [
        "emergency-help-1",
        "water-and-ice-1",
        "emergency-help-2",
        "water-and-ice-2",
        "emergency-help-3",
        "water-and-ice-3",
    ]
    assert "Back to the default order" not in page
    class_a = class_id(plan_app, CLASS_A)
    response = move(teacher, class_a, "basic-water-and-ice", 1, "earlier")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#slot-basic-water-and-ice-1")
    page = teacher.get("/plan").get_data(as_text=True)
    assert plan_rows(page)[:2] == ["water-and-ice-1", "emergency-help-1"]
    assert stored(plan_app)[:2] == [("basic-water-and-ice", 1), ("basic-emergency-help", 1)]
    home = teacher.get("/teacher").get_data(as_text=True)
    assert "Water and ice en</strong>" in home, "the next lesson follows the order"

    assert move(teacher, class_a, "basic-water-and-ice", 2, "week", "2").status_code == 303
    assert plan_rows(teacher.get("/plan").get_data(as_text=True))[:3] == [
        "water-and-ice-1",
        "water-and-ice-2",
        "emergency-help-1",
    ]

    page = teacher.get("/plan").get_data(as_text=True)
    reset = teacher.post(
        form_action(page, f"/plan/{class_a}/reset"), data={"csrf_token": csrf(page)}
    )
    assert reset.status_code == 303
    assert stored(plan_app) == []
    assert plan_rows(teacher.get("/plan").get_data(as_text=True))[0] == "emergency-help-1"


@pytest.mark.parametrize(
    ("lesson", "round_", "how", "week"),
    [
        ("basic-water-and-ice", 2, "week", "1"),  # round 2 before round 1
        ("basic-emergency-help", 2, "earlier", ""),  # past water 1 is fine, then past its round 1
        ("basic-emergency-help", 1, "week", "4"),  # round 1 after round 2
    ],
)
def test_a_round_never_comes_before_the_round_before_it(
    plan_app: Any, moodle: Any, lesson: str, round_: int, how: str, week: str
) -> None:
    teacher = teacher_of(plan_app, moodle, CLASS_A)
    set_class(teacher, "basic", "5")
    class_a = class_id(plan_app, CLASS_A)
    if how == "earlier":
        assert move(teacher, class_a, lesson, round_, "earlier").status_code == 303
    before = stored(plan_app)
    response = move(teacher, class_a, lesson, round_, how, week)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "would come before round" in html
    assert 'role="alert"' in html
    assert stored(plan_app) == before, "nothing was saved"


@pytest.mark.parametrize(("week", "status"), [("7", 409), ("0", 400), ("many", 400), ("", 400)])
def test_a_week_outside_the_plan_is_refused(
    plan_app: Any, moodle: Any, week: str, status: int
) -> None:
    teacher = teacher_of(plan_app, moodle, CLASS_A)
    set_class(teacher, "basic", "5")
    response = move(teacher, class_id(plan_app, CLASS_A), "basic-water-and-ice", 3, "week", week)
    assert response.status_code == status
    if status == 409:
        assert "Choose a week from 1 to 6" in response.get_data(as_text=True)
    assert stored(plan_app) == []


def test_moving_needs_the_form_token(plan_app: Any, moodle: Any) -> None:
    teacher = teacher_of(plan_app, moodle, CLASS_A)
    set_class(teacher, "basic", "5")
    response = teacher.post(
        f"/plan/{class_id(plan_app, CLASS_A)}/move",
        data={"lesson": "basic-water-and-ice", "round": "1", "move": "earlier"},
    )
    assert response.status_code == 400
    assert stored(plan_app) == []


def test_another_class_teacher_and_a_student_cannot_change_the_plan(
    plan_app: Any, moodle: Any
) -> None:
    teacher_a = teacher_of(plan_app, moodle, CLASS_A, sub="teacher-a")
    set_class(teacher_a, "basic", "5")
    class_a = class_id(plan_app, CLASS_A)
    teacher_b = teacher_of(plan_app, moodle, CLASS_B, sub="teacher-b")
    set_class(teacher_b, "basic", "5")
    page_b = teacher_b.get("/plan").get_data(as_text=True)
    for action in ("move", "reset"):
        response = teacher_b.post(
            f"/plan/{class_a}/{action}",
            data={
                "csrf_token": csrf(page_b),
                "lesson": "basic-water-and-ice",
                "round": "1",
                "move": "earlier",
            },
        )
        assert response.status_code == 403, action
        assert "your own class only" in response.get_data(as_text=True)

    student = plan_app.test_client()
    moodle.launch(student, "learner", locale="en", context=CLASS_A, sub="student-a")
    token = csrf(student.get("/student").get_data(as_text=True))
    response = student.post(
        f"/plan/{class_a}/move",
        data={
            "csrf_token": token,
            "lesson": "basic-water-and-ice",
            "round": "1",
            "move": "earlier",
        },
    )
    assert response.status_code == 403
    assert student.get("/plan").status_code == 403
    assert stored(plan_app) == []


def test_a_new_band_drops_the_old_order(plan_app: Any, moodle: Any) -> None:
    teacher = teacher_of(plan_app, moodle, CLASS_A)
    set_class(teacher, "basic", "5")
    move(teacher, class_id(plan_app, CLASS_A), "basic-water-and-ice", 1, "earlier")
    assert stored(plan_app)
    set_class(teacher, "basic", "6")
    assert stored(plan_app), "a new grade keeps the order: it is the same topics"
    set_class(teacher, "primary", "2")
    assert stored(plan_app) == []


def test_the_plan_page_needs_a_band(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    response = client.get("/plan")
    assert response.status_code == 409
    assert "Choose the age group of this class" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("band", "lesson"),
    [("basic", "basic-no-such-lesson"), ("primary", "basic-water-and-ice")],  # another band's
)
def test_moving_a_lesson_that_is_not_in_the_plan_is_refused(
    plan_app: Any, moodle: Any, band: str, lesson: str
) -> None:
    teacher = teacher_of(plan_app, moodle, CLASS_A)
    set_class(teacher, band, "")
    response = move(teacher, class_id(plan_app, CLASS_A), lesson, 1, "later")
    assert response.status_code == 409
    assert "no longer in the plan" in response.get_data(as_text=True)
    assert stored(plan_app) == []
