"""Lessons: the catalog, the teacher's script, presenter mode, the student view, media."""

from __future__ import annotations

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

from ..auth import require_role
from ..content import AgeBand, Lang, Lesson
from ..content_catalog import catalog
from ..forms import ClassBandForm, MarkGivenForm
from ..models.base import utc_today
from ..services import actors, lessons
from ..services.actors import ActorRole
from .lesson_filters import labels, read_filters

bp = Blueprint("lessons", __name__, url_prefix="/lessons")
STAFF = (ActorRole.TEACHER, ActorRole.COORDINATOR)
ANYONE = (ActorRole.TEACHER, ActorRole.COORDINATOR, ActorRole.STUDENT)


def _lesson(lesson_id: str) -> Lesson:
    lesson = catalog().get(lesson_id)
    if lesson is None:
        abort(404)
    return lesson


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
    school_class = actors.class_for(g.actor.school_class_id)
    times_given = (
        sum(1 for d in lessons.deliveries(school_class.id) if d.lesson_id == lesson.id)
        if school_class
        else 0
    )
    return render_template(
        "lessons/teacher.html",
        lesson=lesson,
        text=lesson.text(_lang()),
        lang=_lang(),
        school_class=school_class,
        times_given=times_given,
        form=MarkGivenForm(),
        **labels(),
    )


@bp.get("/<lesson_id>/present")
@require_role(*STAFF)
def present(lesson_id: str) -> ResponseReturnValue:
    lesson = _lesson(lesson_id)
    return render_template(
        "lessons/present.html", lesson=lesson, text=lesson.text(_lang()), lang=_lang()
    )


@bp.get("/<lesson_id>/student")
@require_role(*ANYONE)
def student(lesson_id: str) -> ResponseReturnValue:
    lesson = _lesson(lesson_id)
    return render_template(
        "lessons/student.html", lesson=lesson, text=lesson.text(_lang()), lang=_lang()
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
    if not MarkGivenForm().validate_on_submit() or g.actor.school_class_id is None:
        abort(400)
    lessons.mark_given(g.actor.school_class_id, lesson.id, g.actor.person_id, utc_today())
    return redirect(url_for("home.teacher", given=lesson.id), code=303)


@bp.post("/class-band")
@require_role(ActorRole.TEACHER)
def set_class_band() -> ResponseReturnValue:
    form = ClassBandForm()
    if not form.validate_on_submit() or g.actor.school_class_id is None:
        abort(400)
    lessons.set_band(g.actor.school_class_id, AgeBand(form.band.data))
    return redirect(url_for("home.teacher"), code=303)
