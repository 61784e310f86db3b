"""Deep linking: a teacher adds Qadam to a course; the signed response verifies with our JWKS."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import jwt

CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


def _form(html: str) -> tuple[str, dict[str, str]]:
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', html).group(1))
    fields = {
        unescape(n): unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }
    return action, fields


def test_deep_link_response_is_signed_and_verifies(client: Any, platform: Any) -> None:
    response = platform.launch(client, "instructor", message="deep", locale="en")
    assert response.status_code == 303
    assert response.headers["Location"].split("?")[0] == "/add-to-course"
    page = client.get("/add-to-course?band=basic").get_data(as_text=True)
    assert 'value="basic-emergency-help"' in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/add-to-course",
        data={"csrf_token": token, "lesson": ["basic-emergency-help"], "home": "1"},
    )
    assert answer.status_code == 200
    action, fields = _form(answer.get_data(as_text=True))
    assert action.startswith("https://moodle.school.example.kz/mod/lti/contentitem_return.php")

    jwks = client.get("/lti/jwks").get_json()
    header = jwt.get_unverified_header(fields["JWT"])
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    message = jwt.decode(
        fields["JWT"],
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=platform.issuer,
        issuer=platform.client_id,
    )
    assert (
        message["https://purl.imsglobal.org/spec/lti/claim/message_type"]
        == "LtiDeepLinkingResponse"
    )
    assert message["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == "1"
    assert message["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "dl-0265643d0af7"
    home, lesson = message[CONTENT_ITEMS]
    assert home["type"] == lesson["type"] == "ltiResourceLink"
    assert home["title"] == "Qadam"
    assert lesson["title"] == "Who helps when something is wrong"
    assert lesson["url"] == "http://qadam.test/lti/launch"
    assert lesson["custom"] == {"lesson": "basic-emergency-help"}
    assert "lineItem" not in lesson, "no quiz, no gradebook column"


def test_choosing_nothing_is_refused_with_a_message(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", message="deep", locale="en")
    page = client.get("/add-to-course").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post("/add-to-course", data={"csrf_token": token})
    assert answer.status_code == 400
    assert "Choose at least one lesson." in answer.get_data(as_text=True)
    unknown = client.post("/add-to-course", data={"csrf_token": token, "lesson": "no-such"})
    assert unknown.status_code == 400


def test_the_created_link_opens_its_lesson(client: Any, platform: Any) -> None:
    teacher = platform.launch(client, "instructor", custom={"lesson": "basic-emergency-help"})
    assert teacher.headers["Location"].split("?")[0] == "/lessons/basic-emergency-help/"
    assert "Who helps when something is wrong" in client.get(teacher.headers["Location"]).get_data(
        as_text=True
    )
    student = platform.launch(client, "learner", custom={"lesson": "basic-emergency-help"})
    assert student.headers["Location"].split("?")[0] == "/lessons/basic-emergency-help/student"
    gone = platform.launch(client, "learner", custom={"lesson": "retired-lesson"})
    assert gone.headers["Location"].split("?")[0] == "/student"


def test_students_cannot_deep_link(client: Any, platform: Any) -> None:
    response = platform.launch(client, "learner", message="deep", locale="en")
    assert response.status_code == 403


def test_add_to_course_needs_a_deep_linking_launch(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en")
    assert client.get("/add-to-course").status_code == 404


def test_picker_filters_by_format_topic_and_language(client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", message="deep", locale="en")
    page = client.get("/add-to-course?band=basic&format=micro&topic=emergency-help&lang=kk")
    html = page.get_data(as_text=True)
    assert "Қиын жағдайда кім көмектеседі" in html
    assert client.get("/add-to-course?topic=fire-drills").status_code == 400
    empty = client.get("/add-to-course?format=thematic").get_data(as_text=True)
    assert 'name="lesson"' not in empty


def test_a_lesson_with_a_quiz_gets_a_gradebook_column(
    make_app: Any, httpserver: Any, tmp_path: Any
) -> None:
    import shutil

    from tests.conftest import CONTENT_ROOT
    from tests.support.platform_simulator import PlatformSimulator

    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT, root)
    meta = root / "lessons" / "basic" / "emergency-help" / "lesson.yaml"
    meta.write_text(meta.read_text() + "quiz: emergency-quiz\n")
    app = make_app(QADAM_CONTENT_ROOT=str(root))
    simulator = PlatformSimulator(httpserver, tool_base="http://qadam.test")
    with app.app_context():
        simulator.register()
    client = app.test_client()
    simulator.launch(client, "instructor", message="deep", locale="en")
    page = client.get("/add-to-course").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/add-to-course", data={"csrf_token": token, "lesson": "basic-emergency-help"}
    )
    _action, fields = _form(answer.get_data(as_text=True))
    [item] = jwt.decode(fields["JWT"], options={"verify_signature": False})[CONTENT_ITEMS]
    assert item["lineItem"]["scoreMaximum"] == 100
    assert item["lineItem"]["resourceId"] == "basic-emergency-help"
    assert item["lineItem"]["label"] == "Who helps when something is wrong"
