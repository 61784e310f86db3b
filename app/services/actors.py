"""Who is acting: the role a launch gives someone, and the class and person it records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from lti import Role

from ..extensions import db
from ..models import CoordinatorGrant, Membership, Person, ResourceLink, SchoolClass
from ..models.base import utcnow
from . import platforms, resource_links, schools

if TYPE_CHECKING:
    from lti import Launch


M = TypeVar("M", Person, SchoolClass, Membership)


class ActorRole(StrEnum):
    TEACHER = "teacher"
    STUDENT = "student"
    COORDINATOR = "coordinator"


# Site-level administrators: a role only the platform's administrators hold.
ADMINISTRATOR_ROLES = frozenset(
    {
        Role.INSTITUTION_ADMINISTRATOR,
        Role.SYSTEM_ADMINISTRATOR,
        Role.SYSTEM_SYSADMIN,
    }
)
COURSE_TEACHER_ROLES = frozenset(
    {
        Role.INSTRUCTOR,
        Role.TEACHING_ASSISTANT,
        Role.CONTENT_DEVELOPER,
        Role.COURSE_ADMINISTRATOR,
    }
)
COURSE_STUDENT_ROLES = frozenset({Role.LEARNER})
INSTITUTION_TEACHER_ROLES = frozenset({Role.INSTITUTION_FACULTY, Role.INSTITUTION_INSTRUCTOR})
INSTITUTION_STUDENT_ROLES = frozenset({Role.INSTITUTION_STUDENT, Role.INSTITUTION_LEARNER})
_COURSE_ROLE_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/membership"


def classify_roles(roles: Iterable[str]) -> ActorRole | None:
    """Map LTI role URIs to the role Qadam acts on, or None when none applies.

    The role in this course decides: a learner here is a student whatever their roles
    elsewhere in the institution. Site administrators are coordinators. Institution roles
    count only when the launch names no course role. Coordinator rights for other staff come
    from a grant in Qadam (see :mod:`coordinators`), never from the launch.
    """
    held = set(roles)
    course_teacher = bool(held & COURSE_TEACHER_ROLES)
    if held & COURSE_STUDENT_ROLES and not course_teacher:
        return ActorRole.STUDENT
    if held & ADMINISTRATOR_ROLES:
        return ActorRole.COORDINATOR
    if course_teacher:
        return ActorRole.TEACHER
    if any(r.startswith(_COURSE_ROLE_PREFIX) for r in held):
        return None  # a course role Qadam has no page for (e.g. only Mentor)
    if held & INSTITUTION_TEACHER_ROLES:
        return ActorRole.TEACHER
    if held & INSTITUTION_STUDENT_ROLES:
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
    resource_link_pk: int | None = None  # the activity launched, for its gradebook column
    school_id: int | None = None  # the school of the class launched from
    # A coordinator's scope: the school of their grant; None for a site administrator, who
    # sees the whole platform.
    coordinator_school_id: int | None = None
    # An area coordinator's scope instead (district or region staff): a KATO code. They see
    # the schools of the area, never one school's classes.
    coordinator_area: str | None = None
    safeguarding: bool = False  # designated safeguarding staff (from the grant)
    site_wide: bool = False  # a site administrator: a coordinator of every school of the site
    # The age band of the class launched from, as it was at the launch (None until the teacher
    # sets it): it decides how the pages address a student (see :mod:`app.i18n`).
    band: str | None = None


class UnknownRegistration(LookupError):
    """The launch's platform or deployment vanished between validation and recording."""


# A class's and a membership's "last launch" is refreshed at most this often, sparing most
# launches two writes.
TOUCH_INTERVAL = timedelta(minutes=10)


# Lookups built once (building SQLAlchemy expressions costs more than running them). A launch
# reads its person with their coordinator grant, and its class with their membership of it:
# two statements, run on the session's connection without the ORM's per-statement work.
_PERSON = (
    select(
        Person.id,
        CoordinatorGrant.id.label("grant_id"),
        CoordinatorGrant.school_id.label("grant_school_id"),
        CoordinatorGrant.area_code.label("grant_area_code"),
        CoordinatorGrant.safeguarding.label("grant_safeguarding"),
    )
    .outerjoin(CoordinatorGrant, CoordinatorGrant.person_id == Person.id)
    .where(Person.platform_id == bindparam("platform_id"), Person.sub == bindparam("sub"))
)
_CLASS = (
    select(
        SchoolClass.id,
        SchoolClass.school_id,
        SchoolClass.title,
        SchoolClass.label,
        SchoolClass.band,
        SchoolClass.last_launch_at,
        SchoolClass.roster_url,
        Membership.id.label("membership_id"),
        Membership.role.label("membership_role"),
        Membership.last_launch_at.label("membership_launch_at"),
    )
    .outerjoin(
        Membership,
        (Membership.school_class_id == SchoolClass.id)
        & (Membership.person_id == bindparam("person_id")),
    )
    .where(
        SchoolClass.platform_id == bindparam("platform_id"),
        SchoolClass.context_id == bindparam("context_id"),
    )
)
_MEMBERSHIP = select(Membership.id, Membership.role, Membership.last_launch_at).where(
    Membership.person_id == bindparam("person_id"),
    Membership.school_class_id == bindparam("school_class_id"),
)
# A repeated launch reads everything it may update in one statement: its person (with any
# grant), its class (with the person's membership) and its activity. Any of them that is not
# there yet is added as a first launch adds it.
_KNOWN = (
    select(
        *_PERSON.selected_columns,
        *(c.label("class_" + c.name) for c in _CLASS.selected_columns),
        *(c.label("activity_" + c.key) for c in resource_links.LINK_COLUMNS),
    )
    .select_from(Person)
    .outerjoin(CoordinatorGrant, CoordinatorGrant.person_id == Person.id)
    .outerjoin(
        SchoolClass,
        (SchoolClass.platform_id == Person.platform_id)
        & (SchoolClass.context_id == bindparam("context_id")),
    )
    .outerjoin(
        Membership,
        (Membership.school_class_id == SchoolClass.id) & (Membership.person_id == Person.id),
    )
    .outerjoin(
        ResourceLink,
        (ResourceLink.school_class_id == SchoolClass.id)
        & (ResourceLink.link_id == bindparam("link_id")),
    )
    .where(Person.platform_id == bindparam("platform_id"), Person.sub == bindparam("sub"))
)


class _KnownClass(NamedTuple):
    """The class's row (with the person's membership) as ``_CLASS`` reads it."""

    id: int
    school_id: int | None
    title: str
    label: str
    band: str | None
    last_launch_at: Any
    roster_url: str | None
    membership_id: int | None
    membership_role: str | None
    membership_launch_at: Any


# For ``_record_class``: the caller did not read the class's row.
_NOT_READ: Any = object()


def _known_class(row: Any) -> _KnownClass | None:
    if row.class_id is None:
        return None
    return _KnownClass(*(getattr(row, "class_" + name) for name in _KnownClass._fields))


def _known_link(row: Any) -> Any:
    """The activity's row, None when there is none, NOT_READ when the class is not known."""
    if row.class_id is None:
        return resource_links.NOT_READ
    if row.activity_id is None:
        return None
    fields = resource_links.KnownLink._fields
    return resource_links.KnownLink(*(getattr(row, "activity_" + name) for name in fields))


def _row(conn: Connection, query: Any, params: dict[str, Any]) -> Any:
    return conn.execute(query, params).first()


def _find_or_add(
    conn: Connection,
    query: Any,
    model: type[M],
    lookup: dict[str, Any],
    params: dict[str, Any] | None = None,
    **values: object,
) -> Any:
    """The row ``query`` finds for ``lookup`` and ``params``; inserted with ``values`` if none."""
    found = _row(conn, query, {**lookup, **(params or {})})
    return found if found is not None else _add(conn, query, model, lookup, params, **values)


def _add(
    conn: Connection,
    query: Any,
    model: type[M],
    lookup: dict[str, Any],
    params: dict[str, Any] | None = None,
    **values: object,
) -> Any:
    """Insert the row ``query`` did not find, and return what it finds now (another launch's
    row when a concurrent launch inserted it first)."""
    try:
        with conn.begin_nested():
            conn.execute(insert(model).values(**lookup, **values))
    except IntegrityError:
        pass  # a concurrent launch created it first
    return conn.execute(query, {**lookup, **(params or {})}).one()


def record_launch(
    launch: Launch,
    role: ActorRole,
    lesson_id: str | None = None,
    *,
    school_param: str | None = None,
    connection: Connection,
) -> Actor:
    """Record the person, class, membership and activity of a launch, and commit
    ``connection``'s transaction (which holds the launch's other writes).

    ``lesson_id`` is the lesson the activity opens, if any; ``school_param`` the value of the
    custom parameter naming the class's school, if any. A teacher holding a coordinator grant
    acts as coordinator of the grant's school. Everything goes through ``connection``,
    without the ORM session: a launch is the tool's most frequent request.
    """
    conn = connection
    registration = platforms.registrations().get(launch.issuer, launch.client_id)
    if registration is None:
        raise UnknownRegistration(launch.issuer)
    deployment_pk = registration.deployment_pks.get(launch.deployment_id)
    if deployment_pk is None:
        raise UnknownRegistration(launch.deployment_id)
    platform_id = registration.platform_id
    now = utcnow()
    lookup = {"platform_id": platform_id, "sub": launch.sub}
    if launch.context is not None:
        params = {"context_id": launch.context.id, "link_id": resource_links.link_key(launch)}
        known = _row(conn, _KNOWN, {**lookup, **params})
    else:
        known = _row(conn, _PERSON, lookup)
    person = known if known is not None else _add(conn, _PERSON, Person, lookup)
    person_id = person.id
    # The grant counts for a course teacher only: a site administrator is a coordinator of
    # every school of the site, a student never one.
    grant = person if role is ActorRole.TEACHER and person.grant_id is not None else None
    if grant is not None:
        role = ActorRole.COORDINATOR
    launched = None
    resource_link_pk = None
    if launch.context is not None:
        launched = _record_class(
            conn,
            platform_id,
            deployment_pk,
            person_id,
            role,
            launch.context,
            now,
            school_param,
            _known_class(known) if known is not None else _NOT_READ,
        )
        resource_link_pk = resource_links.record_link(
            launched.id,
            launched.roster_url,
            launch,
            lesson_id,
            _known_link(known) if known is not None else resource_links.NOT_READ,
            connection=conn,
        )
    school_id = launched.school_id if launched else None
    conn.commit()
    return Actor(
        person_id=person_id,
        platform_id=platform_id,
        role=role,
        school_class_id=launched.id if launched else None,
        launch_id=launch.launch_id,
        resource_link_pk=resource_link_pk,
        school_id=school_id,
        coordinator_school_id=_granted_school(grant, school_id),
        coordinator_area=grant.grant_area_code if grant is not None else None,
        safeguarding=bool(grant.grant_safeguarding) if grant is not None else False,
        site_wide=role is ActorRole.COORDINATOR and grant is None,
        band=launched.band if launched else None,
    )


class _LaunchedClass(NamedTuple):
    id: int
    roster_url: str | None
    school_id: int | None
    band: str | None


def _record_class(
    conn: Connection,
    platform_id: int,
    deployment_pk: int,
    person_id: int,
    role: ActorRole,
    context: Any,
    now: Any,
    school_param: str | None,
    found: Any = _NOT_READ,
) -> _LaunchedClass:
    """Find or add the launch's class and the person's membership; return the class's id,
    roster URL, school and band. ``found`` is the class's row if the caller read it (None:
    there is none yet; ``_NOT_READ``: look it up). Writes only what changed (and the last
    launch every TOUCH_INTERVAL); looks for a school only for a new class or one from before
    schools existed."""
    title, label = context.title[:255], context.label[:100]
    lookup = {"platform_id": platform_id, "context_id": context.id}
    params = {"person_id": person_id}
    if found is _NOT_READ:
        found = _row(conn, _CLASS, {**lookup, **params})
    changes: dict[str, Any] = {}
    school_id = found.school_id if found is not None else None
    if school_id is None:
        school_id = schools.school_for_launch(
            platform_id, deployment_pk, school_param, connection=conn
        )
        if found is None:
            found = _add(
                conn,
                _CLASS,
                SchoolClass,
                lookup,
                params,
                deployment_id=deployment_pk,
                school_id=school_id,
                title=title,
                label=label,
                last_launch_at=now,
            )
        if found.school_id is None:  # a class from before schools existed
            changes["school_id"] = school_id
        school_id = found.school_id or school_id  # a concurrent launch's school wins
    school_class_id = found.id
    if (found.title, found.label) != (title, label) or (
        found.last_launch_at < now - TOUCH_INTERVAL
    ):
        changes.update(title=title, label=label, last_launch_at=now)
    if changes:
        conn.execute(update(SchoolClass).where(SchoolClass.id == school_class_id).values(**changes))
    if found.membership_id is not None:
        membership_id, member_role, member_at = (
            found.membership_id,
            found.membership_role,
            found.membership_launch_at,
        )
    else:
        membership = _find_or_add(
            conn,
            _MEMBERSHIP,
            Membership,
            {"person_id": person_id, "school_class_id": school_class_id},
            role=role.value,
            last_launch_at=now,
        )
        membership_id, member_role, member_at = membership
    if member_role != role.value or member_at < now - TOUCH_INTERVAL:
        conn.execute(
            update(Membership)
            .where(Membership.id == membership_id)
            .values(role=role.value, last_launch_at=now)
        )
    return _LaunchedClass(school_class_id, found.roster_url, school_id, found.band)


def _granted_school(grant: Any, launch_school_id: int | None) -> int | None:
    """The school a grant covers; a grant from before schools existed covers the school of
    the class launched from, an area grant no school."""
    if grant is None or grant.grant_area_code is not None:
        return None
    return int(grant.grant_school_id) if grant.grant_school_id is not None else launch_school_id


def classes_of(person_id: int) -> list[tuple[SchoolClass, str]]:
    """The classes a person launched from, with their role there, most recent first."""
    rows = db.session.execute(_CLASSES_OF, {"person_id": person_id}).all()
    return [(row[0], row[1]) for row in rows]


_CLASSES_OF = (
    select(SchoolClass, Membership.role)
    .join(Membership, Membership.school_class_id == SchoolClass.id)
    .where(Membership.person_id == bindparam("person_id"))
    .order_by(SchoolClass.last_launch_at.desc())
)


def class_for(actor_class_id: int | None) -> SchoolClass | None:
    return db.session.get(SchoolClass, actor_class_id) if actor_class_id else None


def sub_of(person_id: int) -> str:
    """The platform's opaque user id of a person (what the survey ledger keys, hashed)."""
    return str(db.session.execute(select(Person.sub).where(Person.id == person_id)).scalar_one())
