"""Scores reach the platform's gradebook through the outbox: AGS with an OAuth2 token got by
the tool's signed assertion, retried while the platform is down, set aside when refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.lti_tool import tool_conf
from app.models import LinkLineItem, OutboxMessage
from app.models.base import utcnow
from app.services import delivery
from tests.conftest import TOOL_BASE
from tests.support.platform_services import Member
from tests.support.platform_simulator import PlatformSimulator
from tests.support.quiz_flow import (
    LESSON,
    PERFECT,
    QUIZ,
    autosave,
    csrf,
    finish,
    launch_student,
    launch_teacher,
    quiz_setup,
)


@pytest.fixture
def setup(make_app: Any, httpserver: Any, tmp_path: Path) -> tuple[Any, Any]:
    import lti

    lti.forget_tokens()
    return quiz_setup(make_app, httpserver, tmp_path)


def take_quiz(
    app: Any, simulator: Any, sub: str, answers: dict[str, list[str]], **launch: Any
) -> None:
    client = app.test_client()
    launch_student(simulator, client, sub=sub, **launch)
    html = client.get(f"/quizzes/{QUIZ}/").get_data(as_text=True)
    attempt = int(html.split('data-attempt="')[1].split('"')[0])
    token = csrf(html)
    assert autosave(client, attempt, token, answers).status_code == 200
    assert finish(client, attempt, token).status_code == 303


def drain(app: Any, *, later: timedelta = timedelta(0)) -> delivery.DrainReport:
    with app.test_request_context():
        return delivery.drain_outbox(tool_conf(signing=True), clock=lambda: utcnow() + later)


def test_a_score_is_delivered_to_a_line_item_the_tool_creates(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    services = simulator.services
    take_quiz(app, simulator, "student-7", PERFECT)
    take_quiz(app, simulator, "student-8", {"who-helps": ["friend"]})
    report = drain(app)
    assert (report.delivered, report.retrying, report.dead) == (2, 0, 0)
    created = services.line_items[2]
    assert created["resourceLinkId"] == "quiz-link-1"
    assert created["resourceId"] == LESSON
    assert created["scoreMaximum"] == 100
    assert created["label"] == "Who helps? Quiz"
    [score] = services.scores_for("student-7")
    assert score["lineitem"] == 2
    assert score["scoreGiven"] == 100
    assert score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert services.scores_for("student-8")[0]["scoreGiven"] == 0
    assert services.token_requests == 1, "the access token is reused"
    assert drain(app).delivered == 0, "nothing is sent twice"
    assert len(services.scores) == 2
    with app.app_context():
        remembered = db.session.scalars(select(LinkLineItem)).one()
        assert remembered.lineitem_url == services.lineitem_url(2), "kept for the next score"
        assert remembered.resource_id == LESSON


def test_a_link_with_a_gradebook_column_gets_the_score_there(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    take_quiz(app, simulator, "student-7", PERFECT, ags="lineitem")
    assert drain(app).delivered == 1
    assert simulator.services.scores_for("student-7")[0]["lineitem"] == 1
    assert list(simulator.services.line_items) == [1], "no line item created"


def test_platform_down_then_up_delivers_exactly_once(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    services = simulator.services
    take_quiz(app, simulator, "student-7", PERFECT)
    services.down = True
    report = drain(app)
    assert (report.delivered, report.retrying) == (0, 1)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.status == "pending"
        assert message.tries == 1
        assert "503" in message.last_error
    assert drain(app).retrying == 0, "not retried before its time"
    assert drain(app, later=timedelta(seconds=31)).retrying == 1, "still down: tried again"
    services.down = False
    assert drain(app, later=timedelta(seconds=40)).delivered == 0, "backing off: 60 s now"
    assert drain(app, later=timedelta(minutes=5)).delivered == 1
    assert drain(app, later=timedelta(hours=2)).delivered == 0
    assert len(services.scores_for("student-7")) == 1, "delivered exactly once"
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert (message.status, message.tries, message.last_error) == ("delivered", 3, "")


def test_a_refused_score_is_dead_lettered_with_the_reason_and_can_be_replayed(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    services = simulator.services
    take_quiz(app, simulator, "student-7", PERFECT)
    services.reject_scores = 400
    assert drain(app).dead == 1
    assert drain(app, later=timedelta(days=1)).dead == 0, "a dead message is not retried"
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["outbox", "list", "--status", "dead"])
    assert listed.exit_code == 0, listed.output
    assert "dead" in listed.output
    assert "400" in listed.output
    assert "The user is not enrolled in this course" in listed.output
    services.reject_scores = None
    replayed = runner.invoke(args=["outbox", "replay", "--all-dead"])
    assert "1 message(s) queued again." in replayed.output
    drained = runner.invoke(args=["outbox", "drain"])
    assert drained.exit_code == 0, drained.output
    assert "1 delivered, 0 to retry, 0 dead; 0 waiting." in drained.output
    assert len(services.scores_for("student-7")) == 1
    assert "Name the messages" in runner.invoke(args=["outbox", "replay"]).output


def test_a_malformed_message_is_set_aside_and_the_others_still_go(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    take_quiz(app, simulator, "student-7", PERFECT)
    take_quiz(app, simulator, "student-8", PERFECT)
    with app.app_context():
        first = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        first.payload = {key: v for key, v in first.payload.items() if key != "user_id"}
        db.session.commit()
    report = drain(app)
    assert (report.delivered, report.dead) == (1, 1)
    assert simulator.services.scores_for("student-8")
    with app.app_context():
        dead = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead")).one()
        assert dead.last_error == "KeyError: 'user_id'"


def test_a_token_signed_with_an_unknown_key_is_retried_later_not_set_aside(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    simulator.services.tool_jwks = lambda: {"keys": []}
    take_quiz(app, simulator, "student-7", PERFECT)
    report = drain(app)
    assert (report.delivered, report.retrying, report.dead) == (0, 1, 0)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.status == "pending"
        assert message.next_try_at > utcnow() + timedelta(seconds=20)
        assert "access token" in message.last_error
        assert "401" in message.last_error


def test_a_revoked_token_is_dropped_and_fetched_again(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    services = simulator.services
    take_quiz(app, simulator, "student-7", PERFECT, ags="lineitem")
    assert drain(app).delivered == 1
    assert services.token_requests == 1
    services.revoke_tokens()
    take_quiz(app, simulator, "student-8", PERFECT, ags="lineitem")
    report = drain(app)
    assert (report.delivered, report.retrying, report.dead) == (1, 0, 0)
    assert services.unauthorized_answers == 1, "one 401, then the new token works"
    assert services.token_requests == 2
    assert services.scores_for("student-8")


def test_a_platform_that_keeps_answering_401_is_retried_with_back_off(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    services = simulator.services
    take_quiz(app, simulator, "student-7", PERFECT, ags="lineitem")
    services.unauthorized_next = 1000
    report = drain(app)
    assert (report.delivered, report.retrying, report.dead) == (0, 1, 0)
    assert services.unauthorized_answers == 2, "tried once more with a new token, not again"
    assert services.token_requests == 2
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        assert (message.status, message.tries) == ("pending", 1)
        assert message.next_try_at > utcnow() + timedelta(seconds=20)
        assert "401" in message.last_error
    services.unauthorized_next = 0
    assert drain(app, later=timedelta(minutes=1)).delivered == 1
    assert len(services.scores_for("student-7")) == 1


def test_two_registrations_of_one_issuer_each_use_their_own_token(
    setup: tuple[Any, Any],
) -> None:
    app, first = setup
    second = PlatformSimulator(
        first.httpserver,
        client_id="second-client",
        deployment_id="7",
        tool_base=TOOL_BASE,
        tool_jwks=first.services.tool_jwks,
    )
    assert second.issuer == first.issuer
    assert second.token_url != first.token_url
    with app.app_context():
        second.register()
    take_quiz(app, first, "student-7", PERFECT, ags="lineitem")
    take_quiz(app, second, "student-9", PERFECT, ags="lineitem")
    report = drain(app)
    assert (report.delivered, report.retrying, report.dead) == (2, 0, 0)
    assert first.services.scores_for("student-7")
    assert second.services.scores_for("student-9")
    assert (first.services.token_requests, second.services.token_requests) == (1, 1)
    assert first.services.unauthorized_answers == second.services.unauthorized_answers == 0
    assert not first.services.tokens.keys() & second.services.tokens.keys()


def test_the_teacher_sees_the_roster_and_the_gradebook_state(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    services = simulator.services
    services.roster = [
        Member("student-7", "Dana Nurlanqyzy"),
        Member("student-9", "Arman Bekov"),
        Member("teacher-1", "Aigerim Sultanova", role="Instructor"),
    ]
    take_quiz(app, simulator, "student-7", PERFECT)
    drain(app)
    teacher = app.test_client()
    launch_teacher(simulator, teacher)
    html = teacher.get(f"/quizzes/{QUIZ}/results").get_data(as_text=True)
    assert "1 of 2 students have finished." in html
    assert "Arman Bekov</td><td>not started" in html
    assert "Dana Nurlanqyzy</td><td>finished" in html
    assert "<td>sent</td>" in html
    assert "Aigerim" not in html, "teachers are not listed as students"
    services.revoke_tokens()
    app.extensions.pop("qadam_rosters", None)
    html = teacher.get(f"/quizzes/{QUIZ}/results").get_data(as_text=True)
    assert "Arman Bekov</td><td>not started" in html, "a revoked token is replaced"
    services.down = True
    app.extensions.pop("qadam_rosters", None)
    html = teacher.get(f"/quizzes/{QUIZ}/results").get_data(as_text=True)
    assert "could not be read just now" in html
    assert "#1" in html, "without the roster, students have neutral labels"
