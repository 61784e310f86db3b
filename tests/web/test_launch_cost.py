"""What a launch costs the database and the cookie: few statements, one commit, one cookie."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, select, update

from app.extensions import db
from app.models import Membership, Person, ResourceLink, SchoolClass
from app.services import actors

CLASS = {"id": "course-cost", "title": "7B", "label": "7B"}


@contextmanager
def counting(app: Any) -> Iterator[dict[str, list[str]]]:
    """The SQL statements and commits the app's engine runs inside the block."""
    seen: dict[str, list[str]] = {"statements": [], "sql": [], "commits": []}
    with app.app_context():
        engine = db.engine

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen["statements"].append(statement.split()[0].upper())
        seen["sql"].append(" ".join(statement.split()))

    def on_commit(_conn: Any) -> None:
        seen["commits"].append("commit")

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)


def launch(platform: Any, client: Any, role: str) -> Any:
    response = platform.launch(client, role, locale="en", context=CLASS, resource_link="rl-1")
    assert response.status_code == 303
    return response


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_a_repeated_launch_reads_little_and_commits_once(
    app: Any, client: Any, platform: Any, role: str
) -> None:
    launch(platform, client, role)  # the first launch creates the person, class, membership
    auth = platform.auth_request(platform.login(client))
    claims = platform.claims(
        role, nonce=auth["nonce"], locale="en", context=CLASS, resource_link="rl-1"
    )
    with counting(app) as seen:
        response = client.post(
            "/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]}
        )
    assert response.status_code == 303
    # The launch stored under its login's nonce (which uses the login up), and one read of
    # the person (with any coordinator grant), the class (with the membership) and the
    # activity: nothing else, and one commit.
    assert seen["statements"] == ["INSERT", "SELECT"], seen
    assert seen["commits"] == ["commit"]


def test_a_known_person_launching_from_a_new_class_or_activity_gets_them_recorded(
    app: Any, client: Any, platform: Any
) -> None:
    other = {"id": "course-other", "title": "8A", "label": "8A"}
    for role, context, link, custom in [
        ("learner", CLASS, "rl-1", None),  # the person, the class, the membership, rl-1
        ("learner", other, "rl-2", None),  # a known person, a new class
        ("learner", CLASS, "rl-3", None),  # a known class, a new activity
        ("instructor", CLASS, "rl-1", {"qadam_counts": "best"}),  # a new role, a changed activity
    ]:
        response = platform.launch(
            client, role, sub="s-1", context=context, resource_link=link, custom=custom
        )
        assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == 1
        roles = dict(
            db.session.execute(
                select(SchoolClass.context_id, Membership.role).join(
                    Membership, Membership.school_class_id == SchoolClass.id
                )
            ).all()
        )
        links = {
            (context_id, link_id): counts
            for context_id, link_id, counts in db.session.execute(
                select(SchoolClass.context_id, ResourceLink.link_id, ResourceLink.counts).join(
                    SchoolClass, SchoolClass.id == ResourceLink.school_class_id
                )
            )
        }
    assert roles == {CLASS["id"]: "teacher", "course-other": "student"}
    assert links == {
        (CLASS["id"], "rl-1"): "best",
        (CLASS["id"], "rl-3"): None,
        ("course-other", "rl-2"): None,
    }


def test_a_person_a_concurrent_launch_added_first_is_read_not_added_twice(
    app: Any, client: Any, platform: Any
) -> None:
    launch(platform, client, "learner")
    with app.app_context(), db.engine.connect() as conn:
        first = conn.execute(select(Person.id, Person.platform_id, Person.sub)).one()
        lookup = {"platform_id": first.platform_id, "sub": first.sub}
        # What a launch does when its read found no one and another launch added them since.
        found = actors._add(conn, actors._PERSON, Person, lookup)
        assert found.id == first.id
        conn.commit()  # the refused insert left the transaction usable
        assert conn.execute(select(func.count()).select_from(Person)).scalar() == 1


def test_a_class_from_before_schools_gets_its_school_at_its_next_launch(
    app: Any, client: Any, platform: Any
) -> None:
    launch(platform, client, "instructor")
    with app.app_context():
        db.session.execute(update(SchoolClass).values(school_id=None))
        db.session.commit()
    renamed = {**CLASS, "title": "7B (renamed)"}
    auth = platform.auth_request(platform.login(client))
    claims = platform.claims(
        "instructor", nonce=auth["nonce"], locale="en", context=renamed, resource_link="rl-1"
    )
    with counting(app) as seen:
        response = client.post(
            "/lti/launch", data={"id_token": platform.sign(claims), "state": auth["state"]}
        )
    assert response.status_code == 303
    with app.app_context():
        school_id, title = db.session.execute(
            select(SchoolClass.school_id, SchoolClass.title).where(
                SchoolClass.context_id == CLASS["id"]
            )
        ).one()
    assert school_id is not None
    assert title == "7B (renamed)"
    # Its school and its new title are written together.
    assert len([q for q in seen["sql"] if q.startswith("UPDATE school_class")]) == 1, seen
    assert seen["commits"] == ["commit"]


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_the_page_a_launch_opens_does_not_rewrite_the_cookie(
    client: Any, platform: Any, role: str
) -> None:
    response = launch(platform, client, role)
    assert [c for c in response.headers.getlist("Set-Cookie") if c.startswith("qadam_session=")]
    target = urlsplit(response.headers["Location"])
    page = client.get(target.path + "?" + target.query)
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    assert not [c for c in page.headers.getlist("Set-Cookie") if c.startswith("qadam_session=")]


def _form_token(client: Any) -> str:
    with client.session_transaction() as session:
        return str(session["csrf_token"])


def test_the_same_person_keeps_their_form_token_and_the_next_person_gets_a_new_one(
    client: Any, platform: Any
) -> None:
    """Other tabs of the same person keep working; on a shared computer the next child's
    forms do not carry the token the previous child's pages were given."""
    context = {"context": CLASS, "resource_link": "rl-1", "locale": "en"}
    platform.launch(client, "learner", sub="child-a", **context)
    first = _form_token(client)
    platform.launch(client, "learner", sub="child-a", **context)
    assert _form_token(client) == first
    platform.launch(client, "learner", sub="child-b", **context)
    assert _form_token(client) != first
