"""Grades reach the right column exactly once: each quiz's own column, one line item per
resource however many workers deliver, and outbox claims that a slow platform cannot break."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.lti_tool import tool_conf
from app.models import OutboxMessage
from app.models.base import utcnow
from app.services import delivery
from tests.conftest import TOOL_BASE
from tests.support.platform_simulator import PlatformSimulator
from tests.support.quiz_flow import LESSON, PERFECT, QUIZ, content_with_quiz, csrf

OTHER_LESSON = "basic-emergency-again"
OTHER_QUIZ = "second-quiz"


def two_quiz_content(tmp_path: Path) -> Path:
    """The fixture content with a second lesson that has its own quiz."""
    root = content_with_quiz(tmp_path)
    lessons = root / "lessons" / "basic"
    shutil.copytree(lessons / "emergency-help", lessons / "emergency-again")
    meta = lessons / "emergency-again" / "lesson.yaml"
    meta.write_text(
        meta.read_text()
        .replace(f"id: {LESSON}", f"id: {OTHER_LESSON}")
        .replace("order: 1", "order: 2")
        .replace(f"quiz: {QUIZ}", f"quiz: {OTHER_QUIZ}")
    )
    quizzes = root / "quizzes" / "quiz"
    (quizzes / f"{OTHER_QUIZ}.yaml").write_text(
        (quizzes / f"{QUIZ}.yaml").read_text().replace(f"id: {QUIZ}", f"id: {OTHER_QUIZ}")
    )
    return root


@pytest.fixture
def setup(make_app: Any, httpserver: Any, tmp_path: Path) -> tuple[Any, Any]:
    import lti

    lti.forget_tokens()
    app = make_app(QADAM_CONTENT_ROOT=str(two_quiz_content(tmp_path)))
    simulator = PlatformSimulator(
        httpserver,
        tool_base=TOOL_BASE,
        tool_jwks=lambda: app.test_client().get("/lti/jwks").get_json(),
    )
    with app.app_context():
        simulator.register()
    return app, simulator


def take(client: Any, quiz: str, answers: dict[str, list[str]]) -> None:
    html = client.get(f"/quizzes/{quiz}/").get_data(as_text=True)
    attempt = int(html.split('data-attempt="')[1].split('"')[0])
    token = csrf(html)
    data = [("action", "save"), ("position", "0")]
    for question, choice in answers.items():
        data.append(("question", question))
        data += [(f"q-{question}", option) for option in choice]
    saved = client.post(
        f"/quizzes/{quiz}/attempts/{attempt}/answer",
        data=MultiDict(data),
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert saved.status_code == 200
    done = client.post(f"/quizzes/{quiz}/attempts/{attempt}/finish", data={"csrf_token": token})
    assert done.status_code == 303


def launch(simulator: Any, client: Any, sub: str, **kwargs: Any) -> None:
    response = simulator.launch(client, "learner", locale="en", sub=sub, **kwargs)
    assert response.status_code == 303


def drain(app: Any, **kwargs: Any) -> delivery.DrainReport:
    with app.app_context():
        return delivery.drain_outbox(tool_conf(signing=True), **kwargs)


def column_of(services: Any, item_number: int) -> str | None:
    return services.line_items[item_number].get("resourceId")


def test_quizzes_taken_through_the_course_home_item_each_reach_their_own_column(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    services = simulator.services
    client = app.test_client()
    # The course's "Qadam" item opens no lesson; it can create columns (lineitems).
    launch(simulator, client, "student-1", resource_link="home-1")
    take(client, QUIZ, PERFECT)
    assert drain(app).delivered == 1
    take(client, OTHER_QUIZ, {"who-helps": ["friend"]})
    assert drain(app).delivered == 1
    scores = services.scores_for("student-1")
    assert [column_of(services, s["lineitem"]) for s in scores] == [LESSON, OTHER_LESSON]
    assert [s["scoreGiven"] for s in scores] == [100, 0], "B never overwrites A's column"


def test_a_quiz_opened_from_another_lessons_activity_never_writes_that_column(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    services = simulator.services
    client = app.test_client()
    # Lesson X's activity has its own gradebook column (line item 1).
    launch(
        simulator,
        client,
        "student-2",
        resource_link="lesson-x",
        custom={"lesson": LESSON},
        ags="lineitem",
    )
    take(client, OTHER_QUIZ, PERFECT)  # quiz Y, opened while in lesson X's activity
    take(client, QUIZ, {"who-helps": ["friend"]})  # lesson X's own quiz
    assert drain(app).delivered == 2
    by_item = {s["lineitem"]: s for s in services.scores_for("student-2")}
    assert by_item[1]["scoreGiven"] == 0, "only X's own quiz lands in X's column"
    [other] = [n for n in by_item if n != 1]
    assert column_of(services, other) == OTHER_LESSON


def test_a_resumed_attempt_keeps_its_activity(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    services = simulator.services
    client = app.test_client()
    launch(
        simulator,
        client,
        "student-3",
        resource_link="lesson-x",
        custom={"lesson": LESSON},
        ags="lineitem",
    )
    html = client.get(f"/quizzes/{QUIZ}/").get_data(as_text=True)
    assert 'data-attempt="' in html
    # The student comes back through the home item and finishes there.
    launch(simulator, client, "student-3", resource_link="home-1")
    take(client, QUIZ, PERFECT)
    assert drain(app).delivered == 1
    [score] = services.scores_for("student-3")
    assert score["lineitem"] == 1, "the attempt stays bound to the activity it began in"


def test_two_workers_create_one_column_for_a_resource(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    services = simulator.services
    for sub in ("student-4", "student-5"):
        client = app.test_client()
        launch(simulator, client, sub, resource_link="home-1")
        take(client, QUIZ, PERFECT)
    services.slow = 0.4  # listing the course's columns takes a while
    reports = run_workers(app, 2)
    assert sum(r.delivered for r in reports) >= 1
    services.slow = 0
    drain(app, clock=lambda: utcnow() + timedelta(minutes=5))
    created = [n for n, item in services.line_items.items() if item.get("resourceId") == LESSON]
    assert len(created) == 1, "one column, whatever the workers did at the same time"
    assert {s["userId"] for s in services.scores} == {"student-4", "student-5"}
    assert {s["lineitem"] for s in services.scores} == set(created)


def run_workers(app: Any, count: int, **kwargs: Any) -> list[delivery.DrainReport]:
    reports: list[delivery.DrainReport] = []
    errors: list[BaseException] = []

    def work(pause: float) -> None:
        time.sleep(pause)
        try:
            with app.app_context():
                reports.append(delivery.drain_outbox(tool_conf(signing=True), **kwargs))
                db.session.remove()
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(0.15 * i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return reports


def test_two_workers_against_a_slow_platform_deliver_each_score_once(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    services = simulator.services
    subs = [f"student-{n}" for n in range(10, 14)]
    for sub in subs:
        client = app.test_client()
        launch(
            simulator,
            client,
            sub,
            resource_link="lesson-x",
            custom={"lesson": LESSON},
            ags="lineitem",
        )
        take(client, QUIZ, PERFECT)
    services.slow = 0.5  # each score takes half a second; a claim lasts a second
    run_workers(app, 2, lease=timedelta(seconds=1))
    for sub in subs:
        assert len(services.scores_for(sub)) == 1, f"{sub}'s score was sent exactly once"
    with app.app_context():
        statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["delivered"] * len(subs)


def test_back_off_counts_from_each_failure_not_from_the_start_of_the_pass(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    services = simulator.services
    for sub in ("student-20", "student-21", "student-22"):
        client = app.test_client()
        launch(
            simulator,
            client,
            sub,
            resource_link="lesson-x",
            custom={"lesson": LESSON},
            ags="lineitem",
        )
        take(client, QUIZ, PERFECT)
    services.down = True
    services.slow = 0.4
    started = utcnow()
    assert drain(app).retrying == 3
    with app.app_context():
        waits = [
            (m.next_try_at - started).total_seconds()
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    assert waits[0] >= 30
    assert waits[2] >= 30 + 0.8, "the third failure came 0.8 s later; so does its next try"
