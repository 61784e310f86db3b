"""Who is acting: the role a launch gives someone, and the class and person it records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lti import Role

from ..extensions import db
from ..models import Membership, Person, SchoolClass
from ..models.base import utcnow
from . import platforms

if TYPE_CHECKING:
    from lti import Launch


M = TypeVar("M", Person, SchoolClass, Membership)


class ActorRole(StrEnum):
    TEACHER = "teacher"
    STUDENT = "student"
    COORDINATOR = "coordinator"


COORDINATOR_ROLES = frozenset(
    {
        Role.INSTITUTION_ADMINISTRATOR,
        Role.SYSTEM_ADMINISTRATOR,
        Role.SYSTEM_SYSADMIN,
    }
)
TEACHER_ROLES = frozenset(
    {
        Role.INSTRUCTOR,
        Role.TEACHING_ASSISTANT,
        Role.CONTENT_DEVELOPER,
        Role.COURSE_ADMINISTRATOR,
        Role.INSTITUTION_FACULTY,
        Role.INSTITUTION_INSTRUCTOR,
    }
)
STUDENT_ROLES = frozenset({Role.LEARNER, Role.INSTITUTION_STUDENT, Role.INSTITUTION_LEARNER})


def classify_roles(
    roles: Iterable[str], custom: Mapping[str, str], coordinator_param: str
) -> ActorRole | None:
    """Map LTI role URIs to the role Qadam acts on, or None when none applies.

    A staff member (teacher or administrator) becomes a coordinator when the platform says so
    in the custom parameter ``coordinator_param`` (e.g. ``qadam_role=coordinator`` on an
    activity in a course for school psychologists). A learner never does.
    """
    held = set(roles)
    is_staff = bool(held & (COORDINATOR_ROLES | TEACHER_ROLES))
    if held & COORDINATOR_ROLES:
        return ActorRole.COORDINATOR
    if (
        is_staff
        and coordinator_param
        and custom.get(coordinator_param, "").strip().lower() == (ActorRole.COORDINATOR)
    ):
        return ActorRole.COORDINATOR
    if held & TEACHER_ROLES:
        return ActorRole.TEACHER
    if held & STUDENT_ROLES:
        return ActorRole.STUDENT
    return None


@dataclass(frozen=True)
class Actor:
    """The person acting in this browser session, as recorded at launch."""

    person_id: int
    platform_id: int
    role: ActorRole
    school_class_id: int | None
    launch_id: str


class UnknownRegistration(LookupError):
    """The launch's platform or deployment vanished between validation and recording."""


def _get_or_create(model: type[M], lookup: dict[str, object], **values: object) -> M:
    query = select(model).filter_by(**lookup)
    found = db.session.scalar(query)
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            found = model(**lookup, **values)
            db.session.add(found)
    except IntegrityError:
        # A concurrent launch created it first.
        found = db.session.scalar(query)
        if found is None:
            raise
    return found


def record_launch(launch: Launch, role: ActorRole) -> Actor:
    """Record the person, class and membership of a validated launch in one transaction."""
    platform = platforms.find_platform(launch.issuer, launch.client_id)
    if platform is None:
        raise UnknownRegistration(launch.issuer)
    deployment = platforms.find_deployment(platform, launch.deployment_id)
    if deployment is None:
        raise UnknownRegistration(launch.deployment_id)
    now = utcnow()
    person = _get_or_create(Person, {"platform_id": platform.id, "sub": launch.sub})
    school_class_id = None
    if launch.context is not None:
        school_class = _get_or_create(
            SchoolClass,
            {"platform_id": platform.id, "context_id": launch.context.id},
            deployment_id=deployment.id,
        )
        school_class.title = launch.context.title[:255]
        school_class.label = launch.context.label[:100]
        school_class.last_launch_at = now
        membership = _get_or_create(
            Membership,
            {"person_id": person.id, "school_class_id": school_class.id},
            role=role.value,
        )
        membership.role = role.value
        membership.last_launch_at = now
        school_class_id = school_class.id
    db.session.commit()
    return Actor(
        person_id=person.id,
        platform_id=platform.id,
        role=role,
        school_class_id=school_class_id,
        launch_id=launch.launch_id,
    )


def classes_of(person_id: int) -> list[tuple[SchoolClass, str]]:
    """The classes a person launched from, with their role there, most recent first."""
    rows = db.session.execute(
        select(SchoolClass, Membership.role)
        .join(Membership, Membership.school_class_id == SchoolClass.id)
        .where(Membership.person_id == person_id)
        .order_by(SchoolClass.last_launch_at.desc())
    ).all()
    return [(row[0], row[1]) for row in rows]


@dataclass(frozen=True)
class ClassOverview:
    school_class: SchoolClass
    teachers: int
    students: int


def platform_classes(platform_id: int) -> list[ClassOverview]:
    """Every class of a platform with how many teachers and students have launched Qadam."""
    classes = list(
        db.session.scalars(
            select(SchoolClass)
            .where(SchoolClass.platform_id == platform_id)
            .order_by(SchoolClass.title, SchoolClass.id)
        )
    )
    counts: dict[tuple[int, str], int] = {}
    for class_id, role, n in db.session.execute(
        select(Membership.school_class_id, Membership.role, db.func.count())
        .join(SchoolClass, SchoolClass.id == Membership.school_class_id)
        .where(SchoolClass.platform_id == platform_id)
        .group_by(Membership.school_class_id, Membership.role)
    ):
        counts[(class_id, role)] = n
    return [
        ClassOverview(
            school_class=k,
            teachers=counts.get((k.id, ActorRole.TEACHER.value), 0),
            students=counts.get((k.id, ActorRole.STUDENT.value), 0),
        )
        for k in classes
    ]


def class_for(actor_class_id: int | None) -> SchoolClass | None:
    return db.session.get(SchoolClass, actor_class_id) if actor_class_id else None
