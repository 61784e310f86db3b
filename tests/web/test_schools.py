"""Schools: every class belongs to one; a school coordinator sees only their school."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import CoordinatorGrant, School, SchoolClass
from tests.support.pages import cli, csrf

CLASS_A = {"id": "course-7a", "title": "7A", "label": "7A"}
CLASS_B = {"id": "course-8b", "title": "8B Lyceum", "label": "8B"}


def school_of(app: Any, context_id: str) -> str:
    with app.app_context():
        return db.session.execute(
            select(School.name)
            .join(SchoolClass, SchoolClass.school_id == School.id)
            .where(SchoolClass.context_id == context_id)
        ).scalar_one()


def add_lyceum(app: Any, platform: Any) -> None:
    cli(
        app, "school", "add", "--issuer", platform.issuer, "--key", "lyceum-9", "--name", "Lyceum 9"
    )


def make_coordinator(app: Any, platform: Any, client: Any, sub: str, school_id: int) -> None:
    code = cli(app, "coordinator", "code", "--school", str(school_id)).strip().splitlines()[0]
    platform.launch(client, "instructor", locale="en", sub=sub, context=CLASS_A)
    page = client.get("/coordinator/code").get_data(as_text=True)
    action = re.search(r'action="(/coordinator/code[^"]*)"', page).group(1).replace("&amp;", "&")
    entered = client.post(action, data={"csrf_token": csrf(page), "code": code})
    assert entered.status_code == 303


def school_id(app: Any, name: str) -> int:
    with app.app_context():
        return db.session.execute(select(School.id).where(School.name == name)).scalar_one()


def test_a_deployment_is_a_school_by_default(app: Any, client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en", context=CLASS_A)
    listed = cli(app, "school", "list")
    assert "deployment:1" in listed
    assert "classes=1" in listed


def test_a_custom_parameter_names_a_school_the_operator_added(
    app: Any, client: Any, platform: Any
) -> None:
    add_lyceum(app, platform)
    platform.launch(
        client, "instructor", locale="en", context=CLASS_B, custom={"qadam_school": "lyceum-9"}
    )
    assert school_of(app, "course-8b") == "Lyceum 9"


def test_a_teacher_cannot_create_a_school_or_move_a_class_with_the_parameter(
    app: Any, client: Any, platform: Any
) -> None:
    platform.launch(
        client, "instructor", locale="en", context=CLASS_A, custom={"qadam_school": "made-up"}
    )
    assert school_of(app, "course-7a") != "made-up"
    with app.app_context():
        assert not db.session.scalars(select(School).where(School.key == "param:made-up")).all()
    add_lyceum(app, platform)
    # A later launch naming another school does not move the class.
    platform.launch(
        client, "instructor", locale="en", context=CLASS_A, custom={"qadam_school": "lyceum-9"}
    )
    assert school_of(app, "course-7a") != "Lyceum 9"


def test_a_school_coordinator_sees_only_their_schools_classes(
    app: Any, client: Any, platform: Any
) -> None:
    add_lyceum(app, platform)
    platform.launch(client, "instructor", locale="en", context=CLASS_A, sub="teacher-a")
    platform.launch(
        client,
        "instructor",
        locale="en",
        context=CLASS_B,
        sub="teacher-b",
        custom={"qadam_school": "lyceum-9"},
    )
    coordinator = app.test_client()
    make_coordinator(app, platform, coordinator, "psychologist-lyceum", school_id(app, "Lyceum 9"))
    html = coordinator.get("/coordinator").get_data(as_text=True)
    assert "8B Lyceum" in html
    assert ">7A<" not in html, "another school's class is never shown"
    # A site administrator sees every school of the site.
    admin = app.test_client()
    platform.launch(admin, "admin", locale="en", context=CLASS_A, sub="site-admin")
    html = admin.get("/coordinator").get_data(as_text=True)
    assert "8B Lyceum" in html
    assert ">7A<" in html
    assert "Lyceum 9" in html


def test_merging_schools_moves_classes_and_coordinators(
    app: Any, client: Any, platform: Any
) -> None:
    add_lyceum(app, platform)
    platform.launch(client, "instructor", locale="en", context=CLASS_A)
    default_id = school_id(app, school_of(app, "course-7a"))
    lyceum_id = school_id(app, "Lyceum 9")
    make_coordinator(app, platform, app.test_client(), "psychologist-1", lyceum_id)
    out = cli(app, "school", "merge", str(lyceum_id), str(default_id))
    assert "0 class(es) moved" in out
    with app.app_context():
        grant = db.session.scalars(select(CoordinatorGrant)).one()
        assert grant.school_id == default_id
        assert db.session.get(School, lyceum_id) is None


def test_a_coordinator_renames_their_school(app: Any, client: Any, platform: Any) -> None:
    platform.launch(client, "instructor", locale="en", context=CLASS_A)
    make_coordinator(
        app, platform, client, "psychologist-2", school_id(app, school_of(app, "course-7a"))
    )
    page = client.get("/coordinator").get_data(as_text=True)
    action = re.search(r'action="(/coordinator/school-name[^"]*)"', page).group(1)
    renamed = client.post(
        action.replace("&amp;", "&"), data={"csrf_token": csrf(page), "name": "School No. 7"}
    )
    assert renamed.status_code == 303
    assert school_of(app, "course-7a") == "School No. 7"
    teacher = app.test_client()
    platform.launch(teacher, "instructor", locale="en", context=CLASS_A, sub="teacher-z")
    token = csrf(teacher.get("/teacher").get_data(as_text=True))
    assert (
        teacher.post(
            "/coordinator/school-name", data={"csrf_token": token, "name": "X"}
        ).status_code
        == 403
    )
