"""Taking a quiz: autosave and resume, immediate feedback, attempts, the teacher's results."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.content_catalog import catalog
from app.extensions import db
from app.models import OutboxMessage, QuizAnswer, QuizAttempt
from app.services.shuffle import shuffled_options
from tests.support.quiz_flow import (
    LESSON,
    PERFECT,
    QUIZ,
    QUIZ_URL,
    attempt_id,
    autosave,
    csrf,
    finish,
    launch_student,
    launch_teacher,
    quiz_setup,
)


@pytest.fixture
def setup(make_app: Any, httpserver: Any, tmp_path: Path) -> tuple[Any, Any]:
    return quiz_setup(make_app, httpserver, tmp_path)


def open_quiz(client: Any, query: str = "") -> tuple[str, int, str]:
    page = client.get(QUIZ_URL + query)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    return html, attempt_id(html), csrf(html)


def test_the_lesson_leads_to_its_quiz(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    client = app.test_client()
    landing = launch_student(simulator, client)
    assert landing.headers["Location"].split("?")[0] == f"/lessons/{LESSON}/student"
    lesson = client.get(landing.headers["Location"]).get_data(as_text=True)
    assert f'href="{QUIZ_URL}?launch=' in lesson
    assert "Check what you learned" in lesson
    html, _attempt, _token = open_quiz(client)
    assert "Question 1 of 5" in html
    assert 'type="radio" name="q-who-helps"' in html
    assert "Firefighters: 101" in html, "help numbers come from configuration"
    assert 'data-speak="Whom do you call in a fire?' in html, "read aloud for young children"


def test_answers_survive_a_lost_session_and_resume_where_the_student_was(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    first = app.test_client()
    launch_student(simulator, first)
    _html, attempt, token = open_quiz(first)
    saved = autosave(first, attempt, token, {"who-helps": ["firefighters"]})
    assert saved.status_code == 200
    assert saved.get_json() == {"saved": ["who-helps"], "points": {"who-helps": None}}
    # The form path (no JavaScript): answer the second question and move on.
    moved = first.post(
        f"/quizzes/{QUIZ}/attempts/{attempt}/answer",
        data={
            "csrf_token": token,
            "question": "helpers",
            "q-helpers": ["teacher", "nurse"],
            "position": "1",
            "action": "next",
        },
    )
    assert moved.status_code == 303
    assert "q=2" in moved.headers["Location"]

    # The tab is closed and the session is gone: a new browser, a new launch.
    second = app.test_client()
    assert second.get(QUIZ_URL).status_code == 401
    launch_student(simulator, second)
    html, resumed, _token = open_quiz(second)
    assert resumed == attempt, "the same attempt continues"
    assert "Question 3 of 5" in html, "it opens where the student stopped"
    assert "2 of 5 questions answered" in html
    first_question = second.get(QUIZ_URL + "?q=0").get_data(as_text=True)
    assert 'value="firefighters" checked' in first_question
    second_question = second.get(QUIZ_URL + "?q=1").get_data(as_text=True)
    assert 'value="teacher" checked' in second_question
    assert 'value="nurse" checked' in second_question
    assert 'value="parent" checked' not in second_question


def test_checking_shows_feedback_and_locks_the_answer(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    client = app.test_client()
    launch_student(simulator, client)
    _html, attempt, token = open_quiz(client, "?q=3")
    checked = client.post(
        f"/quizzes/{QUIZ}/attempts/{attempt}/answer",
        data={
            "csrf_token": token,
            "question": "lost",
            "q-lost": "leave",
            "position": "3",
            "action": "check:lost",
        },
    )
    assert checked.status_code == 303
    html = client.get(checked.headers["Location"]).get_data(as_text=True)
    assert "Not quite." in html
    assert "No, stay inside; your family is looking for you." in html
    assert "right answer" in html
    assert 'value="leave" checked disabled' in html
    again = autosave(client, attempt, token, {"lost": ["cashier"]})
    assert again.status_code == 409
    assert again.get_json()["message"] == (
        "You have already checked this answer, so it can no longer change."
    )


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"who-helps": ["nobody"]}, "That answer is not one of the options. Choose from the list."),
        ({"who-helps": ["firefighters", "friend"]}, "That answer is not one of the options."),
        ({"essay": ["x"]}, "This question is not part of the quiz."),
    ],
)
def test_bad_answers_get_a_plain_409(
    setup: tuple[Any, Any], answers: dict[str, list[str]], message: str
) -> None:
    app, simulator = setup
    client = app.test_client()
    launch_student(simulator, client)
    _html, attempt, token = open_quiz(client)
    response = autosave(client, attempt, token, answers)
    assert response.status_code == 409
    assert response.get_json()["message"].startswith(message)
    with app.app_context():
        assert db.session.scalars(select(QuizAnswer)).all() == []


def test_without_a_token_or_as_someone_else_nothing_is_saved(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    owner = app.test_client()
    launch_student(simulator, owner)
    _html, attempt, _token = open_quiz(owner)
    no_token = owner.post(
        f"/quizzes/{QUIZ}/attempts/{attempt}/answer",
        data={"question": "who-helps", "q-who-helps": "friend"},
    )
    assert no_token.status_code == 400
    other = app.test_client()
    launch_student(simulator, other, sub="student-8")
    _html2, _attempt2, other_token = open_quiz(other)
    stolen = autosave(other, attempt, other_token, {"who-helps": ["friend"]})
    assert stolen.status_code == 409
    with app.app_context():
        assert db.session.scalars(select(QuizAnswer)).all() == []


def test_finishing_scores_queues_the_grade_once_and_shows_feedback(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    client = app.test_client()
    launch_student(simulator, client)
    _html, attempt, token = open_quiz(client)
    answers = {**PERFECT, "helpers": ["teacher", "parent"], "lost": ["leave"]}
    assert autosave(client, attempt, token, answers).status_code == 200
    done = finish(client, attempt, token)
    assert done.status_code == 303
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    score = round((1 + 2 / 3 + 1 + 0 + 1) / 5 * 100)
    assert f"Your score: {score}%" in result
    assert "Partly right." in result
    assert "Your score goes to your course's gradebook." in result
    assert "1 attempt left." in result
    assert finish(client, attempt, token).status_code == 303, "a second submit changes nothing"
    with app.app_context():
        [message] = db.session.scalars(select(OutboxMessage)).all()
        assert message.status == "pending"
        assert message.payload["score_given"] == pytest.approx(score, abs=0.5)
        assert message.payload["user_id"] == "student-7"
        assert message.payload["resource_id"] == LESSON
        assert "name" not in message.payload
    # The answer can no longer change after submission.
    assert autosave(client, attempt, token, {"thumbs": ["no"]}).status_code == 409


def test_attempts_run_out_and_the_first_counts(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    client = app.test_client()
    launch_student(simulator, client)
    _html, first, token = open_quiz(client)
    autosave(client, first, token, {"who-helps": ["friend"]})
    finish(client, first, token)
    again = client.post(f"/quizzes/{QUIZ}/again", data={"csrf_token": token})
    assert again.status_code == 303
    _html, second, token = open_quiz(client)
    assert second != first
    autosave(client, second, token, PERFECT)
    result = client.get(finish(client, second, token).headers["Location"]).get_data(as_text=True)
    assert "Your score: 100%" in result
    assert "This was a practice attempt. The gradebook keeps the score of your first" in result
    assert "Try again" not in result
    assert "0 attempts left." in result
    # Opening the quiz again shows the result; a third attempt is refused in plain words.
    assert (
        client.get(QUIZ_URL)
        .headers["Location"]
        .split("?")[0]
        .endswith(f"/attempts/{second}/result")
    )
    refused = client.post(f"/quizzes/{QUIZ}/again", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "You have used every attempt at this quiz." in refused.get_data(as_text=True)
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [m.payload["score_given"] for m in messages] == [0], "practice is not sent"
    # The teacher sees the practice apart from the score that counts.
    teacher = app.test_client()
    launch_teacher(simulator, teacher)
    html = teacher.get(f"/quizzes/{QUIZ}/results").get_data(as_text=True)
    assert "first finished attempt goes to the Moodle gradebook" in html
    assert '<td>0%</td><td>waiting to send</td><td class="practice">1, best 100%</td>' in html
    export = teacher.get(f"/quizzes/{QUIZ}/results.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert rows[1][3] == "0"
    assert rows[1][-2:] == ["1", "100"]


@pytest.mark.parametrize(("chosen", "sent"), [("best", [0, 100]), ("last", [0, 100])])
def test_an_activity_chooses_which_attempt_counts(
    setup: tuple[Any, Any], chosen: str, sent: list[int]
) -> None:
    app, simulator = setup
    client = app.test_client()
    simulator.launch(
        client,
        "learner",
        locale="en",
        sub="student-7",
        custom={"lesson": LESSON, "qadam_counts": chosen},
        ags="lineitems",
        resource_link="quiz-link-1",
    )
    _html, first, token = open_quiz(client)
    finish(client, first, token)
    client.post(f"/quizzes/{QUIZ}/again", data={"csrf_token": token})
    _html, second, token = open_quiz(client)
    autosave(client, second, token, PERFECT)
    result = client.get(finish(client, second, token).headers["Location"]).get_data(as_text=True)
    assert "practice attempt" not in result
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [m.payload["score_given"] for m in messages] == sent


def test_teacher_sees_who_finished_item_analysis_and_can_export(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    for sub, answers in (
        ("student-1", PERFECT),
        ("student-2", {**PERFECT, "lost": ["leave"], "who-helps": ["friend"]}),
        ("student-3", {**PERFECT, "lost": ["leave"]}),
    ):
        client = app.test_client()
        launch_student(simulator, client, sub=sub)
        _html, attempt, token = open_quiz(client)
        autosave(client, attempt, token, answers)
        finish(client, attempt, token)
    started = app.test_client()
    launch_student(simulator, started, sub="student-4")
    open_quiz(started)

    teacher = app.test_client()
    launch_teacher(simulator, teacher)
    assert teacher.get(QUIZ_URL).headers["Location"].split("?")[0] == f"/quizzes/{QUIZ}/results"
    html = teacher.get(f"/quizzes/{QUIZ}/results").get_data(as_text=True)
    assert "3 of 4 students have finished." in html
    assert "in progress" in html
    assert "waiting to send" in html
    assert "To revisit: 67% chose “I leave the shop”." in html
    assert 'value="0.6666666666666666"' in html

    questions = teacher.get(f"/quizzes/{QUIZ}/check").get_data(as_text=True)
    assert "The quiz's questions with their answers" in questions
    assert questions.count("<summary>Show the answer</summary>") == 5

    home = teacher.get("/teacher").get_data(as_text=True)
    assert "Quizzes of this class" in home
    assert "3 students finished, 1 still answering" in home

    export = teacher.get(f"/quizzes/{QUIZ}/results.csv")
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["student", "status", "attempts", "score_percent"]
    assert rows[0][5:] == [
        "q1:who-helps",
        "q2:helpers",
        "q3:tell-secret",
        "q4:lost",
        "q5:thumbs",
        "practice_attempts",
        "practice_best_percent",
    ]
    finished = [r for r in rows[1:] if r[1] == "finished"]
    assert sorted(r[3] for r in finished) == ["100", "60", "80"]
    assert next(r for r in rows[1:] if r[1] == "in-progress")[3] == ""


def test_students_cannot_see_results_and_teachers_cannot_answer(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    student = app.test_client()
    launch_student(simulator, student)
    assert student.get(f"/quizzes/{QUIZ}/results").status_code == 403
    assert student.get(f"/quizzes/{QUIZ}/results.csv").status_code == 403
    assert student.get("/quizzes/no-such-quiz/").status_code == 404
    teacher = app.test_client()
    launch_teacher(simulator, teacher)
    page = teacher.get(f"/quizzes/{QUIZ}/results").get_data(as_text=True)
    assert (
        teacher.post(
            f"/quizzes/{QUIZ}/attempts/1/answer", data={"csrf_token": csrf(page)}
        ).status_code
        == 403
    )


def test_without_a_grading_service_the_quiz_works_and_the_teacher_is_told(
    setup: tuple[Any, Any],
) -> None:
    app, simulator = setup
    client = app.test_client()
    launch_student(simulator, client, ags=None)
    _html, attempt, token = open_quiz(client)
    autosave(client, attempt, token, PERFECT)
    result = client.get(finish(client, attempt, token).headers["Location"]).get_data(as_text=True)
    assert "Your score: 100%" in result
    assert "gradebook" not in result
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []
        assert db.session.scalars(select(QuizAttempt)).one().score == 1.0
    teacher = app.test_client()
    launch_teacher(simulator, teacher, ags=None)
    html = teacher.get(f"/quizzes/{QUIZ}/results").get_data(as_text=True)
    assert "Scores of this activity are not sent to the Moodle gradebook" in html


def test_a_class_check_is_for_the_teacher_and_records_nothing(
    make_app: Any, httpserver: Any, tmp_path: Path
) -> None:
    from tests.support.platform_simulator import PlatformSimulator
    from tests.support.quiz_flow import content_with_quiz

    app = make_app(QADAM_CONTENT_ROOT=str(content_with_quiz(tmp_path, audience="class")))
    simulator = PlatformSimulator(httpserver, tool_base="http://qadam.test")
    with app.app_context():
        simulator.register()
    teacher = app.test_client()
    launch_teacher(simulator, teacher)
    lesson = teacher.get(f"/lessons/{LESSON}/").get_data(as_text=True)
    assert "Picture check with the class" in lesson
    assert teacher.get(QUIZ_URL).headers["Location"].split("?")[0] == f"/quizzes/{QUIZ}/check"
    html = teacher.get(f"/quizzes/{QUIZ}/check").get_data(as_text=True)
    assert '<details class="reveal">' in html
    assert html.count("<summary>Show the answer</summary>") == 5
    assert "/quizzes/media/thumb-up.svg" in html
    assert teacher.get("/quizzes/media/thumb-up.svg").status_code == 200
    student = app.test_client()
    launch_student(simulator, student)
    assert student.get(QUIZ_URL).status_code == 404
    lesson = student.get(f"/lessons/{LESSON}/student").get_data(as_text=True)
    assert "Check what you learned" not in lesson


def option_order(html: str, question: str) -> list[str]:
    return re.findall(rf'name="q-{question}" value="([^"]+)"', html)


def test_options_are_shuffled_per_attempt_and_stay_put_for_it(setup: tuple[Any, Any]) -> None:
    app, simulator = setup
    seeds = {"student-1": 1, "student-2": 2}
    with app.app_context():
        helpers = catalog().quizzes[QUIZ].question("helpers")
        assert helpers is not None
        expected = {
            sub: [o.id for o in shuffled_options(helpers, seed)] for sub, seed in seeds.items()
        }
    assert expected["student-1"] != expected["student-2"]
    assert sorted(expected["student-1"]) == sorted(o.id for o in helpers.options)
    for sub, seed in seeds.items():
        client = app.test_client()
        launch_student(simulator, client, sub=sub)
        _html, attempt, token = open_quiz(client)
        with app.app_context():
            assert db.session.get(QuizAttempt, attempt).shuffle_seed is not None
            db.session.get(QuizAttempt, attempt).shuffle_seed = seed  # a known order
            db.session.commit()
        page = client.get(QUIZ_URL + "?q=1").get_data(as_text=True)
        assert option_order(page, "helpers") == expected[sub]
        reloaded = client.get(QUIZ_URL + "?q=1").get_data(as_text=True)
        assert option_order(reloaded, "helpers") == expected[sub]
        true_false = client.get(QUIZ_URL + "?q=2").get_data(as_text=True)
        assert option_order(true_false, "tell-secret") == ["true", "false"]
        # The form path saves and moves on; a new session resumes with the same order.
        client.post(
            f"/quizzes/{QUIZ}/attempts/{attempt}/answer",
            data={
                "csrf_token": token,
                "question": "helpers",
                "q-helpers": ["teacher"],
                "position": "1",
                "action": "save",
            },
        )
        resumed = app.test_client()
        launch_student(simulator, resumed, sub=sub)
        again = resumed.get(QUIZ_URL + "?q=1").get_data(as_text=True)
        assert option_order(again, "helpers") == expected[sub]
        # The result lists the chosen options in the attempt's order too.
        autosave(resumed, attempt, csrf(again), {"helpers": expected[sub]})
        result = resumed.get(finish(resumed, attempt, csrf(again)).headers["Location"])
        texts = {o.id: o.text["en"] for o in helpers.options}
        listed = result.get_data(as_text=True).split("Your answer:")[2].split("</p>")[0]
        assert listed.strip() == "; ".join(texts[i] for i in expected[sub])
    # The teacher's questions and answers keep the authored order.
    teacher = app.test_client()
    launch_teacher(simulator, teacher)
    check = teacher.get(f"/quizzes/{QUIZ}/check").get_data(as_text=True)
    check = check.split('id="question-helpers"')[1].split("</section>")[0]
    positions = [check.index(f"<span>{o.text['en']}</span>") for o in helpers.options]
    assert positions == sorted(positions)
