"""One class of the school's results, for the school's coordinator: the chart and table the
school page used to repeat for every class, now one page per class so that the school page
stays light. Read from the same checked wave, with the same refusals; never cached."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask.typing import ResponseReturnValue

from ..auth import require_role
from ..content_catalog import catalog
from ..services import class_overview, schools, survey_results
from ..services.actors import ActorRole
from .surveys import coordinator_school_id, read_results, results_page, trend_page

bp = Blueprint("school_classes", __name__, url_prefix="/surveys")


def _school_name(school_id: int) -> str:
    school = schools.school(school_id)
    return school.name if school else ""


@bp.get("/waves/<int:wave_id>/results/classes/<int:class_id>")
@require_role(ActorRole.COORDINATOR)
def wave_class(wave_id: int, class_id: int) -> ResponseReturnValue:
    """One class of a closed wave of the coordinator's school; any other class is a 404."""
    school_id = coordinator_school_id()
    return results_page(
        lambda: class_overview.class_of(
            survey_results.wave_results(wave_id, school_id=school_id, catalog=catalog()),
            class_id,
        ),
        _school_name(school_id),
        back=url_for("surveys.wave_results", wave_id=wave_id),
    )


@bp.get("/trends/<int:autumn_id>/<int:spring_id>/classes/<int:class_id>")
@require_role(ActorRole.COORDINATOR)
def trend_class(autumn_id: int, spring_id: int, class_id: int) -> ResponseReturnValue:
    """One class of the school's autumn → spring; a class not in both waves is a 404."""
    school_id = coordinator_school_id()
    found = read_results(
        lambda: survey_results.school_trends(
            autumn_id, spring_id, school_id=school_id, catalog=catalog()
        )
    )
    unit = read_results(lambda: class_overview.trend_of(found, class_id))
    return trend_page(
        [unit],
        _school_name(school_id),
        found.autumn,
        found.spring,
        back=url_for("surveys.school_trend", autumn_id=autumn_id, spring_id=spring_id),
    )
