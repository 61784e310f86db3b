"""Class surveys through the platform simulator: a wave, a class of 25, the teacher's count,
double submission refused, declines counted, closing; and anonymity by construction."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from app.content_catalog import catalog
from app.extensions import db
from app.models import SchoolClass, SurveyParticipation, SurveyResponse
from app.models.base import utc_today
from app.models.survey import RESPONSE_COLUMNS, SurveyHeldResponse, SurveyWindow
from app.services import surveys
from tests.support.pages import cli, csrf, form_action

CLASS = {"id": "course-6a", "title": "6A", "label": "6A"}
ITEM = "bullied"


class SurveyedSchool:
    """A school with a grade-6 class, its teacher, a coordinator and an open wave."""

    def __init__(self, app: Any, platform: Any) -> None:
        self.app = app
        self.platform = platform
        self.teacher = app.test_client()
        platform.launch(self.teacher, "instructor", locale="en", context=CLASS, sub="teacher-6a")
        with app.app_context():
            school_class = db.session.scalars(select(SchoolClass)).one()
            school_class.band = "basic"
            db.session.commit()
            self.school_id = school_class.school_id
        code = cli(app, "coordinator", "code", "--school", str(self.school_id)).split()[0]
        self.coordinator = app.test_client()
        platform.launch(self.coordinator, "instructor", locale="en", context=CLASS, sub="psy-1")
        page = self.coordinator.get("/coordinator/code").get_data(as_text=True)
        self.coordinator.post(
            form_action(page, "/coordinator/code"), data={"csrf_token": csrf(page), "code": code}
        )

    def set_up_wave(self, code: str = "2026-autumn") -> Any:
        page = self.coordinator.get("/surveys/waves").get_data(as_text=True)
        today = utc_today()
        return self.coordinator.post(
            form_action(page, "/surveys/waves"),
            data={
                "csrf_token": csrf(page),
                "code": code,
                "opens_on": today.isoformat(),
                "closes_on": (today + timedelta(days=14)).isoformat(),
                "consent": "opt-out",
            },
        )

    def start_in_class(self) -> Any:
        page = self.teacher.get("/surveys/class").get_data(as_text=True)
        return self.teacher.post(
            form_action(page, "/surveys/waves/"), data={"csrf_token": csrf(page)}
        )

    def window_id(self) -> int:
        with self.app.app_context():
            return int(db.session.scalars(select(SurveyWindow.id)).one())

    def student(self, sub: str) -> Any:
        client = self.app.test_client()
        self.platform.launch(client, "learner", locale="en", context=CLASS, sub=sub)
        return client


def answer(client: Any, window_id: int, answers: dict[str, str]) -> Any:
    page = client.get(f"/surveys/{window_id}/")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    return client.post(
        form_action(html, f"/surveys/{window_id}/answers"),
        data={"csrf_token": csrf(html), **{f"a-{k}": v for k, v in answers.items()}},
    )


@pytest.fixture
def school(app: Any, platform: Any) -> SurveyedSchool:
    found = SurveyedSchool(app, platform)
    assert found.set_up_wave().status_code == 303
    assert found.start_in_class().status_code == 303
    return found


def test_a_class_of_25_answers_and_the_teacher_sees_only_the_count(
    app: Any, school: SurveyedSchool
) -> None:
    window = school.window_id()
    for n in range(23):
        student = school.student(f"pupil-{n}")
        assert "Class survey" in student.get("/student").get_data(as_text=True)
        done = answer(student, window, {ITEM: "two-three-a-month" if n % 3 else "not-at-all"})
        assert done.status_code == 303
        assert "/help" in done.headers["Location"]
    for n in (23, 24):
        student = school.student(f"pupil-{n}")
        html = student.get(f"/surveys/{window}/").get_data(as_text=True)
        declined = student.post(
            form_action(html, f"/surveys/{window}/decline"), data={"csrf_token": csrf(html)}
        )
        assert declined.status_code == 303
    page = school.teacher.get("/surveys/class").get_data(as_text=True)
    assert "23 have answered" in page
    assert "2 chose not to take part" in page
    # The teacher sees no answers anywhere: there is no page for them.
    assert "two-three-a-month" not in page
    with app.app_context():
        assert surveys.participation(window) == surveys.Participation(23, 2)
        held = db.session.scalar(select(db.func.count()).select_from(SurveyHeldResponse))
        stored = db.session.scalar(select(db.func.count()).select_from(SurveyResponse))
        assert held + stored == 23
        assert held < surveys.BATCH, "full batches have moved"
    html = school.teacher.get("/surveys/class").get_data(as_text=True)
    closed = school.teacher.post(
        form_action(html, f"/surveys/windows/{window}/close"), data={"csrf_token": csrf(html)}
    )
    assert closed.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(SurveyHeldResponse)) == 0
        assert db.session.scalar(select(db.func.count()).select_from(SurveyResponse)) == 23


def test_a_second_submission_is_refused_politely_and_counted_once(
    app: Any, school: SurveyedSchool
) -> None:
    window = school.window_id()
    student = school.student("pupil-x")
    html = student.get(f"/surveys/{window}/").get_data(as_text=True)
    form = form_action(html, f"/surveys/{window}/answers")
    first = student.post(form, data={"csrf_token": csrf(html), f"a-{ITEM}": "once-or-twice"})
    again = student.post(form, data={"csrf_token": csrf(html), f"a-{ITEM}": "several-a-week"})
    assert first.status_code == again.status_code == 303
    # Opening the survey again leads to the same help screen, not the questions.
    reopened = student.get(f"/surveys/{window}/")
    assert reopened.status_code == 303
    with app.app_context():
        assert surveys.participation(window).answered == 1
        rows = db.session.scalars(select(SurveyHeldResponse.answers)).all()
        assert rows == [{ITEM: 1}]


def test_any_question_may_be_skipped_and_bad_answers_are_refused(
    app: Any, school: SurveyedSchool
) -> None:
    window = school.window_id()
    assert answer(school.student("pupil-skip"), window, {}).status_code == 303
    forged = school.student("pupil-forged")
    no_token = forged.post(f"/surveys/{window}/answers", data={f"a-{ITEM}": "not-at-all"})
    assert no_token.status_code == 400, "a post without the form's token is refused"
    bad = answer(school.student("pupil-bad"), window, {ITEM: "every-day"})
    assert bad.status_code == 400
    assert "not an option" in bad.get_data(as_text=True)
    with app.app_context():
        assert surveys.participation(window).answered == 1, "a refused answer counts nothing"


def test_everyone_ends_on_the_same_help_screen(app: Any, school: SurveyedSchool) -> None:
    window = school.window_id()
    answered = school.student("pupil-a")
    declined = school.student("pupil-d")
    help_a = answered.get(answer(answered, window, {ITEM: "not-at-all"}).headers["Location"])
    html = declined.get(f"/surveys/{window}/").get_data(as_text=True)
    gone = declined.post(
        form_action(html, f"/surveys/{window}/decline"), data={"csrf_token": csrf(html)}
    )
    help_d = declined.get(gone.headers["Location"])
    strip = re.compile(r'(name="csrf_token"[^>]*value="[^"]+"|launch=[\w-]+)')
    assert strip.sub("", help_a.get_data(as_text=True)) == strip.sub(
        "", help_d.get_data(as_text=True)
    )
    text_a = help_a.get_data(as_text=True)
    for number in ("111", "150", "112"):
        assert number in text_a
    assert "secret" not in text_a.lower().replace("not keep it a secret", "")
    assert help_a.headers["Cache-Control"] == "no-store"


def test_who_may_do_what(app: Any, platform: Any, school: SurveyedSchool) -> None:
    window = school.window_id()
    student = school.student("pupil-r")
    assert student.get("/surveys/class").status_code == 403
    assert student.get("/surveys/waves").status_code == 403
    # A student of another class cannot see or answer this class's window.
    other = app.test_client()
    platform.launch(
        other, "learner", locale="en", context={"id": "course-9z", "title": "9Z", "label": "9Z"}
    )
    assert other.get(f"/surveys/{window}/").status_code == 404
    token = csrf(other.get("/student").get_data(as_text=True))
    posted = other.post(f"/surveys/{window}/answers", data={"csrf_token": token, f"a-{ITEM}": "no"})
    assert posted.status_code == 404
    # Students never run a window; a teacher of another class cannot close this one.
    token = csrf(student.get("/student").get_data(as_text=True))
    assert (
        student.post(f"/surveys/windows/{window}/close", data={"csrf_token": token}).status_code
        == 403
    )
    other_teacher = app.test_client()
    platform.launch(
        other_teacher,
        "instructor",
        locale="en",
        sub="teacher-9z",
        context={"id": "course-9z", "title": "9Z", "label": "9Z"},
    )
    token = csrf(other_teacher.get("/teacher").get_data(as_text=True))
    closing = other_teacher.post(f"/surveys/windows/{window}/close", data={"csrf_token": token})
    assert closing.status_code == 404
    # A teacher cannot set up waves; a coordinator of another school never reaches this one.
    assert school.teacher.get("/surveys/waves").status_code == 403
    cli(app, "school", "add", "--issuer", platform.issuer, "--key", "other", "--name", "Other")
    with app.app_context():
        from app.models import School

        other_id = db.session.scalars(select(School.id).where(School.name == "Other")).one()
    code = cli(app, "coordinator", "code", "--school", str(other_id)).split()[0]
    stranger = app.test_client()
    platform.launch(
        stranger,
        "instructor",
        locale="en",
        sub="psy-other",
        context={"id": "course-o1", "title": "O1", "label": "O1"},
        custom={"qadam_school": "other"},
    )
    page = stranger.get("/coordinator/code").get_data(as_text=True)
    stranger.post(
        form_action(page, "/coordinator/code"), data={"csrf_token": csrf(page), "code": code}
    )
    with app.app_context():
        wave_id = db.session.get(SurveyWindow, window).wave_id
    token = csrf(stranger.get("/surveys/waves").get_data(as_text=True))
    assert (
        stranger.post(f"/surveys/waves/{wave_id}/close", data={"csrf_token": token}).status_code
        == 404
    )
    assert "<h2>2026-autumn" not in stranger.get("/surveys/waves").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SurveyWindow, window).status == "open"


def test_nothing_in_the_schema_leads_from_a_response_to_a_person(app: Any) -> None:
    with app.app_context():
        inspector = inspect(db.engine)
        columns = [c["name"] for c in inspector.get_columns("survey_response")]
        assert tuple(columns) == RESPONSE_COLUMNS
        assert [c["name"] for c in inspector.get_columns("survey_held_response")] == list(
            RESPONSE_COLUMNS
        )
        for table in ("survey_response", "survey_held_response", "survey_participation"):
            targets = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
            assert targets == {"survey_window"}, table
            names = {c["name"] for c in inspector.get_columns(table)}
            assert not names & {"person_id", "user_id", "sub", "created_at", "submitted_at"}
        ledger = {c["name"] for c in inspector.get_columns("survey_participation")}
        assert ledger == {"id", "window_id", "participant_key", "outcome"}


def test_the_ledger_holds_a_keyed_hash_and_ids_are_random(app: Any, school: SurveyedSchool) -> None:
    window = school.window_id()
    for n in range(6):
        answer(school.student(f"pupil-h{n}"), window, {ITEM: "not-at-all"})
    with app.app_context():
        keys = db.session.scalars(select(SurveyParticipation.participant_key)).all()
        assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
        assert not any("pupil" in key for key in keys)
        ids = [
            *db.session.scalars(select(SurveyResponse.id)),
            *db.session.scalars(select(SurveyHeldResponse.id)),
        ]
        assert len(ids) == 6
        assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_a_submission_logs_no_body_and_no_identity(
    app: Any, school: SurveyedSchool, caplog: pytest.LogCaptureFixture
) -> None:
    window = school.window_id()
    student = school.student("pupil-logged-7")
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    answer(student, window, {ITEM: "several-a-week"})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "pupil-logged-7" not in logged
    assert "several-a-week" not in logged


def test_no_response_is_stored_with_a_time_finer_than_a_date(app: Any) -> None:
    with app.app_context():
        inspector = inspect(db.engine)
        for table in ("survey_response", "survey_held_response", "survey_participation"):
            kinds = {str(c["type"]).upper() for c in inspector.get_columns(table)}
            assert not any("TIME" in kind for kind in kinds), table


def test_storage_order_and_transaction_ids_do_not_identify_a_student(
    app: Any, school: SurveyedSchool, request: pytest.FixtureRequest
) -> None:
    """After 25 students submit one by one, no join of the ledger and the responses by
    transaction id (xmin) or physical order (ctid, the order pg_dump writes) narrows a response
    down to fewer than a batch of 5 students."""
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("PostgreSQL storage details")
    window = school.window_id()
    # Each student gives a different pair of answers, so the test can tell responses apart.
    for n in range(25):
        levels = ["not-at-all", "once-or-twice", "two-three-a-month", "about-weekly"]
        answer(
            school.student(f"pupil-pg{n}"),
            window,
            {ITEM: levels[n % 4], "cyber-messages": levels[(n // 4) % 4]},
        )
    with app.app_context():
        ledger = (
            db.session.execute(
                text("SELECT xmin::text::bigint FROM survey_participation ORDER BY ctid")
            )
            .scalars()
            .all()
        )
        responses = db.session.execute(
            text("SELECT xmin::text::bigint, answers FROM survey_response ORDER BY ctid")
        ).all()
    assert len(ledger) == len(responses) == 25
    # No response shares a transaction with any ledger row.
    assert not {xmin for xmin, _ in responses} & set(ledger)
    batches: dict[int, list[Any]] = {}
    for xmin, answers in responses:
        batches.setdefault(xmin, []).append(answers)
    assert min(len(b) for b in batches.values()) >= surveys.BATCH, "each batch covers ≥ 5"
    # Inside each batch the physical order is shuffled: it does not follow the order in which
    # the students submitted (which the ledger's physical order reveals).
    submitted = [{ITEM: n % 4, "cyber-messages": (n // 4) % 4} for n in range(25)]
    in_order = 0
    position = 0
    for batch in batches.values():
        expected = submitted[position : position + len(batch)]
        position += len(batch)
        in_order += batch == expected
    assert in_order < len(batches), "shuffled batches do not keep the submission order"


def test_a_batch_never_moves_fewer_than_5_while_another_batch_holds_some(
    app: Any, school: SurveyedSchool, request: pytest.FixtureRequest
) -> None:
    """Two submissions of a class may both find 5 responses held and move a batch at once:
    the one that finds some of them taken by the other moves nothing (a batch of 3 would tie
    its responses to fewer than 5 children), and nothing is lost: they move with the next."""
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("PostgreSQL's one-statement batch move")
    window = school.window_id()
    for n in range(4):
        answer(school.student(f"pupil-b{n}"), window, {ITEM: "not-at-all"})
    with app.app_context():
        engine = db.engine
    counting = text(
        "SELECT (SELECT count(*) FROM survey_held_response), (SELECT count(*) FROM survey_response)"
    )
    with engine.connect() as other:  # another submission's batch, in the middle of its move
        other.execute(text("SELECT id FROM survey_held_response ORDER BY id LIMIT 2 FOR UPDATE"))
        assert (
            answer(school.student("pupil-b4"), window, {ITEM: "once-or-twice"}).status_code == 303
        )
        with engine.connect() as reading:
            assert tuple(reading.execute(counting).one()) == (5, 0), "3 were free: none moved"
        other.rollback()
    assert answer(school.student("pupil-b5"), window, {ITEM: "not-at-all"}).status_code == 303
    with app.app_context():
        assert tuple(db.session.execute(counting).one()) == (0, 6), "the next moved all six"
        moved = db.session.scalars(select(SurveyResponse.answers)).all()
        assert sorted(found[ITEM] for found in moved) == [0, 0, 0, 0, 0, 1]
        assert surveys.participation(window).answered == 6


def test_a_submission_that_meets_the_closing_is_refused_not_left_held(
    app: Any, school: SurveyedSchool
) -> None:
    """The page read the window open, the teacher closed it before the answers were written:
    the answers must not land as a held response that no batch will ever move."""
    window_id = school.window_id()
    with app.app_context():
        window = db.session.get(SurveyWindow, window_id)  # the student's request reads it open
        survey = catalog().survey(window.survey_id)
        # What each student's request read before the teacher closed the window.
        seen = [surveys.Target(window_id, window.survey_id, "open", sub) for sub in ("a", "b")]
        with app.app_context():  # the teacher's request, on its own database session
            surveys.close_window(db.session.get(SurveyWindow, window_id), utc_today())
            db.session.remove()
        for act in (
            lambda: surveys.submit(seen[0], survey, b"k", {ITEM: "not-at-all"}),
            lambda: surveys.decline(seen[1], b"k"),
        ):
            with pytest.raises(surveys.SurveyProblem) as refused:
                act()
            assert refused.value.reason == "window-closed"
        db.session.rollback()
        assert db.session.scalar(select(db.func.count()).select_from(SurveyHeldResponse)) == 0
        assert surveys.participation(window_id) == surveys.Participation(0, 0)


def test_a_survey_activity_is_added_by_deep_linking_and_opens_the_survey(
    app: Any, platform: Any, school: SurveyedSchool
) -> None:
    import jwt

    from tests.lti.test_deep_linking import CONTENT_ITEMS, _form

    teacher = app.test_client()
    platform.launch(teacher, "instructor", message="deep", locale="en")
    page = teacher.get("/add-to-course").get_data(as_text=True)
    answer_page = teacher.post(
        "/add-to-course", data={"csrf_token": csrf(page), "survey": "1"}
    ).get_data(as_text=True)
    _action, fields = _form(answer_page)
    items = jwt.decode(fields["JWT"], options={"verify_signature": False})[CONTENT_ITEMS]
    [survey_item] = items
    assert survey_item["custom"] == {"qadam_page": "survey"}
    assert "lineItem" not in survey_item, "a survey is never graded"
    student = app.test_client()
    landing = platform.launch(
        student,
        "learner",
        locale="en",
        context=CLASS,
        sub="pupil-link",
        custom={"qadam_page": "survey"},
    )
    assert landing.headers["Location"].split("?")[0] == f"/surveys/{school.window_id()}/"


def test_the_database_refuses_a_user_column_on_postgresql(
    app: Any, school: SurveyedSchool, request: pytest.FixtureRequest
) -> None:
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("the whole-row check is PostgreSQL's; SQLite runs the schema test above")
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE survey_response ADD COLUMN user_id integer"))
        try:
            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO survey_response (id, window_id, answers, user_id) "
                        "VALUES ('x', :window, '{}', 7)"
                    ),
                    {"window": school.window_id()},
                )
        finally:
            with engine.begin() as connection:
                connection.execute(text("ALTER TABLE survey_response DROP COLUMN user_id"))
