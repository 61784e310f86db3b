"""Assignment and Grade Services: find or create the line item, and post a score to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem

from .claims import AgsScope
from .services import ServiceError, connector, service_errors
from .tool import LookupToolConf


@dataclass(frozen=True)
class GradeTarget:
    """Where a score goes: the link's line item, or the course's line items to find it in."""

    issuer: str
    client_id: str
    scopes: Sequence[str]
    lineitem_url: str | None
    lineitems_url: str | None
    resource_link_id: str | None  # None: any column of the resource, not one link's own
    resource_id: str
    label: str
    score_maximum: float = 100.0


@dataclass(frozen=True)
class Score:
    user_id: str  # the platform's ``sub`` of the student
    score_given: float
    score_maximum: float
    timestamp: str  # ISO 8601 with time zone: the platform keeps the latest
    comment: str = ""


def post_score(tool_conf: LookupToolConf, target: GradeTarget, score: Score) -> str:
    """Post ``score`` to the target's line item, creating the line item when there is none.

    Returns the line item's URL. Raises :class:`ServiceError` on failure.
    """
    if AgsScope.SCORE not in target.scopes:
        raise ServiceError("the platform did not allow posting scores", status=None, permanent=True)
    platform = connector(tool_conf, target.issuer, target.client_id)
    service = AssignmentsGradesService(
        platform,
        {
            "scope": list(target.scopes),  # type: ignore[arg-type]
            "lineitems": target.lineitems_url or "",
            "lineitem": target.lineitem_url or "",
        },
    )
    grade = (
        Grade()
        .set_score_given(score.score_given)
        .set_score_maximum(score.score_maximum)
        .set_timestamp(score.timestamp)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_user_id(score.user_id)
    )
    if score.comment:
        grade.set_comment(score.comment)
    try:
        with service_errors():
            if target.lineitem_url:
                line_item = LineItem({"id": target.lineitem_url})
            else:
                line_item = _find_or_create(service, target)
            service.put_grade(grade, line_item)
    finally:
        platform.close()
    return str(line_item.get_id())


def _find_or_create(service: AssignmentsGradesService, target: GradeTarget) -> LineItem:
    if not target.lineitems_url:
        raise ServiceError("the launch named no line items to post to", status=None, permanent=True)
    if AgsScope.LINEITEM not in target.scopes:
        raise ServiceError(
            "the activity has no gradebook column and the platform did not allow creating one",
            status=None,
            permanent=True,
        )
    wanted = (
        LineItem()
        .set_label(target.label)
        .set_score_maximum(target.score_maximum)
        .set_resource_id(target.resource_id)
    )
    if target.resource_link_id:
        wanted.set_resource_link_id(target.resource_link_id)
    return service.find_or_create_lineitem(
        wanted,
        condition=lambda item: (
            item.get("resourceId") == target.resource_id
            and (
                target.resource_link_id is None
                or item.get("resourceLinkId") == target.resource_link_id
            )
        ),
    )
