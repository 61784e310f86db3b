"""The class's year plan: the whole year, its order changed by the class's teacher."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth import require_role
from ..content_catalog import catalog
from ..forms import PlanMoveForm, PlanResetForm
from ..lesson_labels import BAND_NAMES, HOLIDAY_NAMES, grade_name
from ..models import SchoolClass
from ..models.base import utc_today
from ..problems import PlainProblem
from ..services import actors, lessons
from ..services.actors import ActorRole
from ..services.year_plan import GRADES, Entry

bp = Blueprint("plan", __name__, url_prefix="/plan")


GradeChoices = tuple[tuple[str, str, tuple[tuple[int, str], ...]], ...]
# The names are the same on every page in a language: made once per language.
_grade_choices: dict[str, GradeChoices] = {}


def grade_choices() -> GradeChoices:
    """(band, band name, ((grade, grade name), …)) for the grade list of the class form."""
    locale = str(get_locale())
    choices = _grade_choices.get(locale)
    if choices is None:
        choices = _grade_choices[locale] = tuple(
            (
                band,
                str(BAND_NAMES[band]),
                tuple((grade, grade_name(band, grade)) for grade in grades),
            )
            for band, grades in GRADES.items()
        )
    return choices


def plan_labels() -> dict[str, Any]:
    """What the plan's templates need besides the plan: names of holidays and grades."""
    return {"holiday_names": HOLIDAY_NAMES, "grade_name": grade_name}


def problem_message(problem: lessons.PlanProblem) -> str:
    """Plain words for a :class:`~app.services.lessons.PlanProblem`."""
    if problem.reason == "round-order" and problem.entry is not None:
        lesson = catalog().get(problem.entry.lesson_id)
        title = lesson.text(str(get_locale())).title if lesson else problem.entry.lesson_id
        return _(
            "Round %(round)d of “%(title)s” would come before round %(before)d. Each round of "
            "a topic comes after the one before it: move round %(before)d first.",
            round=problem.entry.round,
            before=problem.entry.round - 1,
            title=title,
        )
    if problem.reason == "no-such-week":
        return _(
            "Choose a week from 1 to %(last)d: the plan fills the weeks from the first one, "
            "with no empty week between lessons.",
            last=problem.last_week,
        )
    if problem.reason == "no-plan":
        return _("Choose the age group of this class on your Qadam page first.")
    return _("This lesson is no longer in the plan. Reload the page.")


def _own_class(class_id: int) -> SchoolClass:
    """The class of the URL, only when it is the class the teacher opened Qadam from."""
    school_class = actors.class_for(g.actor.school_class_id)
    if school_class is None or school_class.id != class_id:
        raise PlainProblem(403, _("You can change the plan of your own class only."))
    return school_class


def _page(school_class: SchoolClass, error: str | None = None) -> ResponseReturnValue:
    progress = lessons.class_progress(catalog(), school_class, utc_today())
    return render_template(
        "plan/plan.html",
        school_class=school_class,
        progress=progress,
        form=PlanResetForm(),
        error=error,
        **plan_labels(),
    ), (409 if error else 200)


@bp.get("")
@require_role(ActorRole.TEACHER)
def page() -> ResponseReturnValue:
    school_class = actors.class_for(g.actor.school_class_id)
    if school_class is None or not school_class.band:
        raise PlainProblem(409, _("Choose the age group of this class on your Qadam page first."))
    return _page(school_class)


@bp.post("/<int:class_id>/move")
@require_role(ActorRole.TEACHER)
def move(class_id: int) -> ResponseReturnValue:
    school_class = _own_class(class_id)
    form = PlanMoveForm()
    valid = form.validate_on_submit()
    if form.week.errors or (valid and form.move.data == "week" and form.week.data is None):
        raise PlainProblem(400, _("Choose a week as a number, such as 12."))
    if not valid:
        raise PlainProblem(400, _("Qadam could not understand the request."))
    entry = Entry(form.lesson.data, int(form.round.data))
    steps = {"earlier": -1, "later": 1, "week": 0}
    try:
        lessons.move_in_plan(
            catalog(),
            school_class.id,
            entry,
            utc_today(),
            step=steps[form.move.data],
            week=form.week.data if form.move.data == "week" else None,
        )
    except lessons.PlanProblem as problem:
        return _page(school_class, problem_message(problem))
    anchor = f"slot-{entry.lesson_id}-{entry.round}"
    return redirect(url_for("plan.page", _anchor=anchor), code=303)


@bp.post("/<int:class_id>/reset")
@require_role(ActorRole.TEACHER)
def reset(class_id: int) -> ResponseReturnValue:
    school_class = _own_class(class_id)
    if not PlanResetForm().validate_on_submit():
        raise PlainProblem(400, _("Qadam could not understand the request."))
    lessons.reset_plan(school_class.id)
    return redirect(url_for("plan.page"), code=303)
