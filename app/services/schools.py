"""Schools: which school a class belongs to, and managing schools (add, rename, merge).

By default a platform deployment is one school. A Moodle administrator can name the school
of a course or category with a custom launch parameter (``qadam_school`` unless configured);
Qadam honours it only for a school the operator added with that key, so a teacher who sets
the parameter on an activity cannot create schools. A class keeps the school of its first
launch; only an operator or coordinator moves it (by merging schools).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import CoordinatorGrant, Deployment, Membership, Platform, School, SchoolClass

DEPLOYMENT_KEY = "deployment:"
PARAM_KEY = "param:"
_PARAM_VALUE = re.compile(r"^[\w.-]{1,100}$")


class SchoolInputError(ValueError):
    """A school command was refused; the message says why in plain words."""


def _find_or_create(conn: Connection, platform_id: int, key: str, name: str) -> int:
    find = select(School.id).where(School.platform_id == platform_id, School.key == key)
    found = conn.execute(find).scalar()
    if found is not None:
        return int(found)
    try:
        with conn.begin_nested():
            added = conn.execute(
                insert(School)
                .values(platform_id=platform_id, key=key, name=name[:255])
                .returning(School.id)
            )
            return int(added.scalar_one())
    except IntegrityError:  # created a moment ago by another launch
        return int(conn.execute(find).scalar_one())


def school_for_launch(
    platform_id: int,
    deployment_pk: int,
    param_value: str | None,
    *,
    connection: Connection | None = None,
) -> int:
    """The school a new class of this launch belongs to; the caller commits.

    Runs on ``connection`` (by default the session's).
    """
    conn = connection if connection is not None else db.session.connection()
    value = (param_value or "").strip()
    if value:
        named = conn.execute(
            select(School.id).where(
                School.platform_id == platform_id, School.key == PARAM_KEY + value
            )
        ).scalar()
        if named is not None:
            return int(named)
    deployment_id, platform_name = conn.execute(
        select(Deployment.deployment_id, Platform.name)
        .join(Platform, Platform.id == Deployment.platform_id)
        .where(Deployment.id == deployment_pk)
    ).one()
    return _find_or_create(
        conn,
        platform_id,
        DEPLOYMENT_KEY + deployment_id,
        f"{platform_name or 'Moodle'} ({deployment_id})",
    )


@dataclass(frozen=True)
class SchoolRow:
    id: int
    issuer: str
    key: str
    name: str
    classes: int
    kato_locality: str | None = None
    kato_district: str | None = None
    kato_region: str | None = None
    kato_version: str | None = None


def list_schools(platform_id: int | None = None) -> list[SchoolRow]:
    """Schools (of one platform, or all) with how many classes each has, and their area."""
    where = (
        School.kato_locality,
        School.kato_district,
        School.kato_region,
        School.kato_version,
    )
    query = (
        select(
            School.id,
            Platform.issuer,
            School.key,
            School.name,
            func.count(SchoolClass.id),
            *where,
        )
        .join(Platform, Platform.id == School.platform_id)
        .outerjoin(SchoolClass, SchoolClass.school_id == School.id)
        .group_by(School.id, Platform.issuer, School.key, School.name, *where)
        .order_by(Platform.issuer, School.name, School.id)
    )
    if platform_id is not None:
        query = query.where(School.platform_id == platform_id)
    return [SchoolRow(*row) for row in db.session.execute(query)]


def add_school(platform_id: int, param_value: str, name: str) -> School:
    """A school that courses name with the custom launch parameter ``param_value``."""
    value = param_value.strip()
    if not _PARAM_VALUE.match(value):
        raise SchoolInputError(
            "The school's key may have letters, digits, '.', '-' and '_' only "
            f"(at most 100), not {param_value!r}."
        )
    if not name.strip():
        raise SchoolInputError("Give the school a name.")
    school = School(platform_id=platform_id, key=PARAM_KEY + value, name=name.strip()[:255])
    db.session.add(school)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SchoolInputError(f"A school with the key {value!r} exists already.") from None
    return school


def rename(school_id: int, name: str) -> School:
    school = db.session.get(School, school_id)
    if school is None:
        raise SchoolInputError(f"There is no school {school_id}.")
    if not name.strip():
        raise SchoolInputError("Give the school a name.")
    school.name = name.strip()[:255]
    db.session.commit()
    return school


def merge(from_id: int, into_id: int) -> int:
    """Move every class and coordinator of school ``from_id`` into ``into_id``; return how
    many classes moved. Both must be schools of the same platform."""
    source = db.session.get(School, from_id)
    target = db.session.get(School, into_id)
    if source is None or target is None:
        raise SchoolInputError("Both schools must exist (see `flask school list`).")
    if source.id == target.id:
        raise SchoolInputError("A school cannot be merged into itself.")
    if source.platform_id != target.platform_id:
        raise SchoolInputError("Only schools of the same Moodle site can be merged.")
    moved = db.session.execute(
        update(SchoolClass).where(SchoolClass.school_id == source.id).values(school_id=target.id)
    ).rowcount  # type: ignore[attr-defined]
    db.session.execute(
        update(CoordinatorGrant)
        .where(CoordinatorGrant.school_id == source.id)
        .values(school_id=target.id)
    )
    db.session.execute(delete(School).where(School.id == source.id))
    db.session.commit()
    return int(moved)


def school(school_id: int | None) -> School | None:
    return db.session.get(School, school_id) if school_id else None


@dataclass(frozen=True)
class ClassOverview:
    school_class: SchoolClass
    teachers: int
    students: int


def classes_overview(
    *, school_id: int | None = None, platform_id: int | None = None
) -> list[ClassOverview]:
    """The classes of a school (or of a whole platform) with how many teachers and students
    have launched Qadam in each."""
    where = (
        SchoolClass.school_id == school_id
        if school_id is not None
        else SchoolClass.platform_id == platform_id
    )
    classes = list(db.session.scalars(select(SchoolClass).where(where).order_by(SchoolClass.title)))
    counts: dict[tuple[int, str], int] = {}
    for class_id, role, n in db.session.execute(
        select(Membership.school_class_id, Membership.role, func.count())
        .join(SchoolClass, SchoolClass.id == Membership.school_class_id)
        .where(where)
        .group_by(Membership.school_class_id, Membership.role)
    ):
        counts[(class_id, role)] = n
    return [
        ClassOverview(
            school_class=k,
            teachers=counts.get((k.id, "teacher"), 0),
            students=counts.get((k.id, "student"), 0),
        )
        for k in classes
    ]
