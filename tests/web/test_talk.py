"""Talk to someone: a child's request reaches only the designated staff of the child's
school; the name is read live from the roster; "in danger now" queues nothing; retention."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from app.extensions import db
from app.models import CoordinatorGrant, School, SchoolClass, TalkRequest
from app.models.base import utc_today
from tests.conftest import TOOL_BASE
from tests.support.pages import cli, csrf, form_action
from tests.support.platform_services import Member
from tests.support.platform_simulator import PlatformSimulator

CLASS_A = {"id": "course-7a", "title": "7A", "label": "7A"}
CLASS_B = {"id": "course-8b", "title": "8B Lyceum", "label": "8B"}
LYCEUM = {"qadam_school": "lyceum-9"}
DANA = "Dana Nurlanqyzy"
ASK = {"whom": "psychologist", "category": "bullied", "urgency": "today"}


def simulator(app: Any, httpserver: Any) -> PlatformSimulator:
    """A registered platform whose roster service (NRPS) trusts the tool's key."""
    import lti

    lti.forget_tokens()
    found = PlatformSimulator(
        httpserver,
        tool_base=TOOL_BASE,
        tool_jwks=lambda: app.test_client().get("/lti/jwks").get_json(),
    )
    with app.app_context():
        found.register()
    return found


@pytest.fixture
def platform(app: Any, httpserver: Any) -> PlatformSimulator:
    return simulator(app, httpserver)


def school_id_of(app: Any, context_id: str) -> int:
    with app.app_context():
        return db.session.execute(
            select(SchoolClass.school_id).where(SchoolClass.context_id == context_id)
        ).scalar_one()


def student(app: Any, platform: Any, sub: str, context: dict[str, str] = CLASS_A, **kw: Any) -> Any:
    browser = app.test_client()
    platform.launch(browser, "learner", locale="en", sub=sub, context=context, **kw)
    return browser


def staff(app: Any, platform: Any, sub: str, school_id: int, *, safeguarding: bool = True) -> Any:
    """A coordinator of ``school_id`` (designated safeguarding staff unless told otherwise)."""
    extra = ["--safeguarding"] if safeguarding else []
    code = cli(app, "coordinator", "code", "--school", str(school_id), *extra).splitlines()[0]
    browser = app.test_client()
    platform.launch(browser, "instructor", locale="en", sub=sub, context=CLASS_A)
    page = browser.get("/coordinator/code").get_data(as_text=True)
    entered = browser.post(
        form_action(page, "/coordinator/code"), data={"csrf_token": csrf(page), "code": code}
    )
    assert entered.status_code == 303
    return browser


def ask(browser: Any, **fields: str) -> Any:
    page = browser.get("/talk/").get_data(as_text=True)
    return browser.post(
        form_action(page, "/talk/"), data={"csrf_token": csrf(page), **ASK, **fields}
    )


def requests_in_db(app: Any) -> list[TalkRequest]:
    with app.app_context():
        found = list(db.session.scalars(select(TalkRequest).order_by(TalkRequest.id)))
        db.session.expunge_all()
        return found


def every_stored_value(app: Any) -> str:
    """Every value of every table, as one string (to show a name is stored nowhere)."""
    with app.app_context():
        values = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                values.extend(str(v) for v in row)
        return "\n".join(values)


def test_every_student_page_offers_it_and_the_page_says_it_is_not_anonymous(
    app: Any, platform: Any
) -> None:
    child = student(app, platform, "student-1")
    home = child.get("/student").get_data(as_text=True)
    assert re.search(r'href="/talk/\?launch=[^"]+"', home), "linked from the help block"
    page = child.get("/talk/").get_data(as_text=True)
    assert "This is not anonymous." in page
    assert "school psychologist and the anti-bullying team" in page
    assert "cannot promise to keep it secret" in page
    assert "only tell people who can help you" in page
    assert "confidential" not in page.lower()
    assert 'href="/talk/danger' in page
    assert "<textarea" not in page, "no message body"
    teacher = app.test_client()
    platform.launch(teacher, "instructor", locale="en", context=CLASS_A)
    assert 'href="/talk/' not in teacher.get("/teacher").get_data(as_text=True)
    assert teacher.get("/talk/").status_code == 403


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_page_speaks_the_childs_language(app: Any, platform: Any, lang: str) -> None:
    browser = app.test_client()
    platform.launch(browser, "learner", locale=lang, sub="student-1", context=CLASS_A)
    page = browser.get("/talk/").get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    if lang != "en":
        assert "This is not anonymous." not in page


def test_a_request_reaches_only_the_designated_staff_of_the_childs_school(
    app: Any, platform: Any
) -> None:
    cli(app, "school", "add", "--issuer", platform.issuer, "--key", "lyceum-9", "--name", "L9")
    platform.services.roster = [Member("student-1", DANA), Member("student-2", "Arman Bekov")]
    dana = student(app, platform, "student-1")
    student(app, platform, "student-9", context=CLASS_B, custom=LYCEUM)
    home_school, lyceum = school_id_of(app, "course-7a"), school_id_of(app, "course-8b")
    assert home_school != lyceum
    page = dana.get("/talk/").get_data(as_text=True)
    assert f"They will see your name as Moodle shows it: {DANA}" in page
    assert 'name="name"' not in page, "no name to type when Moodle shares it"
    sent = ask(dana)
    assert sent.status_code == 303
    assert "/talk/sent" in sent.headers["Location"]
    assert "today" in dana.get(sent.headers["Location"]).get_data(as_text=True)

    psychologist = staff(app, platform, "psychologist", home_school)
    queue = psychologist.get("/talk/requests")
    assert queue.status_code == 200
    assert queue.headers["Cache-Control"] == "no-store"
    html = queue.get_data(as_text=True)
    assert DANA in html, "the name is read live from the roster"
    assert "I am being bullied" in html
    assert "The school psychologist" in html
    assert "7A" in html
    coordinator_page = psychologist.get("/coordinator").get_data(as_text=True)
    assert "1 new request from a child is waiting." in coordinator_page

    # Nobody else sees it.
    deputy = staff(app, platform, "deputy-head", home_school, safeguarding=False)
    assert deputy.get("/talk/requests").status_code == 403
    assert "Requests to talk" not in deputy.get("/coordinator").get_data(as_text=True)
    other_school = staff(app, platform, "lyceum-psychologist", lyceum)
    html = other_school.get("/talk/requests").get_data(as_text=True)
    assert DANA not in html
    assert "No requests." in html
    assert "No new requests." in other_school.get("/coordinator").get_data(as_text=True)
    teacher = app.test_client()
    platform.launch(teacher, "instructor", locale="en", sub="class-teacher", context=CLASS_A)
    assert teacher.get("/talk/requests").status_code == 403
    admin = app.test_client()
    platform.launch(admin, "admin", locale="en", sub="site-admin", context=CLASS_A)
    assert admin.get("/talk/requests").status_code == 403, "site admins are not designated"
    classmate = student(app, platform, "student-2")
    assert classmate.get("/talk/requests").status_code == 403

    # The name was never stored; only the person's id, to read it live.
    [stored] = requests_in_db(app)
    assert stored.typed_name is None
    assert stored.person_id is not None
    assert DANA not in every_stored_value(app)
    assert "Nurlanqyzy" not in every_stored_value(app)


def test_a_revoked_grant_stops_at_once(app: Any, platform: Any) -> None:
    ask(student(app, platform, "student-1"), name="Aru")
    psychologist = staff(app, platform, "psychologist", school_id_of(app, "course-7a"))
    assert psychologist.get("/talk/requests").status_code == 200
    with app.app_context():
        db.session.execute(update(CoordinatorGrant).values(safeguarding=False))
        db.session.commit()
    assert psychologist.get("/talk/requests").status_code == 403


def test_without_shared_names_the_child_types_one(app: Any, platform: Any) -> None:
    child = student(app, platform, "student-1")  # the roster lists nobody: no names shared
    page = child.get("/talk/").get_data(as_text=True)
    assert "Moodle does not tell Qadam your name" in page
    assert 'name="name"' in page
    refused = ask(child, name="  ")
    assert refused.status_code == 400
    assert "Write your name" in refused.get_data(as_text=True)
    assert requests_in_db(app) == []
    assert ask(child, name="Aru Serikqyzy, 7A").status_code == 303
    [stored] = requests_in_db(app)
    assert (stored.typed_name, stored.person_id) == ("Aru Serikqyzy, 7A", None)
    html = staff(app, platform, "psychologist", school_id_of(app, "course-7a"))
    html = html.get("/talk/requests").get_data(as_text=True)
    assert "Aru Serikqyzy, 7A" in html
    assert "typed by the child" in html


def test_when_the_roster_cannot_be_read_staff_are_told(app: Any, platform: Any) -> None:
    platform.services.roster = [Member("student-1", DANA)]
    ask(student(app, platform, "student-1"))
    psychologist = staff(app, platform, "psychologist", school_id_of(app, "course-7a"))
    app.extensions.pop("qadam_rosters", None)
    platform.services.down = True
    html = psychologist.get("/talk/requests").get_data(as_text=True)
    assert DANA not in html
    assert "Name not available just now" in html
    assert "could not be read just now" in html


def test_in_danger_now_shows_the_numbers_and_queues_nothing(make_app: Any, httpserver: Any) -> None:
    app = make_app(QADAM_HELP_EMERGENCY="112", QADAM_HELP_CONTACT_CENTRE="111")
    platform = simulator(app, httpserver)
    child = student(app, platform, "student-1")
    page = child.get("/talk/").get_data(as_text=True)
    danger_url = re.search(r'href="(/talk/danger[^"]*)"', page).group(1).replace("&amp;", "&")
    danger = child.get(danger_url)
    assert danger.status_code == 200
    html = danger.get_data(as_text=True)
    assert 'href="tel:112"' in html
    assert 'href="tel:111"' in html
    assert "call 112" in html
    assert requests_in_db(app) == []
    with app.app_context():
        assert (
            db.session.scalar(text("SELECT count(*) FROM lti_store_entry WHERE key LIKE 'talk%'"))
            == 0
        )


def test_staff_record_status_and_a_short_note(app: Any, platform: Any) -> None:
    ask(student(app, platform, "student-1"), name="Aru")
    psychologist = staff(app, platform, "psychologist", school_id_of(app, "course-7a"))
    page = psychologist.get("/talk/requests").get_data(as_text=True)
    [request_id] = [r.id for r in requests_in_db(app)]
    action = form_action(page, f"/talk/requests/{request_id}")
    token = csrf(page)
    note = "Talked at break.\x07 <b>Class teacher told.</b>"
    saved = psychologist.post(
        action, data={"csrf_token": token, "status": "contacted", "note": note}
    )
    assert saved.status_code == 303
    [stored] = requests_in_db(app)
    assert (stored.status, stored.closed_on) == ("contacted", None)
    assert stored.note == "Talked at break. <b>Class teacher told.</b>", "control characters go"
    html = psychologist.get("/talk/requests").get_data(as_text=True)
    assert "&lt;b&gt;Class teacher told.&lt;/b&gt;" in html, "shown as plain text"
    assert "0 new" not in html
    assert "No new requests." in psychologist.get("/coordinator").get_data(as_text=True)
    psychologist.post(action, data={"csrf_token": token, "status": "closed", "note": "Done."})
    [stored] = requests_in_db(app)
    assert (stored.status, stored.closed_on) == ("closed", utc_today())
    psychologist.post(action, data={"csrf_token": token, "status": "referred", "note": "Again."})
    [stored] = requests_in_db(app)
    assert (stored.status, stored.closed_on) == ("referred", None), "reopened"
    too_long = psychologist.post(
        action, data={"csrf_token": token, "status": "new", "note": "x" * 501}
    )
    assert too_long.status_code == 400
    unknown = psychologist.post(action, data={"csrf_token": token, "status": "deleted", "note": ""})
    assert unknown.status_code == 400
    assert requests_in_db(app)[0].status == "referred"


def test_forged_and_wrong_role_attempts_are_refused(app: Any, platform: Any) -> None:
    cli(app, "school", "add", "--issuer", platform.issuer, "--key", "lyceum-9", "--name", "L9")
    child = student(app, platform, "student-1")
    token = csrf(child.get("/talk/").get_data(as_text=True))
    assert child.post("/talk/", data=ASK | {"name": "Aru"}).status_code == 400, "no CSRF token"
    assert requests_in_db(app) == []
    assert child.post("/talk/", data=ASK | {"name": "Aru", "csrf_token": token}).status_code == 303
    assert (
        child.post(
            "/talk/", data=ASK | {"whom": "police", "csrf_token": token, "name": "A"}
        ).status_code
        == 400
    )
    [request_id] = [r.id for r in requests_in_db(app)]
    target = f"/talk/requests/{request_id}"
    change = {"status": "closed", "note": "forged"}

    psychologist = staff(app, platform, "psychologist", school_id_of(app, "course-7a"))
    assert psychologist.post(target, data=change).status_code == 400, "no CSRF token"
    student(app, platform, "student-9", context=CLASS_B, custom=LYCEUM)
    with app.app_context():
        lyceum = db.session.scalar(select(School.id).where(School.name == "L9"))
    others = {
        "a student": child,
        "a class teacher": app.test_client(),
        "a coordinator who is not designated": staff(
            app, platform, "deputy", school_id_of(app, "course-7a"), safeguarding=False
        ),
        "another school's designated staff": staff(app, platform, "lyceum-psy", lyceum),
    }
    platform.launch(others["a class teacher"], "instructor", locale="en", sub="t", context=CLASS_A)
    for who, browser in others.items():
        answer = browser.post(target, data={**change, "csrf_token": csrf_of(browser)})
        assert 400 <= answer.status_code < 500, who
        assert answer.status_code != 303, who
    assert requests_in_db(app)[0].status == "new"
    assert requests_in_db(app)[0].note == ""


def csrf_of(browser: Any) -> str:
    """A valid CSRF token of this browser's session (from any page with a form)."""
    for path in ("/talk/", "/teacher", "/coordinator", "/student"):
        html = browser.get(path).get_data(as_text=True)
        if 'name="csrf_token"' in html:
            return csrf(html)
    raise AssertionError("no form found")


def test_a_plain_coordinator_cannot_make_a_safeguarding_code(app: Any, platform: Any) -> None:
    deputy = staff(app, platform, "deputy", _default_school(app, platform), safeguarding=False)
    page = deputy.get("/coordinator").get_data(as_text=True)
    assert 'name="safeguarding"' not in page
    made = deputy.post(
        form_action(page, "/coordinator/codes"),
        data={"csrf_token": csrf(page), "safeguarding": "y"},
    )
    assert made.status_code == 403
    assert "code-display" not in made.get_data(as_text=True)
    psychologist = staff(app, platform, "psychologist", _default_school(app, platform))
    page = psychologist.get("/coordinator").get_data(as_text=True)
    assert 'name="safeguarding"' in page
    made = psychologist.post(
        form_action(page, "/coordinator/codes"),
        data={"csrf_token": csrf(page), "safeguarding": "y"},
    )
    assert made.status_code == 200
    assert "code-display" in made.get_data(as_text=True)


def _default_school(app: Any, platform: Any) -> int:
    platform.launch(app.test_client(), "instructor", locale="en", sub="first", context=CLASS_A)
    return school_id_of(app, "course-7a")


def test_a_child_cannot_flood_the_queue(app: Any, platform: Any) -> None:
    child = student(app, platform, "student-1")
    for _ in range(5):
        assert ask(child, name="Aru").status_code == 303
    refused = ask(child, name="Aru")
    assert refused.status_code == 429
    assert 'href="/talk/danger' in refused.get_data(as_text=True)
    assert len(requests_in_db(app)) == 5
    assert ask(student(app, platform, "student-2"), name="Arman").status_code == 303


def test_retention_erases_closed_requests_only(app: Any, platform: Any) -> None:
    child = student(app, platform, "student-1")
    for _ in range(4):
        ask(child, name="Aru")
    today = utc_today()
    ids = [r.id for r in requests_in_db(app)]
    with app.app_context():
        closed = {"status": "closed"}
        old = today - timedelta(days=200)
        db.session.execute(
            update(TalkRequest).where(TalkRequest.id == ids[0]).values(created_on=old)
        )  # old but still open: kept
        for request_id, days in ((ids[1], 90), (ids[2], 89), (ids[3], 91)):
            db.session.execute(
                update(TalkRequest)
                .where(TalkRequest.id == request_id)
                .values(**closed, closed_on=today - timedelta(days=days))
            )
        db.session.commit()
    out = cli(app, "talk", "sweep")
    assert "2 closed request(s) erased (kept 90 days after closing)" in out
    assert [r.id for r in requests_in_db(app)] == [ids[0], ids[2]]
    assert "1 closed request(s) erased" in cli(app, "talk", "sweep", "--days", "30")
    assert [r.id for r in requests_in_db(app)] == [ids[0]]


def test_the_staff_queue_erases_expired_requests_as_it_opens(
    make_app: Any, httpserver: Any
) -> None:
    app = make_app(QADAM_TALK_RETENTION_DAYS=7)
    platform = simulator(app, httpserver)
    ask(student(app, platform, "student-1"), name="Aru Serikqyzy")
    with app.app_context():
        db.session.execute(
            update(TalkRequest).values(status="closed", closed_on=utc_today() - timedelta(days=7))
        )
        db.session.commit()
    html = staff(app, platform, "psychologist", school_id_of(app, "course-7a"))
    html = html.get("/talk/requests").get_data(as_text=True)
    assert "Aru Serikqyzy" not in html
    assert "erased 7 days after" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(TalkRequest.id))) == 0
