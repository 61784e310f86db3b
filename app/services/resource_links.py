"""The activities (resource links) of a class and their gradebook and roster services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update

from ..content.quiz_schema import AttemptPolicy
from ..extensions import db
from ..models import ResourceLink, SchoolClass
from ..models.base import utcnow

if TYPE_CHECKING:
    from lti import Launch

# The Moodle custom parameter with which an activity chooses which attempt is graded.
COUNTS_PARAM = "qadam_counts"
POLICIES = frozenset(p.value for p in AttemptPolicy)
_LINK = select(
    ResourceLink.id,
    ResourceLink.title,
    ResourceLink.lesson_id,
    ResourceLink.ags_scopes,
    ResourceLink.lineitems_url,
    ResourceLink.lineitem_url,
    ResourceLink.counts,
).where(
    ResourceLink.school_class_id == bindparam("school_class_id"),
    ResourceLink.link_id == bindparam("link_id"),
)


def record_link(
    school_class_id: int, roster_url: str | None, launch: Launch, lesson_id: str | None
) -> int | None:
    """Keep the class's roster URL and the launched activity's AGS endpoint up to date.

    Writes only what changed; the caller commits. Returns the activity's row id, or None
    when the launch named no activity.
    """
    if launch.nrps_url and launch.nrps_url != roster_url:
        db.session.execute(
            update(SchoolClass)
            .where(SchoolClass.id == school_class_id)
            .values(roster_url=launch.nrps_url)
        )
    if not launch.resource_link_id:
        return None
    ags = launch.ags
    wanted = {
        "title": launch.resource_link_title[:255],
        "lesson_id": lesson_id,
        "ags_scopes": sorted(ags.scopes) if ags else [],
        "lineitems_url": ags.lineitems_url if ags else None,
        "lineitem_url": ags.lineitem_url if ags else None,
        "counts": chosen_policy(launch.custom),
    }
    key = {"school_class_id": school_class_id, "link_id": launch.resource_link_id[:255]}
    found = db.session.execute(_LINK, key).first()
    if found is None:
        link = ResourceLink(**key, **wanted)
        db.session.add(link)
        db.session.flush()
        return int(link.id)
    current = {
        "title": found.title,
        "lesson_id": found.lesson_id,
        "ags_scopes": sorted(found.ags_scopes or []),
        "lineitems_url": found.lineitems_url,
        "lineitem_url": found.lineitem_url,
        "counts": found.counts,
    }
    if current != wanted:
        db.session.execute(
            update(ResourceLink)
            .where(ResourceLink.id == found.id)
            .values(**wanted, updated_at=utcnow())
        )
    return int(found.id)


def chosen_policy(custom: Mapping[str, str]) -> str | None:
    """The gradebook policy the activity chose with ``qadam_counts=first|best|last``, if any."""
    value = str(custom.get(COUNTS_PARAM, "")).strip().lower()
    return value if value in POLICIES else None


def remember_lineitem(resource_link_pk: int, lineitem_url: str) -> None:
    """Keep the line item a score was posted to, so the next score needs no lookup."""
    db.session.execute(
        update(ResourceLink)
        .where(ResourceLink.id == resource_link_pk, ResourceLink.lineitem_url.is_(None))
        .values(lineitem_url=lineitem_url)
    )


def link(resource_link_pk: int | None) -> ResourceLink | None:
    return db.session.get(ResourceLink, resource_link_pk) if resource_link_pk else None
