"""Helpers for tests that take quizzes: an app whose fixture lesson has the fixture quiz, a
platform whose services check the tool's real signing key, and a student's moves."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from werkzeug.datastructures import MultiDict

from tests.conftest import CONTENT_ROOT, TOOL_BASE
from tests.support.platform_simulator import PlatformSimulator

QUIZ = "emergency-quiz"
LESSON = "basic-emergency-help"
QUIZ_URL = f"/quizzes/{QUIZ}/"


def content_with_quiz(tmp_path: Path, *, audience: str = "student") -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT, root)
    meta = root / "lessons" / "basic" / "emergency-help" / "lesson.yaml"
    meta.write_text(meta.read_text() + f"quiz: {QUIZ}\n")
    quiz = root / "quizzes" / "quiz" / f"{QUIZ}.yaml"
    quiz.write_text(quiz.read_text().replace("audience: student", f"audience: {audience}"))
    return root


def quiz_setup(make_app: Any, httpserver: Any, tmp_path: Path, **config: Any) -> tuple[Any, Any]:
    """An app with the quiz, and a registered platform whose services trust the tool's key."""
    app = make_app(QADAM_CONTENT_ROOT=str(content_with_quiz(tmp_path)), **config)
    simulator = PlatformSimulator(
        httpserver,
        tool_base=TOOL_BASE,
        tool_jwks=lambda: app.test_client().get("/lti/jwks").get_json(),
    )
    with app.app_context():
        simulator.register()
    return app, simulator


def launch_student(
    simulator: Any, client: Any, sub: str = "student-7", *, ags: str | None = "lineitems"
) -> Any:
    response = simulator.launch(
        client,
        "learner",
        locale="en",
        sub=sub,
        custom={"lesson": LESSON},
        ags=ags,
        resource_link="quiz-link-1",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response


def launch_teacher(simulator: Any, client: Any, *, ags: str | None = "lineitems") -> Any:
    return simulator.launch(
        client,
        "instructor",
        locale="en",
        sub="teacher-1",
        custom={"lesson": LESSON},
        ags=ags,
        resource_link="quiz-link-1",
    )


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def attempt_id(html: str) -> int:
    found = re.search(r'data-attempt="(\d+)"', html)
    assert found, "no attempt on the page"
    return int(found.group(1))


def autosave(client: Any, attempt: int, token: str, answers: dict[str, list[str]]) -> Any:
    """What the page's script sends on a change."""
    data: list[tuple[str, str]] = [("action", "save"), ("position", "0")]
    for question, choice in answers.items():
        data.append(("question", question))
        data += [(f"q-{question}", option) for option in choice]
    return client.post(
        f"/quizzes/{QUIZ}/attempts/{attempt}/answer",
        data=MultiDict(data),
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )


def finish(client: Any, attempt: int, token: str) -> Any:
    return client.post(f"/quizzes/{QUIZ}/attempts/{attempt}/finish", data={"csrf_token": token})


PERFECT = {
    "who-helps": ["firefighters"],
    "helpers": ["teacher", "parent", "nurse"],
    "tell-secret": ["true"],
    "lost": ["cashier"],
    "thumbs": ["yes"],
}
