"""Coordinator rights: one-time codes, the grants they turn into, and revoking them.

Moodle lets any editing teacher set an activity's custom parameters, so coordinator rights
never come from a launch parameter. They come from Qadam: the operator prints a one-time code
(``flask coordinator code``), or an existing coordinator makes one for a colleague; the staff
member enters it once after launching from Moodle. Platform administrators (a site-level role
only Moodle's administrators hold) are coordinators without a grant.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, literal, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import CoordinatorGrant, Person, Platform, School
from .lti_store import DatabaseKeyValueStore

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed
CODE_LENGTH = 12
DEFAULT_CODE_HOURS = 72
# Wrong codes a person may enter per hour before being asked to wait.
MAX_FAILURES = 5
FAILURE_WINDOW = 3600


class CodeRefused(Exception):
    """The code was wrong, used, expired, for another site, or tried too often."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unknown" | "too-many-tries"


@dataclass(frozen=True)
class GrantRow:
    id: int
    issuer: str
    school: str
    sub: str
    safeguarding: bool
    granted_by: str
    created_at: datetime


def _normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _code_key(code: str) -> str:
    return "coordinator-code-" + hashlib.sha256(_normalize(code).encode()).hexdigest()


def make_code(
    platform_id: int,
    school_id: int | None,
    *,
    area_code: str | None = None,
    safeguarding: bool = False,
    granted_by: str,
    hours: int = DEFAULT_CODE_HOURS,
) -> str:
    """A new one-time code for a school of the platform, or for an area (a region's or
    district's staff), shown once (only its hash is kept)."""
    if (school_id is None) == (area_code is None):
        raise ValueError("a code is for a school or for an area")
    if area_code is not None and safeguarding:
        raise ValueError("safeguarding staff belong to a school")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    DatabaseKeyValueStore().set(
        _code_key(raw),
        {
            "platform": platform_id,
            "school": school_id,
            "area": area_code,
            "safeguarding": safeguarding,
            "by": granted_by,
        },
        hours * 3600,
    )
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def redeem_code(code: str, person_id: int, platform_id: int) -> CoordinatorGrant:
    """Turn a valid code of this platform into a grant for the person; the code is used up."""
    store = DatabaseKeyValueStore()
    failures_key = f"coordinator-code-failures-{person_id}"
    failures = int(store.get(failures_key) or 0)
    if failures >= MAX_FAILURES:
        raise CodeRefused("too-many-tries")
    normalized = _normalize(code)
    found = store.take(_code_key(normalized)) if len(normalized) == CODE_LENGTH else None
    if not isinstance(found, dict) or found.get("platform") != platform_id:
        if isinstance(found, dict):  # another site's code: put it back for its owner
            store.set(_code_key(normalized), found, FAILURE_WINDOW)
        store.set(failures_key, failures + 1, FAILURE_WINDOW)
        raise CodeRefused("unknown")
    area_code = found.get("area")
    return _grant(
        person_id,
        int(found["school"]) if found.get("school") is not None else None,
        bool(found.get("safeguarding")) and not area_code,
        str(found.get("by") or ""),
        area_code=str(area_code) if area_code else None,
    )


def _grant(
    person_id: int,
    school_id: int | None,
    safeguarding: bool,
    granted_by: str,
    *,
    area_code: str | None = None,
) -> CoordinatorGrant:
    """Grant (or move) a person's coordinator rights to ``school_id`` or ``area_code``."""
    grant = db.session.scalar(
        select(CoordinatorGrant).where(CoordinatorGrant.person_id == person_id)
    )
    if grant is None:
        grant = CoordinatorGrant(
            person_id=person_id,
            school_id=school_id,
            area_code=area_code,
            safeguarding=safeguarding,
            granted_by=granted_by[:60],
        )
        db.session.add(grant)
    else:
        grant.school_id = school_id
        grant.area_code = area_code
        grant.safeguarding = safeguarding
        grant.granted_by = granted_by[:60]
    try:
        db.session.commit()
    except IntegrityError:  # granted a moment ago in another tab
        db.session.rollback()
        grant = db.session.scalars(
            select(CoordinatorGrant).where(CoordinatorGrant.person_id == person_id)
        ).one()
    return grant


def grant_for(
    platform_id: int,
    school_id: int | None,
    sub: str,
    *,
    safeguarding: bool,
    granted_by: str,
    area_code: str | None = None,
) -> None:
    """Grant coordinator rights for a school (or an area) to the platform's user ``sub``
    (operator, demo)."""
    person = db.session.scalar(
        select(Person).where(Person.platform_id == platform_id, Person.sub == sub)
    )
    if person is None:
        person = Person(platform_id=platform_id, sub=sub)
        db.session.add(person)
        db.session.flush()
    _grant(person.id, school_id, safeguarding, granted_by, area_code=area_code)


def grants() -> list[GrantRow]:
    rows = db.session.execute(
        select(
            CoordinatorGrant.id,
            Platform.issuer,
            func.coalesce(School.name, literal("area ") + CoordinatorGrant.area_code, ""),
            Person.sub,
            CoordinatorGrant.safeguarding,
            CoordinatorGrant.granted_by,
            CoordinatorGrant.created_at,
        )
        .join(Person, Person.id == CoordinatorGrant.person_id)
        .join(Platform, Platform.id == Person.platform_id)
        .outerjoin(School, School.id == CoordinatorGrant.school_id)
        .order_by(CoordinatorGrant.id)
    ).all()
    return [GrantRow(*row) for row in rows]


def revoke(grant_id: int) -> bool:
    """Remove a grant; the person is a teacher again from their next launch."""
    removed = db.session.execute(delete(CoordinatorGrant).where(CoordinatorGrant.id == grant_id))
    db.session.commit()
    return bool(removed.rowcount)  # type: ignore[attr-defined]
