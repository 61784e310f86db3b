"""Start pages for each role, the public front page, language choice, adding Qadam to a course."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

import lti
from lti import LineItemSpec, ResourceLinkItem

from ..auth import require_role
from ..content_catalog import catalog
from ..forms import AddToCourseForm, ClassBandForm, LanguageForm
from ..lesson_labels import BAND_NAMES
from ..lti_tool import storage, tool_conf, tool_url
from ..models.base import utc_today
from ..services import actors, lessons, quiz_results, surveys
from ..services.actors import ActorRole
from .coordinator import coordinator_page
from .lesson_filters import labels, read_filters
from .year_plan import grade_choices, plan_labels

bp = Blueprint("home", __name__)
# The custom launch parameter a deep link sets so that the link opens one lesson.
LESSON_PARAM = "lesson"
# The custom launch parameter of a survey activity (no line item: surveys are never graded).
PAGE_PARAM = "qadam_page"
SURVEY_PAGE = "survey"


def _current_launch() -> lti.Launch:
    launch = lti.stored_launch(storage(), g.actor.launch_id)
    if launch is None:
        raise lti.LaunchError(lti.LaunchProblem.LAUNCH_EXPIRED, "launch data expired")
    return launch


@bp.get("/")
def index() -> ResponseReturnValue:
    urls = {
        "registration": tool_url("lti.register_without_invite"),
        "tool": tool_url("lti.launch"),
        "login": tool_url("lti.login"),
        "redirect": tool_url("lti.launch"),
        "jwks": tool_url("lti.jwks"),
    }
    return render_template("home/index.html", urls=urls, demo=current_app.config["QADAM_DEMO"])


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.post("/language")
def set_language() -> ResponseReturnValue:
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = form.lang.data
    target = form.next.data or ""
    return redirect(target if is_local_path(target) else url_for("home.index"), code=303)


def is_local_path(target: str) -> bool:
    """Whether ``target`` is a path on this site, so redirecting there is never an open redirect.

    Browsers read a backslash as a slash (``/\\evil.example`` is ``//evil.example``) and drop
    tabs and newlines, so none of them may appear.
    """
    if not target.startswith("/") or target.startswith("//"):
        return False
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@bp.get("/teacher")
@require_role(ActorRole.TEACHER)
def teacher() -> ResponseReturnValue:
    launch = _current_launch()
    school_class = actors.class_for(g.actor.school_class_id)
    progress = (
        lessons.class_progress(catalog(), school_class, utc_today()) if school_class else None
    )
    return render_template(
        "home/teacher.html",
        school_class=school_class,
        classes=actors.classes_of(g.actor.person_id),
        launch=launch,
        progress=progress,
        catalog=catalog(),
        band_form=ClassBandForm(band=school_class.band if school_class else None),
        band_names=BAND_NAMES,
        grade_choices=grade_choices(),
        **plan_labels(),
        just_given=catalog().get(request.args.get("given", "")),
        quiz_activity=quiz_results.quiz_activity(school_class.id) if school_class else [],
    )


@bp.get("/student")
@require_role(ActorRole.STUDENT)
def student() -> ResponseReturnValue:
    class_id = g.actor.school_class_id
    title, given_ids = lessons.student_home(class_id) if class_id else (None, [])
    given = [lesson for lesson in map(catalog().get, given_ids) if lesson is not None]
    open_surveys = surveys.open_for_students(catalog(), class_id) if class_id else []
    return render_template(
        "home/student.html", class_title=title, given=given, open_surveys=open_surveys
    )


@bp.get("/coordinator")
@require_role(ActorRole.COORDINATOR)
def coordinator() -> ResponseReturnValue:
    if g.actor.coordinator_area is not None:
        return redirect(url_for("areas.area"), code=303)
    return render_template("home/coordinator.html", **coordinator_page())


@bp.route("/add-to-course", methods=["GET", "POST"])
@require_role(ActorRole.TEACHER, ActorRole.COORDINATOR)
def add_to_course() -> ResponseReturnValue:
    launch = _current_launch()
    settings = launch.deep_linking
    if settings is None:
        abort(404)
    school_class = actors.class_for(g.actor.school_class_id)
    filters = read_filters(school_class.band if school_class else None)
    lang = filters.lang
    form = AddToCourseForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = [catalog().get(i) for i in request.form.getlist("lesson")]
        if any(lesson is None for lesson in chosen):
            abort(400)
        picked = [lesson for lesson in chosen if lesson is not None]
        items = [
            ResourceLinkItem(
                url=tool_url("lti.launch"),
                title=lesson.text(lang).title,
                custom={LESSON_PARAM: lesson.id},
                line_item=(
                    LineItemSpec(
                        label=lesson.text(lang).title,
                        score_maximum=100,
                        resource_id=lesson.id,
                        tag="quiz",
                    )
                    if lesson.quiz
                    else None
                ),
            )
            for lesson in picked
        ]
        if request.form.get("survey"):
            items.insert(
                0,
                ResourceLinkItem(
                    url=tool_url("lti.launch"),
                    title=_("Class survey"),
                    custom={PAGE_PARAM: SURVEY_PAGE},
                ),
            )
        if request.form.get("home"):
            items.insert(0, ResourceLinkItem(url=tool_url("lti.launch"), title="Qadam"))
        if not items:
            error = _("Choose at least one lesson.")
        elif len(items) > 1 and not settings.accept_multiple:
            error = _("Moodle accepts only one activity here: choose one lesson.")
        else:
            response = lti.deep_linking_response(tool_conf(signing=True), launch, items)
            return render_template(
                "lti/autopost.html",
                action=response.return_url,
                fields={"JWT": response.jwt},
                message=_("Returning to Moodle…"),
            )
    return render_template(
        "home/add_to_course.html",
        form=form,
        lessons=catalog().select(**filters.selection()),
        filters=filters,
        **labels(),
        multiple=settings.accept_multiple,
        error=error,
    ), (400 if error else 200)
