"""Lessons: the catalog, the teacher's script, presenter mode, the student view, media."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    abort,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth import require_role
from ..content import AgeBand, Lang, Lesson
from ..content_catalog import catalog
from ..forms import ClassBandForm, MarkGivenForm
from ..i18n import you
from ..lesson_labels import BAND_NAMES, grade_name
from ..models.base import utc_today
from ..problems import PlainProblem
from ..services import actors, lessons
from ..services.actors import ActorRole
from ..services.year_plan import is_grade_of
from .lesson_filters import labels, read_filters

bp = Blueprint("lessons", __name__, url_prefix="/lessons")
STAFF = (ActorRole.TEACHER, ActorRole.COORDINATOR)
ANYONE = (ActorRole.TEACHER, ActorRole.COORDINATOR, ActorRole.STUDENT)
SESSION_NUMBER = re.compile(r"[0-9]{1,2}")


def _lesson(lesson_id: str) -> Lesson:
    lesson = catalog().get(lesson_id)
    if lesson is None:
        abort(404)
    return lesson


def _session_number(lesson: Lesson) -> int:
    """The session asked for with ``?session=N`` (1 when absent), one the lesson has."""
    raw = request.args.get("session")
    if raw is None:
        return 1
    if not SESSION_NUMBER.fullmatch(raw):
        raise PlainProblem(400, _("The session is a number, such as 2."))
    number = int(raw)
    if number not in lessons.sessions_available(lesson):
        raise PlainProblem(404, _("This lesson has no session %(num)d.", num=number))
    return number


def _lang() -> str:
    wanted = request.args.get("lang")
    return wanted if wanted in set(Lang) else str(get_locale())


@bp.get("")
@require_role(*STAFF)
def index() -> ResponseReturnValue:
    school_class = actors.class_for(g.actor.school_class_id)
    filters = read_filters(school_class.band if school_class else None)
    return render_template(
        "lessons/catalog.html",
        lessons=catalog().select(**filters.selection()),
        filters=filters,
        **labels(),
    )


@bp.get("/<lesson_id>/")
@require_role(*ANYONE)
def show(lesson_id: str) -> ResponseReturnValue:
    lesson = _lesson(lesson_id)
    if g.actor.role is ActorRole.STUDENT:
        return redirect(url_for("lessons.student", lesson_id=lesson.id))
    number = _session_number(lesson)
    text = lesson.text(_lang())
    school_class = actors.class_for(g.actor.school_class_id)
    return render_template(
        "lessons/teacher.html",
        lesson=lesson,
        text=text,
        lang=_lang(),
        number=number,
        session=text.sessions.get(number),
        sessions=sorted(lessons.sessions_available(lesson)),
        school_class=school_class,
        times_given=(
            lessons.given_this_year(school_class.id, lesson.id, utc_today()) if school_class else 0
        ),
        form=MarkGivenForm(),
        **labels(),
    )


@bp.get("/<lesson_id>/present")
@require_role(*STAFF)
def present(lesson_id: str) -> ResponseReturnValue:
    lesson = _lesson(lesson_id)
    number = _session_number(lesson)
    text = lesson.text(_lang())
    return render_template(
        "lessons/present.html",
        lesson=lesson,
        text=text,
        lang=_lang(),
        number=number,
        session=text.sessions.get(number),
    )


@bp.get("/<lesson_id>/student")
@require_role(*ANYONE)
def student(lesson_id: str) -> ResponseReturnValue:
    lesson = _lesson(lesson_id)
    number = _session_number(lesson)
    text = lesson.text(_lang())
    class_id = g.actor.school_class_id
    shown = set(lessons.sessions_given(class_id, lesson.id)) if class_id else set()
    if g.actor.role is not ActorRole.STUDENT:
        shown.add(number)  # staff preview the session they are looking at
    elif number != 1 and number not in shown:
        raise PlainProblem(404, you("Your class has not had this session of the lesson yet."))
    return render_template(
        "lessons/student.html",
        lesson=lesson,
        text=text,
        lang=_lang(),
        sessions=[text.sessions[n] for n in sorted(shown) if n in text.sessions],
    )


@bp.get("/<lesson_id>/media/<path:filename>")
@require_role(*ANYONE)
def media(lesson_id: str, filename: str) -> ResponseReturnValue:
    lesson = _lesson(lesson_id)
    return send_from_directory(lesson.folder / "media", filename, max_age=86400)


@bp.post("/<lesson_id>/given")
@require_role(ActorRole.TEACHER)
def mark_given(lesson_id: str) -> ResponseReturnValue:
    lesson = _lesson(lesson_id)
    form = MarkGivenForm()
    if not form.validate_on_submit() or g.actor.school_class_id is None:
        abort(400)
    number = form.session.data or 1
    if number not in lessons.sessions_available(lesson):
        raise PlainProblem(404, _("This lesson has no session %(num)d.", num=number))
    lessons.mark_given(
        g.actor.school_class_id, lesson.id, g.actor.person_id, utc_today(), session=number
    )
    return redirect(url_for("home.teacher", given=lesson.id), code=303)


@bp.post("/class-band")
@require_role(ActorRole.TEACHER)
def set_class_band() -> ResponseReturnValue:
    form = ClassBandForm()
    if not form.validate_on_submit() or g.actor.school_class_id is None:
        abort(400)
    band = AgeBand(form.band.data)
    grade = None
    if form.grade.data:
        grade_band, number = form.grade.data.rsplit("-", 1)
        grade = int(number)
        if grade_band != band or not is_grade_of(band, grade):
            raise PlainProblem(
                400,
                _(
                    "%(grade)s is not part of the age group “%(band)s”. Choose the grade of "
                    "the class within its age group.",
                    grade=grade_name(grade_band, grade),
                    band=BAND_NAMES[band],
                ),
            )
    lessons.set_band(g.actor.school_class_id, band, grade)
    return redirect(url_for("home.teacher"), code=303)
