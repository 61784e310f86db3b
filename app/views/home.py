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
from lti import ResourceLinkItem

from ..auth import require_role
from ..forms import AddToCourseForm, LanguageForm
from ..services import actors
from ..services.actors import ActorRole
from .lti_support import storage, tool_conf, tool_url

bp = Blueprint("home", __name__)


def _current_launch() -> lti.Launch:
    launch = lti.stored_launch(storage(), g.actor.launch_id)
    if launch is None:
        raise lti.LaunchError(lti.LaunchProblem.LAUNCH_EXPIRED, "launch data expired")
    return launch


@bp.get("/")
def index() -> ResponseReturnValue:
    urls = {
        "registration": tool_url("lti.register_start"),
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
    target = form.next.data or url_for("home.index")
    parts = urlsplit(target)
    # Only paths on this site: never an open redirect.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = url_for("home.index")
    return redirect(target, code=303)


@bp.get("/teacher")
@require_role(ActorRole.TEACHER)
def teacher() -> ResponseReturnValue:
    launch = _current_launch()
    return render_template(
        "home/teacher.html",
        school_class=actors.class_for(g.actor.school_class_id),
        classes=actors.classes_of(g.actor.person_id),
        launch=launch,
    )


@bp.get("/student")
@require_role(ActorRole.STUDENT)
def student() -> ResponseReturnValue:
    return render_template(
        "home/student.html", school_class=actors.class_for(g.actor.school_class_id)
    )


@bp.get("/coordinator")
@require_role(ActorRole.COORDINATOR)
def coordinator() -> ResponseReturnValue:
    return render_template(
        "home/coordinator.html",
        school_class=actors.class_for(g.actor.school_class_id),
        overview=actors.platform_classes(g.actor.platform_id),
    )


@bp.route("/add-to-course", methods=["GET", "POST"])
@require_role(ActorRole.TEACHER, ActorRole.COORDINATOR)
def add_to_course() -> ResponseReturnValue:
    launch = _current_launch()
    if launch.deep_linking is None:
        abort(404)
    form = AddToCourseForm(title=launch.deep_linking.title or "Qadam")
    if form.validate_on_submit():
        response = lti.deep_linking_response(
            tool_conf(signing=True),
            launch,
            [ResourceLinkItem(url=tool_url("lti.launch"), title=form.title.data.strip())],
        )
        return render_template(
            "lti/autopost.html",
            action=response.return_url,
            fields={"JWT": response.jwt},
            message=_("Returning to Moodle…"),
        )
    return render_template("home/add_to_course.html", form=form, launch=launch), (
        400 if request.method == "POST" else 200
    )
