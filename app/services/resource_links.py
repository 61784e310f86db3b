"""The activities (resource links) of a class and their gradebook and roster services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..content.quiz_schema import AttemptPolicy
from ..extensions import db
from ..models import LinkLineItem, ResourceLink, SchoolClass
from ..models.base import utcnow

if TYPE_CHECKING:
    from lti import Launch

# The Moodle custom parameter with which an activity chooses which attempt is graded.
COUNTS_PARAM = "qadam_counts"
POLICIES = frozenset(p.value for p in AttemptPolicy)
# The activity's columns a launch compares with what it carries; actors.record_launch reads
# them together with the launch's person and class (labelled ``activity_``).
LINK_COLUMNS = (
    ResourceLink.id,
    ResourceLink.title,
    ResourceLink.lesson_id,
    ResourceLink.ags_scopes,
    ResourceLink.lineitems_url,
    ResourceLink.lineitem_url,
    ResourceLink.counts,
)
_LINK = select(*LINK_COLUMNS).where(
    ResourceLink.school_class_id == bindparam("school_class_id"),
    ResourceLink.link_id == bindparam("link_id"),
)
# For ``record_link``: the caller did not read the activity's row.
NOT_READ: Any = object()


class KnownLink(NamedTuple):
    """The activity's row as :data:`LINK_COLUMNS` read it."""

    id: int
    title: str
    lesson_id: str | None
    ags_scopes: list[str] | None
    lineitems_url: str | None
    lineitem_url: str | None
    counts: str | None


def record_link(
    school_class_id: int,
    roster_url: str | None,
    launch: Launch,
    lesson_id: str | None,
    found: Any = NOT_READ,
    *,
    connection: Connection,
) -> int | None:
    """Keep the class's roster URL and the launched activity's AGS endpoint up to date.

    ``found`` is the activity's row (a :class:`KnownLink`) when the caller read it already,
    None when it read that there is none.
    Writes only what changed, through ``connection``; the caller commits. Returns the
    activity's row id, or None when the launch named no activity.
    """
    conn = connection
    if launch.nrps_url and launch.nrps_url != roster_url:
        conn.execute(
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
    key = {"school_class_id": school_class_id, "link_id": link_key(launch)}
    if found is NOT_READ:
        found = conn.execute(_LINK, key).first()
    if found is None:
        added = insert(ResourceLink).values(**key, **wanted).returning(ResourceLink.id)
        return int(conn.execute(added).scalar_one())
    current = {
        "title": found.title,
        "lesson_id": found.lesson_id,
        "ags_scopes": sorted(found.ags_scopes or []),
        "lineitems_url": found.lineitems_url,
        "lineitem_url": found.lineitem_url,
        "counts": found.counts,
    }
    if current != wanted:
        conn.execute(
            update(ResourceLink)
            .where(ResourceLink.id == found.id)
            .values(**wanted, updated_at=utcnow())
        )
    return int(found.id)


def link_key(launch: Launch) -> str:
    """The activity's id as stored (empty when the launch named none)."""
    return (launch.resource_link_id or "")[:255]


def chosen_policy(custom: Mapping[str, str]) -> str | None:
    """The gradebook policy the activity chose with ``qadam_counts=first|best|last``, if any."""
    value = str(custom.get(COUNTS_PARAM, "")).strip().lower()
    return value if value in POLICIES else None


# A worker that claimed a column and vanished is taken over after this long.
LINE_ITEM_CLAIM_LEASE = timedelta(minutes=2)


class LineItemBusy(Exception):
    """Another worker is finding or creating this gradebook column right now."""


_LINE_ITEM = select(LinkLineItem.lineitem_url, LinkLineItem.claimed_at).where(
    LinkLineItem.resource_link_id == bindparam("link"),
    LinkLineItem.resource_id == bindparam("resource"),
)


def claim_line_item(
    resource_link_pk: int, resource_id: str, now: datetime
) -> tuple[str | None, bool]:
    """The column remembered for this link and resource, or the right to find or create it.

    Returns ``(url, False)`` when it is known, ``(None, True)`` when this worker must find or
    create it (then :func:`remember_line_item` or :func:`release_line_item`). Raises
    :class:`LineItemBusy` while another worker holds the claim, so two workers never create
    the same column twice.
    """
    key = {"link": resource_link_pk, "resource": resource_id}
    found = db.session.execute(_LINE_ITEM, key).first()
    if found is None:
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(LinkLineItem).values(
                        resource_link_id=resource_link_pk, resource_id=resource_id, claimed_at=now
                    )
                )
            db.session.commit()
            return None, True
        except IntegrityError:
            db.session.rollback()
            found = db.session.execute(_LINE_ITEM, key).one()
    if found.lineitem_url:
        return found.lineitem_url, False
    taken = db.session.execute(
        update(LinkLineItem)
        .where(
            LinkLineItem.resource_link_id == resource_link_pk,
            LinkLineItem.resource_id == resource_id,
            LinkLineItem.lineitem_url.is_(None),
            LinkLineItem.claimed_at == found.claimed_at,
            LinkLineItem.claimed_at <= now - LINE_ITEM_CLAIM_LEASE,
        )
        .values(claimed_at=now)
    ).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    if taken != 1:
        raise LineItemBusy(resource_id)
    return None, True


def remember_line_item(resource_link_pk: int, resource_id: str, lineitem_url: str) -> None:
    """Keep the column a score was posted to, so the next score of the resource needs no lookup."""
    db.session.execute(
        update(LinkLineItem)
        .where(
            LinkLineItem.resource_link_id == resource_link_pk,
            LinkLineItem.resource_id == resource_id,
        )
        .values(lineitem_url=lineitem_url)
    )
    db.session.commit()


def release_line_item(resource_link_pk: int, resource_id: str) -> None:
    """Give up a claim whose column could not be found or created; the next try claims again."""
    db.session.rollback()
    db.session.execute(
        delete(LinkLineItem).where(
            LinkLineItem.resource_link_id == resource_link_pk,
            LinkLineItem.resource_id == resource_id,
            LinkLineItem.lineitem_url.is_(None),
        )
    )
    db.session.commit()


def link(resource_link_pk: int | None) -> ResourceLink | None:
    return db.session.get(ResourceLink, resource_link_pk) if resource_link_pk else None
