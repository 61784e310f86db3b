"""Smaller faults: a refused launch uses up its login, starting an attempt cannot loop, the
roster cache is bounded, proxy settings fail fast, and a lost database answers 503."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.content_catalog import catalog
from app.extensions import db
from app.models import LessonDelivery, SchoolClass
from app.proxy_checks import ConfigurationError
from app.services import lessons, quizzes
from app.services.quiz_results import RosterEntry
from app.services.roster import RosterCache
from tests.conftest import app_config


def _login(platform: Any, client: Any) -> dict[str, str]:
    return platform.auth_request(platform.login(client))


def test_a_launch_refused_for_a_malformed_token_still_uses_up_its_login(
    client: Any, platform: Any
) -> None:
    auth = _login(platform, client)
    refused = client.post("/lti/launch", data={"id_token": "not-a-token", "state": auth["state"]})
    assert refused.status_code == 400
    claims = platform.claims("learner", nonce=auth["nonce"])
    again = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]}
    )
    assert again.status_code in (400, 401, 403)
    assert client.get("/student").status_code == 401, "nobody got in with the used login"


def test_a_launch_refused_for_its_role_still_uses_up_its_login(client: Any, platform: Any) -> None:
    auth = _login(platform, client)
    token = platform.sign(platform.claims("mentor", nonce=auth["nonce"]))
    assert (
        client.post("/lti/launch", data={"id_token": token, "state": auth["state"]}).status_code
        == 403
    )
    replay = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert replay.status_code == 403
    text = replay.get_data(as_text=True)
    assert "teachers, students and school coordinators" not in text, "refused as a replay"


def test_starting_an_attempt_gives_up_after_a_conflict_instead_of_looping(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.quiz_flow import QUIZ

    with app.app_context():
        quiz = catalog().quiz(QUIZ) or next(iter(catalog().quizzes.values()))
        calls = []

        def always_conflicting() -> None:
            calls.append(1)
            raise IntegrityError("insert", {}, Exception("duplicate"))

        with monkeypatch.context() as patched:
            patched.setattr(db.session, "commit", always_conflicting)
            with pytest.raises(quizzes.AttemptConflict):
                quizzes.open_attempt(quiz, person_id=1, school_class_id=1, resource_link_pk=None)
        db.session.rollback()
        assert len(calls) == 2


def test_the_roster_cache_keeps_a_bounded_number_of_classes() -> None:
    cache = RosterCache(ttl=60, size=3)
    for class_id in range(10):
        cache.put(class_id, [RosterEntry(user_id=str(class_id), name="x")])
    assert len(cache) == 3
    assert cache.get(0) is None
    assert cache.get(9) is not None
    expired = RosterCache(ttl=0, size=3)
    expired.put(1, [])
    assert expired.get(1) is None


def test_last_years_lessons_do_not_count_as_given_this_year(app: Any, platform: Any) -> None:
    client = app.test_client()
    platform.launch(client, "instructor", locale="en")
    with app.app_context():
        school_class = db.session.query(SchoolClass).one()
        school_class.band = "basic"
        lesson_id = next(
            s.lesson.id for s in lessons.year_plan(catalog(), "basic", date(2026, 10, 1)).slots
        )
        db.session.add(
            LessonDelivery(
                school_class_id=school_class.id, lesson_id=lesson_id, given_on=date(2025, 10, 6)
            )
        )
        db.session.commit()
        progress = lessons.class_progress(catalog(), school_class, date(2026, 10, 1))
        assert not progress.done, "a lesson given last school year is not this year's"
        assert progress.next_slot is not None
        assert progress.next_slot.lesson.id == lesson_id


def test_a_proxy_setting_without_https_fails_at_start(tmp_path: Path) -> None:
    config = app_config("sqlite://", tmp_path, QADAM_TRUSTED_PROXIES=1)
    with pytest.raises(ConfigurationError, match="QADAM_BASE_URL"):
        create_app(config)


def test_https_set_up_but_plain_http_through_an_untrusted_proxy_is_explained(
    tmp_path: Path,
) -> None:
    config = app_config(
        "sqlite://",
        tmp_path,
        QADAM_BASE_URL="https://qadam.school.kz",
        SESSION_COOKIE_SECURE=True,
        QADAM_TRUSTED_PROXIES=0,
    )
    app = create_app(config)
    client = app.test_client()
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 500
    assert "QADAM_TRUSTED_PROXIES" in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200, "health checks still answer"
    secure = client.get("/", base_url="https://qadam.school.kz")
    assert secure.status_code == 200


def test_an_unreachable_database_answers_503_with_retry_after(tmp_path: Path) -> None:
    # Nothing listens on port 9 of loopback: every connection is refused at once.
    app = create_app(app_config("postgresql+psycopg://qadam@127.0.0.1:9/qadam", tmp_path))
    client = app.test_client()
    page = client.get("/lti/jwks")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "30"
    saved = client.post(
        "/quizzes/emergency-quiz/attempts/1/answer", headers={"Accept": "application/json"}
    )
    assert saved.status_code in (400, 401, 503)
    assert "Traceback" not in page.get_data(as_text=True)
