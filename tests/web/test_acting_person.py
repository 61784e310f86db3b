"""Who is acting, and for how long: launches per tab, their lifetime, coordinator rights."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CoordinatorGrant, LessonDelivery, SchoolClass
from app.services import coordinators
from tests.support.pages import csrf, form_action

LESSON = "basic-emergency-help"
CLASS_A = {"id": "course-a", "title": "5A", "label": "5A"}
CLASS_B = {"id": "course-b", "title": "5B", "label": "5B"}


def test_an_action_applies_to_the_class_of_the_page_it_was_made_on(
    app: Any, client: Any, platform: Any
) -> None:
    platform.launch(client, "instructor", locale="en", context=CLASS_A)
    page_a = client.get(f"/lessons/{LESSON}/", query_string={"launch": _latest(client)})
    html_a = page_a.get_data(as_text=True)
    action_a = form_action(html_a, f"/lessons/{LESSON}/given")
    assert "launch=" in action_a, "the form carries its launch"
    # The same teacher opens class B in another tab: the last launch no longer decides.
    platform.launch(client, "instructor", locale="en", context=CLASS_B)
    response = client.post(action_a, data={"csrf_token": csrf(html_a)})
    assert response.status_code == 303
    with app.app_context():
        given = db.session.execute(
            select(SchoolClass.context_id).join(
                LessonDelivery, LessonDelivery.school_class_id == SchoolClass.id
            )
        ).all()
    assert given == [("course-a",)]


def test_every_link_and_form_of_a_page_carries_its_launch(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en", context=CLASS_A)
    html = client.get("/teacher").get_data(as_text=True)
    key = _latest(client)
    for url in re.findall(r'(?:href|action)="(/[^"]*)"', html):
        if url.startswith("/static/"):
            continue
        assert f"launch={key}" in url, url


def test_an_unknown_launch_key_is_not_someone_else(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    assert client.get("/teacher", query_string={"launch": "forged"}).status_code == 401


def test_a_launch_ends_after_the_launch_lifetime(
    make_app: Any, httpserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.platform_simulator import PlatformSimulator

    app = make_app(QADAM_LAUNCH_LIFETIME=600)
    simulator = PlatformSimulator(httpserver, tool_base="http://qadam.test")
    with app.app_context():
        simulator.register()
    client = app.test_client()
    simulator.launch(client, "instructor", locale="en")
    assert client.get("/teacher").status_code == 200
    later = time.time() + 601
    monkeypatch.setattr("app.auth.time", SimpleNamespace(time=lambda: later))
    response = client.get("/teacher")
    assert response.status_code == 401
    assert "Open Qadam from your course" in response.get_data(as_text=True)


def test_the_session_cookie_does_not_outlive_the_launch_lifetime(make_app: Any) -> None:
    app = make_app(QADAM_LAUNCH_LIFETIME=600)
    assert app.permanent_session_lifetime.total_seconds() == 600


def test_the_next_child_at_a_shared_computer_never_acts_as_the_previous_one(
    client: Any, platform: Any
) -> None:
    platform.launch(client, "learner", locale="en", sub="child-1")
    first = _latest(client)
    platform.launch(client, "learner", locale="en", sub="child-2")
    assert client.get("/student", query_string={"launch": first}).status_code == 401
    assert client.get("/student").status_code == 200


# -- coordinator rights ---------------------------------------------------------------------


def _code(app: Any, issuer: str, *extra: str) -> str:
    result = app.test_cli_runner().invoke(args=["coordinator", "code", "--issuer", issuer, *extra])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


def _enter(client: Any, code: str) -> Any:
    page = client.get("/coordinator/code").get_data(as_text=True)
    return client.post(
        form_action(page, "/coordinator/code"), data={"csrf_token": csrf(page), "code": code}
    )


def test_a_one_time_code_makes_a_teacher_a_coordinator(
    app: Any, client: Any, platform: Any
) -> None:
    platform.launch(client, "instructor", locale="en", sub="psychologist-1")
    assert client.get("/coordinator").status_code == 403
    code = _code(app, platform.issuer, "--safeguarding")
    response = _enter(client, code.lower().replace("-", " "))  # typed loosely
    assert response.status_code == 303
    assert response.headers["Location"].split("?")[0] == "/coordinator"
    assert client.get(response.headers["Location"]).status_code == 200
    # From now on a launch as a teacher opens the coordinator pages.
    landing = platform.launch(client, "instructor", locale="en", sub="psychologist-1")
    assert landing.headers["Location"].split("?")[0] == "/coordinator"
    with app.app_context():
        grant = db.session.scalars(select(CoordinatorGrant)).one()
        assert grant.safeguarding
        assert grant.granted_by == "operator"
    # The code works once only.
    other = app.test_client()
    platform.launch(other, "instructor", locale="en", sub="teacher-2")
    refused = _enter(other, code)
    assert refused.status_code == 400
    assert "not valid here" in refused.get_data(as_text=True)
    assert other.get("/coordinator").status_code == 403


def test_a_code_of_another_moodle_site_does_not_work_here(
    app: Any, httpserver: Any, client: Any, platform: Any
) -> None:
    from tests.support.platform_simulator import PlatformSimulator

    other_site = PlatformSimulator(
        httpserver, issuer="https://moodle.other.example.kz", tool_base="http://qadam.test"
    )
    with app.app_context():
        other_site.register()
    code = _code(app, other_site.issuer)
    platform.launch(client, "instructor", locale="en")
    assert _enter(client, code).status_code == 400
    assert client.get("/coordinator").status_code == 403
    # The code is still good for a teacher of the site it was made for.
    theirs = app.test_client()
    other_site.launch(theirs, "instructor", locale="en")
    assert _enter(theirs, code).status_code == 303


def test_guessing_codes_is_stopped_after_a_few_tries(app: Any, client: Any, platform: Any) -> None:
    code = _code(app, platform.issuer)
    platform.launch(client, "instructor", locale="en")
    for _ in range(coordinators.MAX_FAILURES):
        assert _enter(client, "AAAA-BBBB-CCCC").status_code == 400
    response = _enter(client, code)
    assert response.status_code == 400
    assert "Too many wrong codes" in response.get_data(as_text=True)


def test_students_cannot_enter_codes_and_teachers_cannot_make_them(
    app: Any, client: Any, platform: Any
) -> None:
    code = _code(app, platform.issuer)
    platform.launch(client, "learner", locale="en")
    assert client.get("/coordinator/code").status_code == 403
    token = csrf(client.get("/student").get_data(as_text=True))
    assert (
        client.post("/coordinator/code", data={"code": code, "csrf_token": token}).status_code
        == 403
    )
    teacher = app.test_client()
    platform.launch(teacher, "instructor", locale="en")
    page = teacher.get("/teacher").get_data(as_text=True)
    made = teacher.post("/coordinator/codes", data={"csrf_token": csrf(page)})
    assert made.status_code == 403


def test_a_coordinator_makes_a_code_for_a_colleague(app: Any, client: Any, platform: Any) -> None:
    platform.launch(client, "admin", locale="en")
    page = client.get("/coordinator").get_data(as_text=True)
    made = client.post(
        form_action(page, "/coordinator/codes"),
        data={"csrf_token": csrf(page), "safeguarding": "y"},
    )
    html = made.get_data(as_text=True)
    code = re.search(r'class="code-display"><strong>([A-Z0-9-]+)<', html).group(1)
    colleague = app.test_client()
    platform.launch(colleague, "instructor", locale="en", sub="psychologist-2")
    assert _enter(colleague, code).status_code == 303
    with app.app_context():
        grant = db.session.scalars(select(CoordinatorGrant)).one()
        assert grant.granted_by.startswith("coordinator:")
        assert grant.safeguarding


def test_revoking_a_grant_makes_a_teacher_again(app: Any, client: Any, platform: Any) -> None:
    _enter_as = platform.launch(client, "instructor", locale="en", sub="staff-9")
    assert _enter_as.status_code == 303
    assert _enter(client, _code(app, platform.issuer)).status_code == 303
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["coordinator", "list"])
    grant_id = listed.stdout.split("\t")[0]
    assert "user=staff-9" in listed.stdout
    assert runner.invoke(args=["coordinator", "revoke", grant_id]).exit_code == 0
    landing = platform.launch(client, "instructor", locale="en", sub="staff-9")
    assert landing.headers["Location"].split("?")[0] == "/teacher"


def _latest(client: Any) -> str:
    with client.session_transaction() as session:
        launches = session["launches"]
    return max(launches, key=lambda k: launches[k]["t"])
