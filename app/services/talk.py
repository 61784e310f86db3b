"""Talk to someone: a child's request to talk to an adult at school, and the staff's queue.

Not anonymous, on purpose, and kept apart from surveys (its own table, no shared key). Only
the school's designated safeguarding staff see requests: coordinators whose grant, read from
the database on every call, is flagged ``safeguarding`` for the school of the child's class.
The child's name is read live from the roster (NRPS) when Moodle shares names; otherwise the
child typed it, and it is kept with the request until the request is erased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, delete, func, select

from ..extensions import db
from ..models import CoordinatorGrant, Person, SchoolClass, TalkRequest
from ..models.talk import CATEGORIES, NOTE_MAX, STATUSES, TYPED_NAME_MAX, URGENCIES, WHOM
from . import roster
from .lti_store import DatabaseKeyValueStore

# Requests one child may send in a day; more are refused kindly (the queue stays readable).
DAILY_LIMIT = 5
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class TooManyRequests(Exception):
    """The child has already sent the day's requests."""


class NotInSchool(LookupError):
    """No such request in the school of the staff member asking."""


@dataclass(frozen=True)
class QueueRow:
    id: int
    class_title: str
    created_on: date
    whom: str
    category: str
    urgency: str
    status: str
    note: str
    closed_on: date | None
    name: str | None  # from the roster (live) or typed by the child; None when unknown now
    typed: bool  # the child typed the name (Moodle does not share names)


def designated_school(person_id: int) -> int | None:
    """The school whose requests this person may see: their grant's, when it is flagged as
    designated safeguarding staff; otherwise None (read live, so a revoked grant stops at once).
    """
    row = db.session.execute(
        select(CoordinatorGrant.school_id, CoordinatorGrant.safeguarding).where(
            CoordinatorGrant.person_id == person_id
        )
    ).first()
    if row is None or not row.safeguarding or row.school_id is None:
        return None
    return int(row.school_id)


def shared_name(school_class_id: int, person_id: int) -> str | None:
    """The child's name as the class roster lists it now, or None when Moodle shares none."""
    sub = db.session.scalar(select(Person.sub).where(Person.id == person_id))
    members, _failed = roster.class_roster(school_class_id)
    for member in members or []:
        if member.user_id == sub and member.name.strip():
            return member.name.strip()
    return None


def clean_text(value: str, limit: int) -> str:
    """Plain text without control characters (new lines kept), trimmed to ``limit``."""
    return _CONTROL.sub("", value.replace("\r\n", "\n")).strip()[:limit]


def create_request(
    *,
    school_class_id: int,
    person_id: int,
    typed_name: str | None,
    whom: str,
    category: str,
    urgency: str,
    today: date,
) -> int:
    """Queue a request; ``typed_name`` None means staff read the name from the roster.

    Raises TooManyRequests past the day's limit, ValueError for an unknown choice.
    """
    if whom not in WHOM or category not in CATEGORIES or urgency not in URGENCIES:
        raise ValueError("unknown choice")
    name = clean_text(typed_name, TYPED_NAME_MAX) if typed_name is not None else None
    if name == "":
        raise ValueError("empty name")
    store = DatabaseKeyValueStore(deferred=True)
    counter = f"talk-requests-{person_id}-{today.isoformat()}"
    sent = int(store.get(counter) or 0)
    if sent >= DAILY_LIMIT:
        raise TooManyRequests
    store.set(counter, sent + 1, 2 * 24 * 3600)
    request = TalkRequest(
        school_class_id=school_class_id,
        person_id=None if name is not None else person_id,
        typed_name=name,
        whom=whom,
        category=category,
        urgency=urgency,
        status="new",
        note="",
        created_on=today,
    )
    db.session.add(request)
    db.session.commit()
    return int(request.id)


def new_count(school_id: int) -> int:
    """How many requests of the school nobody has acted on yet."""
    return int(
        db.session.scalar(
            select(func.count(TalkRequest.id))
            .join(SchoolClass, SchoolClass.id == TalkRequest.school_class_id)
            .where(SchoolClass.school_id == school_id, TalkRequest.status == "new")
        )
        or 0
    )


_ORDER = case(
    {"new": 0, "contacted": 1, "referred": 2, "closed": 3}, value=TalkRequest.status, else_=4
)


def queue(school_id: int) -> tuple[list[QueueRow], bool]:
    """The school's requests, new first, with the children's names read live.

    Returns (rows, whether some roster could not be read just now).
    """
    found = db.session.execute(
        select(TalkRequest, SchoolClass.title, Person.sub)
        .join(SchoolClass, SchoolClass.id == TalkRequest.school_class_id)
        .outerjoin(Person, Person.id == TalkRequest.person_id)
        .where(SchoolClass.school_id == school_id)
        .order_by(_ORDER, TalkRequest.urgency.desc(), TalkRequest.id.desc())
    ).all()
    names: dict[int, dict[str, str]] = {}
    failed = False
    for request, _title, _sub in found:
        if request.person_id is not None and request.school_class_id not in names:
            members, class_failed = roster.class_roster(request.school_class_id)
            failed = failed or class_failed or members is None
            names[request.school_class_id] = {m.user_id: m.name for m in members or []}
    rows = [
        QueueRow(
            id=request.id,
            class_title=title,
            created_on=request.created_on,
            whom=request.whom,
            category=request.category,
            urgency=request.urgency,
            status=request.status,
            note=request.note,
            closed_on=request.closed_on,
            name=(
                request.typed_name
                if request.typed_name is not None
                else (names.get(request.school_class_id, {}).get(sub or "") or None)
            ),
            typed=request.typed_name is not None,
        )
        for request, title, sub in found
    ]
    return rows, failed


def update_request(request_id: int, school_id: int, status: str, note: str, today: date) -> None:
    """Set a request's status and note, for staff of its school only.

    Raises NotInSchool when the request is not one of the school's, ValueError for an
    unknown status.
    """
    if status not in STATUSES:
        raise ValueError("unknown status")
    request = db.session.scalar(
        select(TalkRequest)
        .join(SchoolClass, SchoolClass.id == TalkRequest.school_class_id)
        .where(TalkRequest.id == request_id, SchoolClass.school_id == school_id)
    )
    if request is None:
        raise NotInSchool(request_id)
    if status == "closed":
        request.closed_on = request.closed_on if request.status == "closed" else today
    else:
        request.closed_on = None
    request.status = status
    request.note = clean_text(note, NOTE_MAX)
    db.session.commit()


def sweep(today: date, retention_days: int) -> int:
    """Erase requests closed at least ``retention_days`` ago; return how many."""
    cutoff = today - timedelta(days=max(retention_days, 0))
    result = db.session.execute(
        delete(TalkRequest).where(TalkRequest.status == "closed", TalkRequest.closed_on <= cutoff)
    )
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
