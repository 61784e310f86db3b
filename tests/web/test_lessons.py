"""Lesson pages: catalog, teacher script, presenter mode, student view, plan and deliveries."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import force_locale

from app.content import AgeBand
from app.content_catalog import catalog
from app.services import lessons
from app.views.year_plan import grade_choices

LESSON = "/lessons/basic-emergency-help"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_catalog_filters_and_language(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    html = client.get("/lessons?band=basic&format=micro").get_data(as_text=True)
    assert "Who helps when something is wrong" in html
    assert "1 lesson" in html
    html = client.get("/lessons?band=primary").get_data(as_text=True)
    assert "No lesson matches these filters." in html
    html = client.get("/lessons?band=basic&lang=kk").get_data(as_text=True)
    assert "Қиын жағдайда кім көмектеседі" in html
    assert client.get("/lessons?band=nursery").status_code == 400


def test_teacher_view_has_script_timings_and_configured_numbers(
    make_app: Any, httpserver: Any
) -> None:
    from tests.support.platform_simulator import PlatformSimulator

    app = make_app(QADAM_HELP_EMERGENCY="911")
    simulator = PlatformSimulator(httpserver, tool_base="http://qadam.test")
    with app.app_context():
        simulator.register()
    client = app.test_client()
    simulator.launch(client, "instructor", locale="en")
    html = client.get(LESSON + "/").get_data(as_text=True)
    assert "The lesson step by step" in html
    assert html.count('class="timing"') == 4
    assert "What to say" in html
    assert "911" in html, "help numbers come from configuration"
    assert "{{emergency}}" not in html
    assert "/present" in html


def test_students_get_the_student_view_only(client: Any, platform: Any) -> None:
    platform.launch(client, "learner", locale="en")
    assert client.get(LESSON + "/").headers["Location"].split("?")[0].endswith(LESSON + "/student")
    html = client.get(LESSON + "/student").get_data(as_text=True)
    assert "What the children do" in html
    assert "Help" in html
    assert "What to say" not in html, "the teacher's script is not for students"
    assert "Before the lesson" not in html
    assert client.get(LESSON + "/present").status_code == 403
    assert client.get("/lessons").status_code == 403


def test_presenter_mode_has_one_slide_per_step(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="ru")
    html = client.get(LESSON + "/present").get_data(as_text=True)
    assert '<html lang="ru" class="presenter">' in html
    assert html.count('class="slide"') == 1 + 4 + 2  # title, steps, discussion and help
    assert "presenter.js" in html
    assert "Шаг 1 из 4" in html or "Step 1 of 4" in html


def test_unknown_lesson_is_404(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    assert client.get("/lessons/no-such-lesson/").status_code == 404


def test_mark_given_and_year_plan(app: Any, client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    home = client.get("/teacher").get_data(as_text=True)
    assert "Choose the age group of this class" in home
    token = csrf(home)
    assert (
        client.post(
            "/lessons/class-band", data={"band": "kindergarten", "csrf_token": token}
        ).status_code
        == 400
    )
    client.post("/lessons/class-band", data={"band": "basic", "csrf_token": token})
    home = client.get("/teacher").get_data(as_text=True)
    assert "Next for this class" in home
    assert "round 1 of 3" in home
    response = client.post(LESSON + "/given", data={"csrf_token": token})
    assert response.status_code == 303
    home = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Marked as given" in home
    assert "round 2 of 3" in home
    # The students of the class now see the lesson on their page.
    platform.launch(client, "learner", locale="en")
    assert "Who helps when something is wrong" in client.get("/student").get_data(as_text=True)


def test_mark_given_needs_csrf(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    assert client.post(LESSON + "/given", data={}).status_code == 400


def test_year_plan_gives_each_round_its_own_session(app: Any) -> None:
    with app.app_context():
        plan = lessons.year_plan(catalog(), AgeBand.BASIC, date(2026, 10, 5))
    assert [slot.round for slot in plan.slots] == [1, 2, 3]
    assert [slot.session for slot in plan.slots] == [1, 2, 3], "the fixture has round-2 and -3"
    assert plan.slots[0].starts_on == date(2026, 8, 31), "the Monday of the week of 1 September"
    assert [slot.week for slot in plan.slots] == [1, 2, 3], "no empty week while lessons remain"
    assert lessons.school_year_start(date(2027, 3, 1)) == date(2026, 8, 31)


def test_media_is_served_only_from_the_lesson_folder(client: Any, platform: Any) -> None:
    platform.launch(client, "learner", locale="en")
    assert client.get(LESSON + "/media/../lesson.yaml").status_code == 404
    assert client.get(LESSON + "/media/nothing.png").status_code == 404


def test_lesson_pictures_have_alt_text_and_are_served(client: Any, platform: Any) -> None:
    platform.launch(client, "learner", locale="en")
    html = client.get(LESSON + "/student").get_data(as_text=True)
    assert 'alt="Three cars that come to help' in html
    assert 'src="media/helpers.svg"' in html  # resolves to LESSON/media/helpers.svg
    picture = client.get(LESSON + "/media/helpers.svg")
    assert picture.status_code == 200
    assert picture.mimetype == "image/svg+xml"


def test_grade_names_are_those_of_the_page_language(app: Any) -> None:
    with app.test_request_context():
        with force_locale("ru"):
            ru = grade_choices()
        with force_locale("kk"):
            kk = grade_choices()
        with force_locale("ru"):
            assert grade_choices() is ru, "made once per language"

    def basic(choices: Any) -> tuple[str, dict[int, str]]:
        band_name, grades = next((name, dict(g)) for b, name, g in choices if b == "basic")
        return band_name, grades

    assert basic(ru)[1][6] == "6 класс"
    assert basic(kk)[1][6] == "6-сынып"
    assert basic(ru)[0] != basic(kk)[0]
