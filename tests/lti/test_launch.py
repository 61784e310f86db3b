"""Successful launches through the full OIDC flow land each role on its page, in its language."""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import Membership, Person, SchoolClass


@pytest.mark.parametrize(
    ("role", "locale", "page", "expected_text", "html_lang"),
    [
        ("instructor", "en", "/teacher", "Connection with Moodle", "en"),
        # The class has no age group yet: its students are addressed formally.
        ("learner", "ru", "/student", "Здравствуйте!", "ru"),
        ("learner", "kk", "/student", "Сәлеметсіз бе!", "kk"),
        ("admin", "kk", "/coordinator", "Qadam", "kk"),
        ("instructor", "pt_br", "/teacher", "Связь с Moodle", "ru"),
        ("instructor", "kk_KZ", "/teacher", "Moodle", "kk"),
    ],
)
def test_roles_land_on_their_page_in_the_launch_language(
    client: Any,
    platform: Any,
    role: str,
    locale: str,
    page: str,
    expected_text: str,
    html_lang: str,
) -> None:
    response = platform.launch(client, role, locale=locale)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].split("?")[0] == page
    landed = client.get(page)
    text = landed.get_data(as_text=True)
    assert landed.status_code == 200
    assert f'<html lang="{html_lang}">' in text
    assert expected_text in text


def test_a_teacher_cannot_make_themselves_coordinator_with_a_custom_parameter(
    client: Any, platform: Any
) -> None:
    # Moodle lets any editing teacher set an activity's custom parameters.
    response = platform.launch(client, "instructor", custom={"qadam_role": "coordinator"})
    assert response.headers["Location"].split("?")[0] == "/teacher"
    assert client.get("/coordinator").status_code == 403


def test_custom_role_claim_never_elevates_a_learner(client: Any, platform: Any) -> None:
    response = platform.launch(client, "learner", custom={"qadam_role": "coordinator"})
    assert response.headers["Location"].split("?")[0] == "/student"
    assert client.get("/coordinator").status_code == 403


def test_launch_without_a_usable_role_is_refused_in_plain_words(client: Any, platform: Any) -> None:
    response = platform.launch(client, "mentor", locale="en")
    assert response.status_code == 403
    assert "teachers, students and school coordinators" in response.get_data(as_text=True)


def test_launch_records_class_and_opaque_person_only(app: Any, client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", sub="3")
    platform.launch(client, "learner", sub="5")
    with app.app_context():
        school_class = db.session.query(SchoolClass).one()
        assert school_class.context_id == "2"
        assert school_class.title == "Personal safety, grade 7"
        people = {p.sub for p in db.session.query(Person)}
        assert people == {"3", "5"}
        roles = sorted(m.role for m in db.session.query(Membership))
    assert roles == ["student", "teacher"]


def test_stored_launch_has_no_names_or_email(app: Any, client: Any, platform: Any) -> None:
    from app.models import LtiStoreEntry

    platform.launch(client, "instructor")
    with app.app_context():
        stored = [e.value for e in db.session.query(LtiStoreEntry) if isinstance(e.value, dict)]
    launches = [v for v in stored if "sub" in v]
    assert launches, "the launch data is kept server-side"
    for body in launches:
        assert "name" not in body
        assert "email" not in body
        assert "given_name" not in body
        assert "user_username" not in body.get("https://purl.imsglobal.org/spec/lti/claim/ext", {})


def test_session_cookie_holds_no_launch_data(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor")
    cookie = client.get_cookie("qadam_session")
    assert cookie is not None
    assert len(cookie.value) < 600
    assert "Teacher" not in cookie.value


def test_a_new_launch_replaces_the_previous_person(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor")
    assert client.get("/teacher").status_code == 200
    platform.launch(client, "learner")
    assert client.get("/teacher").status_code == 403
    assert client.get("/student").status_code == 200


def test_start_pages_need_a_launch(client: Any) -> None:
    response = client.get("/teacher")
    assert response.status_code == 401
    assert "Open it from your Moodle course" in response.get_data(as_text=True)


def test_two_platforms_and_deployments_are_told_apart(
    app: Any, client: Any, platform: Any, httpserver: Any
) -> None:
    from tests.support.platform_simulator import PlatformSimulator

    other = PlatformSimulator(
        httpserver, issuer="https://moodle.other.example.kz", client_id="other", deployment_id="7"
    )
    with app.app_context():
        other.register(("7", "8"))
    assert other.launch(client, "learner").status_code == 303
    other.deployment_id = "8"
    assert other.launch(client, "learner").status_code == 303
    assert platform.launch(client, "learner").status_code == 303
    platform.deployment_id = "7"  # registered for the other platform only
    assert platform.launch(client, "learner").status_code == 403


def test_the_state_cookie_is_removed_after_the_launch(client: Any, platform: Any) -> None:
    response = platform.launch(client, "learner")
    assert response.status_code == 303
    assert [c for c in client._cookies if c[2].startswith("lti1p3-state-")] == []
